//! The default request environment (host, scheme, method, base path, headers…)
//! and its TOML override, which also accepts the Python handler's WSGI keys.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use http::header::CONTENT_TYPE;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Version};
use serde::{Deserialize, Deserializer};

use super::table::{checked, expected, read_table, unknown_key};
use crate::escape::route_key;
use crate::headers::{DELIVERY_ATTEMPT_HEADER, RESERVED};
use crate::rule::Rule;

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
    /// The base path as a synthesized path is compared with reserved routes
    /// under it: its [`route_key`], empty for `/` (no base path).
    pub(crate) base_key: String,
}

impl Default for Prepared {
    fn default() -> Self {
        Self {
            scheme: Scheme::HTTP,
            authority: Authority::from_static("localhost"),
            host: HeaderValue::from_static("localhost"),
            base_key: String::new(),
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

    /// Reads an `[environment]` table: the global settings, then each
    /// `[environment.rule.<name>]`, whose name must be in `rule_names`.
    pub(crate) fn from_table(
        mut table: toml::Table,
        rule_names: &HashSet<&str>,
    ) -> Result<Self, String> {
        // The per-rule tables start from the global settings, so those come first.
        let per_rule_tables = table.remove("rule");
        let raw = read_table(table, "environment", KEYS)?;
        let global = Settings::compile(raw, &Settings::default(), "environment")?;
        let per_rule_tables = match per_rule_tables {
            None => toml::Table::new(),
            Some(toml::Value::Table(tables)) => tables,
            Some(_) => {
                let example = "e.g. [environment.rule.s3]";
                return Err(format!(
                    "environment.rule: must be a table of per-rule tables, {example}"
                ));
            }
        };
        // A per-rule method outranks the rule's own `method`, the global one does
        // not (see `method`), so per-rule settings do not inherit it.
        let base = Settings {
            method: None,
            ..global.clone()
        };
        let mut environment = Self {
            global,
            ..Self::default()
        };
        for (name, table) in per_rule_tables {
            let at = format!("environment.rule.{name}");
            if !rule_names.contains(name.as_str()) {
                return Err(format!(
                    "{at}: there is no rule named `{name}`; `ceh rules list` shows the names"
                ));
            }
            let toml::Value::Table(table) = table else {
                return Err(format!("{at}: must be a table of settings"));
            };
            let mut settings = Settings::compile(read_table(table, &at, KEYS)?, &base, &at)?;
            if let Some(method) = settings.method.take() {
                environment.per_rule_methods.insert(name.clone(), method);
            }
            environment.per_rule.insert(name, settings);
        }
        Ok(environment)
    }
}

/// One environment table as written, `[environment]` or
/// `[environment.rule.<name>]`: ceh's names, with the seed's WSGI names as
/// aliases, each value checked as it is read so an error names the key as written.
#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSettings {
    #[serde(alias = "REQUEST_METHOD", deserialize_with = "method")]
    method: Option<Method>,
    #[serde(alias = "wsgi.url_scheme", deserialize_with = "scheme")]
    scheme: Option<String>,
    #[serde(alias = "SERVER_NAME", deserialize_with = "host")]
    host: Option<String>,
    #[serde(alias = "SERVER_PORT", deserialize_with = "port")]
    port: Option<u16>,
    #[serde(alias = "SERVER_PROTOCOL", deserialize_with = "protocol")]
    protocol: Option<Version>,
    #[serde(alias = "SCRIPT_NAME", deserialize_with = "base_path")]
    base_path: Option<String>,
    /// `Some(None)` clears a query the global settings set.
    #[serde(alias = "QUERY_STRING", deserialize_with = "query")]
    query: Option<Option<String>>,
    #[serde(alias = "CONTENT_TYPE", deserialize_with = "content_type")]
    content_type: Option<HeaderValue>,
    #[serde(deserialize_with = "headers")]
    headers: Option<Vec<(HeaderName, HeaderValue)>>,
    /// `HTTP_*` headers, the WSGI keys that mean nothing here, and unknown keys,
    /// for `compile` to tell apart: serde cannot `deny_unknown_fields` beside a
    /// flattened map.
    #[serde(flatten)]
    rest: toml::Table,
}

/// Every key an environment table knows, as an unknown key's error lists them.
const KEYS: &str = concat!(
    "method, scheme, host, port, protocol, base_path, query, content_type, headers, or the WSGI names ",
    "(REQUEST_METHOD, wsgi.url_scheme, SERVER_NAME, SERVER_PORT, SERVER_PROTOCOL, SCRIPT_NAME, QUERY_STRING, CONTENT_TYPE, HTTP_*)"
);

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

