//! The app's request for each rule `body` × `[rule.cloudevent] mode`: its content type, its body
//! bytes and its `ce-*` headers. A structured envelope follows the CloudEvents JSON event format
//! (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/formats/json-format.md, §3.1 for
//! how `data` is carried, §4 for `application/cloudevents+json`); a binary-mode request the HTTP
//! protocol binding (https://github.com/cloudevents/spec/blob/v1.0.2/cloudevents/bindings/http-protocol-binding.md,
//! §3.1). Each envelope is parsed with the cloudevents-sdk crate to prove it is a valid CloudEvent.

use bytes::Bytes;
use cloud_events_handler::{Config, Event, Handler};
use cloudevents::{AttributesReader, Data};
use http::Request;
use serde_json::{json, Value};

/// An EventBridge-shaped event: its `detail` an object, `detail.note` a string.
const EVENT: &str = r#"{"id": "e-1", "source": "shop", "detail-type": "Order", "detail": {"note": "hello", "n": 1.50}}"#;
/// The `detail` object as it stands in [`EVENT`], number formatting and all.
const DETAIL: &str = r#"{"note": "hello", "n": 1.50}"#;
/// A structured CloudEvent whose `data` is the same object, for forward mode.
const CLOUDEVENT: &str = r#"{"specversion": "1.0", "id": "e-1", "source": "/shop", "type": "Order", "datacontenttype": "application/json", "data": {"note": "hello", "n": 1.50}}"#;

/// What the rule's `body` selects.
#[derive(Clone, Copy, Debug)]
enum Body {
    /// No `body`: the whole event.
    Whole,
    /// A JSON object.
    Object,
    /// A JSON string.
    Text,
    /// Nothing.
    Absent,
}

/// The handler of one rule with this `body` and `mode`, and the event it gets: a CloudEvent
/// for forward mode (what the mode is for), the EventBridge-shaped event otherwise.
fn case(body: Body, mode: &str) -> (Handler, Event) {
    let root = if mode == "forward" { "data" } else { "detail" };
    let body = match body {
        Body::Whole => String::new(),
        Body::Object => format!("body = \"$.{root}\"\n"),
        Body::Text => format!("body = \"$.{root}.note\"\n"),
        Body::Absent => "body = \"$.missing\"\n".to_owned(),
    };
    let config = Config::parse(
        "ceh.toml",
        &format!(
            "builtin_rules = false\n[[rule]]\nname = \"orders\"\npath = \"/orders\"\n{body}\
             [rule.match]\n\"$.id\" = {{ exists = true }}\n\
             [rule.cloudevent]\nmode = \"{mode}\"\nid = \"{{$.id}}\"\ntype = \"com.example.order\"\n"
        ),
    )
    .unwrap();
    let bytes = if mode == "forward" { CLOUDEVENT } else { EVENT };
    (
        Handler::new(config),
        Event::from_slice(bytes.as_bytes()).unwrap(),
    )
}

/// The one request the app gets.
fn request(body: Body, mode: &str) -> Request<Bytes> {
    let (handler, event) = case(body, mode);
    let plan = handler.explain(&event).unwrap();
    assert_eq!(plan.requests().len(), 1, "{body:?} {mode}");
    plan.requests()[0].clone()
}

fn header<'r>(request: &'r Request<Bytes>, name: &str) -> Option<&'r str> {
    request.headers().get(name).map(|v| v.to_str().unwrap())
}

fn ce_headers(request: &Request<Bytes>) -> Vec<&str> {
    let mut names: Vec<&str> = request
        .headers()
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("ce-"))
        .collect();
    names.sort_unstable();
    names
}

/// A structured envelope: its content type, no `ce-*` headers, and the CloudEvent the SDK reads.
fn envelope(request: &Request<Bytes>) -> cloudevents::Event {
    let event = envelope_of(request);
    assert_eq!(event.id(), "e-1");
    assert_eq!(event.ty(), "com.example.order");
    event
}

/// A binary-mode request: the `ce-*` headers, and the CloudEvent the SDK reads of it (its data
/// the body's bytes, as the SDK hands binary-mode data over).
fn binary(request: &Request<Bytes>) -> cloudevents::Event {
    assert_eq!(
        ce_headers(request),
        ["ce-id", "ce-source", "ce-specversion", "ce-type"]
    );
    assert_eq!(header(request, "ce-id"), Some("e-1"));
    let event =
        cloudevents::binding::http::to_event(request.headers(), request.body().to_vec()).unwrap();
    assert_eq!(event.ty(), "com.example.order");
    // The data's content type is the request's own: the binding reads it from `content-type`.
    assert_eq!(event.datacontenttype(), header(request, "content-type"));
    event
}

fn json_of(data: Option<&Data>) -> Value {
    match data {
        Some(Data::Json(json)) => json.clone(),
        other => panic!("not JSON data: {other:?}"),
    }
}

#[test]
fn binary_mode_whole_event() {
    let request = request(Body::Whole, "binary");
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(request.body(), EVENT.as_bytes());
    assert_eq!(binary(&request).data(), Some(&Data::Binary(EVENT.into())));
}

#[test]
fn binary_mode_json_object_path() {
    let request = request(Body::Object, "binary");
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(request.body(), DETAIL.as_bytes());
    assert_eq!(binary(&request).data(), Some(&Data::Binary(DETAIL.into())));
}

