//! The Lambda front end: the runtime loop that feeds invocations to the [`Handler`].

use bytes::Bytes;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;

use crate::app::SendApp;
use crate::vars::{
    CONFIG_VAR, FUNCTION_NAME_VAR, FUNCTION_VERSION_VAR, MAX_CONCURRENCY_VAR, MEMORY_SIZE_VAR,
    RUNTIME_API_VAR,
};
use crate::{Config, Handler, Invocation};

mod extension;
mod init;
mod invoke;
mod runtime_api;
mod stream;
mod timing;
mod workers;

pub(crate) use extension::register as register_extension;
pub use extension::SHUTDOWN_LIMIT;
pub use init::DEFAULT_ASYNC_INIT_TIMEOUT;
pub(crate) use init::{async_init_from_env, ready_within, WhenReady};
pub use invoke::MAX_REPLY_BYTES;
pub(crate) use runtime_api::report_init_error;
pub use runtime_api::{RuntimeApiError, INIT_ERROR_WAIT};

use invoke::{invoke, serialize_reply};
pub use timing::{Timing, DEFAULT_DEADLINE_MARGIN};

/// Serves Lambda invocations with `app`, configured from the environment
/// (`CEH_CONFIG`, `CEH_DEADLINE_MARGIN_MS`).
///
/// This is the one call a Rust function needs: any `tower::Service` from an
/// HTTP request to an HTTP response works ([`SendApp`]), an axum `Router`
/// among them.
///
/// ```no_run
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// // With the built-in echo app; a real function passes its own service.
/// cloud_events_handler::lambda::run(cloud_events_handler::Echo).await
/// # }
/// ```
///
/// When `AWS_LAMBDA_MAX_CONCURRENCY` is above 1, that many invocations are
/// served at once (Lambda Managed Instances); otherwise one at a time.
pub async fn run<S: SendApp>(app: S) -> Result<(), lambda_runtime::Error> {
    let handler = Handler::new(Config::load_or_default(std::env::var_os(CONFIG_VAR))?);
    serve(handler, app, Timing::from_env()?).await
}

/// Serves Lambda invocations with an explicit handler and timing, setting
/// `_X_AMZN_TRACE_ID` for code in this process ([`TraceEnv::Set`]).
///
/// ```no_run
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{self, Timing};
/// use cloud_events_handler::{Config, Echo, Handler};
///
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\nreject = true\n")?);
/// let timing = Timing { app_timeout: Some(Duration::from_secs(10)), ..Timing::default() };
/// lambda::serve(handler, Echo, timing).await
/// # }
/// ```
pub async fn serve<S: SendApp>(
    handler: Handler,
    app: S,
    timing: Timing,
) -> Result<(), lambda_runtime::Error> {
    serve_with(handler, app, timing, TraceEnv::Set).await
}

/// Whether the runtime loop puts each invocation's X-Ray trace id in this
/// process's environment, as `_X_AMZN_TRACE_ID`.
///
/// AWS's custom-runtime contract asks for the variable, for code in the same
/// process: the AWS SDK for Rust carries the trace on from it. It has a cost
/// under glibc, whose `setenv` keeps every distinct value it is given, so a
/// function that sets it grows by about 175 bytes an invocation, a million
/// invocations in one execution environment by about 170 MiB. An app in
/// another process cannot see the variable anyway (it gets the trace id as
/// the `x-amzn-trace-id` header), which is why the `ceh` binary skips it.
///
/// ```
/// use cloud_events_handler::lambda::TraceEnv;
///
/// assert_eq!(TraceEnv::default(), TraceEnv::Set);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceEnv {
    /// Set the variable for every invocation, as lambda_runtime does when it
    /// serves one invocation at a time.
    #[default]
    Set,
    /// Leave the environment alone: invocations are served by ceh's own loop
    /// over the runtime API, and memory stays flat. With
    /// `AWS_LAMBDA_MAX_CONCURRENCY` above 1 the variable is never set, whichever
    /// is chosen, since concurrent invocations cannot share one environment.
    Skip,
}

/// Serves Lambda invocations, choosing whether `_X_AMZN_TRACE_ID` is set.
///
/// ```no_run
/// use cloud_events_handler::lambda::{self, Timing, TraceEnv};
/// use cloud_events_handler::{Config, Echo, Handler, CONFIG_VAR};
///
/// # async fn example() -> Result<(), lambda_runtime::Error> {
/// // Nothing in this process reads the variable: don't pay for it.
/// let handler = Handler::new(Config::load_or_default(std::env::var_os(CONFIG_VAR))?);
/// lambda::serve_with(handler, Echo, Timing::default(), TraceEnv::Skip).await
/// # }
/// ```
pub async fn serve_with<S: SendApp>(
    handler: Handler,
    app: S,
    timing: Timing,
    trace_env: TraceEnv,
) -> Result<(), lambda_runtime::Error> {
    serve_until(handler, app, timing, trace_env, std::future::pending()).await
}

