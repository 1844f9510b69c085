use super::{placement, same_len, Tensor};
use crate::backend::cpu::optim as cpu;
use crate::backend::cpu::threads::{self, SharedMut};
use crate::backend::webgpu::kernels::Kernel;
use crate::backend::webgpu::ops::{self as gpu, OptimParams};
use crate::error::{Error, Result};

/// One optimizer's update rule with this step's numbers. For Adam, `c1 = 1/(1 − β₁ᵗ)` and
/// `c2 = 1/(1 − β₂ᵗ)` are the bias corrections and `decay` is AdamW's decoupled weight decay
/// (0 for plain Adam).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpdateRule {
    Sgd,
    Momentum {
        mu: f32,
    },
    Nesterov {
        mu: f32,
    },
    Adagrad {
        eps: f32,
    },
    Rmsprop {
        rho: f32,
        eps: f32,
    },
    Adadelta {
        rho: f32,
        eps: f32,
    },
    Adam {
        beta1: f32,
        beta2: f32,
        eps: f32,
        c1: f32,
        c2: f32,
        decay: f32,
    },
}

impl UpdateRule {
    /// State tensors per parameter.
    pub fn state_len(&self) -> usize {
        match self {
            UpdateRule::Sgd => 0,
            UpdateRule::Adadelta { .. } | UpdateRule::Adam { .. } => 2,
            _ => 1,
        }
    }

    fn gpu(&self, n: usize, lr: f32, l1: f32) -> (Kernel, OptimParams) {
        let p = OptimParams {
            count: n as u32,
            lr,
            l1,
            ..Default::default()
        };
        match *self {
            UpdateRule::Sgd => (Kernel::SgdStep, p),
            UpdateRule::Momentum { mu } => (Kernel::MomentumStep, OptimParams { a: mu, ..p }),
            UpdateRule::Nesterov { mu } => (Kernel::NesterovStep, OptimParams { a: mu, ..p }),
            UpdateRule::Adagrad { eps } => (Kernel::AdagradStep, OptimParams { eps, ..p }),
            UpdateRule::Rmsprop { rho, eps } => {
                (Kernel::RmspropStep, OptimParams { a: rho, eps, ..p })
            }
            UpdateRule::Adadelta { rho, eps } => {
                (Kernel::AdadeltaStep, OptimParams { a: rho, eps, ..p })
            }
            UpdateRule::Adam {
                beta1,
                beta2,
                eps,
                c1,
                c2,
                decay,
            } => (
                Kernel::AdamStep,
                OptimParams {
                    a: beta1,
                    b: beta2,
                    eps,
                    c1,
                    c2,
                    decay,
                    ..p
                },
            ),
        }
    }
}

/// Weights a CPU update handles at a time (copying them first where they are shared): 8 KB,
/// well inside a core's first-level cache. Every update rule is element by element, so the
/// blocks change no result.
const BLOCK: usize = 2048;

/// Updates `p` in place from its gradient `g` and the rule's `state`, with learning rate `lr`,
/// then applies an L1 penalty of strength `l1` as a proximal step (0: none; see
/// `backend::cpu::optim`).
pub fn optimizer_step(
    rule: UpdateRule,
    p: &mut Tensor,
    g: &Tensor,
    state: &mut [Tensor],
    lr: f32,
    l1: f32,
) -> Result<()> {
    same_len("optimizer_step", p, g)?;
    if state.len() != rule.state_len() || state.iter().any(|s| s.len() != p.len()) {
        return Err(Error::shape(
            "optimizer_step",
            format!(
                "{rule:?} needs {} state tensors like the parameter",
                rule.state_len()
            ),
        ));
    }
    let mut all: Vec<&Tensor> = vec![p, g];
    all.extend(state.iter());
    match placement("optimizer_step", &all)? {
        None => {
            // In parts over the CPU threads: every element's update is independent.
            let len = p.len();
            let chunk = threads::chunk_len(len);
            // Weights that another tensor still holds (the trainer keeps the last good ones)
            // are copied just before they are updated, a few KB at a time: the update then
            // reads the copy from the core's nearest cache, not memory.
            let before = p.unshare_cpu();
            let before = before.as_ref().map(Tensor::as_slice);
            let (p, g) = (SharedMut::new(p.as_mut_slice()), g.as_slice());
            let state: Vec<SharedMut<f32>> = state
                .iter_mut()
                .map(|s| SharedMut::new(s.as_mut_slice()))
                .collect();
            threads::for_each_part(len.div_ceil(chunk), |part| {
                let end = ((part + 1) * chunk).min(len);
                for a in (part * chunk..end).step_by(BLOCK) {
                    let b = (a + BLOCK).min(end);
                    // SAFETY: parts, and blocks within a part, cover disjoint ranges of the
                    // parameter and of each state.
                    let p = unsafe { p.range(a, b) };
                    if let Some(before) = before {
                        p.copy_from_slice(&before[a..b]);
                    }
                    // No rule keeps more than 2 state tensors (checked above).
                    let mut ranges: [&mut [f32]; 2] = [&mut [], &mut []];
                    for (range, s) in ranges.iter_mut().zip(&state) {
                        *range = unsafe { s.range(a, b) };
                    }
                    cpu_step(rule, p, &g[a..b], &mut ranges[..state.len()], lr, l1)
                }
            });
        }
        Some(ctx) => {
            let (kernel, params) = rule.gpu(p.len(), lr, l1);
            // Copy-on-write first: the kernel writes the parameter and its state in place.
            p.make_unique();
            for s in state.iter_mut() {
                s.make_unique();
            }
            let state: Vec<&wgpu::Buffer> = state.iter().map(Tensor::gpu_buffer).collect();
            gpu::optimizer_step(&ctx, kernel, params, p.gpu_buffer(), g.gpu_buffer(), &state)?
        }
    }
    Ok(())
}

/// One part of a CPU update: the rule's kernel on matching ranges of every slice.
fn cpu_step(
    rule: UpdateRule,
    p: &mut [f32],
    g: &[f32],
    state: &mut [&mut [f32]],
    lr: f32,
    l1: f32,
) {
    match (rule, state) {
        (UpdateRule::Sgd, []) => cpu::sgd_step(p, g, lr, l1),
        (UpdateRule::Momentum { mu }, [v]) => cpu::momentum_step(p, g, v, lr, mu, l1),
        (UpdateRule::Nesterov { mu }, [v]) => cpu::nesterov_step(p, g, v, lr, mu, l1),
        (UpdateRule::Adagrad { eps }, [h]) => cpu::adagrad_step(p, g, h, lr, eps, l1),
        (UpdateRule::Rmsprop { rho, eps }, [s]) => cpu::rmsprop_step(p, g, s, lr, rho, eps, l1),
        (UpdateRule::Adadelta { rho, eps }, [eg, edx]) => {
            cpu::adadelta_step(p, g, eg, edx, lr, rho, eps, l1)
        }
        (
            UpdateRule::Adam {
                beta1,
                beta2,
                eps,
                c1,
                c2,
                decay,
            },
            [m, v],
        ) => cpu::adam_step(p, g, m, v, lr, beta1, beta2, eps, c1, c2, decay, l1),
        _ => unreachable!("state length checked by optimizer_step"),
    }
}
