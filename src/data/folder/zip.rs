//! Reading a `.zip` of images: the central directory lists the entries, and each entry is
//! inflated only when asked for, with a ceiling on its output. A zip bomb (an entry that
//! inflates past what it declares, or past the ceiling) is refused by name, and the rest of
//! the archive still reads. Stored (0) and deflated (8) entries, as every zip tool writes;
//! no encryption, no ZIP64 (an archive of images under 4 GiB needs neither).

use std::io::Read;

use flate2::read::DeflateDecoder;

use crate::error::{Error, Result};

/// The most one entry may inflate to: far more than any image file of the sizes
/// `decode::MAX_PIXELS` allows, far less than a bomb's gigabytes.
pub const MAX_ENTRY: u64 = 64 << 20;

/// An entry of the central directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ZipEntry {
    pub name: String,
    method: u16,
    flags: u16,
    crc: u32,
    compressed: u64,
    size: u64,
    local_offset: u64,
}

impl ZipEntry {
    /// A folder, not a file.
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The size the archive declares it inflates to.
    pub fn declared_size(&self) -> u64 {
        self.size
    }
}

/// A zip archive's bytes and its list of entries.
pub struct ZipArchive<'a> {
    bytes: &'a [u8],
    pub entries: Vec<ZipEntry>,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

const END_SIGNATURE: u32 = 0x0605_4b50;
const CENTRAL_SIGNATURE: u32 = 0x0201_4b50;
const LOCAL_SIGNATURE: u32 = 0x0403_4b50;

impl<'a> ZipArchive<'a> {
    /// Reads the central directory of `bytes` (the file `file`).
    pub fn open(file: &str, bytes: &'a [u8]) -> Result<ZipArchive<'a>> {
        let bad = |problem: &str| Error::data(file, problem.to_string());
        // The end record is in the last 22 + 65 535 (its comment) bytes.
        let earliest = bytes.len().saturating_sub(22 + 0xffff);
        let end = (earliest..bytes.len().saturating_sub(21))
            .rev()
            .find(|&at| u32_at(bytes, at) == Some(END_SIGNATURE))
            .ok_or_else(|| {
                bad("not a zip archive (no end of central directory): a damaged or truncated download?")
            })?;
        let count = u16_at(bytes, end + 10).unwrap_or(0) as usize;
        let dir_size = u32_at(bytes, end + 12).unwrap_or(0) as usize;
        let dir_start = u32_at(bytes, end + 16).unwrap_or(0) as usize;
        if dir_start == 0xffff_ffff || count == 0xffff {
            return Err(bad(
                "a ZIP64 archive (over 4 GiB or 65 535 files): make a smaller zip",
            ));
        }
        if dir_start.checked_add(dir_size).is_none_or(|e| e > end) {
            return Err(bad(
                "its central directory lies outside the file: the zip is damaged or truncated",
            ));
        }
        // Each central entry is at least 46 bytes: the count is bounded by the bytes.
        let mut entries = Vec::with_capacity(count.min(dir_size / 46));
        let mut at = dir_start;
        for _ in 0..count {
            let header = (|| {
                if u32_at(bytes, at)? != CENTRAL_SIGNATURE {
                    return None;
                }
                let name_len = u16_at(bytes, at + 28)? as usize;
                let extra_len = u16_at(bytes, at + 30)? as usize;
                let comment_len = u16_at(bytes, at + 32)? as usize;
                let name = bytes.get(at + 46..at + 46 + name_len)?;
                let entry = ZipEntry {
                    name: String::from_utf8_lossy(name).into_owned(),
                    flags: u16_at(bytes, at + 8)?,
                    method: u16_at(bytes, at + 10)?,
                    crc: u32_at(bytes, at + 16)?,
                    compressed: u32_at(bytes, at + 20)? as u64,
                    size: u32_at(bytes, at + 24)? as u64,
                    local_offset: u32_at(bytes, at + 42)? as u64,
                };
                Some((entry, 46 + name_len + extra_len + comment_len))
            })();
            let (entry, len) = header.ok_or_else(|| {
                bad("its central directory is damaged: an entry's header cannot be read")
            })?;
            entries.push(entry);
            at += len;
        }
        Ok(ZipArchive { bytes, entries })
    }

    /// The inflated content of `entry`, checked against its declared size, the ceiling
    /// [`MAX_ENTRY`] and its CRC. Errors name the entry.
    pub fn read(&self, entry: &ZipEntry) -> Result<Vec<u8>> {
        let name = entry.name.as_str();
        let bad = |problem: String| Error::data(name, problem);
        if entry.flags & 1 != 0 {
            return Err(bad("is encrypted: make the zip without a password".into()));
        }
        if entry.size > MAX_ENTRY {
            return Err(bad(format!(
                "declares {} MiB inflated, over the {} MiB one file may have",
                entry.size >> 20,
                MAX_ENTRY >> 20
            )));
        }
        let local = entry.local_offset as usize;
        let data_start = (|| {
            if u32_at(self.bytes, local)? != LOCAL_SIGNATURE {
                return None;
            }
            let name_len = u16_at(self.bytes, local + 26)? as usize;
            let extra_len = u16_at(self.bytes, local + 28)? as usize;
            Some(local + 30 + name_len + extra_len)
        })()
        .ok_or_else(|| bad("its local header is damaged or outside the zip".into()))?;
        let data = data_start
            .checked_add(entry.compressed as usize)
            .and_then(|end| self.bytes.get(data_start..end))
            .ok_or_else(|| bad("its data runs past the end of the zip: truncated?".into()))?;
        let out = match entry.method {
            0 => data.to_vec(),
            8 => {
                // Never more than declared (+1 to notice a lie), never more than the ceiling.
                let limit = entry.size + 1;
                let mut out = Vec::with_capacity(entry.size as usize);
                DeflateDecoder::new(data)
                    .take(limit)
                    .read_to_end(&mut out)
                    .map_err(|e| bad(format!("its compressed data is damaged ({e})")))?;
                out
            }
            m => {
                return Err(bad(format!(
                    "is compressed with method {m}; this app reads stored and deflated entries"
                )))
            }
        };
        if out.len() as u64 > entry.size {
            return Err(bad(format!(
                "inflates to more than the {} bytes it declares: a zip bomb or a damaged zip",
                entry.size
            )));
        }
        if (out.len() as u64) < entry.size {
            return Err(bad(format!(
                "inflates to {} bytes but declares {}: the zip is damaged",
                out.len(),
                entry.size
            )));
        }
        let mut crc = flate2::Crc::new();
        crc.update(&out);
        if crc.sum() != entry.crc {
            return Err(bad("fails its checksum (CRC-32): the zip is damaged".into()));
        }
        Ok(out)
    }
}
