// Runs the wasm library off the main thread and holds the session: the table read once and the
// models trained on it. Messages in: {type: 'module', module} first (see below), then
// {id, type, ...} requests, answered one at a time in order: 'sample' | 'load' (a new table and
// session), 'inspect' (the table again with new options: no re-parse), 'pair' (two columns'
// points for a scatter plot), 'run', 'jobs' |
// 'fitJob' | 'adopt' (a run on the page's pool of workers, see pool.js), 'score',
// 'explainPart' (a share of a score's explanations, for the pool), 'synthDraft' |
// 'synthCheck' | 'synthFinish' (synthetic customers checked on the pool),
// 'synthesize', 'whatif', 'importance', 'explainCustomer', 'lesson', 'saveModel', 'loadModel', 'checkReported',
// 'warmUp'; and
// {type: 'pause'|'resume'|'step'} during a run, answered at once.
// Messages out: {type: 'module', module}, {type: 'ready', models},
// {id, type: 'progress'|'report'|'error', ...}.
import init, { Session, ModelFile, sampleCsv, availableModels, initGpu, checkReported } from './pkg/churnlab.js';

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
// The session of the table last read, and the model file last loaded (read once, given to
// every later session).
let session = null;
let modelFile = null;
// Set while the page has paused training: {promise, resume}.
let paused = null;
// Set by Step: hold at the next pause point (after the epoch or model in progress).
let stepping = false;

const hold = () => {
  let resume;
  paused ??= { promise: new Promise((r) => { resume = r; }), resume };
};
const release = () => {
  paused?.resume();
  paused = null;
};

/**
 * What a run awaits after every epoch and model: a turn of the event loop (so that 'pause'
 * messages get in), then, while paused, the page's 'resume'. Tells the page when it holds.
 */
const pausePoint = (id) => async () => {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (stepping) { stepping = false; hold(); }
  if (!paused) return;
  self.postMessage({ id, type: 'progress', event: { kind: 'paused' } });
  await paused.promise;
  self.postMessage({ id, type: 'progress', event: { kind: 'resumed' } });
};

const CPU = 'CPU (burn Flex, WebAssembly)';
// Measured epoch times per adapter and network settings, for this worker's life: Auto measures
// once, then decides at once.
const measured = new Map();

/**
 * Where the networks run: 'cpu', 'gpu' (WebGPU, the fused kernels), 'gpu_ops' (WebGPU through
 * burn's tensor ops, to compare) or 'auto': with a real adapter, whichever of WebGPU and the
 * CPU trains a few steps of the run's GAN faster on this table (measured once per adapter and
 * settings); never a software fallback adapter (SwiftShader), which Auto still measures when
 * `measureSoftware` is set (the tests). Returns the backend for the library and its label.
 */
async function backend(options, measureSoftware) {
  const choice = options.models?.nn?.backend ?? 'auto';
  if (choice === 'cpu') return { backend: 'cpu', label: CPU };
  const adapter = await globalThis.navigator?.gpu?.requestAdapter().catch(() => null);
  const fallback = adapter?.info?.isFallbackAdapter ?? adapter?.isFallbackAdapter ?? true;
  if (choice === 'auto' && (!adapter || (fallback && !measureSoftware))) {
    return { backend: 'cpu', label: `${CPU}: ${adapter ? 'only a software WebGPU adapter' : 'no WebGPU adapter'}` };
  }
  if (!adapter) throw new Error('this browser offers no WebGPU adapter: choose the CPU backend');
  // The browser describes its adapter better than wgpu can see it from inside the page.
  const i = adapter.info ?? {};
  const described = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
  const started = await initGpu();
  const name = `WebGPU: ${described || started}${fallback ? ' (a software fallback adapter)' : ''}`;
  if (choice !== 'auto') return { backend: choice, label: choice === 'gpu_ops' ? `${name} (burn's tensor ops)` : name };
  const m = await epochTimes(options, described || started);
  const pick = m.gpu < m.cpu && !fallback ? 'gpu' : 'cpu';
  const figures = `WebGPU ${m.gpu.toFixed(3)} s/epoch vs CPU ${m.cpu.toFixed(3)} s/epoch → ${pick === 'gpu' ? 'WebGPU' : 'CPU'}${fallback ? ' (a software adapter is never chosen)' : ''}`;
  return { backend: pick, label: `${pick === 'gpu' ? name : CPU}: ${figures}` };
}

