// The learner's own images in real Chromium: a folder of colour photos the test makes
// (PNG and JPEG from the browser's own encoders, mixed sizes, three classes) is chosen as a
// folder; the page shows the classes and counts, the colour CNN trains on it to at least
// 90 % on its test images, the input block shows three channels, and the model downloads,
// reopens and predicts the same. The same with a zip; bad files are named and the loaded
// dataset stays.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { deflateRawSync, crc32 } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { serve } from './serve.mjs';
import { byTestId, launch, openPage, reveal, screenshot, ARTEFACTS } from './browser.mjs';

let server, url, browser, page, problems;

before(async () => {
  ({ server, url } = await serve(new URL('../dist', import.meta.url).pathname));
  browser = await launch({ camera: true });
  ({ page, problems } = await openPage(browser, url));
});

after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const CLASSES = { cherries: [200, 30, 40], leaves: [50, 160, 60], sky: [60, 110, 220] };
const FOLDER = `${ARTEFACTS}own-images/orchard`;

/** Makes `perClass` photos per class in the page: each its class's colour with noise and a
 * grey blob, 24–80 px each way, PNG or JPEG in turn. Returns [path, bytes] pairs. */
async function makePhotos(perClass) {
  const made = await page.evaluate(
    async ({ classes, perClass }) => {
      let seed = 7;
      const rand = (n) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
      const out = [];
      for (let i = 0; i < perClass; i++) {
        for (const [name, [r, g, b]] of Object.entries(classes)) {
          const [w, h] = [24 + rand(57), 24 + rand(57)];
          const canvas = new OffscreenCanvas(w, h);
          const ctx = canvas.getContext('2d');
          const img = ctx.createImageData(w, h);
          for (let p = 0; p < w * h; p++) {
            img.data[p * 4] = r + rand(50) - 25;
            img.data[p * 4 + 1] = g + rand(50) - 25;
            img.data[p * 4 + 2] = b + rand(50) - 25;
            img.data[p * 4 + 3] = 255;
          }
          ctx.putImageData(img, 0, 0);
          const grey = rand(256);
          ctx.fillStyle = `rgb(${grey},${grey},${grey})`;
          ctx.beginPath();
          ctx.arc(rand(w), rand(h), 3 + rand(6), 0, 2 * Math.PI);
          ctx.fill();
          const type = i % 2 ? 'image/jpeg' : 'image/png';
          const blob = await canvas.convertToBlob({ type, quality: 0.9 });
          const bytes = [...new Uint8Array(await blob.arrayBuffer())];
          out.push([`${name}/${String(i).padStart(3, '0')}.${i % 2 ? 'jpg' : 'png'}`, bytes]);
        }
      }
      return out;
    },
    { classes: CLASSES, perClass },
  );
  return made.map(([path, bytes]) => [path, Buffer.from(bytes)]);
}

/** A zip (deflated entries) of `files`, all inside `folder/`, made here with node's zlib. */
function zipOf(folder, files) {
  const local = [], central = [];
  let offset = 0;
  for (const [path, bytes] of files) {
    const name = Buffer.from(`${folder}/${path}`);
    const data = deflateRawSync(bytes);
    const header = Buffer.alloc(26);
    header.writeUInt16LE(20, 0);
    header.writeUInt16LE(8, 4);
    header.writeUInt32LE(crc32(bytes), 10);
    header.writeUInt32LE(data.length, 14);
    header.writeUInt32LE(bytes.length, 18);
    header.writeUInt16LE(name.length, 22);
    const sig = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
    local.push(sig(0x04034b50), header, name, data);
    const tail = Buffer.alloc(14);
    tail.writeUInt32LE(offset, 10);
    central.push(sig(0x02014b50), Buffer.from([20, 3]), header, tail, name);
    offset += 4 + header.length + name.length + data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...local, dir, end]);
}

const waitForText = (id, value, timeout = 120_000) =>
  page.waitForFunction(
    ([id, value]) => document.querySelector(`[data-testid="${id}"]`)?.textContent === value,
    [id, value],
    { timeout },
  );

