//! Match predicates: a JSONPath query and a test on the nodes it selects.

use std::fmt;

use serde_json::Value;

use super::query::Query;
use super::reads::Reads;
use crate::read::Need;

/// One condition of a rule's `[rule.match]` table.
///
/// It holds when any node its query selects passes the test
/// (for `exists = false`: when the query selects nothing).
///
/// ```
/// use cloud_events_handler::Config;
/// use serde_json::json;
///
/// let config = Config::parse("ceh.toml", r#"
///     [[rule]]
///     name = "queue"
///     path = "/queue"
///     [rule.match]
///     "$.Records[*].eventSource" = "aws:sqs"
/// "#)?;
/// let predicate = &config.rules().get("queue").ok_or("the file's rule")?.predicates()[0];
/// assert!(predicate.holds(&json!({"Records": [{"eventSource": "aws:sqs"}]})));
/// assert_eq!(predicate.to_string(), r#"$.Records[*].eventSource == "aws:sqs""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Predicate {
    query: Query,
    test: Test,
}

/// What a predicate asks of the selected nodes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Test {
    /// A node equals this string, number or boolean.
    Equals(Value),
    /// A node equals one of these values.
    OneOf(Vec<Value>),
    /// A node is a string equal to one of these when ASCII letters are
    /// compared without regard to case (`ignore_case = true`).
    OneOfIgnoringCase(Vec<String>),
    /// Some node exists (`true`) or none does (`false`).
    Exists(bool),
    /// A node is a string starting with this prefix.
    Prefix(String),
    /// A node is a string ending with this suffix.
    Suffix(String),
}

impl Reads for Predicate {
    fn reads(&self, add: &mut dyn FnMut(Need)) {
        let Predicate { query, test } = self;
        // Comparing with an array or object reads all of the node; every
        // other test reads a scalar, or whether the node is there.
        let leaf = match test {
            Test::Equals(value) if value.is_array() || value.is_object() => Need::All,
            Test::OneOf(values) if values.iter().any(|v| v.is_array() || v.is_object()) => {
                Need::All
            }
            Test::Equals(_)
            | Test::OneOf(_)
            | Test::OneOfIgnoringCase(_)
            | Test::Exists(_)
            | Test::Prefix(_)
            | Test::Suffix(_) => Need::Shallow,
        };
        add(query.need(leaf));
    }
}

impl Predicate {
    /// A predicate from a compiled query and a test.
    pub(crate) fn new(query: Query, test: Test) -> Self {
        Self { query, test }
    }

    /// The JSONPath query, as written.
    pub(crate) fn query(&self) -> &Query {
        &self.query
    }

    /// The test applied to the selected nodes.
    pub(crate) fn test(&self) -> &Test {
        &self.test
    }

    /// Whether the predicate holds for this event JSON.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    /// use serde_json::json;
    ///
    /// let config = Config::parse("ceh.toml", r#"
    ///     [[rule]]
    ///     name = "v2"
    ///     path = "/v2"
    ///     [rule.match]
    ///     "$.version" = 2
    /// "#)?;
    /// let predicate = &config.rules().get("v2").ok_or("the file's rule")?.predicates()[0];
    /// assert!(predicate.holds(&json!({"version": 2.0})), "1 and 1.0 are the same number");
    /// assert!(!predicate.holds(&json!({"version": "2"})));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn holds(&self, json: &Value) -> bool {
        match &self.test {
            Test::Exists(wanted) => self.query.any(json, |_| true) == *wanted,
            Test::Equals(expected) => self.query.any(json, |node| same(node, expected)),
            Test::OneOf(options) => self
                .query
                .any(json, |node| options.iter().any(|o| same(node, o))),
            Test::OneOfIgnoringCase(options) => self.query.any(json, |node| {
                node.as_str()
                    .is_some_and(|s| options.iter().any(|o| o.eq_ignore_ascii_case(s)))
            }),
            Test::Prefix(prefix) => self.query.any(json, |node| {
                node.as_str().is_some_and(|s| s.starts_with(prefix))
            }),
            Test::Suffix(suffix) => self.query.any(json, |node| {
                node.as_str().is_some_and(|s| s.ends_with(suffix))
            }),
        }
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let query = &self.query;
        match &self.test {
            Test::Equals(value) => write!(f, "{query} == {value}"),
            Test::OneOf(values) => {
                let list: Vec<String> = values.iter().map(Value::to_string).collect();
                write!(f, "{query} in [{}]", list.join(", "))
            }
            Test::OneOfIgnoringCase(values) => {
                let list: Vec<String> = values
                    .iter()
                    .map(|v| Value::from(&**v).to_string())
                    .collect();
                write!(f, "{query} in [{}] ignoring case", list.join(", "))
            }
            Test::Exists(true) => write!(f, "{query} exists"),
            Test::Exists(false) => write!(f, "{query} absent"),
            Test::Prefix(prefix) => write!(f, "{query} starts with {}", Value::from(&**prefix)),
            Test::Suffix(suffix) => write!(f, "{query} ends with {}", Value::from(&**suffix)),
        }
    }
}

