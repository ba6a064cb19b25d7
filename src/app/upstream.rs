//! The app as an HTTP server reached over the network: the `APP` setting.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::call::BoxError;
use super::pool::{self, Answered, Connector, DEFAULT_POOL_IDLE_TIMEOUT};
use super::resend::Resend;
use crate::shown::redacted;
use crate::statuses::Statuses;

/// An app listening on HTTP, such as a Flask or Express server on
/// `http://127.0.0.1:8080`.
///
/// Each request keeps its method, path, query, headers (its `Host` among
/// them) and body; only the connection goes to the app's address. A path in
/// the base URL (`http://127.0.0.1:8080/prefix`) is put before every request
/// path. Connections are pooled for [`DEFAULT_POOL_IDLE_TIMEOUT`] unless
/// [`Upstream::pool_idle_timeout`] says otherwise. A request is sent again,
/// once, on a new connection, only when it failed on a reused connection the
/// app had closed before any answer (docs/lambda.md, "Connections across a
/// freeze"); otherwise the event source's own retries take it from there.
///
/// ```
/// use cloud_events_handler::app::Upstream;
///
/// let app = Upstream::new("http://127.0.0.1:8080")?;
/// assert_eq!(app.base().to_string(), "http://127.0.0.1:8080/");
/// assert!(Upstream::new("ftp://example.com").is_err());
/// # Ok::<(), cloud_events_handler::app::UpstreamError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Upstream {
    base: Uri,
    /// Pooled connections, for every first try.
    client: Client<Connector, Full<Bytes>>,
    /// A new connection for each request, for the one resend after a stale one.
    fresh: Client<Connector, Full<Bytes>>,
    /// How readiness is checked, when not by a `GET` answered below 500.
    readiness: Option<Arc<Readiness>>,
}

/// How the app's readiness is checked ([`Upstream::readiness`]): by default a
/// `GET` of the readiness path answered below 500.
///
/// ```
/// use cloud_events_handler::{app::Readiness, Statuses};
///
/// assert_eq!(Readiness::default(), Readiness::Http(Statuses::from_range(100..=499)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Readiness {
    /// A `GET` of the readiness path, answered with one of these statuses.
    Http(Statuses),
    /// A TCP connection to the app's address that opens (the path is not used).
    Tcp,
}

impl Default for Readiness {
    fn default() -> Self {
        Self::Http(Statuses::from_range(100..=499))
    }
}

