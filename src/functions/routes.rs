//! The paths the Functions host forwards HTTP requests to when host.json sets
//! `enableForwardingHttpRequest`: an HTTP-in-and-out function's route under
//! `extensions.http.routePrefix`.
//!
//! The host invokes every other function with `POST /<function name>`, and
//! forwards an HTTP request at its own path, which it only does for a path
//! one of those routes matches (as ASP.NET routing matches: case-insensitive,
//! `{param}`, `{param?}`, `{*rest}`). So a forwarded request can arrive at
//! `/<function name>` only when such a route matches that path; a function
//! app where one does is refused at start, for ceh could not tell a client's
//! request from the host's invocation.

/// One route template, prefix included, cut into its segments.
#[derive(Clone, Debug)]
pub(super) struct RouteTemplate {
    text: String,
    segments: Vec<Segment>,
}

#[derive(Clone, Debug)]
enum Segment {
    /// Text that must be there, compared without regard to case.
    Literal(String),
    /// Any one segment (`{id}`, or text mixed with parameters); `optional`
    /// when it may be left out (`{id?}`, `{id=default}`).
    One { optional: bool },
    /// Any number of segments, none included (`{*rest}`, `{**rest}`).
    Rest,
}

impl RouteTemplate {
    /// The template of a route under `prefix` (host.json's routePrefix).
    pub(super) fn new(prefix: &str, route: &str) -> Self {
        let segments = prefix
            .split('/')
            .chain(route.split('/'))
            .filter(|s| !s.is_empty())
            .map(segment)
            .collect();
        let text = format!(
            "/{}",
            [prefix, route].map(|s| s.trim_matches('/')).join("/")
        );
        Self {
            text: text.replace("//", "/"),
            segments,
        }
    }

    /// Whether a request at `/<name>` can match the template.
    pub(super) fn matches_name(&self, name: &str) -> bool {
        matches(&self.segments, &[name])
    }

    /// The template as host.json and function.json make it, for messages.
    pub(super) fn text(&self) -> &str {
        &self.text
    }
}

fn segment(text: &str) -> Segment {
    match text.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
        Some(inner) if !inner.contains(['{', '}']) => {
            if inner.starts_with('*') {
                Segment::Rest
            } else {
                Segment::One {
                    optional: inner.ends_with('?') || inner.contains('='),
                }
            }
        }
        // Text mixed with parameters (`file.{ext}`) is taken to match anything: the safe side.
        _ if text.contains('{') => Segment::One { optional: false },
        _ => Segment::Literal(text.to_owned()),
    }
}

fn matches(segments: &[Segment], path: &[&str]) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return path.is_empty();
    };
    match first {
        Segment::Literal(text) => path
            .split_first()
            .is_some_and(|(p, after)| p.eq_ignore_ascii_case(text) && matches(rest, after)),
        Segment::One { optional } => {
            path.split_first()
                .is_some_and(|(_, after)| matches(rest, after))
                || (*optional && matches(rest, path))
        }
        Segment::Rest => (0..=path.len()).any(|skip| matches(rest, &path[skip..])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_matched_as_the_host_routes() {
        let matching = [
            ("", "orders"),
            ("", "ORDERS"),
            ("", "{name}"),
            ("", "{*path}"),
            ("", "{a?}/{b?}"),
            ("", "{file}.json"),
            ("orders", "{*rest}"),
            ("/", "/orders/"),
        ];
        for (prefix, route) in matching {
            assert!(
                RouteTemplate::new(prefix, route).matches_name("orders"),
                "{prefix:?} {route:?}"
            );
        }
        let apart = [
            ("api", "orders"),
            ("api", "{*path}"),
            ("", "hello"),
            ("", "orders/{id}"),
            ("", "{a}/{b}"),
        ];
        for (prefix, route) in apart {
            assert!(
                !RouteTemplate::new(prefix, route).matches_name("orders"),
                "{prefix:?} {route:?}"
            );
        }
        assert_eq!(RouteTemplate::new("", "{*path}").text(), "/{*path}");
        assert_eq!(RouteTemplate::new("api", "hello").text(), "/api/hello");
    }
}
