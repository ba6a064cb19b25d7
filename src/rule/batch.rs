//! `[rule.batch]`: where a batch rule's records are, and how they are identified.
//!
//! A rule with `reply = "batch"` says in its `[rule.batch]` table where the
//! records are and how they are identified. Each record is sent to the app as
//! its own request; records of one group (an SQS FIFO message group) or of a
//! stream are sent in order, and a group stops at its first failure so no
//! later record overtakes it.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::Value;

use super::query::Query;
use super::reads::Reads;
use crate::event::Event;
use crate::read::{Need, Step};

/// How a batch rule finds and identifies its records.
///
/// ```
/// use cloud_events_handler::RuleTable;
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("sqs").unwrap().batch().unwrap();
/// let event = json!({"Records": [
///     {"messageId": "a", "attributes": {"MessageGroupId": "g"}},
///     {"messageId": "b", "attributes": {"MessageGroupId": "g"}},
///     {"messageId": "c"}
/// ]});
/// let records = spec.records(&event);
/// assert_eq!(records[1].id.as_deref(), Some("b"));
/// assert_eq!(records[2].group, None);
/// ```
#[derive(Clone, Debug)]
pub struct BatchSpec {
    records: Query,
    id: Option<Query>,
    /// The members whose values, joined by `-`, name a record's group (none: no groups).
    group: Vec<Query>,
    ordered: bool,
    response: BatchResponse,
    /// Where the records' list may come as JSON written in a string (`json_text`).
    json_text: Option<Query>,
}

/// What the Lambda returns for a batch.
///
/// ```
/// use cloud_events_handler::{rule::BatchResponse, RuleTable};
///
/// let table = RuleTable::builtin();
/// let response = |name: &str| table.get(name).and_then(|rule| rule.batch()).map(|spec| spec.response());
/// assert_eq!(response("sqs"), Some(BatchResponse::ItemFailures));
/// assert_eq!(response("firehose"), Some(BatchResponse::Firehose));
/// assert_eq!(response("kafka"), Some(BatchResponse::KafkaItemFailures));
/// assert_eq!(response("activemq"), Some(BatchResponse::None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum BatchResponse {
    /// `{"batchItemFailures": […]}` (SQS, Kinesis, DynamoDB Streams), honoured
    /// when the event source mapping reports batch item failures.
    ItemFailures,
    /// Firehose transformation: `{"records": [{recordId, result, data}]}`, every record answered.
    Firehose,
    /// Amazon MSK and self-managed Kafka: `{"batchItemFailures": [{"itemIdentifier":
    /// {"topic-partition": "orders-0", "offset": 15}}]}`, a failed record named
    /// by its group (the topic and partition) and its id (the offset, a
    /// number); honoured when the event source mapping reports batch item failures.
    KafkaItemFailures,
    /// The source knows no partial failure (Amazon MQ): any failed record fails the invocation.
    None,
}

impl BatchResponse {
    /// Whether the reply names the failed records (`batchItemFailures`), so
    /// that each record needs an id, and only the failed ones are retried.
    ///
    /// ```
    /// use cloud_events_handler::rule::BatchResponse;
    ///
    /// assert!(BatchResponse::ItemFailures.names_failed_items());
    /// assert!(BatchResponse::KafkaItemFailures.names_failed_items());
    /// assert!(!BatchResponse::Firehose.names_failed_items(), "it answers every record");
    /// assert!(!BatchResponse::None.names_failed_items());
    /// ```
    pub fn names_failed_items(self) -> bool {
        matches!(self, Self::ItemFailures | Self::KafkaItemFailures)
    }

    /// Whether the reply carries what the app answered for each record
    /// (Firehose's new data), so that each answer's body is kept until the
    /// batch is done; every other reply reads only whether a record was taken.
    ///
    /// ```
    /// use cloud_events_handler::rule::BatchResponse;
    ///
    /// assert!(BatchResponse::Firehose.carries_answers());
    /// assert!(!BatchResponse::ItemFailures.carries_answers());
    /// assert!(!BatchResponse::KafkaItemFailures.carries_answers());
    /// assert!(!BatchResponse::None.carries_answers());
    /// ```
    pub fn carries_answers(self) -> bool {
        matches!(self, Self::Firehose)
    }
}

