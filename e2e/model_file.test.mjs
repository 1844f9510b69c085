// Model files in real Chromium: train briefly, download the model, reload the page, open the
// file, and get the same prediction for the same drawn digit. A broken file is refused with a
// message and leaves the model alone. "Export as code" downloads scripts that, run in Python,
// give the accuracy the page shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './serve.mjs';
import { byTestId, launch, openPage, screenshot, ARTEFACTS, reveal } from './browser.mjs';

let server, url, browser, page, problems;

before(async () => {
  ({ server, url } = await serve(new URL('../dist', import.meta.url).pathname));
  browser = await launch();
  ({ page, problems } = await openPage(browser, url));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);

/** Draws a "7" on the pad and returns the probabilities the model gives it. */
async function drawAndRead() {
  await reveal(page, 'pad-clear');
  await page.getByTestId('pad-clear').click();
  await page.getByTestId('pad').scrollIntoViewIfNeeded();
  const pad = await page.getByTestId('pad').boundingBox();
  const at = (x, y) => [pad.x + (x * pad.width) / 28, pad.y + (y * pad.height) / 28];
  await page.mouse.move(...at(7, 6));
  await page.mouse.down();
  for (let x = 8; x <= 21; x += 1) await page.mouse.move(...at(x, 6));
  for (let k = 1; k <= 16; k += 1) await page.mouse.move(...at(21 - k * 0.5, 6 + k));
  await page.mouse.up();
  await page.getByTestId('prediction').filter({ hasText: 'The model says' }).waitFor({ timeout: 30_000 });
  return page.getByTestId('probabilities').textContent();
}

test('download, reload, open: the same prediction', async () => {
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 1000);
  await set('cfg-validation', 500);
  await set('cfg-epochs', 1);
  await set('cfg-batch', 16);
  await set('cfg-lr', 0.003);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  const before = await drawAndRead();

  await reveal(page, 'save-model');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const name = download.suggestedFilename();
  assert.match(name, /^mnist-9layers-\d+params-\d+\.\d+pct\.safetensors$/);
  const path = `${ARTEFACTS}${name}`;
  await download.saveAs(path);
  const bytes = readFileSync(path);
  console.log(`# figure: model file ${name}: ${bytes.length} bytes`);
  const [onnx] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-onnx').click()]);
  assert.equal(onnx.suggestedFilename(), name.replace('.safetensors', '.onnx'));
  await onnx.saveAs(`${ARTEFACTS}${onnx.suggestedFilename()}`);
  await exportedCodeAgrees(name, path);

  await page.reload();
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  // Dropped anywhere on the page, as a person would.
  await page.evaluate(
    ({ name, data }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], name));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
    },
    { name, data: [...bytes] },
  );
  await page.getByTestId('notice').filter({ hasText: `Opened ${name}` }).waitFor({ timeout: 30_000 });
  assert.equal(await text('run-status'), 'paused');
  const after = await drawAndRead();
  assert.equal(after, before, 'the reopened model gives the same probabilities');
  // The test-set gallery: the opened model's answers on images it never saw.
  await reveal(page, 'gallery-summary');
  await page.getByTestId('gallery-summary').filter({ hasText: /^images 1–24 of 10000: \d+ of 24 right/ }).waitFor({ timeout: 30_000 });
  console.log(`# figure: opened model on the test gallery: ${await text('gallery-summary')}`);
  await screenshot(page, 'model-reopened');

  // A broken file: clear message, the opened model stays.
  await page.getByTestId('open-model').setInputFiles({
    name: 'broken.safetensors',
    mimeType: 'application/octet-stream',
    buffer: bytes.subarray(0, bytes.length - 50),
  });
  await page.getByTestId('train-error').filter({ hasText: 'broken.safetensors: not a usable model file: it is truncated' }).waitFor();
  assert.equal(await drawAndRead(), before, 'the model in the app is untouched');

  // Fine-tune the opened model with its first conv layer frozen: that layer's weights come
  // out bit-identical, the rest change.
  await set('cfg-ema', 0);
  await page.getByTestId('block-0').click();
  await page.getByTestId('layer-0-freeze').check();
  await reveal(page, 'fine-tune');
  await page.getByTestId('fine-tune').check();
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  const [tuned] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const tunedPath = `${ARTEFACTS}fine-tuned.safetensors`;
  await tuned.saveAs(tunedPath);
  const original = tensors(bytes);
  const tunedTensors = tensors(readFileSync(tunedPath));
  assert.ok(original["layers.0.weight"].equals(tunedTensors['layers.0.weight']), 'the frozen layer kept its weights');
  assert.ok(!original["layers.7.weight"].equals(tunedTensors['layers.7.weight']), 'the other layers trained');
  assert.deepEqual(problems, []);
});

