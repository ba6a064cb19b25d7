//! An explanation as JSON, for `ceh explain --format json` and `--ndjson`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;

use cloud_events_handler::describe::RequestDescription;
use cloud_events_handler::rule::{TraceFormat, TraceSource};
use cloud_events_handler::Plan;

/// `{"rule", "kind", "reply", "requests": [...]}`, serialized straight
/// from the explanation (no intermediate `Value`).
pub(super) struct ExplanationJson<'a, 'h, 'e>(pub(super) &'a Plan<'h, 'e>);

impl Serialize for ExplanationJson<'_, '_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let rule = self.0.rule();
        let requests: Vec<_> = self
            .0
            .requests()
            .iter()
            .map(RequestDescription::new)
            .collect();
        let (refusal, answer) = (self.0.refusal(), self.0.answer());
        let trace = rule.trace();
        let extra = usize::from(refusal.is_some())
            + usize::from(answer.is_some())
            + usize::from(!trace.is_empty());
        let mut map = serializer.serialize_map(Some(4 + extra))?;
        map.serialize_entry("rule", rule.name())?;
        map.serialize_entry("kind", rule.kind())?;
        map.serialize_entry("reply", &rule.reply().to_string())?;
        if !trace.is_empty() {
            // Where each request's own trace context is looked for, best first.
            let sources: Vec<_> = trace.iter().map(source_json).collect();
            map.serialize_entry("trace", &sources)?;
        }
        map.serialize_entry("requests", &requests)?;
        if let Some(answer) = answer {
            map.serialize_entry("answer", answer)?;
        }
        if let Some(response) = refusal {
            let refused = json!({
                "status": response.status().as_u16(),
                "body": String::from_utf8_lossy(response.body()),
            });
            map.serialize_entry("refused", &refused)?;
        }
        map.end()
    }
}

/// A trace source as a rule file writes it: `{"traceparent", "tracestate"}` or `{"xray"}`.
fn source_json(source: &TraceSource) -> serde_json::Value {
    match source.format() {
        TraceFormat::W3c => {
            json!({"traceparent": source.path(), "tracestate": source.state_path()})
        }
        TraceFormat::XRay => json!({"xray": source.path()}),
    }
}
