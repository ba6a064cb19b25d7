//! `ceh serve`: events over HTTP, through the same rules, to the app.

use std::time::Duration;

use crate::serve::{listen_address, serve, ServeOptions};
use crate::vars::SERVE_TOKEN_VAR;
use crate::{Echo, Handler};
use clap::Args;

use super::failure::Failure;
use super::input::ConfigArg;
use super::listening::{run_listening, AppArg};

#[derive(Args)]
pub(super) struct ServeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Address to listen on [default: 0.0.0.0:$PORT when PORT is set, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    #[command(flatten)]
    app: AppArg,
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
    let upstream = args.app.upstream()?;
    run_listening(address, |listener| async move {
        let shutdown = super::lambda::shutdown_signal();
        match upstream {
            Some(app) => serve(listener, handler, app, options, shutdown).await,
            None => serve(listener, handler, Echo, options, shutdown).await,
        }
    })
}
