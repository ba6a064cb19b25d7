//! The plan: what an event becomes before the app is called. One plan serves
//! `ceh explain`, `ceh invoke`, the Lambda loop and `ceh serve` alike, so what
//! `explain` shows is exactly what the app would get, refusals included.

use std::sync::OnceLock;

use bytes::Bytes;
use http::{Request, Response, StatusCode};

use crate::classify::{ClassifyError, Match};
use crate::config::Config;
use crate::error::HandleError;
use crate::event::Event;
use crate::passthrough::{self, HttpFormat, ReplyShape};
use crate::request::{self, synthesize, SynthesizeError};
use crate::rule::{budget, metered, BatchSpec, EventReply, Meter, Overrun, Record, Route, Rule};

/// What an event becomes: the rule it matched, and the requests the app
/// receives (none for a warm-up ping or a refused HTTP event).
///
/// ```
/// use cloud_events_handler::{Config, Event, Handler};
///
/// let handler = Handler::new(Config::default());
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "1"}},
///                                               {"eventSource": "aws:kinesis", "kinesis": {"sequenceNumber": "2"}}]}"#)?;
/// let plan = handler.explain(&event)?;
/// assert_eq!(plan.rule().name(), "kinesis");
/// assert_eq!(plan.requests().len(), 2, "one request per record");
/// assert!(plan.refusal().is_none());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Plan<'h, 'e> {
    rule: &'h Rule,
    pub(crate) action: Action<'h, 'e>,
}

/// What is done with the event, as the rule's route decided.
#[derive(Debug)]
pub(crate) enum Action<'h, 'e> {
    /// Answered without calling the app.
    Ignore,
    /// Answered by ceh with this JSON, without calling the app.
    Answer(serde_json::Value),
    /// One request to an event route, replied to as `reply` says
    /// (never `Batch` or `Ignore`: those have actions of their own).
    Send {
        request: Request<Bytes>,
        reply: &'h EventReply,
    },
    /// One request per record, in record order, each built when it is
    /// needed: all at once only when they are shown, one per record in
    /// flight when they are sent.
    Batch(Batch<'h, 'e>),
    /// An HTTP event's own request.
    PassThrough {
        request: Request<Bytes>,
        shape: ReplyShape,
    },
    /// An HTTP request the Azure Functions host forwarded as it came
    /// (host.json's `enableForwardingHttpRequest`), to the app as it is.
    Forward { request: Request<Bytes> },
    /// An HTTP event ceh answers itself, without calling the app.
    Refuse {
        response: Response<Bytes>,
        shape: ReplyShape,
    },
}

impl<'h, 'e> Plan<'h, 'e> {
    /// The rule the event matched.
    pub fn rule(&self) -> &'h Rule {
        self.rule
    }

    /// The requests the app receives, in order: one, one per batch record, or none.
    pub fn requests(&self) -> &[Request<Bytes>] {
        match &self.action {
            Action::Send { request, .. }
            | Action::PassThrough { request, .. }
            | Action::Forward { request } => std::slice::from_ref(request),
            Action::Batch(batch) => batch.requests(),
            Action::Ignore | Action::Answer(_) | Action::Refuse { .. } => &[],
        }
    }

    /// The JSON ceh answers the event with itself, for a `reply = "answer"` rule.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let event = Event::from_slice(br#"[{"id": "1", "topic": "/t", "subject": "", "eventTime": "2026-12-01T00:00:00Z",
    ///     "eventType": "Microsoft.EventGrid.SubscriptionValidationEvent", "dataVersion": "1", "metadataVersion": "1",
    ///     "data": {"validationCode": "512d38b6"}}]"#)?;
    /// let plan = handler.explain(&event)?;
    /// assert!(plan.requests().is_empty(), "the app is not called");
    /// assert_eq!(plan.answer(), Some(&serde_json::json!({"validationResponse": "512d38b6"})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn answer(&self) -> Option<&serde_json::Value> {
        match &self.action {
            Action::Answer(answer) => Some(answer),
            _ => None,
        }
    }

    /// The answer ceh gives an HTTP event itself instead of calling the app:
    /// `400` for a request the event cannot describe (a body marked base64
    /// that is not), `404` for a client posing as an event source.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let spoof = Event::from_slice(br#"{"version": "2.0", "rawPath": "/aws.s3", "rawQueryString": "",
    ///     "headers": {}, "requestContext": {"http": {"method": "POST"}}, "isBase64Encoded": false}"#)?;
    /// let plan = handler.explain(&spoof)?;
    /// assert!(plan.requests().is_empty(), "the app's /aws.s3 handler is never called");
    /// assert_eq!(plan.refusal().map(|response| response.status().as_u16()), Some(404));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn refusal(&self) -> Option<&Response<Bytes>> {
        match &self.action {
            Action::Refuse { response, .. } => Some(response),
            _ => None,
        }
    }
}

