//! Every header name ceh itself sets on the requests an app receives, and the
//! one an app may set on its answer ([`DROP_HEADER`]), in one place.
//!
//! Apps rely on these names; they are part of ceh's interface, documented in
//! docs/rules.md and docs/http.md. A client of an HTTP event cannot send any
//! of them (or any `ce-*` header) to the app: pass-through drops them.

use http::header::{CONNECTION, CONTENT_LENGTH, HOST, TE, TRAILER, TRANSFER_ENCODING, UPGRADE};
use http::{HeaderMap, HeaderName, HeaderValue};

/// The header that names the rule an event request matched.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::RULE_HEADER};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"source": "com.example.orders", "detail-type": "t", "detail": {}}"#)?;
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[0].headers()[RULE_HEADER], explained.rule().name());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RULE_HEADER: HeaderName = HeaderName::from_static("ceh-rule");

/// `ceh-record-index`: a batch record's position in its batch, from 0.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::RECORD_INDEX_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_INDEX_HEADER], "1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_INDEX_HEADER: HeaderName = HeaderName::from_static("ceh-record-index");
/// `ceh-record-id`: a batch record's identifier (`messageId`, sequence number…).
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::RECORD_ID_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_ID_HEADER], "b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_ID_HEADER: HeaderName = HeaderName::from_static("ceh-record-id");
/// `ceh-record-group`: a batch record's ordering group (SQS FIFO message group).
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::RECORD_GROUP_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_GROUP_HEADER], "g1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_GROUP_HEADER: HeaderName = HeaderName::from_static("ceh-record-group");
/// `ceh-delivery-attempt`: how many times the source has delivered this
/// record or event, 1 for the first delivery; absent when the source does not
/// say. The built-in rules set it from SQS `ApproximateReceiveCount`, Pub/Sub
/// push `deliveryAttempt`, Service Bus `DeliveryCount` and Queue Storage
/// `DequeueCount`; `ceh serve` from Event Grid's 0-based `aeg-delivery-count`
/// (docs/tracing.md, "Delivery attempts"). A rule may set it, but only to a
/// positive integer: a JSON number or a string of digits; anything else leaves
/// it out.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::DELIVERY_ATTEMPT_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"ApproximateReceiveCount": "3"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[0].headers()[DELIVERY_ATTEMPT_HEADER], "3");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DELIVERY_ATTEMPT_HEADER: HeaderName = HeaderName::from_static("ceh-delivery-attempt");

/// `ceh-request-id`: the Lambda request id of the invocation.
///
/// ```
/// use cloud_events_handler::{Invocation, headers::REQUEST_ID_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_request_id("r1").add_headers(&mut headers);
/// assert_eq!(headers[REQUEST_ID_HEADER], "r1");
/// ```
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("ceh-request-id");
/// `ceh-deadline-ms`: when the invocation times out, in milliseconds since the Unix epoch.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use cloud_events_handler::{Invocation, headers::DEADLINE_HEADER};
///
/// let deadline = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_deadline(deadline).add_headers(&mut headers);
/// assert_eq!(headers[DEADLINE_HEADER], "1700000000123");
/// ```
pub const DEADLINE_HEADER: HeaderName = HeaderName::from_static("ceh-deadline-ms");
/// `ceh-function-arn`: the ARN the function was invoked with.
///
/// ```
/// use cloud_events_handler::{Invocation, headers::FUNCTION_ARN_HEADER};
///
/// let arn = "arn:aws:lambda:eu-west-1:123456789012:function:orders";
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_function_arn(arn).add_headers(&mut headers);
/// assert_eq!(headers[FUNCTION_ARN_HEADER], arn);
/// ```
pub const FUNCTION_ARN_HEADER: HeaderName = HeaderName::from_static("ceh-function-arn");
/// `x-amzn-trace-id`: the X-Ray trace header, under the name X-Ray SDKs read.
///
/// ```
/// use cloud_events_handler::{Invocation, headers::TRACE_ID_HEADER};
///
/// let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1";
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_trace_id(trace).add_headers(&mut headers);
/// assert_eq!(headers["x-amzn-trace-id"], trace);
/// assert_eq!(TRACE_ID_HEADER, "x-amzn-trace-id");
/// ```
pub const TRACE_ID_HEADER: HeaderName = HeaderName::from_static("x-amzn-trace-id");

