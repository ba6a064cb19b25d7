//! `ceh lambda` (and `ceh` as a Lambda bootstrap): the arguments, then
//! [`Lambda`], which owns the function's lifecycle.

use std::ffi::OsString;
use std::sync::{Arc, Mutex};

#[cfg(feature = "cli")]
use clap::Args;
use cloud_events_handler::lambda::{Lambda, LambdaError, TraceEnv};
use cloud_events_handler::vars::APP_VAR;
use cloud_events_handler::Echo;

use super::failure::Failure;
use super::input::ConfigArg;

#[derive(Default)]
#[cfg_attr(feature = "cli", derive(Args))]
pub(super) struct LambdaArgs {
    #[cfg_attr(feature = "cli", command(flatten))]
    config: ConfigArg,
    /// The app's base URL [default with a COMMAND: http://127.0.0.1:8080].
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "URL", env = APP_VAR, conflicts_with = "echo")
    )]
    app: Option<String>,
    /// Answer with the built-in echo app instead of an app of your own.
    #[cfg_attr(feature = "cli", arg(long))]
    echo: bool,
    /// The app to start and stop with ceh, e.g. -- python app.py
    #[cfg_attr(feature = "cli", arg(last = true, value_name = "COMMAND"))]
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

    /// `ceh lambda -- COMMAND` as the lean build reads it: the command given,
    /// everything else from the environment, as with no arguments.
    #[cfg(any(not(feature = "cli"), test))]
    pub(super) fn with_command(command: Vec<OsString>) -> Self {
        Self {
            command,
            ..Self::from_env()
        }
    }
}

/// Serves invocations with the lifecycle [`Lambda`] gives every function.
///
/// The app is another process, or the echo app, and nothing in `ceh` reads
/// `_X_AMZN_TRACE_ID`: the app gets the trace id as a header, so the variable
/// is skipped and memory stays flat (see [`TraceEnv`]). A failed
/// start is said on stderr before it is reported, as the one line `ceh`
/// says when it fails.
pub(super) fn run(args: LambdaArgs) -> Result<(), Failure> {
    let LambdaArgs {
        config,
        app,
        echo,
        command,
    } = args;
    // Without the runtime API's settings there is nothing to report a failure to.
    let function = Lambda::from_env().map_err(Failure::usage)?;
    let said: Arc<Mutex<Option<Failure>>> = Arc::default();
    let slot = said.clone();
    let function = function
        .trace_env(TraceEnv::Skip)
        .config_loader(move || config.load().map_err(|failure| failure.message))
        .on_init_error(move |err| {
            let failure = failure(&LambdaError::Init(err.clone())).say();
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(failure);
            }
        });
    let runtime = function
        .runtime()
        .map_err(|e| Failure::event(format!("cannot start the async runtime: {e}")))?;
    let outcome = runtime.block_on(async move {
        if echo {
            function.run(Echo).await
        } else {
            function.run_http(app, command).await
        }
    });
    outcome.map_err(|err| {
        let said = said.lock().ok().and_then(|mut slot| slot.take());
        said.unwrap_or_else(|| failure(&err))
    })
}

/// Exit 2 for a configuration or a setting at fault, 1 otherwise.
fn failure(err: &LambdaError) -> Failure {
    if err.is_config() {
        Failure::usage(err)
    } else {
        Failure::event(err)
    }
}

/// Resolves on SIGTERM or SIGINT.
#[cfg(feature = "cli")]
pub(super) use cloud_events_handler::lambda::shutdown_signal;
