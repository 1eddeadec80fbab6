// Section 3: cleaning — a card per cleaning choice (labels, duplicates, missing values,
// outliers, scaling, feature selection, the split), each with its switch and what it changed on
// this table; a change reads the kept table again through the session (no re-parse), and the
// split, preprocessing, feature scores and their chart follow. Then the label merges
// (editable), the leaky columns, and the feature scores.
import { $, cells, fmt, list, showError } from './dom.js';
import { state } from './state.js';
import { reread, MAX_ROWS } from './table.js';
import { showChart, clearCharts, chartsReady } from './charts-host.js';
import { applySettings, settings } from './settings.js';

const few = (items, n = 3) => items.slice(0, n).join('; ') + (items.length > n ? `; and ${items.length - n} more` : '');
/** Label merges from the editor: one per line, `Column: From = To` (the column is optional). */
function applyLabelMap() {
  const lines = $('label-map').value.split('\n').map((l) => l.trim()).filter(Boolean);
  const parsed = [];
  for (const line of lines) {
    const m = line.match(/^(?:([^:=]+):)?([^=]+)=(.*)$/);
    if (!m) return showError(`Label merge '${line}' is not 'Column: From = To'.`);
    parsed.push({ column: m[1]?.trim() || null, from: m[2].trim(), to: m[3].trim() });
  }
  const before = state.edits.labelMap;
  state.edits.labelMap = parsed;
  reread(() => { state.edits.labelMap = before; });
}

/** Adds label merges to the edits and reads the table again (undone if it refuses them). */
function addMerges(merges) {
  const before = state.edits.labelMap;
  state.edits.labelMap = [...before, ...merges.map((m) => ({ column: m.column, from: m.from, to: m.to }))];
  $('label-map').value = state.edits.labelMap.map((m) => `${m.column ? `${m.column}: ` : ''}${m.from} = ${m.to}`).join('\n');
  reread(() => { state.edits.labelMap = before; });
}

/** A list item: `text` and a button that does `act`. */
function action(text, button, act, name) {
  const li = Object.assign(document.createElement('li'), { textContent: text });
  const b = Object.assign(document.createElement('button'), { type: 'button', textContent: button });
  b.setAttribute('aria-label', `${button}: ${name}`);
  b.addEventListener('click', act);
  li.append(b);
  return li;
}

function renderSuggestions(suggested) {
  $('merge-suggestions').hidden = !suggested.length;
  $('merge-list').replaceChildren(...suggested.map((m) => action(
    `${m.column}: '${m.from}' (${m.from_rows} rows) → '${m.to}' (${m.to_rows} rows), by ${m.why}`,
    'Apply', () => addMerges([m]), `Merge ${m.column} '${m.from}' into '${m.to}'`)));
  $('merge-all').onclick = () => addMerges(suggested);
}

function setKept(column, keep) {
  const before = state.edits.keepLeaky;
  state.edits.keepLeaky = keep ? [...before, column] : before.filter((c) => c !== column);
  reread(() => { state.edits.keepLeaky = before; });
}

function renderLeaks(leaks) {
  $('leaks').hidden = !leaks.length;
  $('leak-list').replaceChildren(...leaks.map((l) => action(
    `${l.column}: ROC-AUC ${l.auc.toFixed(3)} alone (${l.how}) — ${l.kept ? 'kept as a feature, as you asked' : 'left out'}`,
    l.kept ? 'Leave it out' : 'Keep it anyway', () => setKept(l.column, !l.kept),
    `${l.kept ? 'Leave out' : 'Keep'} the column ${l.column}`)));
}

/** What each card's choice did on this table. */
function showEffects(r) {
  const c = r.cleaning;
  const p = r.preprocessing;
  const changes = c.label_changes.map((l) => `${l.column}: '${l.from}' → '${l.to}' (${l.rows} rows, ${l.why})`);
  $('effect-labels').textContent = changes.length ? `${changes.length} labels changed: ${few(changes)}.`
    : $('normalize').checked ? 'No two labels differ only in spacing or case.' : 'Labels are used exactly as written.';
  const keep = $('card-duplicates').querySelector('input:checked').value === 'keep';
  const d = $('effect-duplicates');
  d.classList.toggle('warn', keep);
  d.textContent = keep
    ? 'Kept. Leakage warning: a customer repeated in both the training and the test rows is scored on a row the models have learnt, so the test scores flatter them (the leakage lesson in section 4 measures how much).'
    : `${c.duplicates_removed} duplicate rows removed (every column but IDs compared).`;
  const fills = p.imputation.map((i) => `${i.column}: ${i.train_missing} + ${i.test_missing} → ${i.fill}${i.indicator ? ' (+ indicator)' : ''}`);
  $('effect-missing').textContent = fills.length ? `${fills.length} columns had missing cells (training + test): ${few(fills)}.` : 'No feature has a missing cell.';
  const outside = p.outliers.columns.filter((o) => o.train_outside + o.test_outside > 0);
  const trainOut = outside.reduce((n, o) => n + o.train_outside, 0);
  $('effect-outliers').textContent = p.outliers.method === 'none' ? 'Every value is used as it is.'
    : outside.length ? `${outside.length} columns have values outside their fences: ${trainOut} training values ${p.outliers.method === 'drop' ? 'dropped with their rows' : 'clipped'} (${few(outside.map((o) => `${o.column} [${fmt(o.lo)}, ${fmt(o.hi)}]`))}).`
      : 'No value lies outside the fences.';
  const merged = p.encoding.filter((e) => e.other_levels.length);
  const shares = p.encoding.filter((e) => e.encoding === 'frequency');
  $('effect-categories').textContent = [
    merged.length ? `${merged.length} columns merge rare levels into 'other': ${few(merged.map((e) => `${e.column} (${e.other_levels.length} levels)`))}.` : 'No column has two or more rare levels.',
    shares.length ? `${shares.length} columns have too many levels for one input each and are encoded by each level's share: ${few(shares.map((e) => `${e.column} (${e.training_levels})`))}.` : '',
  ].join(' ').trim();
  $('effect-scaling').textContent = p.scaled ? `${p.feature_names.length} inputs standardised with the training rows' means and deviations.`
    : 'Inputs keep their own units: models that measure distances (KNN) or take gradient steps (the networks, LR) weigh wide columns more.';
  const kept = p.selection.scores.filter((f) => f.kept).length;
  $('effect-selection').textContent = `${kept} of ${p.selection.scores.length} features kept, scored on the training rows by ${p.selection.score_by === 'correlation' ? '|correlation|' : 'mutual information'} with the target.`;
  const sp = r.split;
  $('effect-split').textContent = `${sp.train_rows} training rows (${sp.train_positives} churners) and ${sp.test_rows} test rows (${sp.test_positives} churners), stratified: both keep the table's churn rate.`;
  $('keep-value').disabled = $('keep').value === 'all';
}

