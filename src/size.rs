//! Sizes that never wrap. Element, parameter, byte and FLOP counts derived from anything a
//! learner, a link or a file supplies are computed here in `u64` with checked arithmetic:
//! `usize` is 32 bits in wasm32 and release builds do not check overflow, so a product of
//! dimensions done in `usize` can silently wrap (a 10⁹-unit layer once showed 3 596 929 536
//! parameters instead of 257 000 001 000).
//!
//! The rule the rest of the crate follows: a shape is checked here, and against the memory
//! budget (`train::budget`), *before* anything is built from it; only then may code multiply
//! its dimensions in `usize`, because everything within the budget fits.

use crate::error::{Error, Result};

/// Bytes of one f32.
pub const F32_BYTES: u64 = 4;

/// The largest single allocation this platform can make, in bytes: `isize::MAX`
/// (2 GiB − 1 in wasm32). A `Vec` larger than this panics with "capacity overflow".
pub const MAX_ALLOCATION: u64 = isize::MAX as u64;

/// A count that overflowed `u64`, or the numbers that did not fit: an error naming `what`.
fn too_large(what: &str, detail: String) -> Error {
    Error::Config(format!("{what}: {detail}"))
}

/// `a · b`, or `None` past `u64::MAX`.
pub fn mul(a: u64, b: u64) -> Option<u64> {
    a.checked_mul(b)
}

/// `a + b`, or `None` past `u64::MAX`.
pub fn add(a: u64, b: u64) -> Option<u64> {
    a.checked_add(b)
}

/// The product of `dims` in `u64`, or `None` past `u64::MAX`. The empty product is 1.
pub fn product(dims: &[usize]) -> Option<u64> {
    dims.iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))
}

/// The product of `dims`, or an error naming `what` and the dimensions.
pub fn elements(what: &str, dims: &[usize]) -> Result<u64> {
    product(dims).ok_or_else(|| {
        too_large(
            what,
            format!("{} elements is more than can be counted", times(dims)),
        )
    })
}

/// A `u64` count as a `usize`, or an error naming `what` where this platform's `usize` is
/// too narrow (wasm32).
pub fn to_usize(what: &str, n: u64) -> Result<usize> {
    usize::try_from(n).map_err(|_| {
        too_large(
            what,
            format!("{} is more than this platform can index", grouped(n)),
        )
    })
}

/// The length of one allocation of `elements` items of `item_bytes` each, or an error
/// naming `what` and the bytes when one allocation cannot hold them.
pub fn alloc_len(what: &str, elements: u64, item_bytes: u64) -> Result<usize> {
    match mul(elements, item_bytes) {
        Some(bytes) if bytes <= MAX_ALLOCATION => to_usize(what, elements),
        bytes => Err(too_large(
            what,
            format!(
                "{} values need {}, more than one allocation can hold ({})",
                grouped(elements),
                bytes.map_or_else(|| "more than 16 EB".to_string(), bytes_text),
                bytes_text(MAX_ALLOCATION)
            ),
        )),
    }
}

/// The length of an f32 tensor of shape `dims`, checked as [`alloc_len`] does.
pub fn tensor_len(what: &str, dims: &[usize]) -> Result<usize> {
    alloc_len(what, elements(what, dims)?, F32_BYTES)
}

/// `Ok` when `v` is a finite number in `[min, max]`; otherwise an error naming `what` and the
/// value, for settings a learner, a link or a file can make NaN, infinite or absurd.
pub fn in_range(what: &str, v: f32, min: f32, max: f32) -> Result<()> {
    if v.is_finite() && (min..=max).contains(&v) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "{what} must be a number from {min} to {max}, got {v}"
        )))
    }
}

/// `a×b×c`, the way shapes are written on the page.
pub fn times(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

/// A count with thin spaces between groups of three digits: `257 000 001 000`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Bytes in decimal units with three significant figures: `1.03 TB`, `23.4 kB`, `512 B`.
pub fn bytes_text(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64;
    let mut unit = 0;
    value /= 1000.0;
    while value >= 999.5 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let text = if value >= 99.95 {
        format!("{value:.0}")
    } else if value >= 9.995 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    format!("{text} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grouped_puts_spaces_between_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1 000");
        assert_eq!(grouped(5994), "5 994");
        assert_eq!(grouped(257_000_001_000), "257 000 001 000");
        assert_eq!(grouped(u64::MAX), "18 446 744 073 709 551 615");
    }

    #[test]
    fn bytes_use_three_significant_figures() {
        assert_eq!(bytes_text(512), "512 B");
        assert_eq!(bytes_text(23_976), "24.0 kB");
        assert_eq!(bytes_text(1_028_000_004_000), "1.03 TB");
        assert_eq!(bytes_text(2_147_483_647), "2.15 GB");
        assert_eq!(bytes_text(999_999), "1.00 MB");
        assert_eq!(bytes_text(u64::MAX), "18.4 EB");
    }

    #[test]
    fn products_are_exact_or_refused() {
        assert_eq!(product(&[]), Some(1));
        assert_eq!(product(&[256, 1_000_000_000]), Some(256_000_000_000));
        assert_eq!(product(&[usize::MAX, usize::MAX, usize::MAX]), None);
        assert!(elements("x", &[1 << 40, 1 << 40])
            .unwrap_err()
            .to_string()
            .contains("more than can be counted"));
    }

    #[test]
    fn one_allocation_is_bounded() {
        let over = MAX_ALLOCATION / F32_BYTES + 1;
        let e = alloc_len("layer 5 weights", over, F32_BYTES).unwrap_err();
        let want = format!(
            "{} values need {}",
            grouped(over),
            bytes_text(over * F32_BYTES)
        );
        assert!(e.to_string().starts_with("layer 5 weights: "), "{e}");
        assert!(e.to_string().contains(&want), "{e}");
        assert_eq!(
            alloc_len("fits", over - 1, F32_BYTES).unwrap() as u64,
            over - 1
        );
        assert_eq!(alloc_len("ok", 1000, F32_BYTES).unwrap(), 1000);
        assert!(alloc_len("huge", u64::MAX, F32_BYTES)
            .unwrap_err()
            .to_string()
            .contains("more than 16 EB"));
    }
}
