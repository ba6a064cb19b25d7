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

use std::cell::Cell;

use jsonpath_rust::parser::model::Filter as JpFilter;
use jsonpath_rust::parser::model::{
    Comparable, Comparison, FilterAtom, FnArg, JpQuery, Literal, Segment as JpSegment,
    Selector as JpSelector, SingularQuery, SingularQuerySegment, Test, TestFunction,
};
use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::needs::{Members, Need};

/// The work an event may cost, in nodes visited: this much, plus
/// [`WORK_PER_BYTE`] for each byte of the event.
pub(crate) const WORK_PER_EVENT: u64 = 1 << 20;

/// The work an event may cost for each of its bytes.
pub(crate) const WORK_PER_BYTE: u64 = 4;

/// The most bytes a compiled `match()` or `search()` pattern may take.
const MAX_REGEX_BYTES: usize = 1 << 20;

/// The work budget for an event (or record) of `bytes` bytes.
pub(crate) fn budget(bytes: usize) -> u64 {
    WORK_PER_EVENT.saturating_add(WORK_PER_BYTE.saturating_mul(bytes as u64))
}

/// A query the general evaluator answers, compiled.
#[derive(Debug)]
pub(crate) struct Program {
    segments: Box<[Segment]>,
}

/// A child segment: the union of its selectors, in order.
type Segment = Box<[Selector]>;

#[derive(Debug)]
enum Selector {
    Name(Box<str>),
    Index(i64),
    Wildcard,
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Filter(Box<Expr>),
}

/// A filter expression.
#[derive(Debug)]
enum Expr {
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
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A query inside a filter, from the current node (`@`) or the root (`$`).
#[derive(Debug)]
struct Path {
    relative: bool,
    segments: Box<[Segment]>,
}

/// A value a filter compares or passes to a function.
#[derive(Debug)]
enum Operand {
    Literal(Value),
    /// The one node a query selects; nothing when it selects none or several.
    Node(Path),
    Length(Box<Operand>),
    Count(Path),
}

/// Why evaluation stopped early.
#[derive(Debug)]
enum Stop {
    /// The caller has what it wanted.
    Enough,
    /// The work budget ran out.
    Exhausted,
}

/// What a compiled query may not contain, said so that the rule's author knows what to write.
fn refused(what: &str) -> String {
    format!("{what}; ceh evaluates names, indexes, wildcards, slices and filters, with a bound on the work each event may cost")
}

impl Program {
    /// Compiles a parsed query; the error says what is refused and why.
    pub(crate) fn compile(query: &JpQuery) -> Result<Self, String> {
        Ok(Self {
            segments: segments(&query.segments)?,
        })
    }

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

