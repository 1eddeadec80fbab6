// The page's one state object and its worker: requests go out with an id and come back as
// promises; progress events go to the request's handler. The worker holds the session (the
// table read once, the models trained on it), so requests carry only what changed.
import { $ } from './dom.js';

export const state = {
  worker: null,
  /** The models this build offers: [{model, label, network}], from the library. */
  models: [],
  /** The inspect report shown. */
  report: null,
  /** The user's corrections of the table: column kinds and roles, label merges. */
  edits: { kinds: {}, roles: {}, labelMap: [], keepLeaky: [] },
  /** The last table load (the sample's settings or the file), to give a new worker the same table. */
  lastLoad: null,
  /** Whether the worker holds trained models (and the report of their run), and the model file it holds (its info). */
  trained: false,
  runReport: null,
  /** Table edits of a link or a project, waiting for the table they fit (settings.js). */
  pendingEdits: null,
  /** The settings of the report shown (a cleaning choice the table refuses goes back to them). */
  lastSettings: null,
  /** The options of the run whose models the session's worker keeps. */
  runOptions: null,
  modelFile: null,
  paused: false,
  warmedWorker: false,
  /** Bytes of WebAssembly memory the session's worker holds (its last reply). */
  workerMemory: 0,
  /** Set by app.js: draws a new inspect report in every section. */
  render: () => {},
};

export const label = (model) => state.models.find((m) => m.model === model)?.label ?? model;
export const isNetwork = (model) => state.models.find((m) => m.model === model)?.network ?? false;

let nextId = 0;
const pending = new Map();
const progressHandlers = new Map();
let compiled;
/** The compiled module: the first worker compiles it and sends it here, for the charts' frame and later workers. */
export const wasmModule = new Promise((resolve, reject) => { compiled = { resolve, reject }; });
let onReady = () => {};

export function startWorker(ready = onReady) {
  onReady = ready;
  state.warmedWorker = false;
  const w = new Worker('worker.js', { type: 'module' });
  w.postMessage({ type: 'module', module: compiled.module ?? null });
  w.onmessage = ({ data }) => {
    if (data.type === 'module') {
      compiled.module = data.module;
      return data.module ? compiled.resolve(data.module) : compiled.reject(new Error(data.error));
    }
    if (data.memory) {
      state.workerMemory = data.memory;
      $('memory').textContent = `Worker memory (WebAssembly): ${(data.memory / 2 ** 20).toFixed(0)} MiB.`;
    }
    if (data.counts) {
      const c = data.counts;
      $('counts').textContent = `This table was read ${c.parses}× and prepared ${c.preparations}×; ` +
        `preprocessing fitted ${c.preprocessor_fits}×, models ${c.model_fits}×.`;
    }
    if (data.type === 'ready') return onReady(data.models);
    if (data.type === 'progress') return progressHandlers.get(data.id)?.(data.event);
    if (data.fatal) {
      // The instance trapped (out of memory?): a fresh worker takes the next file.
      w.terminate();
      startWorker();
    }
    const done = pending.get(data.id);
    if (!done) return;
    pending.delete(data.id);
    done(data);
  };
  state.worker = w;
  state.trained = false;
  return w;
}

/** Sends `msg` to the worker; resolves with its reply ({type: 'report' | 'error', ...}). */
export function request(msg, onProgress) {
  return new Promise((resolve) => {
    const id = ++nextId;
    pending.set(id, (reply) => { progressHandlers.delete(id); resolve(reply); });
    if (onProgress) progressHandlers.set(id, onProgress);
    state.worker.postMessage({ ...msg, id }, msg.bytes ? [msg.bytes] : []);
  });
}

/**
 * The request that loads the current table into another worker (a helper of the pool, the
 * worker after Stop): the sample again, or the file read again. Null when there is none; it
 * rejects when the file can no longer be read (changed or moved since).
 */
export async function tableMessage() {
  const last = state.lastLoad;
  if (!last) return null;
  if (!last.file) return { ...last };
  return { type: 'load', name: last.name, bytes: await last.file.arrayBuffer() };
}

/** Ends every pending request (the worker was replaced). */
export function dropPending(message) {
  for (const done of pending.values()) done({ type: 'error', message });
  pending.clear();
}

/** The keep rule of the Feature selection card, as the library's option. */
function keepOption() {
  const v = Number($('keep-value').value);
  return { all: 'all', top: { top: Math.round(v) }, min_score: { min_score: v } }[$('keep').value] ?? 'all';
}

/** The table options of the page's edits and its cleaning cards (schema, cleaning, split), as library options. */
export function tableOptions() {
  const schema = { numeric: [], categorical: [], ids: [], ignore: [], features: [] };
  for (const [column, kind] of Object.entries(state.edits.kinds)) schema[kind].push(column);
  for (const [column, role] of Object.entries(state.edits.roles)) {
    if (role === 'target') schema.target = column;
    else schema[{ id: 'ids', ignored: 'ignore', feature: 'features' }[role]].push(column);
  }
  return {
    schema,
    clean: {
      label_map: state.edits.labelMap, normalize_labels: $('normalize').checked,
      dedupe: document.querySelector('input[name=dedupe]:checked').value === 'drop',
    },
    preprocess: {
      keep_leaky: state.edits.keepLeaky, impute: $('impute').value, outliers: $('outliers').value,
      iqr_k: Number($('iqr-k').value), scale: $('scale').checked, score_by: $('score-by').value, keep: keepOption(),
      min_level_rows: Number($('min-level-rows').value), one_hot_max: Number($('one-hot-max').value),
    },
    split: { test_fraction: Number($('test-size').value) / 100, seed: Number($('seed').value) },
  };
}

/** The training settings of the page, as library options. */
export function trainOptions(models, extra = {}) {
  const num = (id) => Number($(id).value);
  return {
    ...tableOptions(),
    models: {
      ...(models ? { models } : {}),
      nn: {
        epochs: num('epochs'), batch_size: num('batch'), hidden: num('hidden'),
        learning_rate: num('lr'), generator_learning_rate: num('g-lr'), backend: $('backend').value,
        embedding_bins: num('embedding-bins'), ensemble: num('ensemble'), adapters: $('adapters').checked,
        label_smoothing: num('label-smoothing'),
        weight_decay: num('weight-decay'), keep_best: $('keep-best').checked, ...extra,
      },
    },
    seeds: num('seeds'),
    f1_thresholds: $('f1-thresholds').checked,
  };
}
