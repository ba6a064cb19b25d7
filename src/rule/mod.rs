//! The rule table: what an event is, and where it goes.
//!
//! Rules are written in TOML (see `docs/rules.md`), compiled once by
//! [`RuleTable::builtin`] or [`Config`](crate::Config) into a [`RuleTable`], and
//! tried in order by [`RuleTable::classify`](crate::RuleTable::classify).

mod builtin;
mod compile;
mod dispatch;
mod error;
mod predicate;
mod query;
mod raw;
mod template;

use std::fmt;

use http::{HeaderName, Method};

pub use builtin::BUILTIN_FILES;
pub use error::{LoadError, Origin};
pub use predicate::{Predicate, Test};
pub use query::Query;
pub use template::{Part, Template, MAX_TEMPLATE_LEN};

pub(crate) use builtin::{builtin_rules, default_fallback};
pub(crate) use compile::{compile_embedded, compile_rules, fallback_rule, RawFallback};
pub(crate) use error::{checked, expected, line_of, read_table, unknown_key};

/// One compiled rule: predicates that recognise an event, and the request it becomes.
///
/// ```
/// use cloud_events_handler::{ReplyMode, RuleTable};
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
    pub(crate) target: Target,
    pub(crate) method: Option<Method>,
    pub(crate) reply: ReplyMode,
    pub(crate) headers: Box<[(HeaderName, Template)]>,
    pub(crate) predicates: Box<[Predicate]>,
    pub(crate) batch: Option<crate::batch::BatchSpec>,
    pub(crate) cloudevent: crate::cloudevent::CloudEventSpec,
    pub(crate) validate_cloudevent: bool,
    /// The rule's name as the `ceh-rule` header value, built once.
    pub(crate) name_header: http::HeaderValue,
}

/// What a matched event becomes.
///
/// ```
/// use cloud_events_handler::rule::{HttpFormat, Target};
/// use cloud_events_handler::RuleTable;
///
/// let table = RuleTable::builtin();
/// assert!(matches!(table.get("s3").unwrap().target(), Target::Event(path) if path.as_str() == "/aws.s3"));
/// assert!(matches!(table.get("alb").unwrap().target(), Target::Http(HttpFormat::Alb)));
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Target {
    /// An event route: a request to this path (static or templated).
    Event(Template),
    /// An HTTP event (API Gateway, ALB, …) that passes through as the request it describes.
    Http(HttpFormat),
}

/// Whether a rule describes an event to route or an HTTP request to pass through.
///
/// ```
/// use cloud_events_handler::{Kind, RuleTable};
///
/// let table = RuleTable::builtin();
/// assert_eq!(table.get("s3").map(|rule| rule.kind()), Some(Kind::Event));
/// assert_eq!(table.get("alb").map(|rule| rule.kind()), Some(Kind::Http));
/// assert_eq!(Kind::Http.to_string(), "http");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// A non-HTTP event, sent to the app as `POST <path>` with the event as body.
    Event,
    /// An HTTP request carried in an event, passed through as that request.
    Http,
}

/// The shape of an HTTP event, for `kind = "http"` rules.
///
/// ```
/// use cloud_events_handler::rule::{HttpFormat, Target};
/// use cloud_events_handler::RuleTable;
///
/// let table = RuleTable::builtin();
/// let target = table.get("function-url").map(|rule| rule.target());
/// assert!(matches!(target, Some(Target::Http(HttpFormat::FunctionUrl))));
/// assert_eq!(HttpFormat::ApiGatewayV2.to_string(), "api-gateway-v2");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HttpFormat {
    /// API Gateway REST API proxy integration (payload format 1.0).
    ApiGatewayV1,
    /// API Gateway HTTP API (payload format 2.0).
    ApiGatewayV2,
    /// Application Load Balancer target.
    Alb,
    /// Lambda function URL (payload format 2.0).
    FunctionUrl,
    /// API Gateway WebSocket API.
    Websocket,
    /// VPC Lattice target (v1 or v2 payload).
    VpcLattice,
}

/// What the Lambda returns to the event source once the app has answered.
///
/// ```
/// use cloud_events_handler::{ReplyMode, RuleTable};
///
/// let table = RuleTable::builtin();
/// assert_eq!(table.get("s3").map(|rule| rule.reply()), Some(ReplyMode::Dict));
/// assert_eq!(table.get("warmup").map(|rule| rule.reply()), Some(ReplyMode::Ignore));
/// assert_eq!(ReplyMode::Cloudformation.to_string(), "cloudformation");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ReplyMode {
    /// `{"status_code", "body", "headers"}` — the default for event routes.
    Dict,
    /// The app's response body, parsed as JSON, is the result (synchronous triggers).
    Body,
    /// One request per record; failures reported per record (queues and streams).
    Batch,
    /// CloudFormation custom resources: the result is PUT to the event's `ResponseURL`.
    Cloudformation,
    /// Answered at once, without calling the app (warm-up pings).
    Ignore,
    /// The response in the shape the HTTP event source expects (`kind = "http"` only).
    Http,
}

