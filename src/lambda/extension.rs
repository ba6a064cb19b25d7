//! ceh as an internal Lambda extension that subscribes to no event: its one
//! purpose is that Lambda then sends SIGTERM to the runtime at shutdown.
//!
//! Lambda's execution environment lifecycle ("Shutdown phase",
//! <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>):
//! without a registered extension the runtime gets no signal at all, only
//! the end of the environment; with an internal extension, it gets SIGTERM and
//! 500 ms before SIGKILL. An internal extension may not subscribe to SHUTDOWN
//! (it runs in the runtime's process, which the signal already reaches), so it
//! registers with `{"events": []}`, and then calls `…/event/next` as every
//! extension must for Lambda to end the Init phase; with no event subscribed
//! that call is never answered (Extensions API,
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>).

use std::time::Duration;

use http::{Method, StatusCode};
use http_body_util::BodyExt;
use lambda_runtime_api_client::{body::Body, build_request, PooledClient};

use super::runtime_api::{client, RuntimeApiError};

const REGISTER: &str = "/2020-01-01/extension/register";
const EVENT_NEXT: &str = "/2020-01-01/extension/event/next";
const NAME_HEADER: &str = "lambda-extension-name";
const ID_HEADER: &str = "lambda-extension-identifier";

/// The name ceh registers under; internal extensions' names must be unique
/// within a function, and this one names what it is for.
pub(crate) const EXTENSION_NAME: &str = "ceh-shutdown";

/// How long registration may take before ceh goes on without it: the Init
/// phase it spends this in is limited to 10 s.
pub(crate) const REGISTER_WAIT: Duration = Duration::from_secs(2);

/// Lambda's Shutdown phase for a function whose only extensions are internal
/// ones: the runtime has this long after SIGTERM before SIGKILL ("Shutdown
/// phase" in Lambda's execution environment lifecycle).
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::SHUTDOWN_LIMIT;
///
/// assert_eq!(SHUTDOWN_LIMIT, Duration::from_millis(500));
/// ```
pub const SHUTDOWN_LIMIT: Duration = Duration::from_millis(500);

/// Registers ceh as an internal extension with no events, and keeps its
/// `…/event/next` call open in a task of its own, so that Lambda ends the
/// Init phase and sends SIGTERM at shutdown. Must run during init, before
/// the runtime's first `…/invocation/next`.
///
/// A runtime API without the Extensions API (some emulators) is no reason to
/// fail: the error says why, and ceh serves on without the signal.
pub(crate) async fn register(api: &http::Uri) -> Result<(), RuntimeApiError> {
    let fail = |e: &dyn std::fmt::Display| RuntimeApiError::Extension(e.to_string());
    let client = client(api);
    let request = build_request()
        .method(Method::POST)
        .uri(REGISTER)
        .header(NAME_HEADER, EXTENSION_NAME)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"events":[]}"#))
        .map_err(|e| fail(&e))?;
    let answer = async {
        let response = client.call(request).await.map_err(|e| fail(&e))?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.map_err(|e| fail(&e))?.to_bytes();
        Ok::<_, RuntimeApiError>((parts, body))
    };
    let (parts, body) = tokio::time::timeout(REGISTER_WAIT, answer)
        .await
        .map_err(|_| {
            fail(&format!(
                "no answer within {} ms",
                REGISTER_WAIT.as_millis()
            ))
        })??;
    if parts.status != StatusCode::OK {
        return Err(fail(&format!(
            "it answered {}: {}",
            parts.status,
            super::runtime_api::excerpt(&body)
        )));
    }
    let id = parts
        .headers
        .get(ID_HEADER)
        .cloned()
        .ok_or_else(|| fail(&"it answered without a lambda-extension-identifier header"))?;
    tokio::spawn(wait_for_events(client, id));
    Ok(())
}

/// Calls `…/event/next` for as long as Lambda answers it: with no event
/// subscribed, the first call stays open until the environment ends. An
/// error ends the loop (there is nothing to retry for).
async fn wait_for_events(client: PooledClient, id: http::HeaderValue) {
    loop {
        let Ok(request) = build_request()
            .method(Method::GET)
            .uri(EVENT_NEXT)
            .header(ID_HEADER, id.clone())
            .body(Body::empty())
        else {
            return;
        };
        let answered = match client.call(request).await {
            Ok(response) if response.status().is_success() => {
                response.into_body().collect().await.is_ok()
            }
            _ => false,
        };
        if !answered {
            tracing::debug!("the Extensions API ended ceh's wait for events");
            return;
        }
    }
}
