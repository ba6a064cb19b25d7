//! The whole way from event to reply: classify, synthesize, call the app, reply.

use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response};
use serde_json::Value;

use crate::app::{self, App, AppError};
use crate::batch::{self, BatchError};
use crate::classify::{ClassifyError, Match};
use crate::passthrough::{self, PassThroughError, ReplyShape};
use crate::reply::{self, ReplyError};
use crate::rule::{HttpFormat, ReplyMode, Rule, Target};
use crate::synthesize::{synthesize, synthesize_with_body, SynthesizeError};
use crate::{Config, Event, Invocation};

/// `ceh-record-index`: a batch record's position in its batch, from 0.
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, RECORD_INDEX_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_INDEX_HEADER], "1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_INDEX_HEADER: HeaderName = HeaderName::from_static("ceh-record-index");
/// `ceh-record-id`: a batch record's identifier (`messageId`, sequence number…).
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, RECORD_ID_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_ID_HEADER], "b");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_ID_HEADER: HeaderName = HeaderName::from_static("ceh-record-id");
/// `ceh-record-group`: a batch record's ordering group (SQS FIFO message group).
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler, RECORD_GROUP_HEADER};
///
/// let event = Event::from_slice(br#"{"Records": [
///     {"eventSource": "aws:sqs", "messageId": "a", "attributes": {"MessageGroupId": "g1"}},
///     {"eventSource": "aws:sqs", "messageId": "b", "attributes": {"MessageGroupId": "g1"}}
/// ]}"#)?;
/// let handler = Handler::new(Config::default());
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.requests()[1].headers()[RECORD_GROUP_HEADER], "g1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const RECORD_GROUP_HEADER: HeaderName = HeaderName::from_static("ceh-record-group");

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
/// # tokio::runtime::Builder::new_current_thread().enable_time().build()?.block_on(async {
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
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "1"}},
///                                               {"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "2"}}]}"#)?;
/// let explained = handler.explain(&event)?;
/// assert_eq!(explained.rule().name(), "kinesis");
/// assert_eq!(explained.requests().len(), 2, "one request per record");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Explanation<'h> {
    rule: &'h Rule,
    requests: Vec<Request<Bytes>>,
}

/// Why an event could not be handled.
///
/// ```
/// use cloud_events_handler::{Config, Event, HandleError, Handler};
///
/// let handler = Handler::new(Config::parse("c.toml", "[fallback]\nreject = true\n")?);
/// let err = handler.explain(&Event::from_slice(b"{}")?).unwrap_err();
/// assert!(matches!(err, HandleError::Classify(_)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// The app answered with a status that means failure.
    #[error("rule `{rule}`: the app answered {status}, which counts as a failure; the event source will retry the event")]
    Failed {
        /// The rule that matched.
        rule: String,
        /// The app's status.
        status: http::StatusCode,
    },
    /// Records of a batch failed and cannot be reported one by one.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The app's answer does not fit the rule's reply mode.
    #[error(transparent)]
    Reply(#[from] ReplyError),
    /// A batch holds more records than `[reply] max_records` allows.
    #[error("rule `{rule}`: the batch has {count} records, over the limit of {limit}; raise max_records in [reply] if that is expected")]
    TooManyRecords {
        /// The rule that matched.
        rule: String,
        /// How many records the batch has.
        count: usize,
        /// The limit in force.
        limit: usize,
    },
    /// An HTTP event does not describe a request.
    #[error(transparent)]
    PassThrough(#[from] PassThroughError),
}

impl<'h> Explanation<'h> {
    /// The rule the event matched.
    pub fn rule(&self) -> &'h Rule {
        self.rule
    }

    /// The requests the app would receive, in order: one, or one per batch record.
    pub fn requests(&self) -> &[Request<Bytes>] {
        &self.requests
    }
}

