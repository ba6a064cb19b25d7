//! The configuration file: user rules, the fallback, the environment, the
//! reply policy and the HTTP options, read and checked in one go.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use toml::Spanned;

pub(crate) mod environment;
mod routes;
pub(crate) mod table;

use environment::Environment;
use routes::EventRoutes;

use crate::operator_file::{self, OperatorFileError};
use crate::passthrough::HttpOptions;
use crate::reply::ReplyPolicy;
use crate::rule::{
    builtin_rules, compile_rules, default_fallback, fallback_rule, line_of, LoadError, Origin,
    RawFallback, RuleTable, Source,
};

/// The largest configuration file read: rules are a few kilobytes.
pub(crate) const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// The most rules one configuration file may hold ([`Config::MAX_RULES`]).
pub(crate) const MAX_RULES: usize = 10_000;

/// Everything `ceh` needs to turn events into requests: the rule table and the
/// environment, loaded and checked in one go.
///
/// A configuration file (TOML) may hold, all optional:
/// - `[[rule]]` tables, tried before the built-in rules, in file order;
/// - `builtin_rules = false`, to use the file's rules alone, or
///   `disable_rules = ["warmup", …]` to leave out some;
/// - `[fallback]` with `path = "/…"` or `reject = true`;
/// - `[environment]`, with per-rule overrides in `[environment.rule.<name>]`.
///
/// ```
/// use cloud_events_handler::Config;
///
/// let config = Config::parse("ceh.toml", r#"
///     [[rule]]
///     name = "orders"
///     path = "/orders/{$['detail-type']}"
///     [rule.match]
///     "$.source" = "com.example.orders"
///
///     [fallback]
///     reject = true
/// "#)?;
/// assert_eq!(config.rules().rules()[0].name(), "orders");
/// assert!(config.rules().fallback().is_none());
/// # Ok::<(), cloud_events_handler::LoadError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Config {
    rules: RuleTable,
    environment: Environment,
    reply_policy: ReplyPolicy,
    http: HttpOptions,
    /// Derived from the rules and the environment on the first HTTP event
    /// (or the first question about them), not at start: an event source's
    /// cold start never needs them.
    event_routes: OnceLock<EventRoutes>,
}

/// The file as written. Rules and the settings tables stay TOML tables here:
/// each is read into its own raw form once its line is known, so a problem is
/// reported at the line of its table (`rule::read_table`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rule: Vec<Spanned<toml::Table>>,
    builtin_rules: Option<bool>,
    #[serde(default)]
    disable_rules: Vec<Spanned<String>>,
    fallback: Option<Spanned<RawFallback>>,
    environment: Option<Spanned<toml::Table>>,
    reply: Option<Spanned<toml::Table>>,
    http: Option<Spanned<toml::Table>>,
}

impl Default for Config {
    /// The built-in rules, the default fallback (`POST /`) and the default environment.
    fn default() -> Self {
        let rules = RuleTable::builtin();
        Self {
            rules,
            environment: Environment::default(),
            reply_policy: ReplyPolicy::default(),
            http: HttpOptions::default(),
            event_routes: OnceLock::new(),
        }
    }
}

impl Config {
    /// The most rules one configuration file may hold.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let err = Config::parse("big.toml", &"[[rule]]\n".repeat(Config::MAX_RULES + 1)).unwrap_err();
    /// assert_eq!(err.to_string(), "big.toml:1: the file has 10001 rules, over the limit of 10000");
    /// ```
    pub const MAX_RULES: usize = MAX_RULES;

