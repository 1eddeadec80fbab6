// The page as a teaching tool: charts read by hover and keyboard (checked against the report),
// cleaning cards whose switches change the report and the charts, settings restored from a
// link and from a project file, Step through training with the generator's view, page messages
// that point to page controls, offline after the first visit, and axe-core on every step in
// both themes (zero violations), with screenshots of each step at 1280 and 390 px.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { forFile, launch, screenshot, chooseModels, download, train, waitForRead } from './harness.mjs';

const axeSource = await readFile(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
const env = forFile();

async function openSample(page, hash = '') {
  await page.goto('about:blank'); // a new document: a change of hash alone would not load the page again
  await page.goto(`${env.srv.origin}/${hash}`);
  await waitForRead(page, 'the sample');
  await page.waitForFunction(() => document.querySelector('#explore-charts figure svg') &&
    !document.getElementById('explore-charts').hasAttribute('aria-busy'), null, { timeout: 60_000 });
}

async function setTheme(page, name) {
  if (await page.evaluate(() => document.documentElement.dataset.theme) !== name) await page.click('#theme');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), name);
}

const report = async (page) => JSON.parse(await download(page, '#report-download'));
const figure = (key) => `#explore-charts figure[data-key="${key}"]`;

test('a heatmap cell and a bar read their numbers on hover and keyboard focus, as the report has them; a cell opens its scatter plot', async () => {
  const { page, errors } = env.browser;
  await openSample(page);
  const r = await report(page);
  const c = r.exploration.correlation;
  // Keyboard: the heatmap is one tab stop; the arrow keys move from cell to cell.
  await page.focus(`${figure('correlation')} .marks rect[tabindex="0"]`);
  await page.keyboard.press('ArrowRight');
  const focused = await page.evaluate(() => document.activeElement.dataset.index);
  assert.equal(focused, '1');
  const cell = `${c.columns[0]} × ${c.columns[1]}: r = ${c.values[0][1].toFixed(3)}`;
  assert.equal(await page.textContent(`${figure('correlation')} .readout`), cell);
  assert.equal(await page.getAttribute(`${figure('correlation')} .marks rect[data-index="1"]`, 'aria-label'), cell);
  // Hover: the first bar of Tenure's chart, its rows, churners and churn rate.
  const d = r.exploration.distributions.find((x) => x.column === 'Tenure');
  const b = d.bins[0];
  await page.hover(`${figure('distribution-Tenure')} .marks rect >> nth=0`);
  assert.equal(await page.textContent(`${figure('distribution-Tenure')} .readout`),
    `${b.label}: ${b.count} rows, ${b.positives} churned (${(100 * b.positives / b.count).toFixed(1)} %)`);
  // Every chart has its table view; the legend names the classes.
  const rows = await page.$$eval(`${figure('distribution-Tenure')} details.chart-table tbody tr`, (t) => t.length);
  assert.equal(rows, d.bins.length);
  assert.match(await page.textContent(`${figure('distribution-Tenure')} svg`), /churned \(1\)[\s\S]*stayed \(0\)|stayed \(0\)[\s\S]*churned \(1\)/);
  // No count tick as "1800.0".
  assert.doesNotMatch(await page.textContent(`${figure('distribution-Tenure')} svg`), /\d\.0\b/);
  // A click on a cell: the scatter plot of its two columns by class.
  await page.click(`${figure('correlation')} .marks rect[data-index="1"]`);
  await page.waitForSelector('#pair-chart figure svg circle');
  assert.match(await page.textContent('#pair-chart svg'), new RegExp(`${c.columns[1]}`));
  assert.match(await page.textContent('#pair-note'), /rows with both values/);
  assert.deepEqual(errors, []);
});

