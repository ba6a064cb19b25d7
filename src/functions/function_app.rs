//! The function app ceh serves: each `*/function.json` under its root (the
//! trigger and output bindings of one function), and `host.json`'s
//! `customHandler.enableForwardingHttpRequest`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::routes::RouteTemplate;
use crate::operator_file::read_at_most;

/// The functions of a function app, read once at start-up.
///
/// ```
/// use cloud_events_handler::functions::FunctionApp;
///
/// let root = tempfile::tempdir()?;
/// std::fs::create_dir(root.path().join("orders"))?;
/// std::fs::write(root.path().join("orders/function.json"), r#"{"bindings": [
///     {"type": "queueTrigger", "direction": "in", "name": "msg", "queueName": "orders"},
///     {"type": "queue", "direction": "out", "name": "$return", "queueName": "shipped"}]}"#)?;
/// let app = FunctionApp::load(root.path())?;
/// let orders = app.function("orders").ok_or("read from orders/function.json")?;
/// assert_eq!(orders.trigger().map(|b| (b.name(), b.kind())), Some(("msg", "queueTrigger")));
/// assert_eq!(orders.outputs().len(), 1);
/// assert!(!app.forwards_http());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct FunctionApp {
    functions: HashMap<String, Function>,
    forwarding: bool,
}

/// One function: its trigger binding and its output bindings.
#[derive(Clone, Debug, Default)]
pub struct Function {
    trigger: Option<Binding>,
    outputs: Vec<Binding>,
    /// How many input bindings it has besides its trigger.
    inputs: usize,
}

/// One binding of a function.json.
#[derive(Clone, Debug, Deserialize)]
pub struct Binding {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    cardinality: Option<String>,
    /// An HTTP trigger's route template; the function's name when unset.
    #[serde(default)]
    route: Option<String>,
}

/// Why the function app could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FunctionAppError {
    /// A directory or file could not be read.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The path at fault.
        path: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// A function.json or host.json is not what the Functions host reads.
    #[error("{path}: {reason}")]
    Invalid {
        /// The file at fault.
        path: PathBuf,
        /// What is wrong, naming the key.
        reason: String,
    },
}

#[derive(Deserialize)]
struct FunctionJson {
    #[serde(default)]
    bindings: Vec<Binding>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct HostJson {
    #[serde(default)]
    custom_handler: CustomHandler,
    #[serde(default)]
    extensions: Extensions,
}

#[derive(Deserialize, Default)]
struct Extensions {
    #[serde(default)]
    http: HttpExtension,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpExtension {
    /// What every HTTP trigger's route starts with.
    #[serde(default = "default_route_prefix")]
    route_prefix: String,
}

impl Default for HttpExtension {
    fn default() -> Self {
        Self {
            route_prefix: default_route_prefix(),
        }
    }
}

/// The Functions host's routePrefix when host.json sets none.
fn default_route_prefix() -> String {
    "api".to_owned()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct CustomHandler {
    #[serde(default)]
    enable_forwarding_http_request: bool,
}

impl FunctionApp {
    /// Reads `root/host.json` (optional) and every `root/<name>/function.json`.
    pub fn load(root: &Path) -> Result<Self, FunctionAppError> {
        let read_err = |path: &Path, e: std::io::Error| FunctionAppError::Read {
            path: path.to_owned(),
            reason: e.to_string(),
        };
        let host = root.join("host.json");
        let host_json = match read_bounded(&host)? {
            Some(bytes) => parse::<HostJson>(&host, &bytes)?,
            None => HostJson::default(),
        };
        let forwarding = host_json.custom_handler.enable_forwarding_http_request;
        let mut functions = HashMap::new();
        for entry in std::fs::read_dir(root).map_err(|e| read_err(root, e))? {
            let dir = entry.map_err(|e| read_err(root, e))?.path();
            let file = dir.join("function.json");
            // A directory without a function.json is no function (nor is a file at the root).
            let Some(bytes) = read_bounded(&file)? else {
                continue;
            };
            let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
                return Err(FunctionAppError::Invalid {
                    path: file,
                    reason: "the function's directory name is not UTF-8, so no request can name it; rename it".to_owned(),
                });
            };
            let parsed: FunctionJson = parse(&file, &bytes)?;
            functions.insert(name.to_owned(), Function::from_bindings(parsed.bindings));
        }
        let app = Self {
            functions,
            forwarding,
        };
        match app.posing_route(&host_json.extensions.http.route_prefix) {
            Some(reason) => Err(FunctionAppError::Invalid { path: host, reason }),
            None => Ok(app),
        }
    }

    /// With forwarding on, why a client's request could arrive where the host
    /// invokes a function: a forwarded function's route that matches
    /// `/<name>` of a function invoked with a payload.
    fn posing_route(&self, prefix: &str) -> Option<String> {
        if !self.forwarding {
            return None;
        }
        let mut names: Vec<&String> = self.functions.keys().collect();
        names.sort();
        for forwarded in names
            .iter()
            .filter(|n| self.functions[**n].is_http_in_and_out())
        {
            let route = self.functions[*forwarded]
                .trigger()
                .and_then(|t| t.route.as_deref())
                .unwrap_or(forwarded);
            let template = RouteTemplate::new(prefix, route);
            let invoked = names
                .iter()
                .find(|n| !self.functions[**n].is_http_in_and_out() && template.matches_name(n));
            if let Some(invoked) = invoked {
                return Some(format!(
                    "with customHandler.enableForwardingHttpRequest, function `{forwarded}`'s route {} matches /{invoked}, where the host invokes function `{invoked}`, so a client could pose as its trigger; set extensions.http.routePrefix (the default \"api\" keeps them apart) or a route that matches no function's name",
                    template.text()
                ));
            }
        }
        None
    }

    /// Whether a request is the host's invocation of a function, and of which:
    /// `POST /<name>` without a query, naming a function the host invokes with
    /// a payload. With forwarding on, anything else is a forwarded HTTP request.
    pub fn invoked<'a>(&self, method: &http::Method, uri: &'a http::Uri) -> Option<&'a str> {
        let name = uri.path().strip_prefix('/')?;
        let function = self.functions.get(name)?;
        let payload = !self.forwarding || !function.is_http_in_and_out();
        (payload && method == http::Method::POST && uri.query().is_none()).then_some(name)
    }

