// The "Reported in the paper" table: scores typed by the user, kept in this browser, checked
// in the worker against the test set's size and class balance.
import { $, cells } from './dom.js';
import { state, request } from './state.js';

const REPORTED_KEY = 'churnlab-reported';
const REPORTED_SCORES = ['accuracy', 'precision', 'recall', 'f1'];

export function showReported() {
  const saved = JSON.parse(localStorage.getItem(REPORTED_KEY) ?? '{}');
  const body = $('reported').tBodies[0];
  body.replaceChildren();
  for (const { model, label } of state.models) {
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


export function wireReported() {
  $('reported-check').addEventListener('click', checkReported);
}
