//! Walking an event node by node, paying for each node from the budget.

use serde_json::Value;

use super::program::{Expr, Op, Operand, Path, Segment, Selector, Stop};

/// One evaluation's walk: the root `$` reads, and the work it has left.
pub(super) struct Walk<'v> {
    pub(super) root: &'v Value,
    pub(super) left: u64,
}

/// What a filter reads of a node: nothing, the node, or a computed number.
pub(super) enum Val<'a> {
    Nothing,
    Node(&'a Value),
    Number(u64),
}

pub(super) type Emit<'e, 'v> = &'e mut dyn FnMut(&'v Value) -> Result<(), Stop>;

impl<'v> Walk<'v> {
    fn spend(&mut self, work: u64) -> Result<(), Stop> {
        self.left = self.left.checked_sub(work).ok_or(Stop::Exhausted)?;
        Ok(())
    }

    /// Hands every node `segments` select from `node` to `emit`, in order.
    pub(super) fn run(
        &mut self,
        segments: &[Segment],
        node: &'v Value,
        emit: Emit<'_, 'v>,
    ) -> Result<(), Stop> {
        self.spend(1)?;
        let Some((segment, rest)) = segments.split_first() else {
            return emit(node);
        };
        for selector in segment.iter() {
            match selector {
                Selector::Name(name) => {
                    if let Some(child) = node.as_object().and_then(|o| o.get(&**name)) {
                        self.run(rest, child, emit)?;
                    }
                }
                Selector::Index(index) => {
                    if let Some(child) = node.as_array().and_then(|a| at(a, *index)) {
                        self.run(rest, child, emit)?;
                    }
                }
                Selector::Wildcard => {
                    for child in children(node) {
                        self.run(rest, child, emit)?;
                    }
                }
                Selector::Slice(start, end, step) => {
                    if let Some(items) = node.as_array() {
                        for index in slice(*start, *end, *step, items.len()) {
                            if let Some(child) = items.get(index) {
                                self.run(rest, child, emit)?;
                            }
                        }
                    }
                }
                Selector::Filter(expr) => {
                    for child in children(node) {
                        self.spend(1)?;
                        if self.test(expr, child)? {
                            self.run(rest, child, emit)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn test(&mut self, expr: &Expr, current: &'v Value) -> Result<bool, Stop> {
        Ok(match expr {
            Expr::Or(items) => {
                for item in items.iter() {
                    if self.test(item, current)? {
                        return Ok(true);
                    }
                }
                false
            }
            Expr::And(items) => {
                for item in items.iter() {
                    if !self.test(item, current)? {
                        return Ok(false);
                    }
                }
                true
            }
            Expr::Not(inner) => !self.test(inner, current)?,
            Expr::Exists(path) => {
                let start = self.start(path, current);
                match self.run(&path.segments, start, &mut |_| Err(Stop::Enough)) {
                    Ok(()) => false,
                    Err(Stop::Enough) => true,
                    Err(Stop::Exhausted) => return Err(Stop::Exhausted),
                }
            }
            Expr::Compare(op, left, right) => {
                let left = self.value(left, current)?;
                let right = self.value(right, current)?;
                compare(*op, &left, &right)
            }
            Expr::Regex(value, regex) => match self.value(value, current)? {
                Val::Node(Value::String(text)) => {
                    // Matching is linear in the text: pay for it.
                    self.spend(1 + text.len() as u64 / 16)?;
                    regex.is_match(text)
                }
                _ => false,
            },
        })
    }

    fn start(&self, path: &Path, current: &'v Value) -> &'v Value {
        if path.relative {
            current
        } else {
            self.root
        }
    }

    fn value<'p>(&mut self, operand: &'p Operand, current: &'v Value) -> Result<Val<'p>, Stop>
    where
        'v: 'p,
    {
        Ok(match operand {
            Operand::Literal(value) => Val::Node(value),
            Operand::Node(path) => {
                let start = self.start(path, current);
                let mut first = None;
                let mut several = false;
                let run = self.run(&path.segments, start, &mut |node| {
                    if first.is_some() {
                        several = true;
                        return Err(Stop::Enough);
                    }
                    first = Some(node);
                    Ok(())
                });
                if let Err(Stop::Exhausted) = run {
                    return Err(Stop::Exhausted);
                }
                match (first, several) {
                    (Some(node), false) => Val::Node(node),
                    _ => Val::Nothing,
                }
            }
            Operand::Length(inner) => match self.value(inner, current)? {
                Val::Node(Value::String(text)) => Val::Number(text.chars().count() as u64),
                Val::Node(Value::Array(items)) => Val::Number(items.len() as u64),
                Val::Node(Value::Object(members)) => Val::Number(members.len() as u64),
                _ => Val::Nothing,
            },
            Operand::Count(path) => {
                let start = self.start(path, current);
                let mut count = 0;
                self.run(&path.segments, start, &mut |_| {
                    count += 1;
                    Ok(())
                })?;
                Val::Number(count)
            }
        })
    }
}

/// An array's element at `index`, counting from the end when negative.
fn at(items: &[Value], index: i64) -> Option<&Value> {
    let at = if index < 0 {
        items
            .len()
            .checked_sub(usize::try_from(index.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(index).ok()?
    };
    items.get(at)
}

/// An array's elements or an object's member values, in order; nothing for a scalar.
pub(crate) fn children(node: &Value) -> impl Iterator<Item = &Value> {
    let items = node.as_array().into_iter().flatten();
    let members = node
        .as_object()
        .into_iter()
        .flat_map(|members| members.values());
    items.chain(members)
}

/// The indexes a slice selects of an array of `len` elements, in order
/// (RFC 9535 §2.3.4.2.2), one at a time.
fn slice(
    start: Option<i64>,
    end: Option<i64>,
    step: Option<i64>,
    len: usize,
) -> impl Iterator<Item = usize> {
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let step = step.unwrap_or(1);
    let normalize = |i: i64| if i >= 0 { i } else { len.saturating_add(i) };
    let (mut next, bound) = if step >= 0 {
        let lower = normalize(start.unwrap_or(0)).clamp(0, len);
        let upper = normalize(end.unwrap_or(len)).clamp(0, len);
        (lower, upper)
    } else {
        let upper = normalize(start.unwrap_or(len - 1)).clamp(-1, len - 1);
        let lower = end.map_or(-1, |end| normalize(end).clamp(-1, len - 1));
        (upper, lower)
    };
    std::iter::from_fn(move || {
        let more = match step {
            0 => false,
            s if s > 0 => next < bound,
            _ => next > bound,
        };
        if !more {
            return None;
        }
        let index = usize::try_from(next).ok();
        next = next.saturating_add(step);
        index
    })
}

/// A comparison of two filter values (RFC 9535 §2.3.5.2.2).
pub(super) fn compare(op: Op, left: &Val<'_>, right: &Val<'_>) -> bool {
    match op {
        Op::Eq => equal(left, right),
        Op::Ne => !equal(left, right),
        Op::Lt => less(left, right),
        Op::Le => less(left, right) || equal(left, right),
        Op::Gt => less(right, left),
        Op::Ge => less(right, left) || equal(left, right),
    }
}

fn number(value: &Val<'_>) -> Option<f64> {
    match value {
        Val::Number(n) => Some(*n as f64),
        Val::Node(Value::Number(n)) => n.as_f64(),
        _ => None,
    }
}

fn equal(left: &Val<'_>, right: &Val<'_>) -> bool {
    match (left, right) {
        (Val::Nothing, Val::Nothing) => true,
        (Val::Nothing, _) | (_, Val::Nothing) => false,
        (Val::Node(a), Val::Node(b)) => same(a, b),
        _ => match (number(left), number(right)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    }
}

fn less(left: &Val<'_>, right: &Val<'_>) -> bool {
    if let (Some(a), Some(b)) = (number(left), number(right)) {
        return a < b;
    }
    match (left, right) {
        (Val::Node(Value::String(a)), Val::Node(Value::String(b))) => a < b,
        _ => false,
    }
}

/// JSON equality with numbers compared by value (`1` is `1.0`), at any depth.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(name, value)| y.get(name).is_some_and(|other| same(value, other)))
        }
        _ => a == b,
    }
}
