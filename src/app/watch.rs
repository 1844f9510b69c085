//! The views that update while the network trains: curves, histograms, filters, the
//! confusion matrix and the most confidently wrong images.

use leptos::prelude::*;

use super::charts::{
    curve, draw_histogram, draw_histogram_history, draw_lines, Chart, Series, BLUE, GREEN, GREY,
    LIGHT_BLUE, ORANGE, RED,
};
use super::images::{draw_stored, draw_tiles, Look, Tile, Tone};
use super::state::{DatasetState, TrainState};

/// Points drawn per line at most.
const MAX_POINTS: usize = 600;
/// Epochs the table lists (the latest); the curves show them all.
const EPOCH_ROWS: usize = 8;

/// A per-step figure against epochs (so per-step and per-epoch figures share the axis),
/// smoothed with `beta` per batch if given, at most [`MAX_POINTS`] points. The record keeps
/// one step in `stride` on a long run: the smoothing spans the same number of batches
/// whatever the spacing.
fn step_curve(
    state: TrainState,
    f: fn(&crate::train::StepMetrics) -> f32,
    beta: Option<f32>,
) -> Vec<(f32, f32)> {
    let pe = state.plan.get().map_or(1, |p| p.batches_per_epoch.max(1)) as f32;
    state.steps.with(|s| {
        let points = s.as_flat().iter().map(|m| (m.batch as f32 / pe, f(m)));
        curve(points, beta.map(|b| b.powi(s.stride() as i32)), MAX_POINTS)
    })
}

/// The loss and accuracy curves, always on screen beside the picture.
#[component]
pub fn Curves() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let log_scale = RwSignal::new(false);
    let loss_chart = move |c: &web_sys::HtmlCanvasElement| {
        let smooth = step_curve(state, |m| m.loss, Some(0.95));
        let val = state
            .epochs
            .with(|e| e.iter().map(|s| (s.epoch as f32, s.val_loss)).collect());
        draw_lines(
            c,
            &[
                Series {
                    name: "training loss".into(),
                    color: LIGHT_BLUE,
                    points: step_curve(state, |m| m.loss, None),
                    markers: false,
                },
                Series {
                    name: "training loss (EWMA)".into(),
                    color: BLUE,
                    points: smooth,
                    markers: false,
                },
                Series {
                    name: "validation loss".into(),
                    color: ORANGE,
                    points: val,
                    markers: true,
                },
            ],
            "epoch",
            "loss",
            log_scale.get(),
        )
    };
    let accuracy_chart = move |c: &web_sys::HtmlCanvasElement| {
        let smooth = step_curve(state, |m| m.accuracy, Some(0.95));
        let val = state
            .epochs
            .with(|e| e.iter().map(|s| (s.epoch as f32, s.val_accuracy)).collect());
        draw_lines(
            c,
            &[
                Series {
                    name: "training accuracy (EWMA)".into(),
                    color: BLUE,
                    points: smooth,
                    markers: false,
                },
                Series {
                    name: "validation accuracy".into(),
                    color: ORANGE,
                    points: val,
                    markers: true,
                },
            ],
            "epoch",
            "accuracy",
            false,
        )
    };
    view! {
        <section class="curves" data-testid="curves">
            <div class="curves-head">
                <label class="field" title="A log scale shows the late, small improvements of the loss">
                    <input type="checkbox" data-testid="log-scale" on:change=move |e| log_scale.set(event_target_checked(&e))/>
                    "log scale"
                </label>
                <span class="muted" data-testid="last-step">{move || state.steps.with(|s| s.latest().map(|m| &m[0]).map(|m| format!(
                    "batch {}: loss {:.4}, accuracy {:.1}%{}",
                    m.batch, m.loss, 100.0 * m.accuracy,
                    m.dispatches.map(|d| format!(", {d} GPU dispatches")).unwrap_or_default())))}</span>
            </div>
            <Chart testid="loss-chart" width=420 height=240 draw=loss_chart/>
            <Chart testid="accuracy-chart" width=420 height=240 draw=accuracy_chart/>
        </section>
    }
}

