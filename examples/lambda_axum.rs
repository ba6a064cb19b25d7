//! A Rust function that serves an axum app in process: events reach its
//! routes as HTTP requests, with no HTTP server and no network in between.
//!
//! Build it with `cargo lambda build --release --example lambda_axum`, or run it
//! under the emulator as the end-to-end tests do.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// S3 notifications: report the object keys.
async fn s3(Json(event): Json<Value>) -> Json<Value> {
    let keys: Vec<Value> = event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|record| record["s3"]["object"]["key"].clone())
        .collect();
    Json(json!({ "handled": "s3", "keys": keys }))
}

/// SQS, one message per request: a body that says "fail" fails.
async fn sqs(
    headers: HeaderMap,
    Json(message): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let id = headers
        .get("ceh-record-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let status = if message["body"] == "fail" {
        axum::http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        axum::http::StatusCode::OK
    };
    (status, Json(json!({ "handled": "sqs", "id": id })))
}

/// An ordinary HTTP route, reached through API Gateway or a function URL.
async fn hello() -> &'static str {
    "hello from axum"
}

/// Anything posted to /echo comes back.
async fn echo(body: Bytes) -> Bytes {
    body
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let app = Router::new()
        .route("/aws.s3", post(s3))
        .route("/aws.sqs", post(sqs))
        .route("/hello", get(hello))
        .route("/echo", post(echo));
    cloud_events_handler::lambda::run(app).await
}
