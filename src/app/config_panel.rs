//! The training settings, one tab each: data split and scaling, augmentation (with a
//! preview), optimizer and learning-rate schedule (with the curve of the whole run),
//! regularisation and the seed. The backend is chosen in the top bar.

use leptos::html;
use leptos::prelude::*;

use super::charts::{draw_lines, Chart, Series, BLUE};
use super::images::{draw_stored, Look};
use super::state::{DatasetState, TrainState};
use crate::data::normalize::Normalization;
use crate::nn::Loss;
use crate::optim::OptimizerSpec;
use crate::random::Rng;
use crate::train::{EarlyStopping, Monitor, Schedule, TrainConfig};
use crate::worker::protocol::RunMode;

/// A number input bound to one setting of the config.
fn number(
    label: &'static str,
    tip: &'static str,
    testid: &'static str,
    get: impl Fn(&TrainConfig) -> f64 + Send + Sync + 'static,
    set: impl Fn(&mut TrainConfig, f64) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let state = expect_context::<TrainState>();
    view! {
        <label class="field" title=tip>
            {label}
            <input type="number" step="any" data-testid=testid
                prop:value=move || state.config.with(|c| get(c))
                on:change=move |e| {
                    if let Ok(v) = event_target_value(&e).parse::<f64>() {
                        if v.is_finite() {
                            state.config.update(|c| set(c, v));
                        }
                    }
                }/>
        </label>
    }
}

fn whole(v: f64) -> usize {
    v.max(0.0).round() as usize
}

/// Updates per epoch and in the run, as the trainer will count them.
fn updates(c: &TrainConfig, train_total: usize) -> (usize, usize) {
    let available = train_total.saturating_sub(c.split.validation);
    let images = c.split.train_subset.map_or(available, |s| s.min(available));
    let per_epoch = images
        .div_ceil(c.batch_size.max(1))
        .div_ceil(c.accumulate.max(1));
    (per_epoch, per_epoch * c.epochs)
}

/// How the images are split and scaled.
#[component]
pub fn DataSettings() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    view! {
        <section class="card" data-testid="config-panel">
            <h2>"Data split and scaling"</h2>
            <fieldset disabled=busy>
            <div class="controls">
                {number("validation images", "Images held out of training to measure generalisation after each epoch.", "cfg-validation",
                    |c| c.split.validation as f64, |c, v| c.split.validation = whole(v))}
                {number("training subset (0 = all)", "Train on only this many images: small subsets make overfitting visible.", "cfg-subset",
                    |c| c.split.train_subset.unwrap_or(0) as f64, |c, v| c.split.train_subset = (whole(v) > 0).then_some(whole(v)))}
                <label class="field" title="How pixel values are rescaled before the network sees them.">"normalisation"
                    <select data-testid="cfg-normalization" on:change=move |e| {
                        let n = match event_target_value(&e).as_str() {
                            "scale01" => Normalization::Scale01,
                            "mean_pixel" => Normalization::SubtractMeanPixel,
                            "mean_image" => Normalization::SubtractMeanImage,
                            _ => Normalization::Standardize,
                        };
                        state.config.update(|c| c.normalization = n);
                    }>
                        {[("standardize", "standardise", Normalization::Standardize), ("scale01", "scale to 0–1", Normalization::Scale01),
                          ("mean_pixel", "subtract mean pixel", Normalization::SubtractMeanPixel), ("mean_image", "subtract mean image", Normalization::SubtractMeanImage)]
                            .into_iter().map(|(v, label, n)| view! {
                                <option value=v selected=move || state.config.with(|c| c.normalization == n)>{label}</option>
                            }).collect_view()}
                    </select>
                </label>
            </div>
            </fieldset>
        </section>
    }
}

