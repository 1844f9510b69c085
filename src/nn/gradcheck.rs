//! Gradient checking: does backprop agree with finite differences?
//!
//! For a sample of coordinates θᵢ of every parameter (and optionally of the input), the
//! numeric derivative `(J(θ + h·eᵢ) − J(θ − h·eᵢ)) / 2h` is compared with the gradient
//! backprop computed. J is the whole objective the trainer minimises: the data loss plus the
//! L1, L2 and activity penalties. The model runs in f32 as always; the objective is
//! evaluated from its outputs in f64 and the difference quotient is taken in f64.
//!
//! Relative error per coordinate is `|a − n| / max(|a|, |n|, floor)`: the floor keeps
//! vanishing gradients from dividing by ~0 (below it the error is absolute).
//! Dropout and noise draw the same numbers on every pass (their streams depend on the
//! step seed only), so they need not be switched off.

use serde::{Deserialize, Serialize};

use super::{Loss, Mode, ParamRole, Sequential};
use crate::backend::cpu::loss::argmax;
use crate::error::Result;
use crate::random::Rng;
use crate::tensor::Tensor;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GradCheckOptions {
    /// The finite-difference step h.
    pub step: f64,
    /// Coordinates checked per tensor (all of them if the tensor is smaller).
    pub samples: usize,
    /// Gradients below this size are compared by absolute error.
    pub floor: f64,
    /// Chooses which coordinates are sampled.
    pub seed: u64,
    /// Also check the gradient with respect to the input batch.
    pub check_input: bool,
}

impl Default for GradCheckOptions {
    fn default() -> Self {
        GradCheckOptions {
            step: 1e-2,
            samples: 24,
            floor: 1e-2,
            seed: 7,
            check_input: false,
        }
    }
}

/// The comparison for one tensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TensorCheck {
    /// e.g. "layer 0 (Conv2D 3×3, 2 filters) weight", or "input".
    pub name: String,
    pub checked: usize,
    pub max_rel_error: f64,
    /// `‖a − n‖ / max(‖a‖ + ‖n‖, floor)` over the checked coordinates.
    pub norm_rel_error: f64,
    /// The coordinate with the largest relative error: (backprop, numeric).
    pub worst: (f64, f64),
    /// A few (backprop, numeric) pairs to show a learner.
    pub examples: Vec<(f64, f64)>,
}

/// The result of a gradient check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradCheckReport {
    pub tensors: Vec<TensorCheck>,
}

impl GradCheckReport {
    /// The largest per-coordinate relative error of any tensor.
    pub fn max_rel_error(&self) -> f64 {
        self.tensors
            .iter()
            .map(|t| t.max_rel_error)
            .fold(0.0, f64::max)
    }
}

/// The data loss in f64 from the model's f32 outputs (an independent implementation of
/// `nn::loss`, so the check also tests the loss kernels).
pub fn loss_f64(loss: &Loss, outputs: &Tensor, targets: &Tensor) -> f64 {
    let c = outputs.channels();
    let rows = outputs
        .as_slice()
        .chunks_exact(c)
        .zip(targets.as_slice().chunks_exact(c));
    let n = outputs.rows() as f64;
    let total: f64 = match *loss {
        Loss::SoftmaxCrossEntropy { label_smoothing } => rows
            .map(|(z, t)| {
                let max = z
                    .iter()
                    .map(|&v| v as f64)
                    .fold(f64::NEG_INFINITY, f64::max);
                let lse = max + z.iter().map(|&v| (v as f64 - max).exp()).sum::<f64>().ln();
                z.iter()
                    .zip(t)
                    .map(|(&zi, &ti)| {
                        let target = (1.0 - label_smoothing as f64) * ti as f64
                            + label_smoothing as f64 / c as f64;
                        -target * (zi as f64 - lse)
                    })
                    .sum::<f64>()
            })
            .sum(),
        Loss::MeanSquaredError => {
            return rows
                .flat_map(|(y, t)| {
                    y.iter()
                        .zip(t)
                        .map(|(&a, &b)| (a as f64 - b as f64).powi(2))
                })
                .sum::<f64>()
                / outputs.len() as f64
        }
        Loss::Hinge => rows
            .map(|(s, t)| {
                let y = argmax(t);
                (0..c)
                    .filter(|&j| j != y)
                    .map(|j| (s[j] as f64 - s[y] as f64 + 1.0).max(0.0))
                    .sum::<f64>()
            })
            .sum(),
    };
    total / n
}

/// The penalties that backprop differentiates, in f64: L2 on the weights and the activity
/// terms. L1 is left out because it is not in the gradient: the optimizer applies it as a
/// proximal step.
fn penalties_f64(model: &Sequential) -> f64 {
    let mut total = 0.0;
    for (layer, p) in model.params() {
        let pen = model.spec.layers[layer].penalties;
        if p.role == ParamRole::Weight {
            for &w in p.value.as_slice() {
                total += pen.l2 as f64 * (w as f64).powi(2);
            }
        }
    }
    for (config, y) in model.spec.layers.iter().zip(model.outputs()) {
        let pen = config.penalties;
        let n = y.rows().max(1) as f64;
        for &v in y.as_slice() {
            total += (pen.activity_l1 as f64 * (v as f64).abs()
                + pen.activity_l2 as f64 * (v as f64).powi(2))
                / n;
        }
    }
    total
}

