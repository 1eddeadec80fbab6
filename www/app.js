// The page: sends files to the worker and renders its reports. No data leaves the tab.
// Charts are drawn on the main thread by the same wasm module (plotters measures text through
// the DOM, which the worker lacks), in a hidden empty frame (see charts.js); each becomes an
// <img> of an SVG blob, with a link to download it.

// The module is compiled once, by the first worker (streaming, off the main thread), which
// sends it here; the page hands it to the charts' frame and to any later worker.
let compiled;
const wasmModule = new Promise((resolve, reject) => { compiled = { resolve, reject }; });
// Out of sight but laid out (in a display: none frame every text would measure 0 × 0).
// A standards-mode document, as the page is: text measures the same.
const chartsFrame = Object.assign(document.createElement('iframe'), {
  className: 'charts-frame', title: 'charts (not shown)', tabIndex: -1, srcdoc: '<!doctype html><title>charts</title>',
});
chartsFrame.setAttribute('aria-hidden', 'true');
document.body.append(chartsFrame);
const chartsReady = new Promise((resolve, reject) => {
  addEventListener('message', ({ data, source }) => {
    if (source !== chartsFrame.contentWindow || !('chartsReady' in (data ?? {}))) return;
    if (data.chartsReady) resolve(); else reject(new Error(data.error));
  });
  chartsFrame.addEventListener('load', () => {
    const frameDoc = chartsFrame.contentDocument;
    const script = Object.assign(frameDoc.createElement('script'), { type: 'module', src: new URL('charts.js', location.href).href });
    script.onerror = () => reject(new Error('charts.js could not be loaded'));
    script.onload = () => wasmModule.then((module) => chartsFrame.contentWindow.postMessage({ module }, location.origin), reject);
    frameDoc.head.append(script);
  }, { once: true });
});
/** Draws chart `name` ('heatmap', 'distribution', 'curves', 'roc') of `args`: SVG text. */
const draw = (name, ...args) => chartsFrame.contentWindow.draw(name, args);
const MAX_DISTRIBUTIONS = 60;
const $ = (id) => document.getElementById(id);
let nextId = 0;
const pending = new Map();
const progressHandlers = new Map();
// Files above this are refused before reading: the worker's WebAssembly memory ends at 4 GB,
// and a table takes about five times its file size while it is read and prepared (measured: an
// 81 MiB CSV of 1,000,000 rows needs 441 MiB).
const MAX_FILE_BYTES = 512 * 1024 * 1024;

// Whether the current worker has run its warm-up (see warmUp).
let warmedWorker = false;
let worker = startWorker();
// The last table load, to give a replacement worker (after Stop) the same table.
let lastLoad = null;
const KEEP_COPY_BYTES = 64 * 1024 * 1024;

function startWorker() {
  warmedWorker = false;
  const w = new Worker('worker.js', { type: 'module' });
  // The first worker compiles the module; later ones get it (see wasmModule).
  w.postMessage({ type: 'module', module: compiled.module ?? null });
  w.onmessage = ({ data }) => {
    if (data.type === 'module') {
      compiled.module = data.module;
      return data.module ? compiled.resolve(data.module) : compiled.reject(new Error(data.error));
    }
    if (data.memory) $('memory').textContent = `Worker memory (WebAssembly): ${(data.memory / 2 ** 20).toFixed(0)} MiB.`;
    if (data.type === 'ready') return showModels(data.models);
    if (data.type === 'progress') return progressHandlers.get(data.id)?.(data.event);
    if (data.fatal) {
      // The instance trapped (out of memory?): a fresh worker takes the next file.
      w.terminate();
      worker = startWorker();
    }
    const done = pending.get(data.id);
    if (!done) { if (data.type === 'error') showError(data.message); return; }
    pending.delete(data.id);
    done(data);
  };
  return w;
}

function request(msg, onProgress) {
  return new Promise((resolve) => {
    const id = ++nextId;
    pending.set(id, (reply) => { progressHandlers.delete(id); resolve(reply); });
    if (onProgress) progressHandlers.set(id, onProgress);
    worker.postMessage({ ...msg, id }, msg.bytes ? [msg.bytes] : []);
  });
}

