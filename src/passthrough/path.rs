//! The request path: the API Gateway stage and the base path, by whole segments.

use super::options::HttpOptions;
use crate::escape;

/// The path the app sees, escaped for the URI.
///
/// The stage (`None`, empty or `$default` for none) is removed when it is the
/// first segment, or, with `keep_stage`, put first when it is not there
/// (REST APIs leave it out of `path`; the client's URL has it). The base path
/// is then removed when the path starts with it, by whole segments.
#[cfg(test)]
fn route(path: &str, stage: Option<&str>, options: &HttpOptions) -> String {
    split(path, stage, options).1
}

/// Like [`route`], with what was removed from the front of the path: the
/// stage and the base path, escaped, as `/prod/api` (empty when nothing
/// was), which the app gets in `X-Forwarded-Prefix` to build absolute URLs.
pub(super) fn split(path: &str, stage: Option<&str>, options: &HttpOptions) -> (String, String) {
    let mut path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let mut removed = String::new();
    if let Some(stage) = stage.filter(|s| !s.is_empty() && *s != "$default") {
        let prefix = format!("/{stage}");
        match strip_segments(&path, &prefix) {
            Some(rest) if !options.keep_stage() => {
                removed.push_str(&prefix);
                path = rest.to_owned();
            }
            None if options.keep_stage() => path.insert_str(0, &prefix),
            _ => {}
        }
    }
    if let Some(base) = options.base_path() {
        if let Some(rest) = strip_segments(&path, base) {
            removed.push_str(base);
            path = rest.to_owned();
        }
    }
    (
        escape::raw(&removed, escape::PATH),
        escape::raw(&path, escape::PATH),
    )
}

/// `path` without `prefix` when the prefix is whole segments of it: `/api`
/// strips `/api` (leaving `/`) and `/api/x`, not `/apix`.
fn strip_segments<'p>(path: &'p str, prefix: &str) -> Option<&'p str> {
    match path.strip_prefix(prefix)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(base: &str, keep_stage: bool) -> HttpOptions {
        HttpOptions::default()
            .with_base_path(base)
            .map(|o| o.with_keep_stage(keep_stage))
            .unwrap_or_default()
    }

    #[test]
    fn the_base_path_is_stripped_by_segments() {
        let o = options("/api", false);
        assert_eq!(route("/api/x", None, &o), "/x");
        assert_eq!(
            split("/api/x", None, &o),
            ("/api".to_owned(), "/x".to_owned())
        );
        assert_eq!(
            split("/prod/api/x", Some("prod"), &o),
            ("/prod/api".to_owned(), "/x".to_owned())
        );
        assert_eq!(
            split("/v1/x", None, &o),
            (String::new(), "/v1/x".to_owned())
        );
        assert_eq!(route("/api", None, &o), "/");
        assert_eq!(route("/api/", None, &o), "/");
        assert_eq!(route("/apix", None, &o), "/apix");
        assert_eq!(route("/v1/api/x", None, &o), "/v1/api/x");
    }

    #[test]
    fn the_stage_is_left_out_unless_kept() {
        let strip = options("", false);
        assert_eq!(route("/prod/users", Some("prod"), &strip), "/users");
        assert_eq!(route("/prod", Some("prod"), &strip), "/");
        assert_eq!(
            route("/production/x", Some("prod"), &strip),
            "/production/x"
        );
        assert_eq!(route("/users", Some("prod"), &strip), "/users");
        assert_eq!(
            route("/$default/x", Some("$default"), &strip),
            "/$default/x"
        );
        let keep = options("", true);
        assert_eq!(route("/prod/users", Some("prod"), &keep), "/prod/users");
        assert_eq!(route("/users", Some("prod"), &keep), "/prod/users");
        assert_eq!(route("/users", Some("$default"), &keep), "/users");
    }

    #[test]
    fn stage_then_base_path() {
        let o = options("/api", false);
        assert_eq!(route("/prod/api/users", Some("prod"), &o), "/users");
    }

    #[test]
    fn paths_are_escaped_after_stripping() {
        let o = options("/api", false);
        assert_eq!(route("/api/a b", None, &o), "/a%20b");
        assert_eq!(route("relative", None, &o), "/relative");
        assert_eq!(route("", None, &o), "/");
    }
}
