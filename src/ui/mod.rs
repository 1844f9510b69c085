//! The page's logic without the DOM: what the Leptos views in `app` compute, as plain Rust
//! compiled natively too, so `cargo test` checks it beside the code.

pub mod curve;
pub mod events;
pub mod history;
pub mod lab;
pub mod layers;
pub mod network;
pub mod ticks;
pub mod url;
