//! `[[rule.trace]]`: where an event (a batch's record) carries its own trace
//! context, best source first.
//!
//! ```toml
//! [[rule.trace]]   # a W3C context the producer put in a message attribute
//! traceparent = "$.messageAttributes.traceparent.stringValue"
//! tracestate = "$.messageAttributes.tracestate.stringValue"
//! [[rule.trace]]   # else the X-Ray header SQS keeps for the message
//! xray = "$.attributes.AWSTraceHeader"
//! ```
//!
//! The first source whose value is a well-formed context wins; a malformed
//! one is passed over as if it were absent (docs/tracing.md).

use serde::Deserialize;
use serde_json::Value;

use super::query::Query;
use super::reads::Reads;
use crate::read::Need;
use crate::trace::TraceContext;

/// One `[[rule.trace]]` table as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTraceSource {
    traceparent: Option<String>,
    tracestate: Option<String>,
    xray: Option<String>,
}

/// What a trace source holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceFormat {
    /// A W3C `traceparent` (with, perhaps, a `tracestate` beside it).
    W3c,
    /// An AWS X-Ray trace header (`Root=1-…;Parent=…;Sampled=…`), converted.
    XRay,
}

/// One place an event (a batch's record) may carry its trace context: a
/// `[[rule.trace]]` table.
///
/// ```
/// use cloud_events_handler::{rule::TraceFormat, RuleTable};
///
/// let table = RuleTable::builtin();
/// let sources = table.get("sqs").ok_or("a built-in rule")?.trace();
/// assert_eq!(sources[1].format(), TraceFormat::XRay);
/// assert_eq!(sources[1].to_string(), "$.attributes.AWSTraceHeader (X-Ray)");
/// # Ok::<(), &str>(())
/// ```
#[derive(Clone, Debug)]
pub struct TraceSource {
    format: TraceFormat,
    value: Query,
    /// Only for [`TraceFormat::W3c`].
    state: Option<Query>,
}

impl TraceSource {
    /// What the source holds.
    pub fn format(&self) -> TraceFormat {
        self.format
    }

    /// The JSONPath of its value (the `traceparent`, or the X-Ray header).
    pub fn path(&self) -> &str {
        self.value.as_str()
    }

    /// The JSONPath of the `tracestate` that goes with a W3C `traceparent`.
    pub fn state_path(&self) -> Option<&str> {
        self.state.as_ref().map(Query::as_str)
    }

    /// The context the source holds in `json`, if well-formed.
    fn context(&self, json: &Value) -> Option<TraceContext> {
        let value = text(&self.value, json)?;
        match self.format {
            TraceFormat::W3c => {
                let state = self.state.as_ref().and_then(|state| text(state, json));
                TraceContext::from_w3c(value, state)
            }
            TraceFormat::XRay => TraceContext::from_xray(value),
        }
    }
}

impl std::fmt::Display for TraceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.format, &self.state) {
            (TraceFormat::W3c, Some(state)) => write!(
                f,
                "{} (traceparent; tracestate {})",
                self.path(),
                state.as_str()
            ),
            (TraceFormat::W3c, None) => write!(f, "{} (traceparent)", self.path()),
            (TraceFormat::XRay, _) => write!(f, "{} (X-Ray)", self.path()),
        }
    }
}

/// A rule's trace sources, best first.
#[derive(Clone, Debug, Default)]
pub(crate) struct TraceSpec {
    sources: Box<[TraceSource]>,
}

impl Reads for TraceSpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        for TraceSource {
            format: _,
            value,
            state,
        } in self.sources.iter()
        {
            add(value.need(Need::Shallow));
            if let Some(state) = state {
                add(state.need(Need::Shallow));
            }
        }
    }
}

impl TraceSpec {
    /// Compiles the `[[rule.trace]]` tables.
    pub(crate) fn compile(raw: Vec<RawTraceSource>) -> Result<Self, String> {
        let sources = raw
            .into_iter()
            .enumerate()
            .map(|(index, source)| compile_source(index, source))
            .collect::<Result<_, _>>()?;
        Ok(Self { sources })
    }

