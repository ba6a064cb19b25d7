//! The whole way from event to reply: plan, deliver to the app, reply.

use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Response};
use tower::ServiceBuilder;

use crate::app::fanout::{self, Delivery};
use crate::app::{
    call_limited, open, App, AppError, Deadline, DeadlineBody, FailedAnswer, InvocationHeaders,
    Verdict,
};
use crate::config::Config;
use crate::error::HandleError;
use crate::event::{Event, EventError};
use crate::invocation::Invocation;
use crate::passthrough::{self, ReplyShape};
use crate::plan::{classify, plan, Action, Classified, Plan};
use crate::reply::{self, cloudformation, Reply};
use crate::rule::{EventReply, Rule};

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
/// let reply = handler.handle(&event, Echo).await?.into_json();
/// assert_eq!(reply["status_code"], 200);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Handler {
    config: Arc<Config>,
    /// Whether a reply that is a request of its own (a CloudFormation
    /// custom resource's result) is sent, or only shown.
    sends_results: bool,
    /// Whether [`Handler::handle_invocation`] logs each failure (`event
    /// refused`, `event failed`), or leaves it to the caller to say.
    logs_failures: bool,
}

impl Handler {
    /// A handler for this configuration.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::parse("ceh.toml", "[fallback]\npath = \"/unknown\"\n")?);
    /// let event = Event::from_slice(br#"{"hello": "world"}"#)?;
    /// let explained = handler.explain(&event)?;
    /// assert_eq!(explained.requests()[0].uri().path(), "/unknown");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config) -> Self {
        Self {
            config: Arc::new(config),
            sends_results: true,
            logs_failures: true,
        }
    }

    /// This handler, leaving each failure of [`Handler::handle_invocation`]
    /// to its caller to say: for a front end that says every failure once
    /// itself (the CLI's one stderr line, `ceh serve`'s line per refusal).
    pub fn without_logging_failures(mut self) -> Self {
        self.logs_failures = false;
        self
    }

    /// This handler, making no request of its own besides the app's: a
    /// CloudFormation custom resource's result is the reply, shown and not
    /// PUT to its `ResponseURL` (what `ceh invoke` does unless told to send it).
    ///
    /// ```
    /// use cloud_events_handler::{Config, Echo, Event, Handler, Reply};
    ///
    /// let handler = Handler::new(Config::default()).without_sending_results();
    /// let event = Event::from_slice(br#"{"RequestType": "Create", "ResponseURL": "https://example.com/cfn",
    ///     "StackId": "s", "RequestId": "r1", "LogicalResourceId": "L", "ResourceType": "Custom::Thing"}"#)?;
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let reply = handler.handle(&event, Echo).await?;
    /// assert!(matches!(&reply, Reply::CloudFormation(doc) if doc["Status"] == "SUCCESS"), "nothing sent");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn without_sending_results(mut self) -> Self {
        self.sends_results = false;
        self
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

    /// Reads an event from its bytes, as [`Event::from_bytes_limited`] does
    /// (the same checks, the same errors), and what this handler's rules
    /// read of it, in one pass: the front ends' way in.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, EventError, Handler, DEFAULT_MAX_EVENT_BYTES};
    ///
    /// let handler = Handler::new(Config::default());
    /// let bytes = bytes::Bytes::from_static(br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#);
    /// let event = handler.read_event(bytes.clone(), DEFAULT_MAX_EVENT_BYTES)?;
    /// assert_eq!(event.bytes(), &bytes, "the bytes, as they came");
    /// assert_eq!(handler.explain(&event)?.rule().name(), "s3");
    /// let broken = bytes::Bytes::from_static(b"{\"a\": [1,}");
    /// assert_eq!(
    ///     handler.read_event(broken.clone(), DEFAULT_MAX_EVENT_BYTES).unwrap_err(),
    ///     Event::from_bytes(broken).unwrap_err(),
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn read_event(&self, bytes: Bytes, max_bytes: usize) -> Result<Event, EventError> {
        self.config.rules().read_event(bytes, max_bytes)
    }

    /// What `event` becomes, without calling the app: the rule, and the
    /// requests the app would receive (or ceh's refusal of an HTTP event).
    /// [`Handler::handle`] sends exactly these.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let event = Event::from_slice(br#"{"source": "serverless-plugin-warmup"}"#)?;
    /// let explained = handler.explain(&event)?;
    /// assert_eq!(explained.rule().name(), "warmup");
    /// assert!(explained.requests().is_empty(), "a warm-up ping never reaches the app");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn explain<'h, 'e>(&'h self, event: &'e Event) -> Result<Plan<'h, 'e>, HandleError> {
        plan(&self.config, event)
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
    /// assert_eq!(reply.into_json(), serde_json::json!({"batchItemFailures": []}));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # })?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn handle<S: App + Clone>(
        &self,
        event: &Event,
        app: S,
    ) -> Result<Reply, HandleError> {
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
    /// let invocation = Invocation::default().with_request_id("req-1");
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
    /// let reply = handler.handle_invocation(&event, Echo, &invocation).await?.into_json();
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
    ) -> Result<Reply, HandleError> {
        self.handle_classified(self.classify(event), app, invocation)
            .await
    }

    /// The rule `event` matches, found once: for a front end to check what
    /// it takes ([`Classified::rule`]) and for [`Handler::handle_classified`]
    /// to handle the event under, without classifying it again.
    pub(crate) fn classify<'h, 'e>(&'h self, event: &'e Event) -> Classified<'h, 'e> {
        classify(&self.config, event)
    }

    /// [`Handler::handle_invocation`] of an event already classified
    /// ([`Handler::classify`]).
    pub(crate) async fn handle_classified<S: App + Clone>(
        &self,
        classified: Classified<'_, '_>,
        app: S,
        invocation: &Invocation,
    ) -> Result<Reply, HandleError> {
        let started = std::time::Instant::now();
        let request_id = invocation.request_id.as_deref().unwrap_or_default();
        let event = classified.event();
        let plan = classified.plan().inspect_err(|err| {
            if self.logs_failures {
                tracing::warn!(requestId = request_id, kind = err.kind().error_type(), error = %err, "event refused");
            }
        })?;
        let rule = plan.rule().name();
        // The path only, never the query (secrets live there); built only when it is logged.
        let path = tracing::enabled!(tracing::Level::DEBUG)
            .then(|| plan.requests().first().map(|r| r.uri().path().to_owned()))
            .flatten();
        let outcome = self.deliver(plan, event, app, invocation).await;
        let millis = started.elapsed().as_millis() as u64;
        match &outcome {
            Ok(reply) => tracing::debug!(
                requestId = request_id,
                rule,
                path = path.as_deref().unwrap_or(""),
                status = reply.response().map_or(0, |r| r.status().as_u16()),
                duration_ms = millis,
                "event handled"
            ),
            Err(err) if self.logs_failures => tracing::warn!(
                requestId = request_id,
                rule,
                kind = err.kind().error_type(),
                error = %err,
                duration_ms = millis,
                "event failed"
            ),
            Err(_) => {}
        }
        outcome
    }

    /// Sends a plan's requests to the app, and makes the reply of its answers.
    async fn deliver<S: App + Clone>(
        &self,
        plan: Plan<'_, '_>,
        event: &Event,
        app: S,
        invocation: &Invocation,
    ) -> Result<Reply, HandleError> {
        let rule = plan.rule();
        let policy = self.config.reply_policy();
        let http_event = matches!(plan.action, Action::PassThrough { .. });
        let app = self.around(app, http_event, invocation);
        let limit = invocation.answer_limit();
        match plan.action {
            Action::Ignore => Ok(Reply::Ignored {
                rule: rule.name().to_owned(),
            }),
            Action::Answer(answer) => Ok(Reply::Answer(answer)),
            // A forwarded request: the app's response as it is.
            Action::Forward { request } => {
                Ok(Reply::Dict(call_limited(app, request, limit).await?))
            }
            Action::Refuse { response, shape } => Ok(self.http_reply(shape, response)),
            Action::PassThrough { request, shape } => {
                // `[http] failure_status`: only then is the request's method and URI kept, to say it.
                let http = self.config.http();
                let named = http
                    .has_failure_status()
                    .then(|| (request.method().clone(), request.uri().clone()));
                let response = call_limited(app, request, limit).await?;
                if let Some((method, uri)) =
                    named.filter(|_| http.fails(response.status().as_u16()))
                {
                    return Err(HandleError::Failed {
                        rule: rule.name().to_owned(),
                        answer: FailedAnswer::of(&method, &uri, &response),
                    });
                }
                Ok(self.http_reply(shape, response))
            }
            Action::Send { request, reply } => {
                let (method, uri) = (request.method().clone(), request.uri().clone());
                let answer = call_limited(app, request, limit).await;
                if let EventReply::CloudFormation = reply {
                    let document = cloudformation_document(event, &answer);
                    if self.sends_results {
                        let within = invocation
                            .remaining()
                            .map_or(cloudformation::RESPONSE_TIMEOUT, |left| {
                                left.min(cloudformation::RESPONSE_TIMEOUT)
                            });
                        let hosts = policy.response_url_hosts();
                        cloudformation::send(rule.name(), event.json(), &document, hosts, within)
                            .await?;
                    }
                    return Ok(Reply::CloudFormation(document));
                }
                let response = answer?;
                match policy.verdict(&response) {
                    Verdict::Failed => {
                        return Err(HandleError::Failed {
                            rule: rule.name().to_owned(),
                            answer: FailedAnswer::of(&method, &uri, &response),
                        })
                    }
                    Verdict::Dropped => tracing::warn!(
                        requestId = invocation.request_id.as_deref().unwrap_or_default(),
                        rule = rule.name(),
                        answer = %FailedAnswer::of(&method, &uri, &response),
                        "event dropped by the app (ceh-drop): acknowledged, never retried"
                    ),
                    Verdict::Taken => {}
                }
                Ok(match reply {
                    EventReply::Body => Reply::body(rule.name(), response)?,
                    _ => Reply::Dict(response),
                })
            }
            Action::Batch(batch) => {
                let sequences: Vec<fanout::Sequence> = batch
                    .spec
                    .sequences(&batch.records)
                    .into_iter()
                    .map(|sequence| sequence.into_iter().map(|record| record.index).collect())
                    .collect();
                let request = |index: usize| match batch.request(index) {
                    Some(Ok(request)) => Ok(request),
                    Some(Err(err)) => Err(err.to_string()),
                    None => Err(format!("no record {index} in the batch")),
                };
                let deliveries = fanout::deliver(
                    app,
                    sequences,
                    &request,
                    policy.concurrency(),
                    limit,
                    |response| policy.verdict(response),
                    if batch.spec.response().carries_answers() {
                        fanout::Answers::Kept
                    } else {
                        fanout::Answers::Dropped
                    },
                )
                .await;
                log_records(rule, &deliveries, invocation);
                Ok(reply::batch::reply(
                    rule,
                    batch.spec,
                    &batch.records,
                    &deliveries,
                    policy,
                )?)
            }
        }
    }

    /// Like [`Handler::handle_invocation`], but an HTTP event's response is
    /// handed back as it starts to arrive, its body still to be read, for
    /// streaming it on; every other event is handled whole.
    pub(crate) async fn open_stream<S: App + Clone>(
        &self,
        event: &Event,
        app: S,
        invocation: &Invocation,
    ) -> Result<Streamed<Pin<Box<S::Body>>>, HandleError> {
        let plan = self.explain(event)?;
        match plan.action {
            Action::PassThrough { request, .. } => {
                let app = self.around(app, true, invocation);
                let response = open(app, request).await?;
                // The body streams on, bounded by the front end's own deadline.
                Ok(Streamed::Http(response.map(DeadlineBody::into_inner)))
            }
            _ => Ok(Streamed::Whole(
                self.deliver(plan, event, app, invocation).await?,
            )),
        }
    }

    /// The app as one invocation calls it, its layers applied once: every
    /// request stamped with the invocation's headers (an HTTP event's with
    /// Lambda Web Adapter's `x-amzn-lambda-context` too, when `[http]` asks
    /// for it), every call answered within the invocation's deadline.
    /// Sends an Azure Functions forwarded request (a plan's forward action,
    /// [`Plan::forwarded`]) to the app, through the same layers as every
    /// request; its response as it is.
    pub(crate) async fn forward<S: App>(
        &self,
        request: Request<Bytes>,
        app: S,
        invocation: &Invocation,
    ) -> Result<Response<Bytes>, HandleError> {
        let app = self.around(app, false, invocation);
        Ok(call_limited(app, request, invocation.answer_limit()).await?)
    }

    fn around<S>(
        &self,
        app: S,
        http_event: bool,
        invocation: &Invocation,
    ) -> Deadline<InvocationHeaders<S>> {
        let lwa_context = http_event && self.config.http().lwa_context_headers();
        ServiceBuilder::new()
            .layer(invocation.deadline_layer())
            .layer(invocation.headers_layer(lwa_context))
            .service(app)
    }

    /// An HTTP event's reply, in its source's shape.
    fn http_reply(&self, shape: ReplyShape, response: Response<Bytes>) -> Reply {
        let reply = passthrough::reply(&shape, &response, self.config.http());
        Reply::Http { response, reply }
    }
}