/// Classifies `event` against `config`'s rules and builds what the app
/// receives, the queries of every rule tried sharing the event's work budget.
pub(crate) fn plan<'h, 'e>(
    config: &'h Config,
    event: &'e Event,
) -> Result<Plan<'h, 'e>, HandleError> {
    classify(config, event).plan()
}

/// An event classified against a configuration's rules, its plan still to
/// be made from that classification ([`Classified::plan`]): the rule is
/// found once, for a front end to check what it takes and for the plan.
/// The classification and the rest of the plan share the event's work
/// budget, as one [`plan`] does.
#[derive(Debug)]
pub(crate) struct Classified<'h, 'e> {
    config: &'h Config,
    event: &'e Event,
    found: Result<Match<'h, 'e>, ClassifyError>,
    /// What is left of the event's budget, and whether it ran out.
    meter: Meter,
    limit: u64,
}

/// Classifies `event` against `config`'s rules, on the event's work budget.
pub(crate) fn classify<'h, 'e>(config: &'h Config, event: &'e Event) -> Classified<'h, 'e> {
    let limit = budget(event.bytes().len());
    let mut meter = Meter::new(limit);
    let found = meter.run(|| config.rules().classify(event));
    Classified {
        config,
        event,
        found,
        meter,
        limit,
    }
}

impl<'h, 'e> Classified<'h, 'e> {
    /// The rule the plan is made under; `None` when none matched, or when a
    /// query ran out of the budget (the plan refuses the event then).
    pub(crate) fn rule(&self) -> Option<&'h Rule> {
        match &self.found {
            Ok(found) if !self.meter.ran_out() => Some(found.rule()),
            _ => None,
        }
    }

    /// The event classified.
    pub(crate) fn event(&self) -> &'e Event {
        self.event
    }

    /// What the event becomes under the rule found: [`plan`]'s answer.
    pub(crate) fn plan(self) -> Result<Plan<'h, 'e>, HandleError> {
        let Self {
            config,
            event,
            found,
            mut meter,
            limit,
        } = self;
        let planned = meter.run(|| unmetered(config, event, found));
        match meter.into_overrun() {
            None => planned,
            Some(overrun) => Err(too_costly(overrun, planned.ok().map(|p| p.rule), limit).into()),
        }
    }
}

/// The refusal of an event one of whose queries ran out of its budget.
fn too_costly(overrun: Overrun, matched: Option<&Rule>, limit: u64) -> SynthesizeError {
    let rule = overrun
        .rule
        .map(String::from)
        .or_else(|| matched.map(|rule| rule.name().to_owned()))
        .unwrap_or_default();
    SynthesizeError::TooCostly {
        rule,
        query: overrun.query.into(),
        limit,
    }
}

/// [`Classified::plan`], without the budget.
fn unmetered<'h, 'e>(
    config: &'h Config,
    event: &'e Event,
    found: Result<Match<'h, 'e>, ClassifyError>,
) -> Result<Plan<'h, 'e>, HandleError> {
    let found = found?;
    let rule = found.rule();
    let action = match rule.route() {
        Route::Http(format) => pass_through(config, *format, event)?,
        Route::Event {
            reply: EventReply::Ignore,
            ..
        } => Action::Ignore,
        Route::Event {
            reply: EventReply::Batch(spec),
            ..
        } => batch(config, found, spec, event)?,
        Route::Event {
            reply: EventReply::Answer(answer),
            ..
        } => {
            // A handshake comes alone: answering it would acknowledge the events
            // after it, which the app never saw.
            if let Some(more) = items_after_the_first(event) {
                return Err(SynthesizeError::NotAlone {
                    rule: rule.name().to_owned(),
                    more,
                }
                .into());
            }
            Action::Answer(answer.render(found.json()))
        }
        Route::Event { reply, .. } => Action::Send {
            request: synthesize(&found, event, config.environment())?,
            reply,
        },
    };
    Ok(Plan { rule, action })
}

/// How many items an event that is a JSON array has after its first, when it
/// has any: what a subscription handshake must not come with.
pub(crate) fn items_after_the_first(event: &Event) -> Option<usize> {
    serde_json::from_slice::<Vec<&serde_json::value::RawValue>>(event.bytes())
        .ok()?
        .len()
        .checked_sub(1)
        .filter(|more| *more > 0)
}

