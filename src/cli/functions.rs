//! `ceh functions`: an Azure Functions custom handler, sending invocations to APP.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use cloud_events_handler::functions::{listen_address, serve, FunctionApp, ServerOptions};
use cloud_events_handler::{Echo, Handler};

use super::failure::Failure;
use super::input::ConfigArg;
use super::listening::{run_listening, AppArg};

#[derive(Args)]
pub(super) struct FunctionsArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Port to listen on, on 127.0.0.1 [default: $FUNCTIONS_CUSTOMHANDLER_PORT, which the Functions host sets].
    #[arg(long, value_name = "PORT")]
    port: Option<u16>,
    /// The function app's root: host.json and one directory per function with its function.json.
    #[arg(long, value_name = "DIR", default_value = ".")]
    root: PathBuf,
    #[command(flatten)]
    app: AppArg,
    /// The largest invocation payload accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = cloud_events_handler::DEFAULT_MAX_EVENT_BYTES)]
    max_body: usize,
    /// The longest the app may take for one invocation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 300_000)]
    timeout_ms: u64,
}

pub(super) fn run(args: FunctionsArgs) -> Result<(), Failure> {
    // A failure is said once, by the front end's own line per refusal.
    let handler = Handler::new(args.config.load()?).without_logging_failures();
    let address = listen_address(args.port).map_err(Failure::usage)?;
    let functions = FunctionApp::load(&args.root).map_err(|e| Failure::usage(e.to_string()))?;
    let options = ServerOptions {
        max_body: args.max_body,
        timeout: Duration::from_millis(args.timeout_ms),
        ..ServerOptions::default()
    };
    options.check().map_err(Failure::usage)?;
    let upstream = args.app.upstream()?;
    run_listening(address, |listener| async move {
        let shutdown = super::lambda::shutdown_signal();
        match upstream {
            Some(app) => serve(listener, handler, app, functions, options, shutdown).await,
            None => serve(listener, handler, Echo, functions, options, shutdown).await,
        }
    })
}
