//! Lambda Web Adapter's settings, as its 1.0 release reads them: one row per
//! variable, saying what it means to the adapter and what ceh does with it.
//! Each is read with the adapter's meaning (ceh's own `CEH_*` setting, where
//! there is one, comes first) or refused at start with a line saying what ceh
//! does instead; none is ignored. docs/migrating.md's table is this one.

use crate::app::Readiness;
use crate::statuses::Statuses;
use crate::vars::{
    LWA_ASYNC_INIT_VAR, LWA_AUTHORIZATION_SOURCE_VAR, LWA_ENABLE_COMPRESSION_VAR,
    LWA_ERROR_STATUS_CODES_VAR, LWA_HOST_VAR, LWA_INVOKE_MODE_VAR, LWA_OLD_ASYNC_INIT_VAR,
    LWA_OLD_HOST_VAR, LWA_OLD_READINESS_CHECK_PATH_VAR, LWA_OLD_READINESS_CHECK_PORT_VAR,
    LWA_OLD_READINESS_CHECK_PROTOCOL_VAR, LWA_OLD_REMOVE_BASE_PATH_VAR, LWA_PASS_THROUGH_PATH_VAR,
    LWA_POOL_IDLE_TIMEOUT_VAR, LWA_PORT_VAR, LWA_READINESS_CHECK_HEALTHY_STATUS_VAR,
    LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS_VAR, LWA_READINESS_CHECK_PATH_VAR,
    LWA_READINESS_CHECK_PORT_VAR, LWA_READINESS_CHECK_PROTOCOL_VAR, LWA_REMOVE_BASE_PATH_VAR,
    LWA_RUNTIME_API_PROXY_VAR, PORT_VAR,
};

/// One of Lambda Web Adapter's settings: its name, its deprecated name, what
/// it means to the adapter, and what ceh does with it.
///
/// ```
/// use cloud_events_handler::lambda::LWA_SETTINGS;
///
/// let port = LWA_SETTINGS.iter().find(|s| s.name() == "AWS_LWA_PORT").unwrap();
/// assert_eq!(port.alias(), Some("PORT"));
/// assert!(!port.is_refused());
/// let pass_through = LWA_SETTINGS.iter().find(|s| s.name() == "AWS_LWA_PASS_THROUGH_PATH").unwrap();
/// assert!(pass_through.ceh().starts_with("refused at start"));
/// ```
#[derive(Debug)]
pub struct LwaSetting {
    name: &'static str,
    alias: Option<&'static str>,
    lwa: &'static str,
    ceh: Treatment,
}

/// What ceh does with a setting.
#[derive(Debug)]
enum Treatment {
    /// Read with the adapter's meaning, as this says.
    Read(&'static str),
    /// Refused at start unless the value is one `accepts` takes (described
    /// by `unless`, which means what ceh does anyway); `says` what ceh does
    /// instead and what to write.
    Refused {
        accepts: fn(&str) -> bool,
        unless: &'static str,
        says: &'static str,
    },
}

impl LwaSetting {
    /// The variable's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its deprecated name, which the adapter reads when the name is unset.
    pub fn alias(&self) -> Option<&'static str> {
        self.alias
    }

    /// What it means to Lambda Web Adapter, with its default.
    pub fn lwa(&self) -> &'static str {
        self.lwa
    }

    /// Whether ceh refuses to start with it (with a value it does not take).
    pub fn is_refused(&self) -> bool {
        matches!(self.ceh, Treatment::Refused { .. })
    }

    /// What ceh does with it, as docs/migrating.md says.
    pub fn ceh(&self) -> String {
        match &self.ceh {
            Treatment::Read(does) => (*does).to_owned(),
            Treatment::Refused { unless, says, .. } => {
                format!("refused at start unless {unless}: {says}")
            }
        }
    }

    /// Its value under its name or, unset, its deprecated name; with the name it was found under.
    fn value(&self) -> Option<(&'static str, String)> {
        std::iter::once(self.name)
            .chain(self.alias)
            .find_map(|name| std::env::var(name).ok().map(|value| (name, value)))
    }
}