/** Stops whatever the worker is doing: a fresh worker takes over, with the same table. */
function stop() {
  setPaused(false);
  worker.terminate();
  for (const done of pending.values()) done({ type: 'error', message: 'Stopped.' });
  pending.clear();
  worker = startWorker();
  if (lastLoad && (lastLoad.type === 'sample' || lastLoad.bytes)) {
    const again = { ...lastLoad, bytes: lastLoad.bytes?.slice(0) };
    request(again).then((r) => { if (r.type === 'error') showError(r.message); else warmUp(); });
  } else if (lastLoad) {
    showError('Stopped. The table was too large to keep a copy: load it again.');
  }
}

// The user's corrections of the table: column kinds and roles (schema options) and label
// merges (cleaning options). Sent with every request about the current table.
let tableEdits = { kinds: {}, roles: {}, labelMap: [] };

function tableOptions() {
  const schema = { numeric: [], categorical: [], ids: [], ignore: [], features: [] };
  for (const [column, kind] of Object.entries(tableEdits.kinds)) schema[kind].push(column);
  for (const [column, role] of Object.entries(tableEdits.roles)) {
    if (role === 'target') schema.target = column;
    else schema[{ id: 'ids', ignored: 'ignore', feature: 'features' }[role]].push(column);
  }
  return { schema, clean: { label_map: tableEdits.labelMap } };
}

/** A <select> of `values` showing `current`; `onChange` gets the new value. */
function choice(values, current, onChange) {
  const select = document.createElement('select');
  for (const v of values) select.add(new Option(v, v, false, v === current));
  select.addEventListener('change', () => onChange(select.value));
  return select;
}

/** Reads the current table again with the edits; an edit the table refuses is taken back. */
async function reread(undo) {
  busy(true, 'Reading the table again with your changes…');
  const reply = await request({ type: 'reinspect', options: tableOptions() });
  busy(false);
  if (reply.type === 'error') {
    undo();
    $('error').textContent = `That change was not applied: ${reply.message}`;
    $('error').hidden = false;
    $('status').textContent = 'The table is shown as before the change.';
    return;
  }
  $('error').hidden = true;
  render(reply.report);
  $('status').textContent = 'Read the table again with your changes.';
}

function override(column, what, value) {
  const map = what === 'kind' ? tableEdits.kinds : tableEdits.roles;
  const before = map[column];
  map[column] = value;
  reread(() => { if (before === undefined) delete map[column]; else map[column] = before; });
}

/** Label merges from the editor: one per line, `Column: From = To` (the column is optional). */
function applyLabelMap() {
  const lines = $('label-map').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const parsed = [];
  for (const line of lines) {
    const m = line.match(/^(?:([^:=]+):)?([^=]+)=(.*)$/);
    if (!m) return showError(`Label merge '${line}' is not 'Column: From = To'.`);
    parsed.push({ column: m[1]?.trim() || null, from: m[2].trim(), to: m[3].trim() });
  }
  const before = tableEdits.labelMap;
  tableEdits.labelMap = parsed;
  reread(() => { tableEdits.labelMap = before; });
}

/** The training settings of the page, as library options (also for scoring and synthesis). */
function trainOptions(models) {
  const num = (id) => Number($(id).value);
  return {
    ...tableOptions(),
    models: {
      ...(models ? { models } : {}),
      nn: {
        epochs: num('epochs'), batch_size: num('batch'), hidden: num('hidden'),
        learning_rate: num('lr'), generator_learning_rate: num('g-lr'), backend: $('backend').value,
      },
    },
    seeds: num('seeds'),
    split: { seed: num('seed') },
  };
}

const modelLabels = {
  gan: 'GAN (semi-supervised)', logistic_regression: 'Logistic Regression', random_forest: 'Random Forest',
  naive_bayes: 'Gaussian Naive Bayes', knn: 'KNN', mlp: 'MLP',
};

