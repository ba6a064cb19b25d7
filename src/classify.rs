//! Classification: the first rule whose predicates all hold decides what an event is.

use crate::cloudevent::{validate as validate_cloudevent, InvalidCloudEvent};
use crate::event::Event;
use crate::rule::{Record, Route, Rule, RuleTable};

/// The rule an event matched, with the values its path placeholders selected.
///
/// ```
/// use cloud_events_handler::{Event, RuleTable};
///
/// let table = RuleTable::builtin();
/// let event = Event::from_slice(br#"{"specversion": "1.0", "id": "1", "source": "/orders", "type": "t"}"#)?;
/// let found = table.classify(&event)?;
/// assert_eq!(found.rule().name(), "cloudevents");
/// assert_eq!(found.values(), ["/orders"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Match<'t, 'e> {
    rule: &'t Rule,
    values: Vec<&'e str>,
    records: Vec<Record<'e>>,
    /// What of the event's JSON the rule reads (all of it, or only that).
    json: &'e serde_json::Value,
}

impl<'t, 'e> Match<'t, 'e> {
    /// The rule that matched.
    pub fn rule(&self) -> &'t Rule {
        self.rule
    }

    /// The strings the path template's placeholders selected, in order
    /// (empty for a static path or an HTTP rule). Still raw: escaping
    /// happens when the request is synthesized.
    pub fn values(&self) -> &[&'e str] {
        &self.values
    }

    /// A batch rule's records, found once when the event was classified
    /// (empty for any other rule).
    ///
    /// ```
    /// use cloud_events_handler::{Event, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let event = Event::from_slice(br#"{"Records": [{"eventSource": "aws:sqs", "messageId": "a"}, {"eventSource": "aws:sqs", "messageId": "b"}]}"#)?;
    /// let found = table.classify(&event)?;
    /// assert_eq!(found.records().iter().map(|r| r.id.as_deref()).collect::<Vec<_>>(), [Some("a"), Some("b")]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn records(&self) -> &[Record<'e>] {
        &self.records
    }

    /// The event's JSON as the rule reads it: the parts its queries name,
    /// or all of it. What the request is built from.
    pub(crate) fn json(&self) -> &'e serde_json::Value {
        self.json
    }

    /// The records, taken out of the match.
    pub(crate) fn into_records(self) -> Vec<Record<'e>> {
        self.records
    }
}

/// Why an event could not be classified.
///
/// ```
/// use cloud_events_handler::{ClassifyError, Event, RuleTable};
///
/// let event = Event::from_slice(br#"{"specversion": "1.0", "source": "/s", "type": "t"}"#)?;
/// let err = RuleTable::builtin().classify(&event).unwrap_err();
/// assert!(matches!(err, ClassifyError::InvalidCloudEvent { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClassifyError {
    /// No rule matched and the fallback is set to reject.
    #[error("no rule matches this event and the fallback rejects unmatched events; add a rule for it or remove `reject = true` from [fallback]")]
    NoMatch,
    /// A rule that validates CloudEvents matched something that is not one.
    #[error("rule `{rule}`: {place} is not a valid CloudEvent: {reason}; a CloudEvent has string attributes specversion (1.0 or 0.3), id, source and type")]
    InvalidCloudEvent {
        /// The rule that matched.
        rule: String,
        /// `the event`, or `record N` of a batch.
        place: String,
        /// What is wrong with it.
        reason: InvalidCloudEvent,
    },
}

impl RuleTable {
    /// Finds the first rule that matches `event`, or the fallback.
    ///
    /// A rule matches when all its predicates hold and, for a templated path,
    /// every placeholder selects exactly one string with something in it.
    /// Otherwise the next rule is tried; events nothing matches go to the
    /// fallback rule, or fail with [`ClassifyError::NoMatch`] when it rejects.
    ///
    /// ```
    /// use cloud_events_handler::{Event, RuleTable};
    ///
    /// let table = RuleTable::builtin();
    /// let event = Event::from_slice(br#"{"source": "com.example.orders", "detail-type": "Order Placed", "detail": {}}"#)?;
    /// let found = table.classify(&event)?;
    /// assert_eq!(found.rule().name(), "eventbridge");
    /// assert_eq!(found.values(), ["com.example.orders"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn classify<'t, 'e>(&'t self, event: &'e Event) -> Result<Match<'t, 'e>, ClassifyError> {
        let classified = self.classify_view(event);
        for (position, rule) in self
            .dispatch
            .candidates(classified)
            .into_iter()
            .filter_map(|i| Some((i, self.rules.get(i)?)))
        {
            // A rule whose records' list may come as JSON in a string tests
            // (and reads) that JSON, when a string is what came.
            let tested = match rule.batch() {
                Some(spec) if spec.has_json_text(classified) => {
                    self.matched_view(event, position, classified)
                }
                _ => classified,
            };
            if !rule.matches(tested) {
                continue;
            }
            let json = self.matched_view(event, position, classified);
            let records = match rule.batch() {
                Some(spec) => spec.records(json),
                None => Vec::new(),
            };
            if rule.validate_cloudevent {
                validate(rule, json, &records)?;
            }
            let values = match &rule.route {
                // A batch rule's path is resolved against each record, not the whole event.
                Route::Event { .. } if rule.batch().is_some() => Vec::new(),
                Route::Event { path, .. } if !path.is_static() => match path.resolve(json) {
                    Some(values) if values.iter().all(|v| has_segment(v)) => values,
                    _ => continue,
                },
                _ => Vec::new(),
            };
            return Ok(Match {
                rule,
                values,
                records,
                json,
            });
        }
        match &self.fallback {
            Some(rule) => Ok(Match {
                rule,
                values: Vec::new(),
                records: Vec::new(),
                json: self.matched_view(event, self.rules.len(), classified),
            }),
            None => Err(ClassifyError::NoMatch),
        }
    }
}

impl<'t, 'e> Match<'t, 'e> {
    /// A match of `rule` with the values its path placeholders selected from
    /// `json` (an event, or one record of a batch); `None` when a placeholder
    /// selects no usable string.
    pub(crate) fn resolve(rule: &'t Rule, json: &'e serde_json::Value) -> Option<Self> {
        let values = match &rule.route {
            Route::Event { path, .. } if !path.is_static() => {
                Some(path.resolve(json)?).filter(|values| values.iter().all(|v| has_segment(v)))?
            }
            _ => Vec::new(),
        };
        Some(Self {
            rule,
            values,
            records: Vec::new(),
            json,
        })
    }
}

/// Checks a validating rule's event, or each record of its batch.
fn validate(
    rule: &Rule,
    json: &serde_json::Value,
    records: &[Record<'_>],
) -> Result<(), ClassifyError> {
    let invalid = |place: String, reason| ClassifyError::InvalidCloudEvent {
        rule: rule.name().to_owned(),
        place,
        reason,
    };
    match rule.batch() {
        Some(_) => records.iter().try_for_each(|record| {
            validate_cloudevent(record.json)
                .map_err(|reason| invalid(format!("record {}", record.index), reason))
        }),
        None => validate_cloudevent(json).map_err(|reason| invalid("the event".to_owned(), reason)),
    }
}

/// Whether a value yields at least one path segment (it is not empty or all slashes).
fn has_segment(value: &str) -> bool {
    value.split('/').any(|segment| !segment.is_empty())
}
