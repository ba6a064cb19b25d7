//! Application Load Balancer targets.

use aws_lambda_events::alb::AlbTargetGroupRequest;
use serde_json::Value;

use super::build::{body, EventRequest};
use super::error::PassThroughError;
use super::format::HttpFormat;
use super::headers;
use super::query::{self, Encoding};
use super::shape;

/// Reads an ALB event (`AlbTargetGroupRequest`).
///
/// ALB passes path and query parameters as the client sent them, without
/// decoding: they are kept as they are (lambda_http decodes and re-encodes
/// them, which turns `%26` into a second parameter). `multiValueHeaders` is
/// there only when the target group enables multi-value headers, and then
/// the reply must use it too.
pub(super) fn alb(json: &Value) -> Result<(EventRequest<'_>, bool), PassThroughError> {
    const FORMAT: HttpFormat = HttpFormat::Alb;
    let (headers, multi) = headers::rest_style(json, FORMAT)?;
    let event = shape::read::<AlbTargetGroupRequest>(json, FORMAT)?;
    let described = EventRequest {
        method: event.http_method,
        path: event.path.unwrap_or_default(),
        stage: None,
        query: query::rest_style(json, FORMAT, Encoding::Raw)?,
        headers,
        body: body(event.body, event.is_base64_encoded, FORMAT)?,
        domain_name: None,
        source_ip: None,
        https_only: false,
        context: json.get("requestContext"),
        stage_variables: None,
    };
    Ok((described, multi))
}
