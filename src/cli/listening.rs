//! What the two listening front ends, `ceh serve` and `ceh functions`, share:
//! the app they send to, and the runtime, socket and first line they start with.

use std::future::Future;
use std::net::SocketAddr;

use clap::Args;
use tokio::net::TcpListener;

use super::failure::Failure;
use super::input::{io_reason, print};
use cloud_events_handler::app::Upstream;
use cloud_events_handler::vars::APP_VAR;

/// `--app URL` (or `APP`), or `--echo`.
#[derive(Args)]
pub(super) struct AppArg {
    /// The app's base URL.
    #[arg(long, value_name = "URL", env = APP_VAR, conflicts_with = "echo")]
    app: Option<String>,
    /// Answer with the built-in echo app instead of an app of your own.
    #[arg(long)]
    echo: bool,
}

impl AppArg {
    /// The app to send to: `None` for the built-in echo app.
    pub(super) fn upstream(&self) -> Result<Option<Upstream>, Failure> {
        match (&self.app, self.echo) {
            (_, true) => Ok(None),
            (Some(url), false) => Upstream::new(url).map(Some).map_err(Failure::usage),
            (None, false) => Err(Failure::usage(
                "no app: set APP=http://127.0.0.1:PORT or pass --app URL, or --echo for the built-in echo app",
            )),
        }
    }
}

/// Listens on `address` on a multi-thread runtime, prints `listening on ADDR`
/// (with port 0, the port chosen here), and serves with `serve` until it stops.
pub(super) fn run_listening<F, S>(address: SocketAddr, serve: S) -> Result<(), Failure>
where
    S: FnOnce(TcpListener) -> F,
    F: Future<Output = std::io::Result<()>>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(address).await.map_err(|e| {
            Failure::usage(format!("cannot listen on {address}: {}", io_reason(&e)))
        })?;
        let bound = listener
            .local_addr()
            .map_err(|e| Failure::event(e.to_string()))?;
        print(&format!("listening on {bound}\n"))?;
        serve(listener)
            .await
            .map_err(|e| Failure::event(format!("the server stopped: {e}")))
    })
}
