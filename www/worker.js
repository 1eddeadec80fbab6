// Runs the wasm library off the main thread. Messages in: {id, type: 'sample'|'inspect', ...}.
// Messages out: {id, type: 'ready'|'report'|'error', ...}.
import init, { inspect, sampleCsv } from './pkg/churnlab.js';

let ready = init();

self.onmessage = async ({ data: msg }) => {
  try {
    await ready;
    if (msg.type === 'sample') {
      const csv = sampleCsv(msg.rows ?? 5000, msg.seed ?? 42);
      const report = inspect(new TextEncoder().encode(csv), 'churnlab-sample.csv', msg.options ?? null);
      self.postMessage({ id: msg.id, type: 'report', report, csv });
    } else if (msg.type === 'inspect') {
      const report = inspect(new Uint8Array(msg.bytes), msg.name, msg.options ?? null);
      self.postMessage({ id: msg.id, type: 'report', report });
    } else {
      throw new Error(`unknown request '${msg.type}'`);
    }
  } catch (err) {
    // A wasm trap leaves the instance unusable: start a fresh one for the next file.
    if (err instanceof WebAssembly.RuntimeError) ready = init();
    self.postMessage({ id: msg.id, type: 'error', message: err?.message ?? String(err) });
  }
};

ready.then(() => self.postMessage({ type: 'ready' }),
  (err) => self.postMessage({ type: 'error', message: `could not start: ${err?.message ?? err}` }));
