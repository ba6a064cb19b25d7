//! API Gateway REST APIs (payload format 1.0) and WebSocket APIs.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayWebsocketProxyRequest};
use http::Method;
use serde_json::Value;

use super::build::{body, EventRequest};
use super::error::PassThroughError;
use super::format::HttpFormat;
use super::headers;
use super::query::{self, Encoding};
use super::shape;

/// Reads an API Gateway REST proxy event (`ApiGatewayProxyRequest`).
///
/// `path` is the resource path as the client sent it (the stage is not in it);
/// query parameters arrive decoded and are encoded again.
pub(super) fn api_gateway_v1(json: &Value) -> Result<(EventRequest<'_>, bool), PassThroughError> {
    const FORMAT: HttpFormat = HttpFormat::ApiGatewayV1;
    let (headers, multi) = headers::rest_style(json, FORMAT)?;
    let event = shape::read::<ApiGatewayProxyRequest>(json, FORMAT)?;
    let context = event.request_context;
    let described = EventRequest {
        method: event.http_method,
        path: event.path.unwrap_or_default(),
        stage: context.stage,
        query: query::rest_style(json, FORMAT, Encoding::Decoded)?,
        headers,
        body: body(event.body, event.is_base64_encoded, FORMAT)?,
        domain_name: context.domain_name,
        source_ip: context.identity.source_ip,
        https_only: true,
        context: json.get("requestContext"),
        stage_variables: json.get("stageVariables"),
    };
    Ok((described, multi))
}

/// Reads an API Gateway WebSocket event (`ApiGatewayWebsocketProxyRequest`).
///
/// Only `$connect` carries a method and headers; for messages the method is
/// `POST` when there is a body and `GET` otherwise, and the path is `/`. The
/// route key, event type and connection id reach the app in `ceh-request-context`.
pub(super) fn websocket(json: &Value) -> Result<(EventRequest<'_>, bool), PassThroughError> {
    const FORMAT: HttpFormat = HttpFormat::Websocket;
    let (headers, multi) = headers::rest_style(json, FORMAT)?;
    let event = shape::read::<ApiGatewayWebsocketProxyRequest>(json, FORMAT)?;
    let context = event.request_context;
    let body = body(event.body, event.is_base64_encoded, FORMAT)?;
    let method = event
        .http_method
        .or(context.http_method)
        .unwrap_or(if body.is_empty() {
            Method::GET
        } else {
            Method::POST
        });
    let described = EventRequest {
        method,
        path: event.path.unwrap_or_default(),
        stage: context.stage,
        query: query::rest_style(json, FORMAT, Encoding::Decoded)?,
        headers,
        body,
        domain_name: context.domain_name,
        source_ip: context.identity.source_ip,
        https_only: true,
        context: json.get("requestContext"),
        stage_variables: json.get("stageVariables"),
    };
    Ok((described, multi))
}
