//! Synthesis: a matched event and the environment become the HTTP request the app receives.
//!
//! Event data is escaped into the path and header values by [`crate::escape`].

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderValue, Request, Uri};

use crate::classify::Match;
use crate::cloudevent::Mode;
use crate::config::environment::{Environment, Settings};
use crate::escape::{header_value, push_segments, route_key};
use crate::event::Event;
use crate::headers::{MAX_HEADERS_BYTES, MAX_HEADER_VALUE_BYTES, RULE_HEADER};
use crate::passthrough::HttpFormat;
use crate::rule::{Owner, Part, Route, Rule};
use crate::shown::shown;

/// Why a matched event could not become a request.
///
/// ```
/// use cloud_events_handler::{synthesize, Environment, Event, RuleTable, SynthesizeError};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {}}"#)?;
/// // HTTP events are not synthesized: they pass through (`passthrough::request`).
/// let err = synthesize(&table.classify(&event)?, &event, &Environment::default()).unwrap_err();
/// assert!(matches!(err, SynthesizeError::PassThrough { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthesizeError {
    /// The pieces did not form a valid request (a bug in ceh's escaping if it ever shows).
    #[error("rule `{rule}`: the synthesized request is invalid: {source}")]
    Invalid {
        /// The rule that matched.
        rule: String,
        /// What `http` refused.
        source: http::Error,
    },
    /// A batch record's JSON does not give its path's placeholders a usable string.
    #[error("rule `{rule}`: record {index} has no usable value for the path {path}; every record needs a string with a path segment in it")]
    Unresolved {
        /// The rule that matched.
        rule: String,
        /// The record's position in the batch.
        index: usize,
        /// The path template.
        path: String,
    },
    /// A handshake ceh answers itself (`reply = "answer"`, Event Grid's
    /// subscription validation) came with events after it: answering it would
    /// acknowledge them unseen.
    #[error("rule `{rule}`: a subscription handshake comes alone, and this delivery has {more} more events after it, which answering it would acknowledge without the app seeing them; the delivery is refused")]
    NotAlone {
        /// The rule that matched.
        rule: String,
        /// How many events came after the handshake.
        more: usize,
    },
    /// A value for the path holds a segment that a server would read as `.`
    /// or `..` (after percent-decoding, or before a `;` parameter), which
    /// would lead the request out of the rule's path and the base path.
    #[error("rule `{rule}`: the value \"{value}\" for the path {path} has a `.` or `..` segment, which would lead the request out of its path; the event is refused")]
    DotSegment {
        /// The rule that matched.
        rule: String,
        /// The path template.
        path: String,
        /// The value, escaped and cut short.
        value: String,
    },
    /// The path a value makes is, as a server may read it (in another case,
    /// with other slashes, percent-encoded, with a `;` parameter…), the route
    /// of another rule: the event would pose as that rule's events.
    #[error("rule `{rule}`: the value \"{value}\" makes the path {made}, which a server may read as {route}, the route of rule `{owner}`; event routes belong to their rules, so the event is refused")]
    ReservedRoute {
        /// The rule that matched.
        rule: String,
        /// The value (each placeholder's, comma-separated), escaped and cut short.
        value: String,
        /// The path the value made, escaped and cut short.
        made: String,
        /// The other rule's route, as it writes it.
        route: String,
        /// The rule the route belongs to.
        owner: String,
    },
    /// A header ceh built from event data, or all of the request's headers
    /// together, would be longer than an app server takes (it would answer 431).
    #[error("rule `{rule}`: the header {header} would be {size} bytes, over the limit of {limit}; the event is refused rather than sent to be refused by the app's server")]
    HeaderTooLarge {
        /// The rule that matched.
        rule: String,
        /// The header's name, or `all headers` for their sum.
        header: String,
        /// Its size in bytes.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The path the event's values make is longer than an app server takes
    /// (it would answer 414).
    #[error("rule `{rule}`: the path the event's values make for {path} would be {size} bytes, over the limit of {limit}; the event is refused")]
    PathTooLong {
        /// The rule that matched.
        rule: String,
        /// The path template.
        path: String,
        /// The path's size in bytes (without the base path and query).
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Evaluating a rule's JSONPath query on the event took more work than
    /// an event may cost (its nodes visited, filters included).
    #[error("rule `{rule}`: evaluating the JSONPath {query} on this event took more than the {limit} steps of work an event of its size may cost; the event is refused (write the query with fewer wildcards, filters and slices, or test it with `ceh explain`)")]
    TooCostly {
        /// The rule the query was evaluated for.
        rule: String,
        /// The query, as written.
        query: String,
        /// The event's work budget.
        limit: u64,
    },
    /// The rule's `body` query selects nothing in the event (or record).
    #[error(
        "rule `{rule}`: the event has nothing at {path}, the rule's `body` (or, for `decode`, no string in that encoding); the event is refused"
    )]
    NoBody {
        /// The rule that matched.
        rule: String,
        /// The `body` query.
        path: String,
    },
    /// HTTP events are passed through by the Lambda front end, not synthesized.
    #[error("rule `{rule}` is an http rule ({format}): its request is the one the event carries, passed through as it is")]
    PassThrough {
        /// The rule that matched.
        rule: String,
        /// The event's HTTP shape.
        format: HttpFormat,
    },
}