    /// The function named `name` (its directory's name), if it has a function.json.
    pub fn function(&self, name: &str) -> Option<&Function> {
        self.functions.get(name)
    }

    /// How many functions the app has.
    pub fn len(&self) -> usize {
        self.functions.len()
    }

    /// Whether the app has no function.json at all.
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty()
    }

    /// Whether host.json sets `customHandler.enableForwardingHttpRequest`:
    /// HTTP-triggered functions then arrive as the original HTTP request.
    pub fn forwards_http(&self) -> bool {
        self.forwarding
    }
}

impl Function {
    fn from_bindings(bindings: Vec<Binding>) -> Self {
        let mut function = Function::default();
        for binding in bindings {
            match binding.direction.as_deref() {
                Some("out") => function.outputs.push(binding),
                _ if binding.kind.ends_with("Trigger") && function.trigger.is_none() => {
                    function.trigger = Some(binding);
                }
                _ => function.inputs += 1,
            }
        }
        function
    }

    /// Whether the host forwards the function's HTTP requests as they are
    /// when host.json sets `enableForwardingHttpRequest`: an HTTP trigger, no
    /// other input, and one output binding, of type `http`.
    pub fn is_http_in_and_out(&self) -> bool {
        self.is_http()
            && self.inputs == 0
            && matches!(self.outputs.as_slice(), [only] if only.kind.eq_ignore_ascii_case("http"))
    }

    /// The trigger binding (the one whose type ends in `Trigger`).
    pub fn trigger(&self) -> Option<&Binding> {
        self.trigger.as_ref()
    }

    /// The output bindings (`"direction": "out"`), in the file's order.
    pub fn outputs(&self) -> &[Binding] {
        &self.outputs
    }

    /// Whether the trigger is an HTTP trigger.
    pub fn is_http(&self) -> bool {
        self.trigger
            .as_ref()
            .is_some_and(|t| t.kind.eq_ignore_ascii_case("httpTrigger"))
    }
}

impl Binding {
    /// The binding's `type` (`queueTrigger`, `blob`, `http`…).
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The binding's `name`: its key in `Data` or `Outputs`, or `$return`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether a trigger binding takes a batch (`"cardinality": "many"`).
    pub fn is_many(&self) -> bool {
        self.cardinality
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("many"))
    }
}

/// The largest host.json or function.json read: they are a few kilobytes.
const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// A host.json or function.json, `None` when there is none: read whole, but
/// never a FIFO, a device or a directory (ceh would hang or read without end
/// at start), nor past [`MAX_FILE_BYTES`].
fn read_bounded(path: &Path) -> Result<Option<Vec<u8>>, FunctionAppError> {
    let invalid = |reason: String| FunctionAppError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let read_err = |e: std::io::Error| FunctionAppError::Read {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        Err(e) => return Err(read_err(e)),
    };
    if !meta.is_file() {
        return Err(invalid(
            "not a regular file (a FIFO, a device or a directory)".to_owned(),
        ));
    }
    match read_at_most(path, MAX_FILE_BYTES).map_err(read_err)? {
        Some(bytes) => Ok(Some(bytes)),
        None => Err(invalid(format!(
            "over the limit of {MAX_FILE_BYTES} bytes for this file"
        ))),
    }
}

fn parse<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T, FunctionAppError> {
    // Editors on Windows may start the file with a byte-order mark; the host reads past it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| FunctionAppError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
