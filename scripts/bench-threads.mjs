// The browser half of `make bench` for threads: the CPU suite (src/bench.rs) in the page's
// threaded worker (dist/worker_mt*, as a cross-origin isolated page starts it) in headless
// Chromium, at 1 and 2 threads and more where the machine has them; then the training
// figures again at 1 and 2 threads taken in turn, `rounds` times, so that a machine whose
// speed drifts (a shared one) moves both alike. Prints one JSON record per line, then each
// training and GEMM figure's speed-up over 1 thread: from the suite, and the median of the
// rounds' ratios.
//
//   node scripts/bench-threads.mjs [min_ms] [rounds]     (needs the release bundle: make build)
import { serve } from '../e2e/serve.mjs';
import { launch } from '../e2e/browser.mjs';

const minMs = Number(process.argv[2] ?? 1500);
const rounds = Number(process.argv[3] ?? 5);
const { server, url } = await serve(new URL('../dist', import.meta.url).pathname, 0, {
  pages: { '/bench.html': '<!doctype html><title>bench</title><link rel="icon" href="data:,">' },
});
const browser = await launch({ webgpu: false });
const records = [];
let suiteLength = 0;
try {
  const page = await browser.newPage();
  page.on('console', (m) => m.type() === 'error' && console.error(`console: ${m.text()}`));
  await page.goto(`${url}bench.html`);
  if (!(await page.evaluate(() => self.crossOriginIsolated))) throw new Error('the bench page is not cross-origin isolated');
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const counts = [];
  for (let n = 1; n <= cores; n *= 2) counts.push(n);
  if (counts.at(-1) !== cores) counts.push(cores);
  if (counts.length === 1) counts.push(2);
  await page.exposeFunction('benchRecord', (json) => {
    console.log(json);
    records.push(JSON.parse(json));
  });
  const run = (threads, trainingOnly) =>
    page.evaluate(
      ({ threads, minMs, trainingOnly }) =>
        new Promise((done) => {
          const worker = new Worker('./worker_mt_loader.js');
          worker.onerror = (e) => done(`worker error: ${e.message}`);
          worker.onmessage = ({ data }) => {
            const event = JSON.parse(data[0]);
            if (event === 'Ready') {
              worker.postMessage([JSON.stringify({ Bench: { threads, min_ms: minMs, training_only: trainingOnly } })]);
            } else if (event.BenchRecord) window.benchRecord(event.BenchRecord);
            else if (event.BenchDone) {
              worker.terminate();
              done(event.BenchDone.error);
            }
          };
        }),
      { threads, minMs, trainingOnly },
    );
  let error = await run(counts, false);
  if (error) throw new Error(error);
  suiteLength = records.length;
  const turns = [];
  for (let r = 0; r < rounds; r += 1) turns.push(1, 2);
  error = await run(turns, true);
  if (error) throw new Error(error);
} finally {
  await browser.close();
  server.close();
}

// Speed-ups, each against the same figure at one thread in this run.
const key = (r) => `${r.bench} ${r.model ?? r.shape}`;
const figure = (r) => r.samples_per_s ?? r.gflops;
const suite = records.slice(0, suiteLength);
const one = new Map(suite.filter((r) => r.threads === 1).map((r) => [key(r), r]));
console.log('== browser, threads: speed-up over 1 thread');
for (const r of suite.filter((r) => r.threads > 1 && (r.bench === 'train' || r.shape === '256x256x256'))) {
  const base = one.get(key(r));
  if (base) console.log(`${key(r).padEnd(32)} ${r.threads} threads: ${(figure(r) / figure(base)).toFixed(2)}×  (${figure(base).toFixed(1)} → ${figure(r).toFixed(1)} ${r.samples_per_s ? 'samples/s' : 'GFLOP/s'}; the suite)`);
}
// The rounds: records come as (1 thread: CNN, MLP), (2 threads: CNN, MLP), … in turn.
const turns = records.slice(suiteLength);
for (const model of [...new Set(turns.map((r) => r.model))]) {
  const mine = turns.filter((r) => r.model === model);
  const ratios = [];
  for (let i = 0; i + 1 < mine.length; i += 2) ratios.push(figure(mine[i + 1]) / figure(mine[i]));
  const sorted = [...ratios].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.log(`train ${model.padEnd(26)} 2 threads: ${median.toFixed(2)}×  (median of ${ratios.length} rounds of 1 then 2 threads: ${ratios.map((x) => x.toFixed(2)).join(', ')})`);
}
