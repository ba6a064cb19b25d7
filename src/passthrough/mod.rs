//! HTTP pass-through: an HTTP event becomes the request it describes, and the
//! app's response becomes the exact reply its source requires.
//!
//! The rule table decides what an event is (`kind = "http"`, `format = …`);
//! [`request`] then reads the event as that format's own `aws_lambda_events`
//! type, and nothing else: an event that does not fit is a
//! [`PassThroughError::Shape`] naming the format, never a guess at another
//! shape. [`reply`] writes the reply for the [`ReplyShape`] the request left.
//!
//! | format | event type | reply |
//! |---|---|---|
//! | `api-gateway-v1` | `ApiGatewayProxyRequest` | `statusCode`, `headers`, `multiValueHeaders`¹, `body`, `isBase64Encoded` |
//! | `api-gateway-v2` | `ApiGatewayV2httpRequest` | `statusCode`, `headers`, `cookies`, `body`, `isBase64Encoded` |
//! | `function-url` | `LambdaFunctionUrlRequest` | as `api-gateway-v2` |
//! | `websocket` | `ApiGatewayWebsocketProxyRequest` | as `api-gateway-v1` |
//! | `alb` | `AlbTargetGroupRequest` | `statusCode`, `statusDescription`, `headers` or `multiValueHeaders`¹, `body`, `isBase64Encoded` |
//! | `vpc-lattice` | `VpcLatticeRequestV1` / `V2` (by `version`) | `statusCode`, `statusDescription`, `headers`, `body`, `isBase64Encoded` |
//! | `azure-functions` | `Data.<binding>` of a custom handler's payload (read from the JSON) | `statusCode`, `headers`, `body` (the http output binding's value) |
//!
//! ¹ ALB: only when the event had `multiValueHeaders`; API Gateway v1 and
//! WebSocket: then with every header (and `headers` empty), else with the
//! repeated ones; each value is said once, since API Gateway merges the two.
//!
//! # Why not lambda_http
//!
//! lambda_http 1.3.2 converts these events too, and was read closely; this
//! module is written on `aws_lambda_events` types instead, because:
//! - its conversions are private: the only public way in is its `LambdaRequest`
//!   deserializer, which tries each shape in turn until one parses — the guess
//!   the rule table exists to avoid (a REST API's REQUEST authorizer event
//!   parses as a proxy request, and is served as one);
//! - it panics on an invalid base64 body, adds an empty `Cookie` header for
//!   an empty `cookies` list, loses the query order (a `HashMap`), decodes
//!   then re-encodes ALB and Lattice query strings, overwrites
//!   `multiValueHeaders` with `headers`, replies to v2 with only the first
//!   value of a repeated header, and replies to ALB with both header maps;
//! - even with default features off it brings `lambda_runtime`, `hyper`,
//!   `url`, `encoding_rs` and more, for a runtime loop ceh has its own of.
//!
//! What it gets right is kept: the method from `requestContext.http.method`
//! for v2, the `Host` header before `domainName`, HTTPS for API Gateway, the
//! stage prefix for REST APIs (here behind `keep_stage`), `Set-Cookie` into
//! `cookies` for v2, `statusDescription` for ALB, and its text content types.
//!
//! ```
//! use cloud_events_handler::passthrough::{self, HttpOptions};
//! use cloud_events_handler::passthrough::HttpFormat;
//! use cloud_events_handler::Event;
//!
//! let event = Event::from_slice(br#"{
//!     "version": "2.0", "rawPath": "/prod/users/42", "rawQueryString": "b=2&a=1",
//!     "cookies": ["session=abc"],
//!     "headers": {"host": "api.example.com"},
//!     "requestContext": {"stage": "prod", "http": {"method": "GET", "sourceIp": "203.0.113.9"}},
//!     "isBase64Encoded": false
//! }"#)?;
//! let options = HttpOptions::default();
//! let passed = passthrough::request(HttpFormat::ApiGatewayV2, &event, &options)?;
//! assert_eq!(passed.request.uri(), "https://api.example.com/users/42?b=2&a=1");
//! assert_eq!(passed.request.headers()["cookie"], "session=abc");
//! assert_eq!(passed.request.headers()["x-forwarded-for"], "203.0.113.9");
//!
//! let response = http::Response::builder()
//!     .header("set-cookie", "seen=1")
//!     .body(bytes::Bytes::from_static(b"hello"))?;
//! assert_eq!(
//!     passthrough::reply(&passed.shape, &response, &options),
//!     serde_json::json!({"statusCode": 200, "headers": {}, "cookies": ["seen=1"], "body": "hello", "isBase64Encoded": false})
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod alb;
mod azure_functions;
mod build;
mod error;
mod format;
mod headers;
mod http_api;
mod media;
mod options;
mod path;
mod query;
mod response;
mod rest;
mod shape;
mod vpc_lattice;

