//! The configuration in the URL (`#config=<JSON>`), so a link shares a whole experiment:
//! architecture, hyper-parameters, seed and backend. This is the text on both sides of the
//! link; `app::url_state` only reads `location.hash` and writes it back with
//! `history.replaceState`.
//!
//! The JSON is percent-encoded exactly as JavaScript's `encodeURIComponent` does and read back
//! as `decodeURIComponent` would, so links made by the page, by a test or by hand in a
//! browser's console are the same text.

use serde::{Deserialize, Serialize};

use crate::nn::presets::Preset;
use crate::train::TrainConfig;
use crate::worker::protocol::Backend;

/// What the link carries: `{ "config": TrainConfig, "backend": "auto" | "web_gpu" | "cpu" }`
/// (the backend may be left out: Auto).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Shared {
    pub config: TrainConfig,
    #[serde(default)]
    pub backend: Backend,
}

/// The fragment's prefix: what follows it is the percent-encoded JSON of a [`Shared`].
pub const PREFIX: &str = "#config=";

/// Links whose configuration is longer than this (encoded, in bytes) are not parsed: a bound
/// on what a pasted link can make the page allocate.
pub const MAX_LINK: usize = 64 * 1024;

/// The default experiment: the default CNN for 3 epochs.
pub fn default_config() -> TrainConfig {
    TrainConfig::for_preset(Preset::DefaultCnn, 3, 1)
}

/// The URL fragment (`#config=…`) that carries `config` and `backend`; `None` only if the
/// configuration cannot be written as JSON (a non-finite number).
pub fn fragment(config: &TrainConfig, backend: Backend) -> Option<String> {
    let json = serde_json::to_string(&Shared {
        config: config.clone(),
        backend,
    })
    .ok()?;
    Some(format!("{PREFIX}{}", encode_uri_component(&json)))
}

/// The configuration in a URL fragment (`location.hash`, with its `#`): `Ok(None)` when the
/// fragment carries none, or the reason it cannot be used, in words for the learner.
pub fn parse(hash: &str) -> Result<Option<(TrainConfig, Backend)>, String> {
    let Some(encoded) = hash.strip_prefix(PREFIX) else {
        return Ok(None);
    };
    if encoded.len() > MAX_LINK {
        return Err(format!(
            "the link's configuration is too long ({} bytes)",
            encoded.len()
        ));
    }
    let json = decode_uri_component(encoded)
        .ok_or_else(|| "the link's configuration is not valid URL text".to_string())?;
    let shared = parse_json(&json)?;
    Ok(Some((shared.config, shared.backend)))
}

/// The link's JSON, read and validated (also what the fuzzer feeds).
pub fn parse_json(json: &str) -> Result<Shared, String> {
    let shared: Shared = serde_json::from_str(json)
        .map_err(|e| format!("the link's configuration could not be read: {e}"))?;
    shared
        .config
        .validate()
        .map_err(|e| format!("the link's configuration is not usable: {e}"))?;
    Ok(shared)
}

/// Bytes `encodeURIComponent` leaves as they are: ASCII letters and digits and `-_.!~*'()`.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

