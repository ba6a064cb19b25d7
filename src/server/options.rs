//! How an HTTP front end's server listens and reads: the limits every
//! request is held to, whichever front end answers it.

use std::time::Duration;

use crate::event::DEFAULT_MAX_EVENT_BYTES;

/// The largest `max_body` that may be set: a request body is held whole in
/// memory, once per request in flight.
///
/// ```
/// assert_eq!(cloud_events_handler::serve::MAX_BODY_LIMIT, 64 * 1024 * 1024);
/// ```
pub const MAX_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// The limits of the HTTP server behind `ceh serve` and `ceh functions`:
/// what a request may hold, how long its parts may take, how many are
/// handled at once.
///
/// ```
/// use cloud_events_handler::serve::{ServerOptions, MAX_BODY_LIMIT};
///
/// let options = ServerOptions::default();
/// assert_eq!(options.max_body, 6 * 1024 * 1024);
/// assert!(options.check().is_ok());
/// let huge = ServerOptions { max_body: MAX_BODY_LIMIT + 1, ..ServerOptions::default() };
/// assert!(huge.check().unwrap_err().starts_with("--max-body"));
/// ```
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// The longest the app may take for one event.
    pub timeout: Duration,
    /// The most request headers accepted.
    pub max_headers: usize,
    /// The longest a client may take to send a request's headers, and how
    /// long an idle keep-alive connection is kept open.
    pub header_timeout: Duration,
    /// The longest a client may take to send a request's body.
    pub body_timeout: Duration,
    /// The most requests handled at once, counted once a request's body is
    /// in (a client slow to send it holds no slot); past it a request is
    /// answered `503` with `Retry-After`. The bodies being read or handled
    /// hold at most `max_in_flight × max_body` bytes between them, taken as
    /// they arrive, so memory stays bounded by about that.
    pub max_in_flight: usize,
    /// How long the requests in flight may take to finish once a stop is
    /// asked for; connections still open then are closed.
    pub shutdown_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_EVENT_BYTES,
            timeout: Duration::from_secs(30),
            max_headers: 100,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

impl ServerOptions {
    /// Refuses options that cannot work, naming the flag: a body limit over
    /// [`MAX_BODY_LIMIT`], a zero limit, timeout or cap.
    pub fn check(&self) -> Result<(), String> {
        if self.max_body > MAX_BODY_LIMIT {
            return Err(format!(
                "--max-body {}: over the limit of {MAX_BODY_LIMIT} bytes a request body may have",
                self.max_body
            ));
        }
        let zero = [
            ("--max-body", self.max_body == 0),
            ("--max-in-flight", self.max_in_flight == 0),
            ("--max-headers", self.max_headers == 0),
            ("--header-timeout-ms", self.header_timeout.is_zero()),
            ("--body-timeout-ms", self.body_timeout.is_zero()),
            ("--timeout-ms", self.timeout.is_zero()),
        ];
        match zero.into_iter().find(|(_, is_zero)| *is_zero) {
            Some((flag, _)) => Err(format!("{flag} 0: must be at least 1")),
            None => Ok(()),
        }
    }
}
