//! Lesson: is backprop right? The gradient check on the trainer's own model.

use leptos::prelude::*;

use crate::app::bridge;
use crate::app::state::TrainState;
use crate::worker::protocol::{Request, RunMode};

/// Training images the check runs on.
const IMAGES: usize = 4;

/// What a tensor's relative difference says. In f32, with h = 0.001, rounding alone makes
/// differences around 1e-3 where gradients are small, and a kink inside ±h adds to that; a
/// wrong gradient is off by tens of percent.
fn verdict(norm_rel_error: f64) -> &'static str {
    if norm_rel_error < 1e-3 {
        "agree"
    } else if norm_rel_error < 5e-2 {
        "agree, up to f32 rounding and kinks"
    } else {
        "disagree: a wrong gradient?"
    }
}

#[component]
pub fn GradientCheckLesson() -> impl IntoView {
    let train = expect_context::<TrainState>();
    let run = move |_| {
        train.gradcheck.set(None);
        bridge::send(&Request::GradCheck { images: IMAGES }, &[]);
    };
    view! {
        <section class="card lesson" data-testid="lesson-gradient-check">
            <h2>"Lesson: is backprop right? The gradient check"</h2>
            <p>"Backpropagation computes every weight's gradient in one backward pass. There is a slow way to get the same number: nudge one weight up by a tiny h, then down by h, and see how much the loss changes, (loss(w + h) − loss(w − h)) / 2h. If the two agree for every kind of layer, backprop is right. Here the check runs on the model in the trainer (on a copy, so training is not disturbed), on "{IMAGES}" training images, for a sample of the weights of every layer. Where a ReLU or a max pool switches within ±h the slow way is the one that is off: that is a kink, not a bug."</p>
            <div class="controls">
                <button data-testid="gradcheck-run" disabled=move || train.mode.get() == RunMode::Idle on:click=run
                    title="Compare backprop with numeric gradients on the trainer's current model">"Check the trainer's model"</button>
                <span class="muted">{move || (train.mode.get() == RunMode::Idle).then_some("Train (or Step), or open a model in the trainer first.")}</span>
            </div>
            {move || train.gradcheck.get().map(|report| view! {
                <p data-testid="gradcheck-summary">{format!(
                    "{} tensors checked; the largest relative difference over a whole tensor is {:.1e}.",
                    report.tensors.len(),
                    report.tensors.iter().map(|t| t.norm_rel_error).fold(0.0, f64::max))}</p>
                <table class="epochs" data-testid="gradcheck-table">
                    <tr><th>"parameters"</th><th>"weights checked"</th>
                        <th title="‖backprop − numeric‖ / (‖backprop‖ + ‖numeric‖)">"relative difference"</th>
                        <th title="The single weight where they differ most">"largest, one weight"</th>
                        <th>"examples: backprop vs numeric"</th><th>"verdict"</th></tr>
                    {report.tensors.into_iter().map(|t| view! {
                        <tr><td>{t.name}</td><td>{t.checked}</td><td>{format!("{:.1e}", t.norm_rel_error)}</td>
                            <td>{format!("{:.1e}", t.max_rel_error)}</td>
                            <td class="step">{t.examples.iter().take(3).map(|(a, n)| format!("{a:.5} vs {n:.5}")).collect::<Vec<_>>().join(", ")}</td>
                            <td>{verdict(t.norm_rel_error)}</td></tr>
                    }).collect_view()}
                </table>
            })}
        </section>
    }
}
