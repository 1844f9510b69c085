//! The page: Leptos components that show what the worker reports. Nothing here computes
//! anything heavy; it sends requests to the worker and renders its events.

mod bridge;
mod dataset_panel;
mod sample_grid;
mod state;

use leptos::prelude::*;

use dataset_panel::DatasetPanel;
use state::DatasetState;

/// Entry point of the page binary.
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    let datasets = DatasetState::new();
    provide_context(datasets);
    bridge::spawn(datasets);
    view! {
        <header class="topbar">
            <h1>"Trainer"</h1>
            <p class="tagline">"Learn deep learning by doing it: load data, build a network, watch it learn."</p>
        </header>
        <main>
            <DatasetPanel/>
        </main>
    }
}
