//! Async init: an app slower to start than Lambda's Init phase allows finishes
//! starting during the first invocation.
//!
//! Lambda limits the Init phase to 10 s ("Init phase" in Lambda's execution
//! environment lifecycle,
//! <https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>).
//! With `CEH_ASYNC_INIT=true` (or Lambda Web Adapter's `AWS_LWA_ASYNC_INIT`),
//! ceh waits for the app's readiness for [`DEFAULT_ASYNC_INIT_TIMEOUT`] at
//! most, then ends the Init phase anyway; requests to the app then wait for
//! its readiness first, each within its invocation's deadline.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::Full;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::app::{BoxError, Upstream};

/// How long, with async init, ceh waits for the app before it ends the Init
/// phase: just under Lambda's 10 s limit, as Lambda Web Adapter waits.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::DEFAULT_ASYNC_INIT_TIMEOUT;
///
/// assert_eq!(DEFAULT_ASYNC_INIT_TIMEOUT, Duration::from_millis(9_800));
/// assert!(DEFAULT_ASYNC_INIT_TIMEOUT < Duration::from_secs(10), "Lambda's Init phase");
/// ```
pub const DEFAULT_ASYNC_INIT_TIMEOUT: Duration = Duration::from_millis(9_800);

/// The readiness wait `ready`, cut off after `budget` (with async init, the
/// Init phase's): `Some(path)`, the readiness path still to be answered, when
/// it was.
pub(super) async fn ready_within<E>(
    budget: Duration,
    ready: impl std::future::Future<Output = Result<(), E>>,
    path: &str,
) -> Result<Option<String>, E> {
    match tokio::time::timeout(budget, ready).await {
        Ok(ready) => ready.map(|()| None),
        Err(_) => {
            tracing::info!(
                path,
                "the app is not ready after {} ms; the Init phase ends and requests wait for it (async init)",
                budget.as_millis()
            );
            Ok(Some(path.to_owned()))
        }
    }
}

/// An app whose requests wait until it is ready: the app ceh started with
/// async init, once the Init phase ended before the app answered its
/// readiness check. The wait is part of the request, so the invocation's
/// deadline bounds it.
#[derive(Clone, Debug)]
pub(super) struct WhenReady<S> {
    app: S,
    ready: watch::Receiver<bool>,
}

impl WhenReady<Upstream> {
    /// `app`, with `probe` (the app, or its readiness port) probed on `path`
    /// in the background until it answers; its requests wait for that.
    pub(super) fn probing(app: Upstream, probe: Upstream, path: String) -> Self {
        let (ready, waiting) = watch::channel(false);
        tokio::spawn(async move {
            if probe.wait_ready(&path, Duration::MAX).await.is_ok() {
                let _ = ready.send(true);
                tracing::info!(path, "the app is ready after the Init phase");
            }
        });
        Self {
            app,
            ready: waiting,
        }
    }
}

impl<S> tower::Service<Request<Full<Bytes>>> for WhenReady<S>
where
    S: tower::Service<Request<Full<Bytes>>> + Clone + Send + 'static,
    S::Future: Send,
    S::Response: Send,
    S::Error: Into<BoxError>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Full<Bytes>>) -> Self::Future {
        let (app, mut ready) = (self.app.clone(), self.ready.clone());
        Box::pin(async move {
            ready
                .wait_for(|ready| *ready)
                .await
                .map_err(|_| "the app's readiness check stopped before the app was ready")?;
            app.oneshot(request).await.map_err(Into::into)
        })
    }
}
