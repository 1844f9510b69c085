// What the page shows of the model while it trains is computed from the weights of a stated
// moment: the chosen image's activations change from one refresh to the next during
// training, and once paused they agree with a forward pass that this test computes itself
// (e2e/reference.mjs) from the model file of that moment; the test gallery's "x of n right"
// is the count of that same forward pass over its images.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { byTestId, openTrainer, reveal, screenshot } from './browser.mjs';
import { forward, predictedClass, readModelFile, readTestSet } from './reference.mjs';

let server, browser, page, problems;

before(async () => ({ server, browser, page, problems } = await openTrainer()));
after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const inside = async () => JSON.parse(await page.evaluate(() => window.__trainerInside()));
const status = () => text('run-status');
const gallery = async () => {
  const m = /^images (\d+)–(\d+) of \d+: (\d+) of (\d+) right, after batch (\d+)$/.exec(await text('gallery-summary'));
  return m && { first: Number(m[1]) - 1, last: Number(m[2]) - 1, right: Number(m[3]), of: Number(m[4]), step: Number(m[5]) };
};

/** Waits until `read()` gives a value for which `ok(value)` holds, and returns it. */
async function until(read, ok, what, timeout = 120_000) {
  const t0 = Date.now();
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(value)?.slice(0, 200)}`);
    await page.waitForTimeout(100);
  }
}

test('activations and the gallery follow the weights during training and match them when paused', async () => {
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 30000);
  await set('cfg-validation', 1000);
  // Long enough that a fast, quiet machine is still training when the test pauses it.
  await set('cfg-epochs', 20);
  await set('cfg-batch', 16);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  await page.getByTestId('train').click();

  // The gallery is refreshed while the model trains, each time from a later batch.
  const g1 = await until(gallery, (g) => g && g.step > 0, 'a gallery computed during training');
  const g2 = await until(gallery, (g) => g && g.step > g1.step, 'a second gallery refresh');
  assert.equal(await status(), 'training…', 'refreshed while training');
  console.log(`# figure: gallery refreshed during training after batches ${g1.step} and ${g2.step}`);

  // A chosen test image: its activations are refreshed too, and change as the weights do.
  await reveal(page, 'test-gallery');
  const chosen = page.locator('[data-testid^=test-image-]').first();
  const index = Number((await chosen.getAttribute('data-testid')).replace('test-image-', ''));
  await chosen.scrollIntoViewIfNeeded();
  await chosen.click();
  const a = await until(inside, (s) => s.step !== null && s.maps.length > 0, 'activations of the chosen image');
  const b = await until(inside, (s) => s.step > a.step, 'a second refresh of the activations');
  const changed = a.maps.some((m, k) => m.values.some((v, i) => v !== b.maps[k].values[i]));
  assert.ok(changed, `the activations after batch ${a.step} and after batch ${b.step} differ`);
  assert.match(await text('prediction-step'), new RegExp(`after batch ${b.step}\\b`));

  // Paused: the gallery and the (re-chosen) image are computed from the weights of now.
  await page.getByTestId('pause').click();
  await until(status, (s) => s === 'paused', 'the pause');
  const paused = Number(/^batch (\d+)/.exec(await text('last-step'))[1]);
  await reveal(page, 'test-gallery');
  await chosen.click();
  const shown = await until(inside, (s) => s.step === paused, `activations after batch ${paused}`);
  const g = await until(gallery, (x) => x && x.step === paused, `the gallery after batch ${paused}`);
  await screenshot(page, 'live-paused');

  await reveal(page, 'save-model');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const model = readModelFile(new Uint8Array(readFileSync(await download.path())));
  const images = readTestSet('mnist');

  const outputs = forward(model, images.pixels(index));
  assert.equal(shown.maps.length, outputs.length, 'one map per layer');
  let worst = 0;
  outputs.forEach((out, k) => {
    const values = shown.maps[k].values;
    assert.equal(values.length, out.data.length, `layer ${k + 1}'s size`);
    for (let i = 0; i < values.length; i += 1) worst = Math.max(worst, Math.abs(values[i] - out.data[i]));
  });
  console.log(`# figure: activations of test image #${index} after batch ${paused}: largest difference from the test's own forward pass ${worst.toExponential(2)}`);
  assert.ok(worst <= 1e-4, `activations within 1e-4 of the reference (${worst})`);

  let right = 0;
  for (let i = g.first; i <= g.last; i += 1) if (predictedClass(forward(model, images.pixels(i))) === images.label(i)) right += 1;
  console.log(`# figure: gallery after batch ${paused}: the page says ${g.right} of ${g.of} right, the reference forward pass ${right}`);
  assert.equal(g.right, right);
  assert.deepEqual(problems, []);
});

test('Auto times the model on each backend and trains on the faster, saying why with both figures', async () => {
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 2000);
  await set('cfg-epochs', 1);
  await set('cfg-batch', 32);
  await page.getByTestId('cfg-backend').selectOption('auto');
  await page.getByTestId('train').click();
  await page.getByTestId('backend-reason').waitFor({ timeout: 120_000 });
  const reason = await text('backend-reason');
  console.log(`# figure: ${reason}`);
  const m = /^Auto chose (the CPU|WebGPU): CPU ([\d ]+) samples\/s; WebGPU on (.+) ([\d ]+) samples\/s, measured on this model and batch size\.$/.exec(reason);
  assert.ok(m, reason);
  const [cpu, gpu] = [m[2], m[4]].map((s) => Number(s.replace(/ /g, '')));
  assert.ok(cpu > 0 && gpu > 0);
  // Headless Chromium's adapter is SwiftShader, software: named as such, and slower here.
  assert.match(m[3], /swiftshader.*\(a software adapter\)$/i);
  assert.equal(m[1], cpu > gpu ? 'the CPU' : 'WebGPU');
  assert.equal(m[1], 'the CPU', `SwiftShader (${gpu}/s) is slower than the CPU backend (${cpu}/s)`);
  await until(status, (s) => s === 'finished', 'the run', 300_000);
  assert.equal(await text('device'), 'Training on CPU');
  await screenshot(page, 'auto-choice');
});
