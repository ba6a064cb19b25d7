//! Reading the request an HTTP event describes, per event format.
//!
//! Each format is read from the event's JSON as the rule's `format` says —
//! never guessed from which fields happen to parse. The rules follow
//! lambda_http where it is right (multi-value maps win over single-value
//! ones, the REST API `path` has no stage, `cookies` become one `Cookie`
//! header) and differ where it is not: an invalid base64 body is an error,
//! not a panic; an empty `cookies` array adds no empty `Cookie` header; and
//! query parameters keep the order the event gives them.

use base64::Engine as _;
use bytes::Bytes;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde_json::{Map, Value};

use super::PassThroughError;
use crate::rule::HttpFormat;

/// Characters encoded in a path taken from an event: what a URI path cannot hold.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');
/// Characters encoded in decoded query keys and values (API Gateway decodes them).
const QUERY_COMPONENT: &AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// Characters encoded in query text that is already encoded (ALB, rawQueryString).
const QUERY_RAW: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// The parts of the request an HTTP event carries.
#[derive(Debug, Default)]
pub(crate) struct Incoming {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Bytes,
    pub(crate) source_ip: Option<String>,
    pub(crate) domain: Option<String>,
    pub(crate) stage: Option<String>,
    pub(crate) multi_value: bool,
}

pub(crate) fn read(format: HttpFormat, event: &Value) -> Result<Incoming, PassThroughError> {
    let object = event.as_object().ok_or(PassThroughError::Shape {
        format,
        field: "$",
        expected: "an object",
    })?;
    let context = object.get("requestContext").and_then(Value::as_object);
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let mut incoming = match format {
        HttpFormat::ApiGatewayV1 | HttpFormat::Websocket => {
            let method = text(object.get("httpMethod"));
            let route = context.and_then(|c| text(c.get("routeKey")));
            let path = text(object.get("path"));
            let (method, path) = match (method, path, route) {
                (Some(m), Some(p), _) => (m, p),
                // WebSocket $connect/$disconnect/messages: POST /<route key>.
                (m, _, Some(route)) if format == HttpFormat::Websocket => (
                    m.unwrap_or_else(|| "POST".to_owned()),
                    format!("/{}", route),
                ),
                (None, ..) => return Err(missing(format, "httpMethod")),
                (_, None, _) => return Err(missing(format, "path")),
            };
            Incoming {
                method,
                path: encode_path(&path),
                query: decoded_query(
                    format,
                    object,
                    "multiValueQueryStringParameters",
                    "queryStringParameters",
                )?,
                multi_value: object
                    .get("multiValueHeaders")
                    .is_some_and(|h| h.is_object()),
                headers: headers(format, object, "multiValueHeaders", "headers")?,
                source_ip: context
                    .and_then(|c| c.get("identity"))
                    .and_then(|i| text(i.get("sourceIp"))),
                domain: context.and_then(|c| text(c.get("domainName"))),
                stage: context.and_then(|c| text(c.get("stage"))),
                ..Incoming::default()
            }
        }
        HttpFormat::ApiGatewayV2 | HttpFormat::FunctionUrl => {
            let http = context
                .and_then(|c| c.get("http"))
                .and_then(Value::as_object);
            let method = http
                .and_then(|h| text(h.get("method")))
                .ok_or_else(|| missing(format, "requestContext.http.method"))?;
            let path = text(object.get("rawPath"))
                .or_else(|| http.and_then(|h| text(h.get("path"))))
                .ok_or_else(|| missing(format, "rawPath"))?;
            let mut headers = headers(format, object, "", "headers")?;
            if let Some(cookies) = object.get("cookies").and_then(Value::as_array) {
                let jar: Vec<&str> = cookies
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|c| !c.is_empty())
                    .collect();
                if !jar.is_empty() {
                    headers.retain(|(name, _)| !name.eq_ignore_ascii_case("cookie"));
                    headers.push(("cookie".to_owned(), jar.join("; ")));
                }
            }
            Incoming {
                method,
                path: encode_path(&path),
                query: utf8_percent_encode(
                    object
                        .get("rawQueryString")
                        .and_then(Value::as_str)
                        .unwrap_or(""),
                    QUERY_RAW,
                )
                .to_string(),
                headers,
                source_ip: http.and_then(|h| text(h.get("sourceIp"))),
                domain: context.and_then(|c| text(c.get("domainName"))),
                stage: context.and_then(|c| text(c.get("stage"))),
                ..Incoming::default()
            }
        }
        HttpFormat::Alb => Incoming {
            method: text(object.get("httpMethod")).ok_or_else(|| missing(format, "httpMethod"))?,
            path: encode_path(&text(object.get("path")).ok_or_else(|| missing(format, "path"))?),
            // ALB passes the query as the client sent it, still encoded.
            query: raw_query(format, object)?,
            multi_value: object
                .get("multiValueHeaders")
                .is_some_and(|h| h.is_object()),
            headers: headers(format, object, "multiValueHeaders", "headers")?,
            ..Incoming::default()
        },
        HttpFormat::VpcLattice => {
            if let Some(raw_path) = text(object.get("raw_path")) {
                // Event structure 1.0: the path carries the query.
                let (path, query) = raw_path.split_once('?').unwrap_or((&raw_path, ""));
                Incoming {
                    method: text(object.get("method")).ok_or_else(|| missing(format, "method"))?,
                    path: encode_path(path),
                    query: utf8_percent_encode(query, QUERY_RAW).to_string(),
                    headers: headers(format, object, "", "headers")?,
                    ..Incoming::default()
                }
            } else {
                Incoming {
                    method: text(object.get("method")).ok_or_else(|| missing(format, "method"))?,
                    path: encode_path(
                        &text(object.get("path")).ok_or_else(|| missing(format, "path"))?,
                    ),
                    query: decoded_query(format, object, "queryStringParameters", "")?,
                    headers: headers(format, object, "headers", "")?,
                    ..Incoming::default()
                }
            }
        }
    };
    incoming.body = body(format, object)?;
    Ok(incoming)
}