/**
 * "Export as code": the zip holds the files the native command writes for the same model file
 * (`cargo run --example export_code`, byte for byte): the Keras and PyTorch scripts, the
 * weights and a README. Each script, run on it as a learner would (in the environment of
 * scripts/setup-export-env.sh), gives the test accuracy the page shows for these weights.
 */
async function exportedCodeAgrees(modelName, modelPath) {
  const shown = Number((await text('test-result')).match(/Test set: ([\d.]+)% accuracy on 10000 images/)[1]);
  const [code] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-code').click()]);
  const folder = modelName.replace('.safetensors', '-code');
  assert.equal(code.suggestedFilename(), `${folder}.zip`);
  const zip = `${ARTEFACTS}${code.suggestedFilename()}`;
  await code.saveAs(zip);
  const python = new URL('../build/venv-export/bin/python', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'export-code-'));
  execFileSync(python, ['-m', 'zipfile', '-e', zip, dir]);
  const root = join(dir, folder);
  const files = readdirSync(root).sort();
  assert.deepEqual(files, ['README.md', 'keras_model.py', 'model.safetensors', 'requirements.txt', 'torch_model.py']);
  const native = join(dir, 'native');
  execFileSync('cargo', ['run', '--quiet', '--example', 'export_code', '--', modelPath, native], { stdio: 'ignore', timeout: 1_200_000 });
  assert.deepEqual(readdirSync(native).sort(), files);
  for (const f of files) {
    // Model files too: their header is written with sorted keys, so one model is one file.
    const [ours, theirs] = [readFileSync(join(root, f)), readFileSync(join(native, f))];
    assert.ok(ours.equals(theirs), `${f} differs from the native export`);
  }
  const data = new URL('../www/data/mnist', import.meta.url).pathname;
  for (const script of ['torch_model.py', 'keras_model.py']) {
    const out = execFileSync(python, [script, '--data', data, '--evaluate'], {
      cwd: root,
      env: { ...process.env, JAX_PLATFORMS: 'cpu', CUDA_VISIBLE_DEVICES: '' },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const result = JSON.parse(out.trim().split('\n').at(-1));
    console.log(`# figure: ${script} on the downloaded export: ${(100 * result.test_accuracy).toFixed(2)}% on ${result.test_images} test images; the page shows ${shown}%`);
    assert.equal(result.test_images, 10000);
    assert.ok(Math.abs(100 * result.test_accuracy - shown) <= 0.006, `${script}: ${100 * result.test_accuracy}% against ${shown}%`);
  }
}

/** The tensors of a safetensors file by name, as raw bytes (read independently of the app). */
function tensors(file) {
  const n = Number(file.readBigUInt64LE(0));
  const header = JSON.parse(file.subarray(8, 8 + n).toString());
  const out = {};
  for (const [name, t] of Object.entries(header)) {
    if (name !== '__metadata__') out[name] = file.subarray(8 + n + t.data_offsets[0], 8 + n + t.data_offsets[1]);
  }
  return out;
}

test('snapshots survive a reload, then continue the run exactly', async () => {
  const rows = () => page.locator('[data-testid=snapshot-list] tr').count();
  await page.getByTestId('reset').click();
  await set('cfg-subset', 1000);
  await set('cfg-epochs', 2);
  await set('cfg-ema', 0);
  await set('cfg-snapshot-every', 1);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  const before = await rows();
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=snapshot-list] tr').length === n + 2, before);
  const straight = await text('val-accuracy-2');

  await page.reload();
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  await reveal(page, 'resume-offer');
  await page.getByTestId('resume-offer').waitFor();
  assert.equal(await rows(), before + 2, 'the snapshots are still there after a reload');
  // Newest first: the epoch-2 snapshot, then epoch 1.
  const epochOne = page.locator('[data-testid=snapshot-list] tr').nth(1);
  assert.match(await epochOne.textContent(), /epoch1\.safetensors.*epoch 1/);
  await reveal(page, 'snapshot-list');
  await epochOne.getByTestId('snapshot-restore').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'paused', null, { timeout: 30_000 });
  await reveal(page, 'epoch-table');
  await page.getByTestId('val-accuracy-1').waitFor();
  await reveal(page, 'snapshot-list');
  await page.getByTestId('resume').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  assert.equal(await text('val-accuracy-2'), straight, 'the resumed run ends where the uninterrupted one did');
  await screenshot(page, 'snapshot-resumed');

  while ((await rows()) > 0) {
    const n = await rows();
    await page.locator('[data-testid=snapshot-delete]').first().click();
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=snapshot-list] tr').length === n - 1, n);
  }
  assert.deepEqual(problems, []);
});
