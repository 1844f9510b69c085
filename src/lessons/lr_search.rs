//! Learning-rate search on a log scale, coarse to fine: a few short runs at learning rates
//! drawn at random between 10⁻⁴ and 1, then more around the best one. Random rather than a
//! grid because the next digit of a good rate matters less than trying many magnitudes.

use super::lab::LabRun;
use super::optimizers::race_config;
use crate::optim::OptimizerSpec;
use crate::random::Rng;
use crate::train::{LrSchedule, TrainConfig};

/// Runs in each round.
pub const ROUND: usize = 6;

/// `count` rates log-uniform in [lo, hi], sorted, from `seed`.
pub fn log_uniform(lo: f32, hi: f32, count: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed, 17);
    let (a, b) = (lo.log10(), hi.log10());
    let mut rates: Vec<f32> = (0..count)
        .map(|_| 10f32.powf(a + (b - a) * rng.uniform()))
        .collect();
    rates.sort_by(f32::total_cmp);
    rates
}

fn runs_at(rates: &[f32], images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    let mut base: TrainConfig = race_config(images, epochs, seed);
    base.optimizer = OptimizerSpec::Momentum { momentum: 0.9 };
    rates
        .iter()
        .map(|&lr| {
            let mut config = base.clone();
            config.lr = LrSchedule::constant(lr);
            LabRun::new(format!("lr {lr:.2e}"), config)
        })
        .collect()
}

/// The coarse round: [`ROUND`] rates between 10⁻⁴ and 1.
pub fn coarse_runs(images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    runs_at(&log_uniform(1e-4, 1.0, ROUND, seed), images, epochs, seed)
}

/// The fine round: [`ROUND`] rates within a factor of 4 of the best so far.
pub fn fine_runs(best: f32, images: usize, epochs: usize, seed: u64) -> Vec<LabRun> {
    let rates = log_uniform(best / 4.0, best * 4.0, ROUND, seed + 1);
    runs_at(&rates, images, epochs, seed)
}
