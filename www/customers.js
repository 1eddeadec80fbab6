// Section 6: customers, reasons and campaign — every scored customer with the reasons behind
// its score (searchable, sortable, a waterfall per customer), importance per column, segments
// with actions, and the threshold's what-if on the test rows. Nothing here trains: the worker's
// session explains the kept model.
import { $, cells, offer } from './dom.js';
import { state, request, label } from './state.js';
import { chartsReady, showChart, clearCharts } from './charts-host.js';

const PAGE = 50;
const view = { customers: [], explanation: null, shown: PAGE, model: null, fromFile: false };

const units = (e) => (e.method.units === 'log_odds' ? 'log-odds' : 'probability');
const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(3)}`;
const reasonText = (r) => (r ? `${r.column} = ${r.value} (${r.contribution >= 0 ? '+' : ''}${r.contribution.toFixed(2)})` : '');

function describe(e) {
  const m = e.method;
  const how = m.name === 'sampling'
    ? `estimated by sampling (${m.samples} column orders per customer against ${m.background} training rows; 95 % error bound ±${e.median_half_width.toFixed(3)} for the median customer, at most ±${m.bound.toFixed(3)})`
    : `${m.name}, against ${m.background} training rows`;
  return `Reasons: Shapley values in ${units(e)}, ${how}. For every customer, base ${e.base.toFixed(3)} (the average of those rows) ` +
    `plus the contributions is the model's score. ${e.rows} customers explained in ${e.seconds.toFixed(1)} s.`;
}

/** Customers matching the search, in the chosen order. */
function matching() {
  const q = $('customer-filter').value.trim().toLowerCase();
  const found = q
    ? view.customers.filter((c) => String(c.row + 1) === q || c.segment === q
      || c.reasons.slice(0, 3).some((r) => reasonText(r).toLowerCase().includes(q)))
    : view.customers.slice();
  const order = $('customer-sort').value;
  if (order === 'risk') found.sort((a, b) => b.probability - a.probability);
  if (order === 'risk-asc') found.sort((a, b) => a.probability - b.probability);
  if (order === 'row') found.sort((a, b) => a.row - b.row);
  return found;
}

function showCustomers() {
  const found = matching();
  const body = $('customers').tBodies[0];
  body.replaceChildren();
  for (const c of found.slice(0, view.shown)) {
    const tr = body.insertRow();
    cells(tr, [String(c.row + 1), c.probability.toFixed(3), c.segment, ...[0, 1, 2].map((k) => reasonText(c.reasons[k]))]);
    const td = tr.insertCell();
    const why = Object.assign(document.createElement('button'), { type: 'button', textContent: 'Why?' });
    why.setAttribute('aria-label', `Why customer in row ${c.row + 1} has this score`);
    why.addEventListener('click', () => showCustomer(c));
    td.append(why);
  }
  $('customer-count').textContent = `${found.length} of ${view.customers.length} customers`;
  $('customers-more').hidden = found.length <= view.shown;
}

/** Column orders of a customer's closer look, where the explanation samples. */
const REFINED = 128;

/**
 * One customer's waterfall and its sum: the contributions the table shows, or where they were
 * sampled, a closer estimate of this one customer (more column orders against more rows).
 */
async function showCustomer(row) {
  let e = view.explanation;
  let c = row;
  let refined = '';
  if (e.method.name === 'sampling') {
    const reply = await request({ type: 'explainCustomer', model: view.model, row: row.row, fromFile: view.fromFile, samples: REFINED });
    if (reply.type === 'report') {
      ({ explanation: e, customer: c } = reply.report);
      refined = ` A closer estimate for this customer: ${e.method.samples} column orders against ${e.method.background} training rows, ` +
        `95 % error bound ±${e.method.bound.toFixed(3)} per contribution (the table's: ±${view.explanation.median_half_width.toFixed(3)} for the median customer).`;
    }
  }
  const sum = c.reasons.reduce((s, r) => s + r.contribution, 0);
  $('customer-detail').hidden = false;
  $('customer-detail-h').textContent = `Customer in row ${c.row + 1}: churn probability ${c.probability.toFixed(3)} (${c.segment} risk)`;
  $('customer-sum').textContent = `base ${e.base.toFixed(3)} ${signed(sum)} (the ${c.reasons.length} contributions) = ${(e.base + sum).toFixed(3)}, ` +
    `the model's score in ${units(e)}${e.method.units === 'log_odds' ? ` (probability ${c.probability.toFixed(3)})` : ''}.${refined}`;
  $('customer-sum').dataset.base = e.base;
  $('customer-sum').dataset.sum = sum;
  $('customer-sum').dataset.score = c.score;
  await chartsReady;
  showChart($('waterfall'), 'waterfall', 'waterfall', [e.base, c.score, e.method.units, c.reasons]);
  $('customer-detail').scrollIntoView({ block: 'nearest' });
}