function showModels(models) {
  if ($('models').querySelector('input')) return; // a replacement worker
  for (const m of models) $('score-model').add(new Option(modelLabels[m] ?? m, m));
  const box = $('models');
  for (const m of models) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    Object.assign(input, { type: 'checkbox', value: m, checked: true });
    label.append(input, ` ${modelLabels[m] ?? m} `);
    box.append(label);
  }
}

const pctCell = (s) => `${(100 * s.mean).toFixed(2)}${s.std ? ` ± ${(100 * s.std).toFixed(2)}` : ''}`;

const neural = new Set(['gan', 'mlp']);

// Pause holds training after the current epoch (the worker waits for 'resume').
let pausedNow = false;
function setPaused(on) {
  if (on === pausedNow) return;
  pausedNow = on;
  worker.postMessage({ type: on ? 'pause' : 'resume' });
  $('pause').textContent = on ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(on));
}

async function train() {
  const models = [...document.querySelectorAll('#models input:checked')].map((i) => i.value);
  if (!models.length) return showError('Choose at least one model.');
  const options = trainOptions(models);
  $('error').hidden = true;
  $('train').disabled = true;
  $('stop').disabled = false;
  $('pause').disabled = false;
  $('epoch-table').tBodies[0].replaceChildren();
  $('comparison').tBodies[0].replaceChildren();
  $('confusions').replaceChildren();
  clearCharts($('train-charts'));
  await chartsReady;
  const histories = new Map();
  let firstSeed = null;
  const t0 = performance.now();
  // Time spent paused, left out of the elapsed time and the ETA.
  let pausedMs = 0;
  let pausedAt = null;
  let statusBeforePause = '';
  const elapsedSeconds = () => (performance.now() - t0 - pausedMs) / 1000;
  // Progress: one step per network epoch and per other model's fit, over every seed.
  const total = options.seeds * models.reduce((n, m) => n + (neural.has(m) ? options.models.nn.epochs : 1), 0);
  let done = 0;
  const bar = $('train-progress');
  Object.assign(bar, { max: total, value: 0, hidden: false });
  const step = () => {
    bar.value = ++done;
    const elapsed = elapsedSeconds();
    $('eta').textContent = `${done} / ${total} steps, ${elapsed.toFixed(0)} s; about ${(elapsed / done * (total - done)).toFixed(0)} s left`;
  };
  const reply = await request({ type: 'run', options }, (e) => {
    if (e.kind === 'backend') $('backend-status').textContent = `Networks on ${e.label}.`;
    if (e.kind === 'paused') {
      pausedAt = performance.now();
      statusBeforePause = $('train-status').textContent;
      $('train-status').textContent = `Paused after ${done} of ${total} steps: press Resume to go on.`;
    }
    if (e.kind === 'resumed') {
      pausedMs += performance.now() - (pausedAt ?? performance.now());
      pausedAt = null;
      $('train-status').textContent = statusBeforePause;
    }
    if (e.kind === 'fit') firstSeed ??= e.seed;
    if (e.kind === 'fit') $('train-status').textContent = `Training ${modelLabels[e.model]} (seed ${e.seed})…`;
    if (e.kind === 'scored' && !neural.has(e.model)) step();
    if (e.kind === 'epoch') {
      step();
      const s = e.stats;
      if (e.seed === firstSeed) {
        const h = histories.get(e.model) ?? [];
        h.push(s);
        histories.set(e.model, h);
        showChart($('train-charts'), `curves-${e.model}`, `${modelLabels[e.model]} training curves`, draw('curves', modelLabels[e.model], h));
      }
      const f = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(4));
      cells($('epoch-table').tBodies[0].insertRow(), [modelLabels[e.model], String(e.seed), String(s.epoch),
        f(s.train_accuracy), f(s.val_accuracy), f(s.train_loss), f(s.val_loss), f(s.d_loss), f(s.g_loss), s.seconds.toFixed(3)]);
    }
  });
  setPaused(false);
  $('train').disabled = false;
  $('stop').disabled = true;
  $('pause').disabled = true;
  bar.hidden = true;
  $('eta').textContent = '';
  if (reply.type === 'error') { $('train-status').textContent = ''; return showError(reply.message); }
  const body = $('comparison').tBodies[0];
  const metrics = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'];
  const best = Object.fromEntries(metrics.map((k) => [k, Math.max(...reply.report.models.map((m) => m.summary[k].mean))]));
  for (const m of reply.report.models) {
    const x = m.summary;
    const c = m.runs[0].scores.confusion;
    const row = body.insertRow();
    cells(row, [m.label, ...metrics.map((k) => pctCell(x[k])), x.train_seconds.mean.toFixed(2), `${c.tp} / ${c.fp} / ${c.fn} / ${c.tn}`]);
    // The best value of each metric column stands out.
    metrics.forEach((k, i) => { if (x[k].mean === best[k]) row.cells[i + 1].classList.add('best'); });
  }
  for (const m of reply.report.models) $('confusions').append(confusion(m.label, m.runs[0].scores.confusion, m.runs[0].seed));
  offerReport($('report-download'), reply.report);
  showChart($('train-charts'), 'roc', 'ROC curves', draw('roc', reply.report.models.map((m) => [m.label, m.runs[0].roc])));
  $('train-status').textContent =
    `Trained in ${elapsedSeconds().toFixed(1)} s. Majority class: ${(100 * reply.report.majority_accuracy).toFixed(2)} %.`;
}

