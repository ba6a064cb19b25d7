//! `ceh functions`: an Azure Functions custom handler, sending invocations to APP.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::Upstream;
use crate::functions::{listen_address, serve, FunctionApp};
use crate::serve::ServeOptions;
use crate::vars::APP_VAR;
use crate::{Echo, Handler};
use clap::Args;

use super::failure::Failure;
use super::input::{io_reason, print, ConfigArg};

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
    /// The app's base URL.
    #[arg(long, value_name = "URL", env = APP_VAR, conflicts_with = "echo")]
    app: Option<String>,
    /// Answer with the built-in echo app instead of an app of your own.
    #[arg(long)]
    echo: bool,
    /// The largest invocation payload accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = crate::DEFAULT_MAX_EVENT_BYTES)]
    max_body: usize,
    /// The longest the app may take for one invocation, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 300_000)]
    timeout_ms: u64,
}

pub(super) fn run(args: FunctionsArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    let address = listen_address(args.port).map_err(Failure::usage)?;
    let functions = FunctionApp::load(&args.root).map_err(|e| Failure::usage(e.to_string()))?;
    let options = ServeOptions {
        max_body: args.max_body,
        timeout: Duration::from_millis(args.timeout_ms),
        allowed_origins: Vec::new(),
        token: None,
        ..ServeOptions::default()
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
        // The first line says where: with --port 0 the port is chosen here.
        print(&format!("listening on {bound}\n"))?;
        let shutdown = super::lambda::shutdown_signal();
        let served = match upstream {
            Some(app) => serve(listener, handler, app, functions, options, shutdown).await,
            None => serve(listener, handler, Echo, functions, options, shutdown).await,
        };
        served.map_err(|e| Failure::event(format!("the server stopped: {e}")))
    })
}
