//! Processes for the end-to-end tests: the emulator, the apps, `ceh` itself.
//! Everything listens on 127.0.0.1 and is killed when its value is dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `.venv/bin`, with cargo-lambda and Flask installed (once per test run).
pub fn tools() -> &'static Path {
    static TOOLS: OnceLock<PathBuf> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let status = Command::new("bash")
            .arg(root().join(".ci/install-tools"))
            .status()
            .expect("bash runs .ci/install-tools");
        assert!(
            status.success(),
            ".ci/install-tools failed: the end-to-end tests need cargo-lambda and Flask"
        );
        let bin = root().join(".venv/bin");
        assert!(
            bin.join("cargo-lambda").exists(),
            "cargo-lambda missing from {}",
            bin.display()
        );
        bin
    })
}

/// A port for a child to listen on (or, for an unreachable app, for nobody
/// to listen on) that no other test of this run is given.
///
/// Asking the kernel for port 0 and closing the socket left a window in which
/// a second test, or an app started on port 0, could be given the same port:
/// then one emulator failed to bind it and its test talked to the other's. So
/// ports come from below the kernel's ephemeral range, which port 0 and
/// outgoing connections never use, each handed out once per run, starting at
/// an offset from the process id so that two runs on one machine keep apart.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let (low, high) = quiet_ports();
    let span = u32::from(high - low);
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = low + (std::process::id().wrapping_mul(37).wrapping_add(n) % span) as u16;
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {low}..{high}")
}

/// Ports below the kernel's ephemeral range (Linux's `ip_local_port_range`,
/// 32768–60999 unless set otherwise), from 10000 up.
fn quiet_ports() -> (u16, u16) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768);
    assert!(
        ephemeral_low >= 11000,
        "the ephemeral port range starts at {ephemeral_low}: the end-to-end tests need 10000..11000 outside it"
    );
    (10000, ephemeral_low)
}

/// One HTTP/1.1 exchange with 127.0.0.1:`port` on a fresh connection:
/// (status, lowercase headers, body).
pub fn exchange(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, Vec<(String, String)>, String) {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let talk = || -> std::io::Result<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        Ok(answer)
    };
    let answer = talk().unwrap_or_else(|e| panic!("{method} {path} on port {port}: {e}"));
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or_else(|| {
        panic!("{method} {path} on port {port}: not an HTTP answer: {answer:?}")
    });
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("{method} {path} on port {port}: no status in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn wait_for_port(port: u16, what: &str, child: &mut Child) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited ({status}) before listening on {port}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A child process, stopped on drop: SIGTERM, as Lambda stops a runtime, so that
/// a `ceh lambda` stops the app it started; SIGKILL if it is still there 3 s later.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.0.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// cargo-lambda's runtime-API emulator (`cargo lambda watch --only-lambda-apis`).
pub struct Emulator {
    pub port: u16,
    _process: Process,
    _dir: tempfile::TempDir,
}

impl Emulator {
    pub fn start() -> Self {
        let bin = tools();
        // cargo-lambda wants a Cargo.toml where it runs; with --only-lambda-apis it builds nothing.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("Cargo.toml"),
            "[package]\nname = \"emu\"\nversion = \"0.0.0\"\nedition = \"2021\"\n",
        )
        .unwrap();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("src/main.rs"), "fn main() {}\n").unwrap();
        let port = free_port();
        let mut child = Command::new(bin.join("cargo-lambda"))
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            .current_dir(dir.path())
            .env("PATH", path_with(bin))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_for_port(port, "cargo lambda watch", &mut child);
        Self {
            port,
            _process: Process(child),
            _dir: dir,
        }
    }

    /// The settings a Lambda runtime gets, pointing at this emulator.
    pub fn runtime_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "AWS_LAMBDA_RUNTIME_API".into(),
                format!("http://127.0.0.1:{}/.rt", self.port),
            ),
            ("AWS_LAMBDA_FUNCTION_NAME".into(), "_".into()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "128".into()),
            ("AWS_LAMBDA_FUNCTION_VERSION".into(), "1".into()),
        ]
    }

    /// `cargo lambda invoke --data-file`: Ok(reply JSON) or Err(the error text).
    pub fn invoke(&self, event: &[u8]) -> Result<serde_json::Value, String> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), event).unwrap();
        let output = Command::new(tools().join("cargo-lambda"))
            .args([
                "lambda",
                "invoke",
                "-A",
                "127.0.0.1",
                "-P",
                &self.port.to_string(),
                "--data-file",
            ])
            .arg(file.path())
            .env("PATH", path_with(tools()))
            .output()
            .unwrap();
        let text = |o: &Output| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        };
        if output.status.success() {
            Ok(serde_json::from_slice(&output.stdout)
                .unwrap_or_else(|e| panic!("reply is not JSON ({e}): {}", text(&output))))
        } else {
            Err(text(&output))
        }
    }

    /// POSTs `payload` as it is to the emulator's Invoke API, for what
    /// `cargo lambda invoke` refuses to send; the status and the body.
    pub fn invoke_raw(&self, payload: &[u8]) -> (u16, String) {
        let path = "/2015-03-31/functions/_/invocations";
        let (status, _, body) = exchange(self.port, "POST", path, &[], payload);
        (status, body)
    }

    pub fn invoke_fixture(&self, name: &str) -> Result<serde_json::Value, String> {
        self.invoke(&crate::fixtures::read(name))
    }
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The Flask test app on `port` (0: any free port); returns it and its port.
pub fn flask(port: u16) -> (Process, u16) {
    python_app("tests/apps/flask_app.py", port)
}