test('a cleaning switch changes the report, the effects and the charts downstream, without reading the file again', async () => {
  const { page, errors } = env.browser;
  await openSample(page);
  const parses = () => page.textContent('#counts');
  const before = await parses();
  const chart = () => page.$eval('#score-charts svg', (s) => s.outerHTML);
  const chartBefore = await chart();
  await page.selectOption('#keep', 'top');
  await page.fill('#keep-value', '5');
  await page.dispatchEvent('#keep-value', 'change');
  await page.waitForFunction(() => /^5 of \d+ features kept/.test(document.getElementById('effect-selection').textContent), null, { timeout: 30_000 });
  let r = await report(page);
  assert.deepEqual(r.preprocessing.selection.keep, { top: 5 });
  assert.equal(r.preprocessing.selection.scores.filter((f) => f.kept).length, 5);
  assert.notEqual(await chart(), chartBefore);
  assert.match(await page.textContent('#score-charts svg'), /\(left out\)/);
  // Outliers left alone, duplicates kept (with the leakage warning): the report follows.
  await page.selectOption('#outliers', 'none');
  await page.waitForFunction(() => document.getElementById('effect-outliers').textContent === 'Every value is used as it is.', null, { timeout: 30_000 });
  await page.check('input[name=dedupe][value=keep]');
  await page.waitForFunction(() => document.getElementById('effect-duplicates').classList.contains('warn'), null, { timeout: 30_000 });
  assert.match(await page.textContent('#effect-duplicates'), /Leakage warning/);
  await page.fill('#test-size', '20');
  await page.dispatchEvent('#test-size', 'change');
  await page.waitForFunction(() => /^\d+ training rows/.test(document.getElementById('effect-split').textContent) &&
    !document.getElementById('sample').disabled, null, { timeout: 30_000 });
  r = await report(page);
  assert.equal(r.preprocessing.outliers.method, 'none');
  assert.equal(r.cleaning.duplicates_removed, 0);
  assert.equal(r.split.train_rows + r.split.test_rows, r.source.rows - r.cleaning.missing_target_dropped);
  assert.ok(Math.abs(r.split.test_rows / (r.split.train_rows + r.split.test_rows) - 0.2) < 0.01, JSON.stringify(r.split));
  // The same parse throughout: only preparations and fits grew.
  assert.match(before, /read 1×/);
  assert.match(await parses(), /read 1×/);
  // Rare levels share an 'other' input: with a bar of 400 training rows some levels are rare.
  await page.fill('#min-level-rows', '400');
  await page.dispatchEvent('#min-level-rows', 'change');
  await page.waitForFunction(() => /merge rare levels into 'other'/.test(document.getElementById('effect-categories').textContent), null, { timeout: 30_000 });
  r = await report(page);
  assert.ok(r.preprocessing.encoding.some((e) => e.other_levels.length >= 2 && e.min_level_rows === 400));
  assert.ok(r.preprocessing.feature_names.some((n) => /=other \(\d+ levels\)$/.test(n)));
  // A refused choice is taken back: keeping the top 0 features.
  await page.fill('#keep-value', '0');
  await page.dispatchEvent('#keep-value', 'change');
  await page.waitForFunction(() => !document.getElementById('error').hidden, null, { timeout: 30_000 });
  assert.match(await page.textContent('#error'), /the Feature selection card/);
  assert.doesNotMatch(await page.textContent('#error'), /--/);
  assert.equal(await page.inputValue('#keep-value'), '5');
  assert.deepEqual(errors, []);
});

