//! Lesson: the regularisation lab. The same over-sized network on a few hundred images with
//! no regularisation and with each regulariser, from the same seed.

use leptos::prelude::*;

use super::lab_view::LabView;
use crate::lessons::lab::{LabKind, LabRun};
use crate::lessons::regularisation::{overfitting_config, runs};

fn lab_runs(images: usize, epochs: usize) -> Vec<LabRun> {
    runs(&overfitting_config(images, epochs, 1))
}

#[component]
pub fn RegularisationLesson() -> impl IntoView {
    view! {
        <section class="card lesson" data-testid="lesson-regularisation">
            <h2>"Lesson: regularisation, run side by side"</h2>
            <p>"A network with 200 000 weights and only a few hundred training images can memorise every one of them: training accuracy reaches 100% while accuracy on images it has not seen stays far lower. That gap is overfitting. Each regulariser below fights it in its own way. All runs start from the same weights and see the images in the same order; only the regulariser differs."</p>
            <LabView kind=LabKind::Regularisation make_runs=lab_runs images=500 epochs=30 weights=true/>
        </section>
    }
}
