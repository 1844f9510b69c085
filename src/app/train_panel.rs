//! Train, Pause, Resume, Step, Stop, Reset; progress of the epoch and the run, speed, time
//! left, the device in use (the top bar), anything the worker had to tell the learner (the
//! strip under it), and the model as a file (a tab).

use leptos::ev;
use leptos::leptos_dom::helpers::window_event_listener;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::bridge;
use super::state::{DatasetState, TrainState};
use crate::train::FinishReason;
use crate::worker::protocol::{Backend, Request, RunMode};

/// Whether this browser offers WebGPU at all (`navigator.gpu`). Checked by the page, which
/// then asks the worker for the CPU: Firefox and Safari without WebGPU have no `gpu` in any
/// of their navigators.
fn has_webgpu() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"gpu".into()))
        .is_ok_and(|gpu| !gpu.is_undefined() && !gpu.is_null())
}

fn mmss(seconds: f32) -> String {
    let s = seconds.max(0.0).round() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Why Train cannot start now, in words; None when it can.
pub fn why_not(state: TrainState, datasets: DatasetState) -> Option<String> {
    if datasets.summary.with(|s| s.is_none()) {
        Some("Load a dataset first.".to_string())
    } else if datasets.loading.get() {
        Some("Wait for the dataset to finish loading.".to_string())
    } else {
        state.config.with(|c| {
            c.model
                .infer()
                .err()
                .or_else(|| c.validate().err())
                .or_else(|| {
                    let images = datasets
                        .summary
                        .with(|s| s.as_ref().map_or(0, |s| s.train_count));
                    c.check_data(images).err()
                })
                .or_else(|| {
                    crate::train::budget::Budget::here()
                        .check(c, datasets.data_bytes())
                        .err()
                })
                .map(|e| format!("Cannot train yet: {e}"))
        })
    }
}

/// The run's controls for the top bar: Train, Pause, Resume, Step, Stop, Reset (also on the
/// keyboard: Space, S, R), the status, progress, speed, time left and the device.
#[component]
pub fn RunControls() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let fine_tune = expect_context::<FineTune>().0;
    let mode = move || state.mode.get();
    let why_not = move || why_not(state, datasets);
    let can_start = move || why_not().is_none() && mode() != RunMode::Running;
    let request = move |step: bool| {
        let config = state.config.get_untracked();
        // A browser without WebGPU trains on the CPU whatever the choice (said on the page).
        let backend = if has_webgpu() {
            state.backend.get_untracked()
        } else {
            crate::worker::protocol::Backend::Cpu
        };
        let snapshot_every = state.snapshot_every.get_untracked();
        state.error.set(None);
        if step {
            bridge::send(
                &Request::Step {
                    config,
                    backend,
                    snapshot_every,
                },
                &[],
            );
        } else {
            // The old run's figures go now, so nothing on screen mixes two runs.
            state.clear_run();
            let from_current =
                fine_tune.get_untracked() && state.mode.get_untracked() != RunMode::Idle;
            state.mode.set(RunMode::Running);
            bridge::send(
                &Request::Train {
                    config,
                    backend,
                    snapshot_every,
                    from_current,
                },
                &[],
            );
        }
    };

    let last = move || state.steps.with(|s| s.latest().map(|m| m[0].clone()));
    // Wall-clock over the epoch's completed steps, as the trainer measures it.
    let speed = move || last().map(|m| m.samples_per_s);
    let run_fraction = move || {
        let (Some(plan), Some(m)) = (state.plan.get(), last()) else {
            return 0.0;
        };
        if matches!(mode(), RunMode::Finished)
            && state
                .finished
                .with(|f| matches!(f, Some((FinishReason::Completed, _))))
        {
            return 1.0;
        }
        ((m.epoch - 1) as f32 + m.epoch_progress) / plan.epochs.max(1) as f32
    };
    let remaining = move || {
        let plan = state.plan.get()?;
        let speed = speed()?;
        let left = (1.0 - run_fraction()) * (plan.epochs * plan.train_images) as f32;
        (mode() == RunMode::Running).then(|| mmss(left / speed.max(1e-3)))
    };

    let status = move || match mode() {
        RunMode::Idle => "idle".to_string(),
        RunMode::Running => "training…".to_string(),
        RunMode::Paused => "paused".to_string(),
        RunMode::Finished => match state.finished.get() {
            Some((FinishReason::Completed, _)) => "finished".to_string(),
            Some((FinishReason::Stopped, _)) => "stopped".to_string(),
            Some((FinishReason::EarlyStopped { best_epoch, .. }, _)) => {
                format!("stopped early; kept epoch {best_epoch}")
            }
            Some((FinishReason::Diverged { .. }, _)) => "diverged".to_string(),
            None => "finished".to_string(),
        },
    };
    let reset = move || {
        bridge::send(&Request::Reset, &[]);
        state.clear_run();
    };
    // Space trains, pauses and resumes; S steps; R resets (not while typing in a field).
    let keys = window_event_listener(ev::keydown, move |e| {
        let typing = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|t| {
                matches!(
                    t.tag_name().as_str(),
                    "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON"
                )
            });
        if typing || e.ctrl_key() || e.meta_key() || e.alt_key() {
            return;
        }
        match (e.key().as_str(), state.mode.get_untracked()) {
            (" ", RunMode::Running) => bridge::send(&Request::Pause, &[]),
            (" ", RunMode::Paused) => bridge::send(&Request::Resume, &[]),
            (" ", _) if can_start() => request(false),
            ("s" | "S", _) if can_start() => request(true),
            ("r" | "R", m) if m != RunMode::Running => reset(),
            _ => return,
        }
        e.prevent_default();
    });
    on_cleanup(move || keys.remove());

    view! {
        <div class="run-controls" data-testid="train-panel">
            <button class="primary" data-testid="train" title="Build the network from the settings (fresh weights from the seed) and train it. Key: Space"
                disabled=move || !can_start() on:click=move |_| request(false)>"▶ Train"</button>
            <button data-testid="pause" title="Pause after the current batch. Key: Space"
                disabled=move || mode() != RunMode::Running on:click=move |_| bridge::send(&Request::Pause, &[])>"❚❚ Pause"</button>
            <button data-testid="resume" title="Continue where it paused. Key: Space"
                disabled=move || mode() != RunMode::Paused on:click=move |_| bridge::send(&Request::Resume, &[])>"▶ Resume"</button>
            <button data-testid="step" title="Train on exactly one batch, then pause: watch a single update. Key: S"
                disabled=move || !can_start() on:click=move |_| request(true)>"▶❙ Step"</button>
            <button data-testid="stop" title="End the run; the model stays for inspection and predictions"
                disabled=move || !matches!(mode(), RunMode::Running | RunMode::Paused)
                on:click=move |_| bridge::send(&Request::Stop, &[])>"■ Stop"</button>
            <button data-testid="reset" title="Forget the trained weights; the next run starts from fresh ones. Key: R"
                disabled=move || mode() == RunMode::Running on:click=move |_| reset()>"↺ Reset"</button>
            <span class="status" data-testid="run-status" title="What the trainer is doing">{status}</span>
            <span class="progress-item" title="Progress through the current epoch">
                "epoch "
                <span data-testid="epoch-label">{move || match (last(), state.plan.get()) {
                    (Some(m), Some(p)) => format!("{} of {}", m.epoch, p.epochs),
                    _ => "—".into(),
                }}</span>
                <progress data-testid="epoch-progress" max="1" value=move || last().map_or(0.0, |m| m.epoch_progress)></progress>
            </span>
            <span class="progress-item" title="Progress through the whole run">
                "run "
                <progress data-testid="run-progress" max="1" value=run_fraction></progress>
            </span>
            <span data-testid="speed" title="Training images per second, from wall-clock time over the epoch's completed steps">
                {move || speed().map(|s| format!("{s:.0} samples/s"))}
            </span>
            <span data-testid="time-left" title="Time the rest of the run will take at this speed">{move || remaining().map(|r| format!("{r} left"))}</span>
            <BackendChoice/>
            <super::threads::ThreadsChoice/>
            <span class="muted" data-testid="device" title="Where the network is trained">{move || state.device.get().map(|d| format!("Training on {d}"))}</span>
        </div>
    }
}