/// J(θ) for the current parameters: data loss + penalties, in f64.
fn objective(
    model: &mut Sequential,
    loss: &Loss,
    x: &Tensor,
    targets: &Tensor,
    mode: Mode,
) -> Result<f64> {
    let end = model.layers_for(loss);
    let out = model.forward_to(x, mode, end)?;
    Ok(loss_f64(loss, &out, targets) + penalties_f64(model))
}

/// Compares backprop with central differences for the model's parameters (and input).
pub fn check_model(
    model: &mut Sequential,
    loss: &Loss,
    x: &Tensor,
    targets: &Tensor,
    mode: Mode,
    opts: GradCheckOptions,
) -> Result<GradCheckReport> {
    // Backprop's answer, exactly as the trainer computes it.
    model.input_grad = opts.check_input;
    model.zero_grads()?;
    let end = model.layers_for(loss);
    let out = model.forward_to(x, mode, end)?;
    let (_, dy) = loss.compute(&out, targets)?;
    let dx = model.backward(&dy)?;
    super::penalty::add_weight_gradients(model)?;
    let analytic: Vec<Vec<f32>> = model
        .params()
        .iter()
        .map(|(_, p)| p.grad.to_vec())
        .collect();
    let names: Vec<String> = model
        .params()
        .iter()
        .map(|(layer, p)| {
            format!(
                "layer {layer} ({}) {}",
                model.spec.layers[*layer].layer.name(),
                p.name
            )
        })
        .collect();

    let mut rng = Rng::new(opts.seed, 99);
    let mut tensors = Vec::new();
    for (k, name) in names.into_iter().enumerate() {
        let len = analytic[k].len();
        let coords = sample(len, opts.samples, &mut rng);
        let mut pairs = Vec::with_capacity(coords.len());
        for i in coords {
            let original = model.params()[k].1.value.as_slice()[i];
            let numeric = central_difference(original, opts.step, |delta| {
                model.params_mut()[k].1.value.as_mut_slice()[i] = original + delta;
                objective(model, loss, x, targets, mode)
            })?;
            pairs.push((analytic[k][i] as f64, numeric));
        }
        tensors.push(summarise(name, &pairs, opts.floor));
    }
    if let Some(dx) = dx.filter(|_| opts.check_input) {
        let dx = dx.to_vec();
        let mut input = x.clone();
        let coords = sample(dx.len(), opts.samples, &mut rng);
        let mut pairs = Vec::with_capacity(coords.len());
        for i in coords {
            let original = input.as_slice()[i];
            let numeric = central_difference(original, opts.step, |delta| {
                input.as_mut_slice()[i] = original + delta;
                objective(model, loss, &input, targets, mode)
            })?;
            pairs.push((dx[i] as f64, numeric));
        }
        tensors.push(summarise("input".into(), &pairs, opts.floor));
    }
    Ok(GradCheckReport { tensors })
}

/// `(J(θ + h) − J(θ − h)) / 2h`, where `set(δ)` sets the coordinate to its original value
/// plus δ and returns J; it is left at its original value. The step actually taken in f32
/// (after rounding θ ± h) is the denominator.
fn central_difference(
    original: f32,
    h: f64,
    mut set: impl FnMut(f32) -> Result<f64>,
) -> Result<f64> {
    let h32 = h as f32;
    let plus = set(h32)?;
    let minus = set(-h32)?;
    set(0.0)?;
    let taken = (original + h32) as f64 - (original - h32) as f64;
    Ok((plus - minus) / taken)
}

/// Up to `n` distinct coordinates of a tensor of `len` elements.
fn sample(len: usize, n: usize, rng: &mut Rng) -> Vec<usize> {
    let mut all: Vec<usize> = (0..len).collect();
    if len > n {
        rng.shuffle(&mut all);
        all.truncate(n);
    }
    all
}

fn summarise(name: String, pairs: &[(f64, f64)], floor: f64) -> TensorCheck {
    let rel = |&(a, n): &(f64, f64)| (a - n).abs() / a.abs().max(n.abs()).max(floor);
    let worst = pairs
        .iter()
        .copied()
        .max_by(|p, q| rel(p).total_cmp(&rel(q)))
        .unwrap_or((0.0, 0.0));
    let diff: f64 = pairs
        .iter()
        .map(|(a, n)| (a - n).powi(2))
        .sum::<f64>()
        .sqrt();
    let size: f64 = pairs.iter().map(|(a, _)| a * a).sum::<f64>().sqrt()
        + pairs.iter().map(|(_, n)| n * n).sum::<f64>().sqrt();
    TensorCheck {
        name,
        checked: pairs.len(),
        max_rel_error: rel(&worst),
        norm_rel_error: diff / size.max(floor),
        worst,
        examples: pairs.iter().take(5).copied().collect(),
    }
}
