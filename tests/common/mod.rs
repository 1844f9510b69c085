//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Arc, OnceLock};

use trainer::data::{Builtin, Dataset};

/// Real MNIST, from the files `make data` serves (loaded once per test binary).
pub fn mnist() -> Arc<Dataset> {
    static MNIST: OnceLock<Arc<Dataset>> = OnceLock::new();
    MNIST
        .get_or_init(|| {
            let dir = format!("{}/www/data/mnist", env!("CARGO_MANIFEST_DIR"));
            let files = Builtin::Mnist.files().map(|f| {
                std::fs::read(format!("{dir}/{f}"))
                    .unwrap_or_else(|e| panic!("{dir}/{f}: {e} (run `make data` first)"))
            });
            Arc::new(Builtin::Mnist.assemble(files).unwrap())
        })
        .clone()
}

/// Real Fashion-MNIST, like [`mnist`].
pub fn fashion() -> Arc<Dataset> {
    static FASHION: OnceLock<Arc<Dataset>> = OnceLock::new();
    FASHION
        .get_or_init(|| {
            let dir = format!("{}/www/data/fashion-mnist", env!("CARGO_MANIFEST_DIR"));
            let files = Builtin::FashionMnist.files().map(|f| {
                std::fs::read(format!("{dir}/{f}"))
                    .unwrap_or_else(|e| panic!("{dir}/{f}: {e} (run `make data` first)"))
            });
            Arc::new(Builtin::FashionMnist.assemble(files).unwrap())
        })
        .clone()
}
