//! Everything that is not on the first screen, one tab each, opened in place under the
//! picture while the curves stay in view. Every panel stays mounted (its charts keep
//! following the run); only the chosen one is shown.

use leptos::prelude::*;

use super::config_panel::{
    AugmentationSettings, DataSettings, OptimizerSettings, RegularisationSettings,
};
use super::dataset_panel::DatasetDetails;
use super::draw_pad::DrawPad;
use super::snapshots::SnapshotPanel;
use super::test_gallery::TestGallery;
use super::train_panel::ModelFiles;
use super::watch::{Coach, CurveDetails, Evaluation, FilterView, Histograms};

/// The tab shown under the picture, by key; shared so that other views can open one (the
/// picture's "draw" button opens the drawing pad).
#[derive(Debug, Clone, Copy)]
pub struct ActiveTab(pub RwSignal<&'static str>);

/// Key, label and tooltip of each tab, in order.
const TABS: [(&str, &str, &str); 11] = [
    ("optimizer", "Optimizer", "The optimizer, learning rate and schedule, batch size and epochs"),
    ("regularisation", "Regularisation", "Label smoothing, early stopping, gradient clipping, weight averaging and the seed"),
    ("augmentation", "Augmentation", "Random changes to the training images, with a preview"),
    ("data", "Data", "The validation split, the training subset, scaling, and what is in the dataset"),
    ("curves", "More curves", "The loss terms, the learning rate used and a table of the epochs"),
    ("inside", "Inside", "Histograms of every layer's activations and weights, and the first layer's filters over time"),
    ("errors", "Errors", "The confusion matrix and the most confidently wrong validation images"),
    ("gallery", "Test images", "The model's answers on test images; click one to see it flow through the network"),
    ("draw", "Draw", "Draw a digit and see the model's answer and every layer's response"),
    ("files", "Model files", "Download, export, open and fine-tune models; snapshots kept in this browser"),
    ("coach", "Coach", "Advice read from the curves of the run"),
];

#[component]
pub fn Tabs() -> impl IntoView {
    let tab = expect_context::<ActiveTab>().0;
    let panel = move |key: &'static str| move || tab.get() != key;
    view! {
        <nav class="tab-strip" role="tablist">
            {TABS.iter().map(|&(key, label, tip)| view! {
                <button class="tab-button" role="tab" data-testid=format!("tab-{key}") title=tip
                    class:active=move || tab.get() == key
                    on:click=move |_| tab.set(key)>{label}</button>
            }).collect_view()}
        </nav>
        <div class="tab-panels">
            <div class="tab-panel" data-tab="optimizer" hidden=panel("optimizer")><OptimizerSettings/></div>
            <div class="tab-panel" data-tab="regularisation" hidden=panel("regularisation")><RegularisationSettings/></div>
            <div class="tab-panel" data-tab="augmentation" hidden=panel("augmentation")><AugmentationSettings/></div>
            <div class="tab-panel two" data-tab="data" hidden=panel("data")><DataSettings/><DatasetDetails/><super::webcam::Webcam/></div>
            <div class="tab-panel" data-tab="curves" hidden=panel("curves")><CurveDetails/></div>
            <div class="tab-panel two" data-tab="inside" hidden=panel("inside")><FilterView/><Histograms/></div>
            <div class="tab-panel" data-tab="errors" hidden=panel("errors")><Evaluation/></div>
            <div class="tab-panel" data-tab="gallery" hidden=panel("gallery")><TestGallery/></div>
            <div class="tab-panel" data-tab="draw" hidden=panel("draw")><DrawPad/></div>
            <div class="tab-panel two" data-tab="files" hidden=panel("files")><ModelFiles/><SnapshotPanel/></div>
            <div class="tab-panel" data-tab="coach" hidden=panel("coach")><Coach/></div>
        </div>
    }
}
