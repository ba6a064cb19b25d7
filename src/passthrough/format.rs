//! The HTTP event formats, and what a reply must know of the request's.

use std::fmt;

use serde_json::Value;

/// The shape of an HTTP event, for `kind = "http"` rules.
///
/// ```
/// use cloud_events_handler::{passthrough::HttpFormat, rule::Route};
/// use cloud_events_handler::RuleTable;
///
/// let table = RuleTable::builtin();
/// let target = table.get("function-url").map(|rule| rule.route());
/// assert!(matches!(target, Some(Route::Http(HttpFormat::FunctionUrl))));
/// assert_eq!(HttpFormat::ApiGatewayV2.to_string(), "api-gateway-v2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HttpFormat {
    /// API Gateway REST API proxy integration (payload format 1.0).
    ApiGatewayV1,
    /// API Gateway HTTP API (payload format 2.0).
    ApiGatewayV2,
    /// Application Load Balancer target.
    Alb,
    /// Lambda function URL (payload format 2.0).
    FunctionUrl,
    /// API Gateway WebSocket API.
    Websocket,
    /// VPC Lattice target (v1 or v2 payload).
    VpcLattice,
    /// An Azure Functions HTTP trigger in a custom handler's invocation payload.
    AzureFunctions,
}

impl fmt::Display for HttpFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpFormat::ApiGatewayV1 => "api-gateway-v1",
            HttpFormat::ApiGatewayV2 => "api-gateway-v2",
            HttpFormat::Alb => "alb",
            HttpFormat::FunctionUrl => "function-url",
            HttpFormat::Websocket => "websocket",
            HttpFormat::VpcLattice => "vpc-lattice",
            HttpFormat::AzureFunctions => "azure-functions",
        })
    }
}

/// What the reply needs to know about the request: its format, and whether it
/// used multi-value headers (then the reply must, for API Gateway v1,
/// WebSocket and ALB).
///
/// ```
/// use cloud_events_handler::passthrough::ReplyShape;
/// use cloud_events_handler::passthrough::HttpFormat;
///
/// let shape = ReplyShape::new(HttpFormat::Alb).with_multi_value_headers(true);
/// assert!(shape.multi_value_headers());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplyShape {
    format: HttpFormat,
    multi_value_headers: bool,
}

impl ReplyShape {
    /// The shape for `format`, with single-value headers.
    pub fn new(format: HttpFormat) -> Self {
        Self {
            format,
            multi_value_headers: false,
        }
    }

    /// The shape for an event of `format`, read from its JSON alone: for a
    /// reply to an event whose request could not be built (a 400 reply).
    ///
    /// ```
    /// use cloud_events_handler::{passthrough::ReplyShape, passthrough::HttpFormat};
    /// use serde_json::json;
    ///
    /// let event = json!({"multiValueHeaders": {"accept": ["*/*"]}});
    /// assert!(ReplyShape::of(HttpFormat::Alb, &event).multi_value_headers());
    /// assert!(!ReplyShape::of(HttpFormat::ApiGatewayV2, &event).multi_value_headers(), "v2 has none");
    /// ```
    pub fn of(format: HttpFormat, json: &Value) -> Self {
        let multi = match format {
            HttpFormat::ApiGatewayV1 | HttpFormat::Websocket | HttpFormat::Alb => {
                json.get("multiValueHeaders").is_some_and(Value::is_object)
            }
            _ => false,
        };
        Self::new(format).with_multi_value_headers(multi)
    }

    /// Whether the request came with `multiValueHeaders`.
    pub fn with_multi_value_headers(mut self, multi: bool) -> Self {
        self.multi_value_headers = multi;
        self
    }

    /// The event's format.
    ///
    /// ```
    /// use cloud_events_handler::{passthrough::ReplyShape, passthrough::HttpFormat};
    ///
    /// assert_eq!(ReplyShape::new(HttpFormat::FunctionUrl).format(), HttpFormat::FunctionUrl);
    /// ```
    pub fn format(&self) -> HttpFormat {
        self.format
    }

    /// Whether the request came with `multiValueHeaders`.
    pub fn multi_value_headers(&self) -> bool {
        self.multi_value_headers
    }
}
