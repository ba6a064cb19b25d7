//! HTTP events (API Gateway, ALB, function URLs, VPC Lattice) pass through as
//! the request they describe, and the app's response goes back in the shape
//! their source requires.

mod options;
mod request;
mod response;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, HOST};
use http::Request;

pub use options::{HttpOptions, DEFAULT_TEXT_CONTENT_TYPES};
pub use response::reply;

use crate::rule::HttpFormat;
use crate::Event;

/// `ceh-request-context`: API Gateway's request context, as compact JSON.
pub const REQUEST_CONTEXT_HEADER: HeaderName = HeaderName::from_static("ceh-request-context");
/// `ceh-stage-variables`: API Gateway's stage variables, as compact JSON.
pub const STAGE_VARIABLES_HEADER: HeaderName = HeaderName::from_static("ceh-stage-variables");

/// The event an HTTP request came from, in the request's extensions, for
/// in-process apps that want more than the request says.
#[derive(Clone, Debug)]
pub struct RawEvent(pub Event);

/// A passed-through request, and what its reply needs to know.
#[derive(Debug)]
pub struct PassThrough {
    /// The request the app receives.
    pub request: Request<Bytes>,
    /// The reply's shape.
    pub shape: ReplyShape,
}

/// What the reply to an HTTP event depends on: its format, and whether the
/// request used multi-value headers (API Gateway REST, ALB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyShape {
    /// The event's format.
    pub format: HttpFormat,
    /// Whether the event had `multiValueHeaders`.
    pub multi_value: bool,
}

impl ReplyShape {
    /// The shape for an event of `format`, read from its JSON alone.
    pub fn of(format: HttpFormat, json: &serde_json::Value) -> Self {
        Self {
            format,
            multi_value: json.get("multiValueHeaders").is_some_and(|h| h.is_object()),
        }
    }
}

/// Why an HTTP event does not describe a usable request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PassThroughError {
    /// A field is missing or of the wrong type.
    #[error("the {format} event's `{field}` is not {expected}")]
    Shape {
        /// The event's format.
        format: HttpFormat,
        /// The field at fault.
        field: &'static str,
        /// What it should be.
        expected: &'static str,
    },
    /// `isBase64Encoded` is true but the body is not base64.
    #[error("the {format} event's body is marked base64 but is not: {reason}")]
    Base64 {
        /// The event's format.
        format: HttpFormat,
        /// The decoder's reason.
        reason: String,
    },
    /// A header or the path holds what HTTP cannot carry.
    #[error("the {format} event's request is invalid: {reason}")]
    Invalid {
        /// The event's format.
        format: HttpFormat,
        /// What `http` refused.
        reason: String,
    },
}