/** The feature scores as a chart (the kept ones, or all), redrawn with every cleaning change. */
async function scoreChart(p) {
  await chartsReady;
  const box = $('score-charts');
  clearCharts(box);
  const by = p.selection.score_by;
  const scores = p.selection.scores;
  if (!scores.length) return;
  showChart(box, 'feature-scores', 'importance', [`Feature scores on the training rows (${by === 'correlation' ? '|correlation|' : 'mutual information'})`,
    by === 'correlation' ? '|correlation|' : 'mutual information', scores.map((f) => f.column + (f.kept ? '' : ' (left out)')),
    scores.map((f) => (by === 'correlation' ? f.correlation : f.mutual_information))]);
}

export function renderCleaning(r) {
  const c = r.cleaning;
  state.lastSettings = settings();
  renderSuggestions(c.suggested_merges);
  renderLeaks(r.preprocessing.leaks);
  showEffects(r);
  scoreChart(r.preprocessing).catch((err) => showError(`Charts could not be drawn: ${err?.message ?? err}`));
  $('label-map').value = state.edits.labelMap.map((m) => `${m.column ? `${m.column}: ` : ''}${m.from} = ${m.to}`).join('\n');
  list($('cleaning'), [
    ...c.unused_mappings.map((m) => `Mapping ${m} matched nothing`),
    ...(c.missing_target_dropped ? [`${c.missing_target_dropped} rows without a target removed`] : []),
  ]);
  const sp = r.split;
  $('split-summary').textContent =
    `Stratified split (seed ${sp.seed}): ${sp.train_rows} training rows (${sp.train_positives} positive), ${sp.test_rows} test rows (${sp.test_positives} positive).`;
  const p = r.preprocessing;
  list($('preprocessing'), [
    ...p.imputation.map((i) => `${i.column}: ${i.train_missing} missing in train, ${i.test_missing} in test → ${i.fill}`),
    ...p.outliers.columns.filter((o) => o.train_outside + o.test_outside > 0)
      .map((o) => `${o.column}: ${o.train_outside} training and ${o.test_outside} test values outside [${fmt(o.lo)}, ${fmt(o.hi)}] (${p.outliers.method})`),
    ...p.encoding.map((e) => (e.encoding === 'frequency'
      ? `${e.column}: ${e.training_levels} levels, too many for one input each: encoded as one input, each level's share of the training rows`
      : `${e.column}: one-hot over ${e.training_levels} levels` + (e.other_levels.length ? `, the ${e.other_levels.length} with fewer than ${e.min_level_rows} training rows sharing one 'other' input` : '')) + (e.unseen_test_rows ? `, ${e.unseen_test_rows} test rows with unseen levels` : '')),
    `${p.feature_names.length} model inputs${p.scaled ? ', standardised' : ''}, all fitted on the ${p.train_rows} training rows only`,
  ]);
  const scores = $('scores').tBodies[0];
  scores.replaceChildren();
  for (const f of p.selection.scores.slice(0, MAX_ROWS)) {
    cells(scores.insertRow(), [f.column, f.mutual_information.toFixed(4), f.correlation.toFixed(3), f.kept ? 'yes' : 'no']);
  }
  $('scores-note').textContent = p.selection.scores.length > MAX_ROWS
    ? `The first ${MAX_ROWS} of ${p.selection.scores.length} features; every one is in the JSON report.` : '';
}

export function wireCleaning() {
  $('apply-labels').addEventListener('click', applyLabelMap);
  // Every card's switch reads the table again; a choice the table refuses is taken back.
  // (The merges editor applies with its button, not on change.)
  $('clean-cards').addEventListener('change', (e) => {
    if (e.target.id !== 'label-map') reread(() => applySettings(state.lastSettings));
  });
}
