// Shared by the browser tests: a static server for www/ on a free loopback port, and Debian's
// chromium driven by playwright-core (never a downloaded browser), with every console error,
// uncaught error and request (address, method, body) recorded.
import { createServer } from 'node:http';
import { readFile, mkdir, mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = fileURLToPath(new URL('.', import.meta.url));
export const www = resolve(here, '../../www');
export const artifacts = resolve(here, 'artifacts');
export const shared = resolve(here, '../../../shared/data/ecommerce-churn');

const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.json': 'application/json',
};

export async function serve() {
  if (!existsSync(join(www, 'pkg/churnlab.js'))) throw new Error('www/pkg is missing: run .ci/build-web first');
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    const file = join(www, path || 'index.html');
    if (!file.startsWith(www)) { res.writeHead(403).end(); return; }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

export async function launch({ webgpu = false } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'churnlab-chromium-'));
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    // For the memory test: a callable gc() and unrounded performance.memory.
    '--js-flags=--expose-gc', '--enable-precise-memory-info'];
  if (webgpu) args.push('--enable-unsafe-webgpu'); else args.push('--disable-gpu');
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/lib/chromium/chromium', headless: true, args, viewport: { width: 1280, height: 720 },
  });
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  context.on('request', (r) => requests.push({ url: r.url(), method: r.method(), body: r.postDataBuffer() }));
  return { context, page, errors, requests };
}

/**
 * The server and the browser of one test file: started before its tests (then `ready(env)`
 * runs), closed after them. The returned object gets `srv` and `browser` (see `launch`).
 */
export function forFile(options = {}, ready = async () => {}) {
  const env = {};
  before(async () => {
    env.srv = await serve();
    env.browser = await launch(options);
    await ready(env);
  });
  after(async () => {
    await env.browser?.context.close();
    env.srv?.server.close();
  });
  return env;
}

export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Waits until the page says it has read `name` ('the sample', or a file's name). */
export async function waitForRead(page, name) {
  await page.waitForFunction((n) => document.getElementById('status').textContent.startsWith(`Read '${n}'`) ||
    document.getElementById('status').textContent.startsWith(`Read ${n}`), name, { timeout: 60_000 });
}

/** Ticks exactly the `chosen` models (names) among those the page offers; returns the offered ones. */
export async function chooseModels(page, chosen) {
  const available = await page.$$eval('#models input', (els) => els.map((e) => e.value));
  for (const m of available) await page.setChecked(`#models input[value=${m}]`, chosen.includes(m));
  return available;
}

/** The text of the file that clicking `selector` downloads. */
export async function download(page, selector) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFile(await file.path(), 'utf8');
}

/**
 * Clicks "Train and compare" and waits for the run to end. Returns its wall time and, when it
 * trained, the downloaded report (`null` and the page's error otherwise).
 */
export async function train(page, timeout = 180_000) {
  const t0 = Date.now();
  await page.click('#train');
  await page.waitForFunction(() => document.getElementById('stop').disabled, null, { timeout });
  const seconds = (Date.now() - t0) / 1000;
  const trained = (await page.textContent('#train-status')).startsWith('Trained');
  return trained
    ? { seconds, report: JSON.parse(await download(page, '#report-download')), error: null }
    : { seconds, report: null, error: await page.textContent('#error') };
}

/** In the worker: counts its WebGPU calls, and snapshots the counts at each epoch it reports. */
export function countCalls() {
  const c = { dispatches: 0, submits: 0, maps: 0, epochs: [] };
  self.gpuCalls = c;
  const wrap = (proto, name, key) => {
    const f = proto[name];
    proto[name] = function counted(...args) { c[key] += 1; return f.apply(this, args); };
  };
  wrap(GPUComputePassEncoder.prototype, 'dispatchWorkgroups', 'dispatches');
  wrap(GPUQueue.prototype, 'submit', 'submits');
  wrap(GPUBuffer.prototype, 'mapAsync', 'maps');
  const post = self.postMessage.bind(self);
  self.postMessage = (m, transfer) => {
    if (m?.type === 'progress' && m.event?.kind === 'epoch') {
      const { dispatches, submits, maps } = c;
      c.epochs.push({ model: m.event.model, steps: m.event.stats.steps, dispatches, submits, maps });
    }
    return post(m, transfer);
  };
}

/**
 * A model's calls per training step and readbacks per epoch from `countCalls`'s log: its
 * second epoch, from the counts at the end of its first (its evaluation and read are in it).
 */
export function callsPerStep(log, model) {
  const [a, b] = log.filter((e) => e.model === model);
  if (!a || !b) return null;
  const per = (key) => (b[key] - a[key]) / b.steps;
  return { dispatches: per('dispatches'), submits: per('submits'), readbacks: b.maps - a.maps, steps: b.steps };
}