fn missing(format: HttpFormat, field: &'static str) -> PassThroughError {
    PassThroughError::Shape {
        format,
        field,
        expected: "a string",
    }
}

/// Percent-encodes what a URI path cannot hold, leaving existing escapes alone.
fn encode_path(path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    utf8_percent_encode(&path, PATH).to_string()
}

fn body(format: HttpFormat, object: &Map<String, Value>) -> Result<Bytes, PassThroughError> {
    let text = match object.get("body") {
        Some(Value::String(text)) => text,
        None | Some(Value::Null) => return Ok(Bytes::new()),
        Some(_) => {
            return Err(PassThroughError::Shape {
                format,
                field: "body",
                expected: "a string or null",
            })
        }
    };
    let encoded = ["isBase64Encoded", "is_base64_encoded"]
        .iter()
        .any(|key| object.get(*key).and_then(Value::as_bool) == Some(true));
    if !encoded {
        return Ok(Bytes::from(text.clone()));
    }
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map(Bytes::from)
        .map_err(|e| PassThroughError::Base64 {
            format,
            reason: e.to_string(),
        })
}

/// Headers from the multi-value map when present, else the single-value one.
/// Values that are lists (VPC Lattice 2.0, multi-value maps) give one header each.
fn headers(
    format: HttpFormat,
    object: &Map<String, Value>,
    multi: &'static str,
    single: &'static str,
) -> Result<Vec<(String, String)>, PassThroughError> {
    let map = [multi, single]
        .into_iter()
        .filter(|key| !key.is_empty())
        .find_map(|key| object.get(key).filter(|v| v.is_object()).map(|v| (key, v)));
    let Some((key, Value::Object(map))) = map else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (name, value) in map {
        match value {
            Value::String(v) => out.push((name.clone(), v.clone())),
            Value::Array(values) => {
                for v in values {
                    let v = v.as_str().ok_or(PassThroughError::Shape {
                        format,
                        field: key,
                        expected: "strings or lists of strings",
                    })?;
                    out.push((name.clone(), v.to_owned()));
                }
            }
            Value::Null => {}
            _ => {
                return Err(PassThroughError::Shape {
                    format,
                    field: key,
                    expected: "strings or lists of strings",
                })
            }
        }
    }
    Ok(out)
}

/// A query string from decoded parameters, in the event's order, re-encoded.
fn decoded_query(
    format: HttpFormat,
    object: &Map<String, Value>,
    multi: &'static str,
    single: &'static str,
) -> Result<String, PassThroughError> {
    let pairs = headers(format, object, multi, single)?;
    Ok(pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_COMPONENT),
                utf8_percent_encode(v, QUERY_COMPONENT)
            )
        })
        .collect::<Vec<_>>()
        .join("&"))
}

/// ALB's query parameters are passed through as they came, only made URI-safe.
fn raw_query(format: HttpFormat, object: &Map<String, Value>) -> Result<String, PassThroughError> {
    let pairs = headers(
        format,
        object,
        "multiValueQueryStringParameters",
        "queryStringParameters",
    )?;
    Ok(pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                utf8_percent_encode(k, QUERY_RAW),
                utf8_percent_encode(v, QUERY_RAW)
            )
        })
        .collect::<Vec<_>>()
        .join("&"))
}
