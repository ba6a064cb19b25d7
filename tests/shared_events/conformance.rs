//! The CloudEvents conformance cases (`conformance/cloudevents/features/` of the shared
//! directory): each HTTP message in, and what ceh sends the app out, with the attributes and data
//! the case gives.

use std::path::Path;

use cloud_events_handler::{Config, Event, Handler};
use cloudevents::AttributesReader;
use serde_json::Value;

use crate::corpus::data_json;

/// One HTTP case of the conformance feature file: the message, and the attributes and data it must give.
struct Case {
    headers: http::HeaderMap,
    body: Vec<u8>,
    attributes: Vec<(String, String)>,
    data: Value,
}

/// Reads the feature file's scenario outlines, one case per example content type.
fn conformance_cases(feature: &Path) -> Vec<Case> {
    let text =
        std::fs::read_to_string(feature).unwrap_or_else(|e| panic!("{}: {e}", feature.display()));
    let mut cases = Vec::new();
    for scenario in text.split("Scenario Outline:").skip(1) {
        let blocks: Vec<&str> = scenario.split("\"\"\"").collect();
        let message = blocks[1];
        let data: Value = serde_json::from_str(blocks[3]).unwrap();
        let table = blocks[2];
        let attributes: Vec<(String, String)> = table
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .split('|')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .collect();
                match cells.as_slice() {
                    [key, value] if *key != "key" => Some((key.to_string(), value.to_string())),
                    _ => None,
                }
            })
            .collect();
        let examples = blocks[4].split("Examples:").nth(1).unwrap();
        for content_type in examples
            .lines()
            .skip(2)
            .filter_map(|l| l.split('|').nth(1))
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            let message = message.replace("<contentType>", content_type);
            let (head, body) = message.trim().split_once("\n\n").unwrap();
            let mut headers = http::HeaderMap::new();
            for line in head.lines().skip(1) {
                let (name, value) = line.split_once(':').unwrap();
                headers.append(
                    http::HeaderName::from_bytes(name.trim().as_bytes()).unwrap(),
                    http::HeaderValue::from_str(value.trim()).unwrap(),
                );
            }
            let attributes = attributes
                .iter()
                .map(|(k, v)| (k.clone(), v.replace("<contentType>", content_type)))
                .collect();
            cases.push(Case {
                headers,
                body: body.trim().as_bytes().to_vec(),
                attributes,
                data: data.clone(),
            });
        }
    }
    cases
}

fn attribute(event: &cloudevents::Event, key: &str) -> String {
    match key {
        "id" => event.id().to_owned(),
        "specversion" => event.specversion().to_string(),
        "type" => event.ty().to_owned(),
        "source" => event.source().to_string(),
        "time" => event
            .time()
            .map(|t| t.to_rfc3339_opts(chrono_format(), true))
            .unwrap_or_default(),
        "datacontenttype" => event.datacontenttype().unwrap_or_default().to_owned(),
        other => event
            .extension(other)
            .map(|v| v.to_string())
            .unwrap_or_default(),
    }
}

fn chrono_format() -> chrono::SecondsFormat {
    chrono::SecondsFormat::AutoSi
}

/// Every case of the CloudEvents HTTP binding's feature file (binary and structured messages)
/// goes through `ceh` as a Lambda payload in structured JSON, and comes out, parsed by the SDK,
/// with the attributes and data the case gives.
pub fn every_conformance_case_goes_through_in_and_out(feature: &Path) {
    let cases = conformance_cases(feature);
    assert_eq!(cases.len(), 4, "two binary and two structured cases");
    let handler = Handler::new(Config::default());
    for case in cases {
        // In: the HTTP message, parsed by the SDK, is the Lambda payload in structured JSON.
        let parsed =
            cloudevents::binding::http::to_event(&case.headers, case.body.clone()).unwrap();
        for (key, value) in &case.attributes {
            assert_eq!(&attribute(&parsed, key), value, "{key}");
        }
        let payload = serde_json::to_vec(&parsed).unwrap();
        let event = Event::from_slice(&payload).unwrap();
        let explained = handler.explain(&event).unwrap();
        assert_eq!(explained.rule().name(), "cloudevents");
        // Out: the app's request parses, with any CloudEvents SDK, to the same event.
        let request = &explained.requests()[0];
        assert_eq!(request.uri().path(), "/mycontext/subcontext");
        let delivered =
            cloudevents::binding::http::to_event(request.headers(), request.body().to_vec())
                .unwrap();
        for (key, value) in &case.attributes {
            assert_eq!(&attribute(&delivered, key), value, "{key} after ceh");
        }
        assert_eq!(data_json(&delivered), case.data);
    }
}
