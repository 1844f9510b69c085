//! A lesson's lab on the page: settings, Run, the runs' curves overlaid as they train in the
//! worker, a results table, and (for the regularisation lesson) the weight histograms.

use leptos::prelude::*;
use plotters::style::RGBColor;
use web_sys::HtmlCanvasElement;

use crate::app::bridge;
use crate::app::charts::{draw_histogram, draw_lines, Chart, Series};
use crate::app::state::{LabRow, LabState, TrainState};
use crate::lessons::lab::{LabKind, LabRun, RunReport};
use crate::train::metrics::ActivationStats;
use crate::train::EpochSummary;
use crate::ui::lab::{activation_note, best_lr, epochs_text, own_run, status};
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

/// A lab's `data-testid`s: the lesson's slug, then what.
#[derive(Clone, Copy)]
struct Ids(&'static str);

impl Ids {
    fn of(self, what: &str) -> String {
        format!("{}-{what}", self.0)
    }
}

/// The reports of the lab's finished runs, with the run's index (its colour).
fn reports(lab: LabState) -> Vec<(usize, RunReport)> {
    lab.rows
        .get()
        .into_iter()
        .enumerate()
        .filter_map(|(k, r)| r.report.map(|rep| (k, rep)))
        .collect()
}

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
    let ids = Ids(kind.slug());
    view! {
        <div class="lab" data-testid=ids.of("lab")>
            <LabControls kind=kind lab=lab make_runs=make_runs images=images epochs=epochs refine=refine/>
            <LabCharts lab=lab ids=ids/>
            <LabTable lab=lab ids=ids weights=weights/>
            {weights.then(|| view! { <WeightHistograms lab=lab ids=ids/> })}
            {activations.then(|| view! { <FirstActivations lab=lab ids=ids/> })}
        </div>
    }
}

/// The lab's settings, its buttons and its status line.
#[component]
fn LabControls(
    kind: LabKind,
    lab: LabState,
    make_runs: fn(usize, usize) -> Vec<LabRun>,
    images: usize,
    epochs: usize,
    refine: Option<Refine>,
) -> impl IntoView {
    let train = expect_context::<TrainState>();
    let ids = Ids(kind.slug());
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
        let run = own_run(
            train.config.get_untracked(),
            images.get_untracked(),
            epochs.get_untracked(),
        );
        send(vec![run], lab.rows.with_untracked(|r| r.len()));
    };
    let best = move || {
        lab.rows
            .with(|rows| best_lr(rows.iter().filter_map(|r| r.report.as_ref())))
    };
    let refine_runs = move |_| {
        if let (Some(make), Some(best)) = (refine, best()) {
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
                <input type="number" min="1" data-testid=ids.of(what) prop:value=move || value.get()
                    on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse::<usize>() {
                            value.set(v.max(1));
                        }
                    }/>
            </label>
        }
    };
    let status_line = move || {
        let done = lab
            .rows
            .with(|r| r.iter().filter(|r| r.report.is_some()).count());
        status(lab.error.get(), lab.running(), done, lab.expected.get())
    };
    view! {
        <div class="controls">
            {number("training images", "Fewer images: faster runs, and they overfit sooner", "images", images)}
            {number("epochs", "Passes over the training images", "epochs", epochs)}
            <button data-testid=ids.of("run") disabled=move || lab.running() on:click=run_lab
                title="Train the runs one after the other in the worker, from the same seed (beside the trainer's own run, taking turns with it)">"Run"</button>
            <button data-testid=ids.of("add") disabled=move || lab.running() on:click=add_own
                title="One more run with the trainer's current architecture and settings, on these images and epochs">"Add a run with the trainer's settings"</button>
            {refine.map(|_| view! {
                <button data-testid=ids.of("refine") disabled=move || lab.running() || best().is_none() on:click=refine_runs
                    title="More runs at rates within a factor of 4 of the best one so far">
                    {move || best().map_or("Refine around the best".to_string(), |lr| format!("Refine around the best ({lr:.2e})"))}</button>
            })}
            <span class="muted" data-testid=ids.of("status")>{status_line}</span>
        </div>
    }
}

/// The runs' curves overlaid: training loss, validation and training accuracy.
#[component]
fn LabCharts(lab: LabState, ids: Ids) -> impl IntoView {
    let chart =
        move |points: fn(&LabRow) -> Vec<(f32, f32)>, y_label: &'static str, log_y: bool| {
            move |c: &HtmlCanvasElement| {
                lab.rows
                    .with(|rows| overlay(c, rows, points, y_label, log_y))
            }
        };
    view! {
        <div class="charts">
            <Chart testid=ids.of("loss-chart") width=560 height=260
                draw=chart(|r| r.losses.clone(), "training loss (per batch)", true)/>
            <Chart testid=ids.of("validation-chart") width=560 height=260
                draw=chart(|r| per_epoch(r, |e| e.val_accuracy), "validation accuracy", false)/>
            <Chart testid=ids.of("training-chart") width=560 height=260
                draw=chart(|r| per_epoch(r, |e| e.train_accuracy), "training accuracy", false)/>
        </div>
    }
}

