//! Replays the fuzzers' findings: every input under `fuzz/corpus/<target>/` (the minimised
//! corpus) and `fuzz/regressions/<target>/` (every crash or timeout ever found, kept after
//! its fix) goes through the target's body in `trainer::fuzz`, which must return. So a
//! fixed crash stays fixed without a fuzzer installed (see fuzz/README.md).

use std::path::Path;

/// Runs `body` on every file of the target's corpus and regressions; returns how many.
fn replay(target: &str, body: fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut count = 0;
    for kind in ["corpus", "regressions"] {
        let dir = root.join(kind).join(target);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths.iter().filter(|p| p.is_file()) {
            let bytes = std::fs::read(path).unwrap();
            let started = std::time::Instant::now();
            let outcome = std::panic::catch_unwind(|| body(&bytes));
            assert!(
                outcome.is_ok(),
                "fuzz target {target} panicked on {}",
                path.display()
            );
            assert!(
                started.elapsed().as_secs() < 5,
                "fuzz target {target} took {:?} on {}",
                started.elapsed(),
                path.display()
            );
            count += 1;
        }
    }
    println!("{target}: replayed {count} inputs");
    assert!(count > 0, "no inputs for the fuzz target {target}");
    count
}

#[test]
fn idx_inputs_replay() {
    replay("idx", trainer::fuzz::idx);
}

#[test]
fn gzip_inputs_replay() {
    replay("gzip", trainer::fuzz::gzip);
}

#[test]
fn model_file_inputs_replay() {
    replay("model_file", trainer::fuzz::model_file);
}

#[test]
fn link_inputs_replay() {
    replay("link", trainer::fuzz::link);
}

#[test]
fn onnx_inputs_replay() {
    replay("onnx", trainer::fuzz::onnx);
}
