//! Learning-rate schedules: how the step size changes over a run.
//!
//! `t` counts optimizer updates from 0 and `e = t / updates_per_epoch` is the (fractional)
//! epoch. Every schedule can start with a linear warm-up from ~0 to its value.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schedule {
    /// `lr`.
    Constant,
    /// Staircase: `lr · γ^⌊e / every⌋`.
    Step { every_epochs: f32, gamma: f32 },
    /// `lr · γ^e`.
    Exponential { gamma: f32 },
    /// `lr / (1 + k·e)`.
    InverseTime { k: f32 },
    /// `lr / √(t + 1)`.
    InverseSqrt,
    /// Linear from `lr` to `floor·lr` over the first `tau` updates, then `floor·lr`.
    Linear { tau: usize, floor: f32 },
    /// Half a cosine from `lr` to `floor·lr` over the whole run.
    Cosine { floor: f32 },
}

/// A base learning rate, its schedule and an optional warm-up.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrSchedule {
    pub base: f32,
    pub schedule: Schedule,
    /// Updates over which the rate ramps up linearly (0: none).
    #[serde(default)]
    pub warmup: usize,
}

impl LrSchedule {
    pub fn constant(base: f32) -> LrSchedule {
        LrSchedule {
            base,
            schedule: Schedule::Constant,
            warmup: 0,
        }
    }

    /// Rejects rates and factors that cannot work.
    pub fn validate(&self) -> Result<()> {
        // `!(v > 0)` rather than `v <= 0`: NaN fails every comparison and must be refused too.
        let positive = |what: &str, v: f32| {
            if v > 0.0 && v.is_finite() {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{what} must be a positive number, got {v}"
                )))
            }
        };
        // Any finite positive rate: a huge one is how a learner sees training diverge.
        positive("the learning rate", self.base)?;
        match self.schedule {
            Schedule::Step {
                every_epochs,
                gamma,
            } => positive("step decay's interval", every_epochs)
                .and(positive("step decay's γ", gamma)),
            Schedule::Exponential { gamma } => positive("γ", gamma),
            Schedule::InverseTime { k } => crate::size::in_range("k", k, 0.0, 1e6),
            Schedule::Linear { floor, .. } | Schedule::Cosine { floor } => {
                crate::size::in_range("the floor", floor, 0.0, 1.0)
            }
            Schedule::Constant | Schedule::InverseSqrt => Ok(()),
        }
    }

    /// The rate for update `t` of `total` updates, with `per_epoch` updates per epoch.
    pub fn at(&self, t: usize, per_epoch: usize, total: usize) -> f32 {
        let epoch = t as f32 / per_epoch.max(1) as f32;
        let factor = match self.schedule {
            Schedule::Constant => 1.0,
            Schedule::Step {
                every_epochs,
                gamma,
            } => gamma.powi(libm::floorf(epoch / every_epochs) as i32),
            Schedule::Exponential { gamma } => libm::powf(gamma, epoch),
            Schedule::InverseTime { k } => 1.0 / (1.0 + k * epoch),
            Schedule::InverseSqrt => 1.0 / ((t + 1) as f32).sqrt(),
            Schedule::Linear { tau, floor } => {
                let alpha = (t as f32 / tau.max(1) as f32).min(1.0);
                (1.0 - alpha) + alpha * floor
            }
            Schedule::Cosine { floor } => {
                let progress = (t as f32 / total.max(1) as f32).min(1.0);
                floor + (1.0 - floor) * 0.5 * (1.0 + libm::cosf(std::f32::consts::PI * progress))
            }
        };
        let warm = if t < self.warmup {
            (t + 1) as f32 / self.warmup as f32
        } else {
            1.0
        };
        self.base * factor * warm
    }

    /// The rate at every update of a run, for the preview before training.
    pub fn curve(&self, per_epoch: usize, total: usize) -> Vec<f32> {
        (0..total).map(|t| self.at(t, per_epoch, total)).collect()
    }
}
