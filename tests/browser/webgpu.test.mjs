// The networks on WebGPU in headless chromium (SwiftShader: a software adapter, so tiny runs that
// check correctness, never speed): the page must really train there, report the adapter, log no
// error (cubecl's autotuned shaders once failed on WebGPU), and agree with the CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forFile, screenshot, chooseModels, download, train, countCalls, callsPerStep } from './harness.mjs';

const env = forFile({ webgpu: true });

async function trainWith(page, backend) {
  await page.selectOption('#workers', '1');
  await page.selectOption('#backend', backend);
  const { report, error } = await train(page, 600_000);
  assert.ok(report, error);
  return { report, backend: await page.textContent('#backend-status') };
}

test('the GAN and the MLP train on WebGPU and agree with the CPU', async () => {
  const { page, errors } = env.browser;
  await page.goto(`${env.srv.origin}/`);
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('Read the sample'), null, { timeout: 60_000 });
  // A small slice of the sample keeps SwiftShader's work to a few batches.
  const lines = (await download(page, '#sample-download')).trimEnd().split('\n');
  await page.setInputFiles('#file', { name: 'small.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.slice(0, 401).join('\n')) });
  await page.waitForFunction(() => document.getElementById('status').textContent.startsWith("Read 'small.csv'"), null, { timeout: 60_000 });
  await chooseModels(page, ['gan', 'mlp']);
  await page.fill('#epochs', '2');
  // The page's default network (piecewise-linear encodings, an ensemble of class heads): the
  // fused kernels cover it, so the counts below hold for it.
  assert.notEqual(await page.inputValue('#embedding-bins'), '0');
  assert.notEqual(await page.inputValue('#ensemble'), '1');

  const cpu = await trainWith(page, 'cpu');
  assert.match(cpu.backend, /^Networks on CPU/);
  const [worker] = page.workers();
  await worker.evaluate(countCalls);
  const gpu = await trainWith(page, 'gpu');
  console.log(`WebGPU adapter: ${gpu.backend}`);
  assert.match(gpu.backend, /^Networks on WebGPU: .*swiftshader/i);
  await screenshot(page, 'webgpu');

  // Same seed, same host-drawn weights and batches: float rounding is the only difference.
  assert.equal(gpu.report.models.length, 2);
  let largest = 0;
  for (const [i, m] of gpu.report.models.entries()) {
    const c = cpu.report.models[i];
    const [hg, hc] = [m.runs[0].history, c.runs[0].history];
    assert.equal(hg.length, 2, m.model);
    for (const [k, e] of hg.entries()) {
      for (const key of ['train_loss', 'val_loss', 'd_loss', 'g_loss']) {
        if (e[key] == null) continue;
        largest = Math.max(largest, Math.abs(e[key] - hc[k][key]));
        assert.ok(Math.abs(e[key] - hc[k][key]) <= 1e-3, `${m.model} epoch ${k + 1} ${key}: WebGPU ${e[key]}, CPU ${hc[k][key]}`);
      }
    }
    for (const key of ['accuracy', 'f1', 'roc_auc']) {
      assert.ok(Math.abs(m.summary[key].mean - c.summary[key].mean) <= 0.01, `${m.model} ${key}: WebGPU ${m.summary[key].mean}, CPU ${c.summary[key].mean}`);
    }
  }
  console.log(`largest loss difference, WebGPU vs CPU: ${largest.toExponential(2)}`);

  // The fused kernels' calls per step: the second epoch of each model, from the counts at the
  // end of its first (its eval, glimpse and read are in it too).
  const log = await worker.evaluate(() => self.gpuCalls.epochs);
  for (const model of ['gan', 'mlp']) {
    const c = callsPerStep(log, model);
    assert.ok(c, `${model}: two epochs counted`);
    console.log(`${model}: ${c.dispatches.toFixed(2)} dispatches and ${c.submits.toFixed(2)} submits per step, ${c.readbacks} readbacks per epoch (${c.steps} steps)`);
    assert.ok(c.dispatches <= (model === 'gan' ? 10 : 4), `${model}: ${c.dispatches} dispatches per step`);
    assert.ok(c.readbacks <= 2, `${model}: ${c.readbacks} readbacks per epoch`);
  }
  assert.deepEqual(errors, []);
});

test('Auto measures WebGPU against the CPU and never picks a software adapter', async () => {
  const { page, errors } = env.browser;
  const [worker] = page.workers();
  await worker.evaluate(() => { self.measureSoftware = true; });
  await page.fill('#epochs', '1');
  const auto = await trainWith(page, 'auto');
  console.log(auto.backend);
  assert.match(auto.backend, /^Networks on CPU \(burn Flex, WebAssembly\): WebGPU \d+\.\d{3} s\/epoch vs CPU \d+\.\d{3} s\/epoch → CPU \(a software adapter is never chosen\)\.$/);
  assert.ok(auto.report.models.every((m) => m.runs.every((r) => r.history.length === 1)));
  assert.deepEqual(errors, []);
});
