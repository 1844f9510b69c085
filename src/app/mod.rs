//! The page: Leptos components that show what the worker reports. Nothing here computes
//! anything heavy; it sends requests to the worker and renders its events.

mod bridge;
mod charts;
mod config_panel;
mod dataset_panel;
mod draw_pad;
mod images;
mod lessons;
mod live;
mod model_builder;
mod network;
mod own_images;
mod sample_grid;
mod scheduler;
mod snapshots;
mod state;
mod supervisor;
mod tabs;
mod test_gallery;
mod threads;
mod train_panel;
mod url_state;
mod watch;
mod webcam;

use leptos::prelude::*;

use dataset_panel::DatasetControls;
use lessons::convolution::ConvolutionLesson;
use lessons::optimizers::OptimizersLesson;
use lessons::regularisation::RegularisationLesson;
use lessons::transfer::TransferLesson;
use model_builder::PresetSelect;
use network::{Inspector, NetworkPicture};
use state::{DatasetState, TrainState};
use tabs::{ActiveTab, Tabs};
use train_panel::{FineTune, RunControls, RunMessages};
use watch::Curves;

/// The app's pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Trainer,
    Convolution,
    Regularisation,
    Optimizers,
}

/// Entry point of the page binary.
pub fn start() {
    console_error_panic_hook::set_once();
    scheduler::install();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let datasets = DatasetState::new();
    let (config, backend, link_error) = match url_state::load() {
        Ok(Some((config, backend))) => (config, backend, None),
        Ok(None) => (url_state::default_config(), Default::default(), None),
        Err(e) => (url_state::default_config(), Default::default(), Some(e)),
    };
    let train = TrainState::new(config, backend);
    train.notice.set(link_error);
    provide_context(datasets);
    provide_context(train);
    provide_context(ActiveTab(RwSignal::new("optimizer")));
    provide_context(FineTune(RwSignal::new(false)));
    // Every change of the settings is kept in the URL, ready to share.
    Effect::new(move || {
        let backend = train.backend.get();
        train.config.with(|c| url_state::save(c, backend));
    });
    bridge::spawn(datasets, train);
    bridge::install_test_hooks();
    live::start(train);
    live::install_test_hook(train);
    // Lessons are pages beside the trainer; the trainer stays mounted (and keeps training)
    // while a lesson is open.
    let page = RwSignal::new(Page::Trainer);
    // A lesson page is built the first time it is opened and kept from then on (its labs
    // may be running): a learner who only trains pays nothing for the lessons.
    let visited = RwSignal::new(Vec::<Page>::new());
    Effect::new(move || {
        let p = page.get();
        if !visited.with_untracked(|v| v.contains(&p)) {
            visited.update(|v| v.push(p));
        }
    });
    let seen = move |p: Page| visited.with(|v| v.contains(&p));
    let tab = move |p: Page, label: &'static str, testid: &'static str| {
        view! {
            <button class="tab" class:active=move || page.get() == p data-testid=testid
                title=if p == Page::Trainer { "The trainer: data, network, run and curves" } else { "A lesson: a short experiment that shows one idea; the trainer keeps running meanwhile" }
                on:click=move |_| page.set(p)>{label}</button>
        }
    };
    // The block whose settings are open beside the picture.
    let selected = RwSignal::new(None::<usize>);
    view! {
        <div class="app">
        <header class="topbar">
            <div class="bar-row">
                <h1 title="Learn deep learning by doing it: load data, build a network, watch it learn">"Trainer"</h1>
                <DatasetControls/>
                <PresetSelect/>
                <nav class="tabs">
                    {tab(Page::Trainer, "Trainer", "nav-trainer")}
                    {tab(Page::Convolution, "Lesson: convolution", "nav-convolution")}
                    {tab(Page::Regularisation, "Lesson: regularisation", "nav-regularisation")}
                    {tab(Page::Optimizers, "Lesson: optimizers", "nav-optimizers")}
                </nav>
            </div>
            <RunControls/>
            <RunMessages/>
        </header>
        <main class="lesson-page" style:display=move || if page.get() == Page::Convolution { "grid" } else { "none" }>
            <Show when=move || seen(Page::Convolution)>
                <ConvolutionLesson/>
                <TransferLesson/>
            </Show>
        </main>
        <main class="lesson-page" style:display=move || if page.get() == Page::Regularisation { "grid" } else { "none" }>
            <Show when=move || seen(Page::Regularisation)><RegularisationLesson/></Show>
        </main>
        <main class="lesson-page" style:display=move || if page.get() == Page::Optimizers { "grid" } else { "none" }>
            <Show when=move || seen(Page::Optimizers)><OptimizersLesson/></Show>
        </main>
        <main class="trainer" style:display=move || if page.get() == Page::Trainer { "grid" } else { "none" }>
            <div class="stage">
                <NetworkPicture selected/>
                <Inspector selected/>
                <Curves/>
            </div>
            <div class="tab-area"><Tabs/></div>
        </main>
        </div>
    }
}
