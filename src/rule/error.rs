//! Errors found while loading rule and configuration files, and the reading of
//! settings tables that names the key at fault.

use std::fmt;

/// Where a rule or setting was written: a file (or built-in rule set) and a line.
///
/// ```
/// use cloud_events_handler::RuleTable;
///
/// let origin = RuleTable::builtin().get("s3").unwrap().origin().clone();
/// assert!(origin.to_string().starts_with("rules/records.toml:"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// The file name as the user gave it, or `rules/<name>.toml` for built-ins.
    pub file: std::sync::Arc<str>,
    /// 1-based line: of the key at fault in an error, of the table that holds
    /// the rule elsewhere; 0 for none.
    pub line: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.file),
            line => write!(f, "{}:{line}", self.file),
        }
    }
}

/// A rule or configuration file that cannot be used. Every variant names the
/// file and line, and where it applies the rule and key at fault.
///
/// ```
/// use cloud_events_handler::{Config, LoadError};
///
/// let err = Config::parse("ceh.toml", "[[rule]]\nname = \"x\"\n").unwrap_err();
/// assert!(matches!(err, LoadError::Rule { .. }));
/// assert_eq!(err.to_string(), "ceh.toml:1: rule `x`: key `rule[0].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file could not be read.
    #[error("{file}: cannot read the file: {source}")]
    Read {
        /// The file as named by the user.
        file: String,
        /// The I/O failure.
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a key outside the rules is unknown or mistyped.
    #[error("{at}: {message}")]
    Toml {
        /// Where the parser stopped: the key at fault, when there is one.
        at: Origin,
        /// The parser's reason, after the TOML path of the key at fault
        /// (e.g. `fallback.pth: unknown key …`) when there is one.
        message: String,
    },
    /// A rule's key has a value that cannot be used.
    #[error("{at}: rule `{rule}`: {problem}")]
    Rule {
        /// The line of the key at fault; of the rule's table when the key is
        /// missing or the rule as a whole is at fault.
        at: Origin,
        /// The rule's name (or `#N`, its position in the file, when it has none).
        rule: String,
        /// What is wrong, naming the key at fault by its TOML path (e.g.
        /// `rule[0].path` or `rule[2].match."$.source"`, counting rules from 0),
        /// and what to write instead.
        problem: String,
    },
    /// Two rules share a name.
    #[error("{at}: rule `{name}`: the name is already used at {first}; rule names must be unique")]
    DuplicateRule {
        /// The second rule.
        at: Origin,
        /// The shared name.
        name: String,
        /// The first rule with that name.
        first: Origin,
    },
    /// A setting outside the rules (environment, fallback) cannot be used.
    #[error("{at}: {problem}")]
    Setting {
        /// The line of the key at fault; of its table when the key is missing.
        at: Origin,
        /// What is wrong, naming the key at fault (e.g. `environment.SERVER_PORT`),
        /// and what to write instead.
        problem: String,
    },
}

impl LoadError {
    /// A TOML parse or shape error, located from the byte span the parser
    /// reports and naming the key written there.
    pub(crate) fn toml(file: &std::sync::Arc<str>, text: &str, err: &toml::de::Error) -> Self {
        let source = Source { file, text };
        let offset = err.span().map_or(0, |span| span.start);
        let message = err
            .message()
            .trim()
            .replace("unknown field", "unknown key")
            .replace("missing field", "missing key")
            .replace('\n', " ");
        let message = match source.key_at(offset) {
            Some(key) => format!("{key}: {message}"),
            None => message,
        };
        Self::Toml {
            at: source.at(offset),
            message,
        }
    }

    /// This error of a settings table (`problem` reads `key.path: …`), or of
    /// the rule at `index` of the file (`problem` names its keys in
    /// backquotes), at the line of the key at fault, which it names by its
    /// TOML path. Other errors are returned as they are.
    pub(crate) fn at_key(self, source: &Source<'_>, index: Option<usize>) -> Self {
        match (self, index) {
            (Self::Setting { at, problem }, _) => {
                let key = problem.split_once(": ").map_or("", |(key, _)| key);
                Self::Setting {
                    at: source.key_origin(key, at),
                    problem,
                }
            }
            (Self::Rule { at, rule, problem }, Some(index)) => {
                let (problem, key) = rule_keys(&problem, index);
                Self::Rule {
                    at: source.key_origin(&key, at),
                    rule,
                    problem,
                }
            }
            (other, _) => other,
        }
    }
}

/// `problem` with each key its lead names (`key `path` is missing: …`, ``keys
/// `body` and `metadata` apply …``) under `rule[index].`, and the first key so
/// named; the rule itself when it names none.
fn rule_keys(problem: &str, index: usize) -> (String, String) {
    let rule = format!("rule[{index}]");
    let (lead, rest) = match problem.split_once(": ") {
        Some((lead, rest)) if lead.starts_with("key") => (lead, Some(rest)),
        _ if problem.starts_with("key") => (problem, None),
        _ => return (problem.to_owned(), rule),
    };
    let mut first = None;
    let mut named = String::new();
    for (n, piece) in lead.split('`').enumerate() {
        if n % 2 == 1 {
            first.get_or_insert_with(|| format!("{rule}.{piece}"));
            named.push_str(&format!("`{rule}.{piece}`"));
        } else {
            named.push_str(piece);
        }
    }
    if let Some(rest) = rest {
        named.push_str(": ");
        named.push_str(rest);
    }
    (named, first.unwrap_or(rule))
}