/// Builds the request for an event route.
///
/// `POST` (or the rule's or environment's method) to the base path plus the
/// rule's path; the event's original bytes as body; `content-type`, `host`,
/// `content-length`, the rule's name in `ceh-rule`, the environment's and the
/// rule's extra headers.
///
/// ```
/// use cloud_events_handler::{synthesize, Environment, Event, RuleTable};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"specversion": "1.0", "id": "1", "source": "/my context/sub", "type": "t"}"#)?;
/// let request = synthesize(&table.classify(&event)?, &event, &Environment::default())?;
/// assert_eq!(request.uri(), "http://localhost/my%20context/sub");
/// assert_eq!(request.headers()["ceh-rule"], "cloudevents");
/// assert_eq!(request.body(), event.bytes());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn synthesize(
    found: &Match<'_, '_>,
    event: &Event,
    environment: &Environment,
) -> Result<Request<Bytes>, SynthesizeError> {
    let request = synthesize_with_body(found, found.json(), event.bytes().clone(), environment)?;
    Ok(match event.binary_attributes() {
        Some(attributes) => binary_mode(found, request, attributes),
        None => request,
    })
}

/// Like [`synthesize`], for a batch record: `json` is what header templates
/// read (the record) and `body` what the app receives (the record's JSON).
pub(crate) fn synthesize_with_body(
    found: &Match<'_, '_>,
    json: &serde_json::Value,
    body: Bytes,
    environment: &Environment,
) -> Result<Request<Bytes>, SynthesizeError> {
    let rule = found.rule();
    let settings = environment.settings(rule.name());
    let prepared = settings.prepared();
    let invalid = |source: http::Error| SynthesizeError::Invalid {
        rule: rule.name().to_owned(),
        source,
    };

    // The URI from parts: scheme and authority are built once per
    // environment; only the path (and query) is new for each event.
    let path_and_query = path_and_query(found, settings, environment)?;
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(prepared.scheme.clone());
    parts.authority = Some(prepared.authority.clone());
    parts.path_and_query = Some(
        PathAndQuery::from_maybe_shared(Bytes::from(path_and_query))
            .map_err(|e| invalid(e.into()))?,
    );
    let uri = Uri::from_parts(parts).map_err(|e| invalid(e.into()))?;

    // The CloudEvent that describes the request: ce-* headers, or the body itself.
    let cloudevent = rule.cloudevent();
    let mode = cloudevent.mode();
    let body = match mode {
        Mode::Structured => cloudevent
            .attributes(rule.name(), json, &body)
            .envelope(&body),
        Mode::Binary | Mode::Forward => body,
    };
    let mut headers =
        HeaderMap::with_capacity(settings.headers().len() + rule.headers().len() + 10);
    for (name, value) in settings.headers() {
        headers.append(name, value.clone());
    }
    for (name, template) in rule.headers() {
        if let Some(value) = template.render(json) {
            headers.insert(name.clone(), header_value(&value));
        }
    }
    match mode {
        Mode::Binary => cloudevent.add_headers(rule.name(), json, &body, &mut headers),
        Mode::Structured | Mode::Forward => {
            headers.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/cloudevents+json"),
            );
        }
    }
    headers.insert(HOST, prepared.host.clone());
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(RULE_HEADER, rule.name_header.clone());

    let mut request = Request::new(body);
    *request.method_mut() = environment.method(rule);
    *request.uri_mut() = uri;
    *request.version_mut() = settings.version();
    *request.headers_mut() = headers;
    Ok(request)
}

/// The most bytes of the path a rule's template and the event's values make
/// (the base path and query, which the configuration sets, not counted):
/// IIS takes 4 KiB of URL, and common servers 8 KiB of request line.
pub(crate) const MAX_PATH_BYTES: usize = 2048;

/// Whether a request's headers fit what app servers take: each value at most
/// [`MAX_HEADER_VALUE_BYTES`], all of them at most [`MAX_HEADERS_BYTES`].
pub(crate) fn check_headers(rule: &Rule, headers: &HeaderMap) -> Result<(), SynthesizeError> {
    let too_large = |header: String, size: usize, limit: usize| SynthesizeError::HeaderTooLarge {
        rule: rule.name().to_owned(),
        header,
        size,
        limit,
    };
    let mut total = 0;
    for (name, value) in headers {
        if value.len() > MAX_HEADER_VALUE_BYTES {
            return Err(too_large(
                name.to_string(),
                value.len(),
                MAX_HEADER_VALUE_BYTES,
            ));
        }
        // `name: value` and its line end.
        total += name.as_str().len() + value.len() + 4;
    }
    if total > MAX_HEADERS_BYTES {
        return Err(too_large(
            "all headers".to_owned(),
            total,
            MAX_HEADERS_BYTES,
        ));
    }
    Ok(())
}