/** A 2 × 2 confusion matrix of one model's test rows, as a small table. */
function confusion(label, c, seed) {
  const table = document.createElement('table');
  table.className = 'confusion';
  table.createCaption().textContent = `${label} (seed ${seed})`;
  const head = table.createTHead().insertRow();
  for (const t of ['', 'predicted churn', 'predicted stay']) head.append(Object.assign(document.createElement('th'), { textContent: t }));
  const body = table.createTBody();
  for (const [name, a, b] of [['churned', c.tp, c.fn], ['stayed', c.fp, c.tn]]) {
    const row = body.insertRow();
    row.append(Object.assign(document.createElement('th'), { textContent: name }));
    cells(row, [a, b]);
  }
  return table;
}

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = false;
  $('status').textContent = 'Could not use that file. Load another one.';
}

function busy(on, text) {
  $('sample').disabled = on;
  $('file').disabled = on;
  $('load-progress').hidden = !on; // indeterminate: the worker reads in one step
  if (text) $('status').textContent = text;
}

async function run(msg, label) {
  // A new table starts without the previous one's edits.
  tableEdits = { kinds: {}, roles: {}, labelMap: [] };
  $('label-map').value = '';
  // Kept for Stop (which restarts the worker); a large file is not copied.
  lastLoad = !msg.bytes ? msg
    : msg.bytes.byteLength <= KEEP_COPY_BYTES ? { ...msg, bytes: msg.bytes.slice(0) } : { type: 'inspect', name: msg.name };
  busy(true, `Reading ${label}…`);
  $('error').hidden = true;
  const t0 = performance.now();
  const reply = await request(msg);
  busy(false);
  if (reply.type === 'error') return showError(reply.message);
  if (reply.csv) {
    const link = $('sample-download');
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(new Blob([reply.csv], { type: 'text/csv' }));
    link.hidden = false;
  }
  render(reply.report);
  $('status').textContent = `Read ${label} in ${Math.round(performance.now() - t0)} ms.`;
}

async function loadFile(file) {
  if (!file) return;
  if (file.size > MAX_FILE_BYTES) {
    return showError(`'${file.name}' is ${(file.size / 2 ** 20).toFixed(0)} MiB: this page reads files up to ` +
      `${MAX_FILE_BYTES / 2 ** 20} MiB (its memory ends at 4 GB). Sample the rows, or use the command-line churnlab.`);
  }
  busy(true, `Reading '${file.name}'…`); // at once: a big file takes a while to arrive
  $('error').hidden = true;
  run({ type: 'inspect', name: file.name, bytes: await file.arrayBuffer() }, `'${file.name}'`);
}

const fmt = (x) => x == null ? '–' : Number.isInteger(x) ? String(x) : x.toFixed(3);
const pct = (a, b) => `${(100 * a / Math.max(b, 1)).toFixed(1)} %`;

