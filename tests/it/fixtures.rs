//! The project's own corpus, `fixtures/` and its expected-route table, shared by the test
//! modules. (The public repositories' samples are `tests/shared_events`'s corpus.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::corpus::Corpus;
pub use crate::corpus::Expected;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// `fixtures/` as a corpus, its table `fixtures/routes.toml`.
pub fn corpus() -> Corpus {
    Corpus::new(root(), root().join("routes.toml"))
}

/// Every `*.json` file under `fixtures/`, relative to it, sorted.
pub fn all() -> Vec<String> {
    corpus().all()
}

/// The expected-route table, keyed by fixture path.
pub fn expected() -> BTreeMap<String, Expected> {
    corpus().expected()
}

pub fn read(relative: &str) -> Vec<u8> {
    corpus().read(relative)
}
