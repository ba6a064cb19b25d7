//! The Lambda runtime API as ceh's own loop speaks it: the next invocation,
//! and its outcome or a failed start.
//!
//! It speaks the protocol lambda_runtime speaks (`GET …/invocation/next`, then
//! `POST …/{id}/response` or `…/{id}/error`) but leaves `_X_AMZN_TRACE_ID`
//! alone; [`TraceEnv`](super::TraceEnv) says why that matters. It also reads
//! the event's bytes once, where lambda_runtime first checks them as JSON.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, Uri};
use http_body_util::BodyExt;
use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::{body::Body, build_request, PooledClient};
use serde::de::DeserializeOwned;

use super::timing::Timing;
use crate::shown::shown;
use crate::Invocation;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const INIT_ERROR: &str = "/2018-06-01/runtime/init/error";
const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
const FUNCTION_ARN: &str = "lambda-runtime-invoked-function-arn";
const TRACE_ID: &str = "lambda-runtime-trace-id";
/// Sent with Lambda tenant isolation: the tenant the invocation is for.
const TENANT_ID: &str = "lambda-runtime-aws-tenant-id";
/// Sent for the AWS Mobile SDK's invocations: the app's client context, JSON.
const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
/// Sent for invocations with Cognito credentials: the identity, JSON.
const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";
/// Sent by Lambda Managed Instances, and echoed on the reply.
pub(super) const INVOCATION_ID: &str = "lambda-runtime-invocation-id";
const ERROR_TYPE: &str = "lambda-runtime-function-error-type";

/// Why ceh's runtime loop stopped. Lambda starts a new execution environment
/// when the runtime exits, so each of these ends the process.
///
/// ```
/// use cloud_events_handler::lambda::RuntimeApiError;
///
/// let err = RuntimeApiError::Endpoint("/no-host".into());
/// assert_eq!(err.to_string(), r#"AWS_LAMBDA_RUNTIME_API="/no-host" is not a host:port or URL"#);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuntimeApiError {
    /// `AWS_LAMBDA_RUNTIME_API` names no host.
    #[error("AWS_LAMBDA_RUNTIME_API={0:?} is not a host:port or URL")]
    Endpoint(String),
    /// The next invocation could not be fetched.
    #[error("cannot get the next invocation from the runtime API: {0}")]
    Next(String),
    /// The runtime API answered `GET …/invocation/next` with an error status.
    #[error("the runtime API answered {status} for the next invocation: {body}")]
    NextRefused {
        /// The status it answered with.
        status: StatusCode,
        /// What it said, cut short.
        body: String,
    },
    /// An invocation arrived without a request id that a reply could name.
    #[error("the runtime API sent an invocation without a usable lambda-runtime-aws-request-id header ({0:?}), so it cannot be answered")]
    RequestId(String),
    /// A failed start could not be reported.
    #[error("cannot tell the runtime API that the start failed: {0}")]
    InitError(String),
    /// ceh could not register as an internal extension, so Lambda will not
    /// send it SIGTERM at shutdown.
    #[error("cannot register with the Extensions API, so no SIGTERM will come at shutdown: {0}")]
    Extension(String),
    /// The reply or error report could not be sent.
    #[error("cannot send the outcome of invocation {request_id} to the runtime API: {reason}")]
    Reply {
        /// The invocation's request id.
        request_id: String,
        /// What went wrong.
        reason: String,
    },
}

/// How long ceh waits for the runtime API to take a failed start's report.
/// Lambda answers at once; an emulator that never answers must not keep a
/// process that has already failed from exiting.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::INIT_ERROR_WAIT;
///
/// assert_eq!(INIT_ERROR_WAIT, Duration::from_secs(2));
/// ```
pub const INIT_ERROR_WAIT: Duration = Duration::from_secs(2);