function cells(row, values) {
  for (const v of values) {
    const td = document.createElement('td');
    if (typeof v === 'number' || v === '–') td.className = 'num';
    td.textContent = typeof v === 'number' ? fmt(v) : v;
    row.append(td);
  }
}

function list(el, items) {
  el.replaceChildren(...items.map((text) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  }));
}

const chartUrls = new Map();

/** Shows `svg` in the figure `key` inside `box` (created on first use), with a download link. */
function showChart(box, key, title, svg) {
  let fig = box.querySelector(`figure[data-key="${CSS.escape(key)}"]`);
  if (!fig) {
    fig = document.createElement('figure');
    fig.dataset.key = key;
    const img = document.createElement('img');
    img.alt = title;
    const link = document.createElement('a');
    link.textContent = 'SVG';
    link.download = `${key.replace(/[^A-Za-z0-9-]+/g, '_')}.svg`;
    const caption = document.createElement('figcaption');
    caption.append(link);
    fig.append(img, caption);
    box.append(fig);
  }
  if (chartUrls.has(key)) URL.revokeObjectURL(chartUrls.get(key));
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  chartUrls.set(key, url);
  fig.querySelector('img').src = url;
  fig.querySelector('a').href = url;
}

function clearCharts(box) {
  for (const fig of box.querySelectorAll('figure')) {
    URL.revokeObjectURL(chartUrls.get(fig.dataset.key));
    chartUrls.delete(fig.dataset.key);
  }
  box.replaceChildren();
}

// Counts the explore chart drawings begun: a newer one (another table read) ends an older one.
let exploreDrawings = 0;
const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * Draws the explore charts a few at a time, giving the page a turn after every ~30 ms, so that
 * no main-thread task runs long; the box is aria-busy until all are drawn.
 */
async function exploreCharts(r) {
  const drawing = ++exploreDrawings;
  const box = $('explore-charts');
  try {
    await chartsReady;
    await nextTurn(); // after the tables' own task
    if (drawing !== exploreDrawings) return;
    clearCharts(box);
    box.setAttribute('aria-busy', 'true');
    const c = r.exploration.correlation;
    showChart(box, 'correlation', 'Correlation heatmap', draw('heatmap', c));
    const t = r.schema.target;
    const all = r.exploration.distributions;
    // Thousands of charts would freeze the tab: the first ones are drawn, all are in the report.
    // Drawn into a detached grid that joins the page at the end, so that the page is not laid
    // out again between slices: a 10,000-column table showed its charts 15 s after the file was
    // dropped this way, 35-40 s with each chart added to the page as it was drawn.
    const grid = document.createDocumentFragment();
    let sliceStart = performance.now();
    for (const d of all.slice(0, MAX_DISTRIBUTIONS)) {
      if (performance.now() - sliceStart > 30) {
        await nextTurn();
        if (drawing !== exploreDrawings) return;
        sliceStart = performance.now();
      }
      showChart(grid, `distribution-${d.column}`, `Distribution of ${d.column}`, draw('distribution', d, t.positive, t.negative));
    }
    box.append(grid);
    $('explore-note').textContent = [
      c.omitted ? `The heatmap shows the ${c.columns.length - 1} numeric features most correlated with '${t.column}'; ${c.omitted} more are left out.` : '',
      all.length > MAX_DISTRIBUTIONS ? `Distribution charts of the first ${MAX_DISTRIBUTIONS} of ${all.length} features; every one is in the JSON report.` : '',
    ].join(' ').trim();
  } catch (err) {
    showError(`Charts could not be drawn: ${err?.message ?? err}`);
  } finally {
    if (drawing === exploreDrawings) box.removeAttribute('aria-busy');
  }
  warmUp();
}

/**
 * Once the page is idle after a load, warms what a training run will need, so that its first
 * epochs do not pay for it while the page should stay responsive. Here: a training-curve and a
 * ROC chart are drawn once, out of sight (measured on six fresh pages training the sample:
 * without it the longest main-thread task was 64–95 ms in five of them, with it 50–62 ms in
 * three and none in three). In the worker: its warm-up training (see worker.js), once per worker.
 */