/// Whether a matched event (or batch record) can become a request: its path
/// renders, every value in it a string that stays within its segments. What
/// [`synthesize_with_body`] would refuse, found without building the request.
pub(crate) fn check_path(
    found: &Match<'_, '_>,
    environment: &Environment,
) -> Result<(), SynthesizeError> {
    path_and_query(
        found,
        environment.settings(found.rule().name()),
        environment,
    )
    .map(drop)
}

/// The request's path and query: the base path, the rule's path with the
/// event's values escaped into it, then the environment's query.
fn path_and_query(
    found: &Match<'_, '_>,
    settings: &Settings,
    environment: &Environment,
) -> Result<String, SynthesizeError> {
    let rule = found.rule();
    let path = match rule.route() {
        Route::Event { path, .. } => path,
        Route::Http(format) => {
            return Err(SynthesizeError::PassThrough {
                rule: rule.name().to_owned(),
                format: *format,
            })
        }
    };
    let mut path_and_query = String::with_capacity(64);
    path_and_query.push_str(settings.base_path());
    let base = path_and_query.len();
    let mut values = found.values().iter();
    for part in path.parts() {
        match part {
            Part::Literal(text) => path_and_query.push_str(text),
            Part::Value(_) => {
                let value = values.next().copied().unwrap_or_default();
                push_segments(&mut path_and_query, value).map_err(|()| {
                    SynthesizeError::DotSegment {
                        rule: rule.name().to_owned(),
                        path: path.to_string(),
                        value: shown(value, 80),
                    }
                })?;
            }
        }
    }
    let made = path_and_query.len() - base;
    if made > MAX_PATH_BYTES {
        return Err(SynthesizeError::PathTooLong {
            rule: rule.name().to_owned(),
            path: path.to_string(),
            size: made,
            limit: MAX_PATH_BYTES,
        });
    }
    if let Some(owner) = reserved_by(rule, &path_and_query, environment) {
        let value = found.values().join(", ");
        return Err(SynthesizeError::ReservedRoute {
            rule: rule.name().to_owned(),
            value: shown(&value, 80),
            made: shown(&path_and_query[base..], 80),
            route: owner.route.to_string(),
            owner: owner.rule.to_string(),
        });
    }
    if let Some(query) = settings.query() {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    Ok(path_and_query)
}

/// The other rule whose route `path` (base path included) is, read as a
/// server may read it; `None` when it is no other rule's. A route is
/// compared under its own rule's base path, and a route the rule shares
/// with others (a pinned path that is also a static one) stays its own.
fn reserved_by<'r>(rule: &'r Rule, path: &str, environment: &Environment) -> Option<&'r Owner> {
    let reserved = rule.reserved.as_deref()?;
    let key = route_key(path);
    let base_of = |owner: &Owner| {
        let base = route_key(environment.settings(&owner.rule).base_path());
        if base == "/" {
            String::new()
        } else {
            base
        }
    };
    // Each way to read the key as a base path and a route: `/hooks/aws.s3` is
    // `/aws.s3` under `/hooks`, or `/hooks/aws.s3` under no base path.
    let splits = key
        .match_indices('/')
        .map(|(at, _)| (&key[..at], &key[at..]))
        .chain(std::iter::once((key.as_str(), "/")));
    for (base, route) in splits {
        let owners: Vec<&Owner> = reserved
            .owners(route)
            .iter()
            .filter(|owner| base_of(owner) == base)
            .collect();
        if owners.iter().any(|owner| *owner.rule == *rule.name()) {
            continue;
        }
        if let Some(owner) = owners.first() {
            return Some(owner);
        }
    }
    None
}

/// A forwarded CloudEvent that arrived in binary mode leaves in binary mode:
/// its own `ce-*` headers and content type, its data as the body (already
/// the request's body, byte for byte), instead of a structured envelope.
fn binary_mode(
    found: &Match<'_, '_>,
    mut request: Request<Bytes>,
    attributes: &HeaderMap,
) -> Request<Bytes> {
    if found.rule().cloudevent().mode() != Mode::Forward {
        return request;
    }
    let headers = request.headers_mut();
    headers.remove(CONTENT_TYPE);
    for (name, value) in attributes {
        headers.append(name.clone(), value.clone());
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rule::RuleTable;

    // The example `synthesize_with_body`'s doc comment carried while it was public.
    #[test]
    fn a_record_gets_its_own_headers() -> Result<(), Box<dyn std::error::Error>> {
        let table = RuleTable::builtin();
        let event = Event::from_slice(
            br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "hi"}]}"#,
        )?;
        let found = table.classify(&event)?;
        let record = &event.json()["Records"][0];
        let body = bytes::Bytes::from(record.to_string());
        let request = synthesize_with_body(&found, record, body, &Environment::default())?;
        assert_eq!(request.headers()["ce-id"], "m1");
        Ok(())
    }
}
