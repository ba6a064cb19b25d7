//! What every format has in common: the described request becomes an `http::Request`.

use std::net::IpAddr;
use std::str::FromStr;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};
use serde_json::Value;

use super::error::PassThroughError;
use super::format::HttpFormat;
use super::options::HttpOptions;
use super::{headers, path};
use crate::escape;
use crate::event::Event;
use crate::headers::{
    poses_as, CLOUDEVENT_PREFIX, FORWARDED_PREFIX_HEADER, LWA_REQUEST_CONTEXT_HEADER, PREFIX,
    REQUEST_CONTEXT_HEADER, STAGE_VARIABLES_HEADER,
};

/// The event a passed-through request came from, as an `http::Extensions` entry.
///
/// ```
/// # use cloud_events_handler::passthrough::{self, HttpOptions, RawEvent};
/// # use cloud_events_handler::{Event, passthrough::HttpFormat};
/// # let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {"httpMethod": "GET"}}"#)?;
/// let passed = passthrough::request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())?;
/// let RawEvent(raw) = passed.request.extensions().get::<RawEvent>().unwrap();
/// assert_eq!(raw.json()["path"], "/");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RawEvent(pub Event);

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");

/// The host used when the event names none (ALB health checks, VPC Lattice without `host`).
const NO_HOST: &str = "localhost";

/// The request an event describes, read by its format's module.
pub(super) struct EventRequest<'e> {
    pub(super) method: Method,
    /// As the event gives it: before stage and base-path handling and escaping.
    pub(super) path: String,
    /// The API Gateway stage, for API Gateway formats.
    pub(super) stage: Option<String>,
    /// Ready for the URI, without `?`.
    pub(super) query: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
    /// `requestContext.domainName`, when the format has it.
    pub(super) domain_name: Option<String>,
    /// The client's address, when the format has it outside `X-Forwarded-For`.
    pub(super) source_ip: Option<String>,
    /// The source only accepts HTTPS (API Gateway, function URLs).
    pub(super) https_only: bool,
    pub(super) context: Option<&'e Value>,
    pub(super) stage_variables: Option<&'e Value>,
}

/// Decodes the event's body: base64 when the event says so, its UTF-8 bytes otherwise.
pub(super) fn body(
    text: Option<String>,
    base64: bool,
    format: HttpFormat,
) -> Result<Bytes, PassThroughError> {
    let text = text.unwrap_or_default();
    if !base64 {
        return Ok(Bytes::from(text.into_bytes()));
    }
    // API Gateway pads; hand-written test events sometimes do not.
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine
        .decode(text.as_bytes())
        .map(Bytes::from)
        .map_err(|e| PassThroughError::Base64 {
            format,
            reason: base64_reason(&e),
        })
}

fn base64_reason(error: &base64::DecodeError) -> String {
    let byte = |b: u8| match b {
        b'!'..=b'~' => format!("{:?}", b as char),
        _ => format!("byte 0x{b:02x}"),
    };
    match *error {
        base64::DecodeError::InvalidByte(at, b) => format!("{} at offset {at}", byte(b)),
        base64::DecodeError::InvalidLastSymbol(at, b) => {
            format!("{} at offset {at} ends the data wrongly", byte(b))
        }
        base64::DecodeError::InvalidLength(len) => format!("{len} symbols is not a valid length"),
        base64::DecodeError::InvalidPadding => "wrong padding".to_owned(),
    }
}

