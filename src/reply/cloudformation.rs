//! CloudFormation custom resources: the result is PUT to the event's `ResponseURL`.
//!
//! CloudFormation does not read the Lambda's result: it waits (up to an hour)
//! for a JSON document at the pre-signed `ResponseURL`. `ceh` sends it for
//! every outcome — `SUCCESS` when the app answered with a success status,
//! `FAILED` otherwise, including when the app could not be reached — so a
//! stack never hangs on a failed app.

use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnectorBuilder;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Map, Value};

use super::error::ReplyError;

/// The keys an app's JSON body may set in the response document; a body
/// object with none of them is taken whole as `Data`.
const RESPONSE_KEYS: [&str; 4] = ["PhysicalResourceId", "Data", "Reason", "NoEcho"];

/// Builds the response document for `event` from the app's answer (or its failure).
///
/// ```
/// use cloud_events_handler::reply::cloudformation::document;
/// use serde_json::json;
///
/// let event = json!({"RequestType": "Create", "RequestId": "r1", "StackId": "s", "LogicalResourceId": "L",
///                    "ResponseURL": "https://example.com/"});
/// let doc = document(&event, Ok((200, br#"{"Data": {"Arn": "x"}}"#.as_slice())));
/// assert_eq!(doc["Status"], "SUCCESS");
/// assert_eq!(doc["PhysicalResourceId"], "r1");
/// assert_eq!(doc["Data"], json!({"Arn": "x"}));
/// ```
pub fn document(event: &Value, answer: Result<(u16, &[u8]), String>) -> Value {
    let field = |key: &str| event.get(key).cloned().unwrap_or(Value::Null);
    let (success, reason, body) = match answer {
        Ok((status, body)) if (200..300).contains(&status) => (true, None, body),
        Ok((status, body)) => (false, Some(format!("the app answered {status}")), body),
        Err(reason) => (false, Some(reason), &[][..]),
    };
    let parsed: Option<Map<String, Value>> = serde_json::from_slice(body).ok();
    let own = |key: &str| parsed.as_ref().and_then(|p| p.get(key)).cloned();
    let data = match &parsed {
        Some(object) if RESPONSE_KEYS.iter().any(|k| object.contains_key(*k)) => own("Data"),
        Some(object) => Some(Value::Object(object.clone())),
        None => None,
    };
    // Update and Delete must keep the id CloudFormation knows, or it replaces the resource.
    let physical = own("PhysicalResourceId")
        .or_else(|| event.get("PhysicalResourceId").cloned())
        .unwrap_or_else(|| field("RequestId"));
    let reason = own("Reason")
        .or(reason.map(Value::String))
        .unwrap_or(Value::Null);
    let mut doc = json!({
        "Status": if success { "SUCCESS" } else { "FAILED" },
        "PhysicalResourceId": physical,
        "StackId": field("StackId"),
        "RequestId": field("RequestId"),
        "LogicalResourceId": field("LogicalResourceId"),
    });
    if !reason.is_null() {
        doc["Reason"] = reason;
    }
    if let Some(data) = data {
        doc["Data"] = data;
    }
    if let Some(no_echo) = own("NoEcho") {
        doc["NoEcho"] = no_echo;
    }
    doc
}

/// PUTs the document to the event's `ResponseURL` (https, or http for a local stand-in).
///
/// ```
/// use cloud_events_handler::reply::cloudformation::send;
/// use serde_json::json;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let err = send("cloudformation", &json!({"RequestType": "Create"}), &json!({"Status": "SUCCESS"})).await.unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     "rule `cloudformation`: cannot tell CloudFormation the result: the event has no ResponseURL string; the stack waits until it times out"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn send(rule: &str, event: &Value, doc: &Value) -> Result<(), ReplyError> {
    let failed = |reason: String| ReplyError::CloudFormation {
        rule: rule.to_owned(),
        reason,
    };
    let url = event
        .get("ResponseURL")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the event has no ResponseURL string".into()))?;
    let body = Bytes::from(doc.to_string());
    // The pre-signed URL is signed for an empty content type.
    let request = Request::builder()
        .method(Method::PUT)
        .uri(url)
        .header("content-type", "")
        .header("content-length", body.len())
        .body(Full::new(body))
        .map_err(|e| failed(format!("ResponseURL is not a valid URL: {e}")))?;
    let connector = HttpsConnectorBuilder::new()
        .with_provider_and_webpki_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| failed(format!("cannot set up TLS: {e}")))?
        .https_or_http()
        .enable_http1()
        .build();
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build(connector);
    let response: Response<_> = client.request(request).await.map_err(|e| {
        failed(format!(
            "the PUT to ResponseURL failed: {}",
            crate::app::innermost(&e)
        ))
    })?;
    let status = response.status();
    let _ = response.into_body().collect().await;
    if status.is_success() {
        Ok(())
    } else {
        Err(failed(format!("ResponseURL answered {status}")))
    }
}