/// How a reply names a record for its source to retry: `itemIdentifier`'s value.
///
/// ```
/// use cloud_events_handler::rule::ItemIdentifier;
///
/// let kafka = ItemIdentifier::Kafka { topic_partition: "orders-0".into(), offset: 15 };
/// assert_eq!(serde_json::to_value(&kafka)?, serde_json::json!({"topic-partition": "orders-0", "offset": 15}));
/// assert_eq!(serde_json::to_value(ItemIdentifier::Id("m2".into()))?, serde_json::json!("m2"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum ItemIdentifier {
    /// The record's id as it stands (an SQS `messageId`, a sequence number).
    Id(String),
    /// A Kafka record: its topic and partition, and its offset.
    Kafka {
        /// `<topic>-<partition>`, the key Lambda groups Kafka records by.
        #[serde(rename = "topic-partition")]
        topic_partition: String,
        /// The record's offset in its partition.
        offset: u64,
    },
}

/// `[rule.batch]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBatch {
    records: String,
    id: Option<String>,
    group: Option<RawGroup>,
    #[serde(default)]
    ordered: bool,
    response: Option<BatchResponse>,
    json_text: Option<String>,
}

/// `group` as written: one JSONPath, or several whose values are joined by `-`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawGroup {
    One(String),
    Many(Vec<String>),
}

/// One record of a batch event.
///
/// ```
/// use cloud_events_handler::RuleTable;
/// use serde_json::json;
///
/// let table = RuleTable::builtin();
/// let spec = table.get("kinesis").and_then(|rule| rule.batch()).ok_or("kinesis is a batch rule")?;
/// let event = json!({"Records": [{"kinesis": {"sequenceNumber": "4959"}}]});
/// let records = spec.records(&event);
/// assert_eq!((records[0].index, records[0].id.as_deref(), records[0].group.as_deref()), (0, Some("4959"), None));
/// assert_eq!(records[0].json, &event["Records"][0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Record<'e> {
    /// Its position in the batch, from 0.
    pub index: usize,
    /// The identifier the event source knows it by (`messageId`, sequence
    /// number, a Kafka offset…): a string, or a whole number written out.
    pub id: Option<Cow<'e, str>>,
    /// The ordering group it belongs to, if any (an SQS FIFO message group, a
    /// Kafka topic and partition as `orders-0`).
    pub group: Option<Cow<'e, str>>,
    /// The record's JSON.
    pub json: &'e Value,
}

/// What it reads in each record: the id and the group.
impl Reads for BatchSpec {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let BatchSpec {
            records: _,
            id,
            group,
            ordered: _,
            response: _,
            // Not a record's but the event's: `json_text_need`.
            json_text: _,
        } = self;
        for query in id.iter().chain(group) {
            add(query.need(Need::Shallow));
        }
    }
}

impl BatchSpec {
    /// What reading the records needs, with `record` kept of each.
    pub(super) fn records_need(&self, record: Need) -> Need {
        self.records.need(record)
    }

    /// The identifier a reply names `record` by, when it has what its source needs.
    pub(crate) fn item_identifier(&self, record: &Record<'_>) -> Option<ItemIdentifier> {
        let id = record.id.as_deref()?;
        match self.response {
            BatchResponse::KafkaItemFailures => Some(ItemIdentifier::Kafka {
                topic_partition: record.group.as_deref()?.to_owned(),
                offset: id.parse().ok()?,
            }),
            _ => Some(ItemIdentifier::Id(id.to_owned())),
        }
    }

    pub(crate) fn compile(raw: RawBatch) -> Result<Self, String> {
        let query = |key: &str, text: &str| {
            Query::parse(text).map_err(|e| format!("key `batch.{key}`: not a valid JSONPath ({e})"))
        };
        let reports = raw.response.is_some_and(BatchResponse::names_failed_items);
        if raw.id.is_none() && reports {
            return Err("key `batch.id` is missing: `response = \"item-failures\"` reports records by their id".into());
        }
        let group = match raw.group {
            None => Vec::new(),
            Some(RawGroup::One(one)) => vec![query("group", &one)?],
            Some(RawGroup::Many(many)) if !many.is_empty() => many
                .iter()
                .map(|g| query("group", g))
                .collect::<Result<_, _>>()?,
            Some(RawGroup::Many(_)) => {
                return Err("key `batch.group`: name at least one JSONPath".into())
            }
        };
        if raw.response == Some(BatchResponse::KafkaItemFailures) && group.is_empty() {
            return Err("key `batch.group` is missing: `response = \"kafka-item-failures\"` names a record by its group (topic and partition) and its id (offset)".into());
        }
        if raw.ordered && !group.is_empty() {
            return Err("key `batch.group`: an `ordered` batch is one group already; remove `group` or `ordered`".into());
        }
        let json_text = match raw.json_text.as_deref().map(|text| query("json_text", text)).transpose()? {
            Some(text) if text.steps().is_some() => Some(text),
            Some(_) => return Err("key `batch.json_text`: write names, indexes and wildcards only (such as \"$.Data.*\")".into()),
            None => None,
        };
        Ok(Self {
            json_text,
            records: query("records", &raw.records)?,
            id: raw.id.as_deref().map(|id| query("id", id)).transpose()?,
            group,
            ordered: raw.ordered,
            response: raw.response.unwrap_or(BatchResponse::None),
        })
    }