/// One row per finished run: accuracies, gap, epochs, updates, time (and weights near zero).
#[component]
fn LabTable(lab: LabState, ids: Ids, weights: bool) -> impl IntoView {
    let row = move |k: usize, rep: RunReport| {
        view! {
            <tr data-testid=ids.of(&format!("row-{k}"))>
                <td style=css(color(k))>{rep.name.clone()}</td>
                <td>{format!("{:.1}%", 100.0 * rep.train_accuracy)}</td>
                <td>{format!("{:.1}%", 100.0 * rep.val_accuracy)}</td>
                <td data-testid=ids.of(&format!("gap-{k}"))>{format!("{:.1}", 100.0 * rep.gap())}</td>
                <td>{epochs_text(&rep)}</td>
                <td>{rep.updates_per_epoch}</td>
                <td data-testid=ids.of(&format!("seconds-{k}"))>{format!("{:.2}", rep.seconds)}</td>
                {weights.then(|| view! { <td data-testid=ids.of(&format!("zeros-{k}"))>{format!("{} of {}", rep.near_zero, rep.weight_count)}</td><td data-testid=ids.of(&format!("exact-zeros-{k}"))>{rep.exact_zero}</td> })}
            </tr>
        }
    };
    view! {
        <table class="epochs" data-testid=ids.of("table")>
            <tr><th>"run"</th><th title="On the training images, in inference mode">"train acc."</th><th>"val. acc."</th>
                <th title="Training minus validation accuracy, in points">"gap"</th><th>"epochs"</th>
                <th title="Weight updates per epoch">"updates/epoch"</th><th>"seconds"</th>
                {weights.then(|| view! { <th title="First-layer weights with |w| < 0.001">"near-zero weights"</th><th title="First-layer weights that are exactly 0">"exactly zero"</th> })}</tr>
            {move || reports(lab).into_iter().map(|(k, rep)| row(k, rep)).collect_view()}
        </table>
    }
}

/// Each finished run's first-layer weights as a histogram (the regularisation lesson).
#[component]
fn WeightHistograms(lab: LabState, ids: Ids) -> impl IntoView {
    let histogram = move |k: usize, rep: RunReport| {
        let hist = rep.weights.clone();
        let draw = move |c: &HtmlCanvasElement| draw_histogram(c, &hist, color(k));
        view! {
            <div class="hist">
                <div>{rep.name.clone()}</div>
                <Chart testid=ids.of(&format!("weights-{k}")) width=220 height=90 draw=draw/>
                <div class="muted">{format!("{} of {} near zero, {} exactly 0", rep.near_zero, rep.weight_count, rep.exact_zero)}</div>
            </div>
        }
    };
    view! {
        <h3>"First-layer weights after training"</h3>
        <p class="muted">"L1 sets weights exactly to zero and leaves the useful ones large: a tall spike at 0. After each update it moves every weight a fixed step toward zero and stops it there rather than letting it cross (a proximal step), so a weight the data does not need stays at 0. L2 shrinks every weight in proportion to its size: a narrow hill, near zero but never exactly on it. Note the ranges and counts under each histogram."</p>
        <div class="hist-grid">
            {move || reports(lab).into_iter().map(|(k, rep)| histogram(k, rep)).collect_view()}
        </div>
    }
}

/// Each finished run's activations on its first batch, layer by layer, with the share of
/// saturated or dead units (the initialisation lesson).
#[component]
fn FirstActivations(lab: LabState, ids: Ids) -> impl IntoView {
    let layer = move |k: usize, j: usize, a: ActivationStats| {
        let note = activation_note(&a);
        let hist = a.histogram.clone();
        let draw = move |c: &HtmlCanvasElement| draw_histogram(c, &hist, color(k));
        view! {
            <div class="hist">
                <div>{format!("{}: {}", a.layer + 1, a.name)}</div>
                <Chart testid=ids.of(&format!("activation-{k}-{j}")) width=180 height=80 draw=draw/>
                <div class="muted">{note}</div>
            </div>
        }
    };
    let run = move |k: usize, rep: RunReport| {
        let hidden: Vec<_> = rep
            .first_activations
            .iter()
            .filter(|a| a.saturated_fraction.is_some() || a.dead_fraction.is_some())
            .cloned()
            .collect();
        view! {
            <div class="hist-grid" data-testid=ids.of(&format!("activations-{k}"))>
                <div class="lab-run-name" style=css(color(k))>{rep.name.clone()}</div>
                {hidden.into_iter().enumerate().map(|(j, a)| layer(k, j, a)).collect_view()}
            </div>
        }
    };
    view! {
        <h3>"Activations on the first batch, layer by layer"</h3>
        <div class="lab-activations">
            {move || reports(lab).into_iter().map(|(k, rep)| run(k, rep)).collect_view()}
        </div>
    }
}