function showSegments(segments, csv) {
  const body = $('segments').tBodies[0];
  body.replaceChildren();
  for (const s of segments) {
    cells(body.insertRow(), [s.risk, s.reason, String(s.customers), s.mean_probability.toFixed(3),
      s.churn_rate == null ? '–' : `${(100 * s.churn_rate).toFixed(1)} %`, s.action]);
  }
  offer($('segments-download'), csv, 'text/csv');
}

async function showImportance(e) {
  await chartsReady;
  const box = $('importance-charts');
  clearCharts(box);
  showChart(box, 'importance-shap', 'importance', [`Mean |contribution| (${label(view.model)})`, units(e), e.columns, e.mean_abs]);
  if (view.fromFile) return;
  const reply = await request({ type: 'importance', model: view.model });
  if (reply.type === 'error') return;
  const i = reply.report;
  showChart(box, 'importance-permutation', 'importance', [`Permutation importance (${i.test_rows} test rows, ${i.repeats} shuffles)`, 'drop of ROC-AUC', i.columns, i.auc_drop]);
}

let asked = 0;
/** The what-if of the slider and the campaign inputs; only the latest answer is shown. */
async function whatif() {
  if (!view.model || view.fromFile) {
    $('whatif-status').textContent = 'The what-if reads the test rows of a model trained here: score with one of them.';
    return;
  }
  const threshold = Number($('threshold').value);
  $('threshold-value').textContent = threshold.toFixed(2);
  const campaign = { offer_cost: Number($('offer-cost').value), customer_value: Number($('customer-value').value), success_rate: Number($('success-rate').value) };
  const mine = ++asked;
  const reply = await request({ type: 'whatif', model: view.model, threshold, campaign });
  if (mine !== asked) return;
  if (reply.type === 'error') { $('whatif-status').textContent = reply.message; return; }
  const w = reply.report;
  const c = w.confusion;
  for (const [id, v] of [['wi-tp', c.tp], ['wi-fn', c.fn], ['wi-fp', c.fp], ['wi-tn', c.tn]]) $(id).textContent = v;
  $('whatif-status').textContent = `${label(view.model)} at threshold ${w.threshold.toFixed(2)} on ${w.rows} test rows: ` +
    `precision ${w.precision.toFixed(3)}, recall ${w.recall.toFixed(3)}, F1 ${w.f1.toFixed(3)}; ${w.contacted} offers, ` +
    `expected net value ${w.net_value.toFixed(0)}. Best threshold for this campaign: ${w.best_threshold.toFixed(2)} (net value ${w.best_net_value.toFixed(0)}); best F1 at ${w.best_f1_threshold.toFixed(2)}.`;
  await chartsReady;
  showChart($('whatif-charts'), 'net-value', 'netValue', [w.curve, w.threshold, w.best_threshold]);
}

/** A score reply (with reasons or without) for `model`. */
export function showScored(reply, model, fromFile) {
  Object.assign(view, { customers: reply.customers ?? [], explanation: reply.report.explanation, shown: PAGE, model, fromFile });
  $('customers-section').hidden = !view.explanation;
  $('customer-detail').hidden = true;
  if (!view.explanation) return;
  $('explain-summary').textContent = describe(view.explanation);
  showCustomers();
  showSegments(reply.report.action_segments, reply.segmentsCsv);
  showImportance(view.explanation);
  whatif();
}

/** A new table or a new run: what was explained before goes. */
export function resetCustomers() {
  Object.assign(view, { customers: [], explanation: null, model: null });
  $('customers-section').hidden = true;
}

export function wireCustomers() {
  $('customer-filter').addEventListener('input', () => { view.shown = PAGE; showCustomers(); });
  $('customer-sort').addEventListener('change', showCustomers);
  $('customers-more').addEventListener('click', () => { view.shown += PAGE; showCustomers(); });
  for (const id of ['threshold', 'offer-cost', 'customer-value', 'success-rate']) $(id).addEventListener('input', whatif);
}
