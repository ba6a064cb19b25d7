//! `ceh serve`: the same rules and app behind an HTTP endpoint — Knative,
//! Cloud Run, Eventarc, Azure Event Grid, or `curl` during development.
//!
//! A request is an event in one of four forms: a CloudEvent in binary mode
//! (`ce-*` headers), in structured mode (`application/cloudevents+json`), a
//! batch of them (`application/cloudevents-batch+json`), or raw event JSON
//! such as an S3 notification. It goes through the rule table to the app,
//! and the answer tells the sender what to do: 2xx acknowledges, 5xx asks
//! for a retry, 4xx says the event itself is at fault.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::SendApp;
use crate::handler::Handler;
use crate::vars::PORT_VAR;

mod answer;
mod auth;
mod intake;
mod options;
pub(crate) mod refusals;
mod transport;

use answer::answer;
pub(crate) use answer::read_body;
pub use auth::OidcCheck;
pub use options::{ServeOptions, MAX_BODY_LIMIT};

/// The first wait after a failed accept; each failure in a row doubles it.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// The longest wait between accepts while they keep failing.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Serves events on `listener` until `shutdown` resolves, then finishes the
/// requests in flight within `options.shutdown_timeout`. Fails at once when
/// the options cannot work ([`ServeOptions::check`]).
///
/// ```
/// use cloud_events_handler::serve::{serve, ServeOptions};
/// use cloud_events_handler::{Config, Echo, Handler};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let address = listener.local_addr()?;
/// let mut answer = String::new();
/// // The server stops once this client has read its answer.
/// let client = async {
///     let event = r#"{"source": "com.example.orders", "detail-type": "Order Placed", "detail": {}}"#;
///     let request = format!("POST / HTTP/1.1\r\nhost: ceh\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{event}", event.len());
///     let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else { return };
///     if stream.write_all(request.as_bytes()).await.is_ok() {
///         let _ = stream.read_to_string(&mut answer).await;
///     }
/// };
/// serve(listener, Handler::new(Config::default()), Echo, ServeOptions::default(), client).await?;
/// assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
/// assert!(answer.contains("/com.example.orders"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn serve<S>(
    listener: TcpListener,
    handler: Handler,
    app: S,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: SendApp + Sync,
    S::Body: 'static,
{
    options.check().map_err(std::io::Error::other)?;
    let in_flight = Arc::new(Semaphore::new(options.max_in_flight));
    // What bodies may hold at once: as much as the requests in flight may.
    let budget = Arc::new(intake::budget(
        options.max_in_flight.saturating_mul(options.max_body),
    ));
    let answering = options.clone();
    let respond = move |request: Request<Incoming>| {
        let (handler, app, options, in_flight, budget) = (
            handler.clone(),
            app.clone(),
            answering.clone(),
            in_flight.clone(),
            budget.clone(),
        );
        async move { answer(request, &handler, app, &options, &in_flight, &budget).await }
    };
    accept("ceh serve", listener, &options, shutdown, respond).await
}

/// The server around a front end's answers: accepts connections on
/// `listener` (backing off while accepts fail), reads requests within
/// `options`' header limits, answers each with `respond`, and once
/// `shutdown` resolves finishes the requests in flight within
/// `options.shutdown_timeout`. `front` names the front end on stderr.
pub(crate) async fn accept<F, Fut>(
    front: &'static str,
    listener: TcpListener,
    options: &ServeOptions,
    shutdown: impl std::future::Future<Output = ()>,
    respond: F,
) -> std::io::Result<()>
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    let mut backoff = Duration::ZERO;
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = Duration::ZERO;
                    stream
                }
                Err(err) => {
                    // Out of file descriptors, say: wait before the next try, or the
                    // loop spins, and the connections in flight close meanwhile.
                    backoff = (backoff * 2).clamp(ACCEPT_BACKOFF_FIRST, ACCEPT_BACKOFF_MAX);
                    eprintln!("{front}: cannot accept a connection ({err}); trying again in {} ms", backoff.as_millis());
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(options.header_timeout)
            .max_headers(options.max_headers)
            // A client may send its requests and shut its side: each is still answered.
            .half_close(true);
        let respond = respond.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let answered = respond(request);
            async move { Ok::<_, Infallible>(answered.await) }
        });
        let watched = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = watched.await;
        });
    }
    drop(listener);
    if tokio::time::timeout(options.shutdown_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!(
            "{front}: requests still in flight {} ms after the stop; closing their connections",
            options.shutdown_timeout.as_millis()
        );
    }
    Ok(())
}

/// The listener address: `--listen`, else `0.0.0.0:$PORT` (Knative, Cloud Run), else 127.0.0.1:8080.
pub(crate) fn listen_address(listen: Option<&str>) -> Result<SocketAddr, String> {
    let text = match (listen, std::env::var(PORT_VAR)) {
        (Some(listen), _) => listen.to_owned(),
        (None, Ok(port)) => format!("0.0.0.0:{port}"),
        (None, Err(_)) => "127.0.0.1:8080".to_owned(),
    };
    text.parse()
        .map_err(|_| format!("{text:?} is not an address to listen on; write e.g. 127.0.0.1:8080"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listen_address_is_checked() {
        assert_eq!(listen_address(Some("127.0.0.1:9000")).unwrap().port(), 9000);
        assert!(listen_address(Some("nowhere")).is_err());
    }
}