    /// What the Lambda returns for the batch.
    ///
    /// ```
    /// use cloud_events_handler::{rule::BatchResponse, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let spec = table.get("sqs").and_then(|rule| rule.batch()).ok_or("sqs is a batch rule")?;
    /// assert_eq!(spec.response(), BatchResponse::ItemFailures);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn response(&self) -> BatchResponse {
        self.response
    }

    /// Where the rule reads its records' list from JSON written in a string
    /// (`json_text`), as written.
    pub(crate) fn json_text(&self) -> Option<&str> {
        self.json_text.as_ref().map(Query::as_str)
    }

    /// What classifying needs to tell whether the records' list came as a
    /// string (`json_text`): the node, whole.
    pub(super) fn json_text_need(&self) -> Option<Need> {
        self.json_text.as_ref().map(|query| query.need(Need::All))
    }

    /// Whether `json` has a string at `json_text`, to be read as the JSON it holds.
    pub(crate) fn has_json_text(&self, json: &Value) -> bool {
        self.json_text
            .as_ref()
            .is_some_and(|query| query.any(json, Value::is_string))
    }

    /// `json` with each string at `json_text` that holds JSON replaced by
    /// that JSON, so that `records` finds the records in it: the Cosmos DB
    /// trigger's documents, which the Functions host sends as a JSON string.
    /// A string that holds no JSON, and any other node, stays as it is.
    pub(crate) fn decode_json_text(&self, json: &mut Value) {
        if let Some(steps) = self.json_text.as_ref().and_then(Query::steps) {
            walk_mut(steps, json, &mut |node| {
                if let Some(decoded) = node
                    .as_str()
                    .and_then(|text| serde_json::from_str(text).ok())
                {
                    *node = decoded;
                }
            });
        }
    }

    /// Whether the whole batch is one ordered sequence (a stream shard).
    ///
    /// ```
    /// use cloud_events_handler::RuleTable;
    ///
    /// let table = RuleTable::builtin();
    /// let ordered = |name: &str| table.get(name).and_then(|rule| rule.batch()).map(|spec| spec.ordered());
    /// assert_eq!(ordered("kinesis"), Some(true), "a stream shard");
    /// assert_eq!(ordered("sqs"), Some(false), "ordered per message group only");
    /// ```
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// The records of `event`, in order.
    pub fn records<'e>(&self, event: &'e Value) -> Vec<Record<'e>> {
        self.records
            .select(event)
            .into_iter()
            .enumerate()
            .map(|(index, json)| Record {
                index,
                id: self
                    .id
                    .as_ref()
                    .and_then(|id| id.single(json))
                    .and_then(text),
                group: self.group_of(json),
                json,
            })
            .collect()
    }

    /// A record's group: its group members' values joined by `-`, when it has them all.
    fn group_of<'e>(&self, json: &'e Value) -> Option<Cow<'e, str>> {
        match &*self.group {
            [] => None,
            [one] => one.single(json).and_then(text),
            many => {
                let parts: Option<Vec<Cow<'e, str>>> =
                    many.iter().map(|g| g.single(json).and_then(text)).collect();
                parts.map(|parts| Cow::Owned(parts.join("-")))
            }
        }
    }

    /// Each record's request body: its bytes as they stand in the event, so
    /// that nothing parsing drops (digits beyond an `f64`, escapes, spacing)
    /// is lost on the way to the app. Only a `records` query that needs the
    /// general JSONPath evaluator (a filter, a slice, `..`) has its records
    /// written out again from their parsed JSON. `records` are what
    /// [`records`](Self::records) found in this event's JSON.
    pub(crate) fn bodies(&self, event: &Event, records: &[Record<'_>]) -> Vec<Bytes> {
        match self.records.select_raw(event.bytes()) {
            Some(found) if found.len() == records.len() => found,
            _ => records
                .iter()
                // Serializing a `Value` cannot fail: its keys are strings.
                .map(|record| Bytes::from(serde_json::to_vec(record.json).unwrap_or_default()))
                .collect(),
        }
    }

    /// The records split into sequences that must each be sent in order:
    /// the whole batch when ordered, one per group, one per record otherwise.
    pub(crate) fn sequences<'r, 'e>(&self, records: &'r [Record<'e>]) -> Vec<Vec<&'r Record<'e>>> {
        if self.ordered {
            return vec![records.iter().collect()];
        }
        let mut sequences: Vec<(Option<&str>, Vec<&Record<'e>>)> = Vec::new();
        for record in records {
            match record.group.as_deref() {
                Some(group) => match sequences.iter_mut().find(|(g, _)| *g == Some(group)) {
                    Some((_, sequence)) => sequence.push(record),
                    None => sequences.push((Some(group), vec![record])),
                },
                None => sequences.push((None, vec![record])),
            }
        }
        sequences
            .into_iter()
            .map(|(_, sequence)| sequence)
            .collect()
    }
}

