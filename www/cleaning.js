// Section 3: cleaning — what each step changed, the label merges (editable), the split and the
// preprocessing fitted on the training rows, and the feature scores.
import { $, cells, fmt, list, showError } from './dom.js';
import { state } from './state.js';
import { reread, MAX_ROWS } from './table.js';

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
  b.setAttribute('aria-label', name);
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

export function renderCleaning(r) {
  const c = r.cleaning;
  renderSuggestions(c.suggested_merges);
  renderLeaks(r.preprocessing.leaks);
  list($('cleaning'), [
    ...(c.label_changes.length ? c.label_changes.map((l) => `${l.column}: '${l.from}' → '${l.to}' (${l.rows} rows, ${l.why})`) : ['Labels: nothing to change']),
    ...c.unused_mappings.map((m) => `Mapping ${m} matched nothing`),
    ...(c.missing_target_dropped ? [`${c.missing_target_dropped} rows without a target removed`] : []),
    `${c.duplicates_removed} duplicate rows removed (all columns but IDs compared)`,
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
      : `${e.column}: one-hot over ${e.training_levels} levels`) + (e.unseen_test_rows ? `, ${e.unseen_test_rows} test rows with unseen levels` : '')),
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
}
