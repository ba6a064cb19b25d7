//! `ceh serve`: events over HTTP, through the same rules, to the app.

use std::time::Duration;

use crate::app::Upstream;
use crate::serve::{listen_address, serve, ServeOptions};
use crate::vars::{APP_VAR, SERVE_TOKEN_VAR};
use crate::{Echo, Handler};
use clap::Args;

use super::failure::Failure;
use super::input::{io_reason, print, ConfigArg};

#[derive(Args)]
pub(super) struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Address to listen on [default: 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// The app's base URL.
    #[arg(long, value_name = "URL", env = APP_VAR, conflicts_with = "echo")]
    app: Option<String>,
    /// Answer with the built-in echo app instead of an app of your own.
    #[arg(long)]
    echo: bool,
    /// The largest request body accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::DEFAULT_MAX_EVENT_BYTES)]
    max_body: usize,
    /// The longest the app may take for one event, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    timeout_ms: u64,
    /// The most request headers accepted.
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_headers: usize,
    /// The longest a client may take to send its request headers, in milliseconds; also how long an idle connection is kept.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// The longest a client may take to send its request body, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// The most requests handled at once; more are answered 503 with Retry-After.
    #[arg(long, value_name = "N", default_value_t = 256)]
    max_in_flight: usize,
    /// How long requests in flight may take to finish after SIGTERM, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 20_000)]
    shutdown_timeout_ms: u64,
    /// An origin answered in Azure Event Grid's validation handshake (repeatable; `*` for any).
    #[arg(long, value_name = "ORIGIN", default_values_t = ["eventgrid.azure.net".to_owned()])]
    allow_origin: Vec<String>,
}

pub(super) fn run(args: ServeArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    let address = listen_address(args.listen.as_deref()).map_err(Failure::usage)?;
    let options = ServeOptions {
        max_body: args.max_body,
        timeout: Duration::from_millis(args.timeout_ms),
        allowed_origins: args.allow_origin,
        // A secret does not belong on a command line: it comes from the environment.
        token: std::env::var(SERVE_TOKEN_VAR)
            .ok()
            .filter(|t| !t.is_empty()),
        max_headers: args.max_headers,
        header_timeout: Duration::from_millis(args.header_timeout_ms),
        body_timeout: Duration::from_millis(args.body_timeout_ms),
        max_in_flight: args.max_in_flight,
        shutdown_timeout: Duration::from_millis(args.shutdown_timeout_ms),
    };
    options.check().map_err(Failure::usage)?;
    let upstream = match (&args.app, args.echo) {
        (_, true) => None,
        (Some(url), false) => Some(Upstream::new(url).map_err(Failure::usage)?),
        (None, false) => {
            return Err(Failure::usage(
                "no app: set APP=http://127.0.0.1:PORT or pass --app URL, or --echo for the built-in echo app",
            ))
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
            Failure::usage(format!("cannot listen on {address}: {}", io_reason(&e)))
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::event(e.to_string()))?;
        // The first line says where: with --listen 127.0.0.1:0 the port is chosen here.
        print(&format!("listening on {bound}\n"))?;
        let shutdown = super::lambda::shutdown_signal();
        let served = match upstream {
            Some(app) => serve(listener, handler, app, options, shutdown).await,
            None => serve(listener, handler, Echo, options, shutdown).await,
        };
        served.map_err(|e| Failure::event(format!("the server stopped: {e}")))
    })
}
