//! Event data that becomes part of a request can never escape its place.

use cloud_events_handler::{request::synthesize, Config, Event};
use proptest::prelude::*;
use serde_json::json;

fn config() -> Config {
    Config::parse(
        "p.toml",
        r#"
        builtin_rules = false
        [[rule]]
        name = "dynamic"
        path = "/events/{$.source}"
        headers = { "x-type" = "{$.type}" }
        [rule.match]
        "$.source" = { exists = true }

        [environment]
        base_path = "/base"
        "#,
    )
    .unwrap()
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// Whether a server could read a segment as `.` or `..`: decoded until it
/// stays the same, split on `/` and `\`, before any `;` parameter.
fn reads_as_dot(segment: &str) -> bool {
    let mut text = segment.to_owned();
    loop {
        let decoded = percent_encoding::percent_decode_str(&text)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == text {
            break;
        }
        text = decoded;
    }
    text.split(['/', '\\'])
        .map(|piece| piece.split(';').next().unwrap_or_default())
        .any(|piece| piece == "." || piece == "..")
}

/// Values with dot segments, hidden every way a server might undo.
fn dotted() -> impl Strategy<Value = String> {
    let dots = prop_oneof![
        Just(".."),
        Just("."),
        Just("%2e%2e"),
        Just("%2E."),
        Just("%252e%252e"),
        Just("..;x"),
        Just("..%2Fx"),
    ];
    (any::<String>(), dots, any::<String>()).prop_map(|(a, d, b)| format!("{a}/{d}/{b}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn dot_segments_are_refused_however_they_are_hidden(source in dotted()) {
        let config = config();
        let event = Event::from_json(json!({"source": source}));
        let found = config.rules().classify(&event).unwrap();
        prop_assert_eq!(found.rule().name(), "dynamic");
        let err = synthesize(&found, &event, config.environment()).unwrap_err();
        prop_assert!(err.to_string().starts_with("rule `dynamic`: the value "), "{}", err);
    }


    #[test]
    fn any_source_stays_under_its_prefix(source in any::<String>(), kind in any::<String>()) {
        let config = config();
        let event = Event::from_json(json!({"source": source, "type": kind}));
        let found = config.rules().classify(&event).unwrap();
        let segments: Vec<&str> = source.split('/').filter(|s| !s.is_empty()).collect();
        if found.rule().name() == "fallback" {
            // Only values without a single path segment fall through.
            prop_assert!(segments.is_empty());
            return Ok(());
        }
        if segments.iter().any(|s| reads_as_dot(s)) {
            // A segment a server would read as `.` or `..` is refused, never sent.
            let err = synthesize(&found, &event, config.environment()).unwrap_err();
            prop_assert!(err.to_string().contains("has a `.` or `..` segment"), "{}", err);
            return Ok(());
        }
        let request = synthesize(&found, &event, config.environment()).unwrap();
        let path = request.uri().path();
        prop_assert!(path.starts_with("/base/events/"), "{}", path);
        let rest = &path["/base/events/".len()..];
        prop_assert!(!path.contains("//"));
        prop_assert!(request.uri().query().is_none());
        let produced: Vec<&str> = rest.split('/').collect();
        prop_assert!(produced.iter().all(|s| *s != "." && *s != ".." && !s.is_empty()));
        prop_assert!(rest.bytes().all(|b| b.is_ascii_graphic() && b != b'?' && b != b'#'));
        // Nothing is lost: decoding gives back the value's segments.
        let decoded: Vec<String> = produced.iter().map(|s| decode(s)).collect();
        prop_assert_eq!(decoded, segments);
        // Header values are always valid, and decode back to the value.
        if let Some(value) = request.headers().get("x-type") {
            prop_assert_eq!(decode(value.to_str().unwrap()), kind);
        }
    }
}

#[test]
fn readable_sources_keep_their_form() {
    let config = config();
    for (source, path) in [
        ("aws.s3", "/base/events/aws.s3"),
        ("/mycontext/subcontext", "/base/events/mycontext/subcontext"),
        ("com.example.orders", "/base/events/com.example.orders"),
        ("urn:event:from:x", "/base/events/urn:event:from:x"),
        ("a?b=c#d", "/base/events/a%3Fb=c%23d"),
        ("tab\tnl\n", "/base/events/tab%09nl%0A"),
    ] {
        let event = Event::from_json(json!({"source": source}));
        let found = config.rules().classify(&event).unwrap();
        let request = synthesize(&found, &event, config.environment()).unwrap();
        assert_eq!(request.uri().path(), path, "{source}");
    }
}

#[test]
fn a_value_that_climbs_out_of_its_path_is_refused() {
    let config = config();
    for source in [
        "../../etc/passwd",
        "a/%2e%2e/b",
        "..;jsessionid=1",
        "x\\..\\admin",
    ] {
        let event = Event::from_json(json!({"source": source}));
        let found = config.rules().classify(&event).unwrap();
        let err = synthesize(&found, &event, config.environment()).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("rule `dynamic`: the value \"{}\" for the path /events/{{$.source}} has a `.` or `..` segment, which would lead the request out of its path; the event is refused", source.escape_debug()),
            "{source}"
        );
    }
}

#[test]
fn the_body_is_the_original_bytes() {
    let config = config();
    let raw = b"{ \"source\" : \"x\",\n  \"n\": 1.0e0, \"u\": \"\\u00e9\" }";
    let event = Event::from_slice(raw).unwrap();
    let found = config.rules().classify(&event).unwrap();
    let request = synthesize(&found, &event, config.environment()).unwrap();
    assert_eq!(request.body().as_ref(), raw);
    assert_eq!(
        request.headers()["content-length"],
        raw.len().to_string().as_str()
    );
}
