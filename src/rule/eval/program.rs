//! A compiled query: its segments, selectors and filter expressions.

use regex::Regex;
use serde_json::Value;

/// The work an event may cost, in nodes visited: this much, plus
/// [`WORK_PER_BYTE`] for each byte of the event.
pub(crate) const WORK_PER_EVENT: u64 = 1 << 20;

/// The work an event may cost for each of its bytes.
pub(crate) const WORK_PER_BYTE: u64 = 4;

/// The most bytes a compiled `match()` or `search()` pattern may take.
pub(super) const MAX_REGEX_BYTES: usize = 1 << 20;

/// The work budget for an event (or record) of `bytes` bytes.
pub(crate) fn budget(bytes: usize) -> u64 {
    WORK_PER_EVENT.saturating_add(WORK_PER_BYTE.saturating_mul(bytes as u64))
}

/// A query the general evaluator answers, compiled.
#[derive(Debug)]
pub(crate) struct Program {
    pub(super) segments: Box<[Segment]>,
}

/// A child segment: the union of its selectors, in order.
pub(super) type Segment = Box<[Selector]>;

#[derive(Debug)]
pub(super) enum Selector {
    Name(Box<str>),
    Index(i64),
    Wildcard,
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Filter(Box<Expr>),
}

/// A filter expression.
#[derive(Debug)]
pub(super) enum Expr {
    Or(Box<[Expr]>),
    And(Box<[Expr]>),
    Not(Box<Expr>),
    /// The query selects at least one node.
    Exists(Path),
    Compare(Op, Operand, Operand),
    /// `match()` (anchored when compiled) or `search()`.
    Regex(Operand, Box<Regex>),
}

#[derive(Clone, Copy, Debug)]
pub(super) enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A query inside a filter, from the current node (`@`) or the root (`$`).
#[derive(Debug)]
pub(super) struct Path {
    pub(super) relative: bool,
    pub(super) segments: Box<[Segment]>,
}

/// A value a filter compares or passes to a function.
#[derive(Debug)]
pub(super) enum Operand {
    Literal(Value),
    /// The one node a query selects; nothing when it selects none or several.
    Node(Path),
    Length(Box<Operand>),
    Count(Path),
}

/// Why evaluation stopped early.
#[derive(Debug)]
pub(super) enum Stop {
    /// The caller has what it wanted.
    Enough,
    /// The work budget ran out.
    Exhausted,
}

/// What a compiled query may not contain, said so that the rule's author knows what to write.
pub(super) fn refused(what: &str) -> String {
    format!("{what}; ceh evaluates names, indexes, wildcards, slices and filters, with a bound on the work each event may cost")
}
