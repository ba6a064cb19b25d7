//! Event data that becomes part of a request can never escape its place.

use cloud_events_handler::{synthesize, Config, Event};
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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

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
        ("../../etc/passwd", "/base/events/%2E%2E/%2E%2E/etc/passwd"),
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
