// Hostile input in real Chromium: a model file declaring 10¹² parameters, links carrying
// absurd or non-finite settings, and browsers without WebGPU. Each gets a message, and the
// page keeps the model it had and still trains it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { byTestId, openTrainer, launch, openPage, screenshot, reveal } from './browser.mjs';

let server, url, browser, page;

before(async () => ({ server, url, browser, page } = await openTrainer()));
after(async () => {
  await browser?.close();
  server?.close();
});

const { text, set } = byTestId(() => page);
const finished = (p = page) =>
  p.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 120_000 });

/** A short run of the default CNN on the CPU (or on whatever `backend` says). */
async function trainBriefly(p = page, backend = 'cpu') {
  const { set } = byTestId(() => p);
  await p.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 500);
  await set('cfg-validation', 500);
  await set('cfg-epochs', 1);
  await set('cfg-batch', 16);
  await p.getByTestId('cfg-backend').selectOption(backend);
  await p.getByTestId('train').click();
  await finished(p);
}

/** Rewrites a safetensors file's JSON header with `edit`, keeping its tensors. */
function withHeader(bytes, edit) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

test('a model file declaring 10¹² parameters is refused; the page keeps training its model', async () => {
  await trainBriefly();
  await reveal(page, 'save-model');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const good = new Uint8Array(readFileSync(await download.path()));
  // Flatten (256) → Dense 10⁹ → Dense 1000 → Dense 10: 257·10⁹ + (10¹² + 1000) + 10 010,
  // and 3 424 in the conv layers.
  const hostile = withHeader(good, (h) => {
    const config = JSON.parse(h.__metadata__.config);
    const out = config.model.layers.findIndex((l) => l.type === 'dense');
    config.model.layers.splice(out, 0, { type: 'dense', units: 1_000_000_000 }, { type: 'dense', units: 1000 });
    h.__metadata__.config = JSON.stringify(config);
  });
  await page.evaluate((data) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(data)], 'huge.safetensors'));
    document.body.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true }));
  }, [...hostile]);
  await page.getByTestId('train-error').filter({ hasText: 'huge.safetensors' }).waitFor({ timeout: 30_000 });
  const message = await text('train-error');
  assert.match(message, /^huge\.safetensors: not a usable model file: its architecture declares 1 257 000 014 434 parameters \(5\.03 TB as f32\) but the file holds only [\d.]+ kB$/);
  console.log(`# figure: ${message}`);
  // Nothing was replaced: the same model, and it trains on.
  assert.match(await text('param-count'), /^5 994 trainable parameters/);
  assert.equal(await text('run-status'), 'finished');
  await page.getByTestId('train').click();
  await finished();
});

/** Opens the page with the current link's configuration changed by `edit`. */
async function openLink(edit) {
  const hash = await page.evaluate(() => location.hash);
  const shared = JSON.parse(decodeURIComponent(hash.slice('#config='.length)));
  edit(shared.config);
  // JSON has no NaN: a number past f32's range is how a link carries a non-finite value.
  const json = JSON.stringify(shared).replace('"base":"INF"', '"base":1e39');
  await page.goto('about:blank');
  await page.goto(`${url}#config=${encodeURIComponent(json)}`);
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
}

test('links with absurd or non-finite settings are refused with a message', async () => {
  const refused = [
    ['an infinite learning rate', (c) => { c.lr.base = 'INF'; }, 'the learning rate must be a positive number, got inf'],
    ['10⁹ epochs', (c) => { c.epochs = 1e9; }, 'epochs must be at most 10 000, got 1 000 000 000'],
    ['batch size 0', (c) => { c.batch_size = 0; }, 'batch size (0), epochs (3) and accumulation (1) must all be at least 1'],
    ['a kernel larger than its input', (c) => { c.model.layers[0].kernel = [40, 40]; }, 'the input is smaller than the window'],
  ];
  for (const [what, edit, expected] of refused) {
    await openLink(edit);
    const notice = await text('notice');
    assert.ok(notice.startsWith("the link's configuration is not usable: ") && notice.includes(expected), `${what}: ${notice}`);
    // The page keeps a model it can train: the default one.
    assert.match(await text('param-count'), /^5 994 trainable parameters/, what);
    assert.equal(await page.getByTestId('train').isDisabled(), false, what);
    console.log(`# figure: ${what}: ${notice}`);
  }
  // A batch larger than the data is only known once the data is: the link opens, Train waits.
  await openLink((c) => { c.batch_size = 60_000; });
  assert.match(await text('train-blocked'), /^Cannot train yet: the batch size \(60 000\) is larger than the 55 000 training images$/);
  assert.equal(await page.getByTestId('train').isDisabled(), true);
  await screenshot(page, 'hostile-batch');
  await set('cfg-batch', 16);
  await trainBriefly();
});

test('without WebGPU (Chromium without the flag) the page says why and trains on the CPU', async () => {
  const plain = await launch({ webgpu: false });
  try {
    const { page: p } = await openPage(plain, url);
    await p.getByTestId('count-train').waitFor({ timeout: 120_000 });
    await trainBriefly(p, 'auto');
    assert.equal(await p.getByTestId('device').textContent(), 'Training on CPU');
    const notice = await p.getByTestId('notice').textContent();
    assert.match(notice, /^WebGPU is not available here \(WebGPU: the browser has WebGPU but offers no adapter \(it may be switched off, or this GPU not supported\)\)\. Training on the CPU\.$/);
    console.log(`# figure: no flag: ${notice}`);
  } finally {
    await plain.close();
  }
});

test('with navigator.gpu removed before the app starts, the page says why and trains on the CPU', async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => { delete Navigator.prototype.gpu; });
    const p = await context.newPage();
    await p.goto(url);
    await p.getByTestId('count-train').waitFor({ timeout: 120_000 });
    assert.equal(await p.evaluate(() => 'gpu' in navigator), false);
    assert.equal(
      await p.getByTestId('no-webgpu').textContent(),
      'This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU.',
    );
    await trainBriefly(p, 'auto');
    assert.equal(await p.getByTestId('device').textContent(), 'Training on CPU');
    await screenshot(p, 'no-webgpu');
  } finally {
    await context.close();
  }
});