/// Every setting of Lambda Web Adapter 1.0 (its README's configuration
/// table and the variables its source reads), plus the one ceh reads that
/// the adapter does not have.
pub const LWA_SETTINGS: [LwaSetting; 16] = [
    LwaSetting {
        name: LWA_PORT_VAR,
        alias: Some(PORT_VAR),
        lwa: "the app's port (default `8080`)",
        ceh: Treatment::Read(
            "read: the app at `http://127.0.0.1:<port>` when `APP` is unset (`8080` when ceh starts the app)",
        ),
    },
    LwaSetting {
        name: LWA_HOST_VAR,
        alias: Some(LWA_OLD_HOST_VAR),
        lwa: "the app's host (default `127.0.0.1`)",
        ceh: Treatment::Read("read: the app at `http://<host>:<port>` when `APP` is unset"),
    },
    LwaSetting {
        name: LWA_READINESS_CHECK_PORT_VAR,
        alias: Some(LWA_OLD_READINESS_CHECK_PORT_VAR),
        lwa: "the port the readiness check probes (default: the app's)",
        ceh: Treatment::Read("read: the readiness check probes that port on the app's host"),
    },
    LwaSetting {
        name: LWA_READINESS_CHECK_PATH_VAR,
        alias: Some(LWA_OLD_READINESS_CHECK_PATH_VAR),
        lwa: "the readiness check's path (default `/`)",
        ceh: Treatment::Read(
            "read when `CEH_READINESS_PATH` is unset; without either, ceh probes `/` on an app it starts and does not wait for one it does not start",
        ),
    },
    LwaSetting {
        name: LWA_READINESS_CHECK_PROTOCOL_VAR,
        alias: Some(LWA_OLD_READINESS_CHECK_PROTOCOL_VAR),
        lwa: "`http` (a `GET` of the readiness path) or `tcp` (a connection) (default `http`)",
        ceh: Treatment::Read(
            "read, in any case; a value that is neither is refused at start, where the adapter takes it as `http`",
        ),
    },
    LwaSetting {
        name: LWA_READINESS_CHECK_HEALTHY_STATUS_VAR,
        alias: None,
        lwa: "the statuses that mean ready, as codes and ranges: `200-399,404` (default `100-499`)",
        ceh: Treatment::Read(
            "read (ceh's default is the same); a part that is not a status is refused at start, where the adapter skips it",
        ),
    },
    LwaSetting {
        name: LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS_VAR,
        alias: None,
        lwa: "removed in 1.0 (before: the first status that means not ready, default `500`)",
        ceh: Treatment::Read(
            "read as the healthy statuses `100` to the one below it when `AWS_LWA_READINESS_CHECK_HEALTHY_STATUS` is unset, as the adapter did before 1.0",
        ),
    },
    LwaSetting {
        name: LWA_ASYNC_INIT_VAR,
        alias: Some(LWA_OLD_ASYNC_INIT_VAR),
        lwa: "`true`: an app not ready 9.8 s into init finishes starting during the first invocation (default `false`)",
        ceh: Treatment::Read("read when `CEH_ASYNC_INIT` is unset, with the same meaning"),
    },
    LwaSetting {
        name: LWA_REMOVE_BASE_PATH_VAR,
        alias: Some(LWA_OLD_REMOVE_BASE_PATH_VAR),
        lwa: "a prefix removed from request paths, as text (default none)",
        ceh: Treatment::Read(
            "read as `[http] base_path` when the configuration sets none: removed by whole segments, once (`/api` leaves `/apix` alone)",
        ),
    },
    LwaSetting {
        name: LWA_ENABLE_COMPRESSION_VAR,
        alias: None,
        lwa: "`true`: buffered replies compressed (gzip, br) as the request's `Accept-Encoding` asks (default `false`)",
        ceh: Treatment::Refused {
            accepts: |value| value.trim().eq_ignore_ascii_case("false"),
            unless: "`false`",
            says: "ceh does not compress replies; let the app compress them (ceh replies a body with a Content-Encoding as base64), and unset it",
        },
    },
    LwaSetting {
        name: LWA_INVOKE_MODE_VAR,
        alias: None,
        lwa: "`buffered` or `response_stream` (default `buffered`)",
        ceh: Treatment::Read("read when `CEH_INVOKE_MODE` is unset, with the same meaning"),
    },
    LwaSetting {
        name: LWA_PASS_THROUGH_PATH_VAR,
        alias: None,
        lwa: "the path every non-HTTP event is posted to, its reply the app's body (default `/events`)",
        ceh: Treatment::Refused {
            accepts: |_| false,
            unless: "unset",
            says: "ceh sends each non-HTTP event to its source's path (/aws.s3, /aws.sqs…) and replies as the source expects; unset it, or write a rule that sends the events to one path (docs/rules.md)",
        },
    },
    LwaSetting {
        name: LWA_AUTHORIZATION_SOURCE_VAR,
        alias: None,
        lwa: "a request header whose value is moved to `Authorization` (default none)",
        ceh: Treatment::Read(
            "read as `[http] authorization_source` when the configuration sets none, with the same meaning",
        ),
    },
    LwaSetting {
        name: LWA_ERROR_STATUS_CODES_VAR,
        alias: None,
        lwa: "the app's statuses that fail the invocation instead of replying, as codes and ranges: `500,502-504` (default none)",
        ceh: Treatment::Read(
            "read as `[http] failure_status` when the configuration sets none: the invocation fails (`Ceh.AppFailed`, with the status and the start of the body); a part that is not a status is refused at start, where the adapter skips it",
        ),
    },
    LwaSetting {
        name: LWA_RUNTIME_API_PROXY_VAR,
        alias: None,
        lwa: "the runtime API to use instead of `AWS_LAMBDA_RUNTIME_API` (default none)",
        ceh: Treatment::Read("read: ceh takes its invocations from that address"),
    },
    LwaSetting {
        name: LWA_POOL_IDLE_TIMEOUT_VAR,
        alias: None,
        lwa: "not a setting of the adapter (its pool keeps an idle connection 4 s, and none under SnapStart)",
        ceh: Treatment::Read("read, in seconds, when `CEH_POOL_IDLE_TIMEOUT_MS` is unset"),
    },
];

