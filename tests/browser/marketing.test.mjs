// From scores to a campaign in the page: reasons per customer (searchable, sortable, a
// waterfall that adds up), segments exported, the threshold what-if, suggested label merges
// applied with one click, a leaked column flagged and overridden, the too-good banner, the
// leakage lesson, and the privacy of synthetic customers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forFile, screenshot, chooseModels, download, train, waitForRead } from './harness.mjs';

const env = forFile();


test('suggested merges are applied with one click, never silently', async () => {
  const { page, errors } = env.browser;
  await page.goto(`${env.srv.origin}/`);
  await waitForRead(page, 'the sample');
  assert.equal(await page.isVisible('#merge-suggestions'), true);
  const items = await page.$$eval('#merge-list li', (els) => els.map((e) => e.firstChild.textContent));
  for (const want of ["PreferredLoginDevice: 'Phone'", "PreferredPaymentMode: 'CC'", "PreferredPaymentMode: 'COD'", "PreferedOrderCat: 'Mobile'"]) {
    assert.ok(items.some((t) => t.startsWith(want)), `${want} in ${items}`);
  }
  // Nothing merged yet.
  assert.doesNotMatch(await page.textContent('#effect-labels'), /'CC' → 'Credit Card'/);
  await page.click('#merge-list li:first-child button');
  await page.waitForFunction(() => document.getElementById('merge-list').children.length === 3, null, { timeout: 30_000 });
  await page.click('#merge-all');
  await page.waitForFunction(() => document.getElementById('merge-suggestions').hidden, null, { timeout: 30_000 });
  assert.match(await page.textContent('#effect-labels'), /PreferredPaymentMode: 'CC' → 'Credit Card' \(\d+ rows, mapping\)/);
  assert.match(await page.inputValue('#label-map'), /PreferredPaymentMode: CC = Credit Card/);
  assert.deepEqual(errors, []);
});