const classRows = () =>
  page.$$eval('[data-testid=class-counts] tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)));

let photos, saved;

/** The model's answers on the test gallery: "test image #i, labelled X: the model says Y". */
const predictions = (p) =>
  p.$$eval('[data-testid^=test-image-]', (items) => items.map((i) => i.title.replace(/ \(.*/, '')));

test('a folder of generated colour photos loads with its classes and counts', async () => {
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  photos = await makePhotos(40);
  rmSync(FOLDER, { recursive: true, force: true });
  for (const [path, bytes] of photos) {
    mkdirSync(`${FOLDER}/${path.split('/')[0]}`, { recursive: true });
    writeFileSync(`${FOLDER}/${path}`, bytes);
  }
  // A file that is not an image rides along: it is named, the rest load.
  writeFileSync(`${FOLDER}/sky/notes.txt`, 'not a photo');
  await page.getByTestId('images-folder').setInputFiles(FOLDER);
  await waitForText('dataset-name', 'orchard');
  const rows = await classRows();
  assert.deepEqual(rows.map((r) => r[0]), ['cherries', 'leaves', 'sky']);
  const total = rows.reduce((s, [, train, test]) => s + Number(train) + Number(test), 0);
  assert.equal(total, 120, 'every photo loaded');
  assert.deepEqual(rows.map((r) => Number(r[2])), [8, 8, 8], 'a fifth of each class held out');
  assert.equal(await text('count-train'), '96');
  assert.equal(await text('count-test'), '24');
  await page.getByTestId('left-out').getByText('orchard/sky/notes.txt: is not an image this app reads').waitFor({ state: 'attached' });
  // The samples are drawn in colour.
  const colours = await page.getByTestId('sample-grid').evaluate((c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let red = 0, green = 0, blue = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i] > 150 && px[i + 1] < 90) red++;
      if (px[i + 1] > 120 && px[i] < 100 && px[i + 2] < 110) green++;
      if (px[i + 2] > 180 && px[i] < 110) blue++;
    }
    return { red, green, blue };
  });
  assert.ok(colours.red > 100 && colours.green > 100 && colours.blue > 100, JSON.stringify(colours));
  await screenshot(page, 'own-images-loaded');
});

test('the colour CNN trains on them to 90 % and shows three input channels', async () => {
  await page.getByTestId('preset').selectOption({ label: 'Colour CNN' });
  await set('cfg-epochs', 6);
  await set('cfg-batch', 16);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 180_000 });
  await reveal(page, 'test-result');
  const shown = await text('test-result');
  const accuracy = Number(/Test set: ([\d.]+)% accuracy on 24 images/.exec(shown)[1]);
  console.log(`# figure: colour CNN on 96 generated 32×32 RGB photos, 6 epochs on the CPU: ${accuracy}% on 24 test images`);
  assert.ok(accuracy >= 90, shown);
  // The input block: the colour image and its red, green and blue channels, 2×2.
  const input = await page.getByTestId('input-image').evaluate((c) => {
    const ctx = c.getContext('2d');
    // Each panel is followed by a 4 px gap.
    const [w, h] = [c.width / 2 - 4, c.height / 2 - 4];
    const at = (k) => [...ctx.getImageData((k % 2) * (w + 4) + w / 2, Math.floor(k / 2) * (h + 4) + h / 2, 1, 1).data].slice(0, 3);
    return { width: c.width, height: c.height, panels: [0, 1, 2, 3].map(at) };
  });
  assert.ok(input.width > 60 && Math.abs(input.width - input.height) < 2, `four panels: ${JSON.stringify(input)}`);
  const [, r, g, b] = input.panels;
  assert.ok(r[1] === 0 && r[2] === 0 && g[0] === 0 && g[2] === 0 && b[0] === 0 && b[1] === 0, JSON.stringify(input.panels));
  assert.match(await text('layer-0-shape'), /^32\s*×\s*32\s*×\s*16$/);
  await screenshot(page, 'own-images-trained');

  // The model file keeps the input shape and class names; reopened, it predicts the same.
  await reveal(page, 'gallery-summary');
  await page.getByTestId('gallery-summary').filter({ hasText: /of 24 right/ }).waitFor({ timeout: 30_000 });
  const before = await predictions(page);
  await reveal(page, 'save-model');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const path = `${ARTEFACTS}${download.suggestedFilename()}`;
  await download.saveAs(path);
  const bytes = readFileSync(path);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString());
  assert.deepEqual(JSON.parse(header.__metadata__.class_names), ['cherries', 'leaves', 'sky']);
  assert.deepEqual(JSON.parse(header.__metadata__.config).model.input, [32, 32, 3]);
  saved = { path, before };
});

