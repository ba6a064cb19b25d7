//! One compiled rule: what it recognises, and where the events it matches go.

use std::sync::Arc;

use http::{HeaderName, Method};

use super::batch::BatchSpec;
use super::body::BodySpec;
use super::cloudevent::CloudEventSpec;
use super::metadata::MetadataSpec;
use super::predicate::Predicate;
use super::reads::{attributes, Reads};
use super::reserved::ReservedRoutes;
use super::route::{EventReply, ReplyMode, Route};
use super::template::Template;
use super::trace::{TraceSource, TraceSpec};
use super::written::Origin;
use crate::read::{Need, RuleReads};

/// One compiled rule: predicates that recognise an event, and the request it becomes.
///
/// ```
/// use cloud_events_handler::{rule::ReplyMode, RuleTable};
///
/// let table = RuleTable::builtin();
/// let sqs = table.get("sqs").unwrap();
/// assert_eq!(sqs.reply(), ReplyMode::Batch);
/// assert_eq!(sqs.origin().file.as_ref(), "rules/records.toml");
/// assert!(sqs.matches(&serde_json::json!({"Records": [{"eventSource": "aws:sqs"}]})));
/// ```
#[derive(Clone, Debug)]
pub struct Rule {
    pub(crate) name: Box<str>,
    pub(crate) description: Box<str>,
    pub(crate) origin: Origin,
    pub(crate) route: Route,
    pub(crate) method: Option<Method>,
    pub(crate) headers: Box<[(HeaderName, Template)]>,
    pub(crate) predicates: Box<[Predicate]>,
    pub(crate) cloudevent: CloudEventSpec,
    pub(crate) validate_cloudevent: bool,
    /// `body`: the node of the event (or record) that is the request body.
    pub(crate) body: Option<BodySpec>,
    /// `metadata`: the node of the event sent as `ceh-metadata`.
    pub(crate) metadata: Option<MetadataSpec>,
    /// `[[rule.trace]]`: where an event (a record) carries its trace context.
    pub(crate) trace: TraceSpec,
    /// The rule's name as the `ceh-rule` header value, built once.
    pub(crate) name_header: http::HeaderValue,
    /// For a templated event path, the table's reserved routes, which no
    /// value may make it produce (set when the table is built).
    pub(crate) reserved: Option<Arc<ReservedRoutes>>,
}

