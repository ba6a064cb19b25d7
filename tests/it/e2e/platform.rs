//! A stand-in for the Lambda platform around one execution environment: the
//! runtime API, the Extensions API, and the Shutdown phase, for what
//! cargo-lambda's emulator does not play (it sends no SIGTERM at shutdown, and
//! answers `/runtime/init/error` on some paths only).
//!
//! It plays, on 127.0.0.1, what these pages document:
//! - the runtime API (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>):
//!   `GET /2018-06-01/runtime/invocation/next` waits for an invocation and hands it
//!   over with its `Lambda-Runtime-*` headers; `POST …/{id}/response` and
//!   `…/{id}/error` end it; `POST …/runtime/init/error` reports a failed start;
//! - the Extensions API (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-extensions-api.html>):
//!   `POST /2020-01-01/extension/register` answers with a `Lambda-Extension-Identifier`;
//!   `GET /2020-01-01/extension/event/next` stays open, as it does for an extension
//!   that subscribed to no event;
//! - the Shutdown phase of the execution environment lifecycle
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html>):
//!   SIGTERM to the runtime only when an extension is registered, then SIGKILL
//!   when the phase's limit is up (500 ms with internal extensions only; with
//!   none registered the limit is 0 ms: SIGKILL at once).
//!
//! Every request is recorded. Requests are read with a `content-length` or
//! chunked body; connections are kept alive; everything stops when the value is
//! dropped or the runtime closes its connections.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::harness::Process;

/// Lambda's Shutdown phase limit for a function with internal extensions only.
pub const SHUTDOWN_LIMIT: Duration = Duration::from_millis(500);

/// How an invocation ended, as the runtime reported it.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// `POST …/response`: the reply's bytes.
    Response(String),
    /// `POST …/error`: the report's body (`{"errorType": …, "errorMessage": …}`).
    Error(String),
}

/// What the stand-in has seen so far.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    /// Every request, in order, as `METHOD /path`.
    pub requests: Vec<String>,
    /// The `Lambda-Extension-Name` of every registration.
    pub extensions: Vec<String>,
    /// The body of every `POST …/runtime/init/error`.
    pub init_errors: Vec<String>,
}

#[derive(Default)]
struct State {
    seen: Seen,
    queue: VecDeque<(String, Vec<u8>)>,
    outcomes: HashMap<String, Outcome>,
    sent: u64,
    /// The function's timeout, when not the default.
    timeout: Option<Duration>,
    hold_init_error: bool,
    closed: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until `ready` holds (true) or the stand-in closes (false).
    fn wait(&self, ready: impl Fn(&State) -> bool) -> (MutexGuard<'_, State>, bool) {
        let mut state = self.lock();
        while !ready(&state) && !state.closed {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        let ok = ready(&state);
        (state, ok)
    }
}

/// The platform, listening on 127.0.0.1.
pub struct Platform {
    pub port: u16,
    shared: Arc<Shared>,
}

/// The function's timeout unless [`Platform::set_timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

impl Platform {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if accepting.lock().closed {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let shared = accepting.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { port, shared }
    }

    /// The function's timeout: each invocation's deadline is this far ahead of
    /// the moment the runtime takes it.
    pub fn set_timeout(&self, timeout: Duration) {
        self.shared.lock().timeout = Some(timeout);
    }

    fn timeout(&self) -> Duration {
        self.shared.lock().timeout.unwrap_or(DEFAULT_TIMEOUT)
    }

    /// Leaves every `POST …/runtime/init/error` unanswered, as an emulator that
    /// never answers it does.
    pub fn hold_init_errors(&self) {
        self.shared.lock().hold_init_error = true;
    }