/// An HTTP event: its own request, or ceh's refusal of it.
fn pass_through<'h, 'e>(
    config: &Config,
    format: HttpFormat,
    event: &Event,
) -> Result<Action<'h, 'e>, HandleError> {
    let passed = match passthrough::request(format, event, config.http()) {
        Ok(passed) => passed,
        // A request the event cannot describe is the client's fault: a 400, not an invocation error.
        Err(err) if err.is_bad_request() => {
            return Ok(Action::Refuse {
                response: refusal(format, StatusCode::BAD_REQUEST, format!("{err}\n"))?,
                shape: ReplyShape::of(format, event.json()),
            })
        }
        Err(err) => return Err(err.into()),
    };
    if let Some(message) = posing_as_event_source(config, passed.request.uri().path()) {
        return Ok(Action::Refuse {
            response: refusal(format, StatusCode::NOT_FOUND, message)?,
            shape: passed.shape,
        });
    }
    Ok(Action::PassThrough {
        request: passed.request,
        shape: passed.shape,
    })
}

/// Why an HTTP request at `path` does not reach the app: a client must not
/// pose as an event source, and event routes are ceh's (unless `[http]`
/// says `allow_event_routes = true`). The message ends with a newline.
fn posing_as_event_source(config: &Config, path: &str) -> Option<String> {
    (!config.http().allow_event_routes() && config.is_event_route(path)).then(|| {
        format!("{path} is an event route, not reachable over HTTP; set allow_event_routes = true in [http] to allow it\n")
    })
}

/// What a request the Azure Functions host forwards as it came becomes
/// (`ceh functions` with host.json's `enableForwardingHttpRequest`): the
/// request itself, or the 404 refusing one at an event route, as an HTTP
/// event at that route is refused.
pub(crate) fn forward<'h>(
    config: &Config,
    request: Request<Bytes>,
) -> Result<Action<'h, 'static>, HandleError> {
    const FORMAT: HttpFormat = HttpFormat::AzureFunctions;
    Ok(match posing_as_event_source(config, request.uri().path()) {
        Some(message) => Action::Refuse {
            response: refusal(FORMAT, StatusCode::NOT_FOUND, message)?,
            shape: ReplyShape::new(FORMAT),
        },
        None => Action::Forward { request },
    })
}

impl<'h> Plan<'h, 'static> {
    /// The plan of an HTTP request the Azure Functions host forwards as it
    /// came (`ceh functions` with host.json's `enableForwardingHttpRequest`):
    /// the request itself, or the 404 refusing one at an event route, under
    /// the first rule that takes the host's HTTP triggers (`format =
    /// "azure-functions"`); `None` when the table has none. What `ceh
    /// functions` sends is this plan's request.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Plan};
    ///
    /// let config = Config::default();
    /// let request = http::Request::get("/api/orders").body(bytes::Bytes::new())?;
    /// let plan = Plan::forwarded(&config, request).ok_or("a built-in rule takes HTTP triggers")??;
    /// assert_eq!(plan.rule().name(), "azure-functions-http");
    /// assert_eq!(plan.requests()[0].uri().path(), "/api/orders");
    /// let posing = http::Request::post("/azure.queue").body(bytes::Bytes::new())?;
    /// let plan = Plan::forwarded(&config, posing).ok_or("a built-in rule takes HTTP triggers")??;
    /// assert!(plan.requests().is_empty());
    /// assert_eq!(plan.refusal().map(|response| response.status().as_u16()), Some(404));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forwarded(
        config: &'h Config,
        request: Request<Bytes>,
    ) -> Option<Result<Self, HandleError>> {
        let rule = config
            .rules()
            .rules()
            .iter()
            .find(|rule| matches!(rule.route(), Route::Http(HttpFormat::AzureFunctions)))?;
        Some(forward(config, request).map(|action| Plan { rule, action }))
    }
}

/// ceh's own plain-text answer to an HTTP event.
fn refusal(
    format: HttpFormat,
    status: StatusCode,
    message: String,
) -> Result<Response<Bytes>, SynthesizeError> {
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Bytes::from(message))
        .map_err(|source| SynthesizeError::Invalid {
            rule: format.to_string(),
            source,
        })
}

