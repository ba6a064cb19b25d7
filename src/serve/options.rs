//! Who `ceh serve` takes events from: the tokens it asks for and the origins
//! it answers in Event Grid's handshake, beside the server's own limits.

use super::auth::OidcCheck;
use crate::server::ServerOptions;

/// How `ceh serve` listens and what it accepts.
///
/// ```
/// use cloud_events_handler::serve::{ServeOptions, ServerOptions, MAX_BODY_LIMIT};
///
/// let options = ServeOptions { token: Some("s3cret".into()), ..ServeOptions::default() };
/// assert_eq!(options.server.max_body, 6 * 1024 * 1024);
/// assert_eq!(options.allowed_origins, ["eventgrid.azure.net"]);
/// assert!(options.check().is_ok());
/// let server = ServerOptions { max_body: MAX_BODY_LIMIT + 1, ..ServerOptions::default() };
/// let huge = ServeOptions { server, ..ServeOptions::default() };
/// assert!(huge.check().unwrap_err().starts_with("--max-body"));
/// ```
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// The server's limits: body size, timeouts, requests at once.
    pub server: ServerOptions,
    /// Origins answered in Azure Event Grid's webhook validation handshake;
    /// empty answers none.
    pub allowed_origins: Vec<String>,
    /// When set, every event must carry `Authorization: Bearer <token>`
    /// (or a token one of `oidc` verifies).
    pub token: Option<String>,
    /// OIDC tokens taken in `Authorization: Bearer …` (Pub/Sub push's, Event
    /// Grid's); when any is set, every event must carry one (or `token`).
    pub oidc: Vec<OidcCheck>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            server: ServerOptions::default(),
            allowed_origins: vec!["eventgrid.azure.net".to_owned()],
            token: None,
            oidc: Vec::new(),
        }
    }
}

impl ServeOptions {
    /// Refuses options that cannot work, naming the flag
    /// ([`ServerOptions::check`]).
    pub fn check(&self) -> Result<(), String> {
        self.server.check()
    }
}
