//! When an app's answer counts as a failure, and what the reply then says.

use http::{Response, StatusCode};
use serde::{Deserialize, Deserializer};

use crate::app::fanout::Verdict;
use crate::config::table::{checked, read_table};
use crate::headers::DROP_HEADER;

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
/// assert!(!policy.is_failure(http::StatusCode::NOT_FOUND), "loosened on purpose");
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
    response_url_hosts: Vec<String>,
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
    /// Whether the app answering `status` failed to handle the event. By
    /// default every status outside 2xx does: a route the app lacks (404), a
    /// method it refuses (405), a redirect ceh does not follow (a framework's
    /// trailing-slash 308) are failures the event source must retry, never
    /// acknowledgements.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    /// use http::StatusCode;
    ///
    /// let policy = Config::default().reply_policy().clone();
    /// for failed in [404, 405, 308, 301, 409, 429, 500, 503] {
    ///     assert!(policy.is_failure(StatusCode::from_u16(failed)?), "{failed}");
    /// }
    /// for taken in [200, 201, 202, 204] {
    ///     assert!(!policy.is_failure(StatusCode::from_u16(taken)?), "{taken}");
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_failure(&self, status: StatusCode) -> bool {
        let code = status.as_u16();
        self.failure.iter().any(|m| match m {
            StatusMatch::Class(class) => code / 100 == *class,
            StatusMatch::Code(c) => code == *c,
        })
    }

    /// What the app's answer means for its event: taken, dropped on the app's
    /// word (`ceh-drop: true`, on any status), or failed.
    ///
    /// ```
    /// use cloud_events_handler::{app::Verdict, Config, headers::DROP_HEADER};
    ///
    /// let policy = Config::default().reply_policy().clone();
    /// let answer = |status: u16, drop: Option<&str>| {
    ///     let mut response = http::Response::builder().status(status);
    ///     if let Some(value) = drop {
    ///         response = response.header(DROP_HEADER, value);
    ///     }
    ///     response.body(()).map(|r| policy.verdict(&r))
    /// };
    /// assert_eq!(answer(200, None)?, Verdict::Taken);
    /// assert_eq!(answer(404, None)?, Verdict::Failed);
    /// assert_eq!(answer(422, Some("true"))?, Verdict::Dropped, "a poison message, on purpose");
    /// assert_eq!(answer(500, Some("no"))?, Verdict::Failed, "only `true` or `1` drops");
    /// # Ok::<(), http::Error>(())
    /// ```
    pub fn verdict<B>(&self, response: &Response<B>) -> Verdict {
        if self.always_succeed {
            return Verdict::Taken;
        }
        let dropped = response.headers().get(DROP_HEADER).is_some_and(|value| {
            value.as_bytes() == b"1" || value.as_bytes().eq_ignore_ascii_case(b"true")
        });
        match (dropped, self.is_failure(response.status())) {
            (true, _) => Verdict::Dropped,
            (false, true) => Verdict::Failed,
            (false, false) => Verdict::Taken,
        }
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

    /// The hosts a CloudFormation custom resource's `ResponseURL` may name
    /// (each host or any host under it), checked before the result is sent
    /// (`[reply] response_url_hosts`, by default
    /// [`DEFAULT_RESPONSE_URL_HOSTS`](super::cloudformation::DEFAULT_RESPONSE_URL_HOSTS)).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// assert_eq!(Config::default().reply_policy().response_url_hosts(), ["amazonaws.com", "amazonaws.com.cn"]);
    /// let config = Config::parse("ceh.toml", "[reply]\nresponse_url_hosts = [\"127.0.0.1\"]\n")?;
    /// assert_eq!(config.reply_policy().response_url_hosts(), ["127.0.0.1"]);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn response_url_hosts(&self) -> &[String] {
        &self.response_url_hosts
    }

    /// Reads the `[reply]` table; the error names the key and says what to write.
    pub(crate) fn from_table(table: toml::Table) -> Result<Self, String> {
        Ok(Self::compile(read_table(table, "reply", KEYS)?))
    }

    /// The policy `raw` sets, with the defaults for what it leaves out.
    fn compile(raw: RawReplyPolicy) -> Self {
        Self {
            // Every answer outside 2xx: 1xx is never final, 3xx is not followed.
            failure: raw
                .failure_status
                .unwrap_or_else(|| [1, 3, 4, 5].into_iter().map(StatusMatch::Class).collect()),
            always_succeed: raw.always_succeed.unwrap_or(false),
            report_item_failures: raw.report_item_failures.unwrap_or(false),
            concurrency: raw.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            max_records: raw.max_records.unwrap_or(DEFAULT_MAX_RECORDS),
            response_url_hosts: raw.response_url_hosts.unwrap_or_else(|| {
                super::cloudformation::DEFAULT_RESPONSE_URL_HOSTS
                    .map(str::to_owned)
                    .to_vec()
            }),
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
    #[serde(deserialize_with = "hosts")]
    response_url_hosts: Option<Vec<String>>,
}

/// The keys of `[reply]`, as an unknown key's error lists them.
const KEYS: &str = "failure_status, always_succeed, report_item_failures, concurrency, max_records or response_url_hosts";

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

fn hosts<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    let bad = || "a list of host names, e.g. [\"amazonaws.com\"]".to_owned();
    checked(d, |value| match value {
        toml::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                toml::Value::String(host)
                    if !host.is_empty()
                        && host
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b)) =>
                {
                    Ok(host)
                }
                _ => Err(bad()),
            })
            .collect(),
        _ => Err(bad()),
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
