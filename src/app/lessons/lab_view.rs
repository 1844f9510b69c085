//! A lesson's lab on the page: settings, Run, the runs' curves overlaid as they train in the
//! worker, a results table, and (for the regularisation lesson) the weight histograms.

use leptos::prelude::*;
use plotters::style::RGBColor;
use web_sys::HtmlCanvasElement;

use crate::app::bridge;
use crate::app::charts::{draw_histogram, draw_lines, Chart, Series};
use crate::app::state::{LabRow, TrainState};
use crate::data::split::SplitConfig;
use crate::lessons::lab::{LabKind, LabRun};
use crate::train::{EpochSummary, FinishReason};
use crate::worker::protocol::Request;

const COLORS: [RGBColor; 9] = [
    RGBColor(29, 35, 48),
    RGBColor(47, 111, 222),
    RGBColor(200, 40, 40),
    RGBColor(30, 150, 80),
    RGBColor(230, 120, 20),
    RGBColor(140, 60, 190),
    RGBColor(0, 150, 170),
    RGBColor(150, 110, 60),
    RGBColor(220, 80, 160),
];

pub fn color(k: usize) -> RGBColor {
    COLORS[k % COLORS.len()]
}

fn css(c: RGBColor) -> String {
    format!("color:rgb({},{},{})", c.0, c.1, c.2)
}

/// Overlaid curves, one per run (a run of one epoch is a dot). `log_y` for losses, whose
/// diverging runs would otherwise flatten the others.
fn overlay(
    c: &HtmlCanvasElement,
    rows: &[LabRow],
    points: impl Fn(&LabRow) -> Vec<(f32, f32)>,
    y_label: &str,
    log_y: bool,
) -> Result<(), String> {
    let series: Vec<Series> = rows
        .iter()
        .enumerate()
        .map(|(k, r)| {
            let points = points(r);
            Series {
                name: r.name.clone(),
                color: color(k),
                markers: points.len() == 1,
                points,
            }
        })
        .collect();
    draw_lines(c, &series, "epoch", y_label, log_y)
}

fn per_epoch(r: &LabRow, pick: fn(&EpochSummary) -> f32) -> Vec<(f32, f32)> {
    r.history
        .iter()
        .map(|e| (e.epoch as f32, pick(e)))
        .collect()
}

/// Makes a fine round of runs from (the best learning rate so far, images, epochs).
pub type Refine = fn(f32, usize, usize) -> Vec<LabRun>;