let warmedCharts = false;
function warmUp() {
  requestIdleCallback(() => {
    if (!warmedCharts) {
      warmedCharts = true;
      const epoch = (n) => ({ epoch: n, train_loss: 0.5, train_accuracy: 0.8, val_loss: 0.5, val_accuracy: 0.8, d_loss: 1, g_loss: 1, seconds: 0.1 });
      draw('curves', '', [epoch(1), epoch(2)]);
      draw('roc', [['', [[0, 0], [1, 1]]]]);
    }
    if (!warmedWorker) {
      warmedWorker = true;
      request({ type: 'warmUp' });
    }
  }, { timeout: 2000 });
}

/** Points `link` at a download of `text` (the previous blob is released). */
function offer(link, text, type) {
  link.onclick = null;
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.hidden = false;
}

/**
 * Points `link` at a download of the report `r` as JSON, made when first clicked: for a
 * 10,000-column table the text takes a good part of a second to write.
 */
function offerReport(link, r) {
  if (link.href) URL.revokeObjectURL(link.href);
  link.href = '#'; // a link still, until its click puts the file there
  link.hidden = false;
  link.onclick = () => offer(link, JSON.stringify(r, null, 2), 'application/json');
}

async function synthesizeCustomers() {
  const rows = Number($('synth-rows').value);
  $('synthesize').disabled = true;
  $('synth-status').textContent = `Training the GAN and generating ${rows} customers…`;
  const reply = await request({ type: 'synthesize', rows, seed: 0, options: trainOptions() });
  $('synthesize').disabled = false;
  if (reply.type === 'error') { $('synth-status').textContent = ''; return showError(reply.message); }
  const q = reply.report.quality;
  offer($('synth-download'), reply.csv, 'text/csv');
  $('synth-status').textContent = `${reply.report.rows} synthetic customers (${reply.report.churners} churners). ` +
    `Column-shape score ${q.shape_score.toFixed(3)}, correlation score ${q.correlation_score?.toFixed(3) ?? '–'}, ` +
    `real-vs-synthetic detection AUC ${q.detection_auc?.toFixed(3) ?? '–'}, F1 of a forest trained on them ${q.tstr_f1?.toFixed(3)} ` +
    `(on real rows ${q.trtr_f1?.toFixed(3)}).`;
}

async function scoreCustomers() {
  const model = $('score-model').value;
  $('score').disabled = true;
  $('score-status').textContent = `Fitting ${modelLabels[model]} and scoring every customer…`;
  const reply = await request({ type: 'score', model, options: trainOptions() });
  $('score').disabled = false;
  if (reply.type === 'error') { $('score-status').textContent = ''; return showError(reply.message); }
  offer($('score-download'), reply.csv, 'text/csv');
  const seg = reply.report.segments.map(([s, n]) => `${n} ${s}`).join(', ');
  $('score-status').textContent = `${reply.report.rows} customers scored: ${seg} risk (high: p ≥ 0.5, medium: p ≥ 0.2).`;
}

// Tables of one row per column show at most this many rows: 10,000 rows of them took ~10 s
// to build and lay out, a frozen tab (measured). The columns table finds the others by name.
const MAX_ROWS = 200;
// The report the page shows, for the columns table's filter.
let shownReport = null;