impl Handler {
    /// A handler for this configuration.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\npath = \"/unknown\"\n")?);
    /// let explained = handler.explain(&Event::from_slice(br#"{"hello": "world"}"#)?)?;
    /// assert_eq!(explained.requests()[0].uri().path(), "/unknown");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config) -> Self {
        Self {
            config: Arc::new(config),
        }
    }

    /// The configuration in use.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// assert!(handler.config().rules().get("s3").is_some());
    /// assert!(std::ptr::eq(handler.clone().config(), handler.config()), "clones share it");
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Classifies `event` and builds the requests the app would receive.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let explained = handler.explain(&Event::from_slice(br#"{"source": "serverless-plugin-warmup"}"#)?)?;
    /// assert_eq!(explained.rule().name(), "warmup");
    /// assert!(explained.requests().is_empty(), "a warm-up ping never reaches the app");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain(&self, event: &Event) -> Result<Explanation<'_>, HandleError> {
        let found = self.config.rules().classify(event)?;
        let requests = match found.rule().reply() {
            ReplyMode::Ignore => Vec::new(),
            _ => self.requests(&found, event)?,
        };
        Ok(Explanation {
            rule: found.rule(),
            requests: requests.into_iter().map(|(_, request)| request).collect(),
        })
    }

    /// Sends `event` to `app` and returns the reply for the event source.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Echo, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "1", "body": "hi"}]}"#)?;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let reply = handler.handle(&event, Echo).await?;
    /// assert_eq!(reply, serde_json::json!({"batchItemFailures": []}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn handle<S: App + Clone>(
        &self,
        event: &Event,
        app: S,
    ) -> Result<Value, HandleError> {
        self.handle_invocation(event, app, &Invocation::default())
            .await
    }

    /// Like [`Handler::handle`], for an invocation whose facts the app sees
    /// as headers and whose deadline bounds the app's time.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Echo, Event, Handler, Invocation};
    ///
    /// let handler = Handler::new(Config::default());
    /// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#)?;
    /// let invocation = Invocation { request_id: Some("req-1".into()), ..Invocation::default() };
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let reply = handler.handle_invocation(&event, Echo, &invocation).await?;
    /// let seen: serde_json::Value = serde_json::from_str(reply["body"].as_str().unwrap_or_default())?;
    /// assert_eq!(seen["headers"]["ceh-request-id"], "req-1");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn handle_invocation<S: App + Clone>(
        &self,
        event: &Event,
        app: S,
        invocation: &Invocation,
    ) -> Result<Value, HandleError> {
        let found = self.config.rules().classify(event)?;
        let rule = found.rule();
        if let Target::Http(format) = rule.target() {
            return self.pass_through(*format, event, app, invocation).await;
        }
        if rule.reply() == ReplyMode::Ignore {
            return Ok(serde_json::json!({ "ignored": true, "rule": rule.name() }));
        }
        let mut requests = self.requests(&found, event)?;
        for (_, request) in &mut requests {
            invocation.add_headers(request.headers_mut());
        }
        let policy = self.config.reply_policy();
        if let (ReplyMode::Batch, Some(spec)) = (rule.reply(), rule.batch()) {
            return batch::dispatch(rule, spec, event.json(), requests, app, invocation, policy)
                .await;
        }
        let (_, request) = requests.pop().ok_or(ClassifyError::NoMatch)?;
        if rule.reply() == ReplyMode::Cloudformation {
            let answer = call(app, request, invocation).await;
            let doc = match &answer {
                Ok(response) => reply::cloudformation::document(
                    event.json(),
                    Ok((response.status().as_u16(), response.body().as_ref())),
                ),
                Err(err) => reply::cloudformation::document(event.json(), Err(err.to_string())),
            };
            reply::cloudformation::send(rule.name(), event.json(), &doc).await?;
            return Ok(doc);
        }
        let response = call(app, request, invocation).await?;
        if policy.is_failure(response.status()) && !policy.always_succeed() {
            return Err(HandleError::Failed {
                rule: rule.name().to_owned(),
                status: response.status(),
            });
        }
        Ok(match rule.reply() {
            ReplyMode::Body => reply::body(rule.name(), &response)?,
            _ => reply::dict(&response),
        })
    }

    /// The requests for a match, each with its batch record's index (0 for a single request).
    fn requests(
        &self,
        found: &Match<'_, '_>,
        event: &Event,
    ) -> Result<Vec<(usize, Request<Bytes>)>, HandleError> {
        let environment = self.config.environment();
        let rule = found.rule();
        if let Target::Http(format) = rule.target() {
            let passed = passthrough::request(*format, event, self.config.http())?;
            return Ok(vec![(0, passed.request)]);
        }
        let Some(spec) = rule.batch().filter(|_| rule.reply() == ReplyMode::Batch) else {
            return Ok(vec![(0, synthesize(found, event, environment)?)]);
        };
        let records = spec.records(event.json());
        let limit = self.config.reply_policy().max_records();
        if records.len() > limit {
            return Err(HandleError::TooManyRecords {
                rule: rule.name().to_owned(),
                count: records.len(),
                limit,
            });
        }
        let bodies = spec.bodies(event, &records);
        let mut requests = Vec::with_capacity(records.len());
        for (record, body) in records.into_iter().zip(bodies) {
            let record_match =
                Match::resolve(rule, record.json).ok_or_else(|| SynthesizeError::Unresolved {
                    rule: rule.name().to_owned(),
                    index: record.index,
                    path: match rule.target() {
                        crate::rule::Target::Event(path) => path.to_string(),
                        _ => String::new(),
                    },
                })?;
            let mut request = synthesize_with_body(&record_match, record.json, body, environment)?;
            let headers = request.headers_mut();
            headers.insert(RECORD_INDEX_HEADER, HeaderValue::from(record.index));
            if let Some(id) = record.id {
                headers.insert(RECORD_ID_HEADER, crate::synthesize::header_value(id));
            }
            if let Some(group) = record.group {
                headers.insert(RECORD_GROUP_HEADER, crate::synthesize::header_value(group));
            }
            requests.push((record.index, request));
        }
        Ok(requests)
    }
}

