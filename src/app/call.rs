//! What an app is, and one call of it: the request in, the whole response
//! back, within a limit of size and, where there is one, of time.

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt, Full};
use tower::{Service, ServiceExt};

use super::deadline::Elapsed;
use crate::headers::remove_hop_by_hop;

/// A boxed error from an app or its response body.
///
/// ```
/// use cloud_events_handler::app::BoxError;
///
/// let err: BoxError = "connection refused".into();
/// assert_eq!(err.to_string(), "connection refused");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An app: a `tower::Service` that takes the request ceh built and answers
/// with an HTTP response. An axum `Router`, [`Upstream`](super::Upstream), [`Echo`](super::Echo) and a
/// `tower::service_fn` are all apps; every service of that shape is one, so
/// there is nothing to implement.
///
/// ```
/// use cloud_events_handler::app::{App, BoxError, Upstream};
/// use cloud_events_handler::Echo;
///
/// fn is_app(_: &impl App) {}
/// is_app(&Echo);
/// is_app(&Upstream::new("http://127.0.0.1:8080")?);
/// is_app(&tower::service_fn(|_: http::Request<http_body_util::Full<bytes::Bytes>>| async {
///     Ok::<_, BoxError>(http::Response::new(String::from("ok")))
/// }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait App:
    Service<Request<Full<Bytes>>, Response = Response<Self::Body>, Error: Into<BoxError>>
{
    /// The response's body.
    type Body: http_body::Body<Error: Into<BoxError>>;
}

impl<S, B> App for S
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: Into<BoxError>,
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Body = B;
}

/// An [`App`] that can be cloned for each request and moved between threads,
/// as the Lambda loop ([`crate::lambda::run`]) and the server
/// ([`crate::serve::serve`]) need. An axum `Router` is one.
///
/// ```
/// use cloud_events_handler::app::SendApp;
/// use cloud_events_handler::Echo;
///
/// fn is_send_app(_: &impl SendApp) {}
/// is_send_app(&Echo);
/// ```
pub trait SendApp:
    App<Future: Send, Body: Send + http_body::Body<Data: Send>> + Clone + Send + 'static
{
}

impl<S> SendApp for S
where
    S: App + Clone + Send + 'static,
    S::Future: Send,
    S::Body: Send,
    <S::Body as http_body::Body>::Data: Send,
{
}

/// Why the app did not produce a response.
///
/// ```
/// use cloud_events_handler::app::{self, AppError, BoxError};
/// use http_body_util::Full;
///
/// let refusing = tower::service_fn(|_: http::Request<Full<bytes::Bytes>>| async {
///     Err::<http::Response<Full<bytes::Bytes>>, BoxError>("connection refused".into())
/// });
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let err = app::call(refusing, http::Request::new(bytes::Bytes::new())).await.unwrap_err();
/// assert!(matches!(err, AppError::Call(_)));
/// assert_eq!(err.to_string(), "the app failed: connection refused");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// The service failed (for an upstream app: refused, reset, timed out).
    #[error("the app failed: {0}")]
    Call(#[source] BoxError),
    /// The response body could not be read to its end.
    #[error("the app's response body broke off: {0}")]
    Body(#[source] BoxError),
    /// The response body is larger than ceh will hold.
    #[error("the app's response body is over the limit of {limit} bytes; answer with less")]
    TooLarge {
        /// The limit in force.
        limit: usize,
    },
    /// The app had not answered when the invocation's deadline came.
    #[error("the app did not answer within {} ms, the time left before the invocation's deadline", after.as_millis())]
    Timeout {
        /// How long the app was given.
        after: std::time::Duration,
    },
}

/// The largest response body read from an app: above Lambda's 6 MB result
/// limit with room for base64, and far below what would strain memory.
///
/// ```
/// use cloud_events_handler::app::MAX_RESPONSE_BYTES;
///
/// assert_eq!(MAX_RESPONSE_BYTES, 16 * 1024 * 1024);
/// assert!(MAX_RESPONSE_BYTES > cloud_events_handler::lambda::MAX_REPLY_BYTES);
/// ```
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Sends `request` to `app` and reads the whole response.
///
/// ```
/// use cloud_events_handler::{app, Echo};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let request = http::Request::get("/health?deep=1").body(bytes::Bytes::new())?;
/// let response = app::call(Echo, request).await?;
/// assert_eq!(response.status(), 200);
/// let seen: serde_json::Value = serde_json::from_slice(response.body())?;
/// assert_eq!((seen["method"].as_str(), seen["query"].as_str()), (Some("GET"), Some("deep=1")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn call<S: App>(app: S, request: Request<Bytes>) -> Result<Response<Bytes>, AppError> {
    call_limited(app, request, MAX_RESPONSE_BYTES).await
}

/// [`call`], holding at most `limit` bytes of the response body. An app
/// wrapped in a [`Deadline`](super::deadline::Deadline) that has elapsed
/// fails with [`AppError::Timeout`].
pub(crate) async fn call_limited<S: App>(
    app: S,
    request: Request<Bytes>,
    limit: usize,
) -> Result<Response<Bytes>, AppError> {
    let request = request.map(Full::new);
    let response = app
        .oneshot(request)
        .await
        .map_err(|e| timeout_or(e.into(), AppError::Call))?;
    let (mut parts, body) = response.into_parts();
    remove_hop_by_hop(&mut parts.headers);
    let bytes = http_body_util::Limited::new(body, limit)
        .collect()
        .await
        .map_err(|e| match e.downcast::<http_body_util::LengthLimitError>() {
            Ok(_) => AppError::TooLarge { limit },
            Err(e) => timeout_or(e, AppError::Body),
        })?
        .to_bytes();
    Ok(Response::from_parts(parts, bytes))
}

/// [`AppError::Timeout`] for a deadline that elapsed, `other` for any other error.
fn timeout_or(err: BoxError, other: fn(BoxError) -> AppError) -> AppError {
    match err.downcast::<Elapsed>() {
        Ok(elapsed) => AppError::Timeout {
            after: elapsed.after,
        },
        Err(err) => other(err),
    }
}

/// Sends `request` to the app and hands back its response as it starts to
/// arrive, the body still to be read: for streaming it on. An app wrapped
/// in a [`Deadline`](super::deadline::Deadline) fails with
/// [`AppError::Timeout`] when the response has not started by then.
pub(crate) async fn open<S: App>(
    app: S,
    request: Request<Bytes>,
) -> Result<Response<S::Body>, AppError> {
    let mut response = app
        .oneshot(request.map(Full::new))
        .await
        .map_err(|e| timeout_or(e.into(), AppError::Call))?;
    remove_hop_by_hop(response.headers_mut());
    Ok(response)
}
