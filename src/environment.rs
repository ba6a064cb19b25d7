//! The default request environment (host, scheme, method, base path, headers…)
//! and its TOML override, which also accepts the Python handler's WSGI keys.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use http::header::CONTENT_TYPE;
use http::uri::{Authority, Scheme};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};

use crate::rule::{LoadError, Origin, Rule};

/// What every synthesized event request is built on.
///
/// The defaults are those of the Python `cloud-events-handler`: `POST`,
/// `http://localhost:80`, `HTTP/1.1`, no base path, `content-type: application/json`.
/// A configuration file's `[environment]` table overrides them globally, and
/// `[environment.rule.<name>]` for one rule.
///
/// ```
/// use cloud_events_handler::Config;
///
/// let config = Config::parse("ceh.toml", r#"
///     [environment]
///     SERVER_NAME = "events.internal"
///     SCRIPT_NAME = "/hooks"
///     [environment.rule.s3]
///     method = "PUT"
/// "#)?;
/// let env = config.environment();
/// assert_eq!(env.settings("s3").host(), "events.internal");
/// assert_eq!(env.settings("s3").base_path(), "/hooks");
/// let rules = config.rules();
/// assert_eq!(env.method(rules.get("s3").unwrap()), http::Method::PUT);
/// assert_eq!(env.method(rules.get("sqs").unwrap()), http::Method::POST);
/// # Ok::<(), cloud_events_handler::LoadError>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Environment {
    global: Settings,
    per_rule: HashMap<String, Settings>,
    per_rule_methods: HashMap<String, Method>,
}

/// The resolved environment for one rule.
///
/// ```
/// use cloud_events_handler::Environment;
///
/// let settings = Environment::default().settings("s3").clone();
/// assert_eq!(settings.authority(), "localhost");
/// assert_eq!(settings.base_path(), "");
/// assert_eq!(settings.headers()["content-type"], "application/json");
/// ```
#[derive(Clone, Debug)]
pub struct Settings {
    /// The global `method`; per-rule methods live in `Environment::per_rule_methods`.
    method: Option<Method>,
    scheme: String,
    host: String,
    port: Option<u16>,
    version: Version,
    base_path: String,
    query: Option<String>,
    headers: HeaderMap,
    /// The URI and `Host` pieces every request reuses, rebuilt whenever a
    /// setting changes (so synthesis clones them instead of parsing).
    prepared: Prepared,
}

/// Parts of every request built once from the settings.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    pub(crate) scheme: Scheme,
    pub(crate) authority: Authority,
    pub(crate) host: HeaderValue,
}

impl Default for Prepared {
    fn default() -> Self {
        Self {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("localhost"),
            host: HeaderValue::from_static("localhost"),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        Self {
            method: None,
            scheme: "http".to_owned(),
            host: "localhost".to_owned(),
            port: Some(80),
            version: Version::HTTP_11,
            base_path: String::new(),
            query: None,
            headers,
            prepared: Prepared::default(),
        }
    }
}

impl Environment {
    /// The settings for the rule named `rule` (the global ones when it has no override).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment.rule.s3]\nport = 8080\n")?;
    /// assert_eq!(config.environment().settings("s3").port(), Some(8080));
    /// assert_eq!(config.environment().settings("sqs").port(), Some(80), "the global settings");
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn settings(&self, rule: &str) -> &Settings {
        if self.per_rule.is_empty() {
            return &self.global; // the usual case: no hashing on the hot path
        }
        self.per_rule.get(rule).unwrap_or(&self.global)
    }

