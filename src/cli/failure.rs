//! A failed command: its exit code, and the one line said on stderr.

use std::fmt::Display;

use super::logging::CEH;

/// A failed command: the exit code and the one line said on stderr.
pub(super) struct Failure {
    pub(super) code: u8,
    pub(super) message: String,
    /// Whether the line is already on stderr, so that it is not said twice.
    said: bool,
}

/// Exit code for an event (or the app) that could not be handled.
pub(super) const EVENT_FAILED: u8 = 1;
/// Exit code for bad usage or a bad configuration.
pub(super) const USAGE: u8 = 2;

impl Failure {
    pub(super) fn event(message: impl Display) -> Self {
        Self {
            code: EVENT_FAILED,
            message: message.to_string(),
            said: false,
        }
    }

    pub(super) fn usage(message: impl Display) -> Self {
        Self {
            code: USAGE,
            message: message.to_string(),
            said: false,
        }
    }

    /// Says the line now, rather than when the command ends: for a failure
    /// that still has something to do before ceh exits. The line is a
    /// `tracing` event, which the CLI's logging writes `ceh: {message}`.
    pub(super) fn say(mut self) -> Self {
        if !self.said {
            tracing::error!(target: CEH, "ceh: {}", self.message);
            self.said = true;
        }
        self
    }
}
