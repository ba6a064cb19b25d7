//! `ceh serve` against hostile and unlucky clients: slow headers and bodies, bodies over the
//! limit, more requests than it takes at once, a stop with a client stuck, and no file
//! descriptors left. Every failed delivery is one line on stderr.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{exchange, exit_within, flask, listening_port, Process};

/// `ceh serve ARGS…` on 127.0.0.1:0, its stderr kept in a file the test reads.
pub(super) struct Server {
    pub(super) process: Process,
    pub(super) port: u16,
    log: tempfile::NamedTempFile,
}

pub(super) fn start(args: &[&str]) -> Server {
    start_under(None, &[], args)
}

/// Like [`start`], under `sh -c 'ulimit -n N; exec ceh …'` when `open_files` is given,
/// with `env` set.
fn start_under(open_files: Option<u32>, env: &[(&str, &str)], args: &[&str]) -> Server {
    let log = tempfile::NamedTempFile::new().unwrap();
    let ceh = env!("CARGO_BIN_EXE_ceh");
    let mut command = match open_files {
        Some(limit) => {
            let mut sh = Command::new("sh");
            sh.arg("-c")
                .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
                .arg(ceh);
            sh
        }
        None => Command::new(ceh),
    };
    let mut child = command
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("APP")
        .env_remove("CEH_CONFIG")
        .env_remove("CEH_SERVE_TOKEN")
        .env_remove("PORT")
        .env_remove("CEH_LOG")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(log.reopen().unwrap())
        .spawn()
        .unwrap();
    let port = listening_port(&mut child);
    Server {
        process: Process(child),
        port,
        log,
    }
}

impl Server {
    pub(super) fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }

    /// A connection that has sent `head` and then says nothing more.
    pub(super) fn stalled(&self, head: &str) -> TcpStream {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.write_all(head.as_bytes()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream
    }
}

/// What the server says on `stream` until it closes it, and how long that took.
fn read_to_close(mut stream: TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

#[test]
fn slow_headers_and_bodies_are_cut_off_and_a_declared_oversize_is_refused_unread() {
    let server = start(&[
        "--echo",
        "--header-timeout-ms",
        "300",
        "--body-timeout-ms",
        "300",
        "--max-body",
        "1000",
    ]);
    // Headers that never end: the connection is closed, nothing is answered.
    let (answer, took) = read_to_close(server.stalled("POST / HTTP/1.1\r\nhost: x\r\n"));
    assert!(took < Duration::from_secs(5), "open for {took:?}");
    assert!(!answer.contains(" 200 "), "{answer}");
    // A body that stops short: 408.
    let (answer, took) = read_to_close(
        server.stalled("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{\"a\":"),
    );
    assert!(took < Duration::from_secs(5), "open for {took:?}");
    assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
    assert!(
        answer.ends_with("the request body did not arrive within 300 ms\n"),
        "{answer}"
    );
    // A declared length over the limit: 413 at once, though not a byte of the body came.
    let (answer, took) = read_to_close(
        server.stalled("POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000000\r\n\r\n"),
    );
    assert!(took < Duration::from_secs(5), "open for {took:?}");
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.ends_with("the request body is over the limit of 1000 bytes, or broke off\n"));
    // Still serving.
    assert_eq!(exchange(server.port, "POST", "/", &[], b"{}").0, 200);
    let log = server.log();
    assert!(
        log.contains("ceh serve: 408 the request body did not arrive within 300 ms\n"),
        "{log}"
    );
    assert!(
        log.contains("ceh serve: 413 the request body is over the limit of 1000 bytes"),
        "{log}"
    );
}