    /// What of an event the query reads, with `leaf` kept of what it selects.
    pub(crate) fn need(&self, leaf: Need) -> Need {
        let mut root = Need::Shallow;
        let mut need = segments_need(&self.segments, leaf, &mut root);
        need.merge(root);
        need
    }
}

fn segments(segments: &[JpSegment]) -> Result<Box<[Segment]>, String> {
    segments
        .iter()
        .map(|segment| match segment {
            JpSegment::Descendant(_) => Err(refused(
                "a descendant segment `..` reads every node at every depth, so its cost grows with the event's nesting; name the path, or use a wildcard (`$.Records[*].eventSource`)",
            )),
            JpSegment::Selector(selector) => Ok(Box::from([self::selector(selector)?])),
            JpSegment::Selectors(selectors) => selectors.iter().map(selector).collect(),
        })
        .collect()
}

fn selector(selector: &JpSelector) -> Result<Selector, String> {
    Ok(match selector {
        JpSelector::Name(name) => Selector::Name(name.as_str().into()),
        JpSelector::Index(index) => Selector::Index(*index),
        JpSelector::Wildcard => Selector::Wildcard,
        JpSelector::Slice(start, end, step) => Selector::Slice(*start, *end, *step),
        JpSelector::Filter(filter) => Selector::Filter(Box::new(expr(filter)?)),
    })
}

fn expr(filter: &JpFilter) -> Result<Expr, String> {
    Ok(match filter {
        JpFilter::Or(items) => Expr::Or(items.iter().map(expr).collect::<Result<_, _>>()?),
        JpFilter::And(items) => Expr::And(items.iter().map(expr).collect::<Result<_, _>>()?),
        JpFilter::Atom(FilterAtom::Filter { expr: inner, not }) => negated(expr(inner)?, *not),
        JpFilter::Atom(FilterAtom::Test { expr: test, not }) => {
            let tested = match &**test {
                Test::RelQuery(segments) => Expr::Exists(path(true, segments)?),
                Test::AbsQuery(query) => Expr::Exists(path(false, &query.segments)?),
                Test::Function(function) => regex_test(function)?,
            };
            negated(tested, *not)
        }
        JpFilter::Atom(FilterAtom::Comparison(comparison)) => {
            let (op, (left, right)) = match &**comparison {
                Comparison::Eq(..) => (Op::Eq, comparison.vals()),
                Comparison::Ne(..) => (Op::Ne, comparison.vals()),
                Comparison::Lt(..) => (Op::Lt, comparison.vals()),
                Comparison::Lte(..) => (Op::Le, comparison.vals()),
                Comparison::Gt(..) => (Op::Gt, comparison.vals()),
                Comparison::Gte(..) => (Op::Ge, comparison.vals()),
            };
            Expr::Compare(op, comparable(left)?, comparable(right)?)
        }
    })
}

fn negated(expr: Expr, not: bool) -> Expr {
    if not {
        Expr::Not(Box::new(expr))
    } else {
        expr
    }
}

fn path(relative: bool, segments: &[JpSegment]) -> Result<Path, String> {
    Ok(Path {
        relative,
        segments: self::segments(segments)?,
    })
}

fn singular(query: &SingularQuery) -> Path {
    let (relative, steps) = match query {
        SingularQuery::Current(steps) => (true, steps),
        SingularQuery::Root(steps) => (false, steps),
    };
    let segments = steps
        .iter()
        .map(|step| match step {
            SingularQuerySegment::Name(name) => Box::from([Selector::Name(name.as_str().into())]),
            SingularQuerySegment::Index(index) => Box::from([Selector::Index(*index)]),
        })
        .collect();
    Path { relative, segments }
}

fn literal(literal: &Literal) -> Value {
    match literal {
        Literal::Int(n) => Value::from(*n),
        Literal::Float(n) => Value::from(*n),
        Literal::String(s) => Value::from(s.as_str()),
        Literal::Bool(b) => Value::from(*b),
        Literal::Null => Value::Null,
    }
}

fn comparable(comparable: &Comparable) -> Result<Operand, String> {
    match comparable {
        Comparable::Literal(value) => Ok(Operand::Literal(literal(value))),
        Comparable::SingularQuery(query) => Ok(Operand::Node(singular(query))),
        Comparable::Function(function) => function_value(function),
    }
}

/// A function whose result is a value: `length()`, `count()`, `value()`.
fn function_value(function: &TestFunction) -> Result<Operand, String> {
    match function {
        TestFunction::Length(arg) => Ok(Operand::Length(Box::new(argument(arg)?))),
        TestFunction::Count(arg) => match argument(arg)? {
            Operand::Node(path) => Ok(Operand::Count(path)),
            _ => Err(refused("count() takes a query")),
        },
        TestFunction::Value(arg) => argument(arg),
        other => Err(refused(&format!(
            "the function `{other}` gives no value to compare"
        ))),
    }
}

fn argument(arg: &FnArg) -> Result<Operand, String> {
    match arg {
        FnArg::Literal(value) => Ok(Operand::Literal(literal(value))),
        FnArg::Test(test) => match &**test {
            Test::RelQuery(segments) => Ok(Operand::Node(path(true, segments)?)),
            Test::AbsQuery(query) => Ok(Operand::Node(path(false, &query.segments)?)),
            Test::Function(function) => function_value(function),
        },
        FnArg::Filter(_) => Err(refused(
            "a function argument is a value or a query, not a filter",
        )),
    }
}

/// `match(value, 'pattern')` or `search(value, 'pattern')`, its pattern an
/// I-Regexp (RFC 9485) compiled now.
fn regex_test(function: &TestFunction) -> Result<Expr, String> {
    let (value, pattern, whole) = match function {
        TestFunction::Match(value, pattern) => (value, pattern, true),
        TestFunction::Search(value, pattern) => (value, pattern, false),
        other => {
            return Err(refused(&format!(
            "the function `{other}` is not a test; compare its result, as in length(@.items) > 0"
        )))
        }
    };
    let FnArg::Literal(Literal::String(pattern)) = pattern else {
        return Err(refused(
            "the pattern of match() and search() must be a string literal, so that it is compiled once, when the rules load",
        ));
    };
    let translated = i_regexp(pattern);
    let translated = if whole {
        format!("^(?:{translated})$")
    } else {
        translated
    };
    let regex = RegexBuilder::new(&translated)
        .size_limit(MAX_REGEX_BYTES)
        .build()
        .map_err(|e| {
            format!(
                "the pattern '{pattern}' is not a valid regular expression ({})",
                e.to_string().lines().last().unwrap_or_default().trim()
            )
        })?;
    Ok(Expr::Regex(argument(value)?, Box::new(regex)))
}

/// An I-Regexp in the `regex` crate's syntax: the same but for `.`, which in
/// an I-Regexp matches any character but `\n` and `\r` (RFC 9485 §5.3).
fn i_regexp(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut class = false;
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                out.extend(chars.next());
            }
            '[' => {
                class = true;
                out.push(c);
            }
            ']' => {
                class = false;
                out.push(c);
            }
            '.' if !class => out.push_str("[^\\n\\r]"),
            _ => out.push(c),
        }
    }
    out
}

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
    let outer = (LEFT.replace(Some(budget)), OVERRUN.take());
    let result = f();
    let overrun = OVERRUN.replace(outer.1);
    LEFT.set(outer.0);
    (result, overrun)
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