    /// The method for a rule's requests: a per-rule environment's, else the
    /// rule's own `method`, else the global environment's, else `POST`.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Environment};
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nREQUEST_METHOD = \"put\"\n")?;
    /// let s3 = config.rules().get("s3").ok_or("a built-in rule")?;
    /// assert_eq!(config.environment().method(s3), http::Method::PUT);
    /// assert_eq!(Environment::default().method(s3), http::Method::POST);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn method(&self, rule: &Rule) -> Method {
        let per_rule = match self.per_rule_methods.is_empty() {
            true => None,
            false => self.per_rule_methods.get(rule.name()),
        };
        per_rule
            .or(rule.method())
            .or(self.global.method.as_ref())
            .cloned()
            .unwrap_or(Method::POST)
    }

    /// Builds the environment from an `[environment]` table, checking that every
    /// `[environment.rule.<name>]` names a rule in `rule_names`.
    pub(crate) fn from_table(
        table: toml::Table,
        at: &Origin,
        rule_names: &HashSet<&str>,
    ) -> Result<Self, LoadError> {
        let fail = |problem: String| LoadError::Setting {
            at: at.clone(),
            problem,
        };
        let mut global = Settings::default();
        let mut per_rule_tables = toml::Table::new();
        for (key, value) in table {
            if key == "rule" {
                per_rule_tables = match value {
                    toml::Value::Table(t) => t,
                    _ => return Err(fail("environment.rule: must be a table of per-rule tables, e.g. [environment.rule.s3]".into())),
                };
                continue;
            }
            global
                .set(&key, value)
                .map_err(|p| fail(format!("environment.{key}: {p}")))?;
        }
        let mut per_rule = HashMap::new();
        let mut per_rule_methods = HashMap::new();
        for (name, value) in per_rule_tables {
            if !rule_names.contains(name.as_str()) {
                return Err(fail(format!(
                    "environment.rule.{name}: there is no rule named `{name}`; `ceh rules list` shows the names"
                )));
            }
            let toml::Value::Table(overrides) = value else {
                return Err(fail(format!(
                    "environment.rule.{name}: must be a table of settings"
                )));
            };
            let mut settings = global.clone();
            settings.method = None;
            for (key, value) in overrides {
                settings
                    .set(&key, value)
                    .map_err(|p| fail(format!("environment.rule.{name}.{key}: {p}")))?;
            }
            if let Some(method) = settings.method.take() {
                per_rule_methods.insert(name.clone(), method);
            }
            per_rule.insert(name, settings);
        }
        Ok(Self {
            global,
            per_rule,
            per_rule_methods,
        })
    }
}

/// WSGI keys of the seed's default environ that have no meaning here: the
/// path comes from the rules, the body length from the event.
const IGNORED_WSGI_KEYS: [&str; 8] = [
    "PATH_INFO",
    "CONTENT_LENGTH",
    "wsgi.input",
    "wsgi.errors",
    "wsgi.version",
    "wsgi.run_once",
    "wsgi.multiprocess",
    "wsgi.multithread",
];