/// A record's id or group value as text: a string as it is, a whole number
/// written out (a Kafka offset or partition); nothing for any other value.
fn text(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::String(text) => Some(Cow::Borrowed(text)),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Each node `steps` select, lent mutably to `change`.
fn walk_mut(steps: &[Step], json: &mut Value, change: &mut impl FnMut(&mut Value)) {
    let Some((step, rest)) = steps.split_first() else {
        return change(json);
    };
    match (step, json) {
        (Step::Name(name), Value::Object(object)) => {
            if let Some(node) = object.get_mut(&**name) {
                walk_mut(rest, node, change);
            }
        }
        (Step::Index(index), Value::Array(items)) => {
            let at = if *index < 0 {
                usize::try_from(index.unsigned_abs())
                    .ok()
                    .and_then(|back| items.len().checked_sub(back))
            } else {
                usize::try_from(*index).ok()
            };
            if let Some(node) = at.and_then(|at| items.get_mut(at)) {
                walk_mut(rest, node, change);
            }
        }
        (Step::All, Value::Array(items)) => items
            .iter_mut()
            .for_each(|node| walk_mut(rest, node, change)),
        (Step::All, Value::Object(object)) => object
            .values_mut()
            .for_each(|node| walk_mut(rest, node, change)),
        _ => {}
    }
}

impl fmt::Display for BatchSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "records {}", self.records)?;
        if let Some(id) = &self.id {
            write!(f, " by {id}")?;
        }
        if let Some((first, rest)) = self.group.split_first() {
            write!(f, ", ordered per {first}")?;
            for more in rest {
                write!(f, " and {more}")?;
            }
        }
        if self.ordered {
            f.write_str(", in order")?;
        }
        if let Some(text) = &self.json_text {
            write!(f, ", JSON in a string at {text} read as that JSON")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::{Event, RuleTable};
    use serde_json::json;

    #[test]
    fn fifo_groups_are_sequences_and_ungrouped_records_go_alone() {
        let table = RuleTable::builtin();
        let spec = table.get("sqs").and_then(|rule| rule.batch()).unwrap();
        let event = json!({"Records": [
            {"messageId": "a", "attributes": {"MessageGroupId": "g"}},
            {"messageId": "b", "attributes": {"MessageGroupId": "g"}},
            {"messageId": "c"}
        ]});
        let records = spec.records(&event);
        assert_eq!(records[1].id.as_deref(), Some("b"));
        // FIFO group `g` is one sequence; `c` has no group and goes on its own.
        assert_eq!(spec.sequences(&records).len(), 2);
    }

    #[test]
    fn json_text_is_names_indexes_and_wildcards() {
        let rule = |json_text: &str| {
            format!("[[rule]]\nname = \"docs\"\npath = \"/docs\"\nreply = \"batch\"\n[rule.match]\n\"$.a\" = 1\n[rule.batch]\nrecords = \"$.Data.*[*]\"\njson_text = \"{json_text}\"\n")
        };
        assert!(crate::Config::parse("t.toml", &rule("$.Data.*")).is_ok());
        let err = crate::Config::parse("t.toml", &rule("$.Data[?@.x]")).unwrap_err();
        assert!(
            err.to_string()
                .contains("batch.json_text`: write names, indexes and wildcards only"),
            "{err}"
        );
    }

    #[test]
    fn bodies_are_the_records_as_written() {
        let table = RuleTable::builtin();
        let spec = table.get("sqs").and_then(|rule| rule.batch()).unwrap();
        let event = Event::from_slice(
            br#"{"Records": [ {"messageId": "a", "n": 12345678901234567890123} ]}"#,
        )
        .unwrap();
        let records = spec.records(event.json());
        assert_eq!(
            spec.bodies(&event, &records)[0],
            r#"{"messageId": "a", "n": 12345678901234567890123}"#
        );
    }
}
