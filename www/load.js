// Section 1: load a table (the sample, or a file dropped or chosen). The worker opens a new
// session with it; the page then shows every stage's report.
import { $, showError } from './dom.js';
import { busy, showStages } from './status.js';
import { withEdits } from './table.js';
import { state, request, tableOptions } from './state.js';
import { stopPool } from './pool.js';
import { applyPendingEdits } from './settings.js';

// Files above this are refused before reading: the worker's WebAssembly memory ends at 4 GB,
// and a table takes about five to six times its file size while it is read, prepared and kept
// (measured: an 81 MiB CSV of 1,000,000 rows, 449 MiB).
const MAX_FILE_BYTES = 512 * 1024 * 1024;

/** Sends a load request ('sample' or 'load') and shows the table's report. */
export async function loadTable(msg, label, file, target = null) {
  // A new table starts without the previous one's edits (but the target typed for it).
  state.edits = { kinds: {}, roles: target ? { [target]: 'target' } : {}, labelMap: [], keepLeaky: [] };
  $('target-pick').hidden = true;
  $('label-map').value = '';
  // What a new worker (a helper of the pool, the worker after Stop) reads the table from: the
  // sample's settings, or the file itself (read again from disk, not held in memory).
  state.lastLoad = file ? { type: 'load', name: msg.name, file } : msg;
  // The pool's helpers hold the previous table: they go (a later run starts new ones).
  stopPool();
  busy(true, `Reading ${label}…`);
  $('error').hidden = true;
  const t0 = performance.now();
  const reply = await request({ ...msg, options: tableOptions() });
  busy(false);
  if (reply.type === 'error') {
    showError(reply.message);
    // No target found, or not a two-class one: the page asks for it and reads the file again.
    if (/\btarget\b/.test(reply.message)) offerTarget(msg, label, file, reply.message);
    return;
  }
  state.trained = false;
  state.runReport = null;
  if (reply.csv) {
    const link = $('sample-download');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([reply.csv], { type: 'text/csv' }));
    link.hidden = false;
  }
  state.render(reply.report);
  $('status').textContent = `Read ${label} in ${Math.round(performance.now() - t0)} ms.`;
  showStages(reply.report.stages);
  // (Each report shown writes the settings into the URL's hash: see app.js.)
  await applyPendingEdits(withEdits);
}

/** The Target column box, offering the file's columns named in `message` (as many as it lists). */
function offerTarget(msg, label, file, message) {
  const names = message.match(/\(columns: ([^)]*)\)/)?.[1]?.split(', ') ?? [];
  $('target-names').replaceChildren(...names.map((n) => new Option(n)));
  $('target-pick').hidden = false;
  $('target-retry').onclick = () => {
    const name = $('target-name').value.trim();
    if (!name) return;
    // The file's bytes went to the worker: they are read from the file again.
    if (file) file.arrayBuffer().then((bytes) => loadTable({ ...msg, bytes }, label, file, name));
    else loadTable(msg, label, file, name);
  };
}

export async function loadFile(file) {
  if (!file) return;
  if (file.size > MAX_FILE_BYTES) {
    return showError(`'${file.name}' is ${(file.size / 2 ** 20).toFixed(0)} MiB: this page reads files up to ` +
      `${MAX_FILE_BYTES / 2 ** 20} MiB (its memory ends at 4 GB). Sample the rows, or use the command-line churnlab.`);
  }
  busy(true, `Reading '${file.name}'…`); // at once: a big file takes a while to arrive
  $('error').hidden = true;
  loadTable({ type: 'load', name: file.name, bytes: await file.arrayBuffer() }, `'${file.name}'`, file);
}

export const loadSample = () => loadTable({ type: 'sample', rows: 5000, seed: 42 }, 'the sample');

export function wireLoad() {
  $('file').addEventListener('change', (e) => { loadFile(e.target.files[0]); e.target.value = ''; });
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); loadFile(e.dataTransfer.files[0]); });
  $('sample').addEventListener('click', loadSample);
}
