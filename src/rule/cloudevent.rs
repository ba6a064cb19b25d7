//! `[rule.cloudevent]`: how a rule describes its requests as CloudEvents.

use std::borrow::Cow;
use std::sync::OnceLock;

use http::{HeaderMap, HeaderValue};
use serde::Deserialize;
use serde_json::Value;

use super::reads::Reads;
use super::template::Template;
use crate::cloudevent::{
    digest, digest_value, Attributes, Derivation, Mapped, Mode, CE_ID, CE_SOURCE, CE_SPECVERSION,
    CE_SUBJECT, CE_TIME, CE_TYPE,
};
use crate::escape::ce_header_value as ce_value;
use crate::read::Need;

/// How a rule describes its events as CloudEvents (`[rule.cloudevent]`).
///
/// Each attribute is a template read from the event (or, in a batch, from
/// the record). An attribute whose template does not resolve takes its
/// default: `id` a digest of the event's bytes, so a retried event keeps its
/// id; `source` `ceh:<rule>`; `type` `ceh.<rule>`; `time` and `subject` none.
///
/// ```
/// use cloud_events_handler::{cloudevent::Mode, RuleTable};
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("sqs").ok_or("a built-in rule")?.cloudevent();
/// let record = json!({"messageId": "m1", "eventSourceARN": "arn:aws:sqs:eu-west-1:1:orders"});
/// let attributes = spec.attributes("sqs", &record, b"{}");
/// assert_eq!((attributes.id.as_str(), attributes.kind.as_str()), ("m1", "aws.sqs.message"));
/// assert_eq!(spec.mode(), Mode::Binary);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CloudEventSpec {
    id: Option<Template>,
    source: Option<Template>,
    kind: Option<Template>,
    time: Option<Template>,
    subject: Option<Template>,
    mode: Mode,
    /// A documented mapping that gives the attributes its templates leave out.
    derive: Option<Derivation>,
    /// `ce-source` and `ce-type` when their templates do not resolve, built
    /// for the rule's first event that needs them rather than on every
    /// event, or for every rule at start.
    default_source: OnceLock<HeaderValue>,
    default_kind: OnceLock<HeaderValue>,
}

/// `[rule.cloudevent]` as written.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawCloudEvent {
    id: Option<String>,
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    time: Option<String>,
    subject: Option<String>,
    mode: Option<Mode>,
    derive: Option<Derivation>,
}

impl Reads for CloudEventSpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let CloudEventSpec {
            id,
            source,
            kind,
            time,
            subject,
            mode: _,
            derive,
            default_source: _,
            default_kind: _,
        } = self;
        for template in [id, source, kind, time, subject] {
            template.reads(add);
        }
        if derive.is_some() {
            // A documented mapping may read anywhere.
            add(Need::All);
        }
    }
}

impl CloudEventSpec {
    /// Compiles `[rule.cloudevent]`; the defaults, which carry the rule's
    /// name, are made when first needed.
    pub(crate) fn compile(raw: RawCloudEvent) -> Result<Self, String> {
        let template = |key: &str, text: Option<String>| {
            text.map(|t| Template::parse(&t).map_err(|e| format!("key `cloudevent.{key}`: {e}")))
                .transpose()
        };
        Ok(Self {
            id: template("id", raw.id)?,
            source: template("source", raw.source)?,
            kind: template("type", raw.kind)?,
            time: template("time", raw.time)?,
            subject: template("subject", raw.subject)?,
            mode: raw.mode.unwrap_or_default(),
            derive: raw.derive,
            default_source: OnceLock::new(),
            default_kind: OnceLock::new(),
        })
    }

    /// How requests carry the CloudEvent.
    ///
    /// ```
    /// use cloud_events_handler::{cloudevent::Mode, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// assert_eq!(table.get("eventbridge").ok_or("a built-in rule")?.cloudevent().mode(), Mode::Binary);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The attributes for an event (or record) `json` whose bytes are `body`.
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    /// use serde_json::json;
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("s3").ok_or("a built-in rule")?.cloudevent();
    /// // Nothing in this event resolves the s3 rule's templates: every attribute takes its default.
    /// let attributes = spec.attributes("s3", &json!({}), b"{}");
    /// assert_eq!((attributes.source.as_str(), attributes.kind.as_str()), ("ceh:s3", "ceh.s3"));
    /// assert!(attributes.id.starts_with("ceh-"));
    /// assert_eq!(attributes.id, spec.attributes("s3", &json!({}), b"{}").id, "stable across retries");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn attributes(&self, rule: &str, json: &Value, body: &[u8]) -> Attributes {
        let render = |t: &Option<Template>| {
            t.as_ref()
                .and_then(|t| t.render_raw(json))
                .filter(|v| !v.is_empty())
        };
        let Mapped {
            kind,
            source,
            subject,
        } = self.mapped(json);
        Attributes {
            id: render(&self.id).unwrap_or_else(|| digest(rule, body)),
            source: source
                .or_else(|| render(&self.source))
                .unwrap_or_else(|| format!("ceh:{rule}")),
            kind: kind
                .or_else(|| render(&self.kind))
                .unwrap_or_else(|| format!("ceh.{rule}")),
            // `time` is optional, and must be RFC 3339: a source's other formats are left out.
            time: render(&self.time).filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
            subject: subject.or_else(|| render(&self.subject)),
        }
    }

    /// Adds the binary-mode headers straight from the event, as
    /// `self.attributes(…).add_headers(…)` would, without building the
    /// attributes first: defaults are cloned, not formatted, and values
    /// borrowed from the event are copied once.
    pub(crate) fn add_headers(
        &self,
        rule: &str,
        json: &Value,
        body: &[u8],
        headers: &mut HeaderMap,
    ) {
        let render = |t: &Option<Template>| {
            t.as_ref()
                .and_then(|t| t.render(json))
                .filter(|v| !v.is_empty())
        };
        let mapped = self.mapped(json);
        headers.insert(CE_SPECVERSION, HeaderValue::from_static("1.0"));
        let id = render(&self.id).map_or_else(|| digest_value(rule, body), ce_value);
        headers.insert(CE_ID, id);
        let source = mapped
            .source
            .map(Cow::Owned)
            .or_else(|| render(&self.source))
            .map_or_else(
                || default(&self.default_source, || format!("ceh:{rule}")),
                ce_value,
            );
        headers.insert(CE_SOURCE, source);
        let kind = mapped
            .kind
            .map(Cow::Owned)
            .or_else(|| render(&self.kind))
            .map_or_else(
                || default(&self.default_kind, || format!("ceh.{rule}")),
                ce_value,
            );
        headers.insert(CE_TYPE, kind);
        if let Some(time) =
            render(&self.time).filter(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok())
        {
            headers.insert(CE_TIME, ce_value(time));
        }
        if let Some(subject) = mapped
            .subject
            .map(Cow::Owned)
            .or_else(|| render(&self.subject))
        {
            headers.insert(CE_SUBJECT, ce_value(subject));
        }
    }

    /// What the rule's mapping, if it has one, gives this event.
    fn mapped(&self, json: &Value) -> Mapped {
        self.derive
            .map(|derivation| derivation.apply(json))
            .unwrap_or_default()
    }
}

/// A default attribute of the rule's, made on first use (rule names are
/// always valid header values, so it is never escaped in practice).
fn default(slot: &OnceLock<HeaderValue>, text: impl FnOnce() -> String) -> HeaderValue {
    slot.get_or_init(|| ce_value(Cow::Owned(text()))).clone()
}
