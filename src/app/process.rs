//! An app that `ceh` starts itself (`ceh lambda -- python app.py`), and its readiness check.

use std::ffi::OsString;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request};
use http_body_util::Full;
use tokio::process::{Child, Command};
use tower::ServiceExt;

use super::Upstream;

/// The setting for the path probed until the app answers.
pub const READINESS_PATH_VAR: &str = "CEH_READINESS_PATH";
/// The setting for how long the app may take to become ready, in milliseconds.
pub const READINESS_TIMEOUT_VAR: &str = "CEH_READINESS_TIMEOUT_MS";
/// Default readiness path.
pub const DEFAULT_READINESS_PATH: &str = "/";
/// Default readiness timeout: well inside Lambda's 10 s init phase.
pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_millis(9_000);

/// The app's process, stopped when this value is dropped.
#[derive(Debug)]
pub struct AppProcess {
    child: Child,
    program: String,
}

/// Why the app could not be started or did not become ready.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProcessError {
    /// No command was given.
    #[error("no app command was given; write it after `--`, e.g. ceh lambda -- python app.py")]
    NoCommand,
    /// The program could not be started.
    #[error("cannot start the app `{program}`: {reason}")]
    Spawn {
        /// The program.
        program: String,
        /// Why not.
        reason: String,
    },
    /// The program exited before it answered.
    #[error("the app `{program}` exited ({status}) before it answered on {url}")]
    Exited {
        /// The program.
        program: String,
        /// Its exit status.
        status: String,
        /// The readiness URL.
        url: String,
    },
    /// The program did not answer in time.
    #[error("the app `{program}` did not answer on {url} within {} ms; check APP and the app's port, or raise CEH_READINESS_TIMEOUT_MS", timeout.as_millis())]
    NotReady {
        /// The program.
        program: String,
        /// The readiness URL.
        url: String,
        /// The time it had.
        timeout: Duration,
    },
}

impl AppProcess {
    /// Starts `command` (program and arguments); its output goes to ours.
    pub fn spawn(command: &[OsString]) -> Result<Self, ProcessError> {
        let (program, args) = command.split_first().ok_or(ProcessError::NoCommand)?;
        let name = program.to_string_lossy().into_owned();
        let child = Command::new(program)
            .args(args)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| ProcessError::Spawn {
                program: name.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            child,
            program: name,
        })
    }

    /// Probes `GET <path>` on the app until it answers with a status below 500,
    /// the process exits, or `timeout` passes.
    pub async fn wait_ready(
        &mut self,
        app: &Upstream,
        path: &str,
        timeout: Duration,
    ) -> Result<(), ProcessError> {
        let url = format!("{}{}", app.base().to_string().trim_end_matches('/'), path);
        let started = tokio::time::Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ProcessError::Exited {
                    program: self.program.clone(),
                    status: status.to_string(),
                    url,
                });
            }
            let probe = Request::builder()
                .method(Method::GET)
                .uri(path)
                .body(Full::new(Bytes::new()));
            if let Ok(probe) = probe {
                let answer =
                    tokio::time::timeout(Duration::from_secs(1), app.clone().oneshot(probe)).await;
                if let Ok(Ok(response)) = answer {
                    if response.status().as_u16() < 500 {
                        return Ok(());
                    }
                }
            }
            if started.elapsed() >= timeout {
                return Err(ProcessError::NotReady {
                    program: self.program.clone(),
                    url,
                    timeout,
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops the app: SIGTERM, and SIGKILL if it is still running after `grace`;
    /// then waits for it, so no zombie is left.
    pub async fn stop(mut self, grace: Duration) {
        if let Some(pid) = self.child.id() {
            // std has no SIGTERM and this crate forbids unsafe code: ask kill(1).
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
            if tokio::time::timeout(grace, self.child.wait()).await.is_ok() {
                return;
            }
        }
        let _ = self.child.kill().await;
    }
}
