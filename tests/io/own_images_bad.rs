//! Bad input among the learner's own images: each bad file is named with its problem and
//! the other images load; a dataset no model could train on is refused as a whole, before
//! anything is decoded where it can be, so the caller keeps what it had loaded.

use std::io::Write;

use flate2::write::DeflateEncoder;
use flate2::Compression;
use trainer::data::folder::{import_files, import_zip, ImportOptions, Imported, Importer};
use trainer::io::code_export::zip::crc32;

use super::own_images::generated_files;

fn messages(imported: &Imported) -> Vec<String> {
    imported.problems.iter().map(|p| p.to_string()).collect()
}

fn import(files: Vec<(String, Vec<u8>)>) -> trainer::Result<Imported> {
    import_files("mine", files, ImportOptions::default(), |_, _| {})
}

/// A PNG that declares `w × h` pixels (and holds almost none).
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    };
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    chunk(b"IEND", &[]);
    out
}

#[test]
fn bad_files_are_named_and_the_others_load() {
    let mut files = generated_files(5, 2);
    let good = files.len();
    let truncated = files[0].1[..files[0].1.len() / 2].to_vec();
    files.push(("fruit/lemons/notes.txt".into(), b"not a picture".to_vec()));
    files.push(("fruit/lemons/half.png".into(), truncated));
    files.push(("fruit/plums/huge.png".into(), png_header(20_000, 20_000)));
    files.push(("fruit/stray.jpg".into(), files[1].1.clone()));
    let imported = import(files).unwrap();
    let m = messages(&imported);
    assert_eq!(m.len(), 4, "{m:?}");
    let has = |start: &str, part: &str| m.iter().any(|x| x.starts_with(start) && x.contains(part));
    assert!(
        has(
            "fruit/lemons/notes.txt:",
            "is not an image this app reads (PNG, JPEG, WebP, GIF or BMP)"
        ),
        "{m:?}"
    );
    assert!(
        has("fruit/lemons/half.png:", "damaged or truncated"),
        "{m:?}"
    );
    assert!(
        has(
            "fruit/plums/huge.png:",
            "is 20000 × 20000 pixels (400 megapixels)"
        ),
        "{m:?}"
    );
    assert!(
        has("fruit/stray.jpg:", "is not inside a class folder"),
        "{m:?}"
    );
    let d = &imported.dataset;
    assert_eq!(
        d.train.len() + d.test.len(),
        good,
        "every good image loaded"
    );
}

#[test]
fn a_class_with_no_readable_image_is_left_out_by_name() {
    let mut files = generated_files(4, 3);
    files.push(("fruit/kiwis/readme.txt".into(), b"todo".to_vec()));
    let imported = import(files).unwrap();
    assert_eq!(imported.dataset.class_names, ["lemons", "limes", "plums"]);
    let m = messages(&imported);
    assert!(
        m.iter()
            .any(|x| x.starts_with("kiwis/: this class has no images")),
        "{m:?}"
    );
}

#[test]
fn a_folder_no_classifier_can_learn_from_is_refused_with_its_reason() {
    let refused = |files: Vec<(String, Vec<u8>)>| import(files).unwrap_err().to_string();
    let one = generated_files(3, 1)
        .into_iter()
        .filter(|(p, _)| p.contains("lemons"))
        .collect();
    assert!(refused(one).contains("found one class ('lemons')"));
    assert!(refused(Vec::new()).contains("no files found"));
    let loose = vec![("a.png".to_string(), vec![1u8])];
    assert!(refused(loose).contains("no class folders"));
    let many: Vec<(String, Vec<u8>)> = (0..101).map(|i| (format!("c{i}/x.png"), vec![])).collect();
    assert!(refused(many).contains("found 101 class folders; a dataset may have at most 100"));
    // Only one class readable: the others hold no images.
    let mut files: Vec<(String, Vec<u8>)> = generated_files(3, 1)
        .into_iter()
        .filter(|(p, _)| p.contains("lemons"))
        .collect();
    files.push(("fruit/plums/a.txt".into(), b"no".to_vec()));
    let e = refused(files);
    assert!(
        e.contains("only 1 class has images that could be read"),
        "{e}"
    );
    assert!(e.contains("fruit/plums/a.txt: is not an image"), "{e}");
}

#[test]
fn colliding_names_keep_the_first_and_name_the_other() {
    let mut files = generated_files(3, 4);
    let copy: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|(p, _)| p.contains("/limes/"))
        .map(|(p, b)| (p.replace("/limes/", "/Limes/"), b.clone()))
        .collect();
    files.extend(copy);
    let imported = import(files).unwrap();
    assert_eq!(imported.dataset.class_names, ["Limes", "lemons", "plums"]);
    let m = messages(&imported);
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m[0].contains("its class folder 'limes' collides with the class 'Limes'"),
        "{m:?}"
    );
}