impl Handler {
    /// An HTTP event: its own request to the app, the app's response in the source's shape.
    /// A request the event cannot describe (a body marked base64 that is not) is the
    /// client's fault: it gets a 400 reply, not an invocation error.
    async fn pass_through<S: App>(
        &self,
        format: HttpFormat,
        event: &Event,
        app: S,
        invocation: &Invocation,
    ) -> Result<Value, HandleError> {
        let options = self.config.http();
        let (request, shape) = match passthrough::request(format, event, options) {
            Ok(passed) => (passed.request, passed.shape),
            Err(err) if err.is_bad_request() => {
                let response = Response::builder()
                    .status(http::StatusCode::BAD_REQUEST)
                    .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                    .body(Bytes::from(format!("{err}\n")))
                    .map_err(|e| SynthesizeError::Invalid {
                        rule: format.to_string(),
                        source: e,
                    })?;
                return Ok(passthrough::reply(
                    &ReplyShape::of(format, event.json()),
                    &response,
                    options,
                ));
            }
            Err(err) => return Err(err.into()),
        };
        if !options.allow_event_routes() && self.config.is_event_route(request.uri().path()) {
            // A client must not pose as an event source: event routes are ceh's.
            let message = format!(
                "{} is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n",
                request.uri().path()
            );
            let response = Response::builder()
                .status(http::StatusCode::NOT_FOUND)
                .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
                .body(Bytes::from(message))
                .map_err(|e| SynthesizeError::Invalid {
                    rule: format.to_string(),
                    source: e,
                })?;
            return Ok(passthrough::reply(&shape, &response, options));
        }
        let mut request = request;
        invocation.add_headers(request.headers_mut());
        let response = call(app, request, invocation).await?;
        Ok(passthrough::reply(&shape, &response, options))
    }
}

/// Calls the app within the invocation's deadline.
pub(crate) async fn call<S: App>(
    app: S,
    request: Request<Bytes>,
    invocation: &Invocation,
) -> Result<Response<Bytes>, AppError> {
    match invocation.remaining() {
        Some(left) => tokio::time::timeout(left, app::call(app, request))
            .await
            .map_err(|_| AppError::Timeout { after: left })?,
        None => app::call(app, request).await,
    }
}