/** The columns table: every column, or with many, the first MAX_ROWS whose name has the filter. */
function showColumns() {
  const r = shownReport;
  const filter = $('column-filter').value.trim().toLowerCase();
  const matching = r.exploration.summary.map((c, i) => [c, r.schema.columns[i]])
    .filter(([c]) => c.name.toLowerCase().includes(filter));
  const body = $('columns').tBodies[0];
  body.replaceChildren();
  const shown = matching.slice(0, MAX_ROWS);
  // The target's row is always there.
  const target = matching.find(([c]) => c.role === 'target');
  if (target && !shown.includes(target)) shown.push(target);
  for (const [c, info] of shown) {
    const tr = body.insertRow();
    tr.className = `role-${c.role}`;
    tr.dataset.column = c.name;
    const top = c.top.slice(0, 4).map((l) => `${l.level} ${l.count}`).join(', ');
    const why = c.role === 'target' ? '' : info.reason;
    cells(tr, [c.name, c.kind, c.role, c.missing, c.unique, c.min ?? '–', c.max ?? '–', c.mean ?? '–', c.std ?? '–',
      [top, why].filter(Boolean).join('; ')]);
    // Kind and role are editable: a change reads the table again with that override.
    tr.cells[1].replaceChildren(choice(['numeric', 'categorical'], c.kind, (v) => override(c.name, 'kind', v)));
    tr.cells[2].replaceChildren(choice(['target', 'feature', 'id', 'ignored'], c.role, (v) => override(c.name, 'role', v)));
  }
  const all = r.exploration.summary.length;
  $('column-count').textContent = matching.length > MAX_ROWS
    ? `${MAX_ROWS} of the ${matching.length} ${filter ? 'matching columns' : 'columns'} shown`
    : `${matching.length} of ${all} columns`;
}

function render(r) {
  exploreCharts(r);
  offerReport($('report-download'), r);
  $('synth-download').hidden = true;
  $('score-download').hidden = true;
  $('score-status').textContent = '';
  $('synth-status').textContent = '';
  const s = r.source;
  const how = [s.format, s.delimiter && `delimiter '${s.delimiter}'`, s.encoding, s.sheet && `sheet '${s.sheet}'`].filter(Boolean);
  $('file-summary').textContent = `${s.file_name}: ${s.rows} rows × ${s.columns} columns (${how.join(', ')})`;
  list($('file-notes'), [
    ...s.notes,
    ...s.non_numeric.map((v) => `'${v.column}' has ${v.count} non-numeric values, read as missing (e.g. row ${v.examples[0].row}: '${v.examples[0].value}')`),
    ...r.schema.notes,
  ]);
  const t = r.schema.target;
  $('target-summary').textContent =
    `Target '${t.column}': ${t.positives} '${t.positive}' (${pct(t.positives, t.positives + t.negatives)}) and ${t.negatives} '${t.negative}'` +
    (t.missing ? `, ${t.missing} missing` : '') + `. ${t.reason}.`;

  shownReport = r;
  $('column-filter').value = '';
  $('column-find').hidden = r.exploration.summary.length <= MAX_ROWS;
  showColumns();

  const c = r.cleaning;
  list($('cleaning'), [
    ...(c.label_changes.length ? c.label_changes.map((l) => `${l.column}: '${l.from}' → '${l.to}' (${l.rows} rows, ${l.why})`) : ['Labels: nothing to change']),
    ...c.unused_mappings.map((m) => `Mapping ${m} matched nothing`),
    ...(c.missing_target_dropped ? [`${c.missing_target_dropped} rows without a target removed`] : []),
    `${c.duplicates_removed} duplicate rows removed (all columns but IDs compared)`,
  ]);
  const sp = r.split;
  $('reported-rows').value = sp.test_rows;
  $('reported-churners').value = sp.test_positives;
  $('split-summary').textContent =
    `Stratified split (seed ${sp.seed}): ${sp.train_rows} training rows (${sp.train_positives} positive), ${sp.test_rows} test rows (${sp.test_positives} positive).`;
  const p = r.preprocessing;
  list($('preprocessing'), [
    ...p.imputation.map((i) => `${i.column}: ${i.train_missing} missing in train, ${i.test_missing} in test → ${i.fill}`),
    ...p.outliers.columns.filter((o) => o.train_outside + o.test_outside > 0)
      .map((o) => `${o.column}: ${o.train_outside} training and ${o.test_outside} test values outside [${fmt(o.lo)}, ${fmt(o.hi)}] (${p.outliers.method})`),
    ...p.encoding.map((e) => `${e.column}: one-hot over ${e.levels.length} levels` + (e.unseen_test_rows ? `, ${e.unseen_test_rows} test rows with unseen levels` : '')),
    `${p.feature_names.length} model inputs${p.scaled ? ', standardised' : ''}, all fitted on the ${p.train_rows} training rows only`,
  ]);
  const scores = $('scores').tBodies[0];
  scores.replaceChildren();
  for (const f of p.selection.scores.slice(0, MAX_ROWS)) {
    cells(scores.insertRow(), [f.column, f.mutual_information.toFixed(4), f.correlation.toFixed(3), f.kept ? 'yes' : 'no']);
  }
  $('scores-note').textContent = p.selection.scores.length > MAX_ROWS
    ? `The first ${MAX_ROWS} of ${p.selection.scores.length} features; every one is in the JSON report.` : '';
  $('results').hidden = false;
}