impl Settings {
    /// `http` or `https`.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\n\"wsgi.url_scheme\" = \"https\"\n")?;
    /// assert_eq!(config.environment().settings("s3").scheme(), "https");
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host name the app sees (`Host` header and URI authority).
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nSERVER_NAME = \"events.internal\"\n")?;
    /// assert_eq!(config.environment().settings("s3").host(), "events.internal");
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, when one is set.
    ///
    /// ```
    /// use cloud_events_handler::Config;
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nSERVER_PORT = \"8080\"\n")?;
    /// let settings = config.environment().settings("s3");
    /// assert_eq!((settings.port(), settings.authority()), (Some(8080), "localhost:8080".to_owned()));
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The HTTP version of synthesized requests.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Environment};
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nprotocol = \"HTTP/1.0\"\n")?;
    /// assert_eq!(config.environment().settings("s3").version(), http::Version::HTTP_10);
    /// assert_eq!(Environment::default().settings("s3").version(), http::Version::HTTP_11);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn version(&self) -> Version {
        self.version
    }

    /// A path prefix put before every rule path (`SCRIPT_NAME`), without a trailing `/`.
    pub fn base_path(&self) -> &str {
        &self.base_path
    }

    /// A query string added to every event request, without the `?`.
    ///
    /// ```
    /// use cloud_events_handler::{Config, Environment};
    ///
    /// let config = Config::parse("ceh.toml", "[environment]\nQUERY_STRING = \"?stage=test\"\n")?;
    /// assert_eq!(config.environment().settings("s3").query(), Some("stage=test"));
    /// assert_eq!(Environment::default().settings("s3").query(), None);
    /// # Ok::<(), cloud_events_handler::LoadError>(())
    /// ```
    pub fn query(&self) -> Option<&str> {
        self.query.as_deref()
    }

    /// Headers added to every event request (`content-type` among them).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Host` header value: the host, and the port unless it is the scheme's default.
    pub fn authority(&self) -> String {
        match (self.port, self.scheme.as_str()) {
            (None, _) | (Some(80), "http") | (Some(443), "https") => self.host.clone(),
            (Some(port), _) => format!("{}:{port}", self.host),
        }
    }

    /// The pieces synthesis reuses on every request.
    pub(crate) fn prepared(&self) -> &Prepared {
        &self.prepared
    }

    /// Sets one key, then rebuilds the prepared pieces from the new settings.
    fn set(&mut self, key: &str, value: toml::Value) -> Result<(), String> {
        self.set_key(key, value)?;
        let authority = self.authority();
        self.prepared = Prepared {
            scheme: Scheme::from_str(&self.scheme).map_err(|e| format!("scheme: {e}"))?,
            host: HeaderValue::from_str(&authority).map_err(|e| format!("host: {e}"))?,
            authority: Authority::from_str(&authority).map_err(|e| format!("host: {e}"))?,
        };
        Ok(())
    }

    fn set_key(&mut self, key: &str, value: toml::Value) -> Result<(), String> {
        if IGNORED_WSGI_KEYS.contains(&key) {
            return Ok(());
        }
        if let Some(name) = key.strip_prefix("HTTP_") {
            let name = name.replace('_', "-").to_ascii_lowercase();
            return self.set_header(&name, &value);
        }
        match key {
            "method" | "REQUEST_METHOD" => {
                let text = string(&value)?;
                let method = Method::from_bytes(text.to_ascii_uppercase().as_bytes())
                    .map_err(|_| format!("{text:?} is not an HTTP method"))?;
                self.method = Some(method);
            }
            "scheme" | "wsgi.url_scheme" => {
                self.scheme = match string(&value)? {
                    s @ ("http" | "https") => s.to_owned(),
                    other => return Err(format!("{other:?} is not a scheme; use \"http\" or \"https\"")),
                };
            }
            "host" | "SERVER_NAME" => {
                let host = string(&value)?;
                http::uri::Authority::from_str(host)
                    .ok()
                    .filter(|a| a.port().is_none() && !host.contains('@'))
                    .ok_or_else(|| format!("{host:?} is not a host name; write the port in `port`"))?;
                self.host = host.to_owned();
            }
            "port" | "SERVER_PORT" => {
                let port = match &value {
                    toml::Value::Integer(n) => u16::try_from(*n).ok(),
                    toml::Value::String(s) => s.parse().ok(),
                    _ => None,
                };
                self.port = Some(port.ok_or_else(|| format!("{value:?} is not a port number (0 to 65535)"))?);
            }
            "protocol" | "SERVER_PROTOCOL" => {
                self.version = match string(&value)? {
                    "HTTP/1.0" => Version::HTTP_10,
                    "HTTP/1.1" => Version::HTTP_11,
                    "HTTP/2" | "HTTP/2.0" => Version::HTTP_2,
                    other => return Err(format!("{other:?} is not a protocol; use \"HTTP/1.0\", \"HTTP/1.1\" or \"HTTP/2\"")),
                };
            }
            "base_path" | "SCRIPT_NAME" => self.base_path = base_path(string(&value)?)?,
            "query" | "QUERY_STRING" => {
                let query = string(&value)?.trim_start_matches('?');
                http::uri::PathAndQuery::from_str(&format!("/?{query}"))
                    .map_err(|_| format!("{query:?} is not a valid query string; percent-encode it"))?;
                self.query = (!query.is_empty()).then(|| query.to_owned());
            }
            "content_type" | "CONTENT_TYPE" => self.set_header("content-type", &value)?,
            "headers" => {
                let toml::Value::Table(headers) = value else {
                    return Err("must be a table of header names and values".into());
                };
                for (name, value) in headers {
                    self.set_header(&name, &value).map_err(|p| format!("{name}: {p}"))?;
                }
            }
            _ => return Err(format!(
                "unknown key; use method, scheme, host, port, protocol, base_path, query, content_type, headers, or the WSGI names ({})",
                "REQUEST_METHOD, wsgi.url_scheme, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, SCRIPT_NAME, QUERY_STRING, CONTENT_TYPE, HTTP_*"
            )),
        }
        Ok(())
    }

    fn set_header(&mut self, name: &str, value: &toml::Value) -> Result<(), String> {
        let header =
            HeaderName::from_str(name).map_err(|_| format!("{name:?} is not a header name"))?;
        if matches!(
            header.as_str(),
            "host" | "content-length" | "transfer-encoding" | "ceh-rule"
        ) {
            return Err(format!(
                "`{header}` is set by ceh itself; use `host` for the host name"
            ));
        }
        let text = string(value)?;
        let value = HeaderValue::from_str(text)
            .map_err(|_| format!("{text:?} is not a valid header value (no control characters)"))?;
        self.headers.insert(header, value);
        Ok(())
    }
}

fn string(value: &toml::Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, found {}", value.type_str()))
}

/// Normalizes a base path: leading `/`, no trailing `/`, no `.`/`..` or empty segments.
fn base_path(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.starts_with('/')
        && !trimmed.contains(['?', '#'])
        && trimmed[1..]
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && http::uri::PathAndQuery::from_str(trimmed).is_ok();
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(format!("{text:?} is not a base path; write e.g. \"/events\" (percent-encoded, no `.` or `..` segments)"))
    }
}