/// The loss terms, the learning rate used and the table of epochs (a tab).
#[component]
pub fn CurveDetails() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let log_scale = RwSignal::new(false);
    let breakdown_chart = move |c: &web_sys::HtmlCanvasElement| {
        let series = [
            (
                "data loss",
                BLUE,
                step_curve(state, |m| m.data_loss, Some(0.9)),
            ),
            ("L1", GREEN, step_curve(state, |m| m.l1, Some(0.9))),
            ("L2", RED, step_curve(state, |m| m.l2, Some(0.9))),
            (
                "activity",
                GREY,
                step_curve(state, |m| m.activity, Some(0.9)),
            ),
        ]
        .into_iter()
        .filter(|(_, _, p)| p.iter().any(|&(_, y)| y != 0.0))
        .map(|(name, color, p)| Series {
            name: name.into(),
            color,
            points: p,
            markers: false,
        })
        .collect::<Vec<_>>();
        draw_lines(c, &series, "epoch", "loss terms", log_scale.get())
    };
    let lr_chart = move |c: &web_sys::HtmlCanvasElement| {
        let points = step_curve(state, |m| m.lr, None);
        draw_lines(
            c,
            &[Series {
                name: "learning rate".into(),
                color: GREEN,
                points,
                markers: false,
            }],
            "epoch",
            "learning rate",
            false,
        )
    };
    view! {
        <section class="card" data-testid="curve-details">
            <h2>"Loss terms, learning rate, epochs"</h2>
            <label class="field" title="A log scale shows the late, small changes of the loss terms">
                <input type="checkbox" data-testid="breakdown-log-scale" on:change=move |e| log_scale.set(event_target_checked(&e))/>
                "log scale"
            </label>
            <div class="charts">
                <Chart testid="breakdown-chart" width=480 height=200 draw=breakdown_chart/>
                <Chart testid="lr-used-chart" width=480 height=200 draw=lr_chart/>
            </div>
            <table class="epochs" data-testid="epoch-table" data-epochs=move || state.epochs.with(Vec::len)>
                <tr><th>"epoch"</th><th>"train loss"</th><th>"train acc."</th><th>"val. loss"</th><th>"val. acc."</th><th>"samples/s"</th></tr>
                {move || state.epochs.with(|all| {
                    let hidden = all.len().saturating_sub(EPOCH_ROWS);
                    (hidden > 0).then(|| view! {
                        <tr class="muted"><td colspan="6" data-testid="epoch-table-hidden">{
                            format!("epochs 1–{hidden}: in the curves")
                        }</td></tr>
                    })
                })}
                {move || state.epochs.with(|all| all[all.len().saturating_sub(EPOCH_ROWS)..].iter().map(|e| view! {
                    <tr><td>{e.epoch}</td><td>{format!("{:.4}", e.train_loss)}</td><td>{format!("{:.2}%", 100.0 * e.train_accuracy)}</td>
                        <td>{format!("{:.4}", e.val_loss)}</td><td data-testid=format!("val-accuracy-{}", e.epoch)>{format!("{:.2}%", 100.0 * e.val_accuracy)}</td>
                        <td>{format!("{:.0}", e.samples_per_s)}</td></tr>
                }).collect_view())}
            </table>
        </section>
    }
}