/// Assembles the request: absolute URI, `Host` and `X-Forwarded-*`, context headers, the raw event.
pub(super) fn request(
    format: HttpFormat,
    mut described: EventRequest<'_>,
    event: &Event,
    options: &HttpOptions,
) -> Result<Request<Bytes>, PassThroughError> {
    // The client cannot speak for ceh: `ceh-` headers are ceh's own. The body
    // arrives whole: its length is known, and no framing is left to do.
    // Nor can it pose as an event: `ce-*` attributes are ceh's to set, unless allowed.
    let keep_ce = options.allow_event_routes();
    described.headers = headers::retain(&described.headers, |name| {
        name != TRANSFER_ENCODING
            && !poses_as(name, PREFIX)
            && (keep_ce || !poses_as(name, CLOUDEVENT_PREFIX))
    });
    let headers = &mut described.headers;
    if let Some(source) = options.authorization_source() {
        if let Some(value) = headers.remove(source) {
            headers.insert(AUTHORIZATION, value);
        }
    }
    if !described.body.is_empty() || headers.contains_key(CONTENT_LENGTH) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(described.body.len()));
    }

    let host = host(headers, described.domain_name.as_deref(), format)?;
    // The one Host the app gets is the one checked: a second value (multiValueHeaders
    // can carry several) would reach the app unchecked.
    let field = match headers.contains_key(HOST) {
        true => "headers.host",
        false => "requestContext.domainName",
    };
    headers.insert(
        HOST,
        HeaderValue::from_str(&host).map_err(|_| host_error(format, field, &host))?,
    );
    let scheme = forwarded_proto(headers).unwrap_or(if described.https_only {
        "https"
    } else {
        "http"
    });
    forward(
        headers,
        described.source_ip.as_deref(),
        scheme,
        &host,
        described.https_only,
    );

    if options.lwa_context_headers() {
        if let Some(json) = described.context.filter(|j| !j.is_null()) {
            if let Ok(value) = HeaderValue::from_str(&escape::header_text(&json.to_string())) {
                headers.insert(LWA_REQUEST_CONTEXT_HEADER, value);
            }
        }
    }
    if options.context_headers() {
        for (name, json) in [
            (REQUEST_CONTEXT_HEADER, described.context),
            (STAGE_VARIABLES_HEADER, described.stage_variables),
        ] {
            if let Some(json) = json.filter(|j| !j.is_null()) {
                let text = escape::header_text(&json.to_string());
                // Only visible ASCII is left after escaping; a failure here would be a bug, so skip quietly.
                if let Ok(value) = HeaderValue::from_str(&text) {
                    headers.insert(name, value);
                }
            }
        }
    }

    // What ceh removed from the front of the path, for apps that build absolute URLs (as
    // SCRIPT_NAME tells a WSGI app); a client's own claim to it is never passed on.
    let (removed, path) = path::split(&described.path, described.stage.as_deref(), options);
    headers.remove(FORWARDED_PREFIX_HEADER);
    if let Ok(prefix) = HeaderValue::from_str(&removed) {
        if !removed.is_empty() {
            headers.insert(FORWARDED_PREFIX_HEADER, prefix);
        }
    }
    let mut uri = format!("{scheme}://{host}{path}");
    if !described.query.is_empty() {
        uri.push('?');
        uri.push_str(&described.query);
    }
    let mut request = Request::builder()
        .method(described.method)
        .uri(&uri)
        .body(described.body)
        .map_err(|source| PassThroughError::Uri {
            format,
            uri,
            source,
        })?;
    *request.headers_mut() = described.headers;
    request.extensions_mut().insert(RawEvent(event.clone()));
    Ok(request)
}

/// The authority: the `Host` header, else `requestContext.domainName`, else `localhost`.
fn host(
    headers: &HeaderMap,
    domain_name: Option<&str>,
    format: HttpFormat,
) -> Result<String, PassThroughError> {
    let (field, text) = match (headers.get(HOST), domain_name) {
        (Some(value), _) => (
            "headers.host",
            String::from_utf8_lossy(value.as_bytes()).into_owned(),
        ),
        (None, Some(domain)) => ("requestContext.domainName", domain.to_owned()),
        (None, None) => return Ok(NO_HOST.to_owned()),
    };
    let valid = plain_host(text.as_bytes());
    if valid {
        Ok(text)
    } else {
        Err(host_error(format, field, &text))
    }
}

/// Whether a Host value is what an app may build URLs from: a host name (a
/// wildcard label included, as API Gateway's WebSocket events carry
/// `*.execute-api…`), an IPv4 address or a bracketed IPv6 one, and an
/// optional port from 1 to 65535; no list (`a, b`), parameters (`a;b`), user
/// info or empty host. HTTP events on Lambda and forwarded requests in
/// `ceh functions` are held to it alike.
pub(crate) fn plain_host(value: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let (host_ok, rest) = match text.strip_prefix('[').and_then(|v6| v6.split_once(']')) {
        Some((address, rest)) => (address.parse::<std::net::Ipv6Addr>().is_ok(), rest),
        None => {
            let (host, rest) = text.split_at(text.find(':').unwrap_or(text.len()));
            let name = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'*');
            (!host.is_empty() && host.bytes().all(name), rest)
        }
    };
    let port_ok = match rest.strip_prefix(':') {
        None => rest.is_empty(),
        Some(port) => {
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
    };
    host_ok && port_ok
}

fn host_error(format: HttpFormat, field: &'static str, value: &str) -> PassThroughError {
    PassThroughError::Host {
        format,
        field,
        value: value.to_owned(),
    }
}

/// The client's scheme from `X-Forwarded-Proto` (its first entry), when it is `http` or `https`.
fn forwarded_proto(headers: &HeaderMap) -> Option<&'static str> {
    let first = headers
        .get(X_FORWARDED_PROTO)?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim();
    if first.eq_ignore_ascii_case("https") {
        Some("https")
    } else if first.eq_ignore_ascii_case("http") {
        Some("http")
    } else {
        None
    }
}