/// The backend to train on: Auto, WebGPU or the CPU.
#[component]
fn BackendChoice() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let busy = move || matches!(state.mode.get(), RunMode::Running);
    view! {
        <label class="field" title="Where to train: Auto uses WebGPU when this browser has it, else the CPU (wasm SIMD).">"backend"
            <select data-testid="cfg-backend" disabled=busy on:change=move |e| {
                let b = match event_target_value(&e).as_str() {
                    "webgpu" => Backend::WebGpu,
                    "cpu" => Backend::Cpu,
                    _ => Backend::Auto,
                };
                state.backend.set(b);
            }>
                {[("auto", "Auto", Backend::Auto), ("webgpu", "WebGPU", Backend::WebGpu), ("cpu", "CPU", Backend::Cpu)]
                    .into_iter().map(|(v, label, b)| view! {
                        <option value=v selected=move || state.backend.get() == b>{label}</option>
                    }).collect_view()}
            </select>
        </label>
    }
}

/// What the run has to tell the learner, in one strip under the controls: why Train is
/// disabled, notices, errors, the test result.
#[component]
pub fn RunMessages() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let datasets = expect_context::<DatasetState>();
    let why_not = move || why_not(state, datasets);
    view! {
        <div class="messages">
            {(!has_webgpu()).then(|| view! {
                <p class="notice" data-testid="no-webgpu">
                    "This browser has no WebGPU (navigator.gpu is missing), so training runs on the CPU."
                </p>
            })}
            {(!super::threads::isolated()).then(|| view! {
                <p class="muted" data-testid="threads-reason">{super::threads::NOT_ISOLATED}</p>
            })}
            {move || why_not().map(|w| view! { <p class="muted" data-testid="train-blocked">{w}</p> })}
            {move || state.backend_reason.get().map(|r| view! { <p class="muted" data-testid="backend-reason">{r}</p> })}
            {move || state.notice.get().map(|n| view! { <p class="notice" data-testid="notice">{n}</p> })}
            {move || state.error.get().map(|e| view! { <p class="error" data-testid="train-error">{e}</p> })}
            {move || match state.finished.get() {
                Some((FinishReason::Diverged { advice, .. }, _)) => Some(view! { <p class="error" data-testid="diverged">{advice}</p> }.into_any()),
                Some((_, Some(test))) => Some(view! {
                    <p data-testid="test-result">{format!("Test set: {:.2}% accuracy on {} images never seen in training (loss {:.4}).",
                        100.0 * test.accuracy, test.count, test.loss)}</p>
                }.into_any()),
                _ => None,
            }}
        </div>
    }
}

