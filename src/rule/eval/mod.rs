//! The general JSONPath evaluator (RFC 9535), for queries that are more than
//! names, indexes and wildcards: slices, unions and filters.
//!
//! Its cost is bounded twice over. When the rules load, a query with a
//! descendant segment (`..`) is refused: it reads every node at every depth,
//! so what it costs, and what of the event must be built for it, grows with
//! the event's nesting rather than with what the rule names; and a
//! `match()` or `search()` pattern must be a string literal, compiled then,
//! once. While an event is handled, every node a query visits is paid for
//! from the event's work budget ([`metered`]): a query that runs out selects
//! nothing, and the plan refuses the event, naming the rule and the query.
//! Nodes are visited one at a time and handed on, never gathered between
//! segments, so a query holds nothing but what it selects.

mod compile;
mod meter;
mod program;
mod reads;
mod walk;

pub(crate) use meter::{blame, metered, Meter, Overrun};
pub(crate) use program::{budget, Program};
pub(crate) use walk::children;

#[cfg(test)]
mod tests;
