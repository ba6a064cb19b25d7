//! The one stderr line per refused or failed request, at most
//! [`LINES_PER_SECOND`] a second: a client sending garbage as fast as it can
//! must not fill the operator's log. What is left out is counted, and the
//! count is logged with the next line after its second is over.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most refusal lines written in a second.
pub(crate) const LINES_PER_SECOND: u32 = 20;

/// The current second's window: when it began, lines written, lines left out.
static WINDOW: Mutex<Option<(Instant, u32, u64)>> = Mutex::new(None);

/// Writes `{front}: {line}` to stderr, unless this second's lines are used
/// up; then only counts it.
pub(crate) fn log(front: &str, line: &str) {
    let now = Instant::now();
    // A poisoned lock (a panic elsewhere while logging) still holds a usable window.
    let mut window = WINDOW
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (started, written, left_out) = window.get_or_insert((now, 0, 0));
    if now.duration_since(*started) >= Duration::from_secs(1) {
        if *left_out > 0 {
            eprintln!("{front}: {left_out} more refusals in a second were not logged (at most {LINES_PER_SECOND} lines a second)");
        }
        (*started, *written, *left_out) = (now, 0, 0);
    }
    if *written < LINES_PER_SECOND {
        *written += 1;
        eprintln!("{front}: {line}");
    } else {
        *left_out += 1;
    }
}