/// JSON equality where `1` and `1.0` are the same number.
fn same(node: &Value, expected: &Value) -> bool {
    match (node, expected) {
        (Value::Number(a), Value::Number(b)) => a == b || a.as_f64() == b.as_f64(),
        _ => node == expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(path: &str, test: Test, doc: Value) -> bool {
        Predicate::new(Query::parse(path).unwrap(), test).holds(&doc)
    }

    #[test]
    fn each_test_kind() {
        let doc = json!({"v": "2.0", "n": 3, "b": true, "r": [{"s": "aws:sqs"}, {"s": "aws:sns"}]});
        assert!(check("$.v", Test::Equals(json!("2.0")), doc.clone()));
        assert!(!check("$.v", Test::Equals(json!(2.0)), doc.clone()));
        assert!(check("$.n", Test::Equals(json!(3.0)), doc.clone()));
        assert!(check("$.b", Test::Equals(json!(true)), doc.clone()));
        assert!(check(
            "$.r[*].s",
            Test::Equals(json!("aws:sns")),
            doc.clone()
        ));
        assert!(check(
            "$.r[0].s",
            Test::OneOf(vec![json!("x"), json!("aws:sqs")]),
            doc.clone()
        ));
        assert!(check("$.r[0].s", Test::Prefix("aws:".into()), doc.clone()));
        assert!(!check("$.n", Test::Prefix("3".into()), doc.clone()));
        assert!(check("$.r[1].s", Test::Suffix(":sns".into()), doc.clone()));
        assert!(check("$.zz", Test::Exists(false), doc.clone()));
        assert!(!check("$.zz", Test::Exists(true), doc.clone()));
        assert!(check("$.r", Test::Exists(true), doc));
    }

    #[test]
    fn one_of_ignoring_case_folds_ascii_letters_only() {
        let steps = || Test::OneOfIgnoringCase(vec!["createSecret".into(), "setSecret".into()]);
        assert!(check(
            "$.r[0].s",
            steps(),
            json!({"r": [{"s": "CreateSecret"}]})
        ));
        assert!(check(
            "$.r[0].s",
            steps(),
            json!({"r": [{"s": "CREATESECRET"}]})
        ));
        assert!(!check(
            "$.r[0].s",
            steps(),
            json!({"r": [{"s": "create_secret"}]})
        ));
        // Only ASCII letters fold: `ſ` is not an `s` here, as a router may take it.
        assert!(!check(
            "$.r[0].s",
            steps(),
            json!({"r": [{"s": "ſetSecret"}]})
        ));
        assert!(!check("$.r[0].s", steps(), json!({"r": [{"s": 1}]})));
    }

    // The examples the doc comments of `Test`, `Predicate::new`, `Predicate::query`
    // and `Predicate::test` carried while they were public.

    #[test]
    fn one_of_suffix_and_absent() -> Result<(), String> {
        let event = json!({"source": "aws.s3"});
        let holds = |test: Test| {
            Ok::<_, String>(Predicate::new(Query::parse("$.source")?, test).holds(&event))
        };
        assert!(holds(Test::OneOf(vec![json!("aws.s3"), json!("aws.sqs")]))?);
        assert!(holds(Test::Suffix(".s3".into()))?);
        assert!(!holds(Test::Exists(false))?);
        Ok(())
    }

    #[test]
    fn a_null_member_exists() -> Result<(), String> {
        let predicate = Predicate::new(Query::parse("$.detail.id")?, Test::Exists(true));
        assert!(
            predicate.holds(&json!({"detail": {"id": null}})),
            "null exists"
        );
        Ok(())
    }

    #[test]
    fn query_is_as_written() -> Result<(), String> {
        let predicate = Predicate::new(Query::parse("$.source")?, Test::Prefix("aws.".into()));
        assert_eq!(predicate.query().as_str(), "$.source");
        Ok(())
    }

    #[test]
    fn test_is_the_one_given() -> Result<(), String> {
        let predicate = Predicate::new(Query::parse("$.source")?, Test::Prefix("aws.".into()));
        assert_eq!(predicate.test(), &Test::Prefix("aws.".into()));
        Ok(())
    }

    #[test]
    fn null_exists() {
        assert!(check("$.x", Test::Exists(true), json!({"x": null})));
    }
}