/// Tells the runtime API that the start failed, as the custom-runtime
/// contract asks (`POST …/runtime/init/error`): Lambda reports the error to
/// whoever invoked, and starts a new execution environment for the next try.
/// Gives up after [`INIT_ERROR_WAIT`], connection and answer together.
pub(crate) async fn report_init_error(
    api: &Uri,
    error_type: &str,
    message: &str,
) -> Result<(), RuntimeApiError> {
    tokio::time::timeout(INIT_ERROR_WAIT, post_init_error(api, error_type, message))
        .await
        .map_err(|_| {
            RuntimeApiError::InitError(format!(
                "no answer within {} ms",
                INIT_ERROR_WAIT.as_millis()
            ))
        })?
}

async fn post_init_error(
    api: &Uri,
    error_type: &str,
    message: &str,
) -> Result<(), RuntimeApiError> {
    let fail = |e: &dyn std::fmt::Display| RuntimeApiError::InitError(e.to_string());
    let client = client(api);
    let report = Diagnostic {
        error_type: error_type.to_owned(),
        error_message: message.to_owned(),
    };
    let body = serde_json::to_vec(&report).map_err(|e| fail(&e))?;
    let request = build_request()
        .method(Method::POST)
        .uri(INIT_ERROR)
        .header(ERROR_TYPE, error_type)
        .body(Body::from(body))
        .map_err(|e| fail(&e))?;
    let response = client.call(request).await.map_err(|e| fail(&e))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(&e))?
        .to_bytes();
    if !status.is_success() {
        return Err(fail(&format!("it answered {status}: {}", excerpt(&body))));
    }
    Ok(())
}

/// A client for the runtime API at `api`, checked by [`endpoint`].
pub(super) fn client(api: &Uri) -> PooledClient {
    PooledClient::builder().with_endpoint(api.clone()).build()
}

/// The runtime API's address, `AWS_LAMBDA_RUNTIME_API`: a `host:port` or a
/// URL, with a host either way (lambda_runtime's client panics without one).
pub(super) fn endpoint(api: &str) -> Result<Uri, RuntimeApiError> {
    match api.parse::<Uri>() {
        Ok(uri) if uri.authority().is_some() => Ok(uri),
        _ => Err(RuntimeApiError::Endpoint(api.to_owned())),
    }
}

/// One invocation as the runtime API hands it over.
pub(super) struct Next {
    pub(super) request_id: String,
    pub(super) invocation_id: Option<HeaderValue>,
    pub(super) invocation: Invocation,
    pub(super) payload: Bytes,
}

/// The next invocation, with the function's configuration `env` (read once,
/// at start) among its facts.
pub(super) async fn next(
    client: &PooledClient,
    timing: Timing,
    env: &Arc<lambda_runtime::Config>,
) -> Result<Next, RuntimeApiError> {
    let request = build_request()
        .method(Method::GET)
        .uri(NEXT)
        .body(Body::empty())
        .map_err(|e| RuntimeApiError::Next(e.to_string()))?;
    let response = client
        .call(request)
        .await
        .map_err(|e| RuntimeApiError::Next(e.to_string()))?;
    let (parts, body) = response.into_parts();
    let payload = body
        .collect()
        .await
        .map_err(|e| RuntimeApiError::Next(e.to_string()))?
        .to_bytes();
    if !parts.status.is_success() {
        return Err(RuntimeApiError::NextRefused {
            status: parts.status,
            body: excerpt(&payload),
        });
    }
    let (request_id, invocation) = invocation(&parts.headers, timing)?;
    Ok(Next {
        request_id,
        invocation_id: parts.headers.get(INVOCATION_ID).cloned(),
        invocation: invocation.with_env_config(env.clone()),
        payload: trimmed(payload),
    })
}

/// The payload without the whitespace around its JSON value, as lambda_runtime
/// hands it over, so the app sees the same body from either loop.
fn trimmed(payload: Bytes) -> Bytes {
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let start = payload
        .iter()
        .position(|b| !blank(b))
        .unwrap_or(payload.len());
    let end = payload
        .iter()
        .rposition(|b| !blank(b))
        .map_or(start, |i| i + 1);
    payload.slice(start..end)
}