// Scores reported in the paper: typed by the user, kept in this browser, checked in the worker.
const REPORTED_KEY = 'churnlab-reported';
const REPORTED_SCORES = ['accuracy', 'precision', 'recall', 'f1'];

function showReported() {
  const saved = JSON.parse(localStorage.getItem(REPORTED_KEY) ?? '{}');
  const body = $('reported').tBodies[0];
  body.replaceChildren();
  for (const [model, label] of Object.entries(modelLabels)) {
    const row = body.insertRow();
    row.dataset.model = model;
    cells(row, [label]);
    for (const k of REPORTED_SCORES) {
      const input = Object.assign(document.createElement('input'), { value: saved[model]?.[k] ?? '', size: 6 });
      input.setAttribute('aria-label', `${label}: ${k} reported in the paper`);
      input.addEventListener('change', saveReported);
      row.insertCell().append(input);
    }
    row.insertCell();
  }
}

function reportedRows() {
  return [...$('reported').tBodies[0].rows].map((row) => ({
    row,
    model: row.dataset.model,
    scores: Object.fromEntries(REPORTED_SCORES.map((k, i) => [k, row.cells[i + 1].firstChild.value.trim()])),
  }));
}

function saveReported() {
  localStorage.setItem(REPORTED_KEY, JSON.stringify(Object.fromEntries(reportedRows().map((r) => [r.model, r.scores]))));
}

async function checkReported() {
  const rows = Number($('reported-rows').value);
  const positives = Number($('reported-churners').value);
  const counted = Number.isInteger(rows) && Number.isInteger(positives) && positives > 0 && rows > positives;
  for (const { row, scores } of reportedRows()) {
    const verdict = row.cells[5];
    if (!Object.values(scores).some(Boolean)) { verdict.textContent = ''; continue; }
    if (!counted) { verdict.textContent = 'give the test rows and how many of them churned (fewer than all)'; continue; }
    const reply = await request({ type: 'checkReported', reported: scores, positives, negatives: rows - positives });
    if (reply.type === 'error') { verdict.textContent = reply.message; continue; }
    const { consistent, closest: c, gap } = reply.report;
    const matrix = `TP ${c.tp} / FP ${c.fp} / FN ${c.fn} / TN ${c.tn}`;
    verdict.textContent = consistent
      ? `possible (e.g. ${matrix})`
      : `impossible on this test set: the nearest matrix (${matrix}) misses by ${gap.toFixed(2)} points`;
    verdict.classList.toggle('impossible', !consistent);
  }
}

showReported();
$('reported-check').addEventListener('click', checkReported);

$('file').addEventListener('change', (e) => { loadFile(e.target.files[0]); e.target.value = ''; });
const drop = $('drop');
drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); loadFile(e.dataTransfer.files[0]); });
$('train').addEventListener('click', train);
$('stop').addEventListener('click', stop);
$('pause').addEventListener('click', () => setPaused(!pausedNow));
$('apply-labels').addEventListener('click', applyLabelMap);
$('synthesize').addEventListener('click', synthesizeCustomers);
$('score').addEventListener('click', scoreCustomers);
$('column-filter').addEventListener('input', showColumns);
$('sample').addEventListener('click', () => run({ type: 'sample', rows: 5000, seed: 42 }, 'the sample'));

// The sample is ready as soon as the page is.
run({ type: 'sample', rows: 5000, seed: 42 }, 'the sample');