#[test]
fn options_that_cannot_work_are_refused_at_start() {
    for (args, message) in [
        (
            ["--max-body", "100000000000"],
            "ceh: --max-body 100000000000: over the limit of 67108864 bytes a request body may have\n",
        ),
        (["--max-in-flight", "0"], "ceh: --max-in-flight 0: must be at least 1\n"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .args(["serve", "--echo", "--listen", "127.0.0.1:0"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), message);
        assert!(output.stdout.is_empty(), "it never listened");
    }
}

#[test]
fn requests_over_the_cap_are_told_to_come_back() {
    let (_app, app_port) = flask(0);
    let server = start(&[
        "--app",
        &format!("http://127.0.0.1:{app_port}"),
        "--max-in-flight",
        "1",
    ]);
    let port = server.port;
    // The Flask app takes 3 s over an event with a "slow" key: that one holds the only slot.
    let slow = std::thread::spawn(move || {
        exchange(
            port,
            "POST",
            "/",
            &[],
            br#"{"Records": [{"eventSource": "aws:s3", "slow": true}]}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(800));
    let (status, headers, body) = exchange(
        port,
        "POST",
        "/",
        &[],
        br#"{"Records": [{"eventSource": "aws:s3"}]}"#,
    );
    assert_eq!(status, 503, "{body}");
    assert!(
        headers.contains(&("retry-after".to_owned(), "1".to_owned())),
        "{headers:?}"
    );
    assert_eq!(
        body,
        "ceh is handling 1 requests already, its limit; retry shortly\n"
    );
    assert_eq!(
        slow.join().unwrap().0,
        200,
        "the request in flight is served"
    );
    assert_eq!(
        exchange(
            port,
            "POST",
            "/",
            &[],
            br#"{"Records": [{"eventSource": "aws:s3"}]}"#
        )
        .0,
        200
    );
    assert!(server
        .log()
        .contains("ceh serve: 503 ceh is handling 1 requests already"));
}

#[test]
fn a_stop_finishes_within_its_deadline_though_a_client_is_stuck_mid_headers() {
    let mut server = start(&[
        "--echo",
        "--header-timeout-ms",
        "60000",
        "--shutdown-timeout-ms",
        "1000",
    ]);
    let _stuck = server.stalled("POST / HTTP/1.1\r\nhost: x\r\ncontent-");
    std::thread::sleep(Duration::from_millis(200));
    let pid = server.process.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let (status, _) = exit_within(
        &mut server.process,
        8,
        "ceh serve did not stop within its deadline",
    );
    assert_eq!(status.code(), Some(0));
}

#[test]
fn failed_deliveries_are_logged_one_line_each_without_bodies() {
    let port = super::harness::free_port();
    let server = start(&["--app", &format!("http://127.0.0.1:{port}")]);
    let secret = "s3cr3t-body-text";
    let event = format!(r#"{{"Records": [{{"eventSource": "aws:s3", "note": "{secret}"}}]}}"#);
    assert_eq!(
        exchange(server.port, "POST", "/", &[], event.as_bytes()).0,
        502
    );
    assert_eq!(exchange(server.port, "POST", "/", &[], b"{not json").0, 400);
    let log = server.log();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert!(lines[0].starts_with("ceh serve: 502 "), "{log}");
    assert!(
        lines[0].contains(&format!("127.0.0.1:{port}/aws.s3")),
        "{log}"
    );
    assert_eq!(
        lines[1],
        "ceh serve: 400 the event is not valid JSON: key must be a string at line 1 column 2"
    );
    assert!(!log.contains(secret), "a body reached the log: {log}");
}

/// The refusal lines are log events on the one channel, `tracing`: `CEH_LOG` filters
/// them as it filters every other event, and what it lets through keeps its bare text.
#[test]
fn refusal_lines_are_log_events_ceh_log_filters() {
    for (filter, logged) in [
        ("warn", true),
        ("error", false),
        ("info,cloud_events_handler::server=off", false),
    ] {
        let server = start_under(None, &[("CEH_LOG", filter)], &["--echo"]);
        assert_eq!(exchange(server.port, "GET", "/", &[], b"").0, 405);
        // A request answered after the refusal: its line, if any, is written by now.
        assert_eq!(exchange(server.port, "POST", "/", &[], b"{}").0, 200);
        let log = server.log();
        match logged {
            true => assert_eq!(log, "ceh serve: 405 send events with POST\n", "{filter}"),
            false => assert_eq!(log, "", "{filter}"),
        }
    }
}

/// CPU time (user + system) of a process so far, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
fn no_file_descriptors_left_backs_off_instead_of_spinning() {
    let server = start_under(Some(48), &[], &["--echo"]);
    // More connections than descriptors: the accepts past the limit fail.
    let held: Vec<TcpStream> = (0..80)
        .filter_map(|_| TcpStream::connect(("127.0.0.1", server.port)).ok())
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let pid = server.process.0.id();
    let before = cpu_ticks(pid);
    std::thread::sleep(Duration::from_secs(2));
    let spent = cpu_ticks(pid) - before;
    // A spinning loop burns all of 2 s (200 ticks); backing off costs next to nothing.
    assert!(
        spent < 40,
        "{spent} ticks of CPU in 2 s with no descriptors left"
    );
    drop(held);
    // Once connections close, it serves again.
    let (started, port) = (Instant::now(), server.port);
    loop {
        let answered = std::panic::catch_unwind(|| exchange(port, "POST", "/", &[], b"{}").0);
        if matches!(answered, Ok(200)) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not serving again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.log().contains("cannot accept a connection"),
        "{}",
        server.log()
    );
}
