//! What a query reads of an event: the [`Need`] it is pruned by.

use serde_json::Value;

use super::program::{Expr, Operand, Path, Program, Segment, Selector};
use super::walk::{compare, Val};
use crate::read::{Members, Need};

impl Program {
    /// What of an event the query reads, with `leaf` kept of what it selects.
    pub(crate) fn need(&self, leaf: Need) -> Need {
        let mut root = Need::Shallow;
        let mut need = segments_need(&self.segments, leaf, &mut root);
        need.merge(root);
        need
    }
}

/// How many elements a slice may name for its need to list them one by one.
const MAX_SLICE_INDEXES: i64 = 1024;

/// The indexes a slice selects whatever the array's length, when its start
/// and end are known places from the front and few enough to list.
fn slice_indexes(
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
) -> Option<impl Iterator<Item = usize>> {
    let (start, end, step) = (start.unwrap_or(0), end?, step.unwrap_or(1));
    if start < 0 || end < 0 || step <= 0 || (end - start) / step > MAX_SLICE_INDEXES {
        return None;
    }
    let start = usize::try_from(start).ok()?;
    let end = usize::try_from(end).ok()?;
    Some((start..end).step_by(usize::try_from(step).ok()?))
}

/// What `segments` read, with `leaf` kept of what they select; what
/// absolute queries in their filters read is added to `root`.
fn segments_need(segments: &[Segment], leaf: Need, root: &mut Need) -> Need {
    segments.iter().rev().fold(leaf, |inner, segment| {
        let mut members = Members::read();
        for selector in segment.iter() {
            match selector {
                Selector::Name(name) => members.names.add(name.clone(), inner.clone()),
                Selector::Index(index) => match usize::try_from(*index) {
                    Ok(index) => members.add_index(index, inner.clone()),
                    Err(_) => {
                        members.add_every(inner.clone());
                        members.by_position = true;
                    }
                },
                Selector::Wildcard => members.add_every(inner.clone()),
                Selector::Slice(start, end, step) => match slice_indexes(*start, *end, *step) {
                    // A slice between known indexes reads those elements.
                    Some(indexes) => {
                        indexes.for_each(|index| members.add_index(index, inner.clone()))
                    }
                    // One counted from the end reads by places not known until the array is read.
                    None => {
                        members.add_every(inner.clone());
                        members.by_position = true;
                    }
                },
                Selector::Filter(expr) => {
                    let mut each = inner.clone();
                    each.merge(expr_need(expr, root));
                    if let (Need::Members(each), Some(false)) = (&mut each, on_scalar(expr)) {
                        // No scalar passes the filter: none needs keeping.
                        each.members_only = true;
                    }
                    members.add_every(each);
                }
            }
        }
        Need::Members(Box::new(members))
    })
}

/// Whether a filter passes a scalar, when that is known without the scalar:
/// a scalar has no members, so `@.type` is nothing on it and `@.type == 'x'`
/// false, whatever the scalar is.
fn on_scalar(expr: &Expr) -> Option<bool> {
    match expr {
        Expr::Or(items) => {
            let all: Vec<Option<bool>> = items.iter().map(on_scalar).collect();
            if all.contains(&Some(true)) {
                Some(true)
            } else {
                all.iter().all(|item| *item == Some(false)).then_some(false)
            }
        }
        Expr::And(items) => {
            let all: Vec<Option<bool>> = items.iter().map(on_scalar).collect();
            if all.contains(&Some(false)) {
                Some(false)
            } else {
                all.iter().all(|item| *item == Some(true)).then_some(true)
            }
        }
        Expr::Not(inner) => on_scalar(inner).map(|passes| !passes),
        Expr::Exists(path) => member_of_current(path).then_some(false),
        Expr::Regex(operand, _) => {
            matches!(operand_on_scalar(operand), Some(None)).then_some(false)
        }
        Expr::Compare(op, left, right) => {
            let (Some(left), Some(right)) = (operand_on_scalar(left), operand_on_scalar(right))
            else {
                return None;
            };
            Some(compare(*op, &known(left), &known(right)))
        }
    }
}

/// A filter value known without the scalar it is tested on.
enum Known<'p> {
    Value(&'p Value),
    Zero,
}

/// A known filter value as the comparison takes it.
fn known(value: Option<Known<'_>>) -> Val<'_> {
    match value {
        None => Val::Nothing,
        Some(Known::Value(value)) => Val::Node(value),
        Some(Known::Zero) => Val::Number(0),
    }
}

/// An operand's value on any scalar: `Some(None)` for nothing, `None` when
/// it depends on the scalar or on the rest of the event.
fn operand_on_scalar(operand: &Operand) -> Option<Option<Known<'_>>> {
    match operand {
        Operand::Literal(value) => Some(Some(Known::Value(value))),
        Operand::Node(path) => member_of_current(path).then_some(None),
        Operand::Length(inner) => match operand_on_scalar(inner)? {
            None => Some(None),
            Some(_) => None,
        },
        Operand::Count(path) => member_of_current(path).then_some(Some(Known::Zero)),
    }
}

/// Whether a query reads members of the node a filter tests (`@.a`, not `@` or `$.a`).
fn member_of_current(path: &Path) -> bool {
    path.relative && !path.segments.is_empty()
}

/// What a filter reads of the node it tests (its relative queries); its
/// absolute queries' reads are added to `root`.
fn expr_need(expr: &Expr, root: &mut Need) -> Need {
    // Nothing yet: a filter that reads only members keeps no scalar.
    let mut need = Need::Members(Box::new(Members::read()));
    let mut add = |path: &Path, leaf: Need, root: &mut Need, need: &mut Need| {
        let read = segments_need(&path.segments, leaf, root);
        if path.relative {
            need.merge(read);
        } else {
            root.merge(read);
        }
    };
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            for item in items.iter() {
                need.merge(expr_need(item, root));
            }
        }
        Expr::Not(inner) => need.merge(expr_need(inner, root)),
        Expr::Exists(path) => add(path, Need::Shallow, root, &mut need),
        Expr::Compare(_, left, right) => {
            // Compared with a literal, a node is read as a scalar (an array or
            // object equals no literal, and is less than none); with another
            // node, by its contents.
            let literal = |o: &Operand| matches!(o, Operand::Literal(_));
            for (operand, other) in [(left, right), (right, left)] {
                let leaf = if literal(other) {
                    Need::Shallow
                } else {
                    Need::All
                };
                operand_need(operand, leaf, root, &mut need, &mut add);
            }
        }
        Expr::Regex(operand, _) => {
            operand_need(operand, Need::Shallow, root, &mut need, &mut add);
        }
    }
    need
}

/// What an operand reads: a node as `leaf` says, a measured one whole, a
/// counted query's nodes only as nodes.
fn operand_need(
    operand: &Operand,
    leaf: Need,
    root: &mut Need,
    need: &mut Need,
    add: &mut impl FnMut(&Path, Need, &mut Need, &mut Need),
) {
    match operand {
        Operand::Literal(_) => {}
        Operand::Node(path) => add(path, leaf, root, need),
        Operand::Length(inner) => operand_need(inner, Need::All, root, need, add),
        Operand::Count(path) => add(path, Need::Shallow, root, need),
    }
}
