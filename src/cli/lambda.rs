//! `ceh lambda` (and `ceh` as a Lambda bootstrap): serve invocations, optionally starting the app.

use std::ffi::OsString;
use std::time::Duration;

use clap::Args;
use cloud_events_handler::app::{
    AppProcess, Upstream, DEFAULT_READINESS_PATH, DEFAULT_READINESS_TIMEOUT, READINESS_PATH_VAR,
    READINESS_TIMEOUT_VAR,
};
use cloud_events_handler::{lambda, Echo, Handler};

use super::{ConfigArg, Failure};

/// The app's address when `ceh` starts the app and `APP` is unset.
const DEFAULT_APP: &str = "http://127.0.0.1:8080";

#[derive(Args, Default)]
pub(super) struct LambdaArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The app's base URL [default with a COMMAND: http://127.0.0.1:8080].
    #[arg(long, value_name = "URL", env = "APP", conflicts_with = "echo")]
    app: Option<String>,
    /// Answer with the built-in echo app instead of an app of your own.
    #[arg(long)]
    echo: bool,
    /// The app to start and stop with ceh, e.g. -- python app.py
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

impl LambdaArgs {
    /// The arguments `ceh` has when run with none, as a Lambda bootstrap.
    pub(super) fn from_env() -> Self {
        Self {
            config: ConfigArg::from_env(),
            app: std::env::var("APP").ok().filter(|a| !a.is_empty()),
            ..Self::default()
        }
    }
}

pub(super) fn run(args: LambdaArgs) -> Result<(), Failure> {
    let handler = Handler::new(args.config.load()?);
    let timing = lambda::Timing::from_env().map_err(Failure::usage)?;
    lambda::check_runtime_env().map_err(Failure::usage)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(serve(handler, args, timing))
}

async fn serve(handler: Handler, args: LambdaArgs, timing: lambda::Timing) -> Result<(), Failure> {
    if args.echo {
        return until_stopped(lambda::serve(handler, Echo, timing), None).await;
    }
    let url = match (&args.app, args.command.is_empty()) {
        (Some(url), _) => url.clone(),
        (None, false) => DEFAULT_APP.to_owned(),
        (None, true) => {
            return Err(Failure::usage(
                "no app: set APP=http://127.0.0.1:PORT, start one with `ceh lambda -- COMMAND`, or pass --echo",
            ))
        }
    };
    let app = Upstream::new(&url).map_err(Failure::usage)?;
    let readiness_path = std::env::var(READINESS_PATH_VAR).ok();
    let process = if args.command.is_empty() {
        // An app started by something else is waited for only when asked to.
        if let Some(path) = readiness_path {
            let timeout = readiness_timeout()?;
            app.wait_ready(&path, timeout)
                .await
                .map_err(Failure::event)?;
        }
        None
    } else {
        let mut process = AppProcess::spawn(&args.command).map_err(Failure::usage)?;
        let path = readiness_path.unwrap_or_else(|| DEFAULT_READINESS_PATH.to_owned());
        let timeout = readiness_timeout()?;
        if let Err(err) = process.wait_ready(&app, &path, timeout).await {
            process.stop(Duration::from_secs(1)).await;
            return Err(Failure::event(err));
        }
        Some(process)
    };
    until_stopped(lambda::serve(handler, app, timing), process).await
}

/// Runs the loop until it ends or SIGTERM/SIGINT arrives, then stops the app.
async fn until_stopped(
    serving: impl std::future::Future<Output = Result<(), lambda_runtime::Error>>,
    process: Option<AppProcess>,
) -> Result<(), Failure> {
    let outcome = tokio::select! {
        outcome = serving => outcome.map_err(|e| Failure::event(format!("the Lambda runtime loop stopped: {e}"))),
        () = shutdown_signal() => Ok(()),
    };
    if let Some(process) = process {
        process.stop(Duration::from_millis(1500)).await;
    }
    outcome
}

/// Resolves on SIGTERM or SIGINT.
pub(super) async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn readiness_timeout() -> Result<Duration, Failure> {
    match std::env::var(READINESS_TIMEOUT_VAR) {
        Ok(ms) => ms
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| {
                Failure::usage(format!(
                    "{READINESS_TIMEOUT_VAR}={ms:?} is not a number of milliseconds"
                ))
            }),
        Err(_) => Ok(DEFAULT_READINESS_TIMEOUT),
    }
}