/// Random changes to each training image, with a preview of eight samples.
#[component]
pub fn AugmentationSettings() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    let datasets = expect_context::<DatasetState>();
    // Eight training samples as the augmentation will show them to the network.
    let preview = NodeRef::<html::Canvas>::new();
    Effect::new(move || {
        let aug = state.config.with(|c| c.augmentation);
        let seed = state.config.with(|c| c.seed);
        let look = datasets
            .summary
            .with(|s| s.as_ref().map(|s| Look::of(Some(s))));
        let samples = datasets.samples.get();
        let (Some(canvas), Some(look)) = (preview.get(), look) else {
            return;
        };
        let mut rng = Rng::new(seed, 99);
        let images: Vec<Vec<u8>> = samples
            .iter()
            .step_by(4)
            .take(8)
            .map(|s| {
                let mut img: Vec<f32> = s.pixels.iter().map(|&p| p as f32 / 255.0).collect();
                aug.sample(look.rows, look.cols, &mut rng).apply(
                    &mut img,
                    look.rows,
                    look.cols,
                    look.channels,
                );
                img.iter()
                    .map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8)
                    .collect()
            })
            .collect();
        let tiles: Vec<(&[u8], Option<String>)> = images.iter().map(|i| (&i[..], None)).collect();
        let _ = draw_stored(&canvas, &tiles, look, 2, 8);
    });

    view! {
        <section class="card" data-testid="augmentation-settings">
            <h2>"Augmentation"</h2>
            <fieldset disabled=busy>
            <div class="controls">
                {number("rotation ±°", "Rotate each training image by a random angle up to this.", "aug-rotation",
                    |c| c.augmentation.rotation_deg as f64, |c, v| c.augmentation.rotation_deg = v.clamp(0.0, 180.0) as f32)}
                {number("shift ±px", "Move each image by up to this many pixels.", "aug-shift",
                    |c| c.augmentation.translate_px as f64, |c, v| c.augmentation.translate_px = v.clamp(0.0, 14.0) as f32)}
                {number("zoom ±", "Scale each image by a factor between 1 − s and 1 + s.", "aug-zoom",
                    |c| c.augmentation.scale as f64, |c, v| c.augmentation.scale = v.clamp(0.0, 0.9) as f32)}
                {number("noise σ", "Add random noise of this strength to every pixel.", "aug-noise",
                    |c| c.augmentation.noise_std as f64, |c, v| c.augmentation.noise_std = v.clamp(0.0, 1.0) as f32)}
                {number("erase p", "Probability of blanking out a random rectangle (cutout).", "aug-erase",
                    |c| c.augmentation.erase_prob as f64, |c, v| c.augmentation.erase_prob = v.clamp(0.0, 1.0) as f32)}
                {number("blur p", "Probability of a slight blur.", "aug-blur",
                    |c| c.augmentation.blur_prob as f64, |c, v| c.augmentation.blur_prob = v.clamp(0.0, 1.0) as f32)}
                {number("colour jitter", "Scale brightness, contrast and saturation by random factors in [1 − s, 1 + s]: for photos.", "aug-jitter",
                    |c| c.augmentation.colour_jitter as f64, |c, v| c.augmentation.colour_jitter = v.clamp(0.0, 1.0) as f32)}
                <label class="field" title="Mirror half the images left–right: right for most photos, wrong for digits (b and d).">
                    "flip ↔"
                    <input type="checkbox" data-testid="aug-hflip"
                        prop:checked=move || state.config.with(|c| c.augmentation.hflip)
                        on:change=move |e| {
                            let on = event_target_checked(&e);
                            state.config.update(|c| c.augmentation.hflip = on);
                        }/>
                </label>
            </div>
            <canvas node_ref=preview class="pixelated" data-testid="augment-preview" width="0" height="0"
                title="Training samples as the augmentation shows them to the network"></canvas>
            </fieldset>
        </section>
    }
}