test('the native command trains on the same folder the page did, to the same accuracy', () => {
  // `make test` has built it (with its flags) before this suite runs.
  const out = execFileSync(
    'cargo',
    ['run', '--quiet', '--example', 'train_images', '--', '--folder', FOLDER, '--epochs', '6', '--batch', '16'],
    { encoding: 'utf8', cwd: new URL('..', import.meta.url).pathname },
  );
  const summary = JSON.parse(out.trim().split('\n').pop());
  console.log(`# figure: train_images on the page's folder: ${(100 * summary.test_accuracy).toFixed(1)}% on ${summary.test_images} test images, ${summary.left_out} file left out`);
  assert.deepEqual(summary.class_names, ['cherries', 'leaves', 'sky']);
  assert.deepEqual(summary.input, [32, 32, 3]);
  assert.equal(summary.train_images + summary.test_images, 120);
  assert.equal(summary.left_out, 1, 'notes.txt');
  assert.ok(summary.test_accuracy >= 0.9, JSON.stringify(summary));
});

test('the same photos as a zip load the same dataset', async () => {
  const zip = zipOf('orchard-zip', photos);
  await page.getByTestId('images-zip').setInputFiles({ name: 'orchard-zip.zip', mimeType: 'application/zip', buffer: zip });
  await waitForText('dataset-name', 'orchard-zip');
  assert.equal(await text('count-train'), '96');
  assert.equal(await text('count-test'), '24');
  assert.deepEqual((await classRows()).map((r) => r[0]), ['cherries', 'leaves', 'sky']);
});

test('a folder dropped on the page loads like a chosen one', async () => {
  // A synthetic drop cannot carry a real folder, so the drop's items hand out entries that
  // answer as the browser's FileSystem entries do (isDirectory, createReader, file); the
  // files in them are real Files of the photos, and everything after is the page's own.
  const few = photos.filter(([p]) => Number(p.split('/')[1].slice(0, 3)) < 10);
  await page.evaluate((files) => {
    const file = (name, bytes) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([new Uint8Array(bytes)], name)) });
    const dir = (name, children) => ({
      isFile: false, isDirectory: true, name,
      createReader: () => { let done = false; return { readEntries: (ok) => { ok(done ? [] : children); done = true; } }; },
    });
    const classes = {};
    for (const [path, bytes] of files) {
      const [cls, name] = path.split('/');
      (classes[cls] ??= []).push(file(name, bytes));
    }
    const root = dir('dropped', Object.entries(classes).map(([c, f]) => dir(c, f)));
    const dt = new DataTransfer();
    Object.defineProperty(dt, 'items', { value: [{ webkitGetAsEntry: () => root }] });
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
  }, few.map(([p, b]) => [p, [...b]]));
  await waitForText('dataset-name', 'dropped');
  const rows = await classRows();
  assert.deepEqual(rows.map((r) => r[0]), ['cherries', 'leaves', 'sky']);
  assert.deepEqual(rows.map((r) => Number(r[1]) + Number(r[2])), [10, 10, 10]);
});

test('the downloaded model, opened in a new page on the same images, answers the same', async () => {
  const { page: fresh, problems: freshProblems } = await openPage(browser, url);
  await fresh.getByTestId('count-train').waitFor({ timeout: 120_000 });
  const zip = zipOf('orchard', photos);
  await fresh.getByTestId('images-zip').setInputFiles({ name: 'orchard.zip', mimeType: 'application/zip', buffer: zip });
  await fresh.waitForFunction(() => document.querySelector('[data-testid="dataset-name"]')?.textContent === 'orchard', null, { timeout: 60_000 });
  await fresh.getByTestId('open-model').setInputFiles(saved.path);
  await fresh.getByTestId('notice').filter({ hasText: 'Opened' }).waitFor({ timeout: 30_000 });
  await reveal(fresh, 'gallery-summary');
  await fresh.getByTestId('gallery-summary').filter({ hasText: /of 24 right/ }).waitFor({ timeout: 30_000 });
  assert.deepEqual(await predictions(fresh), saved.before, 'the reopened model gives the same answers');
  await screenshot(fresh, 'own-images-reopened');
  assert.deepEqual(freshProblems, []);
  await fresh.close();
});

