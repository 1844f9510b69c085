//! Lesson: the regularisation lab. One click trains the same over-sized network on a few
//! hundred images with no regularisation and with each regulariser, from the same seed, in
//! the worker; the curves, a results table and the weight histograms are drawn as they come.

use leptos::prelude::*;
use plotters::style::RGBColor;
use web_sys::HtmlCanvasElement;

use crate::app::bridge;
use crate::app::charts::{draw_histogram, draw_lines, Chart, Series};
use crate::app::state::TrainState;
use crate::data::split::SplitConfig;
use crate::lessons::regularisation::{overfitting_config, runs, LabRun};
use crate::train::EpochSummary;
use crate::worker::protocol::Request;

const COLORS: [RGBColor; 8] = [
    RGBColor(29, 35, 48),
    RGBColor(47, 111, 222),
    RGBColor(200, 40, 40),
    RGBColor(30, 150, 80),
    RGBColor(230, 120, 20),
    RGBColor(140, 60, 190),
    RGBColor(0, 150, 170),
    RGBColor(150, 110, 60),
];

fn color(k: usize) -> RGBColor {
    COLORS[k % COLORS.len()]
}

#[component]
pub fn RegularisationLesson() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let lab = train.lab;
    let images = RwSignal::new(500usize);
    let epochs = RwSignal::new(30usize);
    let start = move |runs: Vec<LabRun>| {
        lab.rows.set(Vec::new());
        lab.error.set(None);
        lab.expected.set(runs.len());
        bridge::send(&Request::Lab { runs, first: 0 }, &[]);
    };
    let run_lab = move |_| {
        let base = overfitting_config(images.get_untracked(), epochs.get_untracked(), 1);
        start(runs(&base));
    };
    // The learner's own run: the trainer's settings, on the lab's images and epochs.
    let add_own = move |_| {
        let mut config = train.config.get_untracked();
        config.epochs = epochs.get_untracked();
        config.split = SplitConfig {
            validation: 2000,
            train_subset: Some(images.get_untracked()),
        };
        let run = LabRun {
            name: "your settings".into(),
            config,
        };
        let index = lab.rows.with_untracked(|r| r.len());
        lab.expected.update(|n| *n = index + 1);
        lab.error.set(None);
        // Only the new run is sent; it is numbered after the ones already shown.
        bridge::send(
            &Request::Lab {
                runs: vec![run],
                first: index,
            },
            &[],
        );
    };
    let curves = move |pick: fn(&EpochSummary) -> f32, label: &'static str| {
        move |c: &HtmlCanvasElement| {
            let series: Vec<Series> = lab.rows.with(|rows| {
                rows.iter()
                    .enumerate()
                    .map(|(k, r)| Series {
                        name: r.name.clone(),
                        color: color(k),
                        points: r
                            .history
                            .iter()
                            .map(|e| (e.epoch as f32, pick(e)))
                            .collect(),
                        markers: false,
                    })
                    .collect()
            });
            draw_lines(c, &series, "epoch", label, false)
        }
    };
    let number = move |label: &'static str,
                       tip: &'static str,
                       testid: &'static str,
                       value: RwSignal<usize>| {
        view! {
            <label class="field" title=tip>{label}
                <input type="number" min="10" data-testid=testid prop:value=move || value.get()
                    on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse::<usize>() {
                            value.set(v.max(1));
                        }
                    }/>
            </label>
        }
    };
    view! {
        <section class="card lesson" data-testid="lesson-regularisation">
            <h2>"Lesson: regularisation, run side by side"</h2>
            <p>"A network with 200 000 weights and only a few hundred training images can memorise every one of them: training accuracy reaches 100% while accuracy on images it has not seen stays far lower. That gap is overfitting. Each regulariser below fights it in its own way. All runs start from the same weights and see the images in the same order; only the regulariser differs."</p>
            <div class="controls">
                {number("training images", "Fewer images overfit sooner", "lab-images", images)}
                {number("epochs", "Passes over the training images", "lab-epochs", epochs)}
                <button data-testid="lab-run" disabled=move || lab.running() on:click=run_lab
                    title="Train the seven runs one after the other in the worker (the trainer's own run waits)">"Run the lab"</button>
                <button data-testid="lab-add" disabled=move || lab.running() on:click=add_own
                    title="One more run with the trainer's current architecture and settings, on the lab's images and epochs">"Add a run with the trainer's settings"</button>
                <span class="muted" data-testid="lab-status">{move || {
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
                <Chart testid="lab-validation-chart" width=560 height=260 draw=curves(|e| e.val_accuracy, "validation accuracy")/>
                <Chart testid="lab-training-chart" width=560 height=260 draw=curves(|e| e.train_accuracy, "training accuracy")/>
            </div>
            <table class="epochs" data-testid="lab-table">
                <tr><th>"run"</th><th title="On the training images, in inference mode">"train acc."</th><th>"val. acc."</th><th title="Training minus validation accuracy">"gap"</th><th>"epochs"</th><th title="Weights of the first layer with |w| < 0.001">"near-zero weights"</th></tr>
                {move || lab.rows.get().into_iter().enumerate().filter_map(|(k, r)| r.report.map(|rep| view! {
                    <tr data-testid=format!("lab-row-{k}")>
                        <td style=format!("color:rgb({},{},{})", color(k).0, color(k).1, color(k).2)>{rep.name.clone()}</td>
                        <td>{format!("{:.1}%", 100.0 * rep.train_accuracy)}</td>
                        <td>{format!("{:.1}%", 100.0 * rep.val_accuracy)}</td>
                        <td data-testid=format!("lab-gap-{k}")>{format!("{:.1}", 100.0 * rep.gap())}</td>
                        <td>{match &rep.finish {
                            Some(crate::train::FinishReason::EarlyStopped { best_epoch, .. }) => format!("{} (best {best_epoch} restored)", rep.history.len()),
                            _ => rep.history.len().to_string(),
                        }}</td>
                        <td data-testid=format!("lab-zeros-{k}")>{format!("{} of {}", rep.near_zero, rep.weight_count)}</td>
                    </tr>
                })).collect_view()}
            </table>
            <h3>"First-layer weights after training"</h3>
            <p class="muted">"L1 pushes weights to zero and leaves the useful ones large: a tall spike at 0. L2 shrinks every weight: a narrow hill (at this strength it also zeroes the weights of pixels that are always blank). Note the ranges under each histogram."</p>
            <div class="hist-grid">
                {move || lab.rows.get().into_iter().enumerate().filter_map(|(k, r)| r.report.map(|rep| {
                    let hist = rep.weights.clone();
                    let draw = move |c: &HtmlCanvasElement| draw_histogram(c, &hist, color(k));
                    view! {
                        <div class="hist" data-testid=format!("lab-hist-{k}")>
                            <div>{rep.name.clone()}</div>
                            <Chart testid=format!("lab-weights-{k}") width=220 height=90 draw=draw/>
                            <div class="muted">{format!("{} of {} near zero", rep.near_zero, rep.weight_count)}</div>
                        </div>
                    }
                })).collect_view()}
            </div>
        </section>
    }
}
