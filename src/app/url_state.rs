//! The configuration lives in the URL (`#config=<JSON>`), so a link shares a whole
//! experiment: architecture, hyper-parameters, seed and backend.

use serde::{Deserialize, Serialize};

use crate::nn::presets::Preset;
use crate::train::TrainConfig;
use crate::worker::protocol::Backend;

/// What the link carries.
#[derive(Serialize, Deserialize)]
struct Shared {
    config: TrainConfig,
    #[serde(default)]
    backend: Backend,
}

/// URLs longer than this are not parsed (a bound on what a pasted link can make us allocate).
const MAX_HASH: usize = 64 * 1024;

/// The default experiment: the default CNN for 3 epochs.
pub fn default_config() -> TrainConfig {
    TrainConfig::for_preset(Preset::DefaultCnn, 3, 1)
}

/// The configuration in the page's URL, or the reason it could not be read.
pub fn load() -> Result<Option<(TrainConfig, Backend)>, String> {
    let Some(hash) = web_sys::window().and_then(|w| w.location().hash().ok()) else {
        return Ok(None);
    };
    let Some(encoded) = hash.strip_prefix("#config=") else {
        return Ok(None);
    };
    if encoded.len() > MAX_HASH {
        return Err(format!(
            "the link's configuration is too long ({} bytes)",
            encoded.len()
        ));
    }
    let json = js_sys::decode_uri_component(encoded)
        .map_err(|_| "the link's configuration is not valid URL text".to_string())?;
    let shared: Shared = serde_json::from_str(&String::from(json))
        .map_err(|e| format!("the link's configuration could not be read: {e}"))?;
    shared
        .config
        .validate()
        .map_err(|e| format!("the link's configuration is not usable: {e}"))?;
    Ok(Some((shared.config, shared.backend)))
}

/// Writes the configuration into the URL without adding a history entry.
pub fn save(config: &TrainConfig, backend: Backend) {
    let shared = Shared {
        config: config.clone(),
        backend,
    };
    let Ok(json) = serde_json::to_string(&shared) else {
        return;
    };
    let encoded = String::from(js_sys::encode_uri_component(&json));
    if let Some(w) = web_sys::window() {
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("#config={encoded}")),
            );
        }
    }
}
