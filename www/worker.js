// Runs the wasm library off the main thread. Messages in: {id, type: 'sample'|'inspect', ...}.
// Messages out: {id, type: 'ready'|'report'|'error', ...}.
import init, { inspect, run, score, synthesize, sampleCsv, availableModels } from './pkg/churnlab.js';

let ready = init();
// The table last read, for 'run' (the page does not send it twice).
let current = null;

self.onmessage = async ({ data: msg }) => {
  try {
    await ready;
    if (msg.type === 'sample') {
      const csv = sampleCsv(msg.rows ?? 5000, msg.seed ?? 42);
      const bytes = new TextEncoder().encode(csv);
      const report = inspect(bytes, 'churnlab-sample.csv', msg.options ?? null);
      current = { bytes, name: 'churnlab-sample.csv' };
      self.postMessage({ id: msg.id, type: 'report', report, csv });
    } else if (msg.type === 'inspect') {
      const bytes = new Uint8Array(msg.bytes);
      const report = inspect(bytes, msg.name, msg.options ?? null);
      current = { bytes, name: msg.name };
      self.postMessage({ id: msg.id, type: 'report', report });
    } else if (msg.type === 'run') {
      if (!current) throw new Error('load a table first');
      const report = run(current.bytes, current.name, msg.options ?? null,
        (event) => self.postMessage({ id: msg.id, type: 'progress', event }));
      self.postMessage({ id: msg.id, type: 'report', report });
    } else if (msg.type === 'score') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = score(current.bytes, current.name, msg.options ?? null, msg.model);
      self.postMessage({ id: msg.id, type: 'report', report, csv });
    } else if (msg.type === 'synthesize') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = synthesize(current.bytes, current.name, msg.options ?? null, msg.rows, msg.seed ?? 0);
      self.postMessage({ id: msg.id, type: 'report', report, csv });
    } else {
      throw new Error(`unknown request '${msg.type}'`);
    }
  } catch (err) {
    // A wasm trap leaves the instance unusable: start a fresh one for the next file.
    if (err instanceof WebAssembly.RuntimeError) ready = init();
    self.postMessage({ id: msg.id, type: 'error', message: err?.message ?? String(err) });
  }
};

ready.then(() => self.postMessage({ type: 'ready', models: availableModels() }),
  (err) => self.postMessage({ type: 'error', message: `could not start: ${err?.message ?? err}` }));