/// A batch's records, the bodies they go with, and what builds their requests.
#[derive(Debug)]
pub(crate) struct Batch<'h, 'e> {
    config: &'h Config,
    event: &'e Event,
    rule: &'h Rule,
    pub(crate) spec: &'h BatchSpec,
    pub(crate) records: Vec<Record<'e>>,
    bodies: Vec<Bytes>,
    /// Every request, built when first shown.
    shown: OnceLock<Vec<Request<Bytes>>>,
}

impl Batch<'_, '_> {
    /// The request of the record at `index` (`None` past the last): on the
    /// path its own JSON gives, with the record's bytes as they stand in the
    /// event as its body.
    pub(crate) fn request(&self, index: usize) -> Option<Result<Request<Bytes>, SynthesizeError>> {
        let record = self.records.get(index)?;
        let body = self.bodies.get(index)?.clone();
        // Built when it is sent, outside the plan: on a budget of its own.
        let limit = budget(body.len());
        let (request, overrun) = metered(limit, || self.request_for(record, body));
        Some(match overrun {
            None => request,
            Some(overrun) => Err(too_costly(overrun, Some(self.rule), limit)),
        })
    }

    fn request_for(
        &self,
        record: &Record<'_>,
        body: Bytes,
    ) -> Result<Request<Bytes>, SynthesizeError> {
        let found = self.resolve(record)?;
        request::for_record(&found, record, body, self.event, self.config.environment())
    }

    /// What building the record's request would refuse, found without
    /// building it.
    fn check(&self, record: &Record<'_>, body: &Bytes) -> Result<(), SynthesizeError> {
        let found = self.resolve(record)?;
        request::check_record(&found, record, body, self.event, self.config.environment())
    }

    /// The record's values for the rule's path.
    fn resolve<'r>(&'r self, record: &Record<'r>) -> Result<Match<'r, 'r>, SynthesizeError> {
        Match::resolve(self.rule, record.json).ok_or_else(|| SynthesizeError::Unresolved {
            rule: self.rule.name().to_owned(),
            index: record.index,
            path: self
                .rule
                .path()
                .map(ToString::to_string)
                .unwrap_or_default(),
        })
    }

    /// Every record's request, in record order.
    fn requests(&self) -> &[Request<Bytes>] {
        self.shown.get_or_init(|| {
            // Each was checked when the plan was made: none fails.
            (0..self.records.len())
                .filter_map(|index| self.request(index)?.ok())
                .collect()
        })
    }
}

/// A batch: one request per record. Each record is checked here, so that a
/// record no request can be made for refuses the event before the app is
/// called; its request is built only when it is sent (or shown), so a batch
/// of 10,000 holds its records, not 10,000 requests.
fn batch<'h, 'e>(
    config: &'h Config,
    found: Match<'h, 'e>,
    spec: &'h BatchSpec,
    event: &'e Event,
) -> Result<Action<'h, 'e>, HandleError> {
    let rule = found.rule();
    let records = found.into_records();
    let limit = config.reply_policy().max_records();
    if records.len() > limit {
        return Err(HandleError::TooManyRecords {
            rule: rule.name().to_owned(),
            count: records.len(),
            limit,
        });
    }
    let bodies = spec.bodies(event, &records);
    let batch = Batch {
        config,
        event,
        rule,
        spec,
        records,
        bodies,
        shown: OnceLock::new(),
    };
    for (record, body) in batch.records.iter().zip(&batch.bodies) {
        batch.check(record, body)?;
    }
    Ok(Action::Batch(batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_classified_is_the_plans_and_none_once_the_budget_ran_out() {
        let config = Config::default();
        let event =
            Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3", "s3": {}}]}"#).unwrap();
        let classified = classify(&config, &event);
        let rule = classified.rule().map(Rule::name);
        assert_eq!(rule, Some("s3"));
        assert_eq!(classified.plan().unwrap().rule().name(), "s3");

        // Each `[*,*]` visits every node twice: 2^40 visits of a 241-byte array.
        let query = format!("${}.x", "[*,*]".repeat(40));
        let rules = format!(
            "[[rule]]\nname = \"doubling\"\npath = \"/d\"\n[rule.match]\n\"{query}\" = {{ exists = false }}\n"
        );
        let config = Config::parse("c.toml", &rules).unwrap();
        let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
        let event = Event::from_slice(deep.as_bytes()).unwrap();
        let classified = classify(&config, &event);
        assert!(
            classified.rule().is_none(),
            "no rule to check: the plan refuses the event"
        );
        let err = classified.plan().unwrap_err();
        assert!(
            matches!(&err, HandleError::Synthesize(SynthesizeError::TooCostly { rule, .. }) if rule == "doubling"),
            "{err:?}"
        );
    }
}
