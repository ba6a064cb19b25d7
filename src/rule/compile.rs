//! From rule tables as written in TOML to compiled [`Rule`]s.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use http::{HeaderName, Method};
use serde::Deserialize;
use serde_json::Value;
use toml::Spanned;

use super::answer::AnswerSpec;
use super::batch::{BatchSpec, RawBatch};
use super::body::{BodySpec, RawBody};
use super::cloudevent::{CloudEventSpec, RawCloudEvent};
use super::compiled::Rule;
use super::entries::Entries;
use super::error::LoadError;
use super::metadata::MetadataSpec;
use super::predicate::{Predicate, Test};
use super::query::Query;
use super::route::{EventReply, ReplyMode, Route};
use super::template::{Part, Template};
use super::trace::{RawTraceSource, TraceSpec};
use super::written::{line_of, Origin, Source};
use crate::headers::{DELIVERY_ATTEMPT_HEADER, RESERVED, TRACEPARENT_HEADER, TRACESTATE_HEADER};
use crate::passthrough::HttpFormat;

/// A rule as written, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    description: Option<String>,
    kind: Option<RawKind>,
    path: Option<String>,
    format: Option<HttpFormat>,
    method: Option<String>,
    reply: Option<ReplyMode>,
    #[serde(default)]
    headers: Entries,
    #[serde(rename = "match", default)]
    predicates: Entries,
    batch: Option<RawBatch>,
    answer: Option<toml::Table>,
    cloudevent: Option<RawCloudEvent>,
    validate: Option<RawValidation>,
    body: Option<RawBody>,
    metadata: Option<String>,
    #[serde(default)]
    trace: Vec<RawTraceSource>,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum RawValidation {
    Cloudevent,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum RawKind {
    Event,
    Http,
}

/// The `[fallback]` table of a configuration file.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFallback {
    pub(crate) path: Option<String>,
    #[serde(default)]
    pub(crate) reject: bool,
}

/// Compiles the `[[rule]]` tables of one file, checking names for duplicates
/// against `seen` (which spans every file of the table).
pub(crate) fn compile_rules(
    file: &Arc<str>,
    text: &str,
    tables: Vec<Spanned<toml::Table>>,
    seen: &mut HashMap<String, Origin>,
) -> Result<Vec<Rule>, LoadError> {
    let source = Source { file, text };
    let mut rules = Vec::with_capacity(tables.len());
    for (index, table) in tables.into_iter().enumerate() {
        let at = Origin {
            file: file.clone(),
            line: line_of(text, table.span().start),
        };
        let table = table.into_inner();
        let label = match table.get("name").and_then(toml::Value::as_str) {
            Some(name) => name.to_owned(),
            None => format!("#{}", index + 1),
        };
        let rule = serde_path_to_error::deserialize(toml::Value::Table(table))
            .map_err(|e| LoadError::Rule {
                at: at.clone(),
                rule: label,
                problem: serde_problem(&e),
            })
            .and_then(|raw| compile_rule(at, raw))
            .map_err(|e| e.at_key(&source, Some(index)))?;
        add_unique(&mut rules, rule, seen)?;
    }
    Ok(rules)
}

/// A built-in rule as `build.rs` embeds it: the line it starts on in its
/// file under `rules/`, and the rule as written there.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmbeddedRule {
    line: usize,
    rule: RawRule,
}

/// Compiles a built-in rule file from the JSON copy `build.rs` made of it,
/// which loads several times faster than its TOML.
pub(crate) fn compile_embedded(
    file: &Arc<str>,
    json: &str,
    seen: &mut HashMap<String, Origin>,
) -> Result<Vec<Rule>, LoadError> {
    let embedded: Vec<EmbeddedRule> =
        serde_json::from_str(json).map_err(|e| LoadError::Setting {
            at: Origin {
                file: file.clone(),
                line: 0,
            },
            problem: format!("the copy built into ceh does not load ({e}); rebuild ceh"),
        })?;
    let mut rules = Vec::with_capacity(embedded.len());
    for EmbeddedRule { line, rule } in embedded {
        let at = Origin {
            file: file.clone(),
            line,
        };
        add_unique(&mut rules, compile_rule(at, rule)?, seen)?;
    }
    Ok(rules)
}

