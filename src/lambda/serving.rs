//! The one runtime loop: ceh's own over the runtime API (workers.rs), or
//! lambda_runtime's where the platform needs it (SnapStart's hooks, or
//! `_X_AMZN_TRACE_ID` set for code in this process), and the async runtime
//! it runs on.

use bytes::Bytes;
use lambda_runtime::{service_fn, Diagnostic, LambdaEvent};
use serde_json::value::RawValue;

use super::invoke::{invoke, serialize_reply};
use super::settings::{LambdaSettings, Platform};
use super::workers;
use crate::app::SendApp;
use crate::{Handler, Invocation};

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

/// The invocations, until the loop fails or `stop` resolves (SIGTERM): the
/// invocation in flight then finishes within its deadline, and no other is
/// taken. ceh's own loop serves unless SnapStart's hooks need
/// lambda_runtime's, also when several invocations are served at once, so a
/// payload that is not JSON is `Ceh.InvalidEvent` however many there are.
/// Buffered or streamed is each invocation's render, not another loop.
pub(super) async fn serve_until<S: SendApp>(
    handler: Handler,
    app: S,
    platform: &Platform,
    settings: &LambdaSettings,
    trace_env: TraceEnv,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), lambda_runtime::Error> {
    let workers = platform.max_concurrency;
    let timing = settings.timing;
    if (trace_env == TraceEnv::Skip || workers > 1) && !platform.snap_start {
        let mode = settings.invoke_mode;
        return Ok(workers::serve(handler, app, &platform.api, timing, mode, workers, stop).await?);
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
                delivery_attempt: None,
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

/// Resolves on SIGTERM or SIGINT: how Lambda's shutdown (and a terminal's
/// Ctrl-C) reaches a process that registered for it.
pub async fn shutdown_signal() {
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
}