/// Builds the request an HTTP event describes.
///
/// The URI is absolute (`https://host/path?query`); the app sees the client's
/// host, scheme and address as `Host` and `X-Forwarded-*` headers. Headers
/// named `ceh-*` in the event are dropped: only ceh sets those.
///
/// ```
/// use cloud_events_handler::passthrough::{request, HttpOptions};
/// use cloud_events_handler::{rule::HttpFormat, Event};
///
/// let event = Event::from_slice(br#"{"version": "2.0", "rawPath": "/hello", "rawQueryString": "a=1&b=2",
///     "headers": {"host": "api.example.com"}, "cookies": ["s=1", "t=2"],
///     "requestContext": {"http": {"method": "GET", "sourceIp": "203.0.113.9"}, "stage": "$default"}}"#)?;
/// let passed = request(HttpFormat::ApiGatewayV2, &event, &HttpOptions::default())?;
/// assert_eq!(passed.request.uri(), "https://api.example.com/hello?a=1&b=2");
/// assert_eq!(passed.request.headers()["cookie"], "s=1; t=2");
/// assert_eq!(passed.request.headers()["x-forwarded-for"], "203.0.113.9");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn request(
    format: HttpFormat,
    event: &Event,
    options: &HttpOptions,
) -> Result<PassThrough, PassThroughError> {
    let json = event.json();
    let incoming = request::read(format, json)?;
    let invalid = |reason: String| PassThroughError::Invalid { format, reason };

    let mut path = incoming.path.clone();
    if let Some(stage) = incoming
        .stage
        .as_deref()
        .filter(|s| !s.is_empty() && *s != "$default")
    {
        path = match format {
            // The REST API's `path` has no stage; put it back when asked to.
            HttpFormat::ApiGatewayV1 if options.keep_stage() => format!("/{stage}{path}"),
            // The HTTP API's rawPath starts with a named stage; strip it unless asked not to.
            HttpFormat::ApiGatewayV2 if !options.keep_stage() => {
                strip_prefix(&path, &format!("/{stage}"))
            }
            _ => path,
        };
    }
    if let Some(base) = options.base_path() {
        path = strip_prefix(&path, base);
    }

    let mut headers = http::HeaderMap::new();
    for (name, value) in &incoming.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("{name:?} is not a header name")))?;
        if name.as_str().starts_with("ceh-") {
            continue;
        }
        let value = HeaderValue::from_str(value).map_err(|_| {
            invalid(format!(
                "the `{name}` header's value has characters HTTP cannot carry"
            ))
        })?;
        headers.append(name, value);
    }
    // HTTP/1.1 allows one Cookie header: multi-value events may carry several.
    let cookies: Vec<String> = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    if cookies.len() > 1 {
        let joined = HeaderValue::from_str(&cookies.join("; "))
            .map_err(|_| invalid("the cookies cannot be joined".into()))?;
        headers.insert(http::header::COOKIE, joined);
    }
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned)
        .or(incoming.domain.clone())
        .unwrap_or_else(|| "localhost".to_owned());
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
    {
        Some(proto @ ("http" | "https")) => proto.to_owned(),
        _ if format == HttpFormat::Alb => "http".to_owned(),
        _ => "https".to_owned(),
    };
    add_forwarded(&mut headers, &host, &scheme, incoming.source_ip.as_deref()).map_err(invalid)?;
    if options.context_headers() {
        for (name, key) in [
            (REQUEST_CONTEXT_HEADER, "requestContext"),
            (STAGE_VARIABLES_HEADER, "stageVariables"),
        ] {
            if let Some(value) = json.get(key).filter(|v| !v.is_null()) {
                // Compact JSON escapes every control character, and http accepts UTF-8 bytes.
                if let Ok(value) = HeaderValue::from_bytes(value.to_string().as_bytes()) {
                    headers.insert(name, value);
                }
            }
        }
    }

    let query = if incoming.query.is_empty() {
        String::new()
    } else {
        format!("?{}", incoming.query)
    };
    // A Host header that is no valid authority still reaches the app as a header.
    let authority = match host.parse::<http::uri::Authority>() {
        Ok(_) => host.as_str(),
        Err(_) => "localhost",
    };
    let uri = format!("{scheme}://{authority}{path}{query}");
    let mut request = Request::builder()
        .method(incoming.method.as_str())
        .uri(uri)
        .body(incoming.body)
        .map_err(|e| invalid(e.to_string()))?;
    *request.headers_mut() = headers;
    request.extensions_mut().insert(RawEvent(event.clone()));
    Ok(PassThrough {
        request,
        shape: ReplyShape {
            format,
            multi_value: incoming.multi_value,
        },
    })
}

/// `Host`, `X-Forwarded-Proto`, `X-Forwarded-Port` and `X-Forwarded-For` as the app expects them behind a proxy.
fn add_forwarded(
    headers: &mut http::HeaderMap,
    host: &str,
    scheme: &str,
    ip: Option<&str>,
) -> Result<(), String> {
    let value =
        |v: &str| HeaderValue::from_str(v).map_err(|_| format!("{v:?} cannot be a header value"));
    headers.insert(HOST, value(host)?);
    headers.insert("x-forwarded-proto", value(scheme)?);
    if !headers.contains_key("x-forwarded-port") {
        headers.insert(
            "x-forwarded-port",
            value(if scheme == "https" { "443" } else { "80" })?,
        );
    }
    if let Some(ip) = ip {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        match forwarded {
            Some(list) if list.split(',').any(|hop| hop.trim() == ip) => {}
            Some(list) if !list.trim().is_empty() => {
                headers.insert("x-forwarded-for", value(&format!("{list}, {ip}"))?);
            }
            _ => {
                headers.insert("x-forwarded-for", value(ip)?);
            }
        }
    }
    Ok(())
}

/// Strips `prefix` from `path` at a segment boundary: `/api` strips `/api/x` and `/api`, not `/apix`.
fn strip_prefix(path: &str, prefix: &str) -> String {
    match path.strip_prefix(prefix) {
        Some("") => "/".to_owned(),
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::strip_prefix;

    #[test]
    fn base_paths_strip_whole_segments() {
        assert_eq!(strip_prefix("/api/x", "/api"), "/x");
        assert_eq!(strip_prefix("/api", "/api"), "/");
        assert_eq!(strip_prefix("/apix", "/api"), "/apix");
        assert_eq!(strip_prefix("/other", "/api"), "/other");
    }
}