/// Adds `rule` unless its name is already in `seen`.
fn add_unique(
    rules: &mut Vec<Rule>,
    rule: Rule,
    seen: &mut HashMap<String, Origin>,
) -> Result<(), LoadError> {
    if let Some(first) = seen.get(&*rule.name) {
        return Err(LoadError::DuplicateRule {
            at: rule.origin.clone(),
            name: rule.name.to_string(),
            first: first.clone(),
        });
    }
    seen.insert(rule.name.to_string(), rule.origin.clone());
    rules.push(rule);
    Ok(())
}

fn compile_rule(at: Origin, raw: RawRule) -> Result<Rule, LoadError> {
    let fail = |problem: String| LoadError::Rule {
        at: at.clone(),
        rule: raw.name.clone(),
        problem,
    };
    check_name(&raw.name).map_err(fail)?;
    if raw.name == "fallback" {
        return Err(fail(
            "key `name`: the name `fallback` is reserved: set the fallback in a `[fallback]` table"
                .into(),
        ));
    }
    let route = match raw.kind.unwrap_or(RawKind::Event) {
        RawKind::Event => {
            event_route(raw.path, raw.format, raw.reply, raw.batch, raw.answer).map_err(&fail)?
        }
        RawKind::Http => {
            if raw.answer.is_some() {
                return Err(fail("key `answer`: only `reply = \"answer\"` rules answer by themselves; remove [rule.answer]".into()));
            }
            http_route(raw.path, raw.format, raw.reply, raw.batch).map_err(&fail)?
        }
    };
    if raw.kind == Some(RawKind::Http) && (raw.body.is_some() || raw.metadata.is_some()) {
        return Err(fail("keys `body` and `metadata` apply to event rules: an http rule passes its request's own body through; remove them".into()));
    }
    if raw.kind == Some(RawKind::Http) && !raw.trace.is_empty() {
        return Err(fail("key `trace` applies to event rules: an http rule passes its request's own `traceparent` through; remove [[rule.trace]]".into()));
    }
    let trace = TraceSpec::compile(raw.trace).map_err(&fail)?;
    let body = raw.body.map(BodySpec::compile).transpose().map_err(&fail)?;
    let metadata = raw
        .metadata
        .as_deref()
        .map(MetadataSpec::compile)
        .transpose()
        .map_err(&fail)?;
    let cloudevent = CloudEventSpec::compile(raw.cloudevent.unwrap_or_default()).map_err(&fail)?;
    let method = raw
        .method
        .map(|m| parse_method(&m).map_err(|p| fail(format!("key `method`: {p}"))))
        .transpose()?;
    let headers = raw
        .headers
        .into_iter()
        .map(|(name, value)| header_template(&name, &value).map_err(&fail))
        .collect::<Result<_, _>>()?;
    let predicates = raw
        .predicates
        .into_iter()
        .map(|(path, value)| predicate(&path, value).map_err(&fail))
        .collect::<Result<_, _>>()?;
    Ok(Rule {
        description: raw.description.unwrap_or_default().into(),
        origin: at,
        route,
        method,
        headers,
        predicates,
        cloudevent,
        validate_cloudevent: raw.validate == Some(RawValidation::Cloudevent),
        body,
        metadata,
        trace,
        name_header: name_header(&raw.name),
        name: raw.name.into(),
        reserved: None,
    })
}

