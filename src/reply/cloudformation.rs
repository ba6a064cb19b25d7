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
pub(crate) fn document(event: &Value, answer: Result<(u16, &[u8]), String>) -> Value {
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

/// How long the PUT to `ResponseURL` may take at most (less when the
/// invocation's deadline is nearer).
///
/// ```
/// use cloud_events_handler::reply::cloudformation::RESPONSE_TIMEOUT;
///
/// assert_eq!(RESPONSE_TIMEOUT, std::time::Duration::from_secs(10));
/// ```
pub const RESPONSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The hosts a `ResponseURL` may name when `[reply] response_url_hosts` is
/// not set: CloudFormation's pre-signed S3 URLs, in every partition.
///
/// ```
/// use cloud_events_handler::reply::cloudformation::DEFAULT_RESPONSE_URL_HOSTS;
///
/// assert_eq!(DEFAULT_RESPONSE_URL_HOSTS, ["amazonaws.com", "amazonaws.com.cn"]);
/// ```
pub const DEFAULT_RESPONSE_URL_HOSTS: [&str; 2] = ["amazonaws.com", "amazonaws.com.cn"];

/// Checks a `ResponseURL` against the hosts it may name (a host or any host
/// under it): `https` only, or `http` to a loopback address (a local
/// stand-in). Anything else is refused, so an event cannot make ceh send
/// requests to a place of its choosing.
pub(crate) fn check_response_url(url: &str, hosts: &[String]) -> Result<http::Uri, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("ResponseURL is not a valid URL: {e}"))?;
    let host = uri
        .host()
        .ok_or("ResponseURL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let allowed = hosts.iter().any(|allowed| {
        let allowed = allowed.to_ascii_lowercase();
        host == allowed
            || host
                .strip_suffix(allowed.as_str())
                .is_some_and(|rest| rest.ends_with('.'))
    });
    if !allowed {
        return Err(format!(
            "ResponseURL names host {host}, which is not {} nor under it; list it in [reply] response_url_hosts if it is yours",
            hosts.join(" or ")
        ));
    }
    match uri.scheme_str() {
        Some("https") => Ok(uri),
        Some("http") if loopback => Ok(uri),
        _ => Err("ResponseURL must be an https URL".into()),
    }
}

/// PUTs the document to the event's `ResponseURL`, once it passes
/// [`check_response_url`] against `hosts`, giving up after `within`.
pub(crate) async fn send(
    rule: &str,
    event: &Value,
    doc: &Value,
    hosts: &[String],
    within: std::time::Duration,
) -> Result<(), ReplyError> {
    let failed = |reason: String| ReplyError::CloudFormation {
        rule: rule.to_owned(),
        reason,
    };
    let url = event
        .get("ResponseURL")
        .and_then(Value::as_str)
        .ok_or_else(|| failed("the event has no ResponseURL string".into()))?;
    let uri = check_response_url(url, hosts).map_err(failed)?;
    let body = Bytes::from(doc.to_string());
    // The pre-signed URL is signed for an empty content type.
    let request = Request::builder()
        .method(Method::PUT)
        .uri(uri)
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
    let exchange = async {
        let response: Response<_> = client.request(request).await.map_err(|e| {
            format!(
                "the PUT to ResponseURL failed: {}",
                crate::app::innermost(&e)
            )
        })?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        Ok::<_, String>(status)
    };
    let status = tokio::time::timeout(within, exchange)
        .await
        .map_err(|_| {
            failed(format!(
                "the PUT to ResponseURL took longer than {} ms",
                within.as_millis()
            ))
        })?
        .map_err(failed)?;
    if status.is_success() {
        Ok(())
    } else {
        Err(failed(format!("ResponseURL answered {status}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The examples these functions carried while they were public.
    #[test]
    fn a_document_is_built_from_the_apps_answer() {
        let event = json!({"RequestType": "Create", "RequestId": "r1", "StackId": "s", "LogicalResourceId": "L",
                           "ResponseURL": "https://example.com/"});
        let doc = document(&event, Ok((200, br#"{"Data": {"Arn": "x"}}"#.as_slice())));
        assert_eq!(doc["Status"], "SUCCESS");
        assert_eq!(doc["PhysicalResourceId"], "r1");
        assert_eq!(doc["Data"], json!({"Arn": "x"}));
    }

    #[test]
    fn a_response_url_names_one_of_the_hosts() {
        let aws = ["amazonaws.com".to_owned()];
        assert!(check_response_url(
            "https://cfn-responses.s3.amazonaws.com/x?X-Amz-Signature=a",
            &aws
        )
        .is_ok());
        assert_eq!(
            check_response_url("http://169.254.169.254/latest/meta-data", &aws).unwrap_err(),
            "ResponseURL names host 169.254.169.254, which is not amazonaws.com nor under it; list it in [reply] response_url_hosts if it is yours",
        );
        assert!(
            check_response_url("http://s3.amazonaws.com/x", &aws).is_err(),
            "https only"
        );
        assert!(check_response_url("https://s3.amazonaws.com.evil.example/x", &aws).is_err());
        let local = ["127.0.0.1".to_owned()];
        assert!(
            check_response_url("http://127.0.0.1:9000/cfn", &local).is_ok(),
            "a local stand-in"
        );
    }

    #[test]
    fn an_event_without_a_response_url_cannot_be_answered() {
        let hosts = ["amazonaws.com".to_owned()];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let err = runtime
            .block_on(send(
                "cloudformation",
                &json!({"RequestType": "Create"}),
                &json!({"Status": "SUCCESS"}),
                &hosts,
                RESPONSE_TIMEOUT,
            ))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "rule `cloudformation`: cannot tell CloudFormation the result: the event has no ResponseURL string; the stack waits until it times out"
        );
    }
}
