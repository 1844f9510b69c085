// The browser half of `make bench` for threads: the CPU suite (src/bench.rs) in the page's
// threaded worker (dist/worker_mt*, as a cross-origin isolated page starts it) in headless
// Chromium, at 1 and 2 threads and more where the machine has them; then the training
// figures again, taken in turn: one trainer per model trains `rounds` rounds of a block of
// `block_ms` at 1 thread and a block at 2, so that a machine whose speed drifts (a shared
// one) moves both alike. Prints one JSON record per line, then each training and GEMM
// figure's speed-up over 1 thread: from the suite, and from the blocks taken in turn.
//
//   node scripts/bench-threads.mjs [min_ms] [rounds] [block_ms]
//                                          (needs the release bundle: make build)
import { serve } from '../e2e/serve.mjs';
import { launch } from '../e2e/browser.mjs';

const minMs = Number(process.argv[2] ?? 1500);
const rounds = Number(process.argv[3] ?? 20);
const blockMs = Number(process.argv[4] ?? 150);
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
  const run = (threads, minMs, blocks) =>
    page.evaluate(
      ({ threads, minMs, blocks }) =>
        new Promise((done) => {
          const worker = new Worker('./worker_mt_loader.js');
          worker.onerror = (e) => done(`worker error: ${e.message}`);
          worker.onmessage = ({ data }) => {
            const event = JSON.parse(data[0]);
            if (event === 'Ready') {
              worker.postMessage([JSON.stringify({ Bench: { threads, min_ms: minMs, blocks } })]);
            } else if (event.BenchRecord) window.benchRecord(event.BenchRecord);
            else if (event.BenchDone) {
              worker.terminate();
              done(event.BenchDone.error);
            }
          };
        }),
      { threads, minMs, blocks },
    );
  let error = await run(counts, minMs, 0);
  if (error) throw new Error(error);
  suiteLength = records.length;
  error = await run([1, 2], blockMs, rounds);
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
// The blocks taken in turn: one record per model and thread count, then the arithmetic run
// between blocks (what the cores themselves gave meanwhile: the ceiling of the others). Each
// training speed-up is also given as a share of that ceiling at the same thread count: on a
// shared machine whose cores slow each other down, the part the code itself still leaves.
const turns = records.slice(suiteLength);
const baseOf = (r) => turns.find((b) => b.threads === 1 && b.bench === r.bench && b.model === r.model);
const speedUp = (r) => figure(r) / figure(baseOf(r));
for (const r of turns.filter((r) => r.threads > 1)) {
  const base = baseOf(r);
  const name = r.bench === 'train' ? `train ${r.model}` : 'pure arithmetic (the ceiling)';
  const unit = r.samples_per_s ? 'samples/s' : 'GFLOP/s';
  const ceiling = turns.find((c) => c.bench !== 'train' && c.threads === r.threads);
  const share = r.bench === 'train' && ceiling ? `; ${(speedUp(r) / speedUp(ceiling)).toFixed(2)} of the ceiling` : '';
  const median = r.median_speedup ? `; median of the rounds ${r.median_speedup.toFixed(2)}×` : '';
  console.log(`${name.padEnd(32)} ${r.threads} threads: ${speedUp(r).toFixed(2)}×  (${figure(base).toFixed(1)} → ${figure(r).toFixed(1)} ${unit}; ${r.blocks} blocks at each count, in turn${median}${share})`);
}