    /// The settings `raw` makes of `base`.
    ///
    /// A header written more than once takes the last of `content_type`, the
    /// `HTTP_*` keys, `headers`; each adds to `base`'s headers.
    fn compile(raw: RawSettings, base: &Self, at: &str) -> Result<Self, String> {
        let mut headers = base.headers.clone();
        if let Some(value) = raw.content_type {
            headers.insert(CONTENT_TYPE, value);
        }
        for (key, value) in raw.rest {
            if IGNORED_WSGI_KEYS.contains(&key.as_str()) {
                continue;
            }
            let Some(name) = key.strip_prefix("HTTP_") else {
                return Err(unknown_key(at, &key, KEYS));
            };
            let (name, value) = header(&name.replace('_', "-").to_ascii_lowercase(), &value)
                .map_err(|problem| format!("{at}.{key}: {problem}"))?;
            headers.insert(name, value);
        }
        for (name, value) in raw.headers.into_iter().flatten() {
            headers.insert(name, value);
        }
        let mut settings = Self {
            method: raw.method.or_else(|| base.method.clone()),
            scheme: raw.scheme.unwrap_or_else(|| base.scheme.clone()),
            host: raw.host.unwrap_or_else(|| base.host.clone()),
            port: raw.port.or(base.port),
            version: raw.protocol.unwrap_or(base.version),
            base_path: raw.base_path.unwrap_or_else(|| base.base_path.clone()),
            query: raw.query.unwrap_or_else(|| base.query.clone()),
            headers,
            prepared: Prepared::default(),
        };
        settings.prepared = settings
            .prepare()
            .map_err(|problem| format!("{at}: {problem}"))?;
        Ok(settings)
    }

    /// The pieces of every request, from the settings.
    fn prepare(&self) -> Result<Prepared, String> {
        let authority = self.authority();
        Ok(Prepared {
            scheme: Scheme::from_str(&self.scheme).map_err(|e| format!("scheme: {e}"))?,
            host: HeaderValue::from_str(&authority).map_err(|e| format!("host: {e}"))?,
            authority: Authority::from_str(&authority).map_err(|e| format!("host: {e}"))?,
            base_key: base_key(&self.base_path),
        })
    }
}

/// A base path's [`route_key`]: what a path made under it is compared by,
/// empty for `/`.
fn base_key(base_path: &str) -> String {
    match route_key(base_path) {
        key if key == "/" => String::new(),
        key => key.into_owned(),
    }
}

fn method<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Method>, D::Error> {
    text(d, |text| {
        Method::from_bytes(text.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("{text:?} is not an HTTP method"))
    })
}

fn scheme<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text(d, |text| match text {
        "http" | "https" => Ok(text.to_owned()),
        _ => Err(format!(
            "{text:?} is not a scheme; use \"http\" or \"https\""
        )),
    })
}

fn host<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text(d, |host| match Authority::from_str(host) {
        Ok(a) if a.port().is_none() && !host.contains('@') => Ok(host.to_owned()),
        _ => Err(format!(
            "{host:?} is not a host name; write the port in `port`"
        )),
    })
}

fn port<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u16>, D::Error> {
    checked(d, |value| {
        // A WSGI environ's SERVER_PORT is a string.
        let port = match &value {
            toml::Value::Integer(n) => u16::try_from(*n).ok(),
            toml::Value::String(s) => s.parse().ok(),
            _ => None,
        };
        port.ok_or_else(|| format!("{value:?} is not a port number (0 to 65535)"))
    })
}

fn protocol<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Version>, D::Error> {
    text(d, |text| match text {
        "HTTP/1.0" => Ok(Version::HTTP_10),
        "HTTP/1.1" => Ok(Version::HTTP_11),
        "HTTP/2" | "HTTP/2.0" => Ok(Version::HTTP_2),
        _ => Err(format!(
            "{text:?} is not a protocol; use \"HTTP/1.0\", \"HTTP/1.1\" or \"HTTP/2\""
        )),
    })
}

