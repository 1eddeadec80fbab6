// Section 5: export — synthetic customers from the kept GAN, every customer scored by a kept
// model or by a model file's, the model file itself, and the full report. Nothing here trains:
// the worker's session holds the models a run trained.
import { $, offer, offerReport, showError } from './dom.js';
import { state, request, label } from './state.js';
import { showScored, resetCustomers } from './customers.js';
import { poolSize, poolCanLoad, explainOnPool, synthesizeOnPool } from './pool.js';

/** A new table (or the same one, edited) was shown: what was made from the last one goes. */
export function resetExport(r) {
  offerReport($('report-download'), r);
  for (const id of ['synth-download', 'score-download', 'model-download']) $(id).hidden = true;
  for (const id of ['score-status', 'synth-status']) $(id).textContent = '';
  resetCustomers();
}

function needTrained(statusId, what) {
  if (state.trained) return true;
  $(statusId).textContent = `Train and compare first: ${what} uses the models a run trained (nothing is trained here).`;
  return false;
}

async function synthesizeCustomers() {
  if (!needTrained('synth-status', 'generating')) return;
  const rows = Number($('synth-rows').value);
  $('synthesize').disabled = true;
  $('synth-status').textContent = `Generating ${rows} customers with the trained GAN…`;
  const t0 = performance.now();
  // The checks go to the pool when there are cores for it (the first time it has three).
  const size = poolCanLoad() && state.runOptions ? poolSize(3) : 1;
  const reply = size > 1 ? await synthesizeOnPool(rows, 0, size) : await request({ type: 'synthesize', rows, seed: 0 });
  $('synthesize').disabled = false;
  if (reply.type === 'error') { $('synth-status').textContent = ''; return showError(reply.message); }
  const q = reply.report.quality;
  offer($('synth-download'), reply.csv, 'text/csv');
  $('synth-status').textContent = `${reply.report.rows} synthetic customers (${reply.report.churners} churners) in ${Math.round(performance.now() - t0)} ms. ` +
    `Column-shape score ${q.shape_score.toFixed(3)}, correlation score ${q.correlation_score?.toFixed(3) ?? '–'}, ` +
    `real-vs-synthetic detection AUC ${q.detection_auc?.toFixed(3) ?? '–'}, F1 of a forest trained on them ${q.tstr_f1?.toFixed(3)} ` +
    `(on real rows ${q.trtr_f1?.toFixed(3)}).` + privacyText(q.privacy) + (reply.workers > 1 ? ` Checked on ${reply.workers} workers in parallel.` : '');
}

/** The privacy check of a synthesis: distance to the closest real customer. */
function privacyText(p) {
  if (!p) return '';
  return ` Privacy: median distance to the closest real customer ${p.synthetic_median.toFixed(3)} against ${p.holdout_median.toFixed(3)} ` +
    `for new real customers (protection ${p.protection.toFixed(2)} of 1); ${p.dropped} rows closer than ${p.threshold.toFixed(3)} ` +
    `to a real customer dropped${p.copies ? ` (${p.copies} exact copies)` : ''}.`;
}

async function scoreCustomers() {
  const [source, model] = $('score-model').value.split(':');
  const fromFile = source === 'file';
  if (!fromFile && !needTrained('score-status', 'scoring')) return;
  $('score').disabled = true;
  $('score-status').textContent = `Scoring every customer with ${label(model)}${fromFile ? ' of the model file' : ''}…`;
  const t0 = performance.now();
  const explain = $('score-reasons').checked;
  if (explain) $('score-status').textContent += ' and explaining every score (a few seconds)…';
  // Sampled and TreeSHAP explanations are spread over the pool (linear ones cost nothing).
  const size = explain && !fromFile && model !== 'logistic_regression' && poolCanLoad() ? poolSize(Infinity) : 1;
  const pooled = size > 1 ? await explainOnPool(model, size) : null;
  const reply = pooled?.type === 'error' ? pooled
    : await request({ type: 'score', model, fromFile, explain, parts: pooled?.parts });
  $('score').disabled = false;
  if (reply.type === 'error') { $('score-status').textContent = ''; return showError(reply.message); }
  offer($('score-download'), reply.csv, 'text/csv');
  const seg = reply.report.segments.map(([s, n]) => `${n} ${s}`).join(', ');
  const notes = reply.report.notes.length ? ` Notes: ${reply.report.notes.join('; ')}.` : '';
  const on = pooled?.parts ? ` (explained on ${size} workers in parallel)` : '';
  const reasons = reply.report.explanation ? ` With reasons${on}: see section 6.` : '';
  $('score-status').textContent = `${reply.report.rows} customers scored in ${Math.round(performance.now() - t0)} ms: ${seg} risk (high: p ≥ 0.5, medium: p ≥ 0.2).${reasons}${notes}`;
  showScored(reply, model, fromFile);
}

async function saveModel() {
  if (!needTrained('model-status', 'a model file')) return;
  const reply = await request({ type: 'saveModel', models: [] });
  if (reply.type === 'error') return showError(reply.message);
  offer($('model-download'), reply.bytes, 'application/octet-stream');
  $('model-status').textContent = `Model file ready (${(reply.bytes.byteLength / 1024).toFixed(0)} KiB): the preprocessing and every trained model, to score another table with.`;
}

/** The score menu: the kept models of the last run, then those of a loaded model file. */
export function scoreChoices() {
  const select = $('score-model');
  const before = select.value;
  select.replaceChildren();
  for (const { model, label: text } of state.models) select.add(new Option(`${text} (trained here)`, `session:${model}`));
  for (const m of state.modelFile?.models ?? []) select.add(new Option(`${m.label} (model file)`, `file:${m.model}`));
  if ([...select.options].some((o) => o.value === before)) select.value = before;
}

async function loadModel(file) {
  if (file) await useModel(file.name, await file.arrayBuffer());
}

/** Gives the session the model file `bytes` named `name` (a file chosen, or a project's models). */
export async function useModel(name, bytes) {
  const reply = await request({ type: 'loadModel', name, bytes });
  if (reply.type === 'error') { $('model-status').textContent = ''; return showError(reply.message); }
  state.modelFile = reply.report;
  scoreChoices();
  $('score-model').value = `file:${reply.report.models[0].model}`;
  const i = reply.report;
  $('model-status').textContent = `Model file '${name}': ${i.models.map((m) => m.label).join(', ')}, trained on '${i.source}' (seed ${i.seed}); ` +
    `it needs the columns ${i.features.join(', ')}. Choose it under Score.`;
}

export function wireExport() {
  $('synthesize').addEventListener('click', synthesizeCustomers);
  $('score').addEventListener('click', scoreCustomers);
  $('save-model').addEventListener('click', saveModel);
  $('model-file').addEventListener('change', (e) => { loadModel(e.target.files[0]); e.target.value = ''; });
}