/// The Python app at `script` (a path from the repository root), run by the
/// venv's Python on `port` (0: any free port); returns it and its port, once
/// it says it listens.
pub fn python_app(script: &str, port: u16) -> (Process, u16) {
    let mut child = Command::new(tools().join("python"))
        .arg(root().join(script))
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    (Process(child), port)
}

/// The port a child reports on its first line of output, `listening on 127.0.0.1:PORT`
/// (ceh serve, the Flask and Express apps all say it once they listen).
pub fn listening_port(child: &mut Child) -> u16 {
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on 127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("expected `listening on 127.0.0.1:PORT`, got {line:?}"))
}

/// `-- python flask_app.py PORT`: the arguments that make `ceh lambda` start the Flask app.
pub fn flask_command(port: u16) -> Vec<String> {
    vec![
        "--".to_owned(),
        tools().join("python").display().to_string(),
        root().join("tests/apps/flask_app.py").display().to_string(),
        port.to_string(),
    ]
}

/// `ceh lambda ARGS…` under the emulator, with extra settings.
pub fn ceh_lambda(emulator: &Emulator, settings: &[(&str, String)], args: &[&str]) -> Process {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ceh"));
    command
        .arg("lambda")
        .args(args)
        .env_remove("APP")
        .env_remove("CEH_CONFIG");
    for (key, value) in emulator.runtime_env() {
        command.env(key, value);
    }
    for (key, value) in settings {
        command.env(key, value);
    }
    // ceh writes to stderr only when it stops or the runtime API refuses a
    // reply, a line each: the pipe does not fill up in a test.
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    Process(child)
}

/// Waits for `process` to exit, failing the test after `seconds`; its status and stderr.
pub fn exit_within(
    process: &mut Process,
    seconds: u64,
    what: &str,
) -> (std::process::ExitStatus, String) {
    let started = Instant::now();
    let status = loop {
        if let Some(status) = process.0.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed().as_secs() < seconds, "{what}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = process.0.stderr.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stderr).unwrap();
    }
    (status, stderr)
}

/// A JSON string field parsed as JSON (the echo body inside a dict reply).
pub fn inner(reply: &serde_json::Value, field: &str) -> serde_json::Value {
    serde_json::from_str(
        reply[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in {reply}")),
    )
    .unwrap()
}

/// `ceh serve --listen 127.0.0.1:0 ARGS…` with extra settings and none of the
/// caller's own, and the port it listens on.
pub fn ceh_serve(args: &[&str], env: &[(&str, &str)]) -> (Process, u16) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    ceh_listening(&all, env)
}

/// `ceh ARGS…` for a front end that says `listening on 127.0.0.1:PORT` first
/// (`serve`, `functions`), with extra settings and none of the caller's own
/// ceh settings, and the port it listens on.
pub fn ceh_listening(args: &[&str], env: &[(&str, &str)]) -> (Process, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(args)
        .env_remove("APP")
        .env_remove("CEH_CONFIG")
        .env_remove("CEH_SERVE_TOKEN")
        .env_remove("PORT")
        .env_remove("FUNCTIONS_CUSTOMHANDLER_PORT")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    (Process(child), port)
}

/// `ceh ARGS…`, with none of the caller's own ceh settings, for a start that
/// must be refused: it has to stop by itself within 10 s. Its exit status,
/// stdout and stderr.
pub fn ceh_refused_at_start(
    args: &[&std::ffi::OsStr],
) -> (std::process::ExitStatus, String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(args)
        .env_remove("APP")
        .env_remove("CEH_CONFIG")
        .env_remove("CEH_SERVE_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut process = Process(child);
    let (status, stderr) = exit_within(
        &mut process,
        10,
        &format!("ceh {args:?} did not stop at start"),
    );
    let mut stdout = String::new();
    if let Some(mut pipe) = process.0.stdout.take() {
        std::io::Read::read_to_string(&mut pipe, &mut stdout).unwrap();
    }
    (status, stdout, stderr)
}