test('a link restores its settings and table edits once the same table is read; a project file does the same', async () => {
  const { page, errors } = env.browser;
  const edits = { roles: { CityTier: 'ignored' } };
  const hash = `#impute=mean&outliers=none&epochs=3&models=logistic_regression,gan&edits=${encodeURIComponent(JSON.stringify(edits))}`;
  await openSample(page, hash);
  await page.waitForFunction(() => document.getElementById('restore-status').textContent.startsWith('Restored'), null, { timeout: 30_000 });
  assert.equal(await page.inputValue('#impute'), 'mean');
  assert.equal(await page.inputValue('#outliers'), 'none');
  assert.equal(await page.inputValue('#epochs'), '3');
  await page.waitForFunction(() => document.querySelectorAll('#models input').length > 2);
  const chosen = await page.$$eval('#models input:checked', (els) => els.map((e) => e.value));
  assert.deepEqual(chosen.sort(), ['gan', 'logistic_regression']);
  assert.equal(await page.$eval('#columns tr[data-column="CityTier"] td:nth-child(3) select', (s) => s.value), 'ignored');
  const r = await report(page);
  assert.ok(r.preprocessing.imputation.every((i) => !i.fill.startsWith('median')), JSON.stringify(r.preprocessing.imputation));
  assert.ok(!r.preprocessing.feature_names.includes('CityTier'));
  // The hash keeps the state as the page goes on.
  assert.match(await page.evaluate(() => location.hash), /impute=mean/);
  // A project file: saved here, opened on a fresh page.
  await page.check('#project-models', { force: true });
  await page.uncheck('#project-models');
  const project = JSON.parse(await download(page, '#save-project'));
  assert.equal(project.churnlab_project, 1);
  assert.equal(project.settings.impute, 'mean');
  assert.deepEqual(project.edits.roles, edits.roles);
  assert.equal(project.table.name, 'churnlab-sample.csv');
  const dir = await mkdtemp(join(tmpdir(), 'churnlab-project-'));
  const path = join(dir, 'churnlab-project.json');
  await writeFile(path, JSON.stringify(project));
  await openSample(page);
  assert.equal(await page.inputValue('#impute'), 'median');
  await page.setInputFiles('#project-file', path);
  await page.waitForFunction(() => document.getElementById('restore-status').textContent.startsWith('Restored'), null, { timeout: 30_000 });
  assert.equal(await page.inputValue('#impute'), 'mean');
  assert.equal(await page.$eval('#columns tr[data-column="CityTier"] td:nth-child(3) select', (s) => s.value), 'ignored');
  // Edits made on another table wait for it: the sample has no column 'Region'.
  const other = `#edits=${encodeURIComponent(JSON.stringify({ roles: { Region: 'ignored' } }))}`;
  await openSample(page, other);
  await page.waitForFunction(() => /do not fit this table/.test(document.getElementById('restore-status').textContent), null, { timeout: 30_000 });
  const csv = 'Region,Tenure,Churn\n' + Array.from({ length: 80 }, (_, i) => `r${i % 5},${i % 17},${i % 4 === 0 ? 1 : 0}`).join('\n');
  await page.setInputFiles('#file', { name: 'regions.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await waitForRead(page, 'regions.csv');
  await page.waitForFunction(() => document.getElementById('restore-status').textContent.startsWith('Restored'), null, { timeout: 30_000 });
  assert.equal(await page.$eval('#columns tr[data-column="Region"] td:nth-child(3) select', (s) => s.value), 'ignored');
  // Not a project file: said so, nothing changed.
  await page.selectOption('#impute', 'indicator');
  await writeFile(path, '{"hello": 1}');
  await page.setInputFiles('#project-file', path);
  await page.waitForFunction(() => /not a churnlab project file/.test(document.getElementById('project-status').textContent));
  assert.equal(await page.inputValue('#impute'), 'indicator');
  assert.deepEqual(errors, []);
});

test('Step trains one epoch and holds; the curves, the epoch table and the generator\'s view follow each step', async () => {
  const { page, errors } = env.browser;
  await openSample(page, '#epochs=3');
  await chooseModels(page, ['gan']);
  const epochRows = () => page.$$eval('#epoch-table tbody tr', (r) => r.length);
  await page.click('#step');
  await page.waitForFunction(() => document.getElementById('pause').textContent === 'Resume', null, { timeout: 60_000 });
  assert.equal(await epochRows(), 1);
  await page.waitForSelector('#glimpse-chart figure svg circle');
  assert.match(await page.textContent('#glimpse-chart svg'), /epoch 1/);
  assert.equal(await page.$$eval('#train-charts figure[data-key="curves-gan"] .marks rect', (m) => m.length), 2);
  await page.click('#step');
  await page.waitForFunction(() => document.querySelectorAll('#epoch-table tbody tr').length === 2 &&
    document.getElementById('pause').textContent === 'Resume', null, { timeout: 60_000 });
  assert.match(await page.textContent('#glimpse-chart svg'), /epoch 2/);
  assert.match(await page.textContent('#train-status'), /Paused after 2 of 3 steps/);
  // The columns of the view can be changed while it holds.
  const names = await page.$$eval('#glimpse-x option', (o) => o.map((x) => x.value));
  await page.selectOption('#glimpse-x', names[2]);
  assert.match(await page.textContent('#glimpse-chart svg'), new RegExp(names[2]));
  // Resume runs to the end.
  await page.click('#pause');
  await page.waitForFunction(() => document.getElementById('train-status').textContent.startsWith('Trained'), null, { timeout: 60_000 });
  assert.equal(await epochRows(), 3);
  // A project with the trained models: opened again, the model file scores the table.
  await page.check('#project-models');
  const project = JSON.parse(await download(page, '#save-project'));
  assert.ok(project.model_file.length > 1000);
  const dir = await mkdtemp(join(tmpdir(), 'churnlab-project-'));
  await writeFile(join(dir, 'p.json'), JSON.stringify(project));
  await openSample(page);
  await page.setInputFiles('#project-file', join(dir, 'p.json'));
  await page.waitForFunction(() => /Model file/.test(document.getElementById('model-status').textContent), null, { timeout: 30_000 });
  assert.ok(await page.$$eval('#score-model option', (o) => o.some((x) => x.value === 'file:gan')));
  assert.deepEqual(errors, []);
});

test('page messages point to page controls: a table without a target asks for it, and the page reads it again', async () => {
  const { page, errors } = env.browser;
  await openSample(page);
  const csv = 'id,Tenure,Left\n' + Array.from({ length: 60 }, (_, i) => `${i},${i % 13},${i % 3 === 0 ? 'Yes' : 'No'}`).join('\n');
  await page.setInputFiles('#file', { name: 'no-target.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await page.waitForFunction(() => !document.getElementById('target-pick').hidden, null, { timeout: 30_000 });
  const message = await page.textContent('#error');
  assert.match(message, /no target column found/);
  assert.match(message, /Target column below/);
  assert.doesNotMatch(message, /--/);
  await page.fill('#target-name', 'Left');
  await page.click('#target-retry');
  await waitForRead(page, 'no-target.csv');
  assert.match(await page.textContent('#target-summary'), /Target 'Left'/);
  assert.deepEqual(errors, []);
});

test('the stronger discriminator\'s options reach the networks; a bad one is named by its box', async () => {
  const { page, errors } = env.browser;
  await openSample(page);
  await chooseModels(page, ['gan', 'mlp']);
  await page.fill('#epochs', '2');
  // The page's values, restored at the end for the tests after this one.
  const boxes = ['embedding-bins', 'ensemble', 'label-smoothing', 'weight-decay'];
  const start = await page.evaluate((ids) => ({
    values: ids.map((id) => document.getElementById(id).value),
    keepBest: document.getElementById('keep-best').checked,
  }), boxes);
  // The plain network first: no encodings, one head, Adam, the last epoch.
  for (const [id, v] of [['embedding-bins', '0'], ['ensemble', '1'], ['weight-decay', '0']]) await page.fill(`#${id}`, v);
  await page.uncheck('#keep-best');
  const plain = await train(page);
  await page.fill('#label-smoothing', '0.7');
  await page.click('#train');
  await page.waitForFunction(() => document.getElementById('error').textContent.includes('label_smoothing'), null, { timeout: 30_000 });
  assert.match(await page.textContent('#error'), /models\.nn\.label_smoothing \(0 to below 0\.5, the Label smoothing box\) is 0\.7/);
  // Valid values train: 4 bins, 3 class heads with adapters, smoothing, weight decay, the kept
  // epoch.
  await page.fill('#label-smoothing', '0.1');
  for (const [id, v] of [['embedding-bins', '4'], ['ensemble', '3'], ['weight-decay', '0.01']]) await page.fill(`#${id}`, v);
  await page.check('#keep-best');
  await page.check('#adapters');
  const run = await train(page);
  assert.equal(run.error, null);
  // The same seed and batches: only the options can have changed the losses.
  const losses = (r) => r.report.models.map((m) => m.runs[0].history.map((e) => e.train_loss));
  for (const [i, l] of losses(run).entries()) {
    assert.equal(l.length, 2);
    assert.notDeepEqual(l, losses(plain)[i], run.report.models[i].label);
  }
  for (const [i, id] of boxes.entries()) await page.fill(`#${id}`, start.values[i]);
  await page.setChecked('#keep-best', start.keepBest);
  await page.uncheck('#adapters');
  assert.deepEqual(errors, []);
});

/** axe-core on the page as it is: the violations, each with a few of its elements. */
async function violations(page) {
  await page.evaluate(axeSource);
  const r = await page.evaluate(() => axe.run(document));
  return r.violations.map((v) => `${v.id}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

test('axe-core finds no violation on any step of the page, light or dark; screenshots of each step at 1280 and 390 px', async () => {
  const { page, errors } = env.browser;
  const step = async (name) => {
    for (const theme of ['light', 'dark']) {
      await setTheme(page, theme);
      assert.deepEqual(await violations(page), [], `${name}, ${theme} theme`);
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 720 });
        await screenshot(page, `teaching-${name}-${theme}-${width}`);
      }
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  };
  await openSample(page, '#epochs=2&models=logistic_regression,gan&f1_thresholds=true');
  await step('1-table');
  // Help opened, a chart's table shown.
  await page.click('#clean-h details.help summary');
  await page.click(`${figure('correlation')} details.chart-table summary`);
  await step('2-cleaning');
  const run = await train(page);
  assert.ok(run.report, run.error);
  // The F1-optimal thresholds (asked for by the link) beside the scores at 0.5.
  assert.ok(run.report.models.every((m) => m.summary.tuned && m.runs[0].tuned.threshold > 0));
  assert.match(await page.textContent('#comparison tbody tr:first-child td:nth-child(9)'), /^0\.\d\d: \d+\.\d\d %, F1 \d+\.\d\d$/);
  // A metric's "?" explains it.
  await page.click('#comparison thead details.help summary >> nth=3');
  assert.match(await page.textContent('#comparison thead details[open]'), /harmonic mean of precision and recall/);
  await step('3-trained');
  await page.click('#score');
  await page.waitForFunction(() => !document.getElementById('customers-section').hidden, null, { timeout: 60_000 });
  await page.waitForSelector('#importance-charts figure svg');
  await step('4-customers');
  await setTheme(page, 'light');
  assert.deepEqual(errors, []);
});

test('the page installs, and after the first visit works offline: it reloads, reads the sample and trains', async () => {
  const offline = await launch();
  const { page, context, errors } = offline;
  try {
    await openSample(page);
    assert.ok(await page.isHidden('#offline'));
    await page.evaluate(async () => { await navigator.serviceWorker.ready; });
    // Installable: chromium finds nothing missing in the manifest, its icon or the worker.
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send('Page.getAppManifest');
    assert.deepEqual(manifest.errors, []);
    assert.match(JSON.stringify(manifest), /churn analysis that stays in your browser/);
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    assert.deepEqual(installabilityErrors, []);
    await cdp.detach();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 }).catch(async () => {
      await page.reload(); // the first load is not controlled until the worker claims it
    });
    await context.setOffline(true);
    await page.reload();
    await waitForRead(page, 'the sample');
    assert.ok(await page.isVisible('#offline'));
    await page.waitForFunction(() => document.querySelectorAll('#explore-charts figure svg').length === 19, null, { timeout: 60_000 });
    await chooseModels(page, ['logistic_regression']);
    const run = await train(page);
    assert.ok(run.report, run.error);
    assert.deepEqual(errors.filter((e) => !/ERR_INTERNET_DISCONNECTED/.test(e)), []);
  } finally {
    await context.close();
  }
});
