// The dataset panel in real Chromium: MNIST downloads and parses, samples are drawn,
// bad files give clear errors and leave the loaded dataset alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { serve } from './serve.mjs';
import { byTestId, launch, openPage, reveal, screenshot } from './browser.mjs';

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

const { text } = byTestId(() => page);

/** Waits until the element with `data-testid=id` shows exactly `value`. */
const waitForText = (id, value, timeout = 120_000) =>
  page.waitForFunction(
    ([id, value]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === value,
    [id, value],
    { timeout },
  );

/** IDX bytes built here, independently of the Rust encoder. */
function idxImages(count, side, fill) {
  const b = Buffer.alloc(16 + count * side * side, fill);
  b.writeUInt32BE(0x803, 0);
  b.writeUInt32BE(count, 4);
  b.writeUInt32BE(side, 8);
  b.writeUInt32BE(side, 12);
  return b;
}
function idxLabels(labels) {
  const b = Buffer.alloc(8 + labels.length);
  b.writeUInt32BE(0x801, 0);
  b.writeUInt32BE(labels.length, 4);
  Buffer.from(labels).copy(b, 8);
  return b;
}
const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });

test('MNIST loads with its real counts and a drawn sample grid', async () => {
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  assert.equal(await text('dataset-name'), 'MNIST');
  assert.equal(await text('count-train'), '60000');
  assert.equal(await text('count-test'), '10000');
  const classes = await page.locator('[data-testid=class-counts] tbody tr').count();
  assert.equal(classes, 10);
  const timing = await text('dataset-timing');
  const ready = Number(/Ready (\d+) ms/.exec(timing)[1]);
  console.log(`# figure: navigation to MNIST parsed in headless Chromium: ${ready} ms (${timing})`);
  const ink = await page.evaluate(() => {
    const c = document.querySelector('[data-testid=sample-grid]');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < px.length; i += 4) if (px[i] < 128) dark++;
    return { dark, width: c.width, height: c.height };
  });
  assert.ok(ink.width > 0 && ink.height > 0, 'the grid has a size');
  assert.ok(ink.dark > 1000, `samples are drawn (${ink.dark} dark pixels)`);
  await screenshot(page, 'dataset-mnist');
});

test('a file that is not gzip is named in a clear error and MNIST stays loaded', async () => {
  await page.getByTestId('dataset-files').setInputFiles([
    file('train-images-idx3-ubyte.gz', Buffer.from('this is not a gzip file at all')),
  ]);
  const error = page.getByTestId('dataset-error');
  await error.waitFor();
  assert.match(await error.textContent(), /^train-images-idx3-ubyte\.gz: not a gzip file/);
  assert.equal(await text('dataset-name'), 'MNIST');
  assert.equal(await text('count-train'), '60000');
  await screenshot(page, 'dataset-error-not-gzip');
});

test('a truncated download is reported as truncated', async () => {
  const real = readFileSync(new URL('../www/data/mnist/t10k-labels-idx1-ubyte.gz', import.meta.url));
  await page.getByTestId('dataset-files').setInputFiles([
    file('t10k-labels-idx1-ubyte.gz', real.subarray(0, real.length >> 1)),
  ]);
  await page.getByText('truncated gzip data').waitFor();
  assert.equal(await text('count-train'), '60000');
});

test('mismatched counts and out-of-range labels are explained', async () => {
  await page.getByTestId('dataset-files').setInputFiles([
    file('imgs.idx', idxImages(3, 28, 0)),
    file('lbls.idx', idxLabels([1, 2])),
  ]);
  await page.getByText('imgs.idx holds 3 images but lbls.idx holds 2 labels').waitFor();
  await page.getByTestId('dataset-files').setInputFiles([
    file('imgs.idx', idxImages(2, 28, 0)),
    file('lbls.idx', idxLabels([1, 42])),
  ]);
  await page.getByText('lbls.idx: label 42 at index 1 is outside the classes 0–9').waitFor();
  assert.equal(await text('dataset-name'), 'MNIST');
});

test('files dropped on the page load as a dataset', async () => {
  const images = [...gzipSync(idxImages(20, 28, 200))];
  const labels = [...idxLabels(Array.from({ length: 20 }, (_, i) => i % 10))];
  await page.evaluate(
    ({ images, labels }) => {
      const dt = new DataTransfer();
      dt.items.add(new File([new Uint8Array(images)], 'my-images.gz'));
      dt.items.add(new File([new Uint8Array(labels)], 'my-labels.idx'));
      document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
    },
    { images, labels },
  );
  await waitForText('dataset-name', 'Your files');
  assert.equal(await text('count-train'), '20');
  assert.equal(await text('count-test'), '0');
  assert.equal(await page.getByTestId('dataset-error').count(), 0);
  await screenshot(page, 'dataset-dropped');
});

test('Fashion-MNIST is offered as a second dataset', async () => {
  await page.getByTestId('dataset-select').selectOption('fashion');
  await page.getByTestId('dataset-load').click();
  await waitForText('dataset-name', 'Fashion-MNIST');
  assert.equal(await text('count-train'), '60000');
  assert.equal(await text('count-test'), '10000');
  await reveal(page, 'class-counts');
  await page.getByTestId('class-counts').getByText('Ankle boot').waitFor();
  await screenshot(page, 'dataset-fashion');
});

test('no console errors were logged', () => {
  assert.deepEqual(problems, []);
});