/** Seconds per epoch of this table for the run's GAN on WebGPU and on the CPU (cached). */
async function epochTimes(options, adapter) {
  const key = JSON.stringify([adapter, options.models?.nn ?? {}, session?.counts().parses]);
  if (!measured.has(key)) {
    const epoch = async (b) => {
      const probe = structuredClone(options);
      probe.models.nn.backend = b;
      const { seconds, steps } = await current().stepSeconds(probe, b);
      return seconds * steps;
    };
    measured.set(key, { gpu: await epoch('gpu'), cpu: await epoch('cpu') });
  }
  return measured.get(key);
}

/** The run's options with the networks' backend resolved; tells the page which it is. */
async function resolved(msg) {
  const options = structuredClone(msg.options ?? {});
  const nn = (options.models ??= {}).nn ??= {};
  // The tests set `measureSoftware` in this worker (so can a curious visitor, from the console).
  const chosen = await backend(options, globalThis.measureSoftware === true);
  nn.backend = chosen.backend;
  self.postMessage({ id: msg.id, type: 'progress', event: { kind: 'backend', label: chosen.label } });
  return options;
}

/**
 * V8 first runs WebAssembly as quick baseline code and compiles a function's optimised code on
 * background threads once it has run a while. Left to the first training, that compilation
 * (~1.7 s of CPU on 2 cores, measured in a trace) competes with the page's main thread, whose
 * tasks then take several times their CPU time. The page asks for this warm-up once it is idle
 * after a load: every model trains briefly on generated rows, in a session of their own.
 * Nothing depends on it (every run seeds its own generators).
 */
function warmUp() {
  const models = availableModels().map((m) => m.model);
  const options = { models: { models, nn: { backend: 'cpu', epochs: 3, hidden: 128, batch_size: 64 } }, seeds: 1 };
  const warm = new Session(new TextEncoder().encode(sampleCsv(2000, 1)), 'warm-up.csv', options);
  return warm.run(options, () => {}, null).finally(() => warm.free());
}

/** A new session for a table (the previous one is freed); the model file, if any, follows. */
function open(bytes, name, options) {
  const next = new Session(bytes, name, options ?? null);
  session?.free();
  session = next;
  if (modelFile) session.useModelFile(modelFile);
  return session.inspect(options ?? null);
}

function current() {
  if (!session) throw new Error('load a table first');
  return session;
}