#[test]
fn the_budget_is_checked_before_anything_is_decoded() {
    // 6 000 images of 128×128×3 are 295 MB: refused from their paths alone.
    let paths: Vec<String> = (0..6000).map(|i| format!("c{}/{i}.png", i % 2)).collect();
    let big = ImportOptions {
        side: 128,
        ..ImportOptions::default()
    };
    let e = Importer::new("big", &paths, big).err().unwrap().to_string();
    assert!(e.contains("6 000 images of 128×128×3 take"), "{e}");
    assert!(e.contains("over the 256 MB this app holds"), "{e}");
    let tiny = ImportOptions {
        side: 4,
        ..ImportOptions::default()
    };
    let e = Importer::new("tiny", &paths[..4], tiny)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("the image size must be 8 to 128 pixels"), "{e}");
}

/// A zip of `entries` (name, content, declared inflated size, deflate?).
fn zip_of(entries: &[(&str, &[u8], Option<u32>, bool)]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for (name, bytes, declared, deflate) in entries {
        let data = if *deflate {
            let mut e = DeflateEncoder::new(Vec::new(), Compression::default());
            e.write_all(bytes).unwrap();
            e.finish().unwrap()
        } else {
            bytes.to_vec()
        };
        let offset = out.len() as u32;
        let header = |o: &mut Vec<u8>| {
            o.extend_from_slice(&20u16.to_le_bytes());
            o.extend_from_slice(&0u16.to_le_bytes());
            o.extend_from_slice(&(if *deflate { 8u16 } else { 0 }).to_le_bytes());
            o.extend_from_slice(&[0; 4]);
            o.extend_from_slice(&crc32(bytes).to_le_bytes());
            o.extend_from_slice(&(data.len() as u32).to_le_bytes());
            o.extend_from_slice(&declared.unwrap_or(bytes.len() as u32).to_le_bytes());
            o.extend_from_slice(&(name.len() as u16).to_le_bytes());
            o.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        header(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes());
        header(&mut central);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let start = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out
}

#[test]
fn a_zip_loads_like_the_folder_and_a_zip_bomb_is_named_not_inflated() {
    let files = generated_files(5, 5);
    let mut entries: Vec<(&str, &[u8], Option<u32>, bool)> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice(), None, true))
        .collect();
    let from_zip = import_zip(
        "fruit.zip",
        &zip_of(&entries),
        ImportOptions::default(),
        |_, _| {},
    )
    .unwrap();
    let from_folder = import(files.clone()).unwrap();
    assert_eq!(from_zip.dataset.train, from_folder.dataset.train);
    assert_eq!(from_zip.dataset.test, from_folder.dataset.test);
    // A bomb that declares its size (1 GiB of zeros would be; 100 MiB here) is refused
    // before inflating; one that lies stops at the size it declared.
    let zeros = vec![0u8; 100 << 20];
    entries.push(("fruit/lemons/bomb.png", &zeros, None, true));
    entries.push(("fruit/plums/liar.png", &zeros, Some(1000), true));
    entries.push((files[2].0.as_str(), b"again", None, false));
    let mut progress = Vec::new();
    let bombed = import_zip(
        "fruit.zip",
        &zip_of(&entries),
        ImportOptions::default(),
        |d, n| progress.push((d, n)),
    )
    .unwrap();
    let m = messages(&bombed);
    assert_eq!(m.len(), 3, "{m:?}");
    assert!(
        m.iter()
            .any(|x| x.starts_with("fruit/lemons/bomb.png: declares 100 MiB inflated")),
        "{m:?}"
    );
    assert!(
        m.iter().any(|x| x
            .starts_with("fruit/plums/liar.png: inflates to more than the 1000 bytes it declares")),
        "{m:?}"
    );
    let twice = format!("{}: appears twice in the zip", files[2].0);
    assert!(m.iter().any(|x| x.starts_with(&twice)), "{m:?}");
    assert_eq!(
        bombed.dataset.train, from_folder.dataset.train,
        "the good images all load"
    );
    assert_eq!(progress.last(), Some(&(17, 17)));
    // Not a zip, or cut short.
    let e = import_zip(
        "x.zip",
        b"PK but not really",
        ImportOptions::default(),
        |_, _| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("x.zip: not a zip archive"), "{e}");
    let whole = zip_of(&entries[..3]);
    let e = import_zip(
        "cut.zip",
        &whole[..whole.len() / 2],
        ImportOptions::default(),
        |_, _| {},
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("cut.zip: not a zip archive"), "{e}");
}
