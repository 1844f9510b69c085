//! The configuration lives in the URL (`#config=<JSON>`), so a link shares a whole
//! experiment. The text of the link is `ui::url`'s; this reads `location.hash` and writes
//! the fragment back without adding a history entry.

use crate::train::TrainConfig;
use crate::ui::url;
use crate::worker::protocol::Backend;

pub use crate::ui::url::default_config;

/// The configuration in the page's URL, or the reason it could not be read.
pub fn load() -> Result<Option<(TrainConfig, Backend)>, String> {
    match web_sys::window().and_then(|w| w.location().hash().ok()) {
        Some(hash) => url::parse(&hash),
        None => Ok(None),
    }
}

/// Writes the configuration into the URL without adding a history entry.
pub fn save(config: &TrainConfig, backend: Backend) {
    let Some(fragment) = url::fragment(config, backend) else {
        return;
    };
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&fragment));
    }
}
