// The page's pool of workers: a run's fits spread over workers give the report and the kept
// models of a run on one worker; Pause, Stop and the status work across the pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forFile, chooseModels, download, train, waitForRead } from './harness.mjs';

const env = forFile();

/** The report without what depends on the clock (every `*seconds` key). */
function untimed(v) {
  if (Array.isArray(v)) return v.map(untimed);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !k.endsWith('seconds') && k !== 'peak_mib').map(([k, x]) => [k, untimed(x)]));
  }
  return v;
}

async function sample(page) {
  await page.goto(`${env.srv.origin}/`);
  await waitForRead(page, 'the sample');
}

/** A kept model's scores of every customer (with their reasons if asked), as the page downloads them. */
async function scored(page, model, reasons = false) {
  await page.selectOption('#score-model', `session:${model}`);
  await page.setChecked('#score-reasons', reasons);
  await page.click('#score');
  await page.waitForSelector('#score-download:not([hidden])', { timeout: 120_000 });
  const csv = await download(page, '#score-download');
  await page.evaluate(() => { document.getElementById('score-download').hidden = true; });
  return csv;
}

test('a 3-seed run on a pool of workers gives the report and models of one worker', async () => {
  const { page, errors } = env.browser;
  await sample(page);
  const available = await chooseModels(page, ['gan', 'gan_ablation', 'logistic_regression', 'random_forest', 'gradient_boosting', 'naive_bayes', 'knn', 'mlp']);
  const model = available.includes('gan') ? 'gan' : 'random_forest';
  await page.fill('#epochs', '2');
  await page.fill('#hidden', '32');
  await page.fill('#seeds', '3');
  await page.selectOption('#workers', '1');
  const one = await train(page, 300_000);
  assert.ok(one.report, one.error);
  assert.match(await page.textContent('#pool-status'), /^Trained on one worker/);
  const oneScores = await scored(page, model);

  await page.selectOption('#workers', '3');
  const pool = await train(page, 300_000);
  assert.ok(pool.report, pool.error);
  assert.match(await page.textContent('#pool-status'), /^Trained on 3 workers in parallel \(WebAssembly memory: session's worker \d+ MiB, helper 1 \d+ MiB, helper 2 \d+ MiB\)/);
  assert.equal(pool.report.models.length, available.length);
  assert.deepEqual(untimed(pool.report), untimed(one.report));
  // The kept (adopted) models score every customer as the one worker's own did.
  assert.equal(await scored(page, model), oneScores);
  // Reasons for every customer, explained on one worker and on the pool: the same.
  for (const m of [model, 'random_forest']) {
    await page.selectOption('#workers', '1');
    const alone = await scored(page, m, true);
    assert.doesNotMatch(await page.textContent('#score-status'), /workers in parallel/);
    await page.selectOption('#workers', '3');
    assert.equal(await scored(page, m, true), alone, m);
    assert.match(await page.textContent('#score-status'), /With reasons \(explained on 3 workers in parallel\)/);
  }
  // Synthetic customers with their checks, on one worker and on the pool: the same.
  if (model === 'gan') {
    const synth = async () => {
      await page.evaluate(() => { document.getElementById('synth-download').hidden = true; });
      await page.fill('#synth-rows', '400');
      await page.click('#synthesize');
      await page.waitForSelector('#synth-download:not([hidden])', { timeout: 120_000 });
      const status = (await page.textContent('#synth-status')).replace(/ in \d+ ms/, '');
      return [await download(page, '#synth-download'), status];
    };
    await page.selectOption('#workers', '1');
    const alone = await synth();
    await page.reload();
    await sample(page);
    await chooseModels(page, available);
    await page.fill('#epochs', '2');
    await page.fill('#hidden', '32');
    await page.fill('#seeds', '3');
    await page.selectOption('#workers', '3');
    const again = await train(page, 300_000);
    assert.deepEqual(untimed(again.report), untimed(one.report));
    // The first synthesis of a session: all three checks, one per worker.
    const pooled = await synth();
    assert.equal(pooled[0], alone[0]);
    assert.equal(pooled[1], `${alone[1]} Checked on 3 workers in parallel.`);
    assert.match(alone[1], /detection AUC 0\.\d{3}, F1 of a forest trained on them 0\.\d{3} \(on real rows 0\.\d{3}\)/);
  }
  // Every epoch of the three networks on every seed reached the page's epoch table.
  const networks = available.filter((m) => ['gan', 'gan_ablation', 'mlp'].includes(m)).length;
  assert.equal(await page.$$eval('#epoch-table tbody tr', (trs) => trs.length), 3 * 2 * networks);
  assert.deepEqual(errors, []);
});

test('Pause holds every worker of the pool and Stop ends them all', async (t) => {
  const { page, errors } = env.browser;
  await sample(page);
  const available = await chooseModels(page, ['mlp']);
  if (!available.includes('mlp')) return t.skip('this build has no neural networks');
  // Two seeds of a wide MLP: two jobs, one per worker, each a while per epoch.
  await page.fill('#epochs', '12');
  await page.fill('#hidden', '256');
  await page.fill('#seeds', '2');
  await page.selectOption('#workers', '2');
  const rows = () => page.$$eval('#epoch-table tbody tr', (trs) => trs.map((tr) => tr.cells[1].textContent));
  await page.click('#train');
  // Both workers train: epochs of both seeds arrive.
  await page.waitForFunction(() => new Set([...document.querySelectorAll('#epoch-table tbody tr')].map((tr) => tr.cells[1].textContent)).size === 2, null, { timeout: 120_000 });
  await page.click('#pause');
  await page.waitForFunction(() => document.getElementById('train-status').textContent.startsWith('Paused'), null, { timeout: 60_000 });
  // Each worker finishes the epoch it is in, then holds.
  await page.waitForTimeout(1500);
  const held = (await rows()).length;
  await page.waitForTimeout(3000);
  assert.equal((await rows()).length, held, 'no epoch runs on any worker while paused');
  await page.click('#pause');
  await page.waitForFunction((n) => document.querySelectorAll('#epoch-table tbody tr').length > n, held, { timeout: 60_000 });
  await page.click('#stop');
  await page.waitForFunction(() => document.getElementById('error').textContent.includes('Stopped'), null, { timeout: 30_000 });
  // After Stop the pool starts afresh and a run finishes.
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Read the sample') || !document.getElementById('train').disabled, null, { timeout: 60_000 });
  await page.fill('#epochs', '2');
  await page.fill('#hidden', '32');
  const after = await train(page, 120_000);
  assert.ok(after.report, after.error);
  assert.match(await page.textContent('#pool-status'), /^Trained on 2 workers/);
  assert.deepEqual(errors, []);
});
