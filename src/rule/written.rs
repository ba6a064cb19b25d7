//! Where a rule, a setting or a key was written in a rule or configuration
//! file: its [`Origin`]; for a key an error names, found again in the file's
//! text, with spans, so that the error points at the key's own line.

use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

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
    pub file: Arc<str>,
    /// 1-based line: of the key at fault in an error, of the table that holds
    /// the rule elsewhere; 0 for none.
    pub line: usize,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            0 => write!(f, "{}", self.file),
            line => write!(f, "{}:{line}", self.file),
        }
    }
}

/// A file being loaded, to find where a key at fault was written: its text is
/// parsed again, keeping spans, only when there is a problem to report.
pub(crate) struct Source<'a> {
    /// The file as the user named it.
    pub(crate) file: &'a Arc<str>,
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

    /// Where the first of `paths` that is written was written (each as
    /// messages write it: `rule[0].match."$.a"`, `environment.wsgi.url_scheme`):
    /// its own line; when none is (a missing key), the line of the nearest
    /// table of the first that is; `otherwise` when none of it is.
    pub(crate) fn key_origin(&self, paths: &[impl AsRef<str>], otherwise: Origin) -> Origin {
        let Ok(doc) = DeTable::parse(self.text) else {
            return otherwise;
        };
        let root = DeValue::Table(doc.into_inner());
        let found: Vec<_> = paths
            .iter()
            .map(AsRef::as_ref)
            .filter(|path| !path.is_empty())
            .filter_map(|path| written(&root, &format!(".{path}")))
            .collect();
        let exact = found.iter().find(|(_, whole)| *whole);
        match exact.or(found.first()) {
            Some((offset, _)) => self.at(*offset),
            None => otherwise,
        }
    }

    /// The TOML path of the innermost key written at byte `offset`
    /// (`fallback.pth`, `rule[1]`); `None` outside every key or when the
    /// text is not TOML.
    pub(crate) fn key_at(&self, offset: usize) -> Option<String> {
        let doc = DeTable::parse(self.text).ok()?;
        key_in_table(doc.get_ref(), offset).filter(|path| !path.is_empty())
    }
}

/// The path below `table` of the innermost key written at `offset`.
fn key_in_table(table: &DeTable<'_>, offset: usize) -> Option<String> {
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
fn key_in(value: &Spanned<DeValue<'_>>, offset: usize) -> Option<String> {
    let inner = match value.get_ref() {
        DeValue::Table(table) => key_in_table(table, offset),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(n, item)| {
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
/// and `true`; or of the nearest table of it that is, and `false`.
fn written(value: &DeValue<'_>, rest: &str) -> Option<(usize, bool)> {
    if rest.is_empty() {
        return None;
    }
    if let Some(after) = rest.strip_prefix('[') {
        let (index, after) = after.split_once(']')?;
        let DeValue::Array(items) = value else {
            return None;
        };
        let item = items.get(index.parse::<usize>().ok()?)?;
        let here = (item.span().start, after.is_empty());
        return written(item.get_ref(), after).or(Some(here));
    }
    let rest = rest.strip_prefix('.')?;
    let DeValue::Table(table) = value else {
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
    let here = (key.span().start, after.is_empty());
    written(value.get_ref(), after).or(Some(here))
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
