//! The function app ceh serves: each `*/function.json` under its root (the
//! trigger and output bindings of one function), and `host.json`'s
//! `customHandler.enableForwardingHttpRequest`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

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
        let forwarding = match std::fs::read(&host) {
            Ok(bytes) => {
                parse::<HostJson>(&host, &bytes)?
                    .custom_handler
                    .enable_forwarding_http_request
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => return Err(read_err(&host, e)),
        };
        let mut functions = HashMap::new();
        for entry in std::fs::read_dir(root).map_err(|e| read_err(root, e))? {
            let dir = entry.map_err(|e| read_err(root, e))?.path();
            let file = dir.join("function.json");
            let bytes = match std::fs::read(&file) {
                Ok(bytes) => bytes,
                Err(_) if !file.is_file() => continue,
                Err(e) => return Err(read_err(&file, e)),
            };
            let Some(name) = dir.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let parsed: FunctionJson = parse(&file, &bytes)?;
            functions.insert(name.to_owned(), Function::from_bindings(parsed.bindings));
        }
        Ok(Self {
            functions,
            forwarding,
        })
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
                _ => {}
            }
        }
        function
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

fn parse<'a, T: Deserialize<'a>>(path: &Path, bytes: &'a [u8]) -> Result<T, FunctionAppError> {
    // Editors on Windows may start the file with a byte-order mark; the host reads past it.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    serde_json::from_slice(bytes).map_err(|e| FunctionAppError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}