/// Activation and weight histograms per layer, from the latest snapshot. The cards are
/// built once per model (keyed by its layers) and redrawn in place at each snapshot: no DOM
/// churn on the main thread while training.
#[component]
pub fn Histograms() -> impl IntoView {
    let state = expect_context::<TrainState>();
    // (is a weight histogram, position in its list, title): changes only with the model.
    let layout = Memo::new(move |_| {
        state.snapshot.with(|s| {
            s.as_ref().map_or(Vec::new(), |s| {
                let acts = s
                    .activations
                    .iter()
                    .enumerate()
                    .map(|(k, a)| (false, k, format!("{}: {}", a.layer + 1, a.name)));
                let weights = s
                    .weights
                    .iter()
                    .enumerate()
                    .map(|(k, w)| (true, k, format!("{}: {} weights", w.layer + 1, w.name)));
                acts.chain(weights).collect::<Vec<_>>()
            })
        })
    });
    let card = move |(weight, k, title): (bool, usize, String)| {
        let draw = move |c: &web_sys::HtmlCanvasElement| {
            state.snapshot.with(|s| {
                let Some(s) = s else { return Ok(()) };
                let hist = if weight {
                    s.weights.get(k).map(|w| &w.histogram)
                } else {
                    s.activations.get(k).map(|a| &a.histogram)
                };
                match hist {
                    Some(h) => draw_histogram(c, h, if weight { ORANGE } else { BLUE }),
                    None => Ok(()),
                }
            })
        };
        let note = move || {
            state.snapshot.with(|s| {
                let s = s.as_ref()?;
                if weight {
                    let w = s.weights.get(k)?;
                    Some(format!(
                        "{:.1}% near zero of {}",
                        100.0 * w.near_zero_fraction,
                        w.count
                    ))
                } else {
                    let a = s.activations.get(k)?;
                    let mut notes = Vec::new();
                    if let Some(d) = a.dead_fraction {
                        notes.push(format!("{:.0}% dead", 100.0 * d));
                    }
                    if let Some(sat) = a.saturated_fraction {
                        notes.push(format!("{:.0}% saturated", 100.0 * sat));
                    }
                    Some(notes.join(", "))
                }
            })
        };
        let testid = if weight {
            format!("weights-{k}")
        } else {
            format!("activation-{k}")
        };
        let over_time = move |c: &web_sys::HtmlCanvasElement| {
            state.activation_history.with(|history| {
                let layer: Vec<_> = history.iter().filter_map(|frames| frames.get(k)).collect();
                let fraction: Vec<f32> = layer.iter().filter_map(|f| f.fraction).collect();
                draw_histogram_history(c, &layer, &fraction, BLUE)
            })
        };
        view! {
            <div class="hist" data-testid=testid>
                <div>{title}</div>
                <Chart testid=if weight { "weight-hist" } else { "activation-hist" } width=220 height=90 draw=draw/>
                {(!weight).then(|| view! {
                    <Chart testid=format!("activation-history-{k}") width=220 height=90 draw=over_time/>
                })}
                <div class="muted">{note}</div>
            </div>
        }
    };
    view! {
        <section class="card" data-testid="histograms">
            <h2>"Inside the network"</h2>
            <p class="muted">"Activations of the last training batch, and the weights now. Dead ReLUs output 0 for every image; saturated sigmoid/tanh units sit on the flat ends. Under each activation histogram, its history: one column per snapshot, darker where more values fall, the red line the share of dead (or saturated) units."</p>
            <div class="hist-grid">
                {move || layout.get().into_iter().map(card).collect_view()}
            </div>
        </section>
    }
}

/// The first layer's filters, with a scrubber over the snapshots taken so far.
#[component]
pub fn FilterView() -> impl IntoView {
    let state = expect_context::<TrainState>();
    // None follows the latest snapshot.
    let chosen = RwSignal::new(None::<usize>);
    let draw = move |c: &web_sys::HtmlCanvasElement| {
        state.filter_history.with(|history| {
            let at = chosen.get().unwrap_or(history.len().saturating_sub(1));
            let Some((_, f)) = history.get(at) else {
                return Ok(());
            };
            let size = f.height * f.width;
            let tiles: Vec<Tile> = f
                .values
                .chunks(size.max(1))
                .take(f.count)
                .map(|v| Tile {
                    values: v,
                    caption: None,
                })
                .collect();
            let scale = (64 / f.height.max(1)).clamp(2, 12);
            draw_tiles(c, &tiles, f.height, f.width, scale, 16, Tone::Signed)
        })
    };
    let count = move || state.filter_history.with(|h| h.len());
    view! {
        <section class="card" data-testid="filters">
            <h2>"First-layer filters"</h2>
            <p class="muted">"What the first layer looks for: light weights respond to ink, dark ones to its absence."</p>
            <Chart testid="filter-grid" width=0 height=0 pixelated=true draw=draw/>
            <div class="controls">
                <input type="range" min="0" data-testid="filter-scrubber" title="Replay how the filters evolved"
                    prop:max=move || count().saturating_sub(1)
                    prop:value=move || chosen.get().unwrap_or(count().saturating_sub(1))
                    on:input=move |e| {
                        let v: usize = event_target_value(&e).parse().unwrap_or(0);
                        chosen.set((v + 1 < count()).then_some(v));
                    }/>
                <span class="muted">{move || state.filter_history.with(|h| {
                    let at = chosen.get().unwrap_or(h.len().saturating_sub(1));
                    h.steps.get(at).map(|step| format!("after batch {} ({} of {})", step[0], at + 1, h.len()))
                })}</span>
            </div>
        </section>
    }
}