impl Rule {
    /// The rule's unique name, sent to the app in the `ceh-rule` header.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3"}]}"#)?;
    /// let explained = handler.explain(&event)?;
    /// assert_eq!(explained.rule().name(), "s3");
    /// assert_eq!(explained.requests()[0].headers()["ceh-rule"], "s3");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The one-line description from the rule file.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("s3").map(|rule| rule.description()), Some("S3 event notification"));
    /// ```
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Where the rule was written.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "\n[[rule]]\nname = \"orders\"\npath = \"/orders\"\n[rule.match]\n\"$.source\" = \"shop\"\n")?;
    /// let origin = config.rules().get("orders").ok_or("the file's rule")?.origin();
    /// assert_eq!(origin.to_string(), "ceh.toml:2");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The route or pass-through the rule leads to.
    ///
    /// ```
    /// use cloud_events_handler::{rule::Route, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let route = table.get("eventbridge").ok_or("a built-in rule")?.route();
    /// assert!(matches!(route, Route::Event { path, .. } if path.as_str() == "/{$.source}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn route(&self) -> &Route {
        &self.route
    }

    /// The event route's path; `None` for an HTTP rule.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("s3").and_then(|rule| rule.path()).map(|path| path.as_str()), Some("/aws.s3"));
    /// assert!(table.get("alb").and_then(|rule| rule.path()).is_none());
    /// ```
    pub fn path(&self) -> Option<&Template> {
        match &self.route {
            Route::Event { path, .. } => Some(path),
            Route::Http(_) => None,
        }
    }

    /// Event route or HTTP pass-through, as a rule file's `kind` says it:
    /// `"event"` or `"http"` (the fact itself is the [`Route`]).
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("s3").map(|rule| rule.kind()), Some("event"));
    /// assert_eq!(table.get("apigateway-v2").map(|rule| rule.kind()), Some("http"));
    /// ```
    pub fn kind(&self) -> &'static str {
        match self.route {
            Route::Event { .. } => "event",
            Route::Http(_) => "http",
        }
    }

    /// The method the rule asks for, if it sets one (otherwise the environment's).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", r#"
    ///     [[rule]]
    ///     name = "orders"
    ///     path = "/orders"
    ///     method = "PUT"
    ///     [rule.match]
    ///     "$.source" = "shop"
    /// "#)?;
    /// assert_eq!(config.rules().get("orders").and_then(|rule| rule.method()), Some(&http::Method::PUT));
    /// assert_eq!(config.rules().get("s3").and_then(|rule| rule.method()), None);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn method(&self) -> Option<&Method> {
        self.method.as_ref()
    }

    /// The reply the event source gets.
    ///
    /// ```
    /// use cloud_events_handler::{rule::ReplyMode, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("cognito-user-pool").map(|rule| rule.reply()), Some(ReplyMode::Body));
    /// ```
    pub fn reply(&self) -> ReplyMode {
        match &self.route {
            Route::Event { reply, .. } => reply.mode(),
            Route::Http(_) => ReplyMode::Http,
        }
    }

    /// Extra request headers, with templated values.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", r#"
    ///     [[rule]]
    ///     name = "orders"
    ///     path = "/orders"
    ///     headers = { "x-order-id" = "{$.detail.id}" }
    ///     [rule.match]
    ///     "$.source" = "shop"
    /// "#)?;
    /// let headers = config.rules().get("orders").ok_or("the file's rule")?.headers();
    /// assert_eq!((headers[0].0.as_str(), headers[0].1.as_str()), ("x-order-id", "{$.detail.id}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn headers(&self) -> &[(HeaderName, Template)] {
        &self.headers
    }

    /// The predicates, all of which must hold.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// let predicates = table.get("s3").ok_or("a built-in rule")?.predicates();
    /// assert_eq!(predicates[0].to_string(), r#"$.Records[0].eventSource == "aws:s3""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn predicates(&self) -> &[Predicate] {
        &self.predicates
    }

    /// How records are found, for `reply = "batch"` rules.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("sqs").and_then(|rule| rule.batch()).ok_or("sqs is a batch rule")?;
    /// assert_eq!(spec.to_string(), "records $.Records[*] by $.messageId, ordered per $.attributes.MessageGroupId");
    /// assert!(table.get("s3").and_then(|rule| rule.batch()).is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn batch(&self) -> Option<&BatchSpec> {
        match &self.route {
            Route::Event {
                reply: EventReply::Batch(spec),
                ..
            } => Some(spec),
            _ => None,
        }
    }

    /// How the rule's requests are described as CloudEvents.
    ///
    /// ```
    /// use cloud_events_handler::{cloudevent::Mode, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("cloudevents").ok_or("a built-in rule")?.cloudevent().mode(), Mode::Forward);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cloudevent(&self) -> &CloudEventSpec {
        &self.cloudevent
    }

    /// Whether matched events must be valid CloudEvents (`validate = "cloudevent"`).
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("cloudevents").map(|rule| rule.validates_cloudevents()), Some(true));
    /// assert_eq!(table.get("s3").map(|rule| rule.validates_cloudevents()), Some(false));
    /// ```
    pub fn validates_cloudevents(&self) -> bool {
        self.validate_cloudevent
    }

    /// The `body` key: the JSONPath of the node that is the request body,
    /// when the body is not the whole event (or record).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[[rule]]\nname = \"q\"\npath = \"/q\"\nbody = \"$.Data.*\"\n")?;
    /// assert_eq!(config.rules().get("q").and_then(|rule| rule.body()), Some("$.Data.*"));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn body(&self) -> Option<&str> {
        self.body.as_ref().map(|spec| spec.query().as_str())
    }

    /// The `metadata` key: the JSONPath of the node sent as compact JSON in `ceh-metadata`.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[[rule]]\nname = \"q\"\npath = \"/q\"\nmetadata = \"$.Metadata\"\n")?;
    /// assert_eq!(config.rules().get("q").and_then(|rule| rule.metadata()), Some("$.Metadata"));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_ref().map(|spec| spec.query().as_str())
    }

    /// Where an event (a batch's record) carries its own trace context, best
    /// first (`[[rule.trace]]`); empty when only the delivery's context is used.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// let sources = table.get("cloudevents").ok_or("a built-in rule")?.trace();
    /// assert_eq!(sources[0].to_string(), "$.traceparent (traceparent; tracestate $.tracestate)");
    /// assert!(table.get("s3").ok_or("a built-in rule")?.trace().is_empty());
    /// # Ok::<(), &str>(())
    /// ```
    pub fn trace(&self) -> &[TraceSource] {
        self.trace.sources()
    }

    /// Whether every predicate holds for this event JSON.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    /// use serde_json::json;
    ///
    /// let table = RuleTable::builtin();
    /// let s3 = table.get("s3").ok_or("a built-in rule")?;
    /// assert!(s3.matches(&json!({"Records": [{"eventSource": "aws:s3"}]})));
    /// assert!(!s3.matches(&json!({"Records": [{"eventSource": "aws:sqs"}]})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn matches(&self, json: &serde_json::Value) -> bool {
        let holds = self.predicates.iter().all(|p| p.holds(json));
        // A query that ran out of the event's work budget was this rule's.
        super::eval::blame(&self.name);
        holds
    }
}

