//! Gunzip with a hard ceiling on the output, so a small hostile file cannot make us
//! allocate gigabytes (a "zip bomb"), and clear messages for the usual failures.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use crate::error::{Error, Result};

/// The two bytes every gzip stream starts with (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The largest file we will inflate: full MNIST training images are 47 MB.
pub const MAX_INFLATED: usize = 256 << 20;

/// True when the bytes start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Returns the file's content, inflated if it is gzip.
///
/// A name ending in `.gz` promises gzip: if the bytes are not gzip, that is an error
/// (a renamed or mangled download) rather than a guess. Any other file is inflated only
/// if it starts with the gzip magic, and otherwise returned as it is.
pub fn decode_maybe_gzip(file: &str, bytes: &[u8], max_out: usize) -> Result<Vec<u8>> {
    if is_gzip(bytes) {
        inflate(file, bytes, max_out)
    } else if file.to_ascii_lowercase().ends_with(".gz") {
        let start: Vec<String> = bytes.iter().take(2).map(|b| format!("0x{b:02X}")).collect();
        Err(Error::data(
            file,
            format!(
                "not a gzip file: it starts with [{}] instead of [0x1F, 0x8B], although its name ends in .gz",
                start.join(", ")
            ),
        ))
    } else {
        Ok(bytes.to_vec())
    }
}

/// Inflates a gzip stream, failing once the output would exceed `max_out` bytes.
fn inflate(file: &str, bytes: &[u8], max_out: usize) -> Result<Vec<u8>> {
    // The trailer's size field is only a hint (it is mod 2^32 and unchecked until the end),
    // so it is used to reserve no more than the ceiling allows.
    let hint = bytes
        .len()
        .checked_sub(4)
        .map(|at| u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]))
        .unwrap_or(0) as usize;
    let mut out = Vec::with_capacity(hint.min(max_out));
    let mut decoder = MultiGzDecoder::new(bytes).take(max_out as u64 + 1);
    decoder.read_to_end(&mut out).map_err(|e| {
        let problem = match e.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                "truncated gzip data: the stream ends early (an interrupted download?)".to_string()
            }
            _ => format!("corrupt gzip data ({e})"),
        };
        Error::data(file, problem)
    })?;
    if out.len() > max_out {
        return Err(Error::data(
            file,
            format!(
                "inflates to more than {} MiB, the most this app accepts",
                max_out >> 20
            ),
        ));
    }
    Ok(out)
}
