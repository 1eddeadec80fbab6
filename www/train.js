// Section 4: train and compare — the models chosen, live curves and epoch table, Pause /
// Resume / Stop, then the comparison, confusion matrices and ROC curves. The worker keeps the
// trained models for scoring, generating and saving.
import { $, cells, offerReport, showError } from './dom.js';
import { state, request, trainOptions, tableOptions, tableMessage, label, isNetwork, startWorker, dropPending } from './state.js';
import { chartsReady, showChart, clearCharts } from './charts-host.js';
import { warmUp } from './warm.js';
import { showTooGood } from './lesson.js';
import { resetCustomers } from './customers.js';
import { poolSize, poolCanLoad, runOnPool, pausePool, stopPool, showPoolChoice } from './pool.js';

const pctCell = (s) => `${(100 * s.mean).toFixed(2)}${s.std ? ` ± ${(100 * s.std).toFixed(2)}` : ''}`;

export function showModels(models) {
  if ($('models').querySelector('input')) return; // a replacement worker
  state.models = models;
  for (const { model, label: text } of models) {
    const l = document.createElement('label');
    const input = Object.assign(document.createElement('input'), { type: 'checkbox', value: model, checked: true });
    l.append(input, ` ${text} `);
    $('models').append(l);
  }
}

/** Shows the Pause button as paused or not (the worker holds, or goes on). */
function showPaused(on) {
  state.paused = on;
  $('pause').textContent = on ? 'Resume' : 'Pause';
  $('pause').setAttribute('aria-pressed', String(on));
}

// Pause holds training after the current epoch (the worker waits for 'resume').
export function setPaused(on) {
  if (on === state.paused) return;
  state.worker.postMessage({ type: on ? 'pause' : 'resume' });
  pausePool(on);
  showPaused(on);
}

// Whether a run is in progress (Step then goes on by one epoch instead of starting one).
let inRun = false;

/** Step: trains one epoch (or one classical model) and holds; started from rest, on one worker. */
function step() {
  if (!inRun) return train({ step: true });
  state.worker.postMessage({ type: 'step' });
  showPaused(false);
}

// The GAN's last glimpse (real and generated rows after an epoch), drawn for the chosen columns.
let lastGlimpse = null;

/** The columns the generator's view can show: the model inputs, numbers first. */
export function showGlimpseChoices(r) {
  const names = r.preprocessing.feature_names;
  const numeric = names.filter((n) => !n.includes('='));
  const order = [...numeric, ...names.filter((n) => n.includes('='))];
  for (const [id, pick] of [['glimpse-x', 0], ['glimpse-y', 1]]) {
    const select = $(id);
    const before = select.value;
    select.replaceChildren(...order.slice(0, 500).map((n) => new Option(n, n)));
    select.value = order.includes(before) ? before : order[Math.min(pick, order.length - 1)] ?? '';
  }
  lastGlimpse = null;
  $('glimpse-box').hidden = true;
  clearCharts($('glimpse-chart'));
}

function drawGlimpse() {
  const g = lastGlimpse;
  if (!g) return;
  const names = state.report.preprocessing.feature_names;
  const [x, y] = ['glimpse-x', 'glimpse-y'].map((id) => names.indexOf($(id).value));
  if (x < 0 || y < 0) return;
  const points = (rows) => {
    const out = [];
    for (let i = 0; i + g.cols <= rows.length; i += g.cols) out.push([rows[i + x], rows[i + y]]);
    return out;
  };
  $('glimpse-box').hidden = false;
  showChart($('glimpse-chart'), 'glimpse', 'scatter', [`Generated against real rows, epoch ${g.epoch}`, names[x], names[y],
    [['real training rows', points(g.real)], ['generated', points(g.fake)]]]);
}

/** Stops whatever the worker is doing: a fresh worker takes over, with the same table. */
export function stop() {
  setPaused(false);
  stopPool();
  state.worker.terminate();
  dropPending('Stopped.');
  startWorker();
  tableMessage()
    .then((msg) => msg && request({ ...msg, options: tableOptions() }))
    .then((r) => { if (r?.type === 'error') showError(r.message); else if (r) warmUp(); })
    .catch(() => showError('Stopped. The file could not be read again (changed or moved since it was loaded): load it again.'));
}