/// A file being loaded, to find where a key at fault was written: its text is
/// parsed again, keeping spans, only when there is a problem to report.
pub(crate) struct Source<'a> {
    /// The file as the user named it.
    pub(crate) file: &'a std::sync::Arc<str>,
    /// Its text.
    pub(crate) text: &'a str,
}

impl Source<'_> {
    /// The line byte `offset` falls on.
    pub(crate) fn at(&self, offset: usize) -> Origin {
        Origin {
            file: self.file.clone(),
            line: line_of(self.text, offset),
        }
    }

    /// Where the key `path` names was written (`rule[0].match."$.a"`,
    /// `environment.wsgi.url_scheme`, as messages write it): its own line, or
    /// for a key not written (a missing one) the line of the nearest table
    /// that is; `otherwise` when none of it is.
    pub(crate) fn key_origin(&self, path: &str, otherwise: Origin) -> Origin {
        if path.is_empty() {
            return otherwise;
        }
        let Ok(doc) = toml::de::DeTable::parse(self.text) else {
            return otherwise;
        };
        let root = toml::de::DeValue::Table(doc.into_inner());
        match written(&root, &format!(".{path}")) {
            Some(offset) => self.at(offset),
            None => otherwise,
        }
    }

    /// The TOML path of the innermost key written at byte `offset`
    /// (`fallback.pth`, `rule[1]`); `None` outside every key or when the
    /// text is not TOML.
    pub(crate) fn key_at(&self, offset: usize) -> Option<String> {
        let doc = toml::de::DeTable::parse(self.text).ok()?;
        key_in_table(doc.get_ref(), offset).filter(|path| !path.is_empty())
    }
}

/// The path below `table` of the innermost key written at `offset`.
fn key_in_table(table: &toml::de::DeTable<'_>, offset: usize) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let name = toml_key(key.get_ref());
        if key.span().contains(&offset) {
            return Some(name);
        }
        let inner = key_in(value, offset)?;
        Some(match inner.chars().next() {
            None => name,
            Some('[') => format!("{name}{inner}"),
            Some(_) => format!("{name}.{inner}"),
        })
    })
}

/// The path below `value` of the innermost key written at `offset`: empty
/// when `value` holds `offset` but no key of it does.
fn key_in(value: &toml::Spanned<toml::de::DeValue<'_>>, offset: usize) -> Option<String> {
    let inner = match value.get_ref() {
        toml::de::DeValue::Table(table) => key_in_table(table, offset),
        toml::de::DeValue::Array(items) => items.iter().enumerate().find_map(|(n, item)| {
            let inner = key_in(item, offset)?;
            Some(match inner.chars().next() {
                None | Some('[') => format!("[{n}]{inner}"),
                Some(_) => format!("[{n}].{inner}"),
            })
        }),
        _ => None,
    };
    inner.or_else(|| value.span().contains(&offset).then(String::new))
}

/// A key as TOML writes it: bare when it can be, else quoted.
fn toml_key(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare {
        key.to_owned()
    } else {
        format!("{key:?}")
    }
}

/// The offset of the last key of `rest` (`.a[0].b`) written below `value`,
/// or of the nearest table of it that is.
fn written(value: &toml::de::DeValue<'_>, rest: &str) -> Option<usize> {
    if let Some(after) = rest.strip_prefix('[') {
        let (index, after) = after.split_once(']')?;
        let toml::de::DeValue::Array(items) = value else {
            return None;
        };
        let item = items.get(index.parse::<usize>().ok()?)?;
        return written(item.get_ref(), after).or(Some(item.span().start));
    }
    let rest = rest.strip_prefix('.')?;
    let toml::de::DeValue::Table(table) = value else {
        return None;
    };
    // The longest key `rest` starts with, as written or quoted (`"$.a"`):
    // a key may hold dots itself (`wsgi.url_scheme`).
    let (key, value, after) = table
        .iter()
        .flat_map(|(key, value)| {
            [key.get_ref().to_string(), format!("{:?}", key.get_ref())]
                .into_iter()
                .filter_map(move |name| {
                    let after = rest.strip_prefix(name.as_str())?;
                    after
                        .chars()
                        .next()
                        .is_none_or(|c| matches!(c, '.' | '['))
                        .then_some((key, value, after, name.len()))
                })
        })
        .max_by_key(|(.., len)| *len)
        .map(|(key, value, after, _)| (key, value, after))?;
    written(value.get_ref(), after).or(Some(key.span().start))
}

/// The 1-based line on which byte `offset` of `text` falls.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