    /// The sources, best first.
    pub(crate) fn sources(&self) -> &[TraceSource] {
        &self.sources
    }

    /// The context of the first source that holds a well-formed one in
    /// `json` (the event, or a batch's record).
    pub(crate) fn context(&self, json: &Value) -> Option<TraceContext> {
        self.sources.iter().find_map(|source| source.context(json))
    }
}

/// The string `query` selects in `json`: the one node it selects (a query
/// that selects several holds no context).
fn text<'v>(query: &Query, json: &'v Value) -> Option<&'v str> {
    query.single(json).and_then(Value::as_str)
}

fn compile_source(index: usize, raw: RawTraceSource) -> Result<TraceSource, String> {
    let key = |name: &str| format!("key `trace[{index}].{name}`");
    let query = |name: &str, text: String| {
        Query::parse(&text).map_err(|e| format!("{}: not a valid JSONPath ({e})", key(name)))
    };
    match (raw.traceparent, raw.tracestate, raw.xray) {
        (Some(parent), state, None) => Ok(TraceSource {
            format: TraceFormat::W3c,
            value: query("traceparent", parent)?,
            state: state.map(|state| query("tracestate", state)).transpose()?,
        }),
        (None, None, Some(header)) => Ok(TraceSource {
            format: TraceFormat::XRay,
            value: query("xray", header)?,
            state: None,
        }),
        (None, Some(_), None) => Err(format!(
            "{}: a `tracestate` belongs to a `traceparent`; add `traceparent = \"$.…\"` beside it",
            key("tracestate")
        )),
        _ => Err(format!(
            "key `trace[{index}]`: write either `traceparent` (and `tracestate`) for a W3C context or `xray` for an AWS X-Ray header, one source per `[[rule.trace]]`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(toml: &str) -> Result<TraceSpec, String> {
        #[derive(Deserialize)]
        struct Rule {
            trace: Vec<RawTraceSource>,
        }
        let rule: Rule = toml::from_str(toml).map_err(|e| e.to_string())?;
        TraceSpec::compile(rule.trace)
    }

    #[test]
    fn the_first_well_formed_source_wins() {
        let spec = spec(
            r#"
            [[trace]]
            traceparent = "$.messageAttributes.traceparent.stringValue"
            tracestate = "$.messageAttributes.tracestate.stringValue"
            [[trace]]
            xray = "$.attributes.AWSTraceHeader"
            "#,
        )
        .unwrap();
        let xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let w3c = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parent = |record: Value| spec.context(&record).map(|c| c.traceparent().clone());
        let both = json!({
            "messageAttributes": {"traceparent": {"stringValue": w3c}},
            "attributes": {"AWSTraceHeader": xray},
        });
        assert_eq!(parent(both).unwrap(), w3c);
        let malformed_first = json!({
            "messageAttributes": {"traceparent": {"stringValue": "00-zz"}, "tracestate": {"stringValue": "a=1"}},
            "attributes": {"AWSTraceHeader": xray},
        });
        let converted = spec.context(&malformed_first).unwrap();
        assert_eq!(
            converted.traceparent(),
            "00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01"
        );
        // The X-Ray context has no state, and never borrows another source's.
        assert_eq!(converted.tracestate(), None);
        assert_eq!(parent(json!({"attributes": {"AWSTraceHeader": 7}})), None);
        assert_eq!(parent(json!({})), None);
    }

    #[test]
    fn each_mistake_names_its_key() {
        for (toml, says) in [
            (
                "[[trace]]\ntracestate = \"$.s\"",
                "key `trace[0].tracestate`: a `tracestate` belongs to a `traceparent`",
            ),
            (
                "[[trace]]\nxray = \"$.x\"\n[[trace]]\nxray = \"$.a\"\ntraceparent = \"$.p\"",
                "key `trace[1]`: write either",
            ),
            ("[[trace]]\n", "key `trace[0]`: write either"),
            (
                "[[trace]]\nxray = \"$.a[\"",
                "key `trace[0].xray`: not a valid JSONPath",
            ),
        ] {
            let err = spec(toml).unwrap_err();
            assert!(err.starts_with(says), "{err}");
        }
    }
}