/** A 2 × 2 confusion matrix of one model's test rows, as a small table. */
function confusion(title, c, seed) {
  const table = document.createElement('table');
  table.className = 'confusion';
  table.createCaption().textContent = `${title} (seed ${seed})`;
  const head = table.createTHead().insertRow();
  head.append(document.createElement('td'));
  for (const t of ['predicted churn', 'predicted stay']) head.append(Object.assign(document.createElement('th'), { textContent: t }));
  const body = table.createTBody();
  for (const [name, a, b] of [['churned', c.tp, c.fn], ['stayed', c.fp, c.tn]]) {
    const row = body.insertRow();
    row.append(Object.assign(document.createElement('th'), { textContent: name }));
    cells(row, [a, b]);
  }
  return table;
}

/** The progress bar and time left of a run of `total` steps; pauses are left out. */
function progressBar(total) {
  const t0 = performance.now();
  let pausedMs = 0;
  let pausedAt = null;
  let done = 0;
  const bar = $('train-progress');
  Object.assign(bar, { max: total, value: 0, hidden: false });
  const elapsed = () => (performance.now() - t0 - pausedMs) / 1000;
  return {
    elapsed,
    get done() { return done; },
    step() {
      bar.value = ++done;
      const e = elapsed();
      $('eta').textContent = `${done} / ${total} steps, ${e.toFixed(0)} s; about ${(e / done * (total - done)).toFixed(0)} s left`;
    },
    pause() { pausedAt = performance.now(); },
    resume() { pausedMs += performance.now() - (pausedAt ?? performance.now()); pausedAt = null; },
    end() { bar.hidden = true; $('eta').textContent = ''; },
  };
}

/** The handler of a run's progress events: curves, the epoch table, status and progress. */
function onProgress(total) {
  const histories = new Map();
  let firstSeed = null;
  let before = '';
  const bar = progressBar(total);
  const handle = (e) => {
    if (e.kind === 'backend') $('backend-status').textContent = `Networks on ${e.label}.`;
    if (e.kind === 'paused') {
      showPaused(true);
      bar.pause();
      before = $('train-status').textContent;
      $('train-status').textContent = `Paused after ${bar.done} of ${total} steps: press Resume to go on.`;
    }
    if (e.kind === 'resumed') { showPaused(false); bar.resume(); $('train-status').textContent = before; }
    if (e.kind === 'fit') {
      firstSeed ??= e.seed;
      $('train-status').textContent = `Training ${label(e.model)} (seed ${e.seed})…`;
    }
    if (e.kind === 'scored' && !isNetwork(e.model)) bar.step();
    if (e.kind === 'epoch') {
      bar.step();
      const s = e.stats;
      if (e.seed === firstSeed) {
        const h = histories.get(e.model) ?? [];
        h.push(s);
        histories.set(e.model, h);
        showChart($('train-charts'), `curves-${e.model}`, 'curves', [label(e.model), h]);
        if (s.glimpse) { lastGlimpse = { ...s.glimpse, epoch: s.epoch }; drawGlimpse(); }
      }
      const f = (x) => (x == null || Number.isNaN(x) ? '–' : x.toFixed(4));
      cells($('epoch-table').tBodies[0].insertRow(), [label(e.model), String(e.seed), String(s.epoch),
        f(s.train_accuracy), f(s.val_accuracy), f(s.train_loss), f(s.val_loss), f(s.d_loss), f(s.g_loss), s.seconds.toFixed(3)]);
    }
  };
  return { handle, bar };
}

function showComparison(report) {
  const body = $('comparison').tBodies[0];
  const metrics = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'];
  const best = Object.fromEntries(metrics.map((k) => [k, Math.max(...report.models.map((m) => m.summary[k].mean))]));
  for (const m of report.models) {
    const x = m.summary;
    const c = m.runs[0].scores.confusion;
    const row = body.insertRow();
    const p = m.paired;
    const paired = p ? `${p.f1.mean >= 0 ? '+' : ''}${p.f1.mean.toFixed(2)} ± ${p.f1.std.toFixed(2)} points vs ${p.against} (higher on ${p.wins} of ${m.runs.length} seeds)` : '–';
    const t = x.tuned;
    const tuned = t ? `${t.threshold.mean.toFixed(2)}: ${pctCell(t.accuracy)} %, F1 ${pctCell(t.f1)}` : '–';
    cells(row, [m.label, ...metrics.map((k) => pctCell(x[k])), x.train_seconds.mean.toFixed(2), x.predict_seconds.mean.toFixed(2), tuned, `${c.tp} / ${c.fp} / ${c.fn} / ${c.tn}`, paired]);
    // The best value of each metric column stands out.
    metrics.forEach((k, i) => { if (x[k].mean === best[k]) row.cells[i + 1].classList.add('best'); });
  }
  for (const m of report.models) $('confusions').append(confusion(m.label, m.runs[0].scores.confusion, m.runs[0].seed));
  offerReport($('report-download'), report);
  showChart($('train-charts'), 'roc', 'roc', [report.models.map((m) => [m.label, m.runs[0].roc])]);
}

