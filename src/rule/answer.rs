//! `[rule.answer]`: the JSON ceh answers an event with itself, without calling
//! the app, for handshakes whose reply the event already holds (Azure Event
//! Grid's subscription validation: `{"validationResponse": code}`).

use serde_json::{Map, Value};

use super::reads::Reads;
use super::template::Template;
use crate::read::Need;

/// The members of an answer, each a template read from the event.
///
/// ```
/// use cloud_events_handler::{rule::EventReply, rule::Route, RuleTable};
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let Some(Route::Event { reply: EventReply::Answer(answer), .. }) =
///     table.get("eventgrid-validation").map(|rule| rule.route())
/// else {
///     return Err("eventgrid-validation answers by itself".into());
/// };
/// let event = json!([{"eventType": "Microsoft.EventGrid.SubscriptionValidationEvent",
///                     "data": {"validationCode": "512d38b6"}}]);
/// assert_eq!(answer.render(&event), json!({"validationResponse": "512d38b6"}));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct AnswerSpec {
    members: Box<[(String, Template)]>,
}

impl Reads for AnswerSpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let AnswerSpec { members } = self;
        for (_, template) in members.iter() {
            template.reads(add);
        }
    }
}

impl AnswerSpec {
    /// Compiles `[rule.answer]`: each key a member, each value a template.
    pub(crate) fn compile(table: toml::Table) -> Result<Self, String> {
        if table.is_empty() {
            return Err("key `answer` is empty: write the members of the answer, e.g. [rule.answer] validationResponse = \"{$[0].data.validationCode}\"".into());
        }
        let members = table
            .into_iter()
            .map(|(key, value)| {
                let text = value.as_str().ok_or_else(|| {
                    format!("key `answer.{key}`: the value must be a string (a template such as \"{{$.id}}\")")
                })?;
                let template =
                    Template::parse(text).map_err(|p| format!("key `answer.{key}`: {p}"))?;
                Ok((key, template))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self { members })
    }

    /// The answer for `event`: each member's template rendered from it, or
    /// `null` where the event lacks what it reads.
    pub fn render(&self, event: &Value) -> Value {
        let members: Map<String, Value> = self
            .members
            .iter()
            .map(|(key, template)| {
                let value = template
                    .render_raw(event)
                    .map_or(Value::Null, Value::String);
                (key.clone(), value)
            })
            .collect();
        Value::Object(members)
    }
}
