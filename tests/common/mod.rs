//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use trainer::data::{Builtin, Dataset};

/// A built-in dataset from the files `make data` serves under `www/data/{folder}`.
fn load(builtin: Builtin, folder: &str) -> Arc<Dataset> {
    let dir = format!("{}/www/data/{folder}", env!("CARGO_MANIFEST_DIR"));
    let files = builtin.files().map(|f| {
        std::fs::read(format!("{dir}/{f}"))
            .unwrap_or_else(|e| panic!("{dir}/{f}: {e} (run `make data` first)"))
    });
    Arc::new(builtin.assemble(files).unwrap())
}

/// Real MNIST (loaded once per test binary).
pub fn mnist() -> Arc<Dataset> {
    static MNIST: OnceLock<Arc<Dataset>> = OnceLock::new();
    MNIST.get_or_init(|| load(Builtin::Mnist, "mnist")).clone()
}

/// Real Fashion-MNIST, like [`mnist`].
pub fn fashion() -> Arc<Dataset> {
    static FASHION: OnceLock<Arc<Dataset>> = OnceLock::new();
    FASHION
        .get_or_init(|| load(Builtin::FashionMnist, "fashion-mnist"))
        .clone()
}
