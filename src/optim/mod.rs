//! Optimizers: how gradients become parameter updates. Separate from the layers; each keeps
//! its state per parameter and runs one update kernel of `backend::ops` per tensor.

use serde::{Deserialize, Serialize};

use crate::backend::ops::{self, UpdateRule};
use crate::error::{Error, Result};
use crate::nn::Sequential;
use crate::tensor::Tensor;

/// An optimizer and its hyper-parameters (the learning rate comes from the schedule).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OptimizerSpec {
    /// Plain gradient descent.
    Sgd,
    /// Heavy-ball momentum: a velocity that accumulates past gradients.
    Momentum { momentum: f32 },
    /// Nesterov's momentum: the gradient is taken where the velocity is about to carry p.
    Nesterov { momentum: f32 },
    /// Per-coordinate rates that shrink with the sum of squared gradients.
    Adagrad { epsilon: f32 },
    /// Per-coordinate rates from a moving average of squared gradients.
    Rmsprop { rho: f32, epsilon: f32 },
    /// Rates from moving averages of squared gradients and squared updates (no lr needed).
    Adadelta { rho: f32, epsilon: f32 },
    /// Momentum and RMSProp combined, with bias correction of both averages.
    Adam {
        beta1: f32,
        beta2: f32,
        epsilon: f32,
    },
    /// Adam with weight decay applied directly to the weights, not through the gradient.
    AdamW {
        beta1: f32,
        beta2: f32,
        epsilon: f32,
        weight_decay: f32,
    },
}

impl OptimizerSpec {
    /// Every optimizer with its usual defaults, in the order the optimizer race shows them.
    pub fn all() -> [OptimizerSpec; 8] {
        [
            OptimizerSpec::Sgd,
            OptimizerSpec::Momentum { momentum: 0.9 },
            OptimizerSpec::Nesterov { momentum: 0.9 },
            OptimizerSpec::Adagrad { epsilon: 1e-7 },
            OptimizerSpec::Rmsprop {
                rho: 0.9,
                epsilon: 1e-7,
            },
            OptimizerSpec::Adadelta {
                rho: 0.95,
                epsilon: 1e-6,
            },
            OptimizerSpec::adam(),
            OptimizerSpec::AdamW {
                beta1: 0.9,
                beta2: 0.999,
                epsilon: 1e-8,
                weight_decay: 0.01,
            },
        ]
    }

    /// Adam with β₁ = 0.9, β₂ = 0.999, ε = 1e-8 (Kingma & Ba 2015).
    pub fn adam() -> OptimizerSpec {
        OptimizerSpec::Adam {
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }

    /// A learning rate that works for this optimizer out of the box.
    pub fn default_lr(&self) -> f32 {
        match self {
            OptimizerSpec::Sgd
            | OptimizerSpec::Momentum { .. }
            | OptimizerSpec::Nesterov { .. } => 0.01,
            OptimizerSpec::Adagrad { .. } => 0.01,
            OptimizerSpec::Adadelta { .. } => 1.0,
            _ => 0.001,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            OptimizerSpec::Sgd => "SGD",
            OptimizerSpec::Momentum { .. } => "Momentum",
            OptimizerSpec::Nesterov { .. } => "Nesterov",
            OptimizerSpec::Adagrad { .. } => "AdaGrad",
            OptimizerSpec::Rmsprop { .. } => "RMSProp",
            OptimizerSpec::Adadelta { .. } => "AdaDelta",
            OptimizerSpec::Adam { .. } => "Adam",
            OptimizerSpec::AdamW { .. } => "AdamW",
        }
    }

    /// How many state tensors it keeps per parameter.
    pub fn state_len(&self) -> usize {
        match self {
            OptimizerSpec::Sgd => 0,
            OptimizerSpec::Momentum { .. }
            | OptimizerSpec::Nesterov { .. }
            | OptimizerSpec::Adagrad { .. }
            | OptimizerSpec::Rmsprop { .. } => 1,
            _ => 2,
        }
    }

    /// Rejects hyper-parameters outside their meaningful range.
    pub fn validate(&self) -> Result<()> {
        let in_unit = |name: &str, v: f32| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{} {name} must be in [0, 1), got {v}",
                    self.name()
                )))
            }
        };
        // ε keeps a division away from zero: positive, finite and small.
        let epsilon = |v: f32| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "{} ε must be above 0 and at most 1, got {v}",
                    self.name()
                )))
            }
        };
        match *self {
            OptimizerSpec::Sgd => Ok(()),
            OptimizerSpec::Adagrad { epsilon: e } => epsilon(e),
            OptimizerSpec::Momentum { momentum } | OptimizerSpec::Nesterov { momentum } => {
                in_unit("momentum", momentum)
            }
            OptimizerSpec::Rmsprop { rho, epsilon: e }
            | OptimizerSpec::Adadelta { rho, epsilon: e } => in_unit("rho", rho).and(epsilon(e)),
            OptimizerSpec::Adam {
                beta1,
                beta2,
                epsilon: e,
            } => in_unit("beta1", beta1)
                .and(in_unit("beta2", beta2))
                .and(epsilon(e)),
            OptimizerSpec::AdamW {
                beta1,
                beta2,
                epsilon: e,
                weight_decay,
            } => in_unit("beta1", beta1)
                .and(in_unit("beta2", beta2))
                .and(epsilon(e))
                .and(crate::size::in_range(
                    "AdamW's weight decay",
                    weight_decay,
                    0.0,
                    1.0,
                )),
        }
    }
}

