//! The request's path and query: the base path, the rule's path with the
//! event's values escaped into it, the environment's query; and what is
//! refused on the way (a dot segment, a path too long, another rule's route).

use crate::classify::Match;
use crate::config::environment::{Environment, Settings};
use crate::escape::{push_segments, route_key};
use crate::rule::{Owner, Part, Route, Rule};
use crate::shown::shown;

use super::error::SynthesizeError;

/// The most bytes of the path a rule's template and the event's values make
/// (the base path and query, which the configuration sets, not counted):
/// IIS takes 4 KiB of URL, and common servers 8 KiB of request line.
const MAX_PATH_BYTES: usize = 2048;

/// Whether a matched event (or batch record) can become a request: its path
/// renders, every value in it a string that stays within its segments:
/// what building its request would refuse of its path, found without building it.
pub(super) fn check_path(
    found: &Match<'_, '_>,
    environment: &Environment,
) -> Result<(), SynthesizeError> {
    path_and_query(
        found,
        environment.settings(found.rule().name()),
        environment,
    )
    .map(drop)
}

/// The request's path and query: the base path, the rule's path with the
/// event's values escaped into it, then the environment's query.
pub(super) fn path_and_query(
    found: &Match<'_, '_>,
    settings: &Settings,
    environment: &Environment,
) -> Result<String, SynthesizeError> {
    let rule = found.rule();
    let path = match rule.route() {
        Route::Event { path, .. } => path,
        Route::Http(format) => {
            return Err(SynthesizeError::PassThrough {
                rule: rule.name().to_owned(),
                format: *format,
            })
        }
    };
    let mut path_and_query = String::with_capacity(64);
    path_and_query.push_str(settings.base_path());
    let base = path_and_query.len();
    let mut values = found.values().iter();
    for part in path.parts() {
        match part {
            Part::Literal(text) => path_and_query.push_str(text),
            Part::Value(_) => {
                let value = values.next().copied().unwrap_or_default();
                push_segments(&mut path_and_query, value).map_err(|()| {
                    SynthesizeError::DotSegment {
                        rule: rule.name().to_owned(),
                        path: path.to_string(),
                        value: shown(value, 80),
                    }
                })?;
            }
        }
    }
    let made = path_and_query.len() - base;
    if made > MAX_PATH_BYTES {
        return Err(SynthesizeError::PathTooLong {
            rule: rule.name().to_owned(),
            path: path.to_string(),
            size: made,
            limit: MAX_PATH_BYTES,
        });
    }
    if let Some(owner) = reserved_by(rule, &path_and_query, environment) {
        let value = found.values().join(", ");
        return Err(SynthesizeError::ReservedRoute {
            rule: rule.name().to_owned(),
            value: shown(&value, 80),
            made: shown(&path_and_query[base..], 80),
            route: owner.route.to_string(),
            owner: owner.rule.to_string(),
        });
    }
    if let Some(query) = settings.query() {
        path_and_query.push('?');
        path_and_query.push_str(query);
    }
    Ok(path_and_query)
}

/// The other rule whose route `path` (base path included) is, read as a
/// server may read it; `None` when it is no other rule's. A route is
/// compared under its own rule's base path, and a route the rule shares
/// with others (a pinned path that is also a static one) stays its own.
fn reserved_by<'r>(rule: &'r Rule, path: &str, environment: &Environment) -> Option<&'r Owner> {
    let reserved = rule.reserved.as_deref()?;
    let key = route_key(path);
    // Each owner's base path, as its key: made once, when the settings were.
    let base_of = |owner: &Owner| {
        environment
            .settings(&owner.rule)
            .prepared()
            .base_key
            .as_str()
    };
    // Each way to read the key as a base path and a route: `/hooks/aws.s3` is
    // `/aws.s3` under `/hooks`, or `/hooks/aws.s3` under no base path.
    let splits = key
        .match_indices('/')
        .map(|(at, _)| (&key[..at], &key[at..]))
        .chain(std::iter::once((&*key, "/")));
    'splits: for (base, route) in splits {
        let mut first = None;
        for owner in reserved.owners(route) {
            if base_of(owner) != base {
                continue;
            }
            if *owner.rule == *rule.name() {
                continue 'splits;
            }
            first = first.or(Some(owner));
        }
        if first.is_some() {
            return first;
        }
    }
    None
}