#[test]
fn binary_mode_json_string_path() {
    let request = request(Body::Text, "binary");
    assert_eq!(
        header(&request, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(request.body(), "hello".as_bytes());
    assert_eq!(binary(&request).data(), Some(&Data::Binary("hello".into())));
}

#[test]
fn structured_mode_whole_event() {
    let request = request(Body::Whole, "structured");
    let text = std::str::from_utf8(request.body()).unwrap();
    assert!(text.ends_with(&format!(r#""data":{EVENT}}}"#)), "{text}");
    let event = envelope(&request);
    assert_eq!(event.datacontenttype(), Some("application/json"));
    assert_eq!(
        json_of(event.data()),
        serde_json::from_str::<Value>(EVENT).unwrap()
    );
}

#[test]
fn structured_mode_json_object_path() {
    let request = request(Body::Object, "structured");
    let text = std::str::from_utf8(request.body()).unwrap();
    // The JSON data byte for byte: `1.50` stays `1.50`.
    assert!(text.ends_with(&format!(r#""data":{DETAIL}}}"#)), "{text}");
    let event = envelope(&request);
    assert_eq!(event.datacontenttype(), Some("application/json"));
    assert_eq!(json_of(event.data()), json!({"note": "hello", "n": 1.5}));
}

#[test]
fn structured_mode_json_string_path() {
    let request = request(Body::Text, "structured");
    let text = std::str::from_utf8(request.body()).unwrap();
    assert!(text.ends_with(r#""data":"hello"}"#), "{text}");
    let event = envelope(&request);
    assert_eq!(event.datacontenttype(), Some("text/plain; charset=utf-8"));
    assert_eq!(event.data(), Some(&Data::String("hello".into())));
}

#[test]
fn forward_mode_whole_event() {
    let request = request(Body::Whole, "forward");
    assert_eq!(request.body(), CLOUDEVENT.as_bytes(), "as it came");
    let event = envelope_of(&request);
    assert_eq!((event.id(), event.ty()), ("e-1", "Order"));
    assert_eq!(event.source().as_str(), "/shop");
    assert_eq!(json_of(event.data()), json!({"note": "hello", "n": 1.5}));
}

#[test]
fn forward_mode_json_object_path() {
    // A selected node is no CloudEvent: it goes as it stands, with its own content type.
    let request = request(Body::Object, "forward");
    assert_eq!(header(&request, "content-type"), Some("application/json"));
    assert_eq!(request.body(), DETAIL.as_bytes());
    assert_eq!(ce_headers(&request), Vec::<&str>::new());
}

#[test]
fn forward_mode_json_string_path() {
    let request = request(Body::Text, "forward");
    assert_eq!(
        header(&request, "content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(request.body(), "hello".as_bytes());
    assert_eq!(ce_headers(&request), Vec::<&str>::new());
}

#[test]
fn an_absent_path_refuses_the_event_in_every_mode() {
    for mode in ["binary", "structured", "forward"] {
        let (handler, event) = case(Body::Absent, mode);
        let err = handler.explain(&event).map(|plan| plan.requests().len());
        assert_eq!(
            err.map_err(|e| e.to_string()),
            Err("rule `orders`: the event has nothing at $.missing, the rule's `body` (or, for `decode`, no string in that encoding); the event is refused".to_owned()),
            "{mode}"
        );
    }
}

/// Bytes a base64 string stands for are no JSON and no text: `data_base64` (§3.1).
#[test]
fn structured_mode_carries_decoded_bytes_in_data_base64() {
    let config = Config::parse(
        "ceh.toml",
        "builtin_rules = false\n[[rule]]\nname = \"blobs\"\npath = \"/blobs\"\n\
         body = { from = \"$.data\", decode = \"base64\" }\n\
         [rule.match]\n\"$.data\" = { exists = true }\n[rule.cloudevent]\nmode = \"structured\"\nid = \"{$.id}\"\n",
    )
    .unwrap();
    let handler = Handler::new(config);
    let event = Event::from_slice(br#"{"id": "b-1", "data": "/wA="}"#).unwrap();
    let plan = handler.explain(&event).unwrap();
    let request = &plan.requests()[0];
    let event = envelope_of(request);
    assert_eq!(event.datacontenttype(), Some("application/octet-stream"));
    assert_eq!(event.data(), Some(&Data::Binary(vec![0xff, 0x00])));
    let text = std::str::from_utf8(request.body()).unwrap();
    assert!(text.ends_with(r#""data_base64":"/wA="}"#), "{text}");
}

/// A batch record's request is built in the same room: a record's string in a structured
/// envelope is a JSON string too.
#[test]
fn a_batch_records_text_goes_as_a_string_in_its_envelope() {
    let config = Config::parse(
        "ceh.toml",
        "builtin_rules = false\n[[rule]]\nname = \"notes\"\npath = \"/notes\"\nreply = \"batch\"\n\
         body = \"$.text\"\n[rule.match]\n\"$.notes[0].text\" = { exists = true }\n\
         [rule.batch]\nrecords = \"$.notes[*]\"\n[rule.cloudevent]\nmode = \"structured\"\nid = \"{$.id}\"\n",
    )
    .unwrap();
    let handler = Handler::new(config);
    let event = Event::from_slice(
        br#"{"notes": [{"id": "n-1", "text": "hi"}, {"id": "n-2", "text": "{\"a\": 1}"}]}"#,
    )
    .unwrap();
    let plan = handler.explain(&event).unwrap();
    let data: Vec<Option<Data>> = plan
        .requests()
        .iter()
        .map(|request| envelope_of(request).data().cloned())
        .collect();
    assert_eq!(
        data,
        [
            Some(Data::String("hi".into())),
            Some(Data::String(r#"{"a": 1}"#.into()))
        ]
    );
}

/// [`envelope`] without the attributes of [`EVENT`]'s rule.
fn envelope_of(request: &Request<Bytes>) -> cloudevents::Event {
    assert_eq!(
        header(request, "content-type"),
        Some("application/cloudevents+json")
    );
    assert_eq!(ce_headers(request), Vec::<&str>::new());
    let body = request.body();
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}
