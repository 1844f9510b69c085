//! Lesson: transfer learning, MNIST's convolution layers reused on Fashion-MNIST.

use leptos::prelude::*;

use super::lab_view::LabView;
use crate::lessons::lab::{LabKind, LabRun};
use crate::lessons::transfer::{transfer_runs, SOURCE_EPOCHS, SOURCE_IMAGES};

fn runs(images: usize, epochs: usize) -> Vec<LabRun> {
    transfer_runs(images, epochs, 1)
}

#[component]
pub fn TransferLesson() -> impl IntoView {
    view! {
        <section class="card lesson" data-testid="lesson-transfer">
            <h2>"Lesson: transfer learning"</h2>
            <p>{format!("A network's first layers learn general things (edges, strokes, blobs); its last layer learns the classes. So a network trained on one dataset can lend its early layers to another. Here the default CNN first learns MNIST digits ({SOURCE_IMAGES} images, {SOURCE_EPOCHS} epochs). Then, on a small budget of Fashion-MNIST clothes: its conv layers frozen and only the last layer retrained; all of its weights as a starting point; and the same network from scratch. Does it help? It depends on how alike the two datasets are and how little data there is: pen strokes are not fabric. Change the number of images and see.")}</p>
            <LabView kind=LabKind::Transfer make_runs=runs images=300 epochs=3/>
        </section>
    }
}
