//! The page binary: Trunk builds it to wasm and loads it from `index.html`.

#[cfg(target_arch = "wasm32")]
fn main() {
    trainer::app::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "The app runs in the browser: `make serve` builds it and serves http://127.0.0.1:8080"
    );
}
