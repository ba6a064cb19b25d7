//! VPC Lattice targets, payload versions 1 and 2.

use aws_lambda_events::encodings::Body;
use aws_lambda_events::vpc_lattice::{VpcLatticeRequestV1, VpcLatticeRequestV2};
use http::Method;
use serde_json::Value;

use super::build::{body, EventRequest};
use super::error::PassThroughError;
use super::format::HttpFormat;
use super::headers;
use super::query::{self, Encoding};
use super::shape;

const FORMAT: HttpFormat = HttpFormat::VpcLattice;

/// Reads a VPC Lattice event. The payload version is the event's own
/// `version` field, as the target group was configured: `"2.0"` for v2
/// (`VpcLatticeRequestV2`), none for v1 (`VpcLatticeRequestV1`, snake_case keys).
///
/// Lattice passes query parameters as sent, and v1 joins repeated headers
/// with commas; both are kept as they are.
pub(super) fn vpc_lattice(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    match json.get("version") {
        None | Some(Value::Null) => v1(json),
        Some(Value::String(v)) if v == "2.0" => v2(json),
        Some(other) => Err(PassThroughError::Version {
            format: FORMAT,
            value: other
                .as_str()
                .map_or_else(|| other.to_string(), str::to_owned),
        }),
    }
}

fn v1(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    let headers = headers::object(json, "headers", FORMAT)?;
    let event = shape::read::<VpcLatticeRequestV1>(json, FORMAT)?;
    let text = match event.body {
        Some(Body::Text(text)) => Some(text),
        // Deserializing from JSON only ever gives text or nothing.
        _ => None,
    };
    Ok(EventRequest {
        method: method(event.method)?,
        path: event.raw_path.unwrap_or_default(),
        stage: None,
        query: query::object(json, "query_string_parameters", FORMAT, Encoding::Raw)?,
        headers,
        body: body(text, event.is_base64_encoded, FORMAT)?,
        domain_name: None,
        source_ip: None,
        https_only: false,
        context: None,
        stage_variables: None,
    })
}

fn v2(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    let headers = headers::object(json, "headers", FORMAT)?;
    let event = shape::read::<VpcLatticeRequestV2>(json, FORMAT)?;
    Ok(EventRequest {
        method: method(event.method)?,
        path: event.path.unwrap_or_default(),
        stage: None,
        query: query::object(json, "queryStringParameters", FORMAT, Encoding::Raw)?,
        headers,
        body: body(event.body, event.is_base64_encoded, FORMAT)?,
        domain_name: None,
        source_ip: None,
        https_only: false,
        context: json.get("requestContext"),
        stage_variables: None,
    })
}

/// Lattice always sends a method; an event without one is refused, not guessed.
fn method(method: Option<Method>) -> Result<Method, PassThroughError> {
    method.ok_or(PassThroughError::Method {
        format: FORMAT,
        field: "method",
        value: String::new(),
    })
}