/// The header that carries the event's `requestContext`, as compact JSON.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions};
/// use cloud_events_handler::headers::REQUEST_CONTEXT_HEADER;
/// use cloud_events_handler::{Event, passthrough::HttpFormat};
///
/// let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {"httpMethod": "GET"}}"#)?;
/// let passed = passthrough::request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())?;
/// assert_eq!(passed.request.headers()[REQUEST_CONTEXT_HEADER], r#"{"httpMethod":"GET"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const REQUEST_CONTEXT_HEADER: HeaderName = HeaderName::from_static("ceh-request-context");
/// The header that carries the event's `stageVariables`, as compact JSON.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions};
/// use cloud_events_handler::headers::STAGE_VARIABLES_HEADER;
/// use cloud_events_handler::{Event, passthrough::HttpFormat};
///
/// let event = Event::from_slice(br#"{"httpMethod": "GET", "path": "/", "requestContext": {"httpMethod": "GET"},
///                                    "stageVariables": {"env": "test"}}"#)?;
/// let passed = passthrough::request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())?;
/// assert_eq!(passed.request.headers()[STAGE_VARIABLES_HEADER], r#"{"env":"test"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const STAGE_VARIABLES_HEADER: HeaderName = HeaderName::from_static("ceh-stage-variables");

/// `x-forwarded-prefix`: the path prefix ceh removed from an HTTP event's
/// request (the API Gateway stage, `[http] base_path`), as `/prod/api`, so an
/// app can build absolute URLs as a WSGI app does with `SCRIPT_NAME`. Set
/// only when something was removed; a client's own is dropped.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions};
/// use cloud_events_handler::{Event, passthrough::HttpFormat, headers::FORWARDED_PREFIX_HEADER};
///
/// let event = Event::from_slice(br#"{"version": "2.0", "rawPath": "/prod/users", "rawQueryString": "",
///     "headers": {"x-forwarded-prefix": "/evil"},
///     "requestContext": {"stage": "prod", "http": {"method": "GET"}}, "isBase64Encoded": false}"#)?;
/// let passed = passthrough::request(HttpFormat::ApiGatewayV2, &event, &HttpOptions::default())?;
/// assert_eq!(passed.request.uri().path(), "/users");
/// assert_eq!(passed.request.headers()[FORWARDED_PREFIX_HEADER], "/prod");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const FORWARDED_PREFIX_HEADER: HeaderName = HeaderName::from_static("x-forwarded-prefix");

/// `x-amzn-request-context`: Lambda Web Adapter's name for
/// [`REQUEST_CONTEXT_HEADER`], sent with `[http] lwa_context_headers = true`.
pub const LWA_REQUEST_CONTEXT_HEADER: HeaderName =
    HeaderName::from_static("x-amzn-request-context");
/// `x-amzn-lambda-context`: Lambda Web Adapter's JSON of the invocation,
/// lambda_runtime's `Context` (`request_id`, `deadline`,
/// `invoked_function_arn`, `xray_trace_id`, `client_context`, `identity`,
/// `tenant_id`, `env_config`), sent with `[http] lwa_context_headers = true`.
pub const LWA_LAMBDA_CONTEXT_HEADER: HeaderName = HeaderName::from_static("x-amzn-lambda-context");

/// `x-amz-tenant-id`: the tenant a Lambda invocation is for (Lambda tenant
/// isolation's `Lambda-Runtime-Aws-Tenant-Id`), under Lambda Web Adapter's
/// name; absent when Lambda sends none.
///
/// ```
/// use cloud_events_handler::{Invocation, headers::TENANT_ID_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_tenant_id("blue").add_headers(&mut headers);
/// assert_eq!(headers[TENANT_ID_HEADER], "blue");
/// ```
pub const TENANT_ID_HEADER: HeaderName = HeaderName::from_static("x-amz-tenant-id");

