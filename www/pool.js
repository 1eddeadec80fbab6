// The page's pool of workers: a run's independent fits (every model on every seed) on as many
// Web Workers as the visitor's cores and memory allow. The session's worker is one of them;
// helpers are more of the same worker.js, each given the compiled module and the table once
// (they end when another table is loaded). Each fit comes back as a packet (the model
// and its test scores); the session's worker adopts them all into the same report and kept
// models a run on one worker makes (the library checks this; so do the browser tests).
import { $ } from './dom.js';
import { state, request, tableOptions, tableMessage, wasmModule } from './state.js';

/** Helpers: {worker, pending: Map(id → resolve), progress: Map(id → handler), table, memory}. */
const helpers = [];
let nextId = 0;

/** The most workers a run uses, whatever the cores (each holds its own copy of the table). */
const MAX_WORKERS = 8;

/**
 * How many workers a run of `jobs` fits gets: the page's Workers choice, or (auto) the cores,
 * capped by memory (each worker holds a copy of the table: about what the session's worker
 * holds now, against half of the device memory the browser reports) and by the jobs.
 */
export function poolSize(jobs) {
  const chosen = $('workers').value;
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const perWorker = (state.workerMemory || 64 * 2 ** 20) + 32 * 2 ** 20;
  const device = globalThis.navigator?.deviceMemory;
  const byMemory = device ? Math.max(1, Math.floor((device * 2 ** 30) / 2 / perWorker)) : MAX_WORKERS;
  const wanted = chosen === 'auto' ? cores : Number(chosen);
  return Math.max(1, Math.min(wanted, byMemory, jobs, MAX_WORKERS));
}

/** Fills the Workers choice: auto (the cores) or a number up to the cap. */
export function showPoolChoice() {
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  const select = $('workers');
  select.options[0].textContent = `auto (${Math.min(cores, MAX_WORKERS)}: the cores)`;
  for (let n = 1; n <= MAX_WORKERS; n++) select.append(new Option(String(n), String(n)));
}

function ask(h, msg, onProgress, transfer = []) {
  return new Promise((resolve) => {
    const id = ++nextId;
    h.pending.set(id, resolve);
    if (onProgress) h.progress.set(id, onProgress);
    h.worker.postMessage({ ...msg, id }, transfer);
  });
}

/** A helper worker, started with the page's compiled module; resolves once it is ready. */
async function startHelper() {
  const module = await wasmModule;
  const h = { worker: new Worker('worker.js', { type: 'module' }), pending: new Map(), progress: new Map(), table: null, memory: 0 };
  const ready = new Promise((resolve, reject) => {
    h.worker.onmessage = ({ data }) => {
      if (data.type === 'ready') return resolve(h);
      if (data.type === 'module') return undefined;
      if (data.type === 'error' && data.id == null) return reject(new Error(data.message));
      if (data.memory) h.memory = data.memory;
      if (data.type === 'progress') return h.progress.get(data.id)?.(data.event);
      const done = h.pending.get(data.id);
      h.pending.delete(data.id);
      h.progress.delete(data.id);
      done?.(data);
    };
  });
  h.worker.postMessage({ type: 'module', module });
  return ready;
}

/** `n` helpers holding the page's current table (started or given it as needed). */
async function helpersWithTable(n) {
  while (helpers.length < n) helpers.push(await startHelper());
  const last = state.lastLoad;
  await Promise.all(helpers.slice(0, n).map(async (h) => {
    if (h.table === last) return;
    const msg = await tableMessage();
    const reply = await ask(h, { ...msg, options: tableOptions() }, null, msg.bytes ? [msg.bytes] : []);
    if (reply.type === 'error') throw new Error(reply.message);
    h.table = last;
  }));
  return helpers.slice(0, n);
}

/** A pool task's failure (a helper that could not start or read the table) as an error reply. */
const refused = (task) => task.catch((err) => ({ type: 'error', message: `the pool of workers failed: ${err?.message ?? err}` }));

/** Whether the pool can take the current table (a helper reads the file again, or makes the sample). */
export const poolCanLoad = () => Boolean(state.lastLoad);

/** Pause and resume reach every helper too. */
export function pausePool(on) {
  for (const h of helpers) h.worker.postMessage({ type: on ? 'pause' : 'resume' });
}

/** Stop: the helpers are ended (a later run starts new ones). */
export function stopPool() {
  for (const h of helpers.splice(0)) {
    h.worker.terminate();
    for (const done of h.pending.values()) done({ type: 'error', message: 'Stopped.' });
  }
}

