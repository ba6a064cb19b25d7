//! A failed command: its exit code, and the one line said on stderr.

use std::fmt::Display;

/// A failed command: the exit code and the one line said on stderr.
pub(super) struct Failure {
    pub(super) code: u8,
    pub(super) message: String,
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
        }
    }

    pub(super) fn usage(message: impl Display) -> Self {
        Self {
            code: USAGE,
            message: message.to_string(),
        }
    }
}