test('a zip bomb, a folder of one class and a broken zip are named; the dataset stays', async () => {
  // 200 MB of zeros in one entry: refused by its declared size, never inflated.
  const bomb = zipOf('bomb', [...photos.slice(0, 6), ['cherries/zeros.png', Buffer.alloc(200_000_000)]]);
  await page.getByTestId('images-zip').setInputFiles({ name: 'bomb.zip', mimeType: 'application/zip', buffer: bomb });
  await waitForText('dataset-name', 'bomb');
  await page.getByTestId('left-out').getByText('bomb/cherries/zeros.png: declares 190 MiB inflated', { exact: false }).waitFor({ state: 'attached' });
  const one = zipOf('one', photos.filter(([p]) => p.startsWith('sky/')));
  await page.getByTestId('images-zip').setInputFiles({ name: 'one.zip', mimeType: 'application/zip', buffer: one });
  await page.getByTestId('dataset-error').getByText("found one class ('sky')", { exact: false }).waitFor();
  assert.equal(await text('dataset-name'), 'bomb', 'the loaded dataset stays');
  await page.getByTestId('images-zip').setInputFiles({ name: 'cut.zip', mimeType: 'application/zip', buffer: one.subarray(0, 1000) });
  await page.getByTestId('dataset-error').getByText('cut.zip: not a zip archive', { exact: false }).waitFor();
  assert.equal(await text('dataset-name'), 'bomb');
  await screenshot(page, 'own-images-errors');
});

test('the webcam fills classes with frames from the fake camera, which load as a dataset', async () => {
  await page.getByTestId('tab-data').click();
  await page.getByTestId('cam-start').click();
  await page.getByTestId('cam-stop').waitFor();
  const hold = async (row, ms) => {
    const button = page.getByTestId(`cam-hold-${row}`);
    await button.scrollIntoViewIfNeeded();
    await button.dispatchEvent('pointerdown');
    await page.waitForTimeout(ms);
    await button.dispatchEvent('pointerup');
  };
  await page.getByTestId('cam-name-0').fill('left');
  await page.getByTestId('cam-name-0').dispatchEvent('change');
  await page.getByTestId('cam-name-1').fill('right');
  await page.getByTestId('cam-name-1').dispatchEvent('change');
  await hold(0, 1500);
  await hold(1, 1500);
  const count = async (row) => Number(await text(`cam-count-${row}`));
  const [left, right] = [await count(0), await count(1)];
  console.log(`# figure: webcam: ${left} and ${right} frames captured from Chromium's fake camera in 1.5 s each`);
  assert.ok(left >= 5 && right >= 5, `${left}, ${right} frames`);
  // A third class, then deleted; one frame deleted.
  await page.getByTestId('cam-add').click();
  await page.getByTestId('cam-class-2').waitFor();
  await page.getByTestId('cam-delete-2').click();
  assert.equal(await page.getByTestId('cam-class-2').count(), 0);
  await page.getByTestId('cam-frame-0').first().click();
  assert.equal(await count(0), left - 1);
  // The frames are captured from the camera: not blank.
  const lit = await page.getByTestId('cam-frame-1').first().evaluate((img) => {
    const c = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    for (let i = 0; i < px.length; i += 4) sum += px[i] + px[i + 1] + px[i + 2];
    return { side: c.width, mean: sum / (px.length / 4) / 3 };
  });
  assert.equal(lit.side, 96);
  assert.ok(lit.mean > 10, `a frame of the fake camera: mean ${lit.mean}`);
  await screenshot(page, 'own-images-webcam');
  await page.getByTestId('cam-use').click();
  await waitForText('dataset-name', 'webcam');
  const rows = await classRows();
  assert.deepEqual(rows.map((r) => r[0]), ['left', 'right']);
  const total = rows.reduce((s, [, train, test]) => s + Number(train) + Number(test), 0);
  assert.equal(total, left - 1 + right, 'every frame is an image of its class');
  await page.getByTestId('cam-stop').click();
});

test('no console errors were logged', () => {
  assert.deepEqual(problems, []);
});