/** While a run trains, only Pause and Stop act on the worker's session. */
function running(on) {
  for (const id of ['train', 'score', 'synthesize', 'save-model', 'lesson-run']) $(id).disabled = on;
  $('stop').disabled = !on;
  $('pause').disabled = !on;
}

// Rows of each kind in the GAN's glimpse; none for tables of more inputs than the view can pick from.
const GLIMPSE_ROWS = 200;
const GLIMPSE_MAX_INPUTS = 256;

export async function train({ step: stepping = false } = {}) {
  const models = [...document.querySelectorAll('#models input:checked')].map((i) => i.value);
  if (!models.length) return showError('Choose at least one model.');
  const inputs = state.report?.preprocessing.feature_names.length ?? Infinity;
  const options = trainOptions(models, inputs <= GLIMPSE_MAX_INPUTS ? { glimpse: GLIMPSE_ROWS } : {});
  $('error').hidden = true;
  running(true);
  $('epoch-table').tBodies[0].replaceChildren();
  $('comparison').tBodies[0].replaceChildren();
  $('confusions').replaceChildren();
  $('lesson').tBodies[0].replaceChildren();
  $('lesson-status').textContent = '';
  showTooGood(null);
  resetCustomers();
  clearCharts($('train-charts'));
  await chartsReady;
  const total = options.seeds * models.reduce((n, m) => n + (isNetwork(m) ? options.models.nn.epochs : 1), 0);
  const { handle, bar } = onProgress(total);
  // Independent fits (models × seeds) go to a pool of workers when there are cores for it.
  const fits = options.seeds * models.length;
  // Stepping runs on one worker: one epoch at a time is one model at a time.
  const size = !stepping && poolCanLoad() ? poolSize(fits) : 1;
  $('pool-status').textContent = '';
  inRun = true;
  $('step').disabled = size > 1;
  const reply = size > 1 ? await runOnPool(options, size, handle) : await request({ type: 'run', options, step: stepping }, handle);
  inRun = false;
  $('step').disabled = false;
  setPaused(false);
  running(false);
  bar.end();
  if (reply.type === 'error') { $('train-status').textContent = ''; return showError(reply.message); }
  state.trained = true;
  state.runReport = reply.report;
  // A pool worker checking synthetic customers makes the run's split again from these.
  state.runOptions = options;
  showComparison(reply.report);
  showTooGood(reply.report);
  showPool(reply);
  const notes = reply.report.models.map((m) => m.runs[0]?.note).filter(Boolean);
  $('train-status').textContent =
    `Trained in ${bar.elapsed().toFixed(1)} s. Majority class: ${(100 * reply.report.majority_accuracy).toFixed(2)} %.` +
    (notes.length ? ` Note: ${notes.join('; ')}.` : '');
}

/** How many workers trained, and each one's memory. */
function showPool(reply) {
  const mib = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const memory = reply.memory;
  $('pool-status').textContent = reply.workers > 1
    ? `Trained on ${reply.workers} workers in parallel (WebAssembly memory: session's worker ${mib(memory[0])}, ` +
      `${memory.slice(1).map((m, i) => `helper ${i + 1} ${mib(m)}`).join(', ')}).`
    : `Trained on one worker (WebAssembly memory ${mib(memory ?? state.workerMemory)}).`;
}

export function wireTrain() {
  showPoolChoice();
  $('train').addEventListener('click', train);
  $('stop').addEventListener('click', stop);
  $('pause').addEventListener('click', () => setPaused(!state.paused));
  $('step').addEventListener('click', step);
  for (const id of ['glimpse-x', 'glimpse-y']) $(id).addEventListener('change', drawGlimpse);
}
