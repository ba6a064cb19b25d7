//! API Gateway HTTP APIs (payload format 2.0) and Lambda function URLs.

use aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use aws_lambda_events::lambda_function_urls::LambdaFunctionUrlRequest;
use http::Method;
use serde_json::Value;

use super::build::{body, EventRequest};
use super::error::PassThroughError;
use super::format::HttpFormat;
use super::headers;
use super::query::{self, Encoding};
use super::shape;

/// Reads an HTTP API event (`ApiGatewayV2httpRequest`).
///
/// The method is `requestContext.http.method`; `rawPath` holds the stage
/// when the stage is not `$default`, and HTTP APIs deliver it decoded.
pub(super) fn api_gateway_v2(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    const FORMAT: HttpFormat = HttpFormat::ApiGatewayV2;
    let mut headers = headers::object(json, "headers", FORMAT)?;
    let event = shape::read::<ApiGatewayV2httpRequest>(json, FORMAT)?;
    headers::set_cookies(&mut headers, event.cookies.as_deref(), FORMAT)?;
    let context = event.request_context;
    let http = context.http;
    Ok(EventRequest {
        method: http.method,
        path: event.raw_path.or(http.path).unwrap_or_default(),
        stage: context.stage,
        query: raw_query(json, event.raw_query_string.as_deref(), FORMAT)?,
        headers,
        body: body(event.body, event.is_base64_encoded, FORMAT)?,
        domain_name: context.domain_name,
        source_ip: http.source_ip,
        https_only: true,
        context: json.get("requestContext"),
        stage_variables: json.get("stageVariables"),
    })
}

/// Reads a function URL event (`LambdaFunctionUrlRequest`): the 2.0 shape, without stages.
pub(super) fn function_url(json: &Value) -> Result<EventRequest<'_>, PassThroughError> {
    const FORMAT: HttpFormat = HttpFormat::FunctionUrl;
    let mut headers = headers::object(json, "headers", FORMAT)?;
    let event = shape::read::<LambdaFunctionUrlRequest>(json, FORMAT)?;
    headers::set_cookies(&mut headers, event.cookies.as_deref(), FORMAT)?;
    let context = event.request_context;
    let http = context.http;
    let method = http.method.unwrap_or_default();
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| PassThroughError::Method {
        format: FORMAT,
        field: "requestContext.http.method",
        value: method.clone(),
    })?;
    Ok(EventRequest {
        method,
        path: event.raw_path.or(http.path).unwrap_or_default(),
        stage: None,
        query: raw_query(json, event.raw_query_string.as_deref(), FORMAT)?,
        headers,
        body: body(event.body, event.is_base64_encoded, FORMAT)?,
        domain_name: context.domain_name,
        source_ip: http.source_ip,
        https_only: true,
        context: json.get("requestContext"),
        stage_variables: None,
    })
}

/// `rawQueryString` as sent; hand-written events without one fall back to
/// `queryStringParameters` (decoded, repeated keys joined with commas).
fn raw_query(
    json: &Value,
    raw: Option<&str>,
    format: HttpFormat,
) -> Result<String, PassThroughError> {
    match raw {
        Some(raw) if !raw.is_empty() => Ok(query::raw_string(raw)),
        _ => query::object(json, "queryStringParameters", format, Encoding::Decoded),
    }
}
