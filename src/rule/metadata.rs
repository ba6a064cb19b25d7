//! `metadata = "<JSONPath>"`: a part of the event the app gets as compact
//! JSON in the `ceh-metadata` header, beside the body.
//!
//! In a batch rule each record's request gets the metadata of its own: a
//! member whose name ends in `Array` and whose value is an array is taken to
//! run parallel to the records (as Azure Functions sends a batch's
//! `PropertiesArray`, `SequenceNumberArray`…), and record `i` gets its element
//! `i` under the name without `Array`; every other member is the same for all.

use http::HeaderValue;
use serde_json::{Map, Value};

use super::query::Query;
use super::reads::Reads;
use crate::escape::header_text;
use crate::read::Need;

/// Which node of the event is sent as `ceh-metadata` (`metadata = "$.Metadata"`).
#[derive(Clone, Debug)]
pub(crate) struct MetadataSpec {
    query: Query,
}

impl Reads for MetadataSpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let MetadataSpec { query: _ } = self;
        // What it selects goes to the app whole (the plan reads it from all
        // of the event's JSON, a batch's records included).
        add(Need::All);
    }
}

impl MetadataSpec {
    /// Compiles the `metadata` key.
    pub(crate) fn compile(text: &str) -> Result<Self, String> {
        Query::parse(text)
            .map(|query| Self { query })
            .map_err(|e| format!("key `metadata`: not a valid JSONPath ({e})"))
    }

    /// The query, as written.
    pub(crate) fn query(&self) -> &Query {
        &self.query
    }

    /// The header value for the event `json`, or for its record `record`;
    /// `None` when the query selects nothing.
    pub(crate) fn header(&self, json: &Value, record: Option<usize>) -> Option<HeaderValue> {
        let node = self.query.first(json)?;
        let text = match (record, node) {
            (Some(index), Value::Object(members)) => {
                Value::Object(of_record(members, index)).to_string()
            }
            _ => node.to_string(),
        };
        // Percent-encoded where HTTP cannot carry it, quotes kept: JSON as the app reads it.
        HeaderValue::from_str(&header_text(&text)).ok()
    }
}

/// The members of a batch's metadata that concern record `index`.
fn of_record(members: &Map<String, Value>, index: usize) -> Map<String, Value> {
    members
        .iter()
        .map(|(name, value)| match (name.strip_suffix("Array"), value) {
            (Some(single), Value::Array(items)) if !single.is_empty() => (
                single.to_owned(),
                items.get(index).cloned().unwrap_or(Value::Null),
            ),
            _ => (name.clone(), value.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_record_gets_its_element_of_each_parallel_array() {
        let spec = MetadataSpec::compile("$.Metadata").unwrap();
        let event = json!({"Metadata": {"SequenceNumberArray": [7, 8], "PartitionContext": {"PartitionId": "0"}, "Array": [1]}});
        let header = spec.header(&event, Some(1)).unwrap();
        assert_eq!(
            header.to_str().unwrap(),
            r#"{"SequenceNumber":8,"PartitionContext":{"PartitionId":"0"},"Array":[1]}"#
        );
        let whole = spec
            .header(&json!({"Metadata": {"Id": "ü\n"}}), None)
            .unwrap();
        assert_eq!(whole.to_str().unwrap(), r#"{"Id":"%C3%BC\n"}"#);
        assert!(spec.header(&json!({}), None).is_none());
    }
}