impl Rule {
    /// The rule's unique name, sent to the app in the `ceh-rule` header.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Event, Handler};
    ///
    /// let handler = Handler::new(Config::default());
    /// let explained = handler.explain(&Event::from_slice(br#"{"Records": [{"eventSource": "aws:s3"}]}"#)?)?;
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
    /// use cloud_events_handler::{rule::Target, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let target = table.get("eventbridge").ok_or("a built-in rule")?.target();
    /// assert!(matches!(target, Target::Event(path) if path.as_str() == "/{$.source}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Event route or HTTP pass-through.
    ///
    /// ```
    /// use cloud_events_handler::{Kind, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("apigateway-v2").map(|rule| rule.kind()), Some(Kind::Http));
    /// ```
    pub fn kind(&self) -> Kind {
        match self.target {
            Target::Event(_) => Kind::Event,
            Target::Http(_) => Kind::Http,
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
    /// use cloud_events_handler::{ReplyMode, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("cognito-user-pool").map(|rule| rule.reply()), Some(ReplyMode::Body));
    /// ```
    pub fn reply(&self) -> ReplyMode {
        self.reply
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
    pub fn batch(&self) -> Option<&crate::batch::BatchSpec> {
        self.batch.as_ref()
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
    pub fn cloudevent(&self) -> &crate::cloudevent::CloudEventSpec {
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
        self.predicates.iter().all(|p| p.holds(json))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Event => "event",
            Kind::Http => "http",
        })
    }
}

impl fmt::Display for HttpFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HttpFormat::ApiGatewayV1 => "api-gateway-v1",
            HttpFormat::ApiGatewayV2 => "api-gateway-v2",
            HttpFormat::Alb => "alb",
            HttpFormat::FunctionUrl => "function-url",
            HttpFormat::Websocket => "websocket",
            HttpFormat::VpcLattice => "vpc-lattice",
        })
    }
}

impl fmt::Display for ReplyMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReplyMode::Dict => "dict",
            ReplyMode::Body => "body",
            ReplyMode::Batch => "batch",
            ReplyMode::Cloudformation => "cloudformation",
            ReplyMode::Ignore => "ignore",
            ReplyMode::Http => "http",
        })
    }
}

/// The ordered, compiled rules, and the fallback for events no rule matches.
///
/// ```
/// use cloud_events_handler::{Event, RuleTable};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "body": "hi"}]}"#)?;
/// assert_eq!(table.classify(&event)?.rule().name(), "sqs");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuleTable {
    pub(crate) rules: Vec<Rule>,
    pub(crate) fallback: Option<Rule>,
    pub(crate) dispatch: dispatch::Dispatch,
}

impl RuleTable {
    /// A table of `rules`, tried in order, and the fallback (`None`: reject).
    pub(crate) fn new(rules: Vec<Rule>, fallback: Option<Rule>) -> Self {
        let dispatch = dispatch::Dispatch::new(&rules);
        Self {
            rules,
            fallback,
            dispatch,
        }
    }

    /// The rules in the order they are tried (the fallback not included).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", r#"
    ///     [[rule]]
    ///     name = "orders"
    ///     path = "/orders"
    ///     [rule.match]
    ///     "$.source" = "shop"
    /// "#)?;
    /// assert_eq!(config.rules().rules()[0].name(), "orders", "the file's rules come first");
    /// assert!(config.rules().rules().iter().all(|rule| rule.name() != "fallback"));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rule for events nothing else matches; `None` when such events are rejected.
    ///
    /// ```
    /// use cloud_events_handler::{rule::Target, Config};
    ///
    /// let config = Config::parse("ceh.toml", "[fallback]\npath = \"/unknown\"\n")?;
    /// let fallback = config.rules().fallback().ok_or("a fallback path is set")?;
    /// assert!(matches!(fallback.target(), Target::Event(path) if path.as_str() == "/unknown"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fallback(&self) -> Option<&Rule> {
        self.fallback.as_ref()
    }

    /// A rule by name, the fallback included.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("sqs").map(|rule| rule.name()), Some("sqs"));
    /// assert!(table.get("fallback").is_some());
    /// assert!(table.get("s4").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .chain(self.fallback.as_ref())
            .find(|rule| &*rule.name == name)
    }
}
