//! Why a Lambda function could not start, or stopped serving.

use crate::ErrorKind;

/// Why a function could not start: said, then reported to the runtime API
/// as its [`kind`](InitError::kind)'s `errorType`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InitError {
    kind: ErrorKind,
    message: String,
}

impl InitError {
    /// A configuration, a setting or an app URL is wrong.
    pub(super) fn config(message: impl std::fmt::Display) -> Self {
        let message = message.to_string();
        Self {
            kind: ErrorKind::InvalidConfig,
            message,
        }
    }

    /// Anything else: the app could not be started or never became ready.
    pub(super) fn failed(message: impl std::fmt::Display) -> Self {
        let message = message.to_string();
        Self {
            kind: ErrorKind::InitFailed,
            message,
        }
    }

    /// [`ErrorKind::InvalidConfig`] or [`ErrorKind::InitFailed`].
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

/// Why a Lambda function stopped serving; Lambda starts a new execution
/// environment when the runtime exits.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LambdaError {
    /// The platform's settings are missing or malformed: there is no runtime
    /// API to report to.
    #[error("{0}")]
    NotInLambda(String),
    /// The start failed, and was reported to the runtime API.
    #[error(transparent)]
    Init(#[from] InitError),
    /// The runtime loop stopped.
    #[error("the Lambda runtime loop stopped: {0}")]
    Runtime(lambda_runtime::Error),
    /// The app ceh started exited after it was ready.
    #[error("the app `{program}` exited ({status}) after it was ready; ceh stops so that Lambda starts a new execution environment")]
    AppExited {
        /// The app's program.
        program: String,
        /// How it exited.
        status: String,
    },
}

impl LambdaError {
    /// Whether a setting or the configuration is at fault (the `ceh` binary exits 2), not the app.
    pub fn is_config(&self) -> bool {
        match self {
            LambdaError::NotInLambda(_) => true,
            LambdaError::Init(init) => init.kind == ErrorKind::InvalidConfig,
            _ => false,
        }
    }
}