/// Why the app's URL cannot be used, or why a request to it failed.
///
/// ```
/// use cloud_events_handler::app::{Upstream, UpstreamError};
///
/// let err = Upstream::new("https://127.0.0.1:8080").unwrap_err();
/// assert!(matches!(err, UpstreamError::Url { .. }));
/// assert_eq!(
///     err.to_string(),
///     r#"APP="https://127.0.0.1:8080" is not an app URL: https is not supported for a local app; write e.g. APP=http://127.0.0.1:8080"#
/// );
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UpstreamError {
    /// The URL is not an `http://host:port` URL.
    #[error("APP={url:?} is not an app URL: {reason}; write e.g. APP=http://127.0.0.1:8080")]
    Url {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The app could not be reached, or the exchange broke off.
    #[error("the app at {url} did not answer: {cause}")]
    Unreachable {
        /// The URL the request went to.
        url: String,
        /// The innermost cause (refused, reset, …).
        cause: String,
    },
    /// The app did not pass its readiness check in time ([`Upstream::wait_ready`]).
    #[error("the app at {url} did not answer within {} ms; check APP and the app's port, or raise CEH_READINESS_TIMEOUT_MS", timeout.as_millis())]
    NotReady {
        /// The readiness URL.
        url: String,
        /// The time it had.
        timeout: std::time::Duration,
    },
}

impl Upstream {
    /// An app at `url`: `http://host:port`, optionally with a base path.
    ///
    /// ```
    /// use cloud_events_handler::app::Upstream;
    ///
    /// let app = Upstream::new("http://127.0.0.1:8080/prefix")?;
    /// assert_eq!(app.base().path(), "/prefix");
    /// assert!(Upstream::new("http://127.0.0.1:8080/?debug=1").is_err(), "no query");
    /// assert!(Upstream::new("127.0.0.1:8080").is_err(), "no scheme");
    /// # Ok::<(), cloud_events_handler::app::UpstreamError>(())
    /// ```
    pub fn new(url: &str) -> Result<Self, UpstreamError> {
        let invalid = |reason: &str| UpstreamError::Url {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let base = Uri::from_str(url).map_err(|e| invalid(&e.to_string()))?;
        match base.scheme_str() {
            Some("http") => {}
            Some("https") => return Err(invalid("https is not supported for a local app")),
            _ => return Err(invalid("the scheme must be http")),
        }
        if base.authority().is_none() {
            return Err(invalid("there is no host"));
        }
        if base.query().is_some() {
            return Err(invalid("a query has no place in the app's base URL"));
        }
        Ok(Self {
            base,
            client: client(Some(DEFAULT_POOL_IDLE_TIMEOUT)),
            fresh: client(None),
            readiness: None,
        })
    }

    /// The same app, its readiness checked as `readiness` says.
    ///
    /// ```
    /// use cloud_events_handler::app::{Readiness, Upstream};
    ///
    /// let app = Upstream::new("http://127.0.0.1:8080")?.readiness(Readiness::Tcp);
    /// # let _ = app;
    /// # Ok::<(), cloud_events_handler::app::UpstreamError>(())
    /// ```
    #[must_use]
    pub fn readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = Some(Arc::new(readiness));
        self
    }

    /// The same app, with connections idle in the pool for at most `idle`
    /// before they are closed; zero pools none, so every request opens a
    /// connection.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cloud_events_handler::app::Upstream;
    ///
    /// let app = Upstream::new("http://127.0.0.1:8080")?.pool_idle_timeout(Duration::from_secs(4));
    /// # let _ = app;
    /// # Ok::<(), cloud_events_handler::app::UpstreamError>(())
    /// ```
    #[must_use]
    pub fn pool_idle_timeout(mut self, idle: Duration) -> Self {
        self.client = client(pool::idle(idle));
        self
    }

    /// The app's base URL.
    pub fn base(&self) -> &Uri {
        &self.base
    }

    /// The URL of `path` on the app, as readiness messages name it.
    pub(crate) fn url_of(&self, path: &str) -> String {
        format!("{}{path}", self.base.to_string().trim_end_matches('/'))
    }

    /// One readiness probe, answered within a second: `GET path` answered
    /// below 500 (or with a status [`Readiness::Http`] names), or a TCP
    /// connection that opens ([`Readiness::Tcp`]).
    pub(crate) async fn is_ready(&self, path: &str) -> bool {
        use tower::ServiceExt;
        let second = std::time::Duration::from_secs(1);
        let healthy = match self.readiness.as_deref() {
            Some(Readiness::Tcp) => {
                let host = self.base.host().unwrap_or("127.0.0.1");
                let port = self.base.port_u16().unwrap_or(80);
                let connect = tokio::net::TcpStream::connect((host, port));
                return matches!(tokio::time::timeout(second, connect).await, Ok(Ok(_)));
            }
            Some(Readiness::Http(statuses)) => Some(statuses),
            None => None,
        };
        let Ok(probe) = Request::get(path).body(Full::new(Bytes::new())) else {
            return false;
        };
        let answer = tokio::time::timeout(second, self.clone().oneshot(probe));
        match answer.await {
            Ok(Ok(response)) => {
                let status = response.status().as_u16();
                healthy.map_or(status < 500, |statuses| statuses.contains(status))
            }
            _ => false,
        }
    }

    /// Waits until `GET path` answers below 500, probing every 25 ms, for at
    /// most `timeout`: for an app that something else starts (`APP` and
    /// `CEH_READINESS_PATH` without a command). The probe also leaves a pooled
    /// connection, so the first invocation does not open one.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cloud_events_handler::app::{Upstream, UpstreamError};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let app = Upstream::new("http://127.0.0.1:9")?; // nothing listens on the discard port
    /// let err = app.wait_ready("/health", Duration::from_millis(100)).await.unwrap_err();
    /// assert!(matches!(err, UpstreamError::NotReady { .. }));
    /// assert!(err.to_string().starts_with("the app at http://127.0.0.1:9/health did not answer within 100 ms"), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn wait_ready(
        &self,
        path: &str,
        timeout: std::time::Duration,
    ) -> Result<(), UpstreamError> {
        let started = tokio::time::Instant::now();
        while !self.is_ready(path).await {
            if started.elapsed() >= timeout {
                return Err(UpstreamError::NotReady {
                    url: self.url_of(path),
                    timeout,
                });
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        Ok(())
    }

    /// Where `uri` (a synthesized request's URI) is sent: the app's authority,
    /// its base path, then the request's path and query.
    fn target(&self, uri: &Uri) -> Result<Uri, http::Error> {
        let base_path = self.base.path().trim_end_matches('/');
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(Scheme::HTTP);
        parts.authority = Some(
            self.base
                .authority()
                .cloned()
                .unwrap_or_else(|| Authority::from_static("localhost")),
        );
        parts.path_and_query = Some(match uri.path_and_query() {
            // Without a base path the request's own path and query go as they are.
            Some(path_and_query) if base_path.is_empty() => path_and_query.clone(),
            path_and_query => {
                let path_and_query = path_and_query.map_or("/", PathAndQuery::as_str);
                PathAndQuery::try_from(format!("{base_path}{path_and_query}"))?
            }
        });
        Ok(Uri::from_parts(parts)?)
    }
}

/// A client over ceh's [`Connector`]: pooling connections for at most `idle`,
/// or none at all.
fn client(idle: Option<Duration>) -> Client<Connector, Full<Bytes>> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let mut builder = Client::builder(TokioExecutor::new());
    match idle {
        Some(idle) => builder
            .pool_idle_timeout(idle)
            .pool_timer(TokioTimer::new()),
        None => builder.pool_max_idle_per_host(0),
    };
    builder.build(Connector(connector))
}

impl tower::Service<Request<Full<Bytes>>> for Upstream {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Full<Bytes>>) -> Self::Future {
        let (client, fresh) = (self.client.clone(), self.fresh.clone());
        let target = self.target(request.uri());
        Box::pin(async move {
            let target = target?;
            *request.uri_mut() = target.clone();
            // The request line carries the path; `Host` stays what the environment set.
            *request.version_mut() = http::Version::HTTP_11;
            let again = Resend::of(&request);
            let sent = match client.request(request).await {
                Err(e) if pool::is_stale(&e) => match again.request(target.clone()) {
                    Some(again) => {
                        tracing::debug!(cause = %innermost(&e), "the app had closed a pooled connection; sending the request again on a new one");
                        fresh.request(again).await
                    }
                    None => Err(e),
                },
                sent => sent,
            };
            match sent {
                Ok(response) => {
                    Answered::mark(response.extensions());
                    Ok(response)
                }
                Err(e) => Err(Box::new(UpstreamError::Unreachable {
                    // An event's query may carry a secret: errors name the app's URL without it.
                    url: redacted(&target.to_string()),
                    cause: innermost(&e),
                }) as BoxError),
            }
        })
    }
}

/// The last error in a source chain: "connection refused" rather than "client error (Connect)".
pub(crate) fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_lowercase(),
        None => text,
    }
}