/**
 * A run of `options` on `size` workers (the session's and size − 1 helpers): every fit of
 * the library's job list, progress events to `onProgress`, then the session's worker adopts
 * the packets. Resolves with the reply of 'adopt' (as 'run' replies) and the workers' memory.
 */
export const runOnPool = (options, size, onProgress) => refused(poolRun(options, size, onProgress));

async function poolRun(options, size, onProgress) {
  const t0 = performance.now();
  const plan = await request({ type: 'jobs', options }, onProgress);
  if (plan.type === 'error') return plan;
  const { jobs, order, options: resolved } = plan.report;
  // The networks on WebGPU share one GPU: then the session's worker fits everything.
  const n = resolved.models.nn.backend === 'gpu' ? 1 : size;
  const pool = [{ session: true, ask: (msg, on) => request(msg, on) }];
  for (const h of await helpersWithTable(n - 1)) pool.push({ helper: h, ask: (msg, on) => ask(h, msg, on) });
  const packets = new Array(jobs.length);
  let next = 0;
  let failed = null;
  await Promise.all(pool.map(async (w) => {
    while (!failed && next < order.length) {
      const i = order[next++];
      const reply = await w.ask({ type: 'fitJob', options: resolved, job: jobs[i] }, onProgress);
      if (reply.type === 'error') failed ??= reply;
      else packets[i] = reply.packet;
      // A helper that trapped is of no more use: a later run starts another.
      if (reply.fatal && w.helper) {
        w.helper.worker.terminate();
        helpers.splice(helpers.indexOf(w.helper), 1);
      }
    }
  }));
  if (failed) return failed;
  const seconds = (performance.now() - t0) / 1000;
  const reply = await request({ type: 'adopt', options: resolved, packets, seconds });
  const memory = [state.workerMemory, ...pool.slice(1).map((w) => w.helper.memory)];
  return { ...reply, workers: pool.length, memory };
}

/**
 * The explanations of a score of every customer by the kept model `model`, computed in `size`
 * parts: the session's worker saves the model as a model file, each helper loads it and
 * explains its share of the rows, the session's worker its own. Resolves with the parts (for
 * 'score', which joins them into what it would have computed alone) or an error reply.
 */
export const explainOnPool = (model, size) => refused(poolExplain(model, size));

async function poolExplain(model, size) {
  const saved = await request({ type: 'saveModel', models: [model] });
  if (saved.type === 'error') return saved;
  const workers = await helpersWithTable(size - 1);
  const asks = [request({ type: 'explainPart', model, part: 0, parts: size })];
  workers.forEach((h, k) => {
    const bytes = saved.bytes.slice(0);
    asks.push(ask(h, { type: 'loadModel', name: 'pool.clm', bytes }, null, [bytes.buffer])
      .then((r) => (r.type === 'error' ? r : ask(h, { type: 'explainPart', model, part: k + 1, parts: size, fromFile: true }))));
  });
  const replies = await Promise.all(asks);
  return replies.find((r) => r.type === 'error') ?? { type: 'parts', parts: replies.map((r) => r.packet) };
}

/**
 * `rows` synthetic customers from the kept GAN with their quality checks spread over `size`
 * workers: the session's worker makes and screens the rows, the checks that fit models of
 * their own (detection, forests on synthetic and on real rows) go round the workers, helpers
 * getting the rows as bytes and the run's options to make the same split, and the session's
 * worker joins their results. Resolves as 'synthesize' does.
 */
export const synthesizeOnPool = (rows, seed, size) => refused(poolSynthesize(rows, seed, size));

async function poolSynthesize(rows, seed, size) {
  const draft = await request({ type: 'synthDraft', rows, seed });
  if (draft.type === 'error') return draft;
  const { packet, splitSeed, checks } = draft;
  // The checks fit no network: the run's options with the CPU named (not 'auto').
  const options = structuredClone(state.runOptions);
  options.models.nn.backend = 'cpu';
  const workers = await helpersWithTable(Math.min(size, checks.length) - 1);
  const results = await Promise.all(checks.map((check, k) => {
    const h = workers[(k % (workers.length + 1)) - 1];
    const msg = { type: 'synthCheck', check, seed };
    return h ? ask(h, { ...msg, packet: packet.slice(0), options, splitSeed }) : request(msg);
  }));
  const failed = results.find((r) => r.type === 'error');
  if (failed) return failed;
  const reply = await request({ type: 'synthFinish', done: checks.map((check, k) => ({ check, value: results[k].report })) });
  return { ...reply, workers: workers.length + 1 };
}
