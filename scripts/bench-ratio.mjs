// Prints browser/native ratios of matching benchmark records (same bench, shape or model).
import { readFileSync } from 'node:fs';

const load = (f) =>
  readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
const key = (r) =>
  `${r.bench} ${r.backend} ${r.model ?? r.shape} batch ${r.batch} threads ${r.threads ?? 1}${r.blocks ? ' in turn' : ''}`;
const figure = (r) => r.samples_per_s ?? r.gflops;
const [native, browser] = process.argv.slice(2).map(load);
const byKey = new Map(native.map((r) => [key(r), r]));
for (const b of browser) {
  const n = byKey.get(key(b));
  if (!n) continue;
  const unit = b.samples_per_s ? 'samples/s' : 'GFLOP/s';
  console.log(
    `${key(b).padEnd(52)} native ${figure(n).toFixed(1).padStart(9)}  browser ${figure(b)
      .toFixed(1)
      .padStart(9)} ${unit.padEnd(9)}  ratio ${(figure(b) / figure(n)).toFixed(2)}`,
  );
}