fn base_path<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text(d, path_prefix)
}

fn query<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    text(d, |text| {
        let query = text.trim_start_matches('?');
        PathAndQuery::from_str(&format!("/?{query}"))
            .map_err(|_| format!("{query:?} is not a valid query string; percent-encode it"))?;
        Ok((!query.is_empty()).then(|| query.to_owned()))
    })
}

fn content_type<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HeaderValue>, D::Error> {
    checked(d, |value| header_value(&value))
}

fn headers<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<(HeaderName, HeaderValue)>>, D::Error> {
    checked(d, |value| match value {
        toml::Value::Table(headers) => headers
            .iter()
            .map(|(name, value)| header(name, value).map_err(|p| format!("{name}: {p}")))
            .collect(),
        _ => Err("must be a table of header names and values".into()),
    })
}

/// A string setting, checked by `parse`.
fn text<'de, D: Deserializer<'de>, T>(
    d: D,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Option<T>, D::Error> {
    checked(d, |value| parse(string(&value)?))
}

/// A header for every event request, which may not be one ceh sets itself.
fn header(name: &str, value: &toml::Value) -> Result<(HeaderName, HeaderValue), String> {
    let header =
        HeaderName::from_str(name).map_err(|_| format!("{name:?} is not a header name"))?;
    if RESERVED.contains(&header) {
        return Err(format!(
            "`{header}` is set by ceh itself; use `host` for the host name"
        ));
    }
    if header == DELIVERY_ATTEMPT_HEADER {
        // The same count on every event would be no count at all.
        return Err(format!(
            "`{header}` is what each event's source says; set it in a rule's `headers` from the event"
        ));
    }
    Ok((header, header_value(value)?))
}

fn header_value(value: &toml::Value) -> Result<HeaderValue, String> {
    let text = string(value)?;
    HeaderValue::from_str(text)
        .map_err(|_| format!("{text:?} is not a valid header value (no control characters)"))
}

fn string(value: &toml::Value) -> Result<&str, String> {
    value.as_str().ok_or_else(|| expected("a string", value))
}

/// Normalizes a base path: leading `/`, no trailing `/`, no `.`/`..` or empty segments.
fn path_prefix(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let valid = trimmed.starts_with('/')
        && !trimmed.contains(['?', '#'])
        && trimmed[1..]
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
        && PathAndQuery::from_str(trimmed).is_ok();
    if valid {
        Ok(trimmed.to_owned())
    } else {
        Err(format!("{text:?} is not a base path; write e.g. \"/events\" (percent-encoded, no `.` or `..` segments)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_path_is_keyed_as_routes_are_read_and_slash_is_none() {
        for (base_path, key) in [
            ("", ""),
            ("/", ""),
            ("/hooks", "/hooks"),
            ("/Hooks/", "/hooks"),
        ] {
            assert_eq!(base_key(base_path), key, "{base_path:?}");
        }
        assert_eq!(Settings::default().prepared().base_key, "");
    }

    fn problem(text: &str) -> String {
        let table: toml::Table = toml::from_str(text).unwrap();
        Environment::from_table(table, &HashSet::from(["s3"])).unwrap_err()
    }

    #[test]
    fn the_wsgi_keys_ceh_ignores_take_any_value() {
        let text = "PATH_INFO = 1\nCONTENT_LENGTH = \"x\"\n\"wsgi.input\" = {}\n\"wsgi.version\" = [1, 0]\n";
        let table: toml::Table = toml::from_str(text).unwrap();
        let environment = Environment::from_table(table, &HashSet::new()).unwrap();
        assert_eq!(
            environment.settings("s3").headers().len(),
            1,
            "content-type only"
        );
    }

    #[test]
    fn a_setting_is_written_once_under_either_name() {
        assert_eq!(
            problem("port = 1\nSERVER_PORT = \"2\"\n"),
            "environment.SERVER_PORT: duplicate key `port`; write the setting once, under one of its names"
        );
    }

    #[test]
    fn a_per_rule_table_has_no_rule_tables_of_its_own() {
        assert!(problem("[rule.s3]\nrule = {}\n")
            .starts_with("environment.rule.s3.rule: unknown key; use method, scheme,"));
    }
}
