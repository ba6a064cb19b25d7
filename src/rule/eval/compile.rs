//! A parsed query into a [`Program`]: what cannot be bounded refused, patterns compiled.

use jsonpath_rust::parser::model::Filter as JpFilter;
use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::model::{
    Comparable, Comparison, FilterAtom, FnArg, Literal, Segment as JpSegment,
    Selector as JpSelector, SingularQuery, SingularQuerySegment, Test, TestFunction,
};
use regex::RegexBuilder;
use serde_json::Value;

use super::program::{
    refused, Expr, Op, Operand, Path, Program, Segment, Selector, MAX_REGEX_BYTES,
};

impl Program {
    /// Compiles a parsed query; the error says what is refused and why.
    pub(crate) fn compile(query: &JpQuery) -> Result<Self, String> {
        Ok(Self {
            segments: segments(&query.segments)?,
        })
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
