//! What training measures: evaluation reports (accuracy, per-class accuracy, confusion
//! matrix, the most confidently wrong examples) and a model's inner state (activation and
//! weight histograms, dead and saturated units, gradient norms, first-layer filters).

use serde::{Deserialize, Serialize};

use crate::backend::cpu::loss::argmax;
use crate::error::Result;
use crate::nn::{LayerSpec, ParamRole, Sequential};

/// Weights closer to 0 than this count as "near zero" (L1 drives many there; L2 only shrinks).
pub const NEAR_ZERO: f32 = 1e-3;
/// Sigmoid outputs within this distance of 0 or 1 (tanh: of ±1) count as saturated: their
/// gradient is almost 0.
pub const SATURATION: f32 = 0.03;
/// Bins per histogram.
pub const BINS: usize = 30;

/// Counts of values in `BINS` equal bins between `min` and `max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    pub min: f32,
    pub max: f32,
    pub counts: Vec<u32>,
}

impl Histogram {
    pub fn of(values: &[f32]) -> Histogram {
        let finite = values.iter().copied().filter(|v| v.is_finite());
        let (min, max) = finite.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        let (min, max) = if min <= max { (min, max) } else { (0.0, 0.0) };
        let width = (max - min).max(1e-12);
        let mut counts = vec![0u32; BINS];
        for &v in values.iter().filter(|v| v.is_finite()) {
            let bin = (((v - min) / width) * BINS as f32) as usize;
            counts[bin.min(BINS - 1)] += 1;
        }
        Histogram { min, max, counts }
    }
}

/// One wrongly classified example.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrongExample {
    /// Index into the split's image set.
    pub index: u32,
    pub label: u8,
    pub predicted: u8,
    /// The probability the model gave its (wrong) answer.
    pub confidence: f32,
    /// The image itself (rows × cols bytes), for the gallery of mistakes.
    #[serde(default)]
    pub pixels: Vec<u8>,
}

/// How a model does on one split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub count: usize,
    pub loss: f32,
    pub accuracy: f32,
    pub per_class_accuracy: Vec<f32>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u32>>,
    /// The most confidently wrong examples, most confident first.
    pub worst: Vec<WrongExample>,
}

/// Accumulates an [`EvalReport`] batch by batch.
#[derive(Debug, Clone)]
pub struct EvalAccumulator {
    loss_sum: f64,
    count: usize,
    confusion: Vec<Vec<u32>>,
    worst: Vec<WrongExample>,
    keep_worst: usize,
}

impl EvalAccumulator {
    /// An empty tally for `classes` classes.
    pub fn new(classes: usize, keep_worst: usize) -> EvalAccumulator {
        EvalAccumulator {
            loss_sum: 0.0,
            count: 0,
            confusion: vec![vec![0; classes]; classes],
            worst: Vec::new(),
            keep_worst,
        }
    }

    /// Adds a batch: its mean loss, the model's probabilities (`classes` per row, host
    /// memory), labels and indices.
    pub fn add(
        &mut self,
        mean_loss: f32,
        probabilities: &[f32],
        classes: usize,
        labels: &[u8],
        indices: &[u32],
    ) {
        self.loss_sum += mean_loss as f64 * labels.len() as f64;
        self.count += labels.len();
        for ((p, &label), &index) in probabilities.chunks_exact(classes).zip(labels).zip(indices) {
            let predicted = argmax(p);
            self.confusion[label as usize][predicted] += 1;
            if predicted != label as usize {
                self.worst.push(WrongExample {
                    index,
                    label,
                    predicted: predicted as u8,
                    confidence: p[predicted],
                    pixels: Vec::new(),
                });
            }
        }
        // Keep only the most confident mistakes (ties broken by index, for determinism).
        self.worst.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.index.cmp(&b.index))
        });
        self.worst.truncate(self.keep_worst);
    }

    pub fn finish(self) -> EvalReport {
        let correct: u32 = (0..self.confusion.len())
            .map(|c| self.confusion[c][c])
            .sum();
        let per_class_accuracy = self
            .confusion
            .iter()
            .enumerate()
            .map(|(c, row)| {
                let total: u32 = row.iter().sum();
                if total == 0 {
                    0.0
                } else {
                    row[c] as f32 / total as f32
                }
            })
            .collect();
        EvalReport {
            count: self.count,
            loss: (self.loss_sum / self.count.max(1) as f64) as f32,
            accuracy: correct as f32 / self.count.max(1) as f32,
            per_class_accuracy,
            confusion: self.confusion,
            worst: self.worst,
        }
    }
}

/// A layer's outputs in the last training batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationStats {
    pub layer: usize,
    pub name: String,
    pub histogram: Histogram,
    /// ReLU layers: the share of units that were 0 for every example of the batch.
    pub dead_fraction: Option<f32>,
    /// Sigmoid and tanh layers: the share of outputs in the flat, saturated region.
    pub saturated_fraction: Option<f32>,
}

/// A layer's weights (not biases) now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightStats {
    pub layer: usize,
    pub name: String,
    pub histogram: Histogram,
    pub count: usize,
    /// Share of weights with |w| < [`NEAR_ZERO`].
    pub near_zero_fraction: f32,
}

/// Filters of the first layer with weights, as images: conv kernels, or for a dense first
/// layer each unit's weights over the input image. `values` holds `count` images of
/// `height × width`, row-major.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Filters {
    pub layer: usize,
    pub height: usize,
    pub width: usize,
    pub count: usize,
    pub values: Vec<f32>,
}

