//! The worker: everything heavy (downloading and parsing datasets, training) runs here, off
//! the page's main thread. The page and the worker talk only through the typed messages of
//! [`protocol`]; the wasm glue that receives and posts them is in `runtime`.

pub mod protocol;
pub mod speeds;

#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod runtime;
#[cfg(target_arch = "wasm32")]
mod session;
#[cfg(target_arch = "wasm32")]
pub mod threads;

#[cfg(target_arch = "wasm32")]
pub use runtime::{start, wasm_memory_bytes};