/// One evaluation's walk: the root `$` reads, and the work it has left.
struct Walk<'v> {
    root: &'v Value,
    left: u64,
}

/// What a filter reads of a node: nothing, the node, or a computed number.
enum Val<'a> {
    Nothing,
    Node(&'a Value),
    Number(u64),
}

type Emit<'e, 'v> = &'e mut dyn FnMut(&'v Value) -> Result<(), Stop>;

impl<'v> Walk<'v> {
    fn spend(&mut self, work: u64) -> Result<(), Stop> {
        self.left = self.left.checked_sub(work).ok_or(Stop::Exhausted)?;
        Ok(())
    }

    /// Hands every node `segments` select from `node` to `emit`, in order.
    fn run(
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
fn children(node: &Value) -> impl Iterator<Item = &Value> {
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

/// A comparison of two filter values (RFC 9535 §2.3.5.2.2).
fn compare(op: Op, left: &Val<'_>, right: &Val<'_>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::query::Query;
    use jsonpath_rust::parser::parse_json_path;
    use jsonpath_rust::query::js_path_process;
    use serde_json::json;

    fn jsonpath_rust<'v>(text: &str, json: &'v Value) -> Vec<&'v Value> {
        js_path_process(&parse_json_path(text).unwrap(), json)
            .map(|found| found.into_iter().map(|r| r.val()).collect())
            .unwrap_or_default()
    }

    #[test]
    fn selects_what_rfc_9535_says_as_jsonpath_rust_does() {
        let doc = json!({
            "r": [{"type": "x", "id": 1, "n": 3, "tags": ["a", "b"]}, {"type": "y", "id": 2, "n": 1.0},
                  {"type": "x", "id": 3, "n": "3"}, 4, null, {"id": 5, "o": {"k": [1, 2]}}],
            "o": {"b": 2, "a": 1, "c": {"type": "x"}},
            "s": "text", "k": 1
        });
        for text in [
            "$.r[1:3]",
            "$.r[::2]",
            "$.r[::-1]",
            "$.r[-2:]",
            "$.r[5:1:-2]",
            "$.r[:0]",
            "$.r[0:9:0]",
            "$.r[0,2].id",
            "$.r[0,0].id",
            "$['o','s']",
            "$.r[-1,0]",
            "$.r[?@.type == 'x'].id",
            "$.r[?@.type != 'x']",
            "$.r[?@.n > 2].id",
            "$.r[?@.n >= 1].id",
            "$.r[?@.n < 3].id",
            "$.r[?@.n <= 1].id",
            "$.r[?@.n == 1].id",
            "$.r[?@.tags].id",
            "$.r[?!@.tags].id",
            "$.r[?@.type == 'x' && @.n == 3].id",
            "$.r[?@.type == 'y' || @.id == 5].id",
            "$.r[?@.id == $.k].id",
            "$.o[?@ > 1]",
            "$.r[?length(@.tags) == 2].id",
            "$.r[?count(@.*) > 4].id",
            "$.r[?match(@.type, 'x')].id",
            "$.r[?search(@.type, '[xy]')].id",
            "$.r[?match(@.type, '.')].id",
            "$.r[?value(@.n) == 3].id",
            "$.r[?@.o.k[1] == 2].id",
            "$.r[?@.o == $.r[5].o].id",
            "$.r[?@ == 4]",
            "$.r[?@ == null]",
            "$.r[?@.tags[0] == 'a'].tags[1]",
            "$.o[?@.type]",
            "$.r[?@.missing == $.gone].id",
        ] {
            let query = Query::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(query.program().is_some(), "{text}");
            assert_eq!(query.select(&doc), jsonpath_rust(text, &doc), "{text}");
        }
    }

    #[test]
    fn what_cannot_be_bounded_is_refused_when_the_rules_load() {
        for (text, reason) in [
            ("$..x", "a descendant segment `..`"),
            ("$.a[?@..b]", "a descendant segment `..`"),
            ("$..*..*..*..*", "a descendant segment `..`"),
            ("$.a[?match(@.b, @.c)]", "must be a string literal"),
            ("$.a[?match(@.b, '(')]", "not a valid regular expression"),
        ] {
            let err = Query::parse(text).map(drop).unwrap_err();
            assert!(err.contains(reason), "{text}: {err}");
        }
    }

    #[test]
    fn a_query_that_runs_out_of_the_budget_selects_nothing_and_is_named() {
        // Each `[*,*]` doubles the nodes: 2^24 of them from one element.
        let text = format!("${}", "[*,*]".repeat(24));
        let query = Query::parse(&text).unwrap();
        let doc: Value =
            serde_json::from_str(&format!("{}1{}", "[".repeat(24), "]".repeat(24))).unwrap();
        let (selected, overrun) = metered(budget(100), || query.select(&doc).len());
        assert_eq!(selected, 0);
        let overrun = overrun.unwrap();
        assert_eq!(&*overrun.query, text);
        // The budget is shared: what one query used up, the next has no more of.
        let cheap = Query::parse("$[0,0]").unwrap();
        let (found, overrun) = metered(budget(100), || {
            assert!(!query.any(&doc, |node| node.is_string()));
            cheap.any(&doc, |_| true)
        });
        assert!(!found && overrun.is_some());
        // Outside an event, each evaluation has a budget of its own.
        assert!(cheap.any(&doc, |_| true));
    }

    #[test]
    fn regexes_are_i_regexps() {
        let query = Query::parse("$[?match(@, 'a.c')]").unwrap();
        assert_eq!(
            query.select(&json!(["abc", "a\nc", "a\rc", "abcd"])),
            [&json!("abc")]
        );
        let query = Query::parse("$[?search(@, 'b')]").unwrap();
        assert_eq!(query.select(&json!(["abc", "xyz"])), [&json!("abc")]);
    }
}
