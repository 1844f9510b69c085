//! Lesson: how the weights are updated. The optimizer race, and batch size.

use leptos::prelude::*;

use super::lab_view::LabView;
use crate::lessons::batch_size::batch_runs;
use crate::lessons::lab::{LabKind, LabRun};
use crate::lessons::optimizers::{race_config, race_runs};

fn race(images: usize, epochs: usize) -> Vec<LabRun> {
    race_runs(&race_config(images, epochs, 1))
}

fn batches(images: usize, epochs: usize) -> Vec<LabRun> {
    batch_runs(images, epochs, 1)
}

#[component]
pub fn OptimizersLesson() -> impl IntoView {
    view! {
        <section class="card lesson" data-testid="lesson-optimizers">
            <h2>"Lesson: the optimizer race"</h2>
            <p>"Every optimizer follows the gradient downhill; they differ in how they use it. SGD takes a step of fixed size. Momentum and Nesterov keep a running direction, like a ball rolling, and speed up on long slopes. AdaGrad, RMSProp and AdaDelta give each weight its own step size from the size of its past gradients. Adam does both. Here each one trains the same network from the same initial weights, at the learning rate it is usually given."</p>
            <LabView kind=LabKind::Optimizers make_runs=race images=2000 epochs=3/>
        </section>
        <section class="card lesson" data-testid="lesson-batch-size">
            <h2>"Lesson: batch size"</h2>
            <p>"The gradient of one image is a noisy guess of the gradient of all of them. A batch of 1 makes many cheap, noisy updates per epoch (a jagged loss curve); the whole training set at once makes one exact but expensive update per epoch (a smooth curve that moves slowly). A batch of 32 is in between, and fast on hardware that works on many images at once. Same network, same plain SGD, same learning rate: only the batch size changes."</p>
            <LabView kind=LabKind::BatchSize make_runs=batches images=500 epochs=5/>
        </section>
    }
}
