//! Event routes: the paths ceh sends events to, which no HTTP client may reach.
//!
//! A client of an HTTP event (API Gateway, ALB, a function URL) must not pose
//! as an event source and run the app's `/aws.s3` handler. Servers and
//! frameworks read a path more loosely than its bytes: they percent-decode
//! it, merge slashes, remove `.` and `..` segments, drop `;` parameters, and
//! some route without regard to letter case. So a request path is compared
//! after every one of those steps ([`normalize`]), against every route a rule
//! can produce: its static path, each path its placeholders can take when a
//! predicate pins them to known values, or else the static directory before
//! its first placeholder, and a configured fallback path.

use super::environment::Environment;
use crate::escape::{decoded_fully, is_route_key};
use crate::rule::{pinned_paths, Route, Rule, RuleTable};

/// The event routes of a configuration, under their base paths.
#[derive(Clone, Debug, Default)]
pub(crate) struct EventRoutes {
    /// As written (sorted, without duplicates), for people to read.
    written: Vec<String>,
    /// As compared: normalized.
    normalized: Vec<String>,
}

impl EventRoutes {
    /// Every route the rules and the fallback of `rules` can send an event to.
    pub(crate) fn new(rules: &RuleTable, environment: &Environment) -> Self {
        let mut written: Vec<String> = Vec::new();
        for rule in rules.rules() {
            let base = environment.settings(rule.name()).base_path();
            written.extend(
                route_prefixes(rule)
                    .into_iter()
                    .map(|p| format!("{base}{p}")),
            );
        }
        if let Some(fallback) = rules.fallback() {
            let base = environment.settings(fallback.name()).base_path();
            if let Some(path) = fallback.path().map(|p| p.as_str().trim_end_matches('/')) {
                // The default fallback `/` is every path: it reserves nothing.
                if !path.is_empty() {
                    written.push(format!("{base}{path}"));
                }
            }
        }
        written.retain(|route| !route.is_empty());
        written.sort();
        written.dedup();
        let mut normalized: Vec<String> = written.iter().map(|route| normalize(route)).collect();
        normalized.retain(|route| route != "/");
        normalized.sort();
        normalized.dedup();
        Self {
            written,
            normalized,
        }
    }

    /// The routes as written in the rules, under their base paths.
    pub(crate) fn as_slice(&self) -> &[String] {
        &self.written
    }

    /// Whether a request to `path` would reach an event route, read the way
    /// any common server might read it.
    pub(crate) fn reserves(&self, path: &str) -> bool {
        let path = normalize(path);
        self.normalized.iter().any(|route| {
            path == *route
                || path
                    .strip_prefix(route.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

/// The path prefixes under which every request of `rule` falls (none for an
/// HTTP rule, and none for a path that starts with a placeholder no
/// predicate pins down: `/{$.source}` can be anything).
fn route_prefixes(rule: &Rule) -> Vec<String> {
    let Route::Event { path, .. } = rule.route() else {
        return Vec::new();
    };
    if path.is_static() {
        return vec![path.as_str().trim_end_matches('/').to_owned()];
    }
    // A batch rule's placeholders read each record, its predicates the whole event.
    let pinned = match rule.batch() {
        Some(_) => None,
        None => pinned_paths(path.parts(), rule.predicates()),
    };
    match pinned {
        Some(paths) => paths
            .into_iter()
            .map(|p| p.trim_end_matches('/').to_owned())
            .collect(),
        None => {
            // `/orders/{$.type}` reserves `/orders`; `/{$.source}` reserves nothing by path.
            let prefix = path.static_prefix();
            vec![prefix[..prefix.rfind('/').unwrap_or(0)].to_owned()]
        }
    }
}

/// A path as the loosest common server reads it: percent-decoded until it
/// stays the same ([`decoded_fully`]), `\` read as `/`, `;` parameters dropped from
/// each segment, empty segments merged, `.` and `..` segments removed as
/// RFC 3986 §5.2.4 does, and letters in lower case.
///
/// ```text
/// //AWS.S3;x  /x/../aws.s3  /%61ws%2Es3  /x/%2e%2e/aws.s3   all read as   /aws.s3
/// ```
pub(crate) fn normalize(path: &str) -> String {
    if is_route_key(path) {
        // Nothing in it decodes, lower-cases or goes: most routes.
        return path.to_owned();
    }
    normalized_long_way(path)
}

/// [`normalize`] step by step, for a path that may need any of the steps.
fn normalized_long_way(path: &str) -> String {
    let text = decoded_fully(path).replace('\\', "/").to_lowercase();
    let mut segments: Vec<&str> = Vec::new();
    for segment in text.split('/') {
        let segment = segment.split(';').next().unwrap_or_default();
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            _ => segments.push(segment),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Config;

    /// The shortcut of [`normalize`] gives what its steps give, for every
    /// event route of the built-in rules.
    #[test]
    fn a_normal_route_is_kept_as_it_is() {
        let routes = EventRoutes::new(Config::default().rules(), &Default::default());
        let shortcuts = routes.written.iter().filter(|route| is_route_key(route));
        let mut count = 0;
        for route in shortcuts {
            count += 1;
            assert_eq!(normalized_long_way(route), *route);
        }
        assert!(count > 50, "{count} of {}", routes.written.len());
    }

    #[test]
    fn every_common_reading_of_a_path_is_compared() {
        for path in [
            "/aws.s3",
            "//aws.s3",
            "///aws.s3",
            "/%61ws.s3",
            "/aws%2Es3",
            "/%2Faws.s3",
            "/x/../aws.s3",
            "/./aws.s3",
            "/x/%2e%2e/aws.s3",
            "/aws.s3;x",
            "/AWS.S3",
            "/%2561ws.s3",
            "\\aws.s3",
            "/aws.s3/",
            "/aws.s3/anything",
        ] {
            let normalized = normalize(path);
            assert!(
                normalized == "/aws.s3" || normalized.starts_with("/aws.s3/"),
                "{path} reads as {normalized}"
            );
        }
        assert_eq!(normalize("/users/42"), "/users/42");
        assert_eq!(normalize("/../../etc"), "/etc");
        assert_eq!(normalize(""), "/");
    }

    #[test]
    fn static_routes_placeholders_pinned_by_predicates_and_the_fallback_are_reserved() {
        let config = Config::parse("ceh.toml", "[fallback]\npath = \"/Unmatched\"\n").unwrap();
        let routes = EventRoutes::new(config.rules(), config.environment());
        for path in [
            "/aws.s3",
            "/aws.s3.eventbridge",
            "/AWS.SQS.EVENTBRIDGE",
            "/unmatched",
            "/x/../unmatched/more",
        ] {
            assert!(routes.reserves(path), "{path}");
        }
        for path in ["/", "/aws.s3x", "/users/42", "/com.example.orders"] {
            assert!(!routes.reserves(path), "{path}");
        }
        assert!(routes.as_slice().iter().any(|r| r == "/Unmatched"));
    }

    #[test]
    fn the_default_fallback_reserves_nothing() {
        let config = Config::default();
        let routes = EventRoutes::new(config.rules(), config.environment());
        assert!(!routes.reserves("/"));
        assert!(!routes.reserves("/anything"));
    }
}
