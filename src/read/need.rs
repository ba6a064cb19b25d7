//! What is kept of one JSON value when an event is read: a tree of the
//! members and elements that queries name ([`Needs`](super::Needs) gathers
//! it for a table, [`prune`](super::prune()) reads an event by it).

use std::collections::BTreeMap;

use super::step::Step;

/// What is kept of one JSON value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Need {
    /// The value if it is a scalar; an array or object only as an empty one.
    /// What a predicate or template at this place can see: they test
    /// strings, numbers, booleans and existence, never a container's insides.
    Shallow,
    /// The members and elements listed, each with its own need.
    Members(Box<Members>),
    /// All of it.
    All,
}

/// The parts of an array or object that are kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Members {
    pub(crate) names: Names,
    pub(crate) indexes: BTreeMap<usize, Need>,
    /// What every element and member value needs (a wildcard, or a negative
    /// index, which counts from an end not known until the array is read).
    /// Once settled, the named ones include it.
    pub(crate) every: Option<Need>,
    /// Whether only the members are read, never the value itself when it is
    /// a scalar (`$.a.b` reads `a` for its `b`): such a scalar is not kept.
    pub(crate) members_only: bool,
    /// Whether `every` reads elements by position (a negative index, a
    /// slice), so that an array keeps the place of an element it drops.
    pub(crate) by_position: bool,
}

impl Members {
    /// Members read for what they hold, as a query step reads them.
    pub(crate) fn read() -> Self {
        Self {
            members_only: true,
            ..Self::default()
        }
    }

    /// Adds what element `index` needs.
    pub(crate) fn add_index(&mut self, index: usize, need: Need) {
        match self.indexes.entry(index) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(need);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => slot.get_mut().merge(need),
        }
    }

    /// Adds what every element and member value needs.
    pub(crate) fn add_every(&mut self, need: Need) {
        match &mut self.every {
            Some(every) => every.merge(need),
            None => self.every = Some(need),
        }
    }
}

impl Need {
    /// What keeping `leaf` at the end of a plain query's `steps` needs.
    pub(crate) fn of_steps(steps: &[Step], leaf: Need) -> Need {
        steps.iter().rev().fold(leaf, |inner, step| {
            let mut members = Members::read();
            match step {
                Step::Name(name) => members.names.add(name.clone(), inner),
                Step::Index(index) => match usize::try_from(*index) {
                    Ok(index) => {
                        members.indexes.insert(index, inner);
                    }
                    Err(_) => {
                        members.every = Some(inner);
                        members.by_position = true;
                    }
                },
                Step::All => members.every = Some(inner),
            }
            Need::Members(Box::new(members))
        })
    }

    /// Whether this keeps the whole value.
    pub(crate) fn is_all(&self) -> bool {
        matches!(self, Need::All)
    }

    /// Adds what `other` keeps.
    pub(crate) fn merge(&mut self, other: Need) {
        match (&mut *self, other) {
            (Need::All, _) => {}
            // The value itself is read too: a scalar there is kept.
            (Need::Members(mine), Need::Shallow) => mine.members_only = false,
            (_, Need::Shallow) => {}
            (_, Need::All) => *self = Need::All,
            (Need::Shallow, Need::Members(mut members)) => {
                members.members_only = false;
                *self = Need::Members(members);
            }
            (Need::Members(mine), Need::Members(theirs)) => {
                let Members {
                    names,
                    indexes,
                    every,
                    members_only,
                    by_position,
                } = *theirs;
                mine.members_only &= members_only;
                mine.by_position |= by_position;
                for (name, need) in names.0 {
                    mine.names.add(name, need);
                }
                for (index, need) in indexes {
                    mine.add_index(index, need);
                }
                if let Some(need) = every {
                    mine.add_every(need);
                }
            }
        }
    }

    /// Gives each named member and index what every one needs too, so that
    /// pruning looks up one need per place.
    pub(crate) fn settle(&mut self) {
        if let Need::Members(members) = self {
            if let Some(every) = &mut members.every {
                every.settle();
                let every = every.clone();
                for need in members
                    .names
                    .values_mut()
                    .chain(members.indexes.values_mut())
                {
                    need.merge(every.clone());
                }
            }
            for need in members
                .names
                .values_mut()
                .chain(members.indexes.values_mut())
            {
                need.settle();
            }
        }
    }
}

/// Member names and their needs, sorted, for a binary search per member
/// of the event: cheaper than hashing each name of every object walked.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Names(Vec<(Box<str>, Need)>);

impl Names {
    /// The need of a member name.
    pub(crate) fn get(&self, name: &str) -> Option<&Need> {
        self.0
            .binary_search_by(|(key, _)| (**key).cmp(name))
            .ok()
            .and_then(|at| self.0.get(at))
            .map(|(_, need)| need)
    }

    /// Adds what member `name` needs.
    pub(crate) fn add(&mut self, name: Box<str>, need: Need) {
        match self.0.binary_search_by(|(key, _)| key.cmp(&name)) {
            Ok(at) => self.0[at].1.merge(need),
            Err(at) => self.0.insert(at, (name, need)),
        }
    }

    /// The need of `name`, added as [`Need::Shallow`] if new.
    #[cfg(test)]
    fn entry(&mut self, name: Box<str>) -> &mut Need {
        let at = match self.0.binary_search_by(|(key, _)| key.cmp(&name)) {
            Ok(at) => at,
            Err(at) => {
                self.0.insert(at, (name, Need::Shallow));
                at
            }
        };
        &mut self.0[at].1
    }

    /// Names that each keep their shallow value.
    #[cfg(test)]
    pub(crate) fn of<const N: usize>(names: [&str; N]) -> Self {
        let mut all = Self::default();
        for name in names {
            all.entry(name.into());
        }
        all
    }

    pub(crate) fn values(&self) -> impl Iterator<Item = &Need> {
        self.0.iter().map(|(_, need)| need)
    }

    pub(crate) fn values_mut(&mut self) -> impl Iterator<Item = &mut Need> {
        self.0.iter_mut().map(|(_, need)| need)
    }
}
