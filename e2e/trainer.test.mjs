// The trainer in real Chromium, driven the way a person does: pick the default CNN, train one
// epoch on 2 000 images on the CPU and again on WebGPU (SwiftShader), pause and resume, lose
// the GPU mid-run, draw a digit and read the prediction. No console errors, and while it
// trains no task on the page's main thread takes more than 100 ms of that thread's CPU time
// (from a Chromium trace, so load from other processes cannot fail it; wall time is reported).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { serve } from './serve.mjs';
import { byTestId, launch, mainThreadTasks, screenshot, reveal } from './browser.mjs';

let server, url, browser, page;
const problems = [];
let startedAt = 0;
const marks = {};
/** Main-thread tasks while training, by backend. */
const tasks = {};
const mark = async (name) => { marks[name] = await page.evaluate(() => performance.now()); };

before(async () => {
  ({ server, url } = await serve(new URL('../dist', import.meta.url).pathname));
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // Long tasks are recorded from the first script on.
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(url);
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  startedAt = await page.evaluate(() => performance.now());
});

after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const status = () => text('run-status');
const waitStatus = (value, timeout = 300_000) =>
  page.waitForFunction(
    (v) => document.querySelector('[data-testid="run-status"]')?.textContent === v,
    value,
    { timeout },
  );
const chartImage = (id) => page.getByTestId(id).evaluate((c) => c.toDataURL());
const percent = async (id) => Number((await text(id)).replace('%', ''));

async function configure(backend, epochs) {
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 2000);
  await set('cfg-validation', 1000);
  await set('cfg-batch', 16);
  await set('cfg-lr', 0.003);
  await set('cfg-epochs', epochs);
  await page.getByTestId('cfg-backend').selectOption(backend);
}

async function trainOneEpoch(backend) {
  await configure(backend, 1);
  await page.getByTestId('reset').click();
  const before = await chartImage('loss-chart');
  const t0 = Date.now();
  await page.getByTestId('train').click();
  await waitStatus('finished');
  // The page applies updates in 8 ms slices, so the last step's line may follow the status
  // by a slice: give it a moment, then check the count.
  await page
    .waitForFunction(() => / batch 125\b/.test(document.querySelector('[data-testid="last-step"]')?.textContent ?? ''), null, { timeout: 5_000 })
    .catch(() => {});
  const batches = /batch (\d+)/.exec(await text('last-step'))[1];
  assert.equal(batches, '125', '2000 images in batches of 16');
  const seconds = (Date.now() - t0) / 1000;
  const accuracy = await percent('val-accuracy-1');
  const device = await text('device');
  console.log(`# figure: ${device}: 1 epoch on 2000 images in ${seconds.toFixed(1)} s, validation ${accuracy}%`);
  assert.ok(accuracy > 80, `validation accuracy ${accuracy}% on ${backend}`);
  assert.notEqual(await chartImage('loss-chart'), before, 'the loss chart was redrawn');
  assert.match(await text('test-result'), /Test set: \d+\.\d+% accuracy on 10000 images/);
  assert.equal(await page.locator('[data-testid=confusion-matrix] tr').count(), 11);
  return device;
}

test('the default CNN trains one epoch on 2000 images on the CPU', async () => {
  const layers = await page.locator('[data-testid^=layer-][data-testid$=-shape]').allTextContents();
  assert.deepEqual(layers.slice(0, 3), ['24×24×8', '24×24×8', '12×12×8']);
  let device;
  tasks.cpu = await mainThreadTasks(browser, page, async () => { device = await trainOneEpoch('cpu'); });
  assert.equal(device, 'Training on CPU');
  const coach = await text('coach');
  assert.doesNotMatch(coach, /Train a model and the coach/);
  console.log(`# figure: coach after 1 CPU epoch: ${coach.slice(5, 200)}`);
  await reveal(page, 'filter-grid');
  await page.getByTestId('filter-grid').waitFor();
  await screenshot(page, 'trainer-cpu');
});

test('the same on WebGPU (SwiftShader), with the adapter named', async () => {
  await mark('webgpu');
  let device;
  tasks.webgpu = await mainThreadTasks(browser, page, async () => { device = await trainOneEpoch('webgpu'); });
  assert.match(device, /Training on WebGPU: /);
  await screenshot(page, 'trainer-webgpu');
});

test('pause holds the run still; resume continues it', async () => {
  await mark('pause');
  await configure('cpu', 3);
  await page.getByTestId('train').click();
  await page.waitForFunction(() => /batch (\d+)/.exec(document.querySelector('[data-testid="last-step"]')?.textContent ?? '')?.[1] > 20);
  await page.getByTestId('pause').click();
  await waitStatus('paused', 10_000);
  const held = await text('last-step');
  await page.waitForTimeout(700);
  assert.equal(await text('last-step'), held, 'nothing trains while paused');
  await page.getByTestId('step').click();
  await page.waitForFunction((h) => document.querySelector('[data-testid="last-step"]')?.textContent !== h, held);
  assert.equal(await status(), 'paused', 'Step trains one batch and stays paused');
  await page.getByTestId('resume').click();
  await waitStatus('training…', 10_000);
  await page.waitForFunction((h) => document.querySelector('[data-testid="last-step"]')?.textContent !== h, held);
  await page.getByTestId('stop').click();
  await waitStatus('stopped', 10_000);
});

