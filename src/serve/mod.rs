//! `ceh serve`: the same rules and app behind an HTTP endpoint — Knative,
//! Cloud Run, Eventarc, Azure Event Grid, or `curl` during development.
//!
//! A request is an event in one of four forms: a CloudEvent in binary mode
//! (`ce-*` headers), in structured mode (`application/cloudevents+json`), a
//! batch of them (`application/cloudevents-batch+json`), or raw event JSON
//! such as an S3 notification. It goes through the rule table to the app,
//! and the answer tells the sender what to do: 2xx acknowledges, 5xx asks
//! for a retry, 4xx says the event itself is at fault.

use std::net::SocketAddr;
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::app::SendApp;
use crate::handler::Handler;
use crate::server::{accept, budget};
use crate::vars::PORT_VAR;

mod answer;
mod auth;
pub(crate) mod ingest;
mod options;
pub(crate) mod render;
mod transport;

pub use crate::invocation::BrokerHeaders;
pub use crate::server::{ServerOptions, LOG_TARGET, MAX_BODY_LIMIT};
use answer::answer;
pub use auth::OidcCheck;
pub use options::ServeOptions;
use render::FRONT;

/// Serves events on `listener` until `shutdown` resolves, then finishes the
/// requests in flight within `options.server.shutdown_timeout`. Fails at once when
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
    let limits = &options.server;
    let in_flight = Semaphore::new(limits.max_in_flight);
    // What bodies may hold at once: as much as the requests in flight may.
    let budget = budget(limits.max_in_flight.saturating_mul(limits.max_body));
    let server = options.server.clone();
    let shared = Arc::new(Shared {
        handler,
        app,
        options,
        in_flight,
        budget,
    });
    // One reference counted per request, nothing copied: the options (their
    // origins, token and keys) would be allocated again for every request.
    let respond = move |request: Request<Incoming>| {
        let shared = Arc::clone(&shared);
        async move {
            let Shared {
                handler,
                app,
                options,
                in_flight,
                budget,
            } = &*shared;
            answer(request, handler, app.clone(), options, in_flight, budget).await
        }
    };
    accept(FRONT, listener, &server, shutdown, respond).await
}

/// What every request of one server reads: set up once, shared by all.
struct Shared<S> {
    handler: Handler,
    app: S,
    options: ServeOptions,
    /// The slots of the requests handled at once.
    in_flight: Semaphore,
    /// The bytes the bodies being read or handled may hold between them.
    budget: Semaphore,
}

/// The listener address: `--listen`, else `0.0.0.0:$PORT` (Knative, Cloud Run), else 127.0.0.1:8080.
pub fn listen_address(listen: Option<&str>) -> Result<SocketAddr, String> {
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