/// An event rule's route: its path, and its reply with what that reply needs.
fn event_route(
    path: Option<String>,
    format: Option<HttpFormat>,
    reply: Option<ReplyMode>,
    batch: Option<RawBatch>,
    answer: Option<toml::Table>,
) -> Result<Route, String> {
    let Some(path) = path else {
        return Err("key `path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"".into());
    };
    if format.is_some() {
        return Err("key `format` applies only to `kind = \"http\"` rules; remove it".into());
    }
    let path = path_template(&path)?;
    let reply = reply.unwrap_or(ReplyMode::Dict);
    let answer = match (reply, answer) {
        (ReplyMode::Answer, Some(table)) => Some(AnswerSpec::compile(table)?),
        (ReplyMode::Answer, None) => {
            return Err("key `answer` is missing: a `reply = \"answer\"` rule says what to answer, e.g. [rule.answer] validationResponse = \"{$[0].data.validationCode}\"".into())
        }
        (_, Some(_)) => {
            return Err("key `answer`: only `reply = \"answer\"` rules answer by themselves; remove [rule.answer] or set reply = \"answer\"".into())
        }
        (_, None) => None,
    };
    let reply = match (reply, batch) {
        (ReplyMode::Batch, Some(spec)) => EventReply::Batch(BatchSpec::compile(spec)?),
        (ReplyMode::Batch, None) => {
            return Err("key `batch` is missing: a `reply = \"batch\"` rule says where its records are, e.g. [rule.batch] records = \"$.Records[*]\", id = \"$.messageId\"".into())
        }
        (ReplyMode::Http, _) => {
            return Err("key `reply`: `http` is for `kind = \"http\"` rules; use \"dict\", \"body\" or \"batch\"".into())
        }
        (_, Some(_)) => return Err("key `batch`: only `reply = \"batch\"` rules send records one by one; remove [rule.batch] or set reply = \"batch\"".into()),
        (ReplyMode::Dict, None) => EventReply::Dict,
        (ReplyMode::Body, None) => EventReply::Body,
        (ReplyMode::Cloudformation, None) => EventReply::CloudFormation,
        (ReplyMode::Ignore, None) => EventReply::Ignore,
        (ReplyMode::Answer, None) => match answer {
            Some(answer) => EventReply::Answer(answer),
            None => return Err("key `answer` is missing".into()),
        },
    };
    Ok(Route::Event { path, reply })
}

/// An http rule's route: its format, and nothing an http rule cannot use.
fn http_route(
    path: Option<String>,
    format: Option<HttpFormat>,
    reply: Option<ReplyMode>,
    batch: Option<RawBatch>,
) -> Result<Route, String> {
    if path.is_some() {
        return Err(
            "key `path`: an http rule passes the request's own path through; remove `path`".into(),
        );
    }
    let Some(format) = format else {
        return Err("key `format` is missing: an http rule names its event shape, e.g. format = \"api-gateway-v2\"".into());
    };
    match reply {
        None | Some(ReplyMode::Http) => {}
        Some(other) => {
            return Err(format!("key `reply`: an http rule always replies in its source's HTTP shape; remove `reply = \"{other}\"`"))
        }
    }
    if batch.is_some() {
        return Err("key `batch`: only `reply = \"batch\"` rules send records one by one; remove [rule.batch] or set reply = \"batch\"".into());
    }
    Ok(Route::Http(format))
}

/// The rule for events no rule matches: `None` when `[fallback] reject = true`.
pub(crate) fn fallback_rule(raw: RawFallback, at: Origin) -> Result<Option<Rule>, LoadError> {
    let fail = |problem: String| LoadError::Setting {
        at: at.clone(),
        problem,
    };
    if raw.reject {
        return match raw.path {
            Some(_) => Err(fail("fallback.path: `reject = true` sends no request, so `path` has no use; remove one of them".into())),
            None => Ok(None),
        };
    }
    let path = raw.path.unwrap_or_else(|| "/".to_owned());
    let template = path_template(&path).map_err(|p| fail(format!("fallback.{p}")))?;
    if !template.is_static() {
        return Err(fail("fallback.path: the fallback matches events of any shape, so its path must be static (no `{…}`)".into()));
    }
    let cloudevent = CloudEventSpec::compile(RawCloudEvent::default())
        .map_err(|p| fail(format!("fallback: {p}")))?;
    Ok(Some(Rule {
        name: "fallback".into(),
        description: "any event no other rule matches".into(),
        origin: at,
        route: Route::Event {
            path: template,
            reply: EventReply::Dict,
        },
        method: None,
        headers: Box::new([]),
        predicates: Box::new([]),
        cloudevent,
        validate_cloudevent: false,
        body: None,
        metadata: None,
        trace: TraceSpec::default(),
        name_header: name_header("fallback"),
        reserved: None,
    }))
}

/// A rule name as a header value (`check_name` admits only characters that
/// are valid in one).
fn name_header(name: &str) -> http::HeaderValue {
    http::HeaderValue::from_str(name).unwrap_or_else(|_| http::HeaderValue::from_static("invalid"))
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if first_ok && rest_ok && name.len() <= 64 {
        Ok(())
    } else {
        Err(format!(
            "key `name`: {name:?} is not a rule name; use 1 to 64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit"
        ))
    }
}

fn path_template(path: &str) -> Result<Template, String> {
    if !path.starts_with('/') {
        return Err(format!("key `path`: {path:?} must start with `/`"));
    }
    let template = Template::parse(path).map_err(|p| format!("key `path`: {p}"))?;
    // Check the literal text as a URI path, with each placeholder standing for one segment.
    let mut sample = String::new();
    for part in template.parts() {
        match part {
            Part::Literal(text) => sample.push_str(text),
            Part::Value(_) => sample.push('x'),
        }
    }
    if sample.contains(['?', '#']) || sample.contains("//") {
        return Err(format!("key `path`: {path:?} may not contain `?`, `#` or `//`; a query belongs in the environment's `query`"));
    }
    if sample
        .split('/')
        .any(|segment| segment == "." || segment == "..")
    {
        return Err(format!(
            "key `path`: {path:?} may not contain `.` or `..` segments"
        ));
    }
    http::uri::PathAndQuery::from_str(&sample).map_err(|_| {
        format!("key `path`: {path:?} has characters a URI path cannot hold; percent-encode them")
    })?;
    Ok(template)
}

fn parse_method(method: &str) -> Result<Method, String> {
    Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{method:?} is not an HTTP method; write e.g. \"POST\" or \"PUT\""))
}

