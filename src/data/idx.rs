//! The IDX file format of MNIST and Fashion-MNIST, parsed without trusting the header.
//!
//! Layout (all integers big-endian): two zero bytes, a type code (`0x08` = unsigned byte),
//! the number of dimensions `d`, then `d` u32 sizes, then the data in row-major order.
//! Images are `0x00000803` (count, rows, cols); labels are `0x00000801` (count).
//!
//! Nothing is allocated from a length field: the sizes in the header are multiplied with
//! overflow checks and must equal the number of bytes that actually follow, and only then is
//! that (already present) slice copied.

use crate::error::{Error, Result};

/// Magic number of an IDX file of unsigned-byte images (3 dimensions).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned-byte labels (1 dimension).
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Largest side accepted for an image: far above MNIST's 28, far below anything absurd.
pub const MAX_SIDE: usize = 512;

/// What kind of IDX file a buffer holds, read from its magic number alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdxKind {
    Images,
    Labels,
}

/// A set of greyscale images, `count × rows × cols` bytes, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// A set of class labels, one byte each, all below the class count given to the parser.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxLabels {
    pub labels: Vec<u8>,
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Reads the magic number and says which kind of IDX file this is.
pub fn kind(file: &str, bytes: &[u8]) -> Result<IdxKind> {
    if bytes.len() < 4 {
        return Err(Error::data(
            file,
            format!(
                "truncated: {} bytes, but an IDX header needs at least 4",
                bytes.len()
            ),
        ));
    }
    match read_u32(bytes, 0) {
        IMAGES_MAGIC => Ok(IdxKind::Images),
        LABELS_MAGIC => Ok(IdxKind::Labels),
        other => Err(Error::data(
            file,
            format!(
                "wrong magic number 0x{other:08X}: an IDX image file starts with 0x{IMAGES_MAGIC:08X} \
                 and a label file with 0x{LABELS_MAGIC:08X}"
            ),
        )),
    }
}

/// Reads the `dims` sizes after the magic number, checking the header is all there.
fn header_dims(file: &str, bytes: &[u8], dims: usize) -> Result<Vec<usize>> {
    let header_len = 4 + 4 * dims;
    if bytes.len() < header_len {
        return Err(Error::data(
            file,
            format!(
                "truncated header: {} bytes, but a {dims}-dimensional IDX header is {header_len}",
                bytes.len()
            ),
        ));
    }
    Ok((0..dims)
        .map(|d| read_u32(bytes, 4 + 4 * d) as usize)
        .collect())
}

/// Checks that exactly `expected` bytes follow the header (a [`crate::size`] count: the
/// header's sizes multiplied in `u64`, so a hostile header cannot wrap into a small one).
fn check_payload(file: &str, payload: usize, expected: u64, what: &str) -> Result<()> {
    let payload = payload as u64;
    if payload < expected {
        Err(Error::data(
            file,
            format!(
                "truncated: the header promises {what} ({expected} bytes) but only {payload} bytes follow"
            ),
        ))
    } else if payload > expected {
        Err(Error::data(
            file,
            format!(
                "{} unexpected bytes after the {what} the header describes",
                payload - expected
            ),
        ))
    } else {
        Ok(())
    }
}

/// Parses an IDX image file (magic `0x00000803`).
pub fn parse_images(file: &str, bytes: &[u8]) -> Result<IdxImages> {
    if kind(file, bytes)? != IdxKind::Images {
        return Err(Error::data(
            file,
            "this is an IDX label file, but an image file was expected",
        ));
    }
    let dims = header_dims(file, bytes, 3)?;
    let (count, rows, cols) = (dims[0], dims[1], dims[2]);
    if rows == 0 || cols == 0 || rows > MAX_SIDE || cols > MAX_SIDE {
        return Err(Error::data(
            file,
            format!("image size {rows}×{cols} is outside 1×1 … {MAX_SIDE}×{MAX_SIDE}"),
        ));
    }
    let expected = crate::size::product(&[count, rows, cols])
        .ok_or_else(|| Error::data(file, format!("absurd image count {count} in the header")))?;
    let payload = &bytes[16..];
    check_payload(
        file,
        payload.len(),
        expected,
        &format!("{count} images of {rows}×{cols}"),
    )?;
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: payload.to_vec(),
    })
}

/// Parses an IDX label file (magic `0x00000801`); every label must be below `num_classes`.
pub fn parse_labels(file: &str, bytes: &[u8], num_classes: usize) -> Result<IdxLabels> {
    if kind(file, bytes)? != IdxKind::Labels {
        return Err(Error::data(
            file,
            "this is an IDX image file, but a label file was expected",
        ));
    }
    let count = header_dims(file, bytes, 1)?[0];
    let payload = &bytes[8..];
    check_payload(
        file,
        payload.len(),
        count as u64,
        &format!("{count} labels"),
    )?;
    if let Some((index, &label)) = payload
        .iter()
        .enumerate()
        .find(|(_, &l)| l as usize >= num_classes)
    {
        return Err(Error::data(
            file,
            format!(
                "label {label} at index {index} is outside the classes 0–{}",
                num_classes - 1
            ),
        ));
    }
    Ok(IdxLabels {
        labels: payload.to_vec(),
    })
}

/// Writes images in IDX format: the inverse of [`parse_images`], used by tests and fixtures.
pub fn encode_images(images: &IdxImages) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + images.pixels.len());
    for v in [
        IMAGES_MAGIC,
        images.count as u32,
        images.rows as u32,
        images.cols as u32,
    ] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out.extend_from_slice(&images.pixels);
    out
}

/// Writes labels in IDX format: the inverse of [`parse_labels`].
pub fn encode_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}
