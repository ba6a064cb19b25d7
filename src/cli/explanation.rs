//! An explanation as JSON, for `ceh explain --format json` and `--ndjson`.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::json;

use cloud_events_handler::describe::RequestDescription;
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
        let extra = usize::from(refusal.is_some()) + usize::from(answer.is_some());
        let mut map = serializer.serialize_map(Some(4 + extra))?;
        map.serialize_entry("rule", rule.name())?;
        map.serialize_entry("kind", rule.kind())?;
        map.serialize_entry("reply", &rule.reply().to_string())?;
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