const handlers = {
  sample(msg) {
    const csv = sampleCsv(msg.rows ?? 5000, msg.seed ?? 42);
    return { report: open(new TextEncoder().encode(csv), 'churnlab-sample.csv', msg.options), csv, counts: session.counts() };
  },
  load: (msg) => ({ report: open(new Uint8Array(msg.bytes), msg.name, msg.options), counts: session.counts() }),
  pair: (msg) => ({ pair: current().pair(msg.x, msg.y) }),
  inspect: (msg) => {
    const s = current();
    return { report: s.inspect(msg.options ?? null), counts: s.counts() };
  },
  async run(msg) {
    paused = null;
    stepping = msg.step ?? false;
    const s = current();
    const report = await s.run(await resolved(msg), (event) => self.postMessage({ id: msg.id, type: 'progress', event }), pausePoint(msg.id));
    return { report, counts: s.counts() };
  },
  // The page's pool: the fits of a run (the options resolved here once, for every worker),
  // one fit as a packet, and the run adopted from the packets.
  async jobs(msg) {
    const options = await resolved(msg);
    return { report: { ...current().jobs(options), options } };
  },
  async fitJob(msg) {
    const s = current();
    const packet = await s.fitJob(msg.options, msg.job, (event) => self.postMessage({ id: msg.id, type: 'progress', event }), pausePoint(msg.id));
    return { report: null, packet, transfer: [packet.buffer] };
  },
  adopt(msg) {
    const s = current();
    return { report: s.adopt(msg.options, msg.packets, msg.seconds), counts: s.counts() };
  },
  async score(msg) {
    const s = current();
    const options = { explain: msg.explain ?? false };
    const parts = msg.parts ?? null;
    const scored = msg.fromFile ? await s.scoreWithModelFile(msg.model, options, parts) : await s.score(msg.model, options, parts);
    return { ...scored, counts: s.counts() };
  },
  // A share of the explanations of a score (the page's pool; 'score' takes the parts).
  async explainPart(msg) {
    const packet = await current().explainPart(msg.model, {}, msg.part, msg.parts, msg.fromFile ?? false);
    return { report: null, packet, transfer: [packet.buffer] };
  },
  whatif: (msg) => ({ report: current().whatif(msg.model, msg.threshold, msg.campaign) }),
  importance: async (msg) => ({ report: await current().importance(msg.model) }),
  explainCustomer: async (msg) => ({ report: await current().explainCustomer(msg.model, msg.row, msg.fromFile ?? false, msg.samples) }),
  async lesson(msg) {
    const s = current();
    return { report: await s.lesson(await resolved(msg), msg.protocol), counts: s.counts() };
  },
  async synthesize(msg) {
    const s = current();
    const { report, csv } = await s.synthesize(msg.rows, msg.seed ?? 0);
    return { report, csv, counts: s.counts() };
  },
  // Synthetic customers on the pool: made here, checked on any worker, joined here.
  async synthDraft(msg) {
    const { packet, splitSeed, checks } = await current().synthesizeDraft(msg.rows, msg.seed ?? 0);
    return { report: null, packet, splitSeed, checks, transfer: [packet.buffer] };
  },
  synthCheck: (msg) => ({ report: current().syntheticCheck(msg.check, msg.seed ?? 0, msg.packet ?? null, msg.options ?? null, msg.splitSeed ?? 0) ?? null }),
  synthFinish(msg) {
    const s = current();
    const { report, csv } = s.finishSynthesis(msg.done);
    return { report, csv, counts: s.counts() };
  },
  async saveModel(msg) {
    const bytes = await current().saveModel(msg.models ?? []);
    return { report: null, bytes, transfer: [bytes.buffer] };
  },
  loadModel(msg) {
    const s = current();
    const file = new ModelFile(new Uint8Array(msg.bytes), msg.name);
    s.useModelFile(file);
    modelFile?.free();
    modelFile = file;
    return { report: file.info() };
  },
  warmUp: async () => { await warmUp(); return { report: null }; },
  checkReported: (msg) => ({ report: checkReported(msg.reported, msg.positives, msg.negatives) }),
};

async function answer(msg) {
  const reply = async (m, transfer = []) => self.postMessage({ ...m, id: msg.id, memory: await memory().catch(() => null) }, transfer);
  try {
    await ready;
    const handler = handlers[msg.type];
    if (!handler) throw new Error(`unknown request '${msg.type}'`);
    const { transfer, ...result } = await handler(msg);
    await reply({ type: 'report', ...result }, transfer);
  } catch (err) {
    // A wasm trap (out of memory, a bug) leaves this instance unusable: the page replaces the worker.
    const fatal = err instanceof WebAssembly.RuntimeError || err instanceof RangeError;
    const message = err?.message ?? String(err);
    await reply({
      type: 'error', fatal,
      message: fatal ? `The page ran out of memory or hit a bug on this file (${message}); it has restarted its worker: load a smaller file.` : message,
    });
  }
}

// Requests are answered one at a time, in order: the session is never used by two at once.
let queue = Promise.resolve();
self.onmessage = ({ data: msg }) => {
  if (msg.type === 'module') return moduleArrived(msg.module ?? compile());
  // Pause and resume are answered at once, also while a run is in progress.
  if (msg.type === 'pause') return hold();
  // Step while paused: go on, and hold again after the next epoch or model.
  if (msg.type === 'step') {
    stepping = true;
    return release();
  }
  if (msg.type === 'resume') return release();
  queue = queue.then(() => answer(msg));
};

ready.then(() => self.postMessage({ type: 'ready', models: availableModels() }),
  (err) => self.postMessage({ type: 'error', message: `could not start: ${err?.message ?? err}` }));