/// The first of `names` that is set, and its value.
pub(super) fn first_set(names: &[&'static str]) -> Option<(&'static str, String)> {
    names
        .iter()
        .find_map(|&name| std::env::var(name).ok().map(|value| (name, value)))
}

/// Fails on the first setting ceh refuses, naming it and saying what ceh
/// does instead (the settings error's message).
pub(super) fn refuse_what_ceh_does_not_do() -> Result<(), String> {
    for setting in &LWA_SETTINGS {
        let Treatment::Refused { accepts, says, .. } = setting.ceh else {
            continue;
        };
        match setting.value() {
            Some((_, value)) if value.trim().is_empty() || accepts(&value) => {}
            Some((name, value)) => return Err(format!("{name}={value:?} is refused: {says}")),
            None => {}
        }
    }
    Ok(())
}

/// How the readiness check is made, from the protocol, the healthy
/// statuses or the first unhealthy one; `None` for ceh's default (a `GET`
/// answered below 500, the adapter's default too). The error is the
/// settings error's message.
pub(super) fn readiness() -> Result<Option<Readiness>, String> {
    let set = |names: &[&'static str]| first_set(names).filter(|(_, v)| !v.trim().is_empty());
    if let Some((name, value)) = set(&[
        LWA_READINESS_CHECK_PROTOCOL_VAR,
        LWA_OLD_READINESS_CHECK_PROTOCOL_VAR,
    ]) {
        match value.trim().to_ascii_lowercase().as_str() {
            "tcp" => return Ok(Some(Readiness::Tcp)),
            "http" => {}
            _ => return Err(format!("{name}={value:?} is neither http nor tcp")),
        }
    }
    if let Some((name, value)) = set(&[LWA_READINESS_CHECK_HEALTHY_STATUS_VAR]) {
        let statuses = Statuses::parse(&value).map_err(|e| format!("{name}={value:?}: {e}"))?;
        return Ok(Some(Readiness::Http(statuses)));
    }
    if let Some((name, value)) = set(&[LWA_READINESS_CHECK_MIN_UNHEALTHY_STATUS_VAR]) {
        let first = value
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|n| (101..=600).contains(n));
        let first =
            first.ok_or_else(|| format!("{name}={value:?} is not a status from 101 to 600"))?;
        return Ok(Some(Readiness::Http(Statuses::from_range(100..=first - 1))));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_is_named_once() {
        let mut names: Vec<&str> = LWA_SETTINGS
            .iter()
            .flat_map(|s| std::iter::once(s.name).chain(s.alias))
            .collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count);
    }
}
