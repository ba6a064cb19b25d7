//! Access to `fixtures/` and its expected-route table, shared by the test modules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One row of `fixtures/routes.toml`.
#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub rule: String,
    pub kind: String,
    pub path: Option<String>,
    /// The `errorType` of ceh's refusal, for an event it refuses.
    pub refused: Option<String>,
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every `*.json` file under `fixtures/`, relative to it, sorted.
pub fn all() -> Vec<String> {
    fn walk(dir: &Path, base: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, base, out);
            } else if path.extension().is_some_and(|e| e == "json") {
                let relative = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), &root(), &mut out);
    out.sort();
    out
}

/// The expected-route table, keyed by fixture path.
pub fn expected() -> BTreeMap<String, Expected> {
    let text = std::fs::read_to_string(root().join("routes.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

pub fn read(relative: &str) -> Vec<u8> {
    std::fs::read(root().join(relative)).unwrap()
}
