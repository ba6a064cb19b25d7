//! Response streaming: for a function URL with `InvokeMode: RESPONSE_STREAM`,
//! the app's response goes to the runtime API as it arrives, through its
//! streaming mode, instead of being buffered.
//!
//! The protocol, as the custom-runtime contract gives it: `POST …/response`
//! with `Lambda-Runtime-Function-Response-Mode: streaming`, chunked, of type
//! `application/vnd.awslambda.http-integration-response`; the body is a JSON
//! prelude (`statusCode`, `headers`, `cookies`), eight NUL bytes, then the
//! app's body as the app writes it. A failure after the prelude (a body that
//! breaks off, or one still unfinished at the invocation's deadline) is
//! reported in the trailers `Lambda-Runtime-Function-Error-Type` and `-Body`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use bytes::{Buf, Bytes};
use http::{HeaderMap, HeaderValue, Method, Request, Response};
use http_body::Frame;
use lambda_runtime::Diagnostic;
use lambda_runtime_api_client::body::Body;
use lambda_runtime_api_client::{build_request, PooledClient};

use super::invoke::{diagnostic, ingest, serialize_reply};
use super::runtime_api::{send, Next, RuntimeApiError, INVOCATION_ID};
use crate::app::{BoxError, SendApp};
use crate::error::ErrorKind;
use crate::handler::{Handler, Streamed};
use crate::passthrough::{self, HttpFormat, HttpOptions, ReplyShape};
use crate::reply::Reply;

/// What sits between the prelude and the body.
const DELIMITER: [u8; 8] = [0; 8];
const ERROR_TYPE_TRAILER: &str = "lambda-runtime-function-error-type";
const ERROR_BODY_TRAILER: &str = "lambda-runtime-function-error-body";

/// One invocation in streaming mode: an HTTP event's response streamed, any
/// other outcome sent whole, as in buffered mode.
pub(super) async fn invoke<S: SendApp>(
    client: &PooledClient,
    handler: &Handler,
    app: S,
    next: Next,
) -> Result<(), RuntimeApiError>
where
    S::Body: 'static,
{
    let Next {
        request_id,
        invocation_id,
        invocation,
        payload,
    } = next;
    let opened = match ingest(handler, payload) {
        Ok(event) => handler
            .open_stream(&event, app, &invocation)
            .await
            .map_err(|e| diagnostic(e.kind(), &e)),
        Err(diagnostic) => Err(diagnostic),
    };
    let request = match opened {
        Ok(Streamed::Http(response)) => streaming_request(
            &request_id,
            invocation_id,
            response,
            handler.config().http(),
            invocation.remaining(),
        ),
        Ok(Streamed::Whole(reply)) => whole(&request_id, invocation_id, Ok(reply)),
        Err(diagnostic) => whole(&request_id, invocation_id, Err(diagnostic)),
    };
    let request = request.map_err(|reason| RuntimeApiError::Reply {
        request_id: request_id.clone(),
        reason,
    })?;
    send(client, &request_id, request).await
}

/// A whole outcome, in the buffered form.
fn whole(
    request_id: &str,
    invocation_id: Option<HeaderValue>,
    outcome: Result<Reply, Diagnostic>,
) -> Result<Request<Body>, String> {
    let outcome = outcome.and_then(|reply| serialize_reply(&reply));
    super::runtime_api::outcome_request(request_id, invocation_id, outcome)
}

/// `POST …/response` in streaming mode: the prelude, then the app's body as it arrives.
fn streaming_request<B>(
    request_id: &str,
    invocation_id: Option<HeaderValue>,
    response: Response<B>,
    options: &HttpOptions,
    remaining: Option<Duration>,
) -> Result<Request<Body>, String>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    let (parts, body) = response.into_parts();
    let mut prelude = prelude(&parts, options);
    prelude.extend_from_slice(&DELIMITER);
    let uri = format!("/2018-06-01/runtime/invocation/{request_id}/response");
    let mut builder = build_request()
        .method(Method::POST)
        .uri(uri)
        .header("lambda-runtime-function-response-mode", "streaming")
        .header(http::header::TRANSFER_ENCODING, "chunked")
        .header(
            http::header::CONTENT_TYPE,
            "application/vnd.awslambda.http-integration-response",
        )
        .header(http::header::TRAILER, ERROR_TYPE_TRAILER)
        .header(http::header::TRAILER, ERROR_BODY_TRAILER);
    if let Some(id) = invocation_id {
        builder = builder.header(INVOCATION_ID, id);
    }
    let body = Streaming {
        prelude: Some(Bytes::from(prelude)),
        body: Some(Box::pin(body)),
        deadline: remaining.map(Deadline::after),
    };
    builder.body(Body::new(body)).map_err(|e| e.to_string())
}

/// The prelude: `statusCode`, `headers` and `cookies`, as a function URL reply has them.
fn prelude(parts: &http::response::Parts, options: &HttpOptions) -> Vec<u8> {
    let head = Response::from_parts(parts.clone(), Bytes::new());
    let shape = ReplyShape::new(HttpFormat::FunctionUrl);
    let mut reply = passthrough::reply(&shape, &head, options);
    if let Some(object) = reply.as_object_mut() {
        object.remove("body");
        object.remove("isBase64Encoded");
    }
    // A `Value` always serializes.
    serde_json::to_vec(&reply).unwrap_or_default()
}

