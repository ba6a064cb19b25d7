//! What the rules read, pruned from the bytes: the fast read path.
//!
//! An event is routed by the few values its rules name, not by all of its
//! JSON. This room holds what that read is made of, none of it knowing the
//! rule format: the tree of what is kept of a JSON value ([`Need`]) and a
//! table's needs ([`Needs`]), the one pass that checks an event's bytes and
//! builds only what a need keeps ([`prune()`]), the plain query steps walked
//! over the bytes ([`select`]), the event's cache of what it has built for a
//! table ([`Views`], keyed by [`ViewKey`]), and the index that picks the rules
//! worth trying ([`Dispatch`]).
//!
//! Imports point one way: the rule format (`rule/`) imports this room, as
//! its compiled parts declare what they read as [`Need`]s
//! (`rule::reads`); this room never imports the rules. [`Event`](crate::Event)
//! imports it too, for its check and its views.

/// A visitor's methods for the scalars, each taken and left: what a pass
/// over the bytes does with a value it only has to get past.
macro_rules! pass_over_scalars {
    () => {
        fn visit_bool<E>(self, _: bool) -> Result<(), E> {
            Ok(())
        }
        fn visit_i64<E>(self, _: i64) -> Result<(), E> {
            Ok(())
        }
        fn visit_u64<E>(self, _: u64) -> Result<(), E> {
            Ok(())
        }
        fn visit_f64<E>(self, _: f64) -> Result<(), E> {
            Ok(())
        }
        fn visit_str<E>(self, _: &str) -> Result<(), E> {
            Ok(())
        }
        fn visit_unit<E>(self) -> Result<(), E> {
            Ok(())
        }
    };
}

mod check;
mod dispatch;
mod need;
mod needs;
mod prune;
mod raw;
mod step;
mod view;

pub(crate) use check::check;
pub(crate) use dispatch::{Dispatch, Gates, Lookup};
pub(crate) use need::{Members, Need};
pub(crate) use needs::{Needs, RuleReads};
pub(crate) use prune::prune;
pub(crate) use raw::select;
pub(crate) use step::Step;
pub(crate) use view::{ViewKey, ViewSlot, Views};
