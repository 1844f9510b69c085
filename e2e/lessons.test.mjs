// The lessons in real Chromium: each page opens, its experiment runs from the controls a
// learner uses, the figures it states are the ones computed, and nothing logs an error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { byTestId, launch, openPage, screenshot } from './browser.mjs';

let server, url, browser, page, problems;

before(async () => {
  ({ server, url } = await serve(new URL('../dist', import.meta.url).pathname));
  browser = await launch();
  ({ page, problems } = await openPage(browser, url));
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const formula = () => text('conv-formula');

test('convolution explorer: the output size follows stride, padding and dilation', async () => {
  await page.getByTestId('nav-convolution').click();
  await page.getByTestId('lesson-convolution').waitFor();
  assert.match(await text('lesson-image-caption'), /Now: a training image labelled \d/);
  assert.match(await formula(), /⌊\(28 \+ 2·0 − 1·\(3 − 1\) − 1\) \/ 1⌋ \+ 1 = 26;/);
  await page.getByTestId('conv-stride').fill('2');
  assert.match(await formula(), /\/ 2⌋ \+ 1 = 13;/);
  await page.getByTestId('conv-padding').fill('1');
  assert.match(await formula(), /⌊\(28 \+ 2·1 − 1·\(3 − 1\) − 1\) \/ 2⌋ \+ 1 = 14;/);
  await page.getByTestId('conv-dilation').fill('3');
  assert.match(await formula(), /⌊\(28 \+ 2·1 − 3·\(3 − 1\) − 1\) \/ 2⌋ \+ 1 = 12;/);
  const size = await page.getByTestId('conv-feature').evaluate((c) => [c.width, c.height]);
  assert.deepEqual(size, [12 * 8 + 4, 12 * 8 + 4], 'the feature map drawn is 12×12');
  assert.match(await text('param-compare'), /has 80 parameters .* would need 904320: 11304× more/);
});

test('convolution explorer: step by step, the identity kernel, the ReLU/pool identity', async () => {
  for (const [id, v] of [['conv-stride', 1], ['conv-padding', 1], ['conv-dilation', 1]]) await page.getByTestId(id).fill(String(v));
  // The first window hangs over the padding; its sum is the feature map's first value.
  assert.match(await text('conv-step'), /^output \(0, 0\) = .* = -?\d+\.\d{3}$/);
  await page.getByTestId('conv-position').fill('400');
  assert.match(await text('conv-step'), /^output \(14, 8\) = /);
  // The crop under the window: 3×3 cells whose products add up to the output.
  const cells = await page.locator('[data-testid=conv-window] td').allTextContents();
  assert.equal(cells.length, 9);
  const sum = cells.map((c) => Number(c.split('\n').pop().replace(/.* /, '').match(/-?\d+\.\d+$/)[0])).reduce((a, b) => a + b, 0);
  const shown = Number(/= (-?\d+\.\d+)$/.exec(await text('conv-step'))[1]);
  assert.ok(Math.abs(sum - shown) < 0.01, `the crop's products ${sum} add up to ${shown}`);
  await page.getByTestId('conv-play').click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="conv-step"]').textContent.startsWith('output (14, 8)'));
  await page.getByTestId('conv-play').click();
  assert.match(await text('relu-pool-identity'), /the largest difference between the two is 0\./);
  // The identity kernel copies the image: the one product of a window is its centre pixel.
  await page.getByTestId('kernel-preset').selectOption('identity');
  await page.getByTestId('conv-position').fill('406');
  assert.match(await text('conv-step'), /^output \(14, 14\) = (\d\.\d\d)×1\.00 = \1\d$/);
  // Editing a weight makes the kernel the learner's own.
  await set('kernel-4', 2);
  assert.equal(await page.getByTestId('kernel-preset').inputValue(), 'custom');
  assert.match(await text('conv-step'), /×2\.00 = /);
  await page.getByTestId('kernel-size').selectOption('5');
  assert.equal(await page.locator('input[data-testid^=kernel-]').count(), 25);
  await screenshot(page, 'lesson-convolution');
});

test('convolution explorer: a trained model\'s own kernels and feature maps', async () => {
  assert.equal(await page.getByTestId('lesson-no-model').count(), 1);
  await page.getByTestId('nav-trainer').click();
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 500);
  await set('cfg-validation', 500);
  await set('cfg-epochs', 1);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  await page.getByTestId('nav-convolution').click();
  await page.getByTestId('lesson-filter-0').click();
  assert.equal(await page.getByTestId('kernel-size').inputValue(), '5', 'the default CNN learns 5×5 kernels');
  assert.equal(await page.getByTestId('kernel-preset').inputValue(), 'custom');
  await page.getByTestId('lesson-run-model').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="lesson-model-maps"]').width > 10);
  await screenshot(page, 'lesson-convolution-trained');
});