/// `traceparent` (W3C Trace Context): a record's own context, else the
/// delivery's, always well-formed (docs/tracing.md).
pub const TRACEPARENT_HEADER: HeaderName = HeaderName::from_static("traceparent");
/// `tracestate` (W3C Trace Context): sent with the `traceparent` of its own source.
pub const TRACESTATE_HEADER: HeaderName = HeaderName::from_static("tracestate");
/// `prefer`: `ceh serve` passes on `Prefer: reply` (Knative's reply contract).
pub const PREFER_HEADER: HeaderName = HeaderName::from_static("prefer");
/// The Azure Event Grid delivery headers `ceh serve` passes on.
pub const EVENT_GRID_HEADERS: [&str; 5] = [
    "aeg-event-type",
    "aeg-subscription-name",
    "aeg-delivery-count",
    "aeg-data-version",
    "aeg-metadata-version",
];
/// The prefix of the message metadata a Pub/Sub push subscription with
/// payload unwrapping writes as headers; `ceh serve` passes them on.
pub const PUBSUB_METADATA_PREFIX: &str = "x-goog-pubsub-";

/// `ceh-metadata`: what a rule's `metadata` key selects from the event, as
/// compact JSON (percent-encoded where HTTP cannot carry it, as
/// [`REQUEST_CONTEXT_HEADER`] is). The built-in Azure Functions rules send the
/// host's `Metadata` in it; in a batch, each message's own.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::METADATA_HEADER};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Data": {"msg": "hello"}, "Metadata": {"DequeueCount": 1, "PopReceipt": "r", "Id": "m1"}}"#)?;
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[0].headers()[METADATA_HEADER], r#"{"DequeueCount":1,"PopReceipt":"r","Id":"m1"}"#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const METADATA_HEADER: HeaderName = HeaderName::from_static("ceh-metadata");

/// `ceh-function-name`: the Azure Functions function an invocation is for
/// (the path the Functions host posted it to), sent by `ceh functions`.
///
/// ```
/// use cloud_events_handler::{Invocation, headers::FUNCTION_NAME_HEADER};
///
/// let mut headers = http::HeaderMap::new();
/// Invocation::default().with_function_name("orders").add_headers(&mut headers);
/// assert_eq!(headers[FUNCTION_NAME_HEADER], "orders");
/// ```
pub const FUNCTION_NAME_HEADER: HeaderName = HeaderName::from_static("ceh-function-name");

/// `ceh-drop`: a header the APP sets on its answer to say "drop this event,
/// do not retry it" (a poison message), with the value `true` or `1`, on any
/// status. ceh acknowledges the event or record to its source (a Firehose
/// record becomes `Dropped`) and logs one line saying so; without it, any
/// answer outside 2xx is a failure the source retries.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, headers::DROP_HEADER};
/// use http_body_util::Full;
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "m1", "body": "x"}]}"#)?;
/// let poison = tower::service_fn(|_: http::Request<Full<bytes::Bytes>>| async {
///     http::Response::builder().status(422).header(DROP_HEADER, "true").body(Full::new(bytes::Bytes::new()))
/// });
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let reply = handler.handle(&event, poison).await?;
/// assert_eq!(reply.into_json(), serde_json::json!({"batchItemFailures": []}), "deleted, never retried");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const DROP_HEADER: HeaderName = HeaderName::from_static("ceh-drop");

/// The prefix of every header ceh sets; a client's own `ceh-*` headers are dropped.
pub(crate) const PREFIX: &str = "ceh-";

/// The prefix of CloudEvents attributes in binary mode; a client's own are
/// dropped unless `[http] allow_event_routes` lets clients pose as events.
pub(crate) const CLOUDEVENT_PREFIX: &str = "ce-";

/// Whether a header name reads as `prefix…` once a server folds `_` into
/// `-`, as WSGI servers do (`ceh_rule` reaches a Flask app as `Ceh-Rule`).
/// Names are in lower case already.
pub(crate) fn poses_as(name: &HeaderName, prefix: &str) -> bool {
    let (name, prefix) = (name.as_str().as_bytes(), prefix.as_bytes());
    name.len() >= prefix.len()
        && name
            .iter()
            .zip(prefix)
            .all(|(n, p)| n == p || (*n == b'_' && *p == b'-'))
}

