//! `ceh lambda` (and `ceh` as a Lambda bootstrap): serve invocations, optionally starting the app.

use std::ffi::OsString;
use std::time::Duration;

use crate::app::{
    AppProcess, SendApp, Upstream, DEFAULT_READINESS_PATH, DEFAULT_READINESS_TIMEOUT,
};
use crate::vars::{
    APP_VAR, LWA_PORT_VAR, LWA_READINESS_CHECK_PATH_VAR, LWA_REMOVE_BASE_PATH_VAR,
    READINESS_PATH_VAR, READINESS_TIMEOUT_VAR, RUNTIME_API_VAR,
};
use crate::{lambda, Echo, Handler};
use clap::Args;

use super::failure::{Failure, USAGE};
use super::input::ConfigArg;

/// The app's address when `ceh` starts the app and `APP` is unset.
const DEFAULT_APP: &str = "http://127.0.0.1:8080";

/// How long the app ceh started has to exit after SIGTERM when ceh stops:
/// inside the 500 ms Lambda leaves a runtime at shutdown
/// ([`lambda::SHUTDOWN_LIMIT`]), with 100 ms left for ceh to exit itself.
const APP_STOP_GRACE: Duration = Duration::from_millis(400);

#[derive(Args, Default)]
pub(super) struct LambdaArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// The app's base URL [default with a COMMAND: http://127.0.0.1:8080].
    #[arg(long, value_name = "URL", env = APP_VAR, conflicts_with = "echo")]
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
            app: std::env::var(APP_VAR).ok().filter(|a| !a.is_empty()),
            ..Self::default()
        }
    }
}

pub(super) fn run(mut args: LambdaArgs) -> Result<(), Failure> {
    // The rule table compiles on a thread of its own while the async runtime
    // starts and the app answers its readiness check, so cold start pays for
    // the longer of the two, not their sum.
    let config = std::mem::take(&mut args.config);
    let (loaded, loading) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("ceh-config".into())
        .spawn(move || loaded.send(config.load().and_then(lwa_base_path).map(Handler::new)))
        .map_err(|e| {
            Failure::event(format!(
                "cannot start a thread to load the configuration: {e}"
            ))
        })?;
    // Without the runtime API's settings there is nothing to report a failure to.
    lambda::check_runtime_env().map_err(Failure::usage)?;
    let runtime = lambda::runtime(lambda::max_concurrency())
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async move {
        match start(args, loading).await {
            Ok((handler, timing, app)) => serve_until_stopped(handler, timing, app).await,
            Err(failure) => Err(init_failed(failure).await),
        }
    })
}

/// What ceh sends the invocations to, once it is ready.
enum Started {
    /// The built-in echo app.
    Echo,
    /// An app over HTTP.
    Upstream(Box<StartedApp>),
}

/// An app over HTTP as the Init phase leaves it.
struct StartedApp {
    app: Upstream,
    /// The process ceh started for it, if it did.
    process: Option<AppProcess>,
    /// With async init, the readiness path the app has not answered yet.
    pending: Option<String>,
}

/// Everything that must be ready before the first invocation: the
/// configuration, the timing, the app, and ceh's registration as an
/// extension, so that Lambda sends SIGTERM at shutdown.
async fn start(
    args: LambdaArgs,
    loading: tokio::sync::oneshot::Receiver<Result<Handler, Failure>>,
) -> Result<(Handler, lambda::Timing, Started), Failure> {
    let started = start_app(args, loading).await?;
    // During the Init phase, before the first `…/invocation/next`, as Lambda
    // asks; once the rest is ready, so that a start that fails registers
    // nothing. On Lambda it is one round trip on loopback.
    let api = std::env::var(RUNTIME_API_VAR).unwrap_or_default();
    if let Err(err) = lambda::register_extension(&api).await {
        tracing::warn!("{err}; ceh serves on without it");
    }
    Ok(started)
}