    /// The settings Lambda gives a runtime, pointing at this stand-in
    /// (`AWS_LAMBDA_RUNTIME_API` as Lambda sets it: `host:port`).
    pub fn runtime_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "AWS_LAMBDA_RUNTIME_API".into(),
                format!("127.0.0.1:{}", self.port),
            ),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "stand-in".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "1".into()),
        ]
    }

    /// `ceh lambda ARGS…` as this environment's runtime, with extra settings
    /// and none of the caller's own ceh settings; stderr piped, for
    /// [`exit_within`](super::harness::exit_within) to read once ceh exits.
    pub fn ceh_lambda(&self, settings: &[(&str, String)], args: &[&str]) -> Process {
        self.ceh_lambda_to(settings, args, Stdio::piped())
    }

    /// [`Platform::ceh_lambda`] with stderr going to `stderr`: a long run
    /// passes a file or `Stdio::null()`, since ceh logs a line for every
    /// failed event and a pipe nobody reads fills up (64 KiB) and blocks it.
    pub fn ceh_lambda_to(
        &self,
        settings: &[(&str, String)],
        args: &[&str],
        stderr: impl Into<Stdio>,
    ) -> Process {
        let child = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .arg("lambda")
            .args(args)
            .env_remove("APP")
            .env_remove("CEH_CONFIG")
            .envs(self.runtime_env())
            .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        Process(child)
    }

    /// Queues an invocation of `payload`; its request id.
    pub fn send(&self, payload: &[u8]) -> String {
        let mut state = self.shared.lock();
        state.sent += 1;
        let id = format!("req-{}", state.sent);
        state.queue.push_back((id.clone(), payload.to_vec()));
        self.shared.changed.notify_all();
        id
    }

    /// The outcome of invocation `id`, waiting for it at most `within`.
    pub fn outcome(&self, id: &str, within: Duration) -> Option<Outcome> {
        let deadline = Instant::now() + within;
        let mut state = self.shared.lock();
        loop {
            if let Some(outcome) = state.outcomes.get(id) {
                return Some(outcome.clone());
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
    }

    /// Invokes the function with `payload` and waits for the outcome, for at
    /// most the function's timeout.
    pub fn invoke(&self, payload: &[u8]) -> Outcome {
        let id = self.send(payload);
        self.outcome(&id, self.timeout()).unwrap_or_else(|| {
            panic!("invocation {id} had no outcome within the function's timeout")
        })
    }

    /// What the stand-in has seen.
    pub fn seen(&self) -> Seen {
        self.shared.lock().seen.clone()
    }

    /// Waits at most `within` until `done` holds for what was seen.
    pub fn wait_until(&self, within: Duration, done: impl Fn(&Seen) -> bool) -> bool {
        let deadline = Instant::now() + within;
        let mut state = self.shared.lock();
        while !done(&state.seen) {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self.shared.changed.wait_timeout(state, left).unwrap().0;
        }
        true
    }

    /// Lambda's Shutdown phase for `runtime`: SIGTERM if an extension
    /// registered, then SIGKILL once [`SHUTDOWN_LIMIT`] is up; SIGKILL at
    /// once if none did.
    pub fn shutdown(&self, runtime: &mut Child) -> Shutdown {
        let sigterm = !self.seen().extensions.is_empty();
        let mut killed = false;
        if sigterm {
            signal(runtime.id(), "TERM");
            let deadline = Instant::now() + SHUTDOWN_LIMIT;
            while runtime.try_wait().unwrap().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if runtime.try_wait().unwrap().is_none() {
            killed = true;
            let _ = runtime.kill();
        }
        Shutdown {
            sigterm,
            killed,
            status: runtime.wait().unwrap(),
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.changed.notify_all();
        // Wakes the accepting thread, which then sees `closed`.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// How the Shutdown phase went.
#[derive(Debug)]
pub struct Shutdown {
    /// Whether the runtime was sent SIGTERM (an extension had registered).
    pub sigterm: bool,
    /// Whether it had to be killed (SIGKILL).
    pub killed: bool,
    pub status: ExitStatus,
}

/// Sends SIG`name` to `pid`.
pub fn signal(pid: u32, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .unwrap();
    assert!(status.success(), "kill -{name} {pid}");
}

/// Freezes processes as Lambda freezes an execution environment between invocations.
pub fn freeze(pids: &[u32]) {
    for &pid in pids {
        signal(pid, "STOP");
    }
}

/// Thaws what [`freeze`] froze.
pub fn thaw(pids: &[u32]) {
    for &pid in pids {
        signal(pid, "CONT");
    }
}

/// One request from the runtime: method, path, headers (lowercase), body.
struct Request {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

/// Serves one connection, request after request, until it closes.
fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_nodelay(true);
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        let Some((status, headers, body)) = answer(&request, shared) else {
            return;
        };
        let mut head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        // One write: a second small one would wait for the runtime's delayed ACK.
        let mut answer = head.into_bytes();
        answer.extend_from_slice(&body);
        if writer.write_all(&answer).is_err() {
            return;
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_owned(), parts.next()?.to_owned());
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
    }
    let mut body = Vec::new();
    if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).ok().filter(|&n| n > 0)?;
                    if line.trim_end().is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = headers.get("content-length") {
        body = vec![0; length.parse().ok()?];
        reader.read_exact(&mut body).ok()?;
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

type Answer = (u16, Vec<(&'static str, String)>, Vec<u8>);

/// The platform's answer to one request; `None` to close the connection
/// unanswered (the stand-in closed while the request waited).
fn answer(request: &Request, shared: &Shared) -> Option<Answer> {
    let path = request.path.as_str();
    {
        let mut state = shared.lock();
        state
            .seen
            .requests
            .push(format!("{} {}", request.method, request.path));
        shared.changed.notify_all();
    }
    let accepted = || Some((202, vec![], b"{\"status\":\"OK\"}".to_vec()));
    let text = || String::from_utf8_lossy(&request.body).into_owned();
    match (request.method.as_str(), path) {
        ("GET", "/2018-06-01/runtime/invocation/next") => {
            let (mut state, ready) = shared.wait(|state| !state.queue.is_empty());
            if !ready {
                return None;
            }
            let (id, payload) = state.queue.pop_front()?;
            let timeout = state.timeout.unwrap_or(DEFAULT_TIMEOUT);
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).ok()? + timeout;
            let headers = vec![
                ("lambda-runtime-aws-request-id", id),
                (
                    "lambda-runtime-deadline-ms",
                    deadline.as_millis().to_string(),
                ),
                (
                    "lambda-runtime-invoked-function-arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:stand-in".into(),
                ),
                (
                    "lambda-runtime-trace-id",
                    "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1".into(),
                ),
            ];
            Some((200, headers, payload))
        }
        ("POST", "/2018-06-01/runtime/init/error") => {
            let hold = {
                let mut state = shared.lock();
                state.seen.init_errors.push(text());
                shared.changed.notify_all();
                state.hold_init_error
            };
            if hold {
                drop(shared.wait(|_| false));
                return None;
            }
            accepted()
        }
        ("POST", path) if path.starts_with("/2018-06-01/runtime/invocation/") => {
            let rest = &path["/2018-06-01/runtime/invocation/".len()..];
            let (id, outcome) = match rest.rsplit_once('/') {
                Some((id, "response")) => (id, Outcome::Response(text())),
                Some((id, "error")) => (id, Outcome::Error(text())),
                _ => return Some((404, vec![], vec![])),
            };
            let mut state = shared.lock();
            state.outcomes.insert(id.to_owned(), outcome);
            shared.changed.notify_all();
            accepted()
        }
        ("POST", "/2020-01-01/extension/register") => {
            let name = request
                .headers
                .get("lambda-extension-name")
                .cloned()
                .unwrap_or_default();
            let mut state = shared.lock();
            state.seen.extensions.push(name.clone());
            shared.changed.notify_all();
            let id = format!("ext-{}-{name}", state.seen.extensions.len());
            let body =
                br#"{"functionName":"stand-in","functionVersion":"1","handler":"bootstrap"}"#;
            Some((
                200,
                vec![("lambda-extension-identifier", id)],
                body.to_vec(),
            ))
        }
        ("GET", "/2020-01-01/extension/event/next") => {
            // An internal extension subscribes to no event: nothing ever comes.
            drop(shared.wait(|_| false));
            None
        }
        _ => Some((404, vec![], b"{\"errorType\":\"NotFound\"}".to_vec())),
    }
}
