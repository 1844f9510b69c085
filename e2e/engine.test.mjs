// Sizes that never wrap and an engine that comes back, in real Chromium: a shared link whose
// model holds a Dense layer of 10⁹ units shows its true parameter count and is refused before
// the worker builds anything; a worker that dies mid-run is replaced, the page goes back to
// idle with the reason, keeps its data, settings and charts, and trains again without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { byTestId, openTrainer, screenshot } from './browser.mjs';

let server, url, browser, page;

before(async () => ({ server, url, browser, page } = await openTrainer()));
after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const waitStatus = (value, timeout = 300_000) =>
  page.waitForFunction(
    (v) => document.querySelector('[data-testid="run-status"]')?.textContent === v,
    value,
    { timeout },
  );

test('a link with a 10⁹-unit layer shows the true count and is refused', async () => {
  // The page keeps its configuration in the link: take it, add the layer, open the new link.
  const hash = await page.evaluate(() => location.hash);
  const shared = JSON.parse(decodeURIComponent(hash.slice('#config='.length)));
  const layers = shared.config.model.layers;
  const flatten = layers.findIndex((l) => l.type === 'flatten');
  layers.splice(flatten + 1, 0, { type: 'dense', units: 1_000_000_000 });
  const link = `${url}#config=${encodeURIComponent(JSON.stringify(shared))}`;
  await page.goto('about:blank');
  await page.goto(link);
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });

  // 256·10⁹ + 10⁹ and 10⁹·10 + 10, never wrapped to 32 bits (3 596 929 536 and 1 410 065 418).
  const hidden = flatten + 1;
  assert.equal(await text(`layer-${hidden}-params`), '257 000 000 000 params');
  assert.equal(await text(`layer-${hidden + 1}-params`), '10 000 000 010 params');
  const total = 257_000_000_000 + 10_000_000_010 + 208 + 3216;
  const grouped = total.toLocaleString('en-US').replaceAll(',', ' ');
  assert.match(await text('param-count'), new RegExp(`^${grouped} trainable parameters \\(≈ 1\\.07 TB as f32\\)$`));
  const refusal = await text('memory-refused');
  assert.match(refusal, new RegExp(`^layer ${hidden + 1} \\(Dense 1000000000\\): its 257 000 000 000 parameters need 1\\.03 TB as f32, more than the memory budget of `));
  assert.equal(await page.getByTestId('train').isDisabled(), true, 'Train is refused');
  assert.match(await text('train-blocked'), /Cannot train yet: layer \d+ \(Dense 1000000000\)/);
  console.log(`# figure: refused link: ${refusal}`);
  await screenshot(page, 'engine-huge-link');

  // The page still works: back to the default CNN, which fits and may train.
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  assert.match(await text('param-count'), /^5 994 trainable parameters/);
  // The estimate, counted here: weights, gradients, Adam's two slots, the average and a host
  // copy of weights and slots (8 copies of 5 994); each layer's output and its gradient for a
  // batch of 64; the 70 000 images as f32.
  const perSample = 784 + 2 * 24 * 24 * 8 + 12 * 12 * 8 + 2 * 8 * 8 * 16 + 2 * 4 * 4 * 16 + 2 * 10;
  const bytes = 8 * 5994 * 4 + perSample * 64 * 2 * 4 + 70_000 * 784 * 4;
  const memory = await text('memory');
  assert.match(memory, new RegExp(`^needs ≈ ${(bytes / 1e6).toFixed(0)} MB of the [\\d.]+ GB memory budget \\(.+\\)$`));
  console.log(`# figure: default CNN on MNIST: ${memory}`);
  assert.equal(await page.getByTestId('train').isDisabled(), false);
});

test('a worker that dies mid-run is replaced and the page trains again', async () => {
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 2000);
  await set('cfg-validation', 500);
  await set('cfg-epochs', 3);
  await set('cfg-batch', 16);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  const countBefore = await text('count-train');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => /batch (\d{2,})/.test(document.querySelector('[data-testid="last-step"]')?.textContent ?? ''), null, { timeout: 120_000 });

  await page.evaluate(() => window.__trainerCrashWorker());
  await page.getByTestId('train-error').filter({ hasText: 'The training engine stopped' }).waitFor({ timeout: 30_000 });
  const error = await text('train-error');
  assert.match(error, /^The training engine stopped: it hit an internal error \(the test hook asked the worker to crash\)\. A new one has started/);
  assert.equal(await text('run-status'), 'idle');
  const kept = await text('last-step');
  assert.match(kept, /^batch \d+: loss/, 'the charts of the run so far are kept');
  assert.equal(await page.getByTestId('cfg-epochs').inputValue(), '3', 'the settings are kept');
  console.log(`# figure: after the crash: ${error.slice(0, 120)}…; kept "${kept}"`);

  // The new worker loads the same data again; Train works without a reload.
  await page.waitForFunction(() => !document.querySelector('[data-testid="train"]')?.disabled, null, { timeout: 120_000 });
  assert.equal(await text('count-train'), countBefore, 'the same dataset is loaded again');
  await set('cfg-epochs', 1);
  await page.getByTestId('train').click();
  await waitStatus('finished');
  assert.match(await text('last-step'), /^batch 125:/, '2000 images in batches of 16');
  await screenshot(page, 'engine-restarted');
});
