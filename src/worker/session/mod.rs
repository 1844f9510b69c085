//! The training session inside the worker: one dataset, one model, one loop, driven by the
//! page's requests. The session owns its state. The worker's message handler only puts
//! [`Command`]s in the [`Inbox`]; a single task (the pump) owns the session while there is
//! work: it handles queued commands first, then trains one batch at a time while running,
//! yielding to the worker's event loop so that a Pause or Stop is seen within one batch, and
//! leaves the session in the inbox when it stops. Events go to the page at a bounded rate.
//! A lesson's lab builds its own trainers and runs as a task of its own beside the pump
//! (`lab`), so the learner can train, predict or stop while a lab is running.
//!
//! The parts: this file (the inbox, the pump, the run's commands), `setup` (the one path
//! that builds a model), `answers` (what is asked of the current model), `lab` and
//! `outbox` (batched posting and yielding).

mod answers;
mod auto;
mod lab;
mod outbox;
mod setup;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::Arc;

use answers::SaveAs;
use outbox::{yield_if_due, Outbox};
use setup::Origin;

use super::protocol::{Backend, Event, Request, RunMode};
use crate::backend::webgpu::GpuContext;
use crate::clock::now_ms;
use crate::data::Dataset;
use crate::tensor::Device;
use crate::train::{TrainConfig, TrainEvent, Trainer};

/// A model snapshot (histograms, filters) is taken at most this often.
const SNAPSHOT_EVERY_MS: f64 = 1000.0;

/// What the session is asked to do, in the order it was asked.
pub enum Command {
    /// A request from the page, with the buffers its message carried. The runtime answers
    /// loading and the crash hook itself; everything else comes here as it arrived.
    Page(Request, Vec<Vec<u8>>),
    /// A dataset that loaded completely: the current one from now on.
    UseDataset(Arc<Dataset>),
}

/// The session's mailbox: commands wait here for the pump, and the session waits here for
/// the next command when the pump has nothing left to do.
#[derive(Clone)]
pub struct Inbox(Rc<RefCell<Mailbox>>);

struct Mailbox {
    queue: VecDeque<Command>,
    /// The session, while no pump owns it.
    idle: Option<Session>,
}

impl Inbox {
    pub fn new(post: fn(&Event)) -> Inbox {
        Inbox(Rc::new(RefCell::new(Mailbox {
            queue: VecDeque::new(),
            idle: Some(Session::new(post)),
        })))
    }

    /// Queues a command, and starts the pump if the session is idle.
    pub fn submit(&self, command: Command) {
        let idle = {
            let mut mailbox = self.0.borrow_mut();
            mailbox.queue.push_back(command);
            mailbox.idle.take()
        };
        if let Some(session) = idle {
            wasm_bindgen_futures::spawn_local(session.pump(self.clone()));
        }
    }

    fn next(&self) -> Option<Command> {
        self.0.borrow_mut().queue.pop_front()
    }

    fn park(&self, session: Session) {
        self.0.borrow_mut().idle = Some(session);
    }
}

pub struct Session {
    outbox: Outbox,
    dataset: Option<Arc<Dataset>>,
    trainer: Option<Trainer>,
    mode: RunMode,
    /// The GPU, created once and kept while it works.
    gpu: Option<Arc<GpuContext>>,
    /// Snapshot every this many epochs (0: never).
    snapshot_every: usize,
    /// Auto's measurements, by architecture and batch size.
    measured: auto::Measured,
}

impl Session {
    fn new(post: fn(&Event)) -> Session {
        Session {
            outbox: Outbox::new(post),
            dataset: None,
            trainer: None,
            mode: RunMode::Idle,
            gpu: None,
            snapshot_every: 0,
            measured: auto::Measured::default(),
        }
    }

