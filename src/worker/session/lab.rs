//! A lesson's lab: its runs trained one after the other on the CPU, as a task of its own
//! beside the session's pump, so the learner can train, predict or stop while it runs.

use std::sync::Arc;

use super::outbox::yield_if_due;
use crate::clock::now_ms;
use crate::data::{Builtin, Dataset};
use crate::lessons::lab::{report, trainer_for, LabKind, LabRun, Recorder};
use crate::worker::protocol::Event;

/// Starts the lab's task; a failure is reported as `LabFailed`.
pub(super) fn spawn(
    dataset: Option<Arc<Dataset>>,
    kind: LabKind,
    runs: Vec<LabRun>,
    first: usize,
    post: fn(&Event),
) {
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(message) = lab(dataset, kind, runs, first, post).await {
            post(&Event::LabFailed { kind, message });
        }
    });
}

/// Trains the runs, reporting each epoch and each finished run. Yields to the event loop as
/// the pump does, so the pump's own work (and so the page's requests) goes on between the
/// lab's steps.
async fn lab(
    loaded: Option<Arc<Dataset>>,
    kind: LabKind,
    runs: Vec<LabRun>,
    first: usize,
    post: fn(&Event),
) -> Result<(), String> {
    // Built-in datasets a run asks for (transfer learning), loaded once per lab.
    let mut builtins: Vec<(Builtin, Arc<Dataset>)> = Vec::new();
    // The final weights of the runs a later run starts from (empty for the others).
    let start_points: Vec<usize> = runs.iter().filter_map(|r| r.start_from).collect();
    let mut finished = Vec::new();
    for (k, run) in runs.into_iter().enumerate() {
        let index = first + k;
        let dataset = match run.dataset {
            None => loaded.clone().ok_or("load a dataset first")?,
            Some(b) => match builtins.iter().find(|(have, _)| *have == b) {
                Some((_, d)) => d.clone(),
                None => {
                    let (d, _) = crate::worker::runtime::load_builtin(b).await?;
                    builtins.push((b, Arc::new(d)));
                    builtins[builtins.len() - 1].1.clone()
                }
            },
        };
        let failed = |e: crate::Error| format!("{}: {e}", run.name);
        let mut t = trainer_for(&run, dataset, &finished).map_err(failed)?;
        let mut recorder = Recorder::default();
        let mut epochs = 0;
        let mut last_yield = now_ms();
        while !t.is_finished() {
            let events = t.step().await.map_err(failed)?;
            recorder.after_step(&t, &events).await.map_err(failed)?;
            if t.history.len() > epochs {
                epochs = t.history.len();
                post(&Event::LabProgress {
                    kind,
                    index,
                    name: run.name.clone(),
                    history: t.history.clone(),
                    losses: recorder.curve(),
                });
            }
            yield_if_due(&mut last_yield).await;
        }
        let report = report(&run.name, &mut t, &recorder).await.map_err(failed)?;
        finished.push(if start_points.contains(&k) {
            t.host_weights().await.map_err(|e| e.to_string())?
        } else {
            Vec::new()
        });
        post(&Event::LabRun {
            kind,
            index,
            report,
        });
    }
    Ok(())
}
