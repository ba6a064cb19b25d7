//! Any JSON, and any mutation of any fixture, through classify and synthesize:
//! no panic, every request valid, every event path under its rule's prefix
//! (the strategy and the check are in `mutations.rs`).
//!
//! The default case count suits CI; the full run is
//! `PROPTEST_CASES=100000 cargo test --release --test it fuzz::`.

use cloud_events_handler::{Config, Event, Handler};
use proptest::prelude::*;
use serde_json::Value;

use crate::fixtures;
use crate::mutations::{check, json_value, mutated};

/// Built once: compiling the rules is not what these tests are about.
static HANDLER: std::sync::LazyLock<Handler> =
    std::sync::LazyLock::new(|| Handler::new(Config::default()));
static FIXTURES: std::sync::LazyLock<Vec<Value>> = std::sync::LazyLock::new(|| {
    fixtures::expected()
        .into_keys()
        .map(|file| serde_json::from_slice(&fixtures::read(&file)).unwrap())
        .collect()
});

proptest! {
    #[test]
    fn any_json(value in json_value()) {
        check(&HANDLER, &Event::from_json(value))?;
    }

    #[test]
    fn any_mutation_of_any_fixture(pick in any::<prop::sample::Index>(), at in any::<prop::sample::Index>(), replacement in json_value()) {
        check(&HANDLER, &Event::from_json(mutated(&FIXTURES, pick, at, replacement)))?;
    }
}