/// The request id and what the app is told about the invocation, from the
/// headers of `GET …/invocation/next`.
pub(super) fn invocation(
    headers: &HeaderMap,
    timing: Timing,
) -> Result<(String, Invocation), RuntimeApiError> {
    let request_id = match headers.get(REQUEST_ID).map(HeaderValue::to_str) {
        Some(Ok(id)) if !id.is_empty() && !id.contains(['/', '?', '#']) => id.to_owned(),
        Some(value) => {
            let shown = value.map_or_else(|_| "not text".to_owned(), str::to_owned);
            return Err(RuntimeApiError::RequestId(shown));
        }
        None => return Err(RuntimeApiError::RequestId("missing".to_owned())),
    };
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .filter(|v| !v.is_empty())
    };
    // Without a readable deadline the app gets none (0 is not a plausible one).
    let deadline_ms = text(DEADLINE_MS).and_then(|ms| ms.trim().parse::<u64>().ok());
    let invocation = Invocation {
        request_id: Some(request_id.clone()),
        deadline: timing.deadline(deadline_ms.unwrap_or(0)),
        function_arn: text(FUNCTION_ARN),
        trace_id: text(TRACE_ID),
        tenant_id: text(TENANT_ID),
        client_context: json(headers, CLIENT_CONTEXT),
        identity: json(headers, COGNITO_IDENTITY),
        ..Invocation::default()
    };
    Ok((request_id, invocation))
}

/// A header's JSON, `None` when it is absent or empty. When it is not the
/// JSON expected, it is left out with a debug line: lambda_runtime fails
/// the invocation then, but a fact the app may not read is not worth that.
fn json<T: DeserializeOwned>(headers: &HeaderMap, name: &str) -> Option<T> {
    let value = headers.get(name).filter(|v| !v.is_empty())?;
    serde_json::from_slice(value.as_bytes())
        .map_err(|e| tracing::debug!("{name} left out of x-amzn-lambda-context: {e}"))
        .ok()
}

/// Sends the reply, or the error Lambda reports. A refusal is logged (at
/// `WARN`) and the loop goes on, as lambda_runtime's does: the invocation is
/// over either way, and a runtime API that is really gone fails the next `GET`.
pub(super) async fn answer(
    client: &PooledClient,
    request_id: &str,
    invocation_id: Option<HeaderValue>,
    outcome: Result<Vec<u8>, Diagnostic>,
) -> Result<(), RuntimeApiError> {
    let fail = |reason: String| RuntimeApiError::Reply {
        request_id: request_id.to_owned(),
        reason,
    };
    let request = outcome_request(request_id, invocation_id, outcome).map_err(fail)?;
    send(client, request_id, request).await
}

/// Sends an invocation's outcome, reading the runtime API's answer to the end.
pub(super) async fn send(
    client: &PooledClient,
    request_id: &str,
    request: Request<Body>,
) -> Result<(), RuntimeApiError> {
    let fail = |reason: String| RuntimeApiError::Reply {
        request_id: request_id.to_owned(),
        reason,
    };
    let response = client
        .call(request)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    // Read to the end, so the connection goes back to the pool.
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(e.to_string()))?
        .to_bytes();
    if !status.is_success() {
        tracing::warn!(
            requestId = request_id,
            "the runtime API refused the outcome of invocation {request_id} with {status}: {}",
            excerpt(&body)
        );
    }
    Ok(())
}

/// `POST …/{id}/response` with the reply, or `POST …/{id}/error` with the
/// diagnostic, in the shape Lambda reports (`errorType`, `errorMessage`).
pub(super) fn outcome_request(
    request_id: &str,
    invocation_id: Option<HeaderValue>,
    outcome: Result<Vec<u8>, Diagnostic>,
) -> Result<Request<Body>, String> {
    let (path, body, error_type) = match outcome {
        Ok(reply) => ("response", reply, None),
        Err(diagnostic) => {
            let report = serde_json::to_vec(&diagnostic).map_err(|e| e.to_string())?;
            ("error", report, Some("unhandled"))
        }
    };
    let uri = format!("/2018-06-01/runtime/invocation/{request_id}/{path}");
    let mut builder = build_request().method(Method::POST).uri(uri);
    if let Some(error_type) = error_type {
        builder = builder.header(ERROR_TYPE, error_type);
    }
    if let Some(id) = invocation_id {
        builder = builder.header(INVOCATION_ID, id);
    }
    builder.body(Body::from(body)).map_err(|e| e.to_string())
}