    /// Runs queued commands, then trains while running; parks the session when there is
    /// nothing left to do.
    async fn pump(mut self, inbox: Inbox) {
        let mut last_yield = now_ms();
        let mut last_snapshot = f64::NEG_INFINITY;
        loop {
            if let Some(command) = inbox.next() {
                self.run(command).await;
                self.outbox.flush();
                continue;
            }
            let Some(trainer) = self.trainer.as_mut() else {
                break;
            };
            if self.mode != RunMode::Running {
                break;
            }
            if now_ms() - last_snapshot >= SNAPSHOT_EVERY_MS {
                trainer.request_snapshot();
                last_snapshot = now_ms();
            }
            let epochs_before = trainer.epochs_done();
            self.train_one().await;
            let every = self.snapshot_every;
            let epochs = self.trainer.as_ref().map_or(0, Trainer::epochs_done);
            if every > 0 && epochs > epochs_before && epochs.is_multiple_of(every) {
                self.outbox.flush();
                self.snapshot().await;
            }
            if self.trainer.as_ref().is_some_and(Trainer::is_finished) {
                self.set_mode(RunMode::Finished);
            }
            self.outbox.post_if_due();
            yield_if_due(&mut last_yield).await;
        }
        self.outbox.flush();
        inbox.park(self);
    }

    async fn run(&mut self, command: Command) {
        let (request, buffers) = match command {
            Command::UseDataset(dataset) => return self.dataset = Some(dataset),
            Command::Page(request, buffers) => (request, buffers),
        };
        match request {
            Request::Train {
                config,
                backend,
                snapshot_every,
                from_current,
            } => {
                self.snapshot_every = snapshot_every;
                self.train(config, backend, false, from_current).await
            }
            Request::Step {
                config,
                backend,
                snapshot_every,
            } => {
                self.snapshot_every = snapshot_every;
                self.train(config, backend, true, false).await
            }
            Request::Pause => self.pause().await,
            Request::Resume => {
                if self.trainer.as_ref().is_some_and(|t| !t.is_finished()) {
                    self.set_mode(RunMode::Running);
                }
            }
            Request::Stop => self.stop().await,
            Request::Reset => {
                self.trainer = None;
                self.set_mode(RunMode::Idle);
            }
            Request::Predict {
                pixels,
                feature_maps,
            } => self.predict(&pixels, feature_maps).await,
            Request::SaveModel => self.save_model(SaveAs::ModelFile).await,
            Request::ExportOnnx => self.save_model(SaveAs::Onnx).await,
            Request::ExportCode => self.save_model(SaveAs::Code).await,
            Request::OpenModel { name } => self.open_model(name, buffers.into_iter().next()).await,
            Request::TestGallery { start, count } => self.test_gallery(start, count).await,
            Request::GradCheck { images } => self.grad_check(images).await,
            Request::Lab { kind, runs, first } => lab::spawn(
                self.dataset.clone(),
                kind,
                runs,
                first,
                self.outbox.poster(),
            ),
            Request::LoseDevice => {
                if let Some(ctx) = &self.gpu {
                    ctx.simulate_loss();
                }
            }
            Request::Memory => {
                let (gpu_buffers, gpu_bytes) =
                    self.gpu.as_ref().map_or((0, 0), |g| g.live_buffers());
                self.outbox.post(&Event::Memory {
                    wasm_bytes: super::wasm_memory_bytes(),
                    heap_bytes: crate::heap::live_bytes() as u64,
                    gpu_buffers,
                    gpu_bytes,
                });
            }
            // The runtime's own: loading runs beside the session, and a crash is at once.
            Request::LoadBuiltin(_)
            | Request::LoadFiles { .. }
            | Request::LoadImages { .. }
            | Request::Crash
            | Request::SetThreads { .. }
            | Request::Bench { .. } => {}
        }
    }

    fn set_mode(&mut self, mode: RunMode) {
        if mode == RunMode::Paused {
            if let Some(t) = self.trainer.as_mut() {
                t.pause();
            }
        }
        self.mode = mode;
        self.outbox.flush();
        self.outbox.post(&Event::Mode(mode));
    }

