//! Downloads in the worker with byte-level progress, read chunk by chunk from the
//! response body stream.

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ReadableStreamDefaultReader, Response, WorkerGlobalScope};

/// Turns a JS exception into the text a learner can read.
pub fn js_error_text(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|err| String::from(err.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// Starts downloading `url` and returns its response once the headers are in.
pub async fn open(scope: &WorkerGlobalScope, url: &str) -> Result<Response, String> {
    let response: Response = JsFuture::from(scope.fetch_with_str(url))
        .await
        .map_err(|e| format!("{url}: download failed ({})", js_error_text(&e)))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!(
            "{url}: the server answered {} {}",
            response.status(),
            response.status_text()
        ));
    }
    Ok(response)
}

/// The body size the server announced, if it did.
pub fn content_length(response: &Response) -> Option<u64> {
    response
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
}

/// Reads the whole body, calling `progress(bytes)` after every chunk.
pub async fn read_body(
    url: &str,
    response: &Response,
    mut progress: impl FnMut(u64),
) -> Result<Vec<u8>, String> {
    let body = response
        .body()
        .ok_or_else(|| format!("{url}: the response has no body"))?;
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::with_capacity(content_length(response).unwrap_or(0) as usize);
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|e| format!("{url}: download interrupted ({})", js_error_text(&e)))?;
        let done = Reflect::get(&chunk, &"done".into())
            .map(|d| d.is_truthy())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        let value: Uint8Array = Reflect::get(&chunk, &"value".into())
            .map_err(|e| format!("{url}: unreadable chunk ({})", js_error_text(&e)))?
            .unchecked_into();
        let start = bytes.len();
        bytes.resize(start + value.length() as usize, 0);
        value.copy_to(&mut bytes[start..]);
        progress(value.length() as u64);
    }
}
