//! The steps of a plain query: what both walks take, over a parsed `Value`
//! (the rule format's queries) and over the event's bytes ([`select`](super::select)),
//! and what [`Need::of_steps`](super::Need::of_steps) keeps for them.

/// One step of a query that has only names, indexes and wildcards.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// `.name` or `['name']`: an object's member.
    Name(Box<str>),
    /// `[index]`: an array's element; a negative index counts from the end.
    Index(i64),
    /// `[*]` or `.*`: every element of an array, every member value of an object.
    All,
}
