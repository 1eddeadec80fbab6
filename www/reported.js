// The "Reported in the paper" table: the paper's own rows to start with, editable, what the
// visitor types kept in this browser; checked in the worker against the test set's size and
// class balance, with a paragraph reading what the checks found.
import { $, cells } from './dom.js';
import { state, request, label } from './state.js';

const REPORTED_KEY = 'churnlab-reported';
const REPORTED_SCORES = ['accuracy', 'precision', 'recall', 'f1'];

/**
 * The paper's own rows (Patel, 2026: Table 3, the GAN's also Table 2), in percent as printed.
 * Its abstract names Random Forest and Naive Bayes too, with no row.
 */
const PAPER = {
  gan: { accuracy: '95.79', precision: '93.8', recall: '92', f1: '92' },
  mlp: { accuracy: '70.30', precision: '78.10', recall: '76', f1: '77' },
  logistic_regression: { accuracy: '90', precision: '82', recall: '50', f1: '62' },
  knn: { accuracy: '81.9', precision: '67.2', recall: '51.1', f1: '47.7' },
};

/** The table, each row with the visitor's numbers if they typed any, else the paper's. */
export function showReported(fromPaper = false) {
  const saved = fromPaper ? {} : JSON.parse(localStorage.getItem(REPORTED_KEY) ?? '{}');
  const body = $('reported').tBodies[0];
  body.replaceChildren();
  $('reported-reading').textContent = '';
  for (const { model, label: text } of state.models) {
    const row = body.insertRow();
    row.dataset.model = model;
    const paper = PAPER[model];
    cells(row, [`${text} ${paper ? '(paper, Table 3)' : '(no row in the paper)'}`]);
    for (const k of REPORTED_SCORES) {
      const value = saved[model]?.[k] ?? paper?.[k] ?? '';
      const input = Object.assign(document.createElement('input'), { value, size: 6 });
      input.setAttribute('aria-label', `${text}: ${k} reported in the paper`);
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
  $('reported-reading').textContent = counted ? reading(rows, positives) : '';
}

/** One paragraph on what the checks found, and which rows a trivial rule beats. */
function reading(rows, positives) {
  const checked = reportedRows().filter((r) => Object.values(r.scores).some(Boolean));
  if (!checked.length) return '';
  const name = (r) => label(r.model);
  const impossible = checked.filter((r) => r.row.cells[5].classList.contains('impossible')).map(name);
  const majority = 100 * Math.max(positives, rows - positives) / rows;
  const pct = (v) => (Number(v) <= 1 ? 100 * Number(v) : Number(v));
  const below = checked.filter((r) => r.scores.accuracy && pct(r.scores.accuracy) < majority).map(name);
  const list = (xs) => xs.join(', ');
  return `On a test set of ${rows} customers of whom ${positives} churned, ` +
    (impossible.length ? `no confusion matrix gives the scores printed for ${list(impossible)}: ` +
      'those numbers cannot all come from such a test set (a different split, duplicates kept or churners oversampled before the split would explain them). '
      : `every row checked is possible. `) +
    (below.length ? `${list(below)} ${below.length > 1 ? 'score' : 'scores'} below always predicting the larger class (${majority.toFixed(1)} %), a baseline any model should beat. ` : '') +
    'The leak-free results above are measured on this table, never tuned on its test rows.';
}


export function wireReported() {
  $('reported-check').addEventListener('click', checkReported);
  $('reported-paper').addEventListener('click', () => { localStorage.removeItem(REPORTED_KEY); showReported(true); });
}