    /// Train and Step. Step on an unfinished model continues it; otherwise a new model is
    /// set up, from fresh weights or (fine-tuning) from the current model's.
    async fn train(
        &mut self,
        config: TrainConfig,
        backend: Backend,
        one_step: bool,
        from_current: bool,
    ) {
        let continues = one_step && self.trainer.as_ref().is_some_and(|t| !t.is_finished());
        if !continues {
            if let Err(message) = self.new_run(config, backend, from_current).await {
                self.outbox.post(&Event::TrainFailed { message });
                let mode = if self.trainer.is_some() {
                    RunMode::Finished
                } else {
                    RunMode::Idle
                };
                return self.set_mode(mode);
            }
        }
        if one_step {
            if let Some(t) = self.trainer.as_mut() {
                t.request_snapshot();
            }
            self.train_one().await;
            self.sync().await;
        }
        let finished = self.trainer.as_ref().is_some_and(Trainer::is_finished);
        let mode = match (finished, one_step) {
            (true, _) => RunMode::Finished,
            (false, true) => RunMode::Paused,
            (false, false) => RunMode::Running,
        };
        self.set_mode(mode);
    }

    /// Replaces the current model by a new one; when fine-tuning fails, the current model
    /// stays.
    async fn new_run(
        &mut self,
        config: TrainConfig,
        backend: Backend,
        from_current: bool,
    ) -> Result<(), String> {
        let current = if from_current {
            self.trainer.as_mut()
        } else {
            None
        };
        let origin = match current {
            Some(t) => Origin::FineTune(config, t.host_weights().await.map_err(|e| e.to_string())?),
            None => {
                // A fresh model replaces the current one: free it first.
                self.trainer = None;
                Origin::Fresh(config)
            }
        };
        let dataset = self.dataset.clone().ok_or("load a dataset first")?;
        let fine_tuning = matches!(origin, Origin::FineTune(..));
        let trainer = self.set_up(&origin, dataset, backend).await.map_err(|e| {
            if fine_tuning {
                format!(
                    "cannot start from the current weights (was the architecture changed?): {e}"
                )
            } else {
                e.to_string()
            }
        })?;
        self.started(&trainer);
        self.trainer = Some(trainer);
        Ok(())
    }

    async fn pause(&mut self) {
        if self.trainer.is_some() {
            self.sync().await;
            if self.trainer.as_ref().is_some_and(|t| !t.is_finished()) {
                self.set_mode(RunMode::Paused);
            }
        }
    }

    async fn stop(&mut self) {
        if self.trainer.is_some() {
            self.sync().await;
            if let Some(t) = self.trainer.as_mut() {
                self.outbox.push(t.stop());
            }
            self.set_mode(RunMode::Finished);
        }
    }

    /// One batch; a GPU failure hands the run to the CPU (from the last completed epoch).
    async fn train_one(&mut self) {
        if let Some(t) = self.trainer.as_mut() {
            let result = t.step().await;
            self.settle(result);
        }
    }

    /// Reads back figures still on the GPU, so a paused chart is complete.
    async fn sync(&mut self) {
        if let Some(t) = self.trainer.as_mut() {
            let result = t.sync().await;
            self.settle(result);
        }
    }

    /// Takes a step's or a read-back's outcome: its events, or on a GPU failure the move to
    /// the CPU (the page tells the learner through `TrainEvent::BackendChanged`), or the end.
    fn settle(&mut self, result: crate::Result<Vec<TrainEvent>>) {
        let Some(t) = self.trainer.as_mut() else {
            return;
        };
        let failure = match result {
            Ok(events) => return self.outbox.push(events),
            Err(e) if matches!(t.device, Device::WebGpu(_)) => {
                self.gpu = None;
                match t.fall_back(&e.to_string()) {
                    Ok(event) => return self.outbox.push(vec![event]),
                    Err(e) => e,
                }
            }
            Err(e) => e,
        };
        self.outbox.push(t.stop());
        self.outbox.post(&Event::TrainFailed {
            message: failure.to_string(),
        });
        self.set_mode(RunMode::Finished);
    }
}