/// JavaScript's `encodeURIComponent`: every other byte of the UTF-8 text as `%XX` (upper-case
/// hex).
pub fn encode_uri_component(text: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

/// JavaScript's `decodeURIComponent`: every `%XX` becomes its byte; `None` where a `%` is not
/// followed by two hex digits or the bytes are not UTF-8 (where JavaScript throws `URIError`).
pub fn decode_uri_component(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::OptimizerSpec;

    fn customised() -> TrainConfig {
        let mut config = TrainConfig::for_preset(Preset::DefaultCnn, 7, 42);
        config.batch_size = 128;
        config.lr.base = 0.0025;
        config.optimizer = OptimizerSpec::Adam {
            beta1: 0.8,
            beta2: 0.99,
            epsilon: 1e-7,
        };
        config.augmentation.rotation_deg = 12.5;
        config.model.layers[0].penalties.l2 = 1e-4;
        config
    }

    /// The fragment for a JSON text, encoded as the page encodes it.
    fn link(json: &str) -> String {
        format!("{PREFIX}{}", encode_uri_component(json))
    }

    #[test]
    fn the_default_config_survives_a_round_trip() {
        let config = default_config();
        let hash = fragment(&config, Backend::Auto).unwrap();
        assert!(hash.starts_with("#config=%7B%22config%22%3A%7B"), "{hash}");
        assert_eq!(parse(&hash), Ok(Some((config, Backend::Auto))));
    }

    #[test]
    fn a_customised_config_and_each_backend_survive_a_round_trip() {
        let config = customised();
        assert_ne!(config, default_config());
        for backend in [Backend::Auto, Backend::WebGpu, Backend::Cpu] {
            let hash = fragment(&config, backend).unwrap();
            assert_eq!(parse(&hash), Ok(Some((config.clone(), backend))));
        }
    }

    #[test]
    fn the_link_format_is_json_with_a_config_and_a_backend() {
        let hash = fragment(&default_config(), Backend::WebGpu).unwrap();
        let json = decode_uri_component(hash.strip_prefix(PREFIX).unwrap()).unwrap();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["backend"], "web_gpu");
        assert_eq!(value["config"]["epochs"], 3);
        // Without a backend the link means Auto.
        let bare = serde_json::json!({ "config": value["config"] }).to_string();
        assert_eq!(
            parse(&link(&bare)),
            Ok(Some((default_config(), Backend::Auto)))
        );
    }

    #[test]
    fn a_fragment_without_a_config_is_no_config() {
        for hash in ["", "#", "#lesson", "#conf=x", "config=%7B%7D"] {
            assert_eq!(parse(hash), Ok(None), "{hash:?}");
        }
    }

    #[test]
    fn links_over_64_kib_are_refused_before_they_are_read() {
        let long = format!("{PREFIX}{}", "x".repeat(MAX_LINK + 1));
        assert_eq!(
            parse(&long),
            Err("the link's configuration is too long (65537 bytes)".into())
        );
        // At the bound the text is read (and here fails as JSON, not as too long).
        let at_bound = format!("{PREFIX}{}", "x".repeat(MAX_LINK));
        let e = parse(&at_bound).unwrap_err();
        assert!(
            e.starts_with("the link's configuration could not be read"),
            "{e}"
        );
    }

    #[test]
    fn malformed_json_is_refused_with_serdes_reason() {
        for json in ["{", "not json", "{\"config\": 3}", "[]", ""] {
            let e = parse(&link(json)).unwrap_err();
            assert!(
                e.starts_with("the link's configuration could not be read: "),
                "{json:?}: {e}"
            );
        }
    }

    #[test]
    fn a_config_that_fails_validation_is_refused_with_its_reason() {
        let mut config = default_config();
        config.epochs = 1_000_000_000;
        let hash = fragment(&config, Backend::Cpu).unwrap();
        assert_eq!(
            parse(&hash),
            Err("the link's configuration is not usable: \
                 epochs must be at most 10 000, got 1 000 000 000"
                .into())
        );
    }

    #[test]
    fn an_unknown_backend_is_refused() {
        let config = serde_json::to_value(default_config()).unwrap();
        let json = serde_json::json!({ "config": config, "backend": "tpu" }).to_string();
        let e = parse(&link(&json)).unwrap_err();
        assert!(
            e.starts_with("the link's configuration could not be read: unknown variant `tpu`"),
            "{e}"
        );
    }

    #[test]
    fn percent_encoding_matches_javascripts() {
        // encodeURIComponent's results, from a browser console.
        assert_eq!(
            encode_uri_component("{\"a\":[1, 2.5e-3]}"),
            "%7B%22a%22%3A%5B1%2C%202.5e-3%5D%7D"
        );
        assert_eq!(encode_uri_component("-_.!~*'()az09"), "-_.!~*'()az09");
        assert_eq!(encode_uri_component("#&=?/+%"), "%23%26%3D%3F%2F%2B%25");
        assert_eq!(encode_uri_component("γ×é"), "%CE%B3%C3%97%C3%A9");
        for text in ["", "γ × 10⁻³ \"quoted\" %41", "{\"config\":{}}"] {
            assert_eq!(
                decode_uri_component(&encode_uri_component(text)).as_deref(),
                Some(text)
            );
        }
    }

    #[test]
    fn percent_decoding_refuses_what_javascript_refuses() {
        // Raw characters pass through; escapes in either case are read.
        assert_eq!(
            decode_uri_component("a{b}%7b%7D").as_deref(),
            Some("a{b}{}")
        );
        assert_eq!(decode_uri_component("%CE%B3").as_deref(), Some("γ"));
        // A lone `%`, a short or non-hex escape, bytes that are not UTF-8.
        for bad in [
            "%",
            "%4",
            "50%",
            "%G1",
            "%+1",
            "%CE",
            "%FF",
            "%C0%AF",
            "%ED%A0%80",
        ] {
            assert_eq!(decode_uri_component(bad), None, "{bad:?}");
        }
        let e = parse(&format!("{PREFIX}%7B%ZZ")).unwrap_err();
        assert_eq!(e, "the link's configuration is not valid URL text");
    }
}
