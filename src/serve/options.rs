//! How `ceh serve` listens, what it accepts, and for how long it waits.

use std::time::Duration;

use super::auth::OidcCheck;
use crate::event::DEFAULT_MAX_EVENT_BYTES;

/// The largest `max_body` that may be set: a request body is held whole in
/// memory, once per request in flight.
///
/// ```
/// assert_eq!(cloud_events_handler::serve::MAX_BODY_LIMIT, 64 * 1024 * 1024);
/// ```
pub const MAX_BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How `ceh serve` listens and what it accepts.
///
/// ```
/// use cloud_events_handler::serve::{ServeOptions, MAX_BODY_LIMIT};
///
/// let options = ServeOptions { token: Some("s3cret".into()), ..ServeOptions::default() };
/// assert_eq!(options.max_body, 6 * 1024 * 1024);
/// assert_eq!(options.allowed_origins, ["eventgrid.azure.net"]);
/// assert!(options.check().is_ok());
/// let huge = ServeOptions { max_body: MAX_BODY_LIMIT + 1, ..ServeOptions::default() };
/// assert!(huge.check().unwrap_err().starts_with("--max-body"));
/// ```
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The largest request body accepted, in bytes.
    pub max_body: usize,
    /// The longest the app may take for one event.
    pub timeout: Duration,
    /// Origins answered in Azure Event Grid's webhook validation handshake;
    /// empty answers none.
    pub allowed_origins: Vec<String>,
    /// When set, every event must carry `Authorization: Bearer <token>`
    /// (or a token one of `oidc` verifies).
    pub token: Option<String>,
    /// OIDC tokens taken in `Authorization: Bearer …` (Pub/Sub push's, Event
    /// Grid's); when any is set, every event must carry one (or `token`).
    pub oidc: Vec<OidcCheck>,
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

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            max_body: DEFAULT_MAX_EVENT_BYTES,
            timeout: Duration::from_secs(30),
            allowed_origins: vec!["eventgrid.azure.net".to_owned()],
            token: None,
            oidc: Vec::new(),
            max_headers: 100,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_in_flight: 256,
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

impl ServeOptions {
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