test('transfer learning: MNIST\'s conv layers on Fashion-MNIST, against scratch', async () => {
  await set('transfer-images', 200);
  await set('transfer-epochs', 2);
  const t0 = Date.now();
  await page.getByTestId('transfer-run').click();
  await page.getByTestId('transfer-status').filter({ hasText: '4 runs done' }).waitFor({ timeout: 300_000 });
  const rows = await page.locator('[data-testid^=transfer-row-]').allTextContents();
  console.log(`# figure: transfer lab in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${rows.join(' | ')}`);
  assert.match(rows[0], /^source: MNIST/);
  assert.match(rows[1], /^Fashion: MNIST's conv layers frozen/);
  assert.match(rows[3], /^Fashion: from scratch/);
  // The app's own dataset is still MNIST: the lab loaded Fashion-MNIST for itself.
  assert.match(await text('lesson-image-caption'), /labelled/);
});

test('regularisation lab: seven runs from one seed, the gap and L1\'s zeros', async () => {
  await page.getByTestId('nav-regularisation').click();
  await set('regularisation-images', 300);
  await set('regularisation-epochs', 10);
  const t0 = Date.now();
  await page.getByTestId('regularisation-run').click();
  // The lab runs beside the trainer, not in front of it: a short training run started now
  // finishes while the lab is still going.
  await page.getByTestId('nav-trainer').click();
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });
  const labWhenTrained = await text('regularisation-status');
  console.log(`# figure: a training run started beside the lab finished at "${labWhenTrained}"`);
  assert.doesNotMatch(labWhenTrained, /7 runs done/, 'training waited for the lab');
  await page.getByTestId('nav-regularisation').click();
  await page.getByTestId('regularisation-status').filter({ hasText: '7 runs done' }).waitFor({ timeout: 300_000 });
  console.log(`# figure: regularisation lab, 7 runs × 10 epochs on 300 images: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const rows = await page.locator('[data-testid^=regularisation-row-]').allTextContents();
  assert.equal(rows.length, 7);
  const gap = async (k) => Number(await text(`regularisation-gap-${k}`));
  const zeros = async (k) => Number((await text(`regularisation-zeros-${k}`)).split(' ')[0]);
  const exact = async (k) => Number(await text(`regularisation-exact-zeros-${k}`));
  console.log(`# figure: gaps ${await gap(0)} (none), ${await gap(1)} (L2), ${await gap(4)} (augmentation); near-zero weights ${await zeros(0)} (none), ${await zeros(2)} (L1); exactly zero ${await exact(0)} (none), ${await exact(1)} (L2), ${await exact(2)} (L1)`);
  assert.ok((await gap(0)) > 5, 'without regularisation 300 images overfit');
  assert.ok((await gap(4)) < (await gap(0)), 'augmentation shrinks the gap');
  assert.ok((await zeros(2)) > 10 * (await zeros(0)), 'L1 makes weights zero');
  assert.ok((await exact(2)) > 10_000, 'L1 sets weights exactly to zero');
  assert.equal(await exact(1), 0, 'L2 only shrinks them');
  // The learner's own run joins the table.
  await page.getByTestId('regularisation-add').click();
  await page.getByTestId('regularisation-row-7').filter({ hasText: 'your settings' }).waitFor({ timeout: 120_000 });
  await screenshot(page, 'lesson-regularisation');
});

