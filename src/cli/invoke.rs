//! `ceh invoke`: send one event to the app and print the reply.

use std::path::PathBuf;

use crate::app::Upstream;
use crate::event::DEFAULT_MAX_EVENT_BYTES;
use crate::{Echo, Handler};
use clap::Args;

use super::failure::Failure;
use super::input::{name, print, read_input, ConfigArg};

#[derive(Args)]
pub(super) struct InvokeArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The app's base URL, e.g. http://127.0.0.1:8080 [default: the built-in echo app]
    #[arg(long, value_name = "URL")]
    app: Option<String>,
    /// The event: a JSON file, or - for standard input.
    #[arg(value_name = "FILE")]
    input: PathBuf,
}

pub(super) fn run(args: InvokeArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    let bytes = read_input(&args.input)?;
    let event = handler
        .read_event(bytes.into(), DEFAULT_MAX_EVENT_BYTES)
        .map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    let outcome = match &args.app {
        Some(url) => {
            let app = Upstream::new(url).map_err(Failure::usage)?;
            runtime.block_on(handler.handle(&event, app))
        }
        None => runtime.block_on(handler.handle(&event, Echo)),
    };
    let reply = outcome.map_err(|e| Failure::event(format!("{}: {e}", name(&args.input))))?;
    print(&format!("{:#}\n", reply.into_json()))
}
