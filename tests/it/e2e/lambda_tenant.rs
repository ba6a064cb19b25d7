//! Lambda tenant isolation: the runtime API's `Lambda-Runtime-Aws-Tenant-Id`
//! (https://docs.aws.amazon.com/lambda/latest/dg/tenant-isolation.html, and the
//! runtime API's next-invocation headers,
//! https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html) reaches the
//! app as `x-amz-tenant-id`, and is absent when Lambda sends none.

use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::harness::{inner, Process};
use super::lambda_limits::{ceh_lambda_command, read_request};

/// A runtime API that hands out one invocation per tenant given (`None`: no
/// tenant header) and passes on each reply posted; then it stops.
fn runtime_api(tenants: Vec<Option<&'static str>>) -> (u16, mpsc::Receiver<Value>) {
    let invocations = tenants
        .into_iter()
        .map(|tenant| {
            let head = tenant
                .map(|tenant| format!("lambda-runtime-aws-tenant-id: {tenant}\r\n"))
                .unwrap_or_default();
            (head, br#"{"ok": true}"#.to_vec())
        })
        .collect();
    runtime_api_handing_out(invocations)
}

/// A runtime API that hands out one invocation per (header lines, payload)
/// given, the lines (`name: value\r\n` each) added to the next-invocation
/// headers, request ids `r-0`, `r-1`… and a deadline a minute away; it
/// passes on each reply or error posted, then it stops.
pub(super) fn runtime_api_handing_out(
    invocations: Vec<(String, Vec<u8>)>,
) -> (u16, mpsc::Receiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (replies, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut pending = invocations.into_iter().enumerate();
        for stream in listener.incoming().take(16).flatten() {
            let (mut stream, line, body) = read_request(stream);
            let answer = if line.starts_with("GET ") {
                let Some((n, (lines, payload))) = pending.next() else {
                    return;
                };
                let deadline =
                    SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nlambda-runtime-aws-request-id: r-{n}\r\n\
                     lambda-runtime-deadline-ms: {}\r\n\
                     lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:f\r\n\
                     content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\
                     {lines}\r\n",
                    deadline.as_millis(),
                    payload.len()
                );
                [head.as_bytes(), &payload].concat()
            } else {
                if line.contains("/response") || line.contains("/error") {
                    let _ = replies.send(serde_json::from_slice(&body).unwrap_or(Value::Null));
                }
                b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec()
            };
            let _ = stream.write_all(&answer);
        }
    });
    (port, received)
}

/// [`ceh_lambda_command`] with `args` and `env`, its output dropped; killed on drop.
pub(super) fn ceh_lambda_on(port: u16, args: &[&str], env: &[(&str, &str)]) -> Process {
    let mut command = ceh_lambda_command(port);
    command
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    Process(command.spawn().unwrap())
}

#[test]
fn the_tenant_id_reaches_the_app_when_lambda_sends_one() {
    let (port, replies) = runtime_api(vec![Some("tenant-blue"), None]);
    let _ceh = ceh_lambda_on(port, &["--echo"], &[]);
    let seen: Vec<Value> = (0..2)
        .map(|_| {
            inner(
                &replies.recv_timeout(Duration::from_secs(20)).unwrap(),
                "body",
            )
        })
        .collect();
    assert_eq!(
        seen[0]["headers"]["x-amz-tenant-id"], "tenant-blue",
        "{}",
        seen[0]
    );
    assert!(
        seen[1]["headers"].get("x-amz-tenant-id").is_none(),
        "{}",
        seen[1]
    );
}
