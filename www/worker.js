// Runs the wasm library off the main thread. Messages in: {type: 'module', module} first (see
// below), then {id, type: 'sample'|'inspect'|'reinspect'|'run'|'score'|'synthesize'|
// 'checkReported'|'warmUp', ...}, and {type: 'pause'|'resume'} during a run.
// Messages out: {type: 'module', module}, {id, type: 'ready'|'progress'|'report'|'error', ...}.
import init, { inspect, run, score, synthesize, sampleCsv, availableModels, initGpu, checkReported } from './pkg/churnlab.js';

// The page's first message ({type: 'module'}) brings the compiled module, or null: then this
// worker compiles it (streaming, off the page's main thread) and sends it to the page.
let moduleArrived;
const ready = new Promise((resolve) => { moduleArrived = resolve; }).then((module) => init({ module_or_path: module }));

async function compile() {
  const url = new URL('./pkg/churnlab_bg.wasm', import.meta.url);
  try {
    const module = await WebAssembly.compileStreaming(fetch(url))
      // A server that sends the module without its MIME type still works.
      .catch(() => fetch(url).then((r) => r.arrayBuffer()).then((bytes) => WebAssembly.compile(bytes)));
    self.postMessage({ type: 'module', module });
    return module;
  } catch (err) {
    self.postMessage({ type: 'module', module: null, error: `the WebAssembly module could not be loaded: ${err?.message ?? err}` });
    throw err;
  }
}

// Bytes of WebAssembly memory the worker holds (it only grows), sent with every reply.
const memory = async () => (await ready).memory.buffer.byteLength;
// The table last read, for 'run' (the page does not send it twice).
let current = null;
// Set while the page has paused training: {promise, resume}.
let paused = null;

/**
 * What a run awaits after every epoch and model: a turn of the event loop (so that 'pause'
 * messages get in), then, while paused, the page's 'resume'. Tells the page when it holds.
 */
const pausePoint = (id) => async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (!paused) return;
  self.postMessage({ id, type: 'progress', event: { kind: 'paused' } });
  await paused.promise;
  self.postMessage({ id, type: 'progress', event: { kind: 'resumed' } });
};

/**
 * Where the networks run: 'cpu', 'gpu' (WebGPU) or 'auto' (WebGPU when the browser offers a
 * real adapter, not a software fallback). Returns the backend for the library and its label.
 */
async function backend(choice) {
  if (choice === 'cpu') return { backend: 'cpu', label: 'CPU (burn Flex, WebAssembly)' };
  const adapter = await globalThis.navigator?.gpu?.requestAdapter().catch(() => null);
  const fallback = adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter ?? true;
  if (choice === 'auto' && (!adapter || fallback)) {
    return { backend: 'cpu', label: `CPU (burn Flex, WebAssembly): ${adapter ? 'only a software WebGPU adapter' : 'no WebGPU adapter'}` };
  }
  if (!adapter) throw new Error('this browser offers no WebGPU adapter: choose the CPU backend');
  // The browser describes its adapter better than wgpu can see it from inside the page.
  const i = adapter.info ?? {};
  const described = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
  const started = await initGpu();
  return { backend: 'gpu', label: `WebGPU: ${described || started}${fallback ? ' (a software fallback adapter)' : ''}` };
}

/** The request's options with the networks' backend resolved; tells the page which it is. */
async function resolved(msg) {
  const options = structuredClone(msg.options ?? {});
  const nn = (options.models ??= {}).nn ??= {};
  const chosen = await backend(nn.backend ?? 'auto');
  nn.backend = chosen.backend;
  self.postMessage({ id: msg.id, type: 'progress', event: { kind: 'backend', label: chosen.label } });
  return options;
}

/**
 * V8 first runs WebAssembly as quick baseline code and compiles a function's optimised code on
 * background threads once it has run a while. Left to the first training, that compilation
 * (~1.7 s of CPU on 2 cores, measured in a trace) competes with the page's main thread, whose
 * tasks then take several times their CPU time. The page asks for this warm-up once it is idle
 * after a load: every model trains briefly on generated rows. Nothing depends on it (every run
 * seeds its own generators); requests that arrive meanwhile wait for it.
 */
let warmedUp = null;
const warmUp = () => {
  const options = { models: { models: availableModels(), nn: { backend: 'cpu', epochs: 3, hidden: 128, batch_size: 64 } }, seeds: 1 };
  warmedUp ??= run(new TextEncoder().encode(sampleCsv(2000, 1)), 'warm-up.csv', options, () => {}, null);
  return warmedUp;
};

self.onmessage = async ({ data: msg }) => {
  if (msg.type === 'module') return moduleArrived(msg.module ?? compile());
  // Pause and resume are answered at once, also while a run is in progress.
  if (msg.type === 'pause') {
    let resume;
    paused ??= { promise: new Promise((r) => { resume = r; }), resume };
    return;
  }
  if (msg.type === 'resume') {
    paused?.resume();
    paused = null;
    return;
  }
  const reply = async (m) => self.postMessage({ ...m, id: msg.id, memory: await memory().catch(() => null) });
  try {
    await ready;
    await warmedUp?.catch(() => {});
    if (msg.type === 'sample') {
      const csv = sampleCsv(msg.rows ?? 5000, msg.seed ?? 42);
      const bytes = new TextEncoder().encode(csv);
      const report = inspect(bytes, 'churnlab-sample.csv', msg.options ?? null);
      current = { bytes, name: 'churnlab-sample.csv' };
      await reply({ type: 'report', report, csv });
    } else if (msg.type === 'inspect') {
      const bytes = new Uint8Array(msg.bytes);
      const report = inspect(bytes, msg.name, msg.options ?? null);
      current = { bytes, name: msg.name };
      await reply({ type: 'report', report });
    } else if (msg.type === 'reinspect') {
      if (!current) throw new Error('load a table first');
      await reply({ type: 'report', report: inspect(current.bytes, current.name, msg.options ?? null) });
    } else if (msg.type === 'run') {
      if (!current) throw new Error('load a table first');
      paused = null;
      const report = await run(current.bytes, current.name, await resolved(msg),
        (event) => self.postMessage({ id: msg.id, type: 'progress', event }), pausePoint(msg.id));
      await reply({ type: 'report', report });
    } else if (msg.type === 'score') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = await score(current.bytes, current.name, await resolved(msg), msg.model);
      await reply({ type: 'report', report, csv });
    } else if (msg.type === 'synthesize') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = await synthesize(current.bytes, current.name, await resolved(msg), msg.rows, msg.seed ?? 0);
      await reply({ type: 'report', report, csv });
    } else if (msg.type === 'warmUp') {
      await warmUp();
      await reply({ type: 'report', report: null });
    } else if (msg.type === 'checkReported') {
      await reply({ type: 'report', report: checkReported(msg.reported, msg.positives, msg.negatives) });
    } else {
      throw new Error(`unknown request '${msg.type}'`);
    }
  } catch (err) {
    // A wasm trap (out of memory, a bug) leaves this instance unusable: the page replaces the worker.
    const fatal = err instanceof WebAssembly.RuntimeError || err instanceof RangeError;
    const message = err?.message ?? String(err);
    await reply({
      type: 'error', fatal,
      message: fatal ? `The page ran out of memory or hit a bug on this file (${message}); it has restarted its worker: load a smaller file.` : message,
    });
  }
};

ready.then(() => self.postMessage({ type: 'ready', models: availableModels() }),
  (err) => self.postMessage({ type: 'error', message: `could not start: ${err?.message ?? err}` }));
