// Launching Debian's Chromium with playwright-core, the way every end-to-end test does.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { serve } from './serve.mjs';

export const ARTEFACTS = new URL('../build/e2e/', import.meta.url).pathname;
mkdirSync(ARTEFACTS, { recursive: true });

/**
 * Starts headless Chromium with WebGPU (SwiftShader) and no background network traffic;
 * `{ webgpu: false }` leaves WebGPU off, as Chromium ships it on machines it does not trust;
 * `{ camera: true }` gives pages Chromium's fake camera (a moving test pattern), allowed.
 */
export function launch({ webgpu = true, camera = false } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
      ...(camera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] : []),
    ],
  });
}

/** Opens a page that records console errors and uncaught exceptions in `problems`. */
export async function openPage(browser, url, viewport = { width: 1280, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.goto(url);
  return { page, problems };
}

/** Serves dist/ and opens the trainer in Chromium, returning once its dataset has loaded. */
export async function openTrainer(viewport) {
  const { server, url } = await serve(new URL('../dist', import.meta.url).pathname);
  const browser = await launch();
  const { page, problems } = await openPage(browser, url, viewport);
  await page.getByTestId('count-train').waitFor({ timeout: 120_000 });
  return { server, url, browser, page, problems };
}

/** Saves a full-page screenshot under build/e2e/. */
export function screenshot(page, name) {
  return page.screenshot({ path: `${ARTEFACTS}${name}.png`, fullPage: true });
}

/**
 * Opens the tab under the picture that holds the element with `data-testid=id`, if it is in
 * a closed one (the trainer keeps everything but the picture, the run and the curves in
 * tabs), so that it can be clicked or typed into.
 */
export async function reveal(page, id) {
  await page.getByTestId(id).first().waitFor({ state: 'attached' });
  await page.evaluate((id) => {
    const panel = document.querySelector(`[data-testid="${id}"]`)?.closest('[data-tab]');
    if (panel?.hidden) document.querySelector(`[data-testid="tab-${panel.dataset.tab}"]`).click();
  }, id);
}

/**
 * Helpers bound to the page `current()` returns (each test file reassigns its page):
 * `text(id)` reads the element with `data-testid=id`; `set(id, value)` opens its tab if
 * need be, types into the field and leaves it with Tab, as a learner would, so its `change`
 * handler fires.
 */
export function byTestId(current) {
  return {
    text: (id) => current().getByTestId(id).textContent(),
    set: async (id, value) => {
      await reveal(current(), id);
      const field = current().getByTestId(id);
      await field.fill(String(value));
      await field.press('Tab');
    },
  };
}

/**
 * Runs `fn` with a Chromium trace of `page` and returns every task the page's main thread
 * ran meanwhile, as `{ cpu, wall }` in ms. `cpu` is the thread's own time in the task: a
 * neighbour's load on a busy machine stretches the wall time of a task but cannot add to
 * it, so it is what a long-task check can assert on.
 */
export async function mainThreadTasks(browser, page, fn) {
  await browser.startTracing(page, { categories: ['toplevel'] });
  let buffer;
  try {
    await fn();
  } finally {
    buffer = await browser.stopTracing();
  }
  const trace = JSON.parse(buffer.toString());
  const events = trace.traceEvents ?? trace;
  const main = new Set(
    events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`),
  );
  return events
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && main.has(`${e.pid}:${e.tid}`))
    .map((e) => ({ cpu: (e.tdur ?? e.dur) / 1000, wall: e.dur / 1000 }));
}