/// Whether the next Train starts from the current weights (fine-tuning), shared by the
/// model-files tab (where it is set) and the run controls (which read it).
#[derive(Debug, Clone, Copy)]
pub struct FineTune(pub RwSignal<bool>);

/// The model as a file: fine-tune from it, download it, export ONNX or code, open one.
#[component]
pub fn ModelFiles() -> impl IntoView {
    let state = expect_context::<TrainState>();
    let fine_tune = expect_context::<FineTune>().0;
    let mode = move || state.mode.get();
    view! {
        <section class="card" data-testid="model-files">
            <h2>"The model as a file"</h2>
            <div class="controls">
                <label class="field" title="Train starts from the current model's weights instead of fresh ones: fine-tuning (freeze layers on the picture to keep them as they are)">
                    <input type="checkbox" data-testid="fine-tune" disabled=move || mode() == RunMode::Idle
                        prop:checked=move || fine_tune.get()
                        on:change=move |e| fine_tune.set(event_target_checked(&e))/>
                    "from current weights"
                </label>
                <button data-testid="save-model" title="Download the model as a .safetensors file others can open"
                    disabled=move || matches!(mode(), RunMode::Idle | RunMode::Running)
                    on:click=move |_| bridge::send(&Request::SaveModel, &[])>"Download model"</button>
                <button data-testid="export-onnx" title="Download the model's inference graph as ONNX, for onnxruntime, Netron and other tools"
                    disabled=move || matches!(mode(), RunMode::Idle | RunMode::Running)
                    on:click=move |_| bridge::send(&Request::ExportOnnx, &[])>"Export ONNX"</button>
                <button data-testid="export-code" title="Download a zip with the model as Keras and PyTorch code that loads these weights and trains on (one machine or many), the weights and a README with the commands"
                    disabled=move || matches!(mode(), RunMode::Idle | RunMode::Running)
                    on:click=move |_| bridge::send(&Request::ExportCode, &[])>"Export as code"</button>
                <label class="file-button" title="Open a model file (.safetensors) made by this app; you can also drop it on the page">
                    "Open model…"
                    <input type="file" accept=".safetensors" data-testid="open-model" on:change=move |e| {
                        let input: web_sys::HtmlInputElement = event_target(&e);
                        if let Some(file) = input.files().and_then(|f| f.get(0)) {
                            bridge::open_model(file, state);
                        }
                        input.set_value("");
                    }/>
                </label>
            </div>
        </section>
    }
}
