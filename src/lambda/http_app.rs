//! An app over HTTP as a Lambda function serves it: reached at its URL or
//! started by ceh, waited for on its readiness path (or, with async init,
//! left to finish starting during the first invocations), and stopped with
//! ceh, whose loop its exit ends.

use std::ffi::OsString;
use std::future::Future;
use std::time::Duration;

use super::error::{InitError, LambdaError};
use super::init::{ready_within, WhenReady};
use super::serving::{serve_until, shutdown_signal, TraceEnv};
use super::settings::{LambdaSettings, Platform};
use crate::app::{AppProcess, Upstream, DEFAULT_READINESS_PATH};
use crate::vars::LWA_READINESS_CHECK_PORT_VAR;
use crate::Handler;

/// The app's host and port when ceh starts the app and no URL is given (Lambda Web Adapter's too).
const DEFAULT_HOST: &str = "127.0.0.1";
const DEFAULT_PORT: &str = "8080";

/// How long the app ceh started has to exit after SIGTERM when ceh stops:
/// inside the 500 ms Lambda leaves a runtime at shutdown
/// ([`super::SHUTDOWN_LIMIT`]), with 100 ms left for ceh to exit itself.
const APP_STOP_GRACE: Duration = Duration::from_millis(400);

/// An app over HTTP as the Init phase leaves it.
pub(super) struct StartedApp {
    handler: Handler,
    settings: LambdaSettings,
    app: Upstream,
    /// Where its readiness is checked: the app, or its readiness port.
    probe: Upstream,
    /// The process ceh started for it, if it did.
    process: Option<AppProcess>,
    /// With async init, the readiness path the app has not answered yet.
    pending: Option<String>,
}

/// The app over HTTP, ready (or, with async init, started and left to become
/// ready), and the configuration.
pub(super) async fn start(
    settings: LambdaSettings,
    handler: impl Future<Output = Result<Handler, InitError>>,
    url: Option<String>,
    command: Vec<OsString>,
) -> Result<StartedApp, InitError> {
    let lwa = settings.app_port.is_some() || settings.app_host.is_some();
    let url = match (url, lwa, command.is_empty()) {
        (Some(url), _, _) => url,
        // Lambda Web Adapter's settings, for an app that already reads them.
        (None, true, _) => format!(
            "http://{}:{}",
            settings.app_host.as_deref().unwrap_or(DEFAULT_HOST),
            settings.app_port.as_deref().unwrap_or(DEFAULT_PORT)
        ),
        (None, false, false) => format!("http://{DEFAULT_HOST}:{DEFAULT_PORT}"),
        (None, false, true) => {
            return Err(InitError::config(
                "no app: set APP=http://127.0.0.1:PORT, start one with `ceh lambda -- COMMAND`, or pass --echo",
            ))
        }
    };
    let mut app = Upstream::new(&url).map_err(InitError::config)?;
    if let Some(idle) = settings.pool_idle_timeout {
        app = app.pool_idle_timeout(idle);
    }
    // With async init the wait ends with the Init phase's budget, not in failure.
    let timeout = match settings.async_init {
        Some(_) => Duration::MAX,
        None => settings.readiness_timeout,
    };
    let mut probe = match &settings.readiness_port {
        Some(port) => readiness_probe(&app, port)?,
        None => app.clone(),
    };
    if let Some(readiness) = settings.readiness.clone() {
        probe = probe.readiness(readiness);
    }
    let budget = settings.async_init.unwrap_or(Duration::MAX);
    let readiness_path = settings.readiness_path.clone();
    if command.is_empty() {
        // An app started by something else is waited for only when asked to.
        let ready = async {
            match &readiness_path {
                Some(path) => ready_within(budget, probe.wait_ready(path, timeout), path)
                    .await
                    .map_err(InitError::failed),
                None => Ok(None),
            }
        };
        let (handler, pending) = tokio::try_join!(handler, ready)?;
        let started = StartedApp {
            handler,
            settings,
            app,
            probe,
            process: None,
            pending,
        };
        return Ok(started);
    }
    let mut process = AppProcess::spawn(&command).map_err(InitError::config)?;
    let path = readiness_path.unwrap_or_else(|| DEFAULT_READINESS_PATH.to_owned());
    let ready = async {
        ready_within(budget, process.wait_ready(&probe, &path, timeout), &path)
            .await
            .map_err(InitError::failed)
    };
    match tokio::try_join!(handler, ready) {
        Ok((handler, pending)) => {
            let started = StartedApp {
                handler,
                settings,
                app,
                probe,
                process: Some(process),
                pending,
            };
            Ok(started)
        }
        Err(failure) => {
            process.stop(Duration::from_secs(1)).await;
            Err(failure)
        }
    }
}

impl StartedApp {
    /// Serves invocations until the loop ends, SIGTERM or SIGINT arrives (the
    /// invocation in flight finishes first), or the app ceh started exits,
    /// then stops that app.
    pub(super) async fn serve(
        self,
        platform: &Platform,
        trace_env: TraceEnv,
    ) -> Result<(), LambdaError> {
        let StartedApp {
            handler,
            settings,
            app,
            probe,
            mut process,
            pending,
        } = self;
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
        // Each loop on the heap: polled in line, the loops' states and their
        // temporaries took the main thread's stack to 168 KiB before the first
        // invocation (108 KiB with the start boxed too, lambda/start.rs).
        let outcome = match pending {
            Some(path) => {
                let app = WhenReady::probing(app, probe, path);
                Box::pin(serve_until(
                    handler, app, platform, &settings, trace_env, stop,
                ))
                .await
            }
            None => {
                Box::pin(serve_until(
                    handler, app, platform, &settings, trace_env, stop,
                ))
                .await
            }
        };
        if let Some(process) = process {
            process.stop(APP_STOP_GRACE).await;
        }
        match exit {
            Some((program, status)) => Err(LambdaError::AppExited { program, status }),
            None => outcome.map_err(LambdaError::Runtime),
        }
    }
}

/// The app's host on `port`, where Lambda Web Adapter's `AWS_LWA_READINESS_CHECK_PORT`
/// says its readiness is checked.
fn readiness_probe(app: &Upstream, port: &str) -> Result<Upstream, InitError> {
    let host = app.base().host().unwrap_or(DEFAULT_HOST);
    Upstream::new(&format!("http://{host}:{port}"))
        .map_err(|e| InitError::config(format!("{LWA_READINESS_CHECK_PORT_VAR}={port:?}: {e}")))
}
