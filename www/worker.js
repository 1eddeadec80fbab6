// Runs the wasm library off the main thread. Messages in: {id, type: 'sample'|'inspect', ...}.
// Messages out: {id, type: 'ready'|'report'|'error', ...}.
import init, { inspect, run, score, synthesize, sampleCsv, availableModels } from './pkg/churnlab.js';

const ready = init();
// Bytes of WebAssembly memory the worker holds (it only grows), sent with every reply.
const memory = async () => (await ready).memory.buffer.byteLength;
// The table last read, for 'run' (the page does not send it twice).
let current = null;

self.onmessage = async ({ data: msg }) => {
  const reply = async (m) => self.postMessage({ ...m, id: msg.id, memory: await memory().catch(() => null) });
  try {
    await ready;
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
    } else if (msg.type === 'run') {
      if (!current) throw new Error('load a table first');
      const report = run(current.bytes, current.name, msg.options ?? null,
        (event) => self.postMessage({ id: msg.id, type: 'progress', event }));
      await reply({ type: 'report', report });
    } else if (msg.type === 'score') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = score(current.bytes, current.name, msg.options ?? null, msg.model);
      await reply({ type: 'report', report, csv });
    } else if (msg.type === 'synthesize') {
      if (!current) throw new Error('load a table first');
      const { report, csv } = synthesize(current.bytes, current.name, msg.options ?? null, msg.rows, msg.seed ?? 0);
      await reply({ type: 'report', report, csv });
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
