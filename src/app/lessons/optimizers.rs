//! Lessons on how training starts and moves: the optimizer race, batch size and
//! initialisation.

use leptos::prelude::*;

use super::gradient_check::GradientCheckLesson;
use super::lab_view::LabView;
use crate::lessons::batch_size::batch_runs;
use crate::lessons::initialisation::init_runs;
use crate::lessons::lab::{LabKind, LabRun};
use crate::lessons::lr_search::{coarse_runs, fine_runs};
use crate::lessons::optimizers::{race_config, race_runs};

fn race(images: usize, epochs: usize) -> Vec<LabRun> {
    race_runs(&race_config(images, epochs, 1))
}

fn batches(images: usize, epochs: usize) -> Vec<LabRun> {
    batch_runs(images, epochs, 1)
}

fn coarse(images: usize, epochs: usize) -> Vec<LabRun> {
    coarse_runs(images, epochs, 1)
}

fn fine(best: f32, images: usize, epochs: usize) -> Vec<LabRun> {
    fine_runs(best, images, epochs, 1)
}

fn initialisations(images: usize, epochs: usize) -> Vec<LabRun> {
    init_runs(images, epochs, 1)
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
        <section class="card lesson" data-testid="lesson-initialisation">
            <h2>"Lesson: where the weights start"</h2>
            <p>"A deep network of four tanh layers, started five ways. All zeros: every unit computes the same thing, gets the same gradient and stays a copy of the others, so the network never learns more than the class frequencies. Too small: each layer shrinks its input and the signal fades to nothing by the last layer. Too large: the units are pushed onto tanh's flat ends (saturated), where the gradient is almost 0. Xavier/Glorot and He scale the random weights to the number of inputs, so the signal keeps its size through every layer. Look at the histograms of the first batch."</p>
            <LabView kind=LabKind::Initialisation make_runs=initialisations images=1000 epochs=3 activations=true/>
        </section>
        <section class="card lesson" data-testid="lesson-lr-search">
            <h2>"Lesson: finding a learning rate"</h2>
            <p>"The learning rate is the knob that matters most, and good values differ by powers of ten from one network to the next. So search on a log scale: a few short runs at rates drawn at random between 0.0001 and 1 (too small and nothing moves; too large and the loss explodes), then a second round close to the best one. Same network, same start, only the rate changes."</p>
            <LabView kind=LabKind::LrSearch make_runs=coarse refine=fine images=1000 epochs=1/>
        </section>
        <GradientCheckLesson/>
    }
}
