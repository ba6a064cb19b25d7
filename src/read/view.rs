//! An event's cache of what rule tables read of its JSON: each view built
//! at most once per event, and known by the table (and rule) it was built for.

use std::sync::OnceLock;

use serde_json::Value;

/// Which table, and which of its rules, a view was built for.
///
/// A table's [`Needs`](super::Needs) differ from another's, and a matched
/// rule's from the table's: a view answers only the key it was built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ViewKey {
    /// The table, by its [`Needs::key`](super::Needs::key): unique per table
    /// built, shared by its clones.
    pub(crate) table: u64,
    /// The rule's position in the table (the fallback after the rules);
    /// 0 for classification's view, which no one rule owns.
    pub(crate) rule: usize,
}

impl ViewKey {
    /// The key of what table `table`'s classification reads.
    pub(crate) fn classify(table: u64) -> Self {
        Self { table, rule: 0 }
    }
}

/// Which of an event's views of its JSON.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ViewSlot {
    /// What classification reads.
    Classify = 0,
    /// What the matched rule reads, when more.
    Matched = 1,
}

/// An event's views of its JSON, one per [`ViewSlot`], each built once.
#[derive(Debug, Default)]
pub(crate) struct Views([OnceLock<View>; 2]);

/// Part of an event's JSON, and the key it was built for.
#[derive(Clone, Debug)]
struct View {
    key: ViewKey,
    json: Value,
}

impl Views {
    /// Views holding `json` in `slot`, built for `key`.
    pub(crate) fn with(slot: ViewSlot, key: ViewKey, json: Value) -> Self {
        let views = Self::default();
        let _ = views.0[slot as usize].set(View { key, json });
        views
    }

    /// The view in `slot`, built by `build` from `bytes` the first time the
    /// slot is asked for; `None` when the slot holds another key's view, or
    /// `build` found no JSON.
    pub(crate) fn get(
        &self,
        slot: ViewSlot,
        key: ViewKey,
        bytes: &[u8],
        build: impl FnOnce(&[u8]) -> Option<Value>,
    ) -> Option<&Value> {
        let cell = &self.0[slot as usize];
        if cell.get().is_none() {
            if let Some(json) = build(bytes) {
                let _ = cell.set(View { key, json });
            }
        }
        cell.get()
            .filter(|view| view.key == key)
            .map(|view| &view.json)
    }
}