test('a drawn digit gets a prediction', async () => {
  await mark('draw');
  await reveal(page, 'pad');
  await page.getByTestId('pad').scrollIntoViewIfNeeded();
  const pad = await page.getByTestId('pad').boundingBox();
  const at = (x, y) => [pad.x + (x * pad.width) / 28, pad.y + (y * pad.height) / 28];
  // A "1": one vertical stroke.
  await page.mouse.move(...at(14, 4));
  await page.mouse.down();
  for (let y = 5; y <= 24; y += 1) await page.mouse.move(...at(14, y));
  await page.mouse.up();
  await page.getByTestId('prediction').filter({ hasText: 'The model says' }).waitFor({ timeout: 30_000 });
  const rows = await page.locator('[data-testid=probabilities] tr').count();
  assert.equal(rows, 10);
  console.log(`# figure: drawn "1": ${await text('prediction')}`);
  await page.getByTestId('feature-maps').locator('canvas').first().waitFor();
  await screenshot(page, 'trainer-draw');
});

test('test images show the answers; a clicked one shows its feature maps', async () => {
  await mark('gallery');
  await reveal(page, 'gallery-summary');
  await page.getByTestId('gallery-summary').filter({ hasText: /of 24 right/ }).waitFor({ timeout: 30_000 });
  const right = Number(/: (\d+) of 24 right/.exec(await text('gallery-summary'))[1]);
  console.log(`# figure: test gallery after training: ${await text('gallery-summary')}`);
  assert.ok(right >= 12, 'a trained model gets most test images right');
  await reveal(page, 'gallery-next');
  await page.getByTestId('gallery-next').click();
  await page.getByTestId('gallery-summary').filter({ hasText: /^images 25–48 of 10000/ }).waitFor();
  const first = page.locator('[data-testid^=test-image-]').first();
  const index = (await first.getAttribute('data-testid')).replace('test-image-', '');
  assert.equal(index, '24');
  await first.click();
  await reveal(page, 'feature-input');
  await page.getByTestId('feature-input').filter({ hasText: 'Input: test image #24, labelled' }).waitFor();
  await page.getByTestId('feature-map-0').waitFor();
  await screenshot(page, 'trainer-gallery');
});

test('image grids save as PNG; activations are charted over time', async () => {
  await mark('png');
  for (const id of ['filter-grid', 'feature-map-0', 'wrong-gallery', 'loss-chart']) {
    await reveal(page, `${id}-png`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`${id}-png`).click()]);
    assert.equal(download.suggestedFilename(), `${id}.png`);
    const bytes = readFileSync(await download.path());
    assert.deepEqual([...bytes.subarray(1, 4)], [0x50, 0x4e, 0x47], `${id}.png is a PNG`);
  }
  // The history of the first layer's activations has columns drawn (not a blank canvas).
  const inked = await page.getByTestId('activation-history-0').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height - 14).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 250 || d[i + 1] < 250 || d[i + 2] < 250) n += 1;
    return n;
  });
  assert.ok(inked > 100, `${inked} pixels of the activation history are drawn`);
});

test('a lost GPU hands the run to the CPU with a notice', async () => {
  await mark('lost');
  await configure('webgpu', 2);
  await page.getByTestId('train').click();
  await reveal(page, 'epoch-table');
  await page.getByTestId('val-accuracy-1').waitFor({ timeout: 300_000 });
  await page.evaluate(() => window.__trainerLoseGpu());
  await waitStatus('finished');
  assert.match(await text('notice'), /GPU failed .* continues on the CPU from the start of epoch 2/);
  assert.equal(await text('device'), 'Training on CPU');
  assert.ok((await percent('val-accuracy-2')) > 80);
  await screenshot(page, 'trainer-device-lost');
});

test('the settings are in the URL and an architecture error blocks training', async () => {
  await mark('url');
  const link = page.url();
  assert.match(link, /#config=/);
  const config = JSON.parse(decodeURIComponent(link.split('#config=')[1])).config;
  assert.equal(config.batch_size, 16);
  // A 30×30 kernel cannot fit a 28×28 image: the layer says so and Train is disabled.
  await page.getByTestId('block-0').click();
  await set('layer-0-kernel', 30);
  assert.match(await text('layer-0-error'), /30/);
  assert.ok(await page.getByTestId('train').isDisabled());
  await set('layer-0-kernel', 5);
  assert.ok(await page.getByTestId('train').isEnabled());
});

test('no console errors, and no main-thread task over 100 ms of CPU time while training', async () => {
  const wall = await page.evaluate((t) => window.__longTasks.filter((e) => e.start > t), startedAt);
  console.log(`# figure: main-thread tasks over 50 ms of wall time after start-up: ${wall.length}, longest ${Math.max(0, ...wall.map((e) => e.ms)).toFixed(0)} ms (marks ${JSON.stringify(marks)})`);
  for (const [backend, list] of Object.entries(tasks)) {
    const max = (key) => Math.max(0, ...list.map((t) => t[key])).toFixed(1);
    console.log(`# figure: training on ${backend}: ${list.length} main-thread tasks, over 50 ms of CPU: ${list.filter((t) => t.cpu > 50).length}; longest ${max('cpu')} ms CPU, ${max('wall')} ms wall`);
    assert.ok(list.length > 100, `the trace of training on ${backend} holds the main thread's tasks (${list.length})`);
    assert.deepEqual(list.filter((t) => t.cpu > 100), [], `tasks over 100 ms of CPU time while training on ${backend}`);
  }
  assert.deepEqual(problems, []);
});
