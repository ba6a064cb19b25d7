//! The built-in echo app.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};
use http_body_util::{BodyExt, Full};

use crate::describe::request_json;

/// An app that answers every request with `200 OK` and a JSON description of
/// the request: `{"method", "path", "query", "headers", "body"}`.
///
/// It is what `ceh invoke` calls when no app is given, so the whole path from
/// event to reply can be seen without writing an app first.
///
/// ```
/// use cloud_events_handler::{Echo, app};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let request = http::Request::post("/aws.s3").body(bytes::Bytes::from_static(b"{}")).unwrap();
/// let response = app::call(Echo, request).await.unwrap();
/// let seen: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
/// assert_eq!(seen["path"], "/aws.s3");
/// assert_eq!(seen["body"], "{}");
/// # });
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct Echo;

impl<B> tower::Service<Request<B>> for Echo
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            // A body that breaks off is described as far as it was read: empty.
            let bytes = body
                .collect()
                .await
                .map(|c| c.to_bytes())
                .unwrap_or_default();
            let description = request_json(&parts, &bytes);
            let mut response = Response::new(Full::new(Bytes::from(description.to_string())));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            Ok(response)
        })
    }
}