/// At most two lines at the default level for a batch whose records were not
/// all taken: how many failed and how many the app dropped, each with the
/// first one's reason.
fn log_records(rule: &Rule, deliveries: &[(usize, Delivery)], invocation: &Invocation) {
    let request_id = invocation.request_id.as_deref().unwrap_or_default();
    let (mut failed, mut dropped) = (Vec::new(), Vec::new());
    for (index, delivery) in deliveries {
        match delivery {
            Delivery::Failed(reason) => failed.push((*index, reason.as_str())),
            Delivery::Dropped(reason) => dropped.push((*index, reason.as_str())),
            Delivery::Done(_) | Delivery::HeldBack => {}
        }
    }
    let outcomes = [
        (failed, "batch records failed"),
        (
            dropped,
            "batch records dropped by the app, acknowledged and never retried",
        ),
    ];
    for (records, what) in outcomes {
        if let Some((index, reason)) = records.first() {
            tracing::warn!(
                requestId = request_id,
                rule = rule.name(),
                count = records.len(),
                records = deliveries.len(),
                "{what} (first: record {index}: {reason})"
            );
        }
    }
}

/// A custom resource's result, whatever the app's answer was: CloudFormation
/// must hear of every outcome, or its stack waits an hour.
fn cloudformation_document(
    event: &Event,
    answer: &Result<Response<Bytes>, AppError>,
) -> serde_json::Value {
    match answer {
        Ok(response) => cloudformation::document(
            event.json(),
            Ok((response.status().as_u16(), response.body().as_ref())),
        ),
        Err(err) => cloudformation::document(event.json(), Err(err.to_string())),
    }
}

/// What [`Handler::open_stream`] hands back.
pub(crate) enum Streamed<B> {
    /// An HTTP event's response, as it starts to arrive.
    Http(Response<B>),
    /// Any other event's whole reply.
    Whole(Reply),
}