/// Adds what the app needs to see the client: its address, scheme and port.
fn forward(
    headers: &mut HeaderMap,
    source_ip: Option<&str>,
    scheme: &'static str,
    host: &str,
    https_only: bool,
) {
    if let Some(ip) = source_ip.and_then(|ip| ip.parse::<IpAddr>().ok()) {
        let ip = ip.to_string();
        let listed = headers.get_all(X_FORWARDED_FOR).iter().any(|v| {
            v.to_str()
                .is_ok_and(|list| list.split(',').any(|entry| entry.trim() == ip))
        });
        if !listed {
            let value = match headers.get(X_FORWARDED_FOR).and_then(|v| v.to_str().ok()) {
                Some(list) if !list.trim().is_empty() => format!("{list}, {ip}"),
                _ => ip,
            };
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(X_FORWARDED_FOR, value);
            }
        }
    }
    if !headers.contains_key(X_FORWARDED_PROTO) {
        headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(scheme));
    }
    if !headers.contains_key(X_FORWARDED_PORT) {
        let port = http::uri::Authority::from_str(host)
            .ok()
            .and_then(|a| a.port_u16())
            .or((https_only && scheme == "https").then_some(443));
        if let Some(port) = port {
            headers.insert(X_FORWARDED_PORT, HeaderValue::from(port));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_hosts_pass() {
        for good in [
            "localhost",
            "example.com:443",
            "10.0.0.1:7071",
            "[::1]",
            "[::1]:8080",
            "my_host",
        ] {
            assert!(plain_host(good.as_bytes()), "{good}");
        }
        for bad in [
            "", "a,b", "a;b", ":80", "a:99999", "a:0", "a:", "user@a", "[::1", "[zz]:80", "a b",
            "a:80:80", "é",
        ] {
            assert!(!plain_host(bad.as_bytes()), "{bad}");
        }
        assert!(!plain_host(b"\xff"));
    }

    const V1: HttpFormat = HttpFormat::ApiGatewayV1;

    #[test]
    fn base64_bodies_decode_and_bad_ones_are_errors() {
        assert_eq!(body(Some("aGk=".into()), true, V1).unwrap(), "hi");
        assert_eq!(body(Some("aGk".into()), true, V1).unwrap(), "hi");
        assert_eq!(body(Some("aGk=".into()), false, V1).unwrap(), "aGk=");
        assert_eq!(body(None, true, V1).unwrap(), "");
        let messages = [
            ("not base64!", "api-gateway-v1 event: `body` is marked isBase64Encoded but is not valid base64: byte 0x20 at offset 3"),
            ("aGk!", "api-gateway-v1 event: `body` is marked isBase64Encoded but is not valid base64: '!' at offset 3"),
            ("aGk=\n", "api-gateway-v1 event: `body` is marked isBase64Encoded but is not valid base64: byte 0x0a at offset 4"),
            ("a", "api-gateway-v1 event: `body` is marked isBase64Encoded but is not valid base64: 1 symbols is not a valid length"),
        ];
        for (text, message) in messages {
            assert_eq!(
                body(Some(text.into()), true, V1).unwrap_err().to_string(),
                message
            );
        }
    }

    #[test]
    fn the_source_ip_is_appended_once() {
        let mut headers = HeaderMap::new();
        headers.insert(
            X_FORWARDED_FOR,
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        forward(&mut headers, Some("2.2.2.2"), "https", "h", true);
        assert_eq!(headers[X_FORWARDED_FOR], "1.1.1.1, 2.2.2.2");
        forward(&mut headers, Some("3.3.3.3"), "https", "h", true);
        assert_eq!(headers[X_FORWARDED_FOR], "1.1.1.1, 2.2.2.2, 3.3.3.3");
        forward(
            &mut headers,
            Some("test-invoke-source-ip"),
            "https",
            "h",
            true,
        );
        assert_eq!(headers[X_FORWARDED_FOR], "1.1.1.1, 2.2.2.2, 3.3.3.3");
        assert_eq!(headers[X_FORWARDED_PROTO], "https");
        assert_eq!(headers[X_FORWARDED_PORT], "443");
    }

    #[test]
    fn ports_come_from_the_host_or_an_https_only_source() {
        let mut headers = HeaderMap::new();
        forward(&mut headers, None, "http", "localhost:3000", false);
        assert_eq!(headers[X_FORWARDED_PORT], "3000");
        let mut headers = HeaderMap::new();
        forward(&mut headers, None, "http", "example.com", false);
        assert!(!headers.contains_key(X_FORWARDED_PORT));
        assert!(!headers.contains_key(X_FORWARDED_FOR));
    }

    #[test]
    fn hosts_are_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(host(&headers, None, V1).unwrap(), "localhost");
        assert_eq!(
            host(&headers, Some("api.example.com"), V1).unwrap(),
            "api.example.com"
        );
        headers.insert(HOST, HeaderValue::from_static("a b"));
        assert_eq!(
            host(&headers, Some("api.example.com"), V1).unwrap_err().to_string(),
            "api-gateway-v1 event: `headers.host` is not a host name (with an optional port): \"a b\""
        );
    }
}
