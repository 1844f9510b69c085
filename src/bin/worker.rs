//! The worker binary: Trunk builds it to wasm as a web worker (see `index.html`).

#[cfg(target_arch = "wasm32")]
fn main() {
    // A CPU helper instantiates this module too; it only runs kernel parts.
    if !trainer::worker::threads::is_helper() {
        trainer::worker::start();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("The worker runs in the browser, started by the app: `make serve`");
}