    /// Reads and checks a configuration file.
    ///
    /// ```
    /// use cloud_events_handler::{Config, LoadError};
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// std::fs::write(file.path(), "[fallback]\nreject = true\n")?;
    /// assert!(Config::load(file.path())?.rules().fallback().is_none());
    /// assert!(matches!(Config::load("no/such/ceh.toml"), Err(LoadError::Read { .. })));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LoadError> {
        let path = path.as_ref();
        let read = |source| LoadError::Read {
            file: path.display().to_string(),
            source,
        };
        let bytes = match operator_file::read(path, MAX_CONFIG_BYTES) {
            Ok(bytes) => bytes,
            Err(OperatorFileError::Read { source, .. }) => return Err(read(source)),
            Err(other) => return Err(LoadError::File(other)),
        };
        let text = String::from_utf8(bytes).map_err(|e| {
            read(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                e.utf8_error(),
            ))
        })?;
        Self::parse(&path.display().to_string(), &text)
    }

    /// The file at `path`, or the defaults when there is none (`None` or an
    /// empty path): what a front end loads for the `CEH_CONFIG` setting it read.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let file = tempfile::NamedTempFile::new()?;
    /// std::fs::write(file.path(), "[fallback]\nreject = true\n")?;
    /// assert!(Config::load_or_default(Some(file.path()))?.rules().fallback().is_none());
    /// assert!(Config::load_or_default(Some(""))?.rules().fallback().is_some(), "the defaults");
    /// assert!(Config::load_or_default(None::<&str>)?.rules().fallback().is_some(), "the defaults");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn load_or_default(path: Option<impl AsRef<Path>>) -> Result<Self, LoadError> {
        match path {
            Some(path) if !path.as_ref().as_os_str().is_empty() => Self::load(path),
            _ => Ok(Self::default()),
        }
    }

    /// Checks a configuration given as text; `file` names it in errors.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let err = Config::parse("ceh.toml", "disable_rules = [\"s4\"]\n").unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "ceh.toml:1: disable_rules[0]: there is no rule named `s4`; `ceh rules list` shows the names"
    /// );
    /// ```
    pub fn parse(file: &str, text: &str) -> Result<Self, LoadError> {
        let file: Arc<str> = Arc::from(file);
        Self::parse_settings(&file, text).map_err(|e| e.at_key(&Source { file: &file, text }, None))
    }

    /// [`Config::parse`], with each setting's error at the line of its table.
    fn parse_settings(file: &Arc<str>, text: &str) -> Result<Self, LoadError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| LoadError::toml(file, text, &e))?;
        let at = |span: std::ops::Range<usize>| Origin {
            file: file.clone(),
            line: line_of(text, span.start),
        };

        // Built-ins first, so a user rule that reuses a built-in name is the one reported.
        let mut seen = HashMap::new();
        let builtins = match raw.builtin_rules {
            Some(false) => Vec::new(),
            _ => builtin_rules(&mut seen)?,
        };
        if raw.rule.len() > MAX_RULES {
            return Err(LoadError::Setting {
                at: Origin {
                    file: file.clone(),
                    line: 1,
                },
                problem: format!(
                    "the file has {} rules, over the limit of {MAX_RULES}",
                    raw.rule.len()
                ),
            });
        }
        let mut rules = compile_rules(file, text, raw.rule, &mut seen)?;
        rules.extend(builtins);
        for (index, name) in raw.disable_rules.into_iter().enumerate() {
            let origin = at(name.span());
            let name = name.into_inner();
            let before = rules.len();
            rules.retain(|rule| rule.name() != name);
            if rules.len() == before {
                return Err(LoadError::Setting {
                    at: origin,
                    problem: format!("disable_rules[{index}]: there is no rule named `{name}`; `ceh rules list` shows the names"),
                });
            }
        }
        let fallback = match raw.fallback {
            Some(table) => {
                let origin = at(table.span());
                fallback_rule(table.into_inner(), origin)?
            }
            None => default_fallback(),
        };
        let rules = RuleTable::new(rules, fallback);

        let environment = section(raw.environment, at, |table| {
            let names: HashSet<&str> = rules
                .rules()
                .iter()
                .chain(rules.fallback())
                .map(|r| r.name())
                .collect();
            Environment::from_table(table, &names)
        })?;
        let reply_policy = section(raw.reply, at, ReplyPolicy::from_table)?;
        let http = section(raw.http, at, HttpOptions::from_table)?;
        Ok(Self {
            rules,
            environment,
            reply_policy,
            http,
            event_routes: OnceLock::new(),
        })
    }

    /// The rule table: the file's rules, then the built-ins, then the fallback.
    pub fn rules(&self) -> &RuleTable {
        &self.rules
    }

    /// When an answer is a failure, and how batches are replied to.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[reply]\nmax_records = 100\n")?;
    /// assert_eq!(config.reply_policy().max_records(), 100);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn reply_policy(&self) -> &ReplyPolicy {
        &self.reply_policy
    }

    /// The path prefixes of event routes that HTTP clients may not reach,
    /// under their base paths: every rule's static path; each path a templated
    /// one can take where predicates pin its placeholders to known values
    /// (`/aws.s3.eventbridge`), else the static directory before its first
    /// placeholder; and a fallback path other than `/`.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nbase_path = \"/events\"\n")?;
    /// assert!(config.event_routes().iter().any(|route| route == "/events/aws.s3"));
    /// assert!(config.event_routes().iter().all(|route| route.starts_with("/events")));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn event_routes(&self) -> &[String] {
        self.routes().as_slice()
    }

    /// Whether an HTTP request's path falls under an event route, as any
    /// common server might read it: percent-decoded, slashes merged, `.` and
    /// `..` segments removed, `;` parameters dropped, letter case ignored.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::default();
    /// assert!(config.is_event_route("/aws.s3"));
    /// assert!(config.is_event_route("/aws.s3/anything"));
    /// assert!(!config.is_event_route("/aws.s3x"));
    /// assert!(!config.is_event_route("/users/42"));
    /// for spoof in ["//aws.s3", "/%61ws.s3", "/x/../aws.s3", "/aws.s3;x", "/AWS.S3", "/aws.s3.eventbridge"] {
    ///     assert!(config.is_event_route(spoof), "{spoof}");
    /// }
    /// ```
    pub fn is_event_route(&self, path: &str) -> bool {
        self.routes().reserves(path)
    }

    /// The event routes, worked out on first use.
    fn routes(&self) -> &EventRoutes {
        self.event_routes
            .get_or_init(|| EventRoutes::new(&self.rules, &self.environment))
    }

    /// The configuration with other HTTP options.
    pub(crate) fn with_http(mut self, http: HttpOptions) -> Self {
        self.http = http;
        self
    }

    /// How HTTP events pass through.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[http]\nbase_path = \"/api\"\n")?;
    /// assert_eq!(config.http().base_path(), Some("/api"));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn http(&self) -> &HttpOptions {
        &self.http
    }

    /// The request environment.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nhost = \"events.internal\"\n")?;
    /// assert_eq!(config.environment().settings("s3").host(), "events.internal");
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn environment(&self) -> &Environment {
        &self.environment
    }
}

/// A settings table read by `parse`, or the defaults when the file has none;
/// a problem is reported at the table's line.
fn section<T: Default>(
    table: Option<Spanned<toml::Table>>,
    at: impl Fn(std::ops::Range<usize>) -> Origin,
    parse: impl FnOnce(toml::Table) -> Result<T, String>,
) -> Result<T, LoadError> {
    match table {
        Some(table) => {
            let origin = at(table.span());
            parse(table.into_inner()).map_err(|problem| LoadError::Setting {
                at: origin,
                problem,
            })
        }
        None => Ok(T::default()),
    }
}
