//! The HTTP server the HTTP front ends (`ceh serve`, `ceh functions`) stand
//! on: the accept loop, the limits a request is held to ([`ServerOptions`]),
//! its body read within them, the plain answers and log lines of a refusal.
//! A front end gives it a function from a request to a response: its ingest
//! and render; the server does the rest.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

mod intake;
mod log;
mod options;
mod plain;

pub(crate) use intake::{budget, read_body, read_within};
pub(crate) use log::refusal;
pub use log::TARGET as LOG_TARGET;
pub(crate) use log::TARGET;
pub use options::{ServerOptions, MAX_BODY_LIMIT};
pub(crate) use plain::{busy, refuse, text};

/// The first wait after a failed accept; each failure in a row doubles it.
const ACCEPT_BACKOFF_FIRST: Duration = Duration::from_millis(10);
/// The longest wait between accepts while they keep failing.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// The server around a front end's answers: accepts connections on
/// `listener` (backing off while accepts fail), reads requests within
/// `options`' header limits, answers each with `respond`, and once
/// `shutdown` resolves finishes the requests in flight within
/// `options.shutdown_timeout`. `front` names the front end in the log.
pub(crate) async fn accept<F, Fut>(
    front: &'static str,
    listener: TcpListener,
    options: &ServerOptions,
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
                    tracing::error!(target: TARGET, "{front}: cannot accept a connection ({err}); trying again in {} ms", backoff.as_millis());
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => continue,
                        () = &mut shutdown => break,
                    }
                }
            },
            () = &mut shutdown => break,
        };
        // An answer goes out as soon as it is written, never held back by
        // Nagle's algorithm waiting for the client's delayed ACK of the last
        // one (nginx's `tcp_nodelay on`). Without it the connection still works.
        let _ = stream.set_nodelay(true);
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
        tracing::warn!(
            target: TARGET,
            "{front}: requests still in flight {} ms after the stop; closing their connections",
            options.shutdown_timeout.as_millis()
        );
    }
    Ok(())
}