/// The headers that describe one connection, not the message (RFC 9110
/// §7.6.1, and the `keep-alive`/`proxy-connection` of HTTP/1.0): they hold
/// between the app and ceh only, and never reach a reply.
/// Names, not text: an answer's headers are cleared of them without
/// parsing a name again for every answer.
const HOP_BY_HOP: [HeaderName; 7] = [
    CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    TE,
    TRAILER,
    TRANSFER_ENCODING,
    UPGRADE,
];

/// Removes the hop-by-hop headers of an answer ceh received: the fixed set,
/// and every header its `Connection` names. An app's answer reaches the
/// event source (an API Gateway or Functions reply, `ceh serve`'s own
/// response) over another connection, which these do not describe.
pub(crate) fn remove_hop_by_hop(headers: &mut HeaderMap) {
    // Each header `Connection`'s tokens name goes, before the fixed set: a
    // token is looked up as it is written, case aside, with no name built
    // for it. (The values are shared, not copied: the map changes under them.)
    let connection: Vec<HeaderValue> = headers.get_all(CONNECTION).iter().cloned().collect();
    let tokens = connection
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','));
    for token in tokens {
        headers.remove(token.trim());
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

/// Headers neither a rule nor the environment may set: the transport and ceh own them.
pub(crate) const RESERVED: [HeaderName; 4] = [HOST, CONTENT_LENGTH, TRANSFER_ENCODING, RULE_HEADER];

/// The most bytes of one header value ceh builds from event data
/// (`ceh-metadata`, `ceh-record-id`, a templated header, a `ce-*` attribute):
/// below the 8 KiB per line that Apache, nginx and Gunicorn allow by default,
/// so no app server answers 431 to a request ceh made. Longer refuses the event.
pub(crate) const MAX_HEADER_VALUE_BYTES: usize = 4096;

/// The most bytes of all headers of a synthesized request together, names and
/// values (Tomcat's and Kestrel's whole header section is 8 KiB and up).
pub(crate) const MAX_HEADERS_BYTES: usize = 8192;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_those_connection_names_are_removed() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("connection", "keep-alive, X-Session"),
            ("connection", "upgrade"),
            ("keep-alive", "timeout=5"),
            ("x-session", "7"),
            ("upgrade", "h2c"),
            ("transfer-encoding", "chunked"),
            ("te", "trailers"),
            ("trailer", "x-digest"),
            ("proxy-connection", "keep-alive"),
            ("set-cookie", "a=1"),
            ("set-cookie", "b=2"),
            ("content-type", "text/plain"),
        ] {
            headers.append(HeaderName::from_static(name), value.parse().unwrap());
        }
        remove_hop_by_hop(&mut headers);
        let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["set-cookie", "content-type"]);
        assert_eq!(headers.get_all("set-cookie").iter().count(), 2);
    }

    #[test]
    fn connection_tokens_that_name_no_header_change_nothing_and_long_names_go() {
        let long = "x-".to_owned() + &"a".repeat(100);
        let mut headers = HeaderMap::new();
        let connection = format!(", ,bad name,b\\d, {}", long.to_uppercase());
        headers.append(CONNECTION, connection.parse().unwrap());
        headers.append(
            HeaderName::from_bytes(long.as_bytes()).unwrap(),
            "1".parse().unwrap(),
        );
        headers.append(HeaderName::from_static("x-kept"), "2".parse().unwrap());
        remove_hop_by_hop(&mut headers);
        let left: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(left, ["x-kept"]);
    }

    #[test]
    fn folded_spellings_pose_as_ceh_headers() {
        for name in ["ceh-rule", "ceh_rule", "CEH_RULE", "Ceh-Record-Id", "ceh_"] {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            assert!(poses_as(&name, PREFIX), "{name}");
        }
        for name in ["ce-source", "ce_source", "CE_SOURCE"] {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            assert!(poses_as(&name, CLOUDEVENT_PREFIX), "{name}");
        }
        for name in ["cehrule", "content-type", "ce", "x-ceh-rule", "cookie"] {
            let name = HeaderName::from_bytes(name.as_bytes()).unwrap();
            assert!(
                !poses_as(&name, PREFIX) && !poses_as(&name, CLOUDEVENT_PREFIX),
                "{name}"
            );
        }
    }
}