/// The optimizer, learning rate and its schedule (with the curve of the whole run), batches and epochs.
#[component]
pub fn OptimizerSettings() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    let datasets = expect_context::<DatasetState>();
    let optimizer_names: Vec<&'static str> =
        OptimizerSpec::all().iter().map(|o| o.name()).collect();
    let lr_curve = move |canvas: &web_sys::HtmlCanvasElement| {
        let train_total = datasets
            .summary
            .with(|s| s.as_ref().map_or(60_000, |s| s.train_count));
        let (points, per_epoch) = state.config.with(|c| {
            let (per_epoch, total) = updates(c, train_total);
            let step = (total / 400).max(1);
            let points: Vec<(f32, f32)> = (0..total)
                .step_by(step)
                .map(|t| {
                    (
                        t as f32 / per_epoch.max(1) as f32,
                        c.lr.at(t, per_epoch, total),
                    )
                })
                .collect();
            (points, per_epoch)
        });
        let _ = per_epoch;
        draw_lines(
            canvas,
            &[Series {
                name: "learning rate".into(),
                color: BLUE,
                points,
                markers: false,
            }],
            "epoch",
            "learning rate",
            false,
        )
    };

    view! {
        <section class="card" data-testid="optimizer-settings">
            <h2>"Optimizer and schedule"</h2>
            <fieldset disabled=busy>
            <div class="controls">
                <label class="field" title="The rule that turns gradients into weight updates.">"optimizer"
                    <select data-testid="cfg-optimizer" on:change=move |e| {
                        if let Ok(i) = event_target_value(&e).parse::<usize>() {
                            state.config.update(|c| c.optimizer = OptimizerSpec::all()[i]);
                        }
                    }>
                        {optimizer_names.into_iter().enumerate().map(|(i, name)| view! {
                            <option value=i.to_string() selected=move || state.config.with(|c| c.optimizer.name() == name)>{name}</option>
                        }).collect_view()}
                    </select>
                </label>
                {number("learning rate", "Step size of each update. Too high diverges; too low crawls.", "cfg-lr",
                    |c| c.lr.base as f64, |c, v| c.lr.base = v.max(1e-7) as f32)}
                <label class="field" title="How the learning rate changes over the run (see the curve).">"schedule"
                    <select data-testid="cfg-schedule" on:change=move |e| {
                        let s = match event_target_value(&e).as_str() {
                            "step" => Schedule::Step { every_epochs: 1.0, gamma: 0.5 },
                            "exponential" => Schedule::Exponential { gamma: 0.7 },
                            "cosine" => Schedule::Cosine { floor: 0.01 },
                            "inverse_sqrt" => Schedule::InverseSqrt,
                            _ => Schedule::Constant,
                        };
                        state.config.update(|c| c.lr.schedule = s);
                    }>
                        {[("constant", "constant"), ("step", "halve every epoch"), ("exponential", "exponential ×0.7/epoch"),
                          ("cosine", "cosine to 1%"), ("inverse_sqrt", "1/√t")].into_iter().map(|(v, label)| view! {
                            <option value=v selected=move || state.config.with(|c| schedule_key(&c.lr.schedule) == v)>{label}</option>
                        }).collect_view()}
                    </select>
                </label>
                {number("warm-up updates", "Ramp the learning rate up from 0 over this many updates.", "cfg-warmup",
                    |c| c.lr.warmup as f64, |c, v| c.lr.warmup = whole(v))}
                {number("batch size", "Images per gradient step.", "cfg-batch",
                    |c| c.batch_size as f64, |c, v| c.batch_size = whole(v).clamp(1, 4096))}
                {number("epochs", "Passes over the training images.", "cfg-epochs",
                    |c| c.epochs as f64, |c, v| c.epochs = whole(v).clamp(1, 1000))}
                {number("accumulate", "Sum the gradients of this many batches before each update.", "cfg-accumulate",
                    |c| c.accumulate as f64, |c, v| c.accumulate = whole(v).clamp(1, 64))}
            </div>
            <Chart testid="lr-chart" width=420 height=160 draw=lr_curve/>
            </fieldset>
        </section>
    }
}

/// Regularisation and the rest: label smoothing, early stopping, clipping, weight averaging, the seed.
#[component]
pub fn RegularisationSettings() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    view! {
        <section class="card" data-testid="regularisation-settings">
            <h2>"Regularisation and the rest"</h2>
            <fieldset disabled=busy>
            <div class="controls">
                {number("label smoothing", "Aim for (1 − ε) on the right class instead of 1: less over-confidence.", "cfg-smoothing",
                    |c| match c.loss { Loss::SoftmaxCrossEntropy { label_smoothing } => label_smoothing as f64, _ => 0.0 },
                    |c, v| c.loss = Loss::SoftmaxCrossEntropy { label_smoothing: v.clamp(0.0, 0.5) as f32 })}
                {number("early stopping patience (0 = off)", "Stop when validation loss has not improved for this many epochs, and keep the best weights.", "cfg-patience",
                    |c| c.early_stopping.map_or(0.0, |e| e.patience as f64),
                    |c, v| c.early_stopping = (whole(v) > 0).then_some(EarlyStopping { monitor: Monitor::ValLoss, patience: whole(v), min_delta: 0.0, restore_best: true }))}
                {number("clip gradient norm (0 = off)", "Rescale gradients whose overall size exceeds this: tames exploding updates.", "cfg-clip",
                    |c| c.clip_norm.unwrap_or(0.0) as f64, |c, v| c.clip_norm = (v > 0.0).then_some(v as f32))}
                {number("weight averaging decay (0 = off)", "Evaluate a moving average of the weights: smooths the noise of the last updates.", "cfg-ema",
                    |c| c.weight_average.unwrap_or(0.0) as f64, |c, v| c.weight_average = (v > 0.0 && v < 1.0).then_some(v as f32))}
                {number("seed", "Drives initial weights, shuffling, dropout and augmentation: the same seed gives the same run.", "cfg-seed",
                    |c| c.seed as f64, |c, v| c.seed = v.max(0.0) as u64)}
            </div>
            </fieldset>
        </section>
    }
}

fn schedule_key(s: &Schedule) -> &'static str {
    match s {
        Schedule::Step { .. } => "step",
        Schedule::Exponential { .. } => "exponential",
        Schedule::Cosine { .. } => "cosine",
        Schedule::InverseSqrt => "inverse_sqrt",
        _ => "constant",
    }
}