/// An optimizer's running state for one model.
#[derive(Debug, Clone)]
pub struct Optimizer {
    pub spec: OptimizerSpec,
    /// Per parameter (in `Sequential::params` order), the optimizer's tensors.
    pub state: Vec<Vec<Tensor>>,
    /// Updates applied so far (Adam's t).
    pub steps: u64,
}

impl Optimizer {
    pub fn new(spec: OptimizerSpec, model: &Sequential) -> Optimizer {
        let state = model
            .params()
            .iter()
            .map(|(_, p)| {
                (0..spec.state_len())
                    .map(|_| p.value.zeros_like())
                    .collect()
            })
            .collect();
        Optimizer {
            spec,
            state,
            steps: 0,
        }
    }

    /// The update rule for the next step (Adam's bias corrections depend on the step).
    fn rule(&self, t: i32) -> UpdateRule {
        match self.spec {
            OptimizerSpec::Sgd => UpdateRule::Sgd,
            OptimizerSpec::Momentum { momentum } => UpdateRule::Momentum { mu: momentum },
            OptimizerSpec::Nesterov { momentum } => UpdateRule::Nesterov { mu: momentum },
            OptimizerSpec::Adagrad { epsilon } => UpdateRule::Adagrad { eps: epsilon },
            OptimizerSpec::Rmsprop { rho, epsilon } => UpdateRule::Rmsprop { rho, eps: epsilon },
            OptimizerSpec::Adadelta { rho, epsilon } => UpdateRule::Adadelta { rho, eps: epsilon },
            OptimizerSpec::Adam {
                beta1,
                beta2,
                epsilon,
            }
            | OptimizerSpec::AdamW {
                beta1,
                beta2,
                epsilon,
                ..
            } => UpdateRule::Adam {
                beta1,
                beta2,
                eps: epsilon,
                c1: 1.0 / (1.0 - beta1.powi(t)),
                c2: 1.0 / (1.0 - beta2.powi(t)),
                decay: 0.0,
            },
        }
    }

    /// Applies one update with learning rate `lr` to every parameter of non-frozen layers.
    pub fn step(&mut self, model: &mut Sequential, lr: f32) -> Result<()> {
        self.steps += 1;
        let rule = self.rule(self.steps as i32);
        let frozen: Vec<bool> = model.spec.layers.iter().map(|l| l.frozen).collect();
        let l1: Vec<f32> = model.spec.layers.iter().map(|l| l.penalties.l1).collect();
        for ((layer, p), state) in model.params_mut().into_iter().zip(&mut self.state) {
            if frozen[layer] {
                continue;
            }
            // L1 acts on weights only (not biases, γ/β), as a proximal step inside the update.
            let weight = p.role == crate::nn::ParamRole::Weight;
            let l1 = if weight { l1[layer] } else { 0.0 };
            let rule = match (self.spec, rule) {
                // AdamW decays only the weights, as the L2 penalty would (not biases, γ/β).
                (
                    OptimizerSpec::AdamW { weight_decay, .. },
                    UpdateRule::Adam {
                        beta1,
                        beta2,
                        eps,
                        c1,
                        c2,
                        ..
                    },
                ) if weight => UpdateRule::Adam {
                    beta1,
                    beta2,
                    eps,
                    c1,
                    c2,
                    decay: weight_decay,
                },
                _ => rule,
            };
            ops::optimizer_step(rule, &mut p.value, &p.grad, state, lr, l1)?;
        }
        Ok(())
    }
}