/// At most 200 characters of a runtime API's answer, on one line.
pub(super) fn excerpt(body: &[u8]) -> String {
    shown(&String::from_utf8_lossy(body), 200)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|&(name, value)| {
                (
                    http::HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                )
            })
            .collect()
    }

    fn invocation_of(headers: &HeaderMap, timing: Timing) -> (String, Invocation) {
        invocation(headers, timing).unwrap()
    }

    #[test]
    fn an_invocation_is_read_from_the_next_headers() {
        let timing = Timing {
            margin: Duration::from_millis(250),
            app_timeout: None,
        };
        let (id, invocation) = invocation(
            &headers(&[
                (REQUEST_ID, "8476a536-e9f4-11e8-9739-2dfe598c3fcd"),
                (DEADLINE_MS, "1700000000000"),
                (
                    FUNCTION_ARN,
                    "arn:aws:lambda:us-east-2:123456789012:function:orders",
                ),
                (
                    TRACE_ID,
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
                ),
                (TENANT_ID, "tenant-blue"),
            ]),
            timing,
        )
        .unwrap();
        assert_eq!(id, "8476a536-e9f4-11e8-9739-2dfe598c3fcd");
        assert_eq!(invocation.request_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            invocation.deadline,
            Some(UNIX_EPOCH + Duration::from_millis(1_700_000_000_000 - 250))
        );
        assert_eq!(
            invocation.function_arn.as_deref(),
            Some("arn:aws:lambda:us-east-2:123456789012:function:orders")
        );
        assert_eq!(
            invocation.trace_id.as_deref(),
            Some("Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1")
        );
        assert_eq!(invocation.tenant_id.as_deref(), Some("tenant-blue"));
        let (_, without) = invocation_of(&headers(&[(REQUEST_ID, "abc")]), timing);
        assert_eq!(without.tenant_id, None);
    }

    /// Where lambda_runtime fails the invocation, ceh's loop leaves the field out.
    #[test]
    fn a_client_context_or_identity_that_is_not_the_json_expected_is_left_out() {
        for (name, value) in [
            (CLIENT_CONTEXT, "{not json"),
            (CLIENT_CONTEXT, r#"{"custom": {"count": 7}}"#),
            (
                CLIENT_CONTEXT,
                r#"{"client": {"app_title": "no installation id"}}"#,
            ),
            (COGNITO_IDENTITY, r#"{"identityId": "a"}"#),
            (COGNITO_IDENTITY, "[]"),
        ] {
            let mut map = headers(&[(REQUEST_ID, "abc"), (DEADLINE_MS, "1700000000000")]);
            map.insert(name, HeaderValue::from_static(value));
            let refused = lambda_runtime::Context::new("abc", Arc::default(), &map);
            assert!(refused.is_err(), "{value}");
            let (_, invocation) = invocation_of(&map, Timing::default());
            assert_eq!(invocation.client_context, None, "{value}");
            assert_eq!(invocation.identity, None, "{value}");
        }
        let mut map = headers(&[(REQUEST_ID, "abc")]);
        map.insert(
            CLIENT_CONTEXT,
            HeaderValue::from_bytes(b"{\"custom\": {\"a\": \"caf\xe9\"}}").unwrap(),
        );
        let (_, invocation) = invocation_of(&map, Timing::default());
        assert_eq!(invocation.client_context, None, "not UTF-8");
    }

    #[test]
    fn a_missing_or_unreadable_deadline_is_no_deadline() {
        for deadline in [None, Some("soon"), Some("600000")] {
            let mut map = headers(&[(REQUEST_ID, "abc")]);
            if let Some(ms) = deadline {
                map.insert(DEADLINE_MS, HeaderValue::from_static(ms));
            }
            let (_, invocation) = invocation(&map, Timing::default()).unwrap();
            assert_eq!(invocation.deadline, None, "{deadline:?}");
            assert_eq!(invocation.function_arn, None);
            assert_eq!(invocation.trace_id, None);
        }
    }

    #[test]
    fn a_request_id_that_cannot_name_a_reply_stops_the_loop() {
        let cases = [
            (headers(&[]), "missing"),
            (headers(&[(REQUEST_ID, "")]), ""),
            (
                headers(&[(REQUEST_ID, "../../init/error")]),
                "../../init/error",
            ),
            (headers(&[(REQUEST_ID, "a?b")]), "a?b"),
        ];
        for (map, shown) in cases {
            let err = invocation(&map, Timing::default()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("the runtime API sent an invocation without a usable lambda-runtime-aws-request-id header ({shown:?}), so it cannot be answered")
            );
        }
        let mut map = HeaderMap::new();
        map.insert(REQUEST_ID, HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let err = invocation(&map, Timing::default()).unwrap_err();
        assert!(err.to_string().contains("(\"not text\")"), "{err}");
    }

    #[test]
    fn a_reply_is_posted_to_the_response_path_with_the_invocation_id() {
        let id = HeaderValue::from_static("inv-1");
        let request = outcome_request("abc", Some(id), Ok(b"{\"ok\":true}".to_vec())).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri(), "/2018-06-01/runtime/invocation/abc/response");
        assert_eq!(request.headers()[INVOCATION_ID], "inv-1");
        assert!(request.headers().get(ERROR_TYPE).is_none());
        assert!(request.headers()["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("aws-lambda-rust/"));
    }

    #[tokio::test]
    async fn an_error_is_posted_as_lambda_reports_it() {
        let diagnostic = Diagnostic {
            error_type: crate::ErrorKind::NoRule.error_type().into(),
            error_message: "no rule matched".into(),
        };
        let request = outcome_request("abc", None, Err(diagnostic)).unwrap();
        assert_eq!(request.uri(), "/2018-06-01/runtime/invocation/abc/error");
        assert_eq!(request.headers()[ERROR_TYPE], "unhandled");
        assert!(request.headers().get(INVOCATION_ID).is_none());
        let body = request.into_body().collect().await.unwrap().to_bytes();
        let expected = format!(
            r#"{{"errorType":"{}","errorMessage":"no rule matched"}}"#,
            crate::ErrorKind::NoRule.error_type()
        );
        assert_eq!(body, expected);
    }

    #[test]
    fn the_payload_loses_only_the_whitespace_around_it() {
        for (sent, kept) in [
            (" \r\n{\"a\": \" b \"}\n\n", "{\"a\": \" b \"}"),
            ("{}", "{}"),
            ("\t\n", ""),
            ("", ""),
        ] {
            assert_eq!(trimmed(Bytes::from(sent)), kept, "{sent:?}");
        }
    }

    #[test]
    fn an_excerpt_is_one_short_line() {
        let long = format!("line one\nline two {}", "x".repeat(500));
        let shown = excerpt(long.as_bytes());
        assert!(!shown.contains('\n'));
        assert!(shown.starts_with("line one\\nline two x"));
        assert_eq!(shown.chars().filter(|&c| c == 'x').count(), 200 - 18);
    }

    #[test]
    fn an_endpoint_needs_a_host() {
        for api in ["127.0.0.1:9001", "http://127.0.0.1:9001/prefix"] {
            assert!(endpoint(api).is_ok(), "{api}");
        }
        for api in ["", "/2018-06-01", "127.0.0.1 9001"] {
            let err = endpoint(api).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!("AWS_LAMBDA_RUNTIME_API={api:?} is not a host:port or URL")
            );
        }
    }
}