use bytes::Bytes;
use http::{Request, Response};
use serde_json::Value;

use crate::event::Event;

pub(crate) use build::plain_host;
pub use build::RawEvent;
pub use error::PassThroughError;
pub use format::{HttpFormat, ReplyShape};
pub use media::DEFAULT_TEXT_CONTENT_TYPES;
pub use options::HttpOptions;

/// An HTTP event, passed through: the request for the app, and what its reply needs.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions, ReplyShape};
/// use cloud_events_handler::{Event, passthrough::HttpFormat};
///
/// let event = Event::from_slice(br#"{"httpMethod": "POST", "path": "/users", "headers": {"Host": "api.example.com"},
///                                    "body": "{}", "requestContext": {"httpMethod": "POST"}}"#)?;
/// let passed = passthrough::request(HttpFormat::ApiGatewayV1, &event, &HttpOptions::default())?;
/// assert_eq!((passed.request.method(), passed.request.uri().to_string()), (&http::Method::POST, "https://api.example.com/users".to_owned()));
/// assert_eq!(passed.shape, ReplyShape::new(HttpFormat::ApiGatewayV1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PassThrough {
    /// The request the event describes, with an absolute URI, the client's
    /// `Host`, `X-Forwarded-*` headers, and the event as a [`RawEvent`] extension.
    pub request: Request<Bytes>,
    /// What [`reply`] needs to know about the request.
    pub shape: ReplyShape,
}

/// Turns an HTTP event into the request it describes, reading it as `format`.
///
/// The URI is absolute (`https://host/path?query`): the host is the event's
/// `Host` header, else `requestContext.domainName`, else `localhost`; the
/// scheme is `X-Forwarded-Proto`'s, else `https` for API Gateway and function
/// URLs and `http` for ALB and VPC Lattice. The body is base64-decoded when
/// the event says `isBase64Encoded`. See `docs/http.md` for every rule.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions};
/// use cloud_events_handler::{Event, passthrough::HttpFormat};
///
/// let event = Event::from_slice(br#"{"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:tg"}},
///                                    "httpMethod": "GET", "path": "/health", "headers": {}}"#)?;
/// let passed = passthrough::request(HttpFormat::Alb, &event, &HttpOptions::default())?;
/// assert_eq!(passed.request.uri(), "http://localhost/health");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn request(
    format: HttpFormat,
    event: &Event,
    options: &HttpOptions,
) -> Result<PassThrough, PassThroughError> {
    let json = event.json();
    let (described, multi) = match format {
        HttpFormat::ApiGatewayV1 => rest::api_gateway_v1(json)?,
        HttpFormat::Websocket => rest::websocket(json)?,
        HttpFormat::ApiGatewayV2 => (http_api::api_gateway_v2(json)?, false),
        HttpFormat::FunctionUrl => (http_api::function_url(json)?, false),
        HttpFormat::Alb => alb::alb(json)?,
        HttpFormat::VpcLattice => (vpc_lattice::vpc_lattice(json)?, false),
        HttpFormat::AzureFunctions => (azure_functions::azure_functions(json)?, false),
    };
    let request = build::request(format, described, event, options)?;
    Ok(PassThrough {
        request,
        shape: ReplyShape::new(format).with_multi_value_headers(multi),
    })
}

/// Turns the app's response into the reply JSON `shape`'s source requires.
///
/// Bodies whose `Content-Type` is one of the options' text types (or that
/// have none), that have no `Content-Encoding` and are UTF-8 are sent as text;
/// all others base64-encoded with `isBase64Encoded: true`.
///
/// ```
/// use cloud_events_handler::passthrough::{self, HttpOptions, ReplyShape};
/// use cloud_events_handler::passthrough::HttpFormat;
///
/// let response = http::Response::builder()
///     .status(404)
///     .header("content-type", "image/png")
///     .body(bytes::Bytes::from_static(b"\x89PNG"))?;
/// let reply = passthrough::reply(&ReplyShape::new(HttpFormat::Alb), &response, &HttpOptions::default());
/// assert_eq!(reply, serde_json::json!({
///     "statusCode": 404, "statusDescription": "404 Not Found",
///     "headers": {"content-type": "image/png"},
///     "body": "iVBORw==", "isBase64Encoded": true
/// }));
/// # Ok::<(), http::Error>(())
/// ```
pub fn reply(shape: &ReplyShape, response: &Response<Bytes>, options: &HttpOptions) -> Value {
    response::reply(shape, response, options)
}
