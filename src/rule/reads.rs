//! What a compiled rule reads of an event, declared once.
//!
//! Each part of a compiled rule that reads the event says what it reads by
//! [`Reads`], beside its own fields, which it takes apart in full: a field
//! added to a part, to [`Rule`](super::Rule), or a variant added to
//! [`Route`](super::Route) or [`EventReply`](super::EventReply), does not
//! compile until it says what it reads. The table builds its pruned read from
//! [`Rule::reads`](super::Rule::reads) alone
//! ([`Needs`](crate::read::Needs)), so what the pruned view holds and what
//! the rule reads cannot drift apart. `tests/it/reads.rs` walks every key the
//! rule format accepts (a key without a case there fails) and every built-in
//! rule on its fixtures: the pruned view must plan, send and reply what all
//! of the event's JSON does.

use http::HeaderName;

use super::template::{Part, Template};
use crate::read::{Members, Need};

/// A part of a compiled rule that reads the event.
pub(crate) trait Reads {
    /// Hands `add` each need this part has of the value it reads: the
    /// event, or each record for the parts of a batch rule's requests.
    fn reads(&self, add: &mut dyn FnMut(Need));
}

impl Reads for Template {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        for part in self.parts() {
            match part {
                Part::Value(query) => add(query.need(Need::Shallow)),
                Part::Literal(_) => {}
            }
        }
    }
}

impl<T: Reads> Reads for Option<T> {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        if let Some(part) = self {
            part.reads(add);
        }
    }
}

impl Reads for [(HeaderName, Template)] {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        for (_, template) in self {
            template.reads(add);
        }
    }
}

/// What checking a CloudEvent (`validate = "cloudevent"`) reads: every
/// top-level member, strings as they are, `data` only for what kind of
/// value it is.
pub(super) fn attributes() -> Need {
    Need::Members(Box::new(Members {
        every: Some(Need::Shallow),
        ..Members::default()
    }))
}