test('scores with reasons: search, sort, a waterfall that adds up, segments and the what-if', async () => {
  const { page, errors } = env.browser;
  await page.goto(`${env.srv.origin}/`);
  await waitForRead(page, 'the sample');
  await chooseModels(page, ['logistic_regression', 'random_forest']);
  const { report, error } = await train(page);
  assert.ok(report, error);
  await page.selectOption('#score-model', 'session:random_forest');
  assert.equal(await page.isChecked('#score-reasons'), true);
  await page.click('#score');
  await page.waitForSelector('#customers-section:not([hidden])', { timeout: 120_000 });
  assert.match(await page.textContent('#explain-summary'), /Shapley values in probability, exact \(TreeSHAP\), against 16 training rows/);
  // Highest risk first, 50 a page.
  const probs = await page.$$eval('#customers tbody tr', (rows) => rows.map((r) => Number(r.cells[1].textContent)));
  assert.equal(probs.length, 50);
  assert.ok(probs.every((p, i) => i === 0 || probs[i - 1] >= p), 'sorted by risk');
  assert.match(await page.textContent('#customer-count'), /^5000 of 5000 customers$/);
  // The CSV carries the three strongest reasons of every customer.
  const csv = await download(page, '#score-download');
  assert.match(csv.split('\n')[0], /,churn_probability,risk_segment,reason_1,reason_2,reason_3$/);
  // Search: customers whose top reasons mention Complain = 1.
  await page.fill('#customer-filter', 'complain = 1');
  const found = Number((await page.textContent('#customer-count')).split(' ')[0]);
  assert.ok(found > 0 && found < 5000, `${found} found`);
  const texts = await page.$$eval('#customers tbody tr', (rows) => rows.map((r) => [3, 4, 5].map((k) => r.cells[k].textContent).join(' ')));
  assert.ok(texts.every((t) => /Complain = 1/.test(t)));
  // One customer's waterfall: the contributions shown sum to the shown score.
  await page.click('#customers tbody tr:first-child button');
  await page.waitForSelector('#waterfall figure svg .marks rect');
  const d = await page.$eval('#customer-sum', (e) => ({ ...e.dataset, text: e.textContent }));
  assert.ok(Math.abs(Number(d.base) + Number(d.sum) - Number(d.score)) < 1e-9, JSON.stringify(d));
  const shownProb = Number(await page.$eval('#customers tbody tr:first-child', (r) => r.cells[1].textContent));
  assert.ok(Math.abs(Number(d.score) - shownProb) < 5e-4, `${d.score} vs ${shownProb}`);
  const [base, , total] = d.text.match(/^base (-?[\d.]+) ([+-][\d.]+) .*= (-?[\d.]+)/).slice(1);
  assert.ok(Math.abs(Number(base) + Number(d.sum) - Number(total)) < 2e-3, d.text);
  await page.fill('#customer-filter', '');
  await page.selectOption('#customer-sort', 'row');
  assert.equal(await page.$eval('#customers tbody tr:first-child', (r) => r.cells[0].textContent), '1');
  // Segments: every customer in one, exported as CSV.
  const seg = await download(page, '#segments-download');
  const lines = seg.trimEnd().split('\n');
  assert.equal(lines[0], 'risk,dominant_reason,customers,mean_churn_probability,churn_rate,suggested_action');
  const total5000 = lines.slice(1).reduce((n, l) => n + Number(l.match(/^[a-z]+,(?:"[^"]*"|[^,]*),(\d+),/)[1]), 0);
  assert.equal(total5000, 5000);
  assert.ok(await page.$$eval('#segments tbody tr', (r) => r.length) === lines.length - 1);
  // The what-if: at 0.5 the comparison's own confusion matrix; moving the threshold moves it.
  await page.waitForFunction(() => document.getElementById('whatif-status').textContent.includes('at threshold 0.50'));
  const rf = report.models.find((m) => m.model === 'random_forest').runs[0].scores.confusion;
  const cell = async (id) => Number(await page.textContent(`#${id}`));
  assert.deepEqual([await cell('wi-tp'), await cell('wi-fp'), await cell('wi-fn'), await cell('wi-tn')], [rf.tp, rf.fp, rf.fn, rf.tn]);
  await page.$eval('#threshold', (e) => { e.value = '0.2'; e.dispatchEvent(new Event('input')); });
  await page.waitForFunction(() => document.getElementById('whatif-status').textContent.includes('at threshold 0.20'));
  assert.ok(await cell('wi-tp') >= rf.tp && await cell('wi-fp') >= rf.fp);
  assert.equal(await cell('wi-tp') + await cell('wi-fp') + await cell('wi-fn') + await cell('wi-tn'), report.inspect.split.test_rows);
  const net = (s) => Number(s.match(/expected net value (-?\d+)/)[1]);
  const before = net(await page.textContent('#whatif-status'));
  await page.fill('#offer-cost', '50');
  await page.waitForFunction((b) => !document.getElementById('whatif-status').textContent.includes(`expected net value ${b}.`), before);
  assert.ok(net(await page.textContent('#whatif-status')) < before, 'dearer offers earn less');
  assert.equal(await page.$$eval('#whatif-charts figure', (f) => f.length), 1);
  assert.equal(await page.$$eval('#importance-charts figure', (f) => f.length), 2);
  await screenshot(page, 'customers');
  assert.deepEqual(errors, []);
});

/** The sample with a column that is the target in other words. */
async function leakyTable(page) {
  const sample = await download(page, '#sample-download');
  const [header, ...rows] = sample.trimEnd().split('\n');
  const churn = header.split(',').indexOf('Churn');
  const text = [`${header},AccountStatus`, ...rows.map((r) => `${r},${r.split(',')[churn] === '1' ? 'closed' : 'active'}`)].join('\n');
  const path = join(await mkdtemp(join(tmpdir(), 'churnlab-leak-')), 'leaky.csv');
  await writeFile(path, text);
  return path;
}

test('a leaked column is flagged and left out, kept on request with a banner; the lesson inflates scores', async () => {
  const { page, errors } = env.browser;
  await page.goto(`${env.srv.origin}/`);
  await waitForRead(page, 'the sample');
  const path = await leakyTable(page);
  await page.setInputFiles('#file', path);
  await waitForRead(page, 'leaky.csv');
  assert.equal(await page.isVisible('#leaks'), true);
  assert.match(await page.textContent('#leak-list'), /AccountStatus: ROC-AUC 1\.000 alone .* left out/);
  await chooseModels(page, ['logistic_regression', 'random_forest']);
  let run = await train(page);
  assert.ok(run.report, run.error);
  assert.equal(await page.isVisible('#too-good'), false, 'left out: honest scores');
  assert.ok(!run.report.inspect.preprocessing.feature_names.some((n) => n.startsWith('AccountStatus')));
  // The leakage lesson: oversampling before the split inflates the forest's accuracy.
  await page.selectOption('#lesson-protocol', 'oversample_before_split');
  await page.click('#lesson-run');
  await page.waitForFunction(() => document.getElementById('lesson-status').textContent.startsWith('Leaky protocol'), null, { timeout: 120_000 });
  const rfRow = await page.$$eval('#lesson tbody tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)).find((c) => c[0] === 'Random Forest'));
  assert.ok(parseFloat(rfRow[2]) > parseFloat(rfRow[1]), `leaky ${rfRow[2]} vs leak-free ${rfRow[1]}`);
  // Kept on request: a feature again, and the run is too good to be true.
  await page.click('#leak-list button');
  await page.waitForFunction(() => /kept as a feature/.test(document.getElementById('leak-list').textContent), null, { timeout: 30_000 });
  run = await train(page);
  assert.ok(run.report, run.error);
  await page.waitForSelector('#too-good:not([hidden])');
  assert.match(await page.textContent('#too-good'), /Too good to be true\?.*'AccountStatus' is kept/s);
  await screenshot(page, 'too-good');
  assert.deepEqual(errors, []);
});

test('synthetic customers come with their distance to the closest real customer', async () => {
  const { page, errors } = env.browser;
  await page.goto(`${env.srv.origin}/`);
  await waitForRead(page, 'the sample');
  const offered = await chooseModels(page, ['gan']);
  if (!offered.includes('gan')) return;
  await page.fill('#epochs', '2');
  const { report, error } = await train(page);
  assert.ok(report, error);
  await page.fill('#synth-rows', '300');
  await page.click('#synthesize');
  await page.waitForSelector('#synth-download:not([hidden])', { timeout: 60_000 });
  const text = await page.textContent('#synth-status');
  const m = text.match(/^(\d+) synthetic customers .* Privacy: median distance to the closest real customer ([\d.]+) against ([\d.]+) .* (\d+) rows closer than/);
  assert.ok(m, text);
  assert.equal(Number(m[1]) + Number(m[4]), 300, 'kept + dropped = asked');
  const csv = await download(page, '#synth-download');
  assert.equal(csv.trimEnd().split('\n').length, Number(m[1]) + 1);
  assert.deepEqual(errors, []);
});
