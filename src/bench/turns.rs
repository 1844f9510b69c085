//! Training figures at several thread counts taken in turn, with the ceiling the machine's
//! cores give meanwhile: what `make bench` reads the threads' speed-ups from.

use super::{bench_trainer, env, train_for, Record};
use crate::backend::cpu::threads;
use crate::clock::now_ms;
use crate::error::Result;
use crate::nn::presets::Preset;
use crate::tensor::Device;

/// CPU training throughput of the default CNN and the MLP at each of `thread_counts`, taken
/// in turn: one trainer per model trains `blocks` rounds, each round a block of about
/// `block_ms` at every count. A machine whose speed drifts (a shared one: a neighbour's load
/// comes and goes over seconds) moves every count alike, so the ratios between the figures
/// are the threads' own. After each block, a tenth as long of pure arithmetic over the
/// threads measures what the cores themselves give at that count (`"arithmetic"` records,
/// GFLOP/s): the ceiling the training figures are read against. Emits one record per model
/// and count, then the arithmetic ones; leaves one thread set.
pub async fn cpu_training_interleaved(
    block_ms: f64,
    blocks: usize,
    thread_counts: &[usize],
    mut emit: impl FnMut(&Record),
) -> Result<()> {
    let counts: Vec<usize> = thread_counts
        .iter()
        .copied()
        .filter(|&n| threads::set_threads(n) == n)
        .collect();
    let blocks = blocks.max(1);
    let mut probes = vec![(0usize, 0.0f64); counts.len()];
    let mut probe_rounds = vec![Vec::new(); counts.len()];
    for preset in [Preset::DefaultCnn, Preset::Mlp] {
        let mut trainer = bench_trainer(preset, [28, 28, 1], 64, &Device::Cpu)?;
        for &n in &counts {
            threads::set_threads(n);
            train_for(&mut trainer, block_ms).await?;
        }
        let mut totals = vec![(0usize, 0.0f64); counts.len()];
        let mut rounds = vec![Vec::new(); counts.len()];
        for _ in 0..blocks {
            for (c, &n) in counts.iter().enumerate() {
                threads::set_threads(n);
                let (steps, ms, _) = train_for(&mut trainer, block_ms).await?;
                totals[c] = (totals[c].0 + steps, totals[c].1 + ms);
                rounds[c].push(steps as f64 / ms);
                let (parts, ms) = arithmetic_for(block_ms / 10.0);
                probes[c] = (probes[c].0 + parts, probes[c].1 + ms);
                probe_rounds[c].push(parts as f64 / ms);
            }
        }
        for ((&n, &(steps, ms)), own) in counts.iter().zip(&totals).zip(&rounds) {
            emit(&Record {
                bench: "train",
                backend: "cpu".into(),
                env: env(),
                model: Some(preset.name().into()),
                shape: None,
                batch: 64,
                threads: n,
                gflops: None,
                samples_per_s: Some((64 * steps) as f64 / (ms / 1e3)),
                ms_per_iter: ms / steps as f64,
                iters: steps,
                dispatches_per_step: None,
                blocks: Some(blocks),
                median_speedup: Some(median_ratio(own, &rounds[0])),
            });
        }
    }
    // The machine's own speed-up at each count over the same blocks: parts of pure
    // arithmetic, with no memory traffic and no serial work, are what the cores give.
    for ((&n, &(parts, ms)), own) in counts.iter().zip(&probes).zip(&probe_rounds) {
        emit(&Record {
            bench: "arithmetic",
            backend: "cpu".into(),
            env: env(),
            model: None,
            shape: None,
            batch: 1,
            threads: n,
            gflops: Some(parts as f64 * ARITHMETIC_FLOPS / (ms * 1e6)),
            samples_per_s: None,
            ms_per_iter: ms / parts as f64,
            iters: parts,
            dispatches_per_step: None,
            blocks: Some(2 * blocks),
            median_speedup: Some(median_ratio(own, &probe_rounds[0])),
        });
    }
    threads::set_threads(1);
    Ok(())
}

/// The median of `a[r] / b[r]` over the rounds r.
fn median_ratio(a: &[f64], b: &[f64]) -> f64 {
    let mut ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
    ratios.sort_by(f64::total_cmp);
    match ratios.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ratios[n / 2],
        n => (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0,
    }
}

/// Flops in one part of [`arithmetic_for`]: 64 chains × 20 000 multiply-adds × 2.
const ARITHMETIC_FLOPS: f64 = 2.0 * 64.0 * 20_000.0;

/// Runs parts of pure arithmetic (64 independent multiply-add chains, in registers) over
/// the CPU threads, 8 parts a round, for at least `ms`: (parts, milliseconds).
fn arithmetic_for(ms: f64) -> (usize, f64) {
    let (start, mut parts) = (now_ms(), 0);
    while parts == 0 || now_ms() - start < ms {
        threads::for_each_part(8, |_| chains());
        parts += 8;
    }
    (parts, now_ms() - start)
}

/// One part of [`arithmetic_for`]. Not inlined, so one thread (which runs parts in the
/// caller) and several (which run them through the team's job) run the same machine code:
/// inlined into the caller, one build compiled it 3× slower.
#[inline(never)]
fn chains() {
    let mut acc = [1.0f32; 64];
    for _ in 0..20_000 {
        for a in &mut acc {
            *a = *a * 0.999_9 + 1e-4;
        }
    }
    std::hint::black_box(acc);
}

#[cfg(test)]
mod tests {
    use super::median_ratio;

    #[test]
    fn the_median_ratio_pairs_the_rounds_and_ignores_one_outlier() {
        // Rounds of 2 threads against the same rounds of 1; the third round had a burst.
        let one = [10.0, 10.0, 10.0, 10.0, 20.0];
        let two = [18.0, 17.0, 5.0, 19.0, 36.0];
        assert_eq!(median_ratio(&two, &one), 1.8);
        assert_eq!(median_ratio(&two[..4], &one[..4]), 1.75);
        assert!(median_ratio(&[], &[]).is_nan());
    }
}
