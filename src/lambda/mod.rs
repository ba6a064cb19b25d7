//! The Lambda front end: the function's lifecycle ([`Lambda`], start.rs), its
//! settings read once (settings.rs), and the one runtime loop that feeds
//! invocations to the [`Handler`](crate::Handler) and renders each outcome, buffered or
//! streamed, to the runtime API.

use crate::app::SendApp;

mod error;
mod extension;
mod http_app;
mod init;
pub(crate) mod invoke;
mod lwa;
mod runtime_api;
mod serving;
mod settings;
mod start;
mod stream;
mod timing;
mod workers;

pub use error::{InitError, LambdaError};
pub use extension::SHUTDOWN_LIMIT;
pub use init::DEFAULT_ASYNC_INIT_TIMEOUT;
pub use invoke::MAX_REPLY_BYTES;
pub use lwa::{LwaSetting, LWA_SETTINGS};
pub use runtime_api::{RuntimeApiError, INIT_ERROR_WAIT};
pub use serving::shutdown_signal;
pub use settings::in_lambda;
pub use settings::{InvokeMode, LambdaSettings, SettingsError};
pub use start::Lambda;

pub use serving::TraceEnv;
pub use timing::{Timing, DEFAULT_DEADLINE_MARGIN};

pub use crate::invocation::{ClientApplication, ClientContext, CognitoIdentity};

/// Serves Lambda invocations with `app`, configured from the environment:
/// the shorthand for [`Lambda::from_env`] then [`Lambda::run`], with the
/// whole lifecycle the `ceh` binary has (a failed start reported, SIGTERM at
/// shutdown, the invocation in flight finished).
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
    Ok(Lambda::from_env()?.run(app).await?)
}
