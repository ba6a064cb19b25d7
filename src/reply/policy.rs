//! When an app's answer counts as a failure, and what the reply then says.

use http::StatusCode;
use serde::{Deserialize, Deserializer};

use crate::config::table::{checked, read_table};

/// The `[reply]` table of the configuration file.
///
/// ```
/// use cloud_events_handler::Config;
///
/// let config = Config::parse("ceh.toml", r#"
///     [reply]
///     failure_status = ["5xx", 429]
///     report_item_failures = true
///     concurrency = 4
/// "#)?;
/// let policy = config.reply_policy();
/// assert!(policy.is_failure(http::StatusCode::TOO_MANY_REQUESTS));
/// assert!(!policy.is_failure(http::StatusCode::NOT_FOUND));
/// assert!(policy.report_item_failures());
/// # Ok::<(), cloud_events_handler::LoadError>(())
/// ```
#[derive(Clone, Debug)]
pub struct ReplyPolicy {
    failure: Vec<StatusMatch>,
    always_succeed: bool,
    report_item_failures: bool,
    concurrency: usize,
    max_records: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StatusMatch {
    Class(u16),
    Code(u16),
}

/// The default number of batch records sent to the app at once.
///
/// ```
/// use cloud_events_handler::{reply::DEFAULT_CONCURRENCY, Config};
///
/// assert_eq!(DEFAULT_CONCURRENCY, 8);
/// assert_eq!(Config::default().reply_policy().concurrency(), DEFAULT_CONCURRENCY);
/// ```
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The default largest number of records in one batch (Lambda's own batches hold at most 10,000).
///
/// ```
/// use cloud_events_handler::{reply::DEFAULT_MAX_RECORDS, Config};
///
/// assert_eq!(DEFAULT_MAX_RECORDS, 10_000);
/// assert_eq!(Config::default().reply_policy().max_records(), DEFAULT_MAX_RECORDS);
/// ```
pub const DEFAULT_MAX_RECORDS: usize = 10_000;

impl Default for ReplyPolicy {
    /// The policy of an empty `[reply]` table.
    fn default() -> Self {
        Self::compile(RawReplyPolicy::default())
    }
}

impl ReplyPolicy {
    /// Whether the app answering `status` failed to handle the event.
    pub fn is_failure(&self, status: StatusCode) -> bool {
        let code = status.as_u16();
        self.failure.iter().any(|m| match m {
            StatusMatch::Class(class) => code / 100 == *class,
            StatusMatch::Code(c) => code == *c,
        })
    }

    /// The Python handler's behaviour, as an opt-in: every answer is replied
    /// as a success, so the event source never retries.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// assert!(!Config::default().reply_policy().always_succeed());
    /// let config = Config::parse("ceh.toml", "[reply]\nalways_succeed = true\n")?;
    /// assert!(config.reply_policy().always_succeed());
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn always_succeed(&self) -> bool {
        self.always_succeed
    }

    /// Whether the event source mapping has `ReportBatchItemFailures` on, so a
    /// `batchItemFailures` reply is honoured. Without it Lambda takes any reply
    /// as success and deletes the failed records too, so a failed record fails
    /// the whole invocation instead.
    pub fn report_item_failures(&self) -> bool {
        self.report_item_failures
    }

    /// The most records a batch may hold.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[reply]\nmax_records = 500\n")?;
    /// assert_eq!(config.reply_policy().max_records(), 500);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn max_records(&self) -> usize {
        self.max_records
    }

    /// How many batch records (or ordered groups) are sent to the app at once.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[reply]\nconcurrency = 1\n")?;
    /// assert_eq!(config.reply_policy().concurrency(), 1, "one record at a time");
    /// assert!(Config::parse("ceh.toml", "[reply]\nconcurrency = 0\n").is_err());
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Reads the `[reply]` table; the error names the key and says what to write.
    pub(crate) fn from_table(table: toml::Table) -> Result<Self, String> {
        Ok(Self::compile(read_table(table, "reply", KEYS)?))
    }

    /// The policy `raw` sets, with the defaults for what it leaves out.
    fn compile(raw: RawReplyPolicy) -> Self {
        Self {
            failure: raw
                .failure_status
                .unwrap_or_else(|| vec![StatusMatch::Class(5)]),
            always_succeed: raw.always_succeed.unwrap_or(false),
            report_item_failures: raw.report_item_failures.unwrap_or(false),
            concurrency: raw.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            max_records: raw.max_records.unwrap_or(DEFAULT_MAX_RECORDS),
        }
    }
}

/// The `[reply]` table as written, each value checked as it is read.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawReplyPolicy {
    #[serde(deserialize_with = "failure_status")]
    failure_status: Option<Vec<StatusMatch>>,
    #[serde(deserialize_with = "flag")]
    always_succeed: Option<bool>,
    #[serde(deserialize_with = "flag")]
    report_item_failures: Option<bool>,
    #[serde(deserialize_with = "concurrency")]
    concurrency: Option<usize>,
    #[serde(deserialize_with = "max_records")]
    max_records: Option<usize>,
}

/// The keys of `[reply]`, as an unknown key's error lists them.
const KEYS: &str =
    "failure_status, always_succeed, report_item_failures, concurrency or max_records";

fn failure_status<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<StatusMatch>>, D::Error> {
    checked(d, |value| match value {
        toml::Value::Array(items) => items.into_iter().map(status_match).collect(),
        _ => Err("a list of status codes and classes, e.g. [\"5xx\", 429]".into()),
    })
}

fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    checked(d, |value| {
        value.as_bool().ok_or_else(|| "true or false".into())
    })
}

fn concurrency<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    checked(d, |value| match value.as_integer() {
        Some(n @ 1..=1000) => Ok(n as usize),
        _ => Err("a whole number from 1 to 1000".into()),
    })
}

fn max_records<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    checked(d, |value| match value.as_integer() {
        Some(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        _ => Err("a whole number from 1".into()),
    })
}

fn status_match(value: toml::Value) -> Result<StatusMatch, String> {
    let bad = |v: &dyn std::fmt::Display| {
        format!("{v} is neither a status code (100-599) nor a class such as \"5xx\"")
    };
    match value {
        toml::Value::Integer(code) if (100..=599).contains(&code) => {
            Ok(StatusMatch::Code(code as u16))
        }
        toml::Value::String(text) => match text.as_bytes() {
            [class @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                Ok(StatusMatch::Class(u16::from(class - b'0')))
            }
            _ => text
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(StatusMatch::Code)
                .ok_or_else(|| bad(&format!("{text:?}"))),
        },
        other => Err(bad(&format!("a {}", other.type_str()))),
    }
}
