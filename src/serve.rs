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
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::app::{App, SendApp};
use crate::vars::PORT_VAR;
use crate::{ErrorKind, Event, HandleError, Handler, Invocation, Reply};

/// How `ceh serve` listens and what it accepts.
///
/// ```
/// use cloud_events_handler::serve::ServeOptions;
///
/// let options = ServeOptions { token: Some("s3cret".into()), ..ServeOptions::default() };
/// assert_eq!(options.max_body, 6 * 1024 * 1024);
/// assert_eq!(options.allowed_origins, ["eventgrid.azure.net"]);
/// ```
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// The longest the app may take for one event.
    pub timeout: Duration,
    /// Origins answered in Azure Event Grid's webhook validation handshake;
    /// empty answers none.
    pub allowed_origins: Vec<String>,
    /// When set, every event must carry `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// The most request headers accepted.
    pub max_headers: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_body: crate::DEFAULT_MAX_EVENT_BYTES,
            timeout: Duration::from_secs(30),
            allowed_origins: vec!["eventgrid.azure.net".to_owned()],
            token: None,
            max_headers: 100,
        }
    }
}

/// Serves events on `listener` until `shutdown` resolves, then finishes the
/// requests in flight.
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
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let handler = handler.clone();
                let app = app.clone();
                let max_headers = options.max_headers;
                let options = options.clone();
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    let (handler, app, options) = (handler.clone(), app.clone(), options.clone());
                    async move { Ok::<_, Infallible>(answer(request, &handler, app, &options).await) }
                });
                let connection = hyper::server::conn::http1::Builder::new()
                    .max_headers(max_headers)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
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

async fn answer<S: App + Clone>(
    request: Request<Incoming>,
    handler: &Handler,
    app: S,
    options: &ServeOptions,
) -> Response<Full<Bytes>> {
    if request.method() == Method::OPTIONS {
        return handshake(request.headers(), options);
    }
    if request.method() != Method::POST {
        return text(StatusCode::METHOD_NOT_ALLOWED, "send events with POST\n");
    }
    if let Some(token) = &options.token {
        let offered = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !offered.is_some_and(|offered| same_secret(offered, token)) {
            let mut response = text(
                StatusCode::UNAUTHORIZED,
                "this endpoint takes events with its token: Authorization: Bearer <token>\n",
            );
            response.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer"),
            );
            return response;
        }
    }
    let (parts, body) = request.into_parts();
    let bytes = match Limited::new(body, options.max_body).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            let message = format!(
                "the request body is over the limit of {} bytes, or broke off\n",
                options.max_body
            );
            return text(StatusCode::PAYLOAD_TOO_LARGE, &message);
        }
    };
    let events = match events(&parts.headers, bytes) {
        Ok(events) => events,
        Err(reason) => return text(StatusCode::BAD_REQUEST, &format!("{reason}\n")),
    };
    let invocation = Invocation {
        deadline: Some(std::time::SystemTime::now() + options.timeout),
        ..Invocation::default()
    };
    let mut replies = Vec::with_capacity(events.len());
    for event in &events {
        match handler
            .handle_invocation(event, app.clone(), &invocation)
            .await
        {
            Ok(reply) => replies.push(reply),
            Err(err) => return failure(&err),
        }
    }
    match replies.pop() {
        // One event: the sender gets the app's own answer.
        Some(reply) if replies.is_empty() => reply.into_response().map(Full::new),
        // A batch of CloudEvents: every event was taken; one reply each, in order.
        last => {
            let all: Vec<serde_json::Value> = replies
                .into_iter()
                .chain(last)
                .map(Reply::into_json)
                .collect();
            json(StatusCode::OK, &serde_json::Value::Array(all))
        }
    }
}

/// Compares secrets in time that depends on their length only.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The events a request carries, as structured JSON.
fn events(headers: &HeaderMap, body: Bytes) -> Result<Vec<Event>, String> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if headers.contains_key("ce-specversion") {
        // Binary mode: the attributes in ce-* headers, the data in the body.
        let mut event = cloudevents::binding::http::to_event(headers, body.to_vec())
            .map_err(|e| format!("not a valid binary-mode CloudEvent: {e}"))?;
        // JSON data stays JSON in the structured form, rather than base64.
        if content_type.ends_with("json") {
            if let Ok(data) = serde_json::from_slice::<serde_json::Value>(&body) {
                event.set_data(content_type.as_str(), data);
            }
        }
        let structured = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
        return Ok(vec![
            Event::from_bytes(structured.into()).map_err(|e| e.to_string())?
        ]);
    }
    let event = Event::from_bytes(body).map_err(|e| e.to_string())?;
    if content_type == "application/cloudevents-batch+json" {
        let items = event.json().as_array().ok_or(
            "an application/cloudevents-batch+json body must be a JSON array of CloudEvents",
        )?;
        return Ok(items
            .iter()
            .map(|item| Event::from_json(item.clone()))
            .collect());
    }
    Ok(vec![event])
}

/// Azure Event Grid's CloudEvents webhook validation: an OPTIONS request
/// naming its origin, answered with the origins allowed to deliver.
fn handshake(headers: &HeaderMap, options: &ServeOptions) -> Response<Full<Bytes>> {
    let origin = headers
        .get("webhook-request-origin")
        .and_then(|v| v.to_str().ok());
    let allowed = origin.filter(|o| {
        options.allowed_origins.iter().any(|a| {
            a == "*"
                || o.eq_ignore_ascii_case(a)
                || o.to_ascii_lowercase()
                    .ends_with(&format!(".{}", a.to_ascii_lowercase()))
        })
    });
    let mut response = Response::new(Full::new(Bytes::new()));
    match (origin, allowed) {
        (Some(_), Some(origin)) => {
            if let Ok(value) = HeaderValue::from_str(origin) {
                response
                    .headers_mut()
                    .insert("webhook-allowed-origin", value);
            }
            response
                .headers_mut()
                .insert("webhook-allowed-rate", HeaderValue::from_static("*"));
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static("POST, OPTIONS"));
        }
        (Some(_), None) => *response.status_mut() = StatusCode::FORBIDDEN,
        (None, _) => {
            response
                .headers_mut()
                .insert("allow", HeaderValue::from_static("POST, OPTIONS"));
        }
    }
    response
}

/// A failed event: 4xx when the event is at fault, 5xx so the sender retries otherwise.
fn failure(err: &HandleError) -> Response<Full<Bytes>> {
    let status = match (err.kind(), err.app_status()) {
        (ErrorKind::NoRule, _) => StatusCode::UNPROCESSABLE_ENTITY,
        (
            ErrorKind::InvalidCloudEvent | ErrorKind::InvalidHttpEvent | ErrorKind::InvalidEvent,
            _,
        ) => StatusCode::BAD_REQUEST,
        // The batch can never be taken: a retry would fail the same way.
        (ErrorKind::TooManyRecords, _) => StatusCode::PAYLOAD_TOO_LARGE,
        (ErrorKind::AppTimeout, _) => StatusCode::GATEWAY_TIMEOUT,
        (ErrorKind::AppFailed, Some(status)) if status.is_server_error() => status,
        (ErrorKind::AppUnreachable | ErrorKind::AppFailed, None) => StatusCode::BAD_GATEWAY,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    text(status, &format!("{err}\n"))
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn json(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
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