/// The streamed body: the prelude, then the app's frames as they come, and
/// the error trailers when the app's body breaks off or is still unfinished
/// at the invocation's deadline.
struct Streaming<B> {
    prelude: Option<Bytes>,
    body: Option<Pin<Box<B>>>,
    deadline: Option<Deadline>,
}

/// When the app's body must have ended: the time left before the invocation's deadline.
struct Deadline {
    at: Pin<Box<tokio::time::Sleep>>,
    allowed: Duration,
}

impl Deadline {
    fn after(allowed: Duration) -> Self {
        Self {
            at: Box::pin(tokio::time::sleep(allowed)),
            allowed,
        }
    }
}

impl<B> http_body::Body for Streaming<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if let Some(prelude) = self.prelude.take() {
            return Poll::Ready(Some(Ok(Frame::data(prelude))));
        }
        if let Some(deadline) = self.deadline.as_mut() {
            if deadline.at.as_mut().poll(cx).is_ready() {
                let message = format!(
                    "the app's response did not finish within {} ms, the time left before the invocation's deadline",
                    deadline.allowed.as_millis()
                );
                self.deadline = None;
                if self.body.take().is_some() {
                    let trailers = error_trailers(ErrorKind::AppTimeout, &message);
                    return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
                }
            }
        }
        loop {
            let Some(body) = self.body.as_mut() else {
                return Poll::Ready(None);
            };
            match body.as_mut().poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => {
                    self.body = None;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(mut data) => {
                        let bytes = data.copy_to_bytes(data.remaining());
                        return Poll::Ready(Some(Ok(Frame::data(bytes))));
                    }
                    // The app's own trailers mean nothing to the runtime API.
                    Err(_) => continue,
                },
                Poll::Ready(Some(Err(err))) => {
                    self.body = None;
                    let err: BoxError = err.into();
                    let message = format!("the app's response body broke off: {err}");
                    let trailers = error_trailers(ErrorKind::AppFailed, &message);
                    return Poll::Ready(Some(Ok(Frame::trailers(trailers))));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prelude.is_none() && self.body.is_none()
    }
}

/// The trailers that report a failure after the prelude.
fn error_trailers(kind: ErrorKind, message: &str) -> HeaderMap {
    let error_type = kind.error_type();
    let report = diagnostic(kind, &message);
    let json = serde_json::to_vec(&report).unwrap_or_default();
    let mut trailers = HeaderMap::new();
    trailers.insert(ERROR_TYPE_TRAILER, HeaderValue::from_static(error_type));
    if let Ok(value) =
        HeaderValue::from_str(&base64::engine::general_purpose::STANDARD.encode(json))
    {
        trailers.insert(ERROR_BODY_TRAILER, value);
    }
    trailers
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[test]
    fn the_prelude_is_the_function_url_reply_without_its_body() {
        let response = Response::builder()
            .status(201)
            .header("content-type", "text/event-stream")
            .header("set-cookie", "a=1")
            .body(Bytes::new())
            .unwrap();
        let (parts, _) = response.into_parts();
        let prelude: serde_json::Value =
            serde_json::from_slice(&prelude(&parts, &HttpOptions::default())).unwrap();
        assert_eq!(
            prelude,
            serde_json::json!({"statusCode": 201, "headers": {"content-type": "text/event-stream"}, "cookies": ["a=1"]})
        );
    }

    #[test]
    fn a_body_that_breaks_off_ends_in_error_trailers() {
        let stream = futures_util::stream::iter([
            Ok::<_, std::io::Error>(Frame::data(Bytes::from_static(b"part"))),
            Err(std::io::Error::other("reset")),
        ]);
        let body = Streaming {
            prelude: Some(Bytes::from_static(b"{}\0\0\0\0\0\0\0\0")),
            body: Some(Box::pin(http_body_util::StreamBody::new(stream))),
            deadline: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let collected = runtime.block_on(body.collect()).unwrap();
        let trailers = collected.trailers().cloned().unwrap();
        assert_eq!(
            trailers[ERROR_TYPE_TRAILER],
            ErrorKind::AppFailed.error_type()
        );
        assert_eq!(collected.to_bytes(), "{}\0\0\0\0\0\0\0\0part");
    }

    /// Once its headers are sent, an app that keeps the body open past the
    /// invocation's deadline is cut off with `Ceh.AppTimeout` in the trailers,
    /// after what it had sent (on 62c1fb7 the stream waited for the app).
    #[test]
    fn a_body_unfinished_at_the_deadline_ends_in_timeout_trailers() {
        let first = futures_util::stream::iter([Ok::<_, std::io::Error>(Frame::data(
            Bytes::from_static(b"part"),
        ))]);
        let stream = futures_util::StreamExt::chain(first, futures_util::stream::pending());
        let body = Streaming {
            prelude: Some(Bytes::from_static(b"{}\0\0\0\0\0\0\0\0")),
            body: Some(Box::pin(http_body_util::StreamBody::new(stream))),
            deadline: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        let collected = runtime
            .block_on(async {
                let body = Streaming {
                    deadline: Some(Deadline::after(Duration::from_millis(50))),
                    ..body
                };
                body.collect().await
            })
            .unwrap();
        let trailers = collected.trailers().cloned().unwrap();
        assert_eq!(
            trailers[ERROR_TYPE_TRAILER],
            ErrorKind::AppTimeout.error_type()
        );
        assert_eq!(collected.to_bytes(), "{}\0\0\0\0\0\0\0\0part");
    }
}
