//! An app that `ceh` starts itself (`ceh lambda -- python app.py`), and its readiness check.

use std::ffi::OsString;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::upstream::Upstream;

/// Default readiness path.
///
/// ```
/// assert_eq!(cloud_events_handler::app::DEFAULT_READINESS_PATH, "/");
/// ```
pub const DEFAULT_READINESS_PATH: &str = "/";
/// Default readiness timeout: well inside Lambda's 10 s init phase.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::app::DEFAULT_READINESS_TIMEOUT;
///
/// assert_eq!(DEFAULT_READINESS_TIMEOUT, Duration::from_secs(9));
/// assert!(DEFAULT_READINESS_TIMEOUT < Duration::from_secs(10), "Lambda's init phase");
/// ```
pub const DEFAULT_READINESS_TIMEOUT: Duration = Duration::from_millis(9_000);

/// The app's process, stopped when this value is dropped.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::app::{AppProcess, ProcessError, Upstream};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
/// // `true` exits at once, without ever answering on the app's port.
/// let mut process = AppProcess::spawn(&["true".into()])?;
/// let app = Upstream::new("http://127.0.0.1:9")?;
/// let err = process.wait_ready(&app, "/", Duration::from_secs(5)).await.unwrap_err();
/// assert!(matches!(err, ProcessError::Exited { .. }), "{err}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct AppProcess {
    child: Child,
    program: String,
}

/// Why the app could not be started or did not become ready.
///
/// ```
/// use cloud_events_handler::app::{AppProcess, ProcessError};
///
/// let err = AppProcess::spawn(&[]).unwrap_err();
/// assert!(matches!(err, ProcessError::NoCommand));
/// assert_eq!(err.to_string(), "no app command was given; write it after `--`, e.g. ceh lambda -- python app.py");
/// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use cloud_events_handler::app::AppProcess;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let process = AppProcess::spawn(&["sleep".into(), "30".into()])?;
    /// process.stop(Duration::from_secs(1)).await;
    /// let err = AppProcess::spawn(&["no-such-app-ceh".into()]).unwrap_err();
    /// assert!(err.to_string().starts_with("cannot start the app `no-such-app-ceh`: "), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
    ///
    /// ```
    /// use std::time::Duration;
    /// use cloud_events_handler::app::{AppProcess, Upstream};
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// // `sleep` runs, but nothing answers on port 9.
    /// let mut process = AppProcess::spawn(&["sleep".into(), "30".into()])?;
    /// let app = Upstream::new("http://127.0.0.1:9")?;
    /// let err = process.wait_ready(&app, "/health", Duration::from_millis(100)).await.unwrap_err();
    /// assert!(err.to_string().starts_with("the app `sleep` did not answer on http://127.0.0.1:9/health within 100 ms"), "{err}");
    /// process.stop(Duration::from_secs(1)).await;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn wait_ready(
        &mut self,
        app: &Upstream,
        path: &str,
        timeout: Duration,
    ) -> Result<(), ProcessError> {
        // One probing loop (the upstream's), raced against the program's exit;
        // an exit is seen first when both are ready.
        let url = app.url_of(path);
        let program = self.program.clone();
        tokio::select! {
            biased;
            status = self.child.wait() => Err(ProcessError::Exited {
                program,
                status: status.map_or_else(|e| e.to_string(), |s| s.to_string()),
                url,
            }),
            ready = app.wait_ready(path, timeout) => ready.map_err(|_| ProcessError::NotReady {
                program,
                url,
                timeout,
            }),
        }
    }

    /// The program's name, as the command gave it.
    pub fn program(&self) -> &str {
        &self.program
    }

    /// Waits until the app exits by itself, and says how it ended
    /// (`exit status: 3`, `signal: 9 (SIGKILL)`).
    pub async fn exited(&mut self) -> String {
        self.child
            .wait()
            .await
            .map_or_else(|e| e.to_string(), |status| status.to_string())
    }

    /// Stops the app: SIGTERM, and SIGKILL if it is still running after `grace`;
    /// then waits for it, so no zombie is left.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use cloud_events_handler::app::AppProcess;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let process = AppProcess::spawn(&["sleep".into(), "30".into()])?;
    /// let started = Instant::now();
    /// process.stop(Duration::from_secs(5)).await;
    /// assert!(started.elapsed() < Duration::from_secs(5), "SIGTERM was enough");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
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