test('optimizer race, batch size, initialisation, learning-rate search, gradient check', async () => {
  await page.getByTestId('nav-optimizers').click();
  await set('optimizers-images', 500);
  await set('optimizers-epochs', 1);
  await page.getByTestId('optimizers-run').click();
  await page.getByTestId('optimizers-status').filter({ hasText: '8 runs done' }).waitFor({ timeout: 300_000 });
  const names = await page.locator('[data-testid^=optimizers-row-] td:first-child').allTextContents();
  assert.deepEqual(names.map((n) => n.split(' ')[0]), ['SGD', 'Momentum', 'Nesterov', 'AdaGrad', 'RMSProp', 'AdaDelta', 'Adam', 'AdamW']);
  await set('batch-size-images', 200);
  await set('batch-size-epochs', 2);
  await page.getByTestId('batch-size-run').click();
  await page.getByTestId('batch-size-status').filter({ hasText: '3 runs done' }).waitFor({ timeout: 300_000 });
  const rows = await page.locator('[data-testid^=batch-size-row-]').allTextContents();
  assert.equal(rows.length, 3);
  assert.match(rows[0], /^batch 1/);
  assert.match(rows[2], /^full batch \(200\)/);
  // Initialisation: zeros stay at chance, Glorot learns; the first batch's activations shown.
  await set('initialisation-images', 500);
  await set('initialisation-epochs', 1);
  await page.getByTestId('initialisation-run').click();
  await page.getByTestId('initialisation-status').filter({ hasText: '5 runs done' }).waitFor({ timeout: 300_000 });
  assert.equal(await page.locator('[data-testid^=initialisation-activations-]').count(), 5);
  assert.equal(await page.locator('[data-testid=initialisation-activations-0] canvas').count(), 4, 'four tanh layers');
  // Learning-rate search: a coarse round, then a fine one around the best rate.
  await set('lr-search-images', 500);
  await page.getByTestId('lr-search-run').click();
  await page.getByTestId('lr-search-status').filter({ hasText: '6 runs done' }).waitFor({ timeout: 300_000 });
  const best = /\((\S+)\)/.exec(await text('lr-search-refine'))[1];
  await page.getByTestId('lr-search-refine').click();
  await page.getByTestId('lr-search-status').filter({ hasText: '12 runs done' }).waitFor({ timeout: 300_000 });
  const rates = (await page.locator('[data-testid^=lr-search-row-] td:first-child').allTextContents()).map((n) => Number(n.replace('lr ', '')));
  assert.equal(rates.length, 12);
  for (const r of rates.slice(6)) assert.ok(r >= Number(best) / 4.01 && r <= Number(best) * 4.01, `${r} is near ${best}`);
  // The gradient check on the trainer's model (the CNN trained above).
  await page.getByTestId('gradcheck-run').click();
  await page.getByTestId('gradcheck-summary').waitFor({ timeout: 60_000 });
  const summary = await text('gradcheck-summary');
  console.log(`# figure: gradient check of the trained default CNN: ${summary}`);
  assert.match(summary, /^6 tensors checked/);
  const worst = Number(/is (\S+)\.$/.exec(summary)[1]);
  // f32 rounding over 2h and ReLU/max-pool kinks leave ~1e-2 on the smallest gradients; a
  // wrong gradient is off by tens of percent (the native test holds trained models to 1e-2).
  assert.ok(worst < 5e-2, `backprop agrees with numeric gradients: ${worst}`);
  assert.equal(await page.locator('[data-testid=gradcheck-table] td', { hasText: 'disagree' }).count(), 0);
  await screenshot(page, 'lesson-optimizers');
  assert.deepEqual(problems, []);
});