impl Rule {
    /// What the rule reads of an event: its predicates while classifying,
    /// its requests' (and answer's) parts once it has matched.
    pub(crate) fn reads(&self) -> RuleReads {
        // Every field named: one added here is a compile error until it is
        // read below or said to read nothing.
        let Rule {
            name: _,
            description: _,
            origin: _,
            route,
            method: _,
            headers,
            predicates,
            cloudevent,
            validate_cloudevent,
            body,
            metadata,
            trace,
            name_header: _,
            reserved: _,
        } = self;
        let mut reads = RuleReads::default();
        for predicate in predicates.iter() {
            predicate.reads(&mut |need| reads.test(need));
        }
        // What each request reads of its event, or of its record.
        let request = |add: &mut dyn FnMut(Need)| {
            headers.reads(add);
            cloudevent.reads(add);
            body.reads(add);
            metadata.reads(add);
            trace.reads(add);
            if *validate_cloudevent {
                add(attributes());
            }
        };
        let (path, reply) = match route {
            // A passed-through request carries every field of the event.
            Route::Http(_) => {
                reads.read(Need::All);
                return reads;
            }
            Route::Event { path, reply } => (path, reply),
        };
        match reply {
            EventReply::Batch(spec) => {
                // Each record's requests read the record, wherever the records are.
                let mut record = Need::Shallow;
                let mut add = |need: Need| record.merge(need);
                request(&mut add);
                path.reads(&mut add);
                spec.reads(&mut add);
                reads.read(spec.records_need(record));
                if let Some(need) = spec.json_text_need() {
                    // The predicates read the records' list once decoded.
                    reads.test(need);
                }
            }
            EventReply::Answer(answer) => {
                let mut add = |need: Need| reads.read(need);
                request(&mut add);
                path.reads(&mut add);
                answer.reads(&mut add);
            }
            // A custom resource's reply echoes the event's own fields.
            EventReply::CloudFormation => reads.read(Need::All),
            EventReply::Dict | EventReply::Body | EventReply::Ignore => {
                let mut add = |need: Need| reads.read(need);
                request(&mut add);
                path.reads(&mut add);
            }
        }
        reads
    }
}
