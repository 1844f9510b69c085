//! A minimal zip writer for the page's "Export as code" download: every file deflated with
//! flate2's pure-Rust backend (already a dependency; it builds for wasm32), no zip64 (the
//! export is a few MB), fixed time stamps so the same export gives the same bytes.

use flate2::write::DeflateEncoder;
use flate2::Compression;
use std::io::Write;

use super::ExportedFile;
use crate::error::{Error, Result};

/// CRC-32 (IEEE, reflected), as zip wants it.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// 1 January 2025, 00:00, in MS-DOS time and date.
const DOS_TIME: u16 = 0;
const DOS_DATE: u16 = ((2025 - 1980) << 9) | (1 << 5) | 1;

fn u16le(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn u32le(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// A zip archive of `files`, all inside the folder `folder/`.
pub fn zip(folder: &str, files: &[ExportedFile]) -> Result<Vec<u8>> {
    let too_big = || Error::Config("the export is too large for a zip file without zip64".into());
    let mut out = Vec::new();
    let mut central = Vec::new();
    for f in files {
        let name = format!("{folder}/{}", f.name);
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(&f.bytes)
            .and_then(|_| encoder.flush())
            .map_err(|e| Error::Config(format!("deflating {name}: {e}")))?;
        let deflated = encoder
            .finish()
            .map_err(|e| Error::Config(format!("deflating {name}: {e}")))?;
        let crc = crc32(&f.bytes);
        let size = u32::try_from(f.bytes.len()).map_err(|_| too_big())?;
        let packed = u32::try_from(deflated.len()).map_err(|_| too_big())?;
        let offset = u32::try_from(out.len()).map_err(|_| too_big())?;
        let header = |out: &mut Vec<u8>| {
            u16le(out, 20); // version needed: 2.0 (deflate)
            u16le(out, 0x0800); // flags: the name is UTF-8
            u16le(out, 8); // deflate
            u16le(out, DOS_TIME);
            u16le(out, DOS_DATE);
            u32le(out, crc);
            u32le(out, packed);
            u32le(out, size);
            u16le(out, name.len() as u16);
            u16le(out, 0); // extra field
        };
        u32le(&mut out, 0x0403_4b50);
        header(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&deflated);

        u32le(&mut central, 0x0201_4b50);
        u16le(&mut central, (3 << 8) | 20); // made by: Unix, 2.0
        header(&mut central);
        u16le(&mut central, 0); // comment
        u16le(&mut central, 0); // disk
        u16le(&mut central, 0); // internal attributes
        u32le(&mut central, 0o100644 << 16); // a regular file, rw-r--r--
        u32le(&mut central, offset);
        central.extend_from_slice(name.as_bytes());
    }
    let start = u32::try_from(out.len()).map_err(|_| too_big())?;
    let count = u16::try_from(files.len()).map_err(|_| too_big())?;
    let central_len = u32::try_from(central.len()).map_err(|_| too_big())?;
    out.extend_from_slice(&central);
    u32le(&mut out, 0x0605_4b50);
    u16le(&mut out, 0);
    u16le(&mut out, 0);
    u16le(&mut out, count);
    u16le(&mut out, count);
    u32le(&mut out, central_len);
    u32le(&mut out, start);
    u16le(&mut out, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_of_the_standard_check_string() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn an_archive_lists_its_files_and_inflates_back() {
        let files = [
            ExportedFile {
                name: "a.txt",
                bytes: b"hello hello hello".to_vec(),
            },
            ExportedFile {
                name: "b.bin",
                bytes: (0..=255u8).collect(),
            },
        ];
        let z = zip("dir", &files).unwrap();
        assert_eq!(&z[..4], b"PK\x03\x04");
        let end = &z[z.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 2);
        // The first entry's data inflates back to its bytes.
        let name_len = u16::from_le_bytes([z[26], z[27]]) as usize;
        let packed = u32::from_le_bytes([z[18], z[19], z[20], z[21]]) as usize;
        let data = &z[30 + name_len..30 + name_len + packed];
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(data), &mut inflated)
            .unwrap();
        assert_eq!(inflated, files[0].bytes);
        assert_eq!(&z[30..30 + name_len], b"dir/a.txt");
    }
}