/// The configuration, the timing and the app, ready (or, with async init,
/// started and left to become ready).
async fn start_app(
    args: LambdaArgs,
    loading: tokio::sync::oneshot::Receiver<Result<Handler, Failure>>,
) -> Result<(Handler, lambda::Timing, Started), Failure> {
    let timing = lambda::Timing::from_env().map_err(Failure::usage)?;
    let async_init = lambda::async_init_from_env().map_err(Failure::usage)?;
    let handler = async {
        loading.await.map_err(|_| {
            Failure::event("loading the configuration stopped unexpectedly; run `ceh rules list` with the same CEH_CONFIG to see why")
        })?
    };
    if args.echo {
        return Ok((handler.await?, timing, Started::Echo));
    }
    let lwa_port = std::env::var(LWA_PORT_VAR)
        .ok()
        .filter(|p| !p.trim().is_empty());
    let url = match (&args.app, lwa_port, args.command.is_empty()) {
        (Some(url), _, _) => url.clone(),
        // Lambda Web Adapter's setting, for an app that already reads it.
        (None, Some(port), _) => format!("http://127.0.0.1:{}", port.trim()),
        (None, None, false) => DEFAULT_APP.to_owned(),
        (None, None, true) => {
            return Err(Failure::usage(
                "no app: set APP=http://127.0.0.1:PORT, start one with `ceh lambda -- COMMAND`, or pass --echo",
            ))
        }
    };
    let mut app = Upstream::new(&url).map_err(Failure::usage)?;
    if let Some(idle) = crate::app::pool_idle_timeout_from_env().map_err(Failure::usage)? {
        app = app.pool_idle_timeout(idle);
    }
    let readiness_path = std::env::var(READINESS_PATH_VAR)
        .or_else(|_| std::env::var(LWA_READINESS_CHECK_PATH_VAR))
        .ok();
    // With async init the wait ends with the Init phase's budget, not in failure.
    let timeout = match async_init {
        Some(_) => Duration::MAX,
        None => readiness_timeout()?,
    };
    let budget = async_init.unwrap_or(Duration::MAX);
    if args.command.is_empty() {
        // An app started by something else is waited for only when asked to.
        let ready = async {
            match &readiness_path {
                Some(path) => lambda::ready_within(budget, app.wait_ready(path, timeout), path)
                    .await
                    .map_err(Failure::event),
                None => Ok(None),
            }
        };
        let (handler, pending) = tokio::try_join!(handler, ready)?;
        let started = StartedApp {
            app,
            process: None,
            pending,
        };
        return Ok((handler, timing, Started::Upstream(Box::new(started))));
    }
    let mut process = AppProcess::spawn(&args.command).map_err(Failure::usage)?;
    let path = readiness_path.unwrap_or_else(|| DEFAULT_READINESS_PATH.to_owned());
    let ready = async {
        lambda::ready_within(budget, process.wait_ready(&app, &path, timeout), &path)
            .await
            .map_err(Failure::event)
    };
    match tokio::try_join!(handler, ready) {
        Ok((handler, pending)) => {
            let started = StartedApp {
                app,
                process: Some(process),
                pending,
            };
            Ok((handler, timing, Started::Upstream(Box::new(started))))
        }
        Err(failure) => {
            process.stop(Duration::from_secs(1)).await;
            Err(failure)
        }
    }
}

/// Says why the start failed, then reports it to the runtime API, so Lambda
/// says why the function could not start. The line comes first: the report
/// may wait ([`lambda::INIT_ERROR_WAIT`] at most) on a runtime API that never
/// answers it, as some emulators do not.
async fn init_failed(failure: Failure) -> Failure {
    let failure = failure.say();
    let error_type = match failure.code {
        USAGE => crate::ErrorKind::InvalidConfig,
        _ => crate::ErrorKind::InitFailed,
    }
    .error_type();
    if let Err(err) = lambda::report_init_error(error_type, &failure.message).await {
        tracing::debug!("{err}");
    }
    failure
}

/// Serves invocations until the loop ends, SIGTERM or SIGINT arrives (the
/// invocation in flight finishes first), or the app ceh started exits, then
/// stops that app.
///
/// The app is another process, or the echo app, and nothing in `ceh` reads
/// `_X_AMZN_TRACE_ID`: the app gets the trace id as a header, so the variable
/// is skipped and memory stays flat (see [`lambda::TraceEnv`]).
async fn serve_until_stopped(
    handler: Handler,
    timing: lambda::Timing,
    app: Started,
) -> Result<(), Failure> {
    let StartedApp {
        app,
        mut process,
        pending,
    } = match app {
        Started::Echo => return serve_loop(handler, Echo, timing, shutdown_signal()).await,
        Started::Upstream(started) => *started,
    };
    // The app's exit stops the loop as SIGTERM does: the invocation in flight
    // finishes (its request to the dead app fails, and Lambda hears of it
    // through /error), no other is taken, and ceh stops so that Lambda starts
    // a new execution environment.
    let mut exit: Option<(String, String)> = None;
    let stop = async {
        let exited = async {
            match process.as_mut() {
                Some(process) => (process.program().to_owned(), process.exited().await),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = shutdown_signal() => {}
            gone = exited => exit = Some(gone),
        }
    };
    let outcome = match pending {
        Some(path) => {
            let app = lambda::WhenReady::probing(app, path);
            serve_loop(handler, app, timing, stop).await
        }
        None => serve_loop(handler, app, timing, stop).await,
    };
    if let Some(process) = process {
        process.stop(APP_STOP_GRACE).await;
    }
    match exit {
        Some((program, status)) => Err(Failure::event(format!(
            "the app `{program}` exited ({status}) after it was ready; ceh stops so that Lambda starts a new execution environment"
        ))),
        None => outcome,
    }
}

/// The runtime loop, until it fails or `stop` resolves (SIGTERM, SIGINT, the app's exit).
async fn serve_loop(
    handler: Handler,
    app: impl SendApp,
    timing: lambda::Timing,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), Failure> {
    lambda::serve_until(handler, app, timing, lambda::TraceEnv::Skip, stop)
        .await
        .map_err(|e| Failure::event(format!("the Lambda runtime loop stopped: {e}")))
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

/// `AWS_LWA_REMOVE_BASE_PATH` as `[http] base_path`, when the configuration sets none.
fn lwa_base_path(config: crate::Config) -> Result<crate::Config, Failure> {
    match std::env::var(LWA_REMOVE_BASE_PATH_VAR) {
        Ok(path) if config.http().base_path().is_none() && !path.trim().is_empty() => {
            let http = config
                .http()
                .clone()
                .with_base_path(path.trim())
                .map_err(|e| Failure::usage(format!("{LWA_REMOVE_BASE_PATH_VAR}={path:?}: {e}")))?;
            Ok(config.with_http(http))
        }
        _ => Ok(config),
    }
}
