//! The server's lines for the operator, on the one logging channel
//! (`tracing`): one line per refused or failed request, at most
//! [`LINES_PER_SECOND`] a second, so that a client sending garbage as fast
//! as it can does not fill the operator's log (what is left out is counted,
//! and the count logged with the next line after its second is over); and
//! the accept loop's own troubles. Each is an event of target [`TARGET`]
//! whose message is the whole line, `{front}: {what}`, which the `ceh`
//! binary writes as it is.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most refusal lines written in a second.
pub(crate) const LINES_PER_SECOND: u32 = 20;

/// The target of the servers' lines (`ceh serve: 413 …`): events whose
/// message is the whole line for the operator, which a subscriber may write
/// bare. `CEH_LOG` filters them as any other target.
pub const TARGET: &str = "cloud_events_handler::server";

/// The current second's window: when it began, lines written, lines left out.
static WINDOW: Mutex<Option<(Instant, u32, u64)>> = Mutex::new(None);

/// Logs `{front}: {line}` as a warning, unless this second's lines are used
/// up; then only counts it.
pub(crate) fn refusal(front: &str, line: &str) {
    let now = Instant::now();
    // A poisoned lock (a panic elsewhere while logging) still holds a usable window.
    let mut window = WINDOW
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (started, written, left_out) = window.get_or_insert((now, 0, 0));
    if now.duration_since(*started) >= Duration::from_secs(1) {
        if *left_out > 0 {
            tracing::warn!(target: TARGET, "{front}: {left_out} more refusals in a second were not logged (at most {LINES_PER_SECOND} lines a second)");
        }
        (*started, *written, *left_out) = (now, 0, 0);
    }
    if *written < LINES_PER_SECOND {
        *written += 1;
        tracing::warn!(target: TARGET, "{front}: {line}");
    } else {
        *left_out += 1;
    }
}