/// Confusion matrix, per-class accuracy and the most confidently wrong validation images.
#[component]
pub fn Evaluation() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let gallery = move |c: &web_sys::HtmlCanvasElement| {
        let report = state.validation.get();
        let look = datasets
            .summary
            .with(|s| s.as_ref().map(|s| Look::of(Some(s))));
        let names = datasets
            .summary
            .with(|s| s.as_ref().map(|s| s.class_names.clone()));
        let (Some(r), Some(look), Some(names)) = (report, look, names) else {
            return Ok(());
        };
        let name = |c: u8| {
            let n = names
                .get(c as usize)
                .cloned()
                .unwrap_or_else(|| c.to_string());
            n.chars().take(6).collect::<String>()
        };
        let tiles: Vec<(&[u8], Option<String>)> = r
            .worst
            .iter()
            .map(|w| {
                let caption = format!(
                    "{}→{} {:.0}%",
                    name(w.label),
                    name(w.predicted),
                    100.0 * w.confidence
                );
                (&w.pixels[..], Some(caption))
            })
            .collect();
        draw_stored(c, &tiles, look, 2, 8)
    };
    view! {
        <section class="card" data-testid="evaluation">
            <h2>"Validation: where it goes wrong"</h2>
            {move || state.validation.get().map(|r| {
                let top = r.confusion.iter().flatten().copied().max().unwrap_or(1).max(1) as f32;
                let names = datasets.summary.with(|s| s.as_ref().map(|s| s.class_names.clone()).unwrap_or_default());
                let name = |i: usize| names.get(i).cloned().unwrap_or_else(|| i.to_string());
                let short = |i: usize| name(i).chars().take(10).collect::<String>();
                view! {
                    <p data-testid="validation-accuracy">{format!("{:.2}% of {} validation images right", 100.0 * r.accuracy, r.count)}</p>
                    <table class="confusion" data-testid="confusion-matrix">
                        <tr><th title="true class ↓, predicted class →">"true \\ predicted"</th>
                            {(0..r.confusion.len()).map(|j| view! { <th title=name(j)>{j}</th> }).collect_view()}
                            <th>"accuracy"</th></tr>
                        {r.confusion.iter().enumerate().map(|(i, row)| view! {
                            <tr><th title=name(i)>{if name(i) == i.to_string() { i.to_string() } else { format!("{i} {}", short(i)) }}</th>
                                {row.iter().enumerate().map(|(j, &n)| {
                                    let shade = (n as f32 / top).sqrt();
                                    let color = if i == j { format!("rgba(47,111,222,{shade:.2})") } else { format!("rgba(200,40,40,{shade:.2})") };
                                    view! { <td style=format!("background:{color}")>{n}</td> }
                                }).collect_view()}
                                <td data-testid=format!("class-accuracy-{i}")>{format!("{:.1}%", 100.0 * r.per_class_accuracy.get(i).copied().unwrap_or(0.0))}</td>
                            </tr>
                        }).collect_view()}
                    </table>
                    <h3>"Most confidently wrong (true → predicted, confidence)"</h3>
                }
            })}
            <Chart testid="wrong-gallery" width=0 height=0 pixelated=true draw=gallery/>
        </section>
    }
}

/// The coach's reading of the run so far.
#[component]
pub fn Coach() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let advice = Memo::new(move |_| {
        let finished = state.finished.get().map(|(r, _)| r);
        let optimizer = state.config.with(|c| c.optimizer);
        state.steps.with(|steps| {
            state.epochs.with(|epochs| {
                state.snapshot.with(|snapshot| {
                    crate::train::coach::advise(
                        &optimizer,
                        steps.as_flat(),
                        epochs,
                        snapshot.as_ref(),
                        finished.as_ref(),
                    )
                })
            })
        })
    });
    view! {
        <section class="card" data-testid="coach">
            <h2>"Coach"</h2>
            {move || {
                let advice = advice.get();
                if advice.is_empty() {
                    let has_run = state.steps.with(|s| s.pushed() > 0);
                    view! { <p class="muted" data-testid="coach-none">{if has_run {
                        "Nothing worrying in the curves so far."
                    } else {
                        "Train a model and the coach will read its curves here."
                    }}</p> }.into_any()
                } else {
                    view! { <ul class="coach">{advice.into_iter().map(|a| view! {
                        <li data-testid=format!("coach-{:?}", a.finding)>{a.message}</li>
                    }).collect_view()}</ul> }.into_any()
                }
            }}
        </section>
    }
}
