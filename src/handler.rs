//! The whole way from event to reply: classify, synthesize, call the app, reply.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use serde_json::Value;
use tower::Service;

use crate::app::{self, AppError, BoxError};
use crate::classify::ClassifyError;
use crate::reply::{self, ReplyError};
use crate::rule::{ReplyMode, Rule};
use crate::synthesize::{synthesize, SynthesizeError};
use crate::{Config, Event, Invocation};

/// Routes events to an app with one configuration.
///
/// Cheap to clone: the configuration is shared.
///
/// ```
/// use cloud_events_handler::{Config, Echo, Event, Handler};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#)?;
///
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.rule().name(), "s3");
/// assert_eq!(explained.requests()[0].uri().path(), "/aws.s3");
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// let reply = handler.handle(&event, Echo).await?;
/// assert_eq!(reply["status_code"], 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Handler {
    config: Arc<Config>,
}

/// What an event becomes, without calling the app: the rule and the requests.
#[derive(Debug)]
pub struct Explanation<'h> {
    rule: &'h Rule,
    requests: Vec<Request<Bytes>>,
}

/// Why an event could not be handled.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HandleError {
    /// No rule matched and the fallback rejects.
    #[error(transparent)]
    Classify(#[from] ClassifyError),
    /// The request could not be built.
    #[error(transparent)]
    Synthesize(#[from] SynthesizeError),
    /// The app did not answer.
    #[error(transparent)]
    App(#[from] AppError),
    /// The app's answer does not fit the rule's reply mode.
    #[error(transparent)]
    Reply(#[from] ReplyError),
}

impl<'h> Explanation<'h> {
    /// The rule the event matched.
    pub fn rule(&self) -> &'h Rule {
        self.rule
    }

    /// The requests the app would receive, in order.
    pub fn requests(&self) -> &[Request<Bytes>] {
        &self.requests
    }
}

impl Handler {
    /// A handler for this configuration.
    pub fn new(config: Config) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Classifies `event` and builds the requests the app would receive.
    pub fn explain(&self, event: &Event) -> Result<Explanation<'_>, HandleError> {
        let found = self.config.rules().classify(event)?;
        let request = synthesize(&found, event, self.config.environment())?;
        Ok(Explanation {
            rule: found.rule(),
            requests: vec![request],
        })
    }

    /// Sends `event` to `app` and returns the reply for the event source.
    pub async fn handle<S, B>(&self, event: &Event, app: S) -> Result<Value, HandleError>
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>>,
        S::Error: Into<BoxError>,
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        self.handle_invocation(event, app, &Invocation::default())
            .await
    }

    /// Like [`Handler::handle`], for an invocation whose facts the app sees
    /// as headers and whose deadline bounds the app's time.
    pub async fn handle_invocation<S, B>(
        &self,
        event: &Event,
        app: S,
        invocation: &Invocation,
    ) -> Result<Value, HandleError>
    where
        S: Service<Request<Full<Bytes>>, Response = Response<B>>,
        S::Error: Into<BoxError>,
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        let found = self.config.rules().classify(event)?;
        let rule = found.rule();
        let mut request = synthesize(&found, event, self.config.environment())?;
        invocation.add_headers(request.headers_mut());
        let response = match invocation.remaining() {
            Some(left) => tokio::time::timeout(left, app::call(app, request))
                .await
                .map_err(|_| AppError::Timeout { after: left })??,
            None => app::call(app, request).await?,
        };
        Ok(match rule.reply() {
            ReplyMode::Body => reply::body(rule.name(), &response)?,
            _ => reply::dict(&response),
        })
    }
}