fn header_template(name: &str, value: &toml::Value) -> Result<(HeaderName, Template), String> {
    let header = HeaderName::from_str(name)
        .map_err(|_| format!("key `headers.{name:?}`: not a valid header name"))?;
    if RESERVED.contains(&header) {
        return Err(format!(
            "key `headers.{name:?}`: `{header}` is set by ceh itself and cannot be set by a rule"
        ));
    }
    let text = value.as_str().ok_or_else(|| {
        format!(
            "key `headers.{name:?}`: the value must be a string (a template such as \"{{$.id}}\")"
        )
    })?;
    let template = Template::parse(text).map_err(|p| format!("key `headers.{name:?}`: {p}"))?;
    if header == TRACEPARENT_HEADER || header == TRACESTATE_HEADER {
        return Err(format!(
            "key `headers.{name:?}`: trace context is read by `[[rule.trace]]`, which checks it; write `[[rule.trace]]` with `traceparent = \"$.…\"` instead"
        ));
    }
    if header == DELIVERY_ATTEMPT_HEADER && !template.is_integer_form() {
        return Err(format!(
            "key `headers.{name:?}`: `{header}` is a positive integer; write one placeholder alone (\"{{$.attributes.ApproximateReceiveCount}}\") or a number such as \"1\""
        ));
    }
    Ok((header, template))
}

