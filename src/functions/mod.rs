//! `ceh functions`: ceh as an Azure Functions custom handler.
//!
//! The Functions host starts ceh (host.json's `customHandler.description`)
//! and POSTs every invocation to `http://127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT/<function>`
//! as `{"Data": {<binding>: …}, "Metadata": {…}}`. ceh keeps the trigger's
//! binding (function.json names it), routes the payload through the rule
//! table (rules/azure-functions.toml recognises each trigger by the shape the
//! host sends), sends the app its request, and answers the host with
//! `{"Outputs", "Logs", "ReturnValue"}` ([`render`](self) has the
//! convention). A failure is a 500 with one line in `Logs`, so the host
//! retries and a queue message ends in its poison queue; never a success.
//!
//! With `enableForwardingHttpRequest`, an HTTP trigger's request arrives as
//! itself, at its own path: it goes to the app as it came, and the app's
//! response back as it is. docs/deploy.md describes it all.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use http::Request;
use hyper::body::Incoming;
use tokio::net::TcpListener;

use crate::app::SendApp;
use crate::handler::Handler;
use crate::server::accept;
use crate::vars::FUNCTIONS_PORT_VAR;
use render::FRONT;

mod answer;
mod function_app;
pub(crate) mod ingest;
pub(crate) mod render;
mod routes;
mod transport;

pub use crate::server::ServerOptions;
pub use function_app::{Binding, Function, FunctionApp, FunctionAppError};

/// Serves the Functions host's requests on `listener` until `shutdown`
/// resolves, sending each invocation of `functions` through `handler` to
/// `app`. `options` bound each request as they do for `ceh serve` (the
/// server's limits; no token: the host is the only client).
///
/// ```
/// use cloud_events_handler::functions::{self, FunctionApp, ServerOptions};
/// use cloud_events_handler::{Config, Echo, Handler};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let address = listener.local_addr()?;
/// let mut answer = String::new();
/// let host = async {
///     let payload = r#"{"Data": {"msg": "hello"}, "Metadata": {"DequeueCount": 1, "PopReceipt": "r", "Id": "1"}}"#;
///     let request = format!("POST /orders HTTP/1.1\r\nhost: ceh\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{payload}", payload.len());
///     let Ok(mut stream) = tokio::net::TcpStream::connect(address).await else { return };
///     if stream.write_all(request.as_bytes()).await.is_ok() {
///         let _ = stream.read_to_string(&mut answer).await;
///     }
/// };
/// let handler = Handler::new(Config::default());
/// functions::serve(listener, handler, Echo, FunctionApp::default(), ServerOptions::default(), host).await?;
/// assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
/// assert!(answer.contains(r#""Logs":[]"#), "{answer}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn serve<S>(
    listener: TcpListener,
    handler: Handler,
    app: S,
    functions: FunctionApp,
    options: ServerOptions,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()>
where
    S: SendApp + Sync,
    S::Body: 'static,
{
    options.check().map_err(std::io::Error::other)?;
    let functions = Arc::new(functions);
    let answering = options.clone();
    let respond = move |request: Request<Incoming>| {
        let (handler, app, functions, options) = (
            handler.clone(),
            app.clone(),
            functions.clone(),
            answering.clone(),
        );
        async move { answer::answer(request, &handler, app, &functions, &options).await }
    };
    accept(FRONT, listener, &options, shutdown, respond).await
}

/// The address to listen on: 127.0.0.1, on `port` when given, else on
/// `$FUNCTIONS_CUSTOMHANDLER_PORT`, which the Functions host sets.
pub fn listen_address(port: Option<u16>) -> Result<SocketAddr, String> {
    let port = match port {
        Some(port) => port,
        None => {
            let text = std::env::var(FUNCTIONS_PORT_VAR).map_err(|_| {
                format!("{FUNCTIONS_PORT_VAR} is not set: the Functions host sets it; pass --port PORT to run ceh functions by hand")
            })?;
            text.trim()
                .parse()
                .map_err(|_| format!("{FUNCTIONS_PORT_VAR}={text:?} is not a port number"))?
        }
    };
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
}
