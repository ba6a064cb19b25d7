//! How long the app may take for an invocation: the Lambda deadline less a margin,
//! and an optional timeout of its own.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The default margin: time left after the app's answer to reply to Lambda.
///
/// ```
/// use std::time::Duration;
/// use cloud_events_handler::lambda::{Timing, DEFAULT_DEADLINE_MARGIN};
///
/// assert_eq!(DEFAULT_DEADLINE_MARGIN, Duration::from_millis(250));
/// assert_eq!(Timing::default().margin, DEFAULT_DEADLINE_MARGIN);
/// ```
pub const DEFAULT_DEADLINE_MARGIN: Duration = Duration::from_millis(250);

/// Deadlines before this (2001-09-09, 10¹² ms since the epoch) are not real
/// Lambda deadlines: emulators send a fixed number such as `600000`.
const PLAUSIBLE_DEADLINE_MS: u64 = 1_000_000_000_000;

/// How long the app may take: the invocation's deadline less a margin, and
/// at most the app timeout when one is set.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use cloud_events_handler::lambda::Timing;
///
/// let timing = Timing { margin: Duration::from_millis(250), app_timeout: None };
/// // 600000 is no time since the epoch (emulators send it): no deadline.
/// assert_eq!(timing.deadline(600_000), None);
/// let in_a_minute = SystemTime::now() + Duration::from_secs(60);
/// let ms = in_a_minute.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
/// assert!(timing.deadline(ms).unwrap() < in_a_minute);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Kept back from the deadline, so the reply still reaches Lambda.
    pub margin: Duration,
    /// The longest the app may take for one request, deadline or not.
    pub app_timeout: Option<Duration>,
}

impl Default for Timing {
    fn default() -> Self {
        Self {
            margin: DEFAULT_DEADLINE_MARGIN,
            app_timeout: None,
        }
    }
}

impl Timing {
    /// When the app's answer must have arrived, for an invocation whose
    /// deadline is `deadline_ms` since the epoch.
    pub fn deadline(&self, deadline_ms: u64) -> Option<SystemTime> {
        let lambda = (deadline_ms >= PLAUSIBLE_DEADLINE_MS).then(|| {
            let at = UNIX_EPOCH + Duration::from_millis(deadline_ms);
            at.checked_sub(self.margin).unwrap_or(at)
        });
        let own = self.app_timeout.map(|t| SystemTime::now() + t);
        match (lambda, own) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