fn predicate(path: &str, value: toml::Value) -> Result<Predicate, String> {
    // Named in errors only: formatting it for every predicate cost a fifth of
    // compiling the built-in rules' predicates at start.
    let key = || format!("key `match.{path:?}`");
    let query = Query::parse(path).map_err(|e| {
        format!("{}: not a valid JSONPath ({e}); write RFC 9535 syntax such as \"$.Records[0].eventSource\"", key())
    })?;
    let test = match value {
        toml::Value::Table(mut table) => {
            let ignore_case = match table.remove("ignore_case") {
                None => false,
                Some(toml::Value::Boolean(ignore_case)) => ignore_case,
                Some(_) => return Err(format!("{}: `ignore_case` takes true or false", key())),
            };
            let mut entries = table.into_iter();
            let test = match (entries.next(), entries.next()) {
                (Some((op, operand)), None) => test_from(&op, operand).map_err(|p| format!("{}: {p}", key()))?,
                _ => return Err(format!("{}: write exactly one of {{ equals = … }}, {{ one_of = […] }}, {{ exists = true|false }}, {{ prefix = \"…\" }}, {{ suffix = \"…\" }}", key())),
            };
            match ignore_case {
                true => ignoring_case(test).map_err(|p| format!("{}: {p}", key()))?,
                false => test,
            }
        }
        toml::Value::Array(_) => {
            return Err(format!(
                "{}: a list is ambiguous; write {{ one_of = […] }} to match any of several values",
                key()
            ))
        }
        scalar => Test::Equals(scalar_json(scalar).map_err(|p| format!("{}: {p}", key()))?),
    };
    Ok(Predicate::new(query, test))
}

fn test_from(op: &str, operand: toml::Value) -> Result<Test, String> {
    match (op, operand) {
        ("equals", value) => Ok(Test::Equals(scalar_json(value)?)),
        ("one_of", toml::Value::Array(values)) if !values.is_empty() => Ok(Test::OneOf(
            values
                .into_iter()
                .map(scalar_json)
                .collect::<Result<_, _>>()?,
        )),
        ("one_of", _) => {
            Err("`one_of` takes a non-empty list of strings, numbers or booleans".into())
        }
        ("exists", toml::Value::Boolean(wanted)) => Ok(Test::Exists(wanted)),
        ("exists", _) => Err("`exists` takes true or false".into()),
        ("prefix", toml::Value::String(prefix)) => Ok(Test::Prefix(prefix)),
        ("prefix", _) => Err("`prefix` takes a string".into()),
        ("suffix", toml::Value::String(suffix)) => Ok(Test::Suffix(suffix)),
        ("suffix", _) => Err("`suffix` takes a string".into()),
        (other, _) => Err(format!(
            "unknown test `{other}`; use `equals`, `one_of`, `exists`, `prefix` or `suffix`"
        )),
    }
}

/// `test` with `ignore_case = true` beside it: an `equals` or `one_of` of
/// strings, compared without regard to the case of ASCII letters.
fn ignoring_case(test: Test) -> Result<Test, String> {
    let values = match test {
        Test::Equals(value) => vec![value],
        Test::OneOf(values) => values,
        _ => return Err("`ignore_case` goes with `equals` or `one_of`".into()),
    };
    values
        .into_iter()
        .map(|value| match value {
            Value::String(text) => Ok(text),
            other => Err(format!(
                "`ignore_case` compares strings, and {other} is not one; leave it out for numbers and booleans"
            )),
        })
        .collect::<Result<_, _>>()
        .map(Test::OneOfIgnoringCase)
}

fn scalar_json(value: toml::Value) -> Result<Value, String> {
    match value {
        toml::Value::String(s) => Ok(Value::String(s)),
        toml::Value::Integer(i) => Ok(Value::from(i)),
        toml::Value::Float(f) => serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| format!("{f} is not a JSON number")),
        toml::Value::Boolean(b) => Ok(Value::Bool(b)),
        other => Err(format!(
            "a {} cannot be compared with JSON; use a string, number or boolean",
            other.type_str()
        )),
    }
}

/// serde's error in the vocabulary of rule files, naming the key at fault
/// (below the rule) as the rule compiler's own errors do.
fn serde_problem(err: &serde_path_to_error::Error<toml::de::Error>) -> String {
    let message = err
        .inner()
        .message()
        .trim()
        .replace("unknown field", "unknown key")
        .replace('\n', " ");
    let path = err.path().to_string();
    let path = path.trim_start_matches('.');
    let below = |key: &str| match path {
        "" => key.to_owned(),
        path => format!("{path}.{key}"),
    };
    if let Some(missing) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return format!("key `{}` is missing", below(missing));
    }
    match path {
        "" => message,
        path => format!("key `{path}`: {message}"),
    }
}
