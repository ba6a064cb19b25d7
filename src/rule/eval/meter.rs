//! The event's work budget, shared by every query evaluated for it.

use std::cell::Cell;

use serde_json::Value;

use super::program::{Program, Stop, WORK_PER_EVENT};
use super::walk::Walk;

thread_local! {
    /// The running event's work budget (`None`: no event is metered, each
    /// evaluation has [`WORK_PER_EVENT`] of its own), and the query that ran
    /// out of it first, with the rule it was tried for.
    static LEFT: Cell<Option<u64>> = const { Cell::new(None) };
    static OVERRUN: Cell<Option<Overrun>> = const { Cell::new(None) };
}

/// A query that ran out of its event's work budget.
#[derive(Debug)]
pub(crate) struct Overrun {
    /// The query, as written.
    pub(crate) query: Box<str>,
    /// The rule it was evaluated for, once known.
    pub(crate) rule: Option<Box<str>>,
}

/// Runs `f` with `budget` as the work every query it evaluates shares; the
/// query that ran out of it, if one did.
pub(crate) fn metered<R>(budget: u64, f: impl FnOnce() -> R) -> (R, Option<Overrun>) {
    let mut meter = Meter::new(budget);
    let result = meter.run(f);
    (result, meter.overrun)
}

/// An event's work budget carried between the stretches of work it pays
/// for (the classification, then the rest of the plan), as if they were one
/// [`metered`] run: what is left, and the query that ran out of it first.
#[derive(Debug)]
pub(crate) struct Meter {
    left: u64,
    overrun: Option<Overrun>,
}

impl Meter {
    /// A budget of `budget`, none of it spent.
    pub(crate) fn new(budget: u64) -> Self {
        Self {
            left: budget,
            overrun: None,
        }
    }

    /// Runs `f` on what is left of the budget, and keeps what it leaves.
    pub(crate) fn run<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let outer = (
            LEFT.replace(Some(self.left)),
            OVERRUN.replace(self.overrun.take()),
        );
        let result = f();
        self.overrun = OVERRUN.replace(outer.1);
        self.left = LEFT.replace(outer.0).unwrap_or(0);
        result
    }

    /// Whether a query has run out of the budget.
    pub(crate) fn ran_out(&self) -> bool {
        self.overrun.is_some()
    }

    /// The query that ran out of the budget, if one did.
    pub(crate) fn into_overrun(self) -> Option<Overrun> {
        self.overrun
    }
}

/// Names `rule` as the one a query ran out of budget for, unless one is named.
pub(crate) fn blame(rule: &str) {
    if let Some(mut overrun) = OVERRUN.take() {
        overrun.rule.get_or_insert_with(|| rule.into());
        OVERRUN.set(Some(overrun));
    }
}

/// Runs one evaluation on the running event's budget; `false` when it ran out.
fn metered_run<'v>(
    text: &str,
    root: &'v Value,
    run: impl FnOnce(&mut Walk<'v>) -> Result<(), Stop>,
) -> bool {
    let scoped = LEFT.get();
    let mut walk = Walk {
        root,
        left: scoped.unwrap_or(WORK_PER_EVENT),
    };
    let result = run(&mut walk);
    match result {
        Ok(()) | Err(Stop::Enough) => {
            if scoped.is_some() {
                LEFT.set(Some(walk.left));
            }
            true
        }
        Err(Stop::Exhausted) => {
            if scoped.is_some() {
                LEFT.set(Some(0));
            }
            let overrun = OVERRUN.take().unwrap_or_else(|| Overrun {
                query: text.into(),
                rule: None,
            });
            OVERRUN.set(Some(overrun));
            false
        }
    }
}

impl Program {
    /// Whether any node the query selects passes `test`.
    pub(crate) fn any(
        &self,
        json: &Value,
        text: &str,
        mut test: impl FnMut(&Value) -> bool,
    ) -> bool {
        let mut found = false;
        metered_run(text, json, |walk| {
            walk.run(&self.segments, json, &mut |node| {
                if test(node) {
                    found = true;
                    return Err(Stop::Enough);
                }
                Ok(())
            })
        });
        found
    }

    /// The first node the query selects, and whether there is a second.
    pub(crate) fn first<'v>(&self, json: &'v Value, text: &str) -> (Option<&'v Value>, bool) {
        let mut first = None;
        let mut more = false;
        let done = metered_run(text, json, |walk| {
            walk.run(&self.segments, json, &mut |node| {
                if first.is_some() {
                    more = true;
                    return Err(Stop::Enough);
                }
                first = Some(node);
                Ok(())
            })
        });
        if !done {
            return (None, false);
        }
        (first, more)
    }

    /// Every node the query selects, in order; none when the budget ran out.
    pub(crate) fn select<'v>(&self, json: &'v Value, text: &str) -> Vec<&'v Value> {
        let mut nodes = Vec::new();
        let done = metered_run(text, json, |walk| {
            walk.run(&self.segments, json, &mut |node| {
                nodes.push(node);
                Ok(())
            })
        });
        if !done {
            nodes.clear();
        }
        nodes
    }
}