#[component]
pub fn LabView(
    kind: LabKind,
    /// The lesson's runs for (training images, epochs).
    make_runs: fn(usize, usize) -> Vec<LabRun>,
    images: usize,
    epochs: usize,
    /// Show the first layer's weight histograms and near-zero counts.
    #[prop(optional)]
    weights: bool,
    /// Show each run's activations on its first batch, layer by layer.
    #[prop(optional)]
    activations: bool,
    /// More runs around the best learning rate so far: (best rate, images, epochs).
    #[prop(optional)]
    refine: Option<Refine>,
) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let lab = train.lab(kind);
    let slug = kind.slug();
    let id = move |what: &str| format!("{slug}-{what}");
    let images = RwSignal::new(images);
    let epochs = RwSignal::new(epochs);
    let send = move |runs: Vec<LabRun>, first: usize| {
        lab.expected.set(first + runs.len());
        lab.error.set(None);
        bridge::send(&Request::Lab { kind, runs, first }, &[]);
    };
    let run_lab = move |_| {
        lab.rows.set(Vec::new());
        send(make_runs(images.get_untracked(), epochs.get_untracked()), 0);
    };
    // The learner's own run: the trainer's settings, on the lab's images and epochs.
    let add_own = move |_| {
        let mut config = train.config.get_untracked();
        config.epochs = epochs.get_untracked();
        config.split = SplitConfig {
            validation: config.split.validation.max(1000),
            train_subset: Some(images.get_untracked()),
        };
        let first = lab.rows.with_untracked(|r| r.len());
        let name = "your settings".to_string();
        send(vec![LabRun::new(name, config)], first);
    };
    let best_lr = move || {
        lab.rows.with(|rows| {
            rows.iter()
                .filter_map(|r| r.report.as_ref())
                .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
                .map(|r| r.lr)
        })
    };
    let refine_runs = move |_| {
        if let (Some(make), Some(best)) = (refine, best_lr()) {
            let first = lab.rows.with_untracked(|r| r.len());
            send(
                make(best, images.get_untracked(), epochs.get_untracked()),
                first,
            );
        }
    };
    let number = move |label: &'static str,
                       tip: &'static str,
                       what: &'static str,
                       value: RwSignal<usize>| {
        view! {
            <label class="field" title=tip>{label}
                <input type="number" min="1" data-testid=id(what) prop:value=move || value.get()
                    on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse::<usize>() {
                            value.set(v.max(1));
                        }
                    }/>
            </label>
        }
    };
    let loss_chart = move |c: &HtmlCanvasElement| {
        lab.rows.with(|rows| {
            overlay(
                c,
                rows,
                |r| r.losses.clone(),
                "training loss (per batch)",
                true,
            )
        })
    };
    let val_chart = move |c: &HtmlCanvasElement| {
        lab.rows.with(|rows| {
            overlay(
                c,
                rows,
                |r| per_epoch(r, |e| e.val_accuracy),
                "validation accuracy",
                false,
            )
        })
    };
    let train_chart = move |c: &HtmlCanvasElement| {
        lab.rows.with(|rows| {
            overlay(
                c,
                rows,
                |r| per_epoch(r, |e| e.train_accuracy),
                "training accuracy",
                false,
            )
        })
    };
    view! {
        <div class="lab" data-testid=id("lab")>
            <div class="controls">
                {number("training images", "Fewer images: faster runs, and they overfit sooner", "images", images)}
                {number("epochs", "Passes over the training images", "epochs", epochs)}
                <button data-testid=id("run") disabled=move || lab.running() on:click=run_lab
                    title="Train the runs one after the other in the worker, from the same seed (beside the trainer's own run, taking turns with it)">"Run"</button>
                <button data-testid=id("add") disabled=move || lab.running() on:click=add_own
                    title="One more run with the trainer's current architecture and settings, on these images and epochs">"Add a run with the trainer's settings"</button>
                {refine.map(|_| view! {
                    <button data-testid=id("refine") disabled=move || lab.running() || best_lr().is_none() on:click=refine_runs
                        title="More runs at rates within a factor of 4 of the best one so far">
                        {move || best_lr().map_or("Refine around the best".to_string(), |lr| format!("Refine around the best ({lr:.2e})"))}</button>
                })}
                <span class="muted" data-testid=id("status")>{move || {
                    let done = lab.rows.with(|r| r.iter().filter(|r| r.report.is_some()).count());
                    match lab.error.get() {
                        Some(e) => e,
                        None if lab.running() => format!("training run {} of {}…", done + 1, lab.expected.get()),
                        None if done > 0 => format!("{done} runs done"),
                        None => String::new(),
                    }
                }}</span>
            </div>
            <div class="charts">
                <Chart testid=id("loss-chart") width=560 height=260 draw=loss_chart/>
                <Chart testid=id("validation-chart") width=560 height=260 draw=val_chart/>
                <Chart testid=id("training-chart") width=560 height=260 draw=train_chart/>
            </div>
            <table class="epochs" data-testid=id("table")>
                <tr><th>"run"</th><th title="On the training images, in inference mode">"train acc."</th><th>"val. acc."</th>
                    <th title="Training minus validation accuracy, in points">"gap"</th><th>"epochs"</th>
                    <th title="Weight updates per epoch">"updates/epoch"</th><th>"seconds"</th>
                    {weights.then(|| view! { <th title="First-layer weights with |w| < 0.001">"near-zero weights"</th><th title="First-layer weights that are exactly 0">"exactly zero"</th> })}</tr>
                {move || lab.rows.get().into_iter().enumerate().filter_map(|(k, r)| r.report.map(|rep| view! {
                    <tr data-testid=id(&format!("row-{k}"))>
                        <td style=css(color(k))>{rep.name.clone()}</td>
                        <td>{format!("{:.1}%", 100.0 * rep.train_accuracy)}</td>
                        <td>{format!("{:.1}%", 100.0 * rep.val_accuracy)}</td>
                        <td data-testid=id(&format!("gap-{k}"))>{format!("{:.1}", 100.0 * rep.gap())}</td>
                        <td>{match &rep.finish {
                            Some(FinishReason::EarlyStopped { best_epoch, .. }) => format!("{} (best {best_epoch} restored)", rep.history.len()),
                            Some(FinishReason::Diverged { .. }) => format!("{} (diverged)", rep.history.len()),
                            _ => rep.history.len().to_string(),
                        }}</td>
                        <td>{rep.updates_per_epoch}</td>
                        <td data-testid=id(&format!("seconds-{k}"))>{format!("{:.2}", rep.seconds)}</td>
                        {weights.then(|| view! { <td data-testid=id(&format!("zeros-{k}"))>{format!("{} of {}", rep.near_zero, rep.weight_count)}</td><td data-testid=id(&format!("exact-zeros-{k}"))>{rep.exact_zero}</td> })}
                    </tr>
                })).collect_view()}
            </table>
            {weights.then(|| view! {
                <h3>"First-layer weights after training"</h3>
                <p class="muted">"L1 sets weights exactly to zero and leaves the useful ones large: a tall spike at 0. After each update it moves every weight a fixed step toward zero and stops it there rather than letting it cross (a proximal step), so a weight the data does not need stays at 0. L2 shrinks every weight in proportion to its size: a narrow hill, near zero but never exactly on it. Note the ranges and counts under each histogram."</p>
                <div class="hist-grid">
                    {move || lab.rows.get().into_iter().enumerate().filter_map(|(k, r)| r.report.map(|rep| {
                        let hist = rep.weights.clone();
                        let draw = move |c: &HtmlCanvasElement| draw_histogram(c, &hist, color(k));
                        view! {
                            <div class="hist">
                                <div>{rep.name.clone()}</div>
                                <Chart testid=id(&format!("weights-{k}")) width=220 height=90 draw=draw/>
                                <div class="muted">{format!("{} of {} near zero, {} exactly 0", rep.near_zero, rep.weight_count, rep.exact_zero)}</div>
                            </div>
                        }
                    })).collect_view()}
                </div>
            })}
            {activations.then(|| view! {
                <h3>"Activations on the first batch, layer by layer"</h3>
                <div class="lab-activations">
                    {move || lab.rows.get().into_iter().enumerate().filter_map(|(k, r)| r.report.map(|rep| {
                        let hidden: Vec<_> = rep.first_activations.iter().filter(|a| a.saturated_fraction.is_some() || a.dead_fraction.is_some()).cloned().collect();
                        view! {
                            <div class="hist-grid" data-testid=id(&format!("activations-{k}"))>
                                <div class="lab-run-name" style=css(color(k))>{rep.name.clone()}</div>
                                {hidden.into_iter().enumerate().map(|(j, a)| {
                                    let note = a.saturated_fraction.map(|s| format!("{:.0}% saturated", 100.0 * s))
                                        .or(a.dead_fraction.map(|d| format!("{:.0}% dead", 100.0 * d)))
                                        .unwrap_or_default();
                                    let hist = a.histogram.clone();
                                    let draw = move |c: &HtmlCanvasElement| draw_histogram(c, &hist, color(k));
                                    view! {
                                        <div class="hist">
                                            <div>{format!("{}: {}", a.layer + 1, a.name)}</div>
                                            <Chart testid=id(&format!("activation-{k}-{j}")) width=180 height=80 draw=draw/>
                                            <div class="muted">{note}</div>
                                        </div>
                                    }
                                }).collect_view()}
                            </div>
                        }
                    })).collect_view()}
                </div>
            })}
        </div>
    }
}