/// Like [`serve_with`], until `stop` resolves (SIGTERM): the invocation in
/// flight then finishes within its deadline, and no other is taken. ceh's own
/// loop serves unless SnapStart's hooks need lambda_runtime's, also when
/// several invocations are served at once, so a payload that is not JSON is
/// `Ceh.InvalidEvent` however many there are.
pub(crate) async fn serve_until<S: SendApp>(
    handler: Handler,
    app: S,
    timing: Timing,
    trace_env: TraceEnv,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), lambda_runtime::Error> {
    check_runtime_env()?;
    let workers = max_concurrency();
    if (trace_env == TraceEnv::Skip || workers > 1) && !runtime_api::snap_start() {
        return Ok(workers::serve(handler, app, timing, workers, stop).await?);
    }
    let service = service_fn(move |event: LambdaEvent<Box<RawValue>>| {
        let handler = handler.clone();
        let app = app.clone();
        async move {
            let LambdaEvent { payload, context } = event;
            // The payload's own allocation becomes the event's bytes: no copy.
            let payload = Bytes::from(Box::<str>::from(payload).into_boxed_bytes());
            let invocation = Invocation {
                request_id: Some(context.request_id).filter(|s| !s.is_empty()),
                deadline: timing.deadline(context.deadline),
                function_arn: Some(context.invoked_function_arn).filter(|s| !s.is_empty()),
                trace_id: context.xray_trace_id,
                function_name: None,
                max_answer_bytes: None,
            };
            let reply = invoke(&handler, app, payload, &invocation).await?;
            serialize_reply(&reply)?;
            Ok::<_, Diagnostic>(reply)
        }
    });
    tokio::select! {
        served = lambda_runtime::run_concurrent(service) => served,
        () = stop => Ok(()),
    }
}

/// The settings the Lambda runtime sets for every function, which the runtime loop needs.
pub(crate) const RUNTIME_VARS: [&str; 4] = [
    RUNTIME_API_VAR,
    FUNCTION_NAME_VAR,
    MEMORY_SIZE_VAR,
    FUNCTION_VERSION_VAR,
];

/// Fails, naming them, when settings the runtime loop needs are missing or
/// malformed (lambda_runtime would panic on them).
pub(crate) fn check_runtime_env() -> Result<(), lambda_runtime::Error> {
    let missing: Vec<&str> = RUNTIME_VARS
        .into_iter()
        .filter(|var| std::env::var(var).map_or(true, |v| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "not inside a Lambda runtime: {} unset; run as the function's bootstrap, or use `ceh invoke` locally",
            missing.join(", ")
        )
        .into());
    }
    runtime_api::endpoint(&std::env::var(RUNTIME_API_VAR).unwrap_or_default())?;
    let memory = std::env::var(MEMORY_SIZE_VAR).unwrap_or_default();
    if memory.parse::<i32>().is_err() {
        return Err(format!(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE={memory:?} is not a number of megabytes"
        )
        .into());
    }
    Ok(())
}

/// How many invocations this execution environment serves at once:
/// `AWS_LAMBDA_MAX_CONCURRENCY` (set by Lambda Managed Instances), read as
/// lambda_runtime reads it, and 1 when it is unset, zero or not a number.
pub(crate) fn max_concurrency() -> u32 {
    std::env::var(MAX_CONCURRENCY_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u32>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1)
}

/// The async runtime for a Lambda function that serves `concurrency`
/// invocations at once: one thread when it is 1, Lambda's default, so an
/// invocation, its app request and the reply never wait for a wake-up
/// from another thread; a worker per core otherwise.
pub(crate) fn runtime(concurrency: u32) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = if concurrency > 1 {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    builder.enable_all().build()
}

/// Whether this process runs as a Lambda runtime (the runtime API is set).
pub(crate) fn in_lambda() -> bool {
    std::env::var_os(RUNTIME_API_VAR).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_invocation_runs_on_one_thread() -> Result<(), std::io::Error> {
        let sequential = runtime(1)?;
        assert_eq!(sequential.metrics().num_workers(), 1);
        assert_eq!(sequential.block_on(async { 6 * 7 }), 42);
        Ok(())
    }

    /// The settings are the process's: one test reads and writes them all, in turn.
    #[test]
    fn the_runtime_settings_are_read_and_checked() {
        assert!(RUNTIME_VARS.contains(&"AWS_LAMBDA_RUNTIME_API"));

        for var in RUNTIME_VARS {
            std::env::remove_var(var);
        }
        let err = check_runtime_env().unwrap_err();
        assert!(err.to_string().starts_with(
            "not inside a Lambda runtime: AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME"
        ));
        for (var, value) in
            RUNTIME_VARS
                .into_iter()
                .zip(["127.0.0.1:9001", "orders", "128", "$LATEST"])
        {
            std::env::set_var(var, value);
        }
        assert!(check_runtime_env().is_ok());

        std::env::remove_var("AWS_LAMBDA_MAX_CONCURRENCY");
        assert_eq!(max_concurrency(), 1);
        std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "8");
        assert_eq!(max_concurrency(), 8);
        std::env::set_var("AWS_LAMBDA_MAX_CONCURRENCY", "many");
        assert_eq!(max_concurrency(), 1);

        std::env::remove_var("AWS_LAMBDA_RUNTIME_API");
        assert!(!in_lambda());
        std::env::set_var("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9001");
        assert!(in_lambda());
    }
}
