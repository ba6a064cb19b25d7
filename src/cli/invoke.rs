//! `ceh invoke`: send one event to the app and print the reply.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use cloud_events_handler::app::Upstream;
use cloud_events_handler::vars::{APP_TIMEOUT_VAR, APP_VAR};
use cloud_events_handler::DEFAULT_MAX_EVENT_BYTES;
use cloud_events_handler::{Echo, Handler, Invocation, Reply};

use super::failure::Failure;
use super::input::{name, print, read_input, ConfigArg};
use super::logging::CEH;

#[derive(Args)]
pub(super) struct InvokeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The app's base URL, e.g. http://127.0.0.1:8080 [default: the built-in echo app]
    #[arg(long, value_name = "URL", env = APP_VAR)]
    app: Option<String>,
    /// The longest the app may take to answer, in milliseconds.
    #[arg(long, value_name = "MS", env = APP_TIMEOUT_VAR, default_value_t = 30_000)]
    timeout_ms: u64,
    /// Send a CloudFormation custom resource's result to the event's ResponseURL
    /// (otherwise it is only printed: nothing leaves this machine but the request to the app).
    #[arg(long)]
    send_response: bool,
    /// The event: a JSON file, or - for standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

pub(super) fn run(args: InvokeArgs) -> Result<(), Failure> {
    // A failure is said once, by the command's own line.
    let handler = Handler::new(args.config.load()?).without_logging_failures();
    let bytes = read_input(&args.input)?;
    let event = handler
        .read_event(bytes.into(), DEFAULT_MAX_EVENT_BYTES)
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    let handler = if args.send_response {
        handler
    } else {
        handler.without_sending_results()
    };
    let invocation = Invocation::default()
        .with_deadline(SystemTime::now() + Duration::from_millis(args.timeout_ms));
    let outcome = match args.app.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => {
            let app = Upstream::new(url).map_err(Failure::usage)?;
            runtime.block_on(handler.handle_invocation(&event, app, &invocation))
        }
        None => runtime.block_on(handler.handle_invocation(&event, Echo, &invocation)),
    };
    let reply = outcome.map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    if matches!(reply, Reply::CloudFormation(_)) && !args.send_response {
        tracing::warn!(target: CEH, "ceh: the result was not sent to the event's ResponseURL; pass --send-response to send it");
    }
    print(&format!("{:#}\n", reply.into_json()))
}
