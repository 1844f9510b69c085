// CPU threads in real Chromium. Served as `make serve` serves it (e2e/serve.mjs sends the
// COOP/COEP headers of Trunk.toml's [serve] table), the page is cross-origin isolated,
// starts the threaded worker and trains on as many threads as the machine has cores; the
// default CNN trained for 300 steps on 1, 2 and 3 threads gives the same model file: the same
// weights and optimizer state bit for bit, the same metadata but for the epochs' wall-clock
// times. Served without the headers it trains on 1 thread and says why.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { writeFileSync } from 'node:fs';
import { ARTEFACTS, byTestId, launch, openPage, reveal, screenshot } from './browser.mjs';

const servers = [];
let browser;

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
});

/**
 * A model file's tensors (header and bytes) and metadata, leaving out the epochs' wall-clock
 * figures (`seconds`, `samples_per_s`), which differ from run to run.
 */
function parts(file) {
  const length = Number(file.readBigUInt64LE(0));
  const { __metadata__: meta, ...header } = JSON.parse(file.subarray(8, 8 + length).toString());
  const metadata = Object.fromEntries(
    Object.entries(meta).map(([k, v]) => {
      let value;
      try {
        value = JSON.parse(v);
      } catch {
        return [k, v];
      }
      return [k, JSON.stringify(value, (key, x) => (key === 'seconds' || key === 'samples_per_s' ? undefined : x))];
    }),
  );
  return { header, metadata, data: file.subarray(8 + length) };
}

async function open(isolated) {
  const { server, url } = await serve(new URL('../dist', import.meta.url).pathname, 0, { isolated });
  servers.push(server);
  browser ??= await launch();
  const { page, problems } = await openPage(browser, url);
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  return { page, problems };
}

/** Trains the default CNN on the CPU for 300 steps of 32 and returns the model file's bytes. */
async function trainAndDownload(page) {
  const { set } = byTestId(() => page);
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 9600);
  await set('cfg-validation', 500);
  await set('cfg-epochs', 1);
  await set('cfg-batch', 32);
  await page.getByTestId('cfg-backend').selectOption('cpu');
  await page.getByTestId('train').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="run-status"]')?.textContent === 'finished', null, { timeout: 300_000 });
  const speed = await page.getByTestId('speed').textContent();
  await reveal(page, 'save-model');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save-model').click()]);
  const chunks = [];
  for await (const chunk of await download.createReadStream()) chunks.push(chunk);
  return { bytes: Buffer.concat(chunks), speed };
}

test('isolated: the threaded worker runs every core, and 1, 2 and 3 threads give the same model', async () => {
  const { page, problems } = await open(true);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const running = (n) => page.waitForFunction((n) => document.querySelector('[data-testid="cpu-threads"]')?.textContent === `${n} running`, n, { timeout: 60_000 });
  await running(cores);
  assert.equal(await page.getByTestId('cfg-threads').inputValue(), String(cores));
  assert.equal(await page.getByTestId('threads-reason').count(), 0);
  const files = [];
  for (const n of [1, 2, 3]) {
    await page.getByTestId('cfg-threads').fill(String(n));
    await page.getByTestId('cfg-threads').press('Tab');
    await running(n);
    const { bytes, speed } = await trainAndDownload(page);
    console.log(`# figure: ${n} thread(s): model file ${bytes.length} bytes, ${speed}`);
    files.push(bytes);
    writeFileSync(`${ARTEFACTS}threads-${n}.safetensors`, bytes);
  }
  await screenshot(page, 'threads-isolated');
  const [one, ...others] = files.map(parts);
  others.forEach((other, i) => {
    assert.ok(other.data.equals(one.data), `${i + 2} threads gave other weights or optimizer state than 1`);
    assert.deepEqual(other.header, one.header, `${i + 2} threads: other tensors`);
    assert.deepEqual(other.metadata, one.metadata, `${i + 2} threads: other metadata (beyond the timings)`);
  });
  assert.deepEqual(problems, []);
});

test('not isolated: one thread, and the page says why', async () => {
  const { page, problems } = await open(false);
  assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
  await page.waitForFunction(() => document.querySelector('[data-testid="cpu-threads"]')?.textContent === '1 running', null, { timeout: 60_000 });
  assert.match(await page.getByTestId('threads-reason').textContent(), /^The CPU trains on 1 thread: this page is not cross-origin isolated/);
  assert.equal(await page.getByTestId('cfg-threads').isDisabled(), true);
  assert.equal(await page.getByTestId('cfg-threads').inputValue(), '1');
  const { bytes } = await trainAndDownload(page);
  assert.ok(bytes.length > 0);
  await screenshot(page, 'threads-not-isolated');
  assert.deepEqual(problems, []);
});