/// Everything the "watch" views show about a model's inside at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelSnapshot {
    pub step: usize,
    pub activations: Vec<ActivationStats>,
    pub weights: Vec<WeightStats>,
    /// Per layer with parameters: (layer index, ‖gradient‖₂) of the last update.
    pub grad_norms: Vec<(usize, f32)>,
    pub filters: Option<Filters>,
}

/// Share of the units (positions of one example) that are 0 in every example.
fn dead_fraction(y: &[f32], rows: usize) -> f32 {
    let per_example = y.len() / rows.max(1);
    let mut alive = vec![false; per_example];
    for example in y.chunks_exact(per_example.max(1)) {
        for (a, &v) in alive.iter_mut().zip(example) {
            *a |= v > 0.0;
        }
    }
    alive.iter().filter(|&&a| !a).count() as f32 / per_example.max(1) as f32
}

fn saturated_fraction(y: &[f32], low: f32, high: f32) -> f32 {
    let saturated = y
        .iter()
        .filter(|&&v| v < low + SATURATION || v > high - SATURATION)
        .count();
    saturated as f32 / y.len().max(1) as f32
}

/// One parameter read back to the host.
struct HostParam {
    layer: usize,
    role: ParamRole,
    shape: Vec<usize>,
    value: Vec<f32>,
    grad: Vec<f32>,
}

/// Histograms and health figures of the model after its last training step. On a GPU the
/// tensors are read back first (the trainer asks at a bounded rate).
pub async fn snapshot(
    model: &Sequential,
    step: usize,
    max_filters: usize,
) -> Result<ModelSnapshot> {
    let names: Vec<String> = model.spec.layers.iter().map(|l| l.layer.name()).collect();
    let mut activations = Vec::new();
    for (i, y) in model.outputs().iter().enumerate() {
        let values = y.read().await?;
        let kind = &model.spec.layers[i].layer;
        activations.push(ActivationStats {
            layer: i,
            name: names[i].clone(),
            histogram: Histogram::of(&values),
            dead_fraction: matches!(kind, LayerSpec::Relu)
                .then(|| dead_fraction(&values, y.rows())),
            saturated_fraction: match kind {
                LayerSpec::Sigmoid => Some(saturated_fraction(&values, 0.0, 1.0)),
                LayerSpec::Tanh => Some(saturated_fraction(&values, -1.0, 1.0)),
                _ => None,
            },
        });
    }
    let mut params = Vec::new();
    for (layer, p) in model.params() {
        params.push(HostParam {
            layer,
            role: p.role,
            shape: p.value.shape().to_vec(),
            value: p.value.read().await?,
            grad: p.grad.read().await?,
        });
    }
    let mut weights = Vec::new();
    let mut norms: Vec<(usize, f64)> = Vec::new();
    for p in &params {
        let g: f64 = p.grad.iter().map(|&v| (v as f64).powi(2)).sum();
        match norms.last_mut() {
            Some((l, sum)) if *l == p.layer => *sum += g,
            _ => norms.push((p.layer, g)),
        }
        if p.role == ParamRole::Weight {
            weights.push(WeightStats {
                layer: p.layer,
                name: names[p.layer].clone(),
                histogram: Histogram::of(&p.value),
                count: p.value.len(),
                near_zero_fraction: p.value.iter().filter(|w| w.abs() < NEAR_ZERO).count() as f32
                    / p.value.len().max(1) as f32,
            });
        }
    }
    Ok(ModelSnapshot {
        step,
        activations,
        weights,
        grad_norms: norms
            .into_iter()
            .map(|(l, s)| (l, s.sqrt() as f32))
            .collect(),
        filters: params
            .iter()
            .find(|p| p.role == ParamRole::Weight)
            .and_then(|p| filters_of(p.layer, &p.shape, &p.value, &model.spec.input, max_filters)),
    })
}

/// The first layer's filters as images (see [`Filters`]); the weights must be on the CPU.
pub fn first_filters(model: &Sequential, max_filters: usize) -> Option<Filters> {
    let (layer, weight) = model
        .params()
        .into_iter()
        .find(|(_, p)| p.role == ParamRole::Weight)?;
    filters_of(
        layer,
        weight.value.shape(),
        &weight.value.to_vec(),
        &model.spec.input,
        max_filters,
    )
}

fn filters_of(
    layer: usize,
    shape: &[usize],
    w: &[f32],
    input: &[usize],
    max_filters: usize,
) -> Option<Filters> {
    match *shape {
        // Conv [kh, kw, c_in, c_out]: filter o, first input channel.
        [kh, kw, c_in, c_out] => {
            let count = c_out.min(max_filters);
            let mut values = Vec::with_capacity(count * kh * kw);
            for o in 0..count {
                for tap in 0..kh * kw {
                    values.push(w[tap * c_in * c_out + o]);
                }
            }
            Some(Filters {
                layer,
                height: kh,
                width: kw,
                count,
                values,
            })
        }
        // Dense [F, units] after Flatten of an image: unit u's weights as an image.
        [features, units] => {
            let (h, wd) = match input {
                [h, w, 1] if h * w == features => (*h, *w),
                _ => return None,
            };
            let count = units.min(max_filters);
            let mut values = Vec::with_capacity(count * features);
            for u in 0..count {
                values.extend((0..features).map(|f| w[f * units + u]));
            }
            Some(Filters {
                layer,
                height: h,
                width: wd,
                count,
                values,
            })
        }
        _ => None,
    }
}
