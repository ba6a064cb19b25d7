//! Who may post events to `ceh serve`: its token (never empty), Pub/Sub push's OIDC token, Event
//! Grid's Microsoft Entra ID token, each verified against a JWKS file, with the claims the
//! platforms document. The tokens are signed here with an RSA key made for the test by the
//! `openssl` command.
//! - Pub/Sub push: <https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions>
//!   (RS256 by Google's keys; `aud` the subscription's audience; `iss` `accounts.google.com` or
//!   `https://accounts.google.com`; `email` the service account, `email_verified`).
//! - Event Grid: <https://learn.microsoft.com/azure/event-grid/secure-webhook-delivery> (an Entra
//!   ID token for the webhook's application, issued to Event Grid's application
//!   4962773b-9cdb-44cf-a8bf-237846a00ab7, on deliveries and the validation handshake alike).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use super::harness::{ceh_refused_at_start, exchange, exit_within, Process};
use super::serve_limits::start;

/// An RSA key made by `openssl`: its PKCS#1 DER, and its modulus, base64url.
fn rsa_key(dir: &Path, name: &str) -> (Vec<u8>, String) {
    let pem = dir.join(format!("{name}.pem"));
    let der = dir.join(format!("{name}.der"));
    let openssl = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .output()
            .expect("the tests need the openssl command");
        assert!(output.status.success(), "openssl {args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let (pem_path, der_path) = (pem.to_str().unwrap(), der.to_str().unwrap());
    openssl(&["genrsa", "-out", pem_path, "2048"]);
    openssl(&[
        "rsa",
        "-in",
        pem_path,
        "-traditional",
        "-outform",
        "DER",
        "-out",
        der_path,
    ]);
    let modulus = openssl(&["rsa", "-in", pem_path, "-noout", "-modulus"]);
    let hex = modulus.trim().strip_prefix("Modulus=").unwrap();
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let n = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    (std::fs::read(der).unwrap(), n)
}

/// A JWKS file with the key, under `kid`.
fn jwks(dir: &Path, kid: &str, n: &str) -> String {
    let path = dir.join(format!("{kid}.jwks.json"));
    let keys = json!({"keys": [{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig", "n": n, "e": "AQAB"}]});
    std::fs::write(&path, keys.to_string()).unwrap();
    path.display().to_string()
}

fn sign(der: &[u8], kid: &str, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &EncodingKey::from_rsa_der(der)).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[test]
fn an_empty_token_is_refused_at_start() {
    for empty in ["", "  "] {
        let child = Command::new(env!("CARGO_BIN_EXE_ceh"))
            .args(["serve", "--echo", "--listen", "127.0.0.1:0"])
            .env("CEH_SERVE_TOKEN", empty)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut process = Process(child);
        let (status, stderr) =
            exit_within(&mut process, 10, "ceh serve started with an empty token");
        assert_eq!(status.code(), Some(2));
        assert_eq!(stderr, "ceh: CEH_SERVE_TOKEN is set but empty: set it to a secret the senders send as Authorization: Bearer <token>, or unset it\n");
    }
}

#[test]
fn pubsub_push_oidc_tokens_are_verified() {
    let dir = tempfile::tempdir().unwrap();
    let (der, n) = rsa_key(dir.path(), "google");
    let (other, _) = rsa_key(dir.path(), "stranger");
    let keys = jwks(dir.path(), "g1", &n);
    let audience = "https://ceh-abc.a.run.app/push";
    let email = "push@project.iam.gserviceaccount.com";
    let server = start(&[
        "--echo",
        "--pubsub-audience",
        audience,
        "--pubsub-email",
        email,
        "--pubsub-jwks",
        &keys,
    ]);
    let claims = |changes: Value| {
        let mut claims = json!({"aud": audience, "iss": "https://accounts.google.com", "exp": now() + 600,
            "iat": now(), "email": email, "email_verified": true, "sub": "1234"});
        for (k, v) in changes.as_object().unwrap() {
            claims[k] = v.clone();
        }
        claims
    };
    let push = crate::fixtures::read("pubsub/push.json");
    let post = |authorization: Option<String>| {
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("authorization", a.as_str()))
            .collect();
        exchange(server.port, "POST", "/", &headers, &push)
    };
    let (status, _, body) = post(Some(bearer(&sign(&der, "g1", &claims(json!({}))))));
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = post(Some(bearer(&sign(
        &der,
        "g1",
        &claims(json!({"iss": "accounts.google.com"})),
    ))));
    assert_eq!(status, 200, "the other spelling of Google's issuer: {body}");
    let (status, headers, body) = post(None);
    assert_eq!(status, 401, "{body}");
    assert_eq!(body, "this endpoint takes events with an OIDC token from Pub/Sub push: Authorization: Bearer <token>\n");
    assert!(headers.contains(&("www-authenticate".to_owned(), "Bearer".to_owned())));
    let refused = "this endpoint takes events with an OIDC token from Pub/Sub push; the bearer token is refused: read as a token from Pub/Sub push: ";
    for (token, why) in [
        (
            sign(
                &der,
                "g1",
                &claims(json!({"aud": "https://elsewhere.example/"})),
            ),
            "it is for another audience",
        ),
        (
            sign(&der, "g1", &claims(json!({"iss": "https://evil.example"}))),
            "another issuer issued it",
        ),
        (
            sign(&der, "g1", &claims(json!({"exp": now() - 3600}))),
            "it has expired",
        ),
        (
            sign(
                &der,
                "g1",
                &claims(json!({"email": "someone@evil.example"})),
            ),
            "not issued to the service account push@project.iam.gserviceaccount.com",
        ),
        (
            sign(&der, "g1", &claims(json!({"email_verified": false}))),
            "not issued to the service account push@project.iam.gserviceaccount.com",
        ),
        (
            sign(&other, "g1", &claims(json!({}))),
            "its signature does not verify",
        ),
        (
            sign(&der, "g2", &claims(json!({}))),
            "signed with a key the JWKS file does not have (refresh it?)",
        ),
        (
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims(json!({})),
                &EncodingKey::from_secret(n.as_bytes()),
            )
            .unwrap(),
            "signed with HS256, not RS256",
        ),
        ("not-a-token".to_owned(), "not a JWT"),
    ] {
        let (status, _, body) = post(Some(bearer(&token)));
        assert_eq!(status, 401, "{why}: {body}");
        assert_eq!(body, format!("{refused}{why}\n"));
        assert!(!body.contains(&token), "the token is never echoed");
    }
    assert!(
        !server.log().contains("eyJ"),
        "no token in the log: {}",
        server.log()
    );
}

#[test]
fn event_grid_entra_tokens_are_verified_on_deliveries_and_the_handshake() {
    let dir = tempfile::tempdir().unwrap();
    let (der, n) = rsa_key(dir.path(), "entra");
    let keys = jwks(dir.path(), "e1", &n);
    let tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let event_grid = "4962773b-9cdb-44cf-a8bf-237846a00ab7";
    let server = start(&[
        "--echo",
        "--eventgrid-audience",
        "api://ceh-webhook",
        "--eventgrid-tenant",
        tenant,
        "--eventgrid-jwks",
        &keys,
    ]);
    let token = |iss: String, app: (&str, &str)| {
        let mut claims =
            json!({"aud": "api://ceh-webhook", "iss": iss, "exp": now() + 600, "iat": now()});
        claims[app.0] = json!(app.1);
        bearer(&sign(&der, "e1", &claims))
    };
    let v1 = token(
        format!("https://sts.windows.net/{tenant}/"),
        ("appid", event_grid),
    );
    let v2 = token(
        format!("https://login.microsoftonline.com/{tenant}/v2.0"),
        ("azp", event_grid),
    );
    let event = crate::fixtures::read("eventgrid/blob-created.json");
    for good in [&v1, &v2] {
        let (status, _, body) =
            exchange(server.port, "POST", "/", &[("authorization", good)], &event);
        assert_eq!(status, 200, "{body}");
    }
    for (bad, why) in [
        (
            token(
                "https://sts.windows.net/another-tenant/".to_owned(),
                ("appid", event_grid),
            ),
            "another issuer issued it",
        ),
        (
            token(
                format!("https://sts.windows.net/{tenant}/"),
                ("appid", "00000000-0000-0000-0000-000000000001"),
            ),
            "not issued to Event Grid",
        ),
    ] {
        let (status, _, body) =
            exchange(server.port, "POST", "/", &[("authorization", &bad)], &event);
        assert_eq!(status, 401, "{body}");
        assert!(
            body.ends_with(&format!("read as a token from Event Grid: {why}\n")),
            "{body}"
        );
    }
    // A subscription validation from another tenant is not answered, in either schema.
    let validation = crate::fixtures::read("eventgrid/subscription-validation.json");
    assert_eq!(exchange(server.port, "POST", "/", &[], &validation).0, 401);
    let (status, _, body) = exchange(
        server.port,
        "POST",
        "/",
        &[("authorization", &v1)],
        &validation,
    );
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("validationResponse"), "{body}");
    let origin = ("webhook-request-origin", "eventgrid.azure.net");
    assert_eq!(exchange(server.port, "OPTIONS", "/", &[origin], b"").0, 401);
    let (status, headers, _) = exchange(
        server.port,
        "OPTIONS",
        "/",
        &[origin, ("authorization", &v1)],
        b"",
    );
    assert_eq!(status, 200);
    assert!(headers.contains(&(
        "webhook-allowed-origin".to_owned(),
        "eventgrid.azure.net".to_owned()
    )));
}

/// `ceh ARGS…`, which must stop within 10 s with exit 2 and this stderr.
fn refused_at_start(args: &[&str], message: &str) {
    let args: Vec<&std::ffi::OsStr> = args.iter().map(std::ffi::OsStr::new).collect();
    let (status, _, stderr) = ceh_refused_at_start(&args);
    assert_eq!(
        (status.code(), stderr.as_str()),
        (Some(2), message),
        "{args:?}"
    );
}

/// A FIFO at `path`, made by the `mkfifo` command.
pub(super) fn fifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("the tests need the mkfifo command");
    assert!(made.success());
}

#[test]
fn operator_files_that_would_hang_or_never_end_are_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, r#"{"keys": []}"#).unwrap();
    let empty = empty.display().to_string();
    let pipe = dir.path().join("ceh.toml");
    fifo(&pipe);
    let pipe = pipe.display().to_string();
    let serve = ["serve", "--echo", "--listen", "127.0.0.1:0"];
    let not_regular = |path: &str| {
        format!("ceh: {path}: not a regular file (a FIFO, a device or a directory); name a file\n")
    };
    for (args, message) in [
        (
            vec!["--pubsub-audience", "a", "--pubsub-jwks", "/dev/zero"],
            not_regular("/dev/zero"),
        ),
        (
            vec!["--pubsub-audience", "a", "--pubsub-jwks", &empty],
            format!("ceh: {empty}: the JWKS has no keys\n"),
        ),
        (vec!["--config", "/dev/zero"], not_regular("/dev/zero")),
        (vec!["--config", &pipe], not_regular(&pipe)),
    ] {
        let mut all = serve.to_vec();
        all.extend(args);
        refused_at_start(&all, &message);
    }
}
