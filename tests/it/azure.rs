//! Azure shapes beside the ones Event Grid and the Functions host send most: one Event Grid event
//! outside its array, and the Functions Event Grid trigger with a CloudEvents-schema subscription.
//! What the app receives for each, compared with the shape it stands beside.

use bytes::Bytes;
use cloud_events_handler::{Config, ErrorKind, Event, Handler, Reply};
use http::{Request, Response};
use http_body_util::Full;

use crate::corpus::{recorder, runtime, Received};
use crate::fixtures;

/// The requests the app received for `bytes`, and the reply.
fn deliver(bytes: &[u8]) -> (Vec<Request<Bytes>>, Reply) {
    let handler = Handler::new(Config::default());
    let event = Event::from_slice(bytes).unwrap();
    let received = Received::default();
    let reply = runtime()
        .block_on(handler.handle(&event, recorder(received.clone())))
        .unwrap();
    let requests = std::mem::take(&mut *received.lock().unwrap());
    (requests, reply)
}

/// A header's value as text ("" when absent).
fn header<'r>(request: &'r Request<Bytes>, name: &str) -> &'r str {
    request
        .headers()
        .get(name)
        .map_or("", |value| value.to_str().unwrap())
}

/// The `ce-*` headers of a request, in order.
fn ce_headers(request: &Request<Bytes>) -> Vec<(String, String)> {
    request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("ce-"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect()
}

/// One event in the Event Grid schema, as Event Grid's "Event Grid event schema" page shows an
/// event and relays forward one, takes the route one event of a delivery (a JSON array) takes,
/// and the app receives the same request: the event's own bytes as the body, on /<eventType>.
#[test]
fn a_single_event_grid_event_is_sent_as_one_event_of_a_delivery_is() {
    let single = fixtures::read("eventgrid/event.json");
    let mut delivery = b"[".to_vec();
    delivery.extend_from_slice(&single);
    delivery.extend_from_slice(b"]");

    let (alone, reply) = deliver(&single);
    let (in_array, _) = deliver(&delivery);
    assert_eq!((alone.len(), in_array.len()), (1, 1));
    let (alone, in_array) = (&alone[0], &in_array[0]);
    assert_eq!(alone.uri().path(), "/Microsoft.Storage.BlobCreated");
    assert_eq!(alone.uri().path(), in_array.uri().path());
    assert_eq!(alone.body(), &single[..], "the event itself, byte for byte");
    // The same bytes (the file's final newline is the whole event's, not the element's).
    assert_eq!(alone.body().trim_ascii_end(), &in_array.body()[..]);
    assert_eq!(ce_headers(alone), ce_headers(in_array));
    assert_eq!(
        header(alone, "ce-id"),
        "5b2e8c41-9a0d-4f6e-b3c7-2d1e0f9a8b7c"
    );
    assert_eq!(
        (header(alone, "ceh-rule"), header(in_array, "ceh-rule")),
        ("eventgrid-event", "eventgrid")
    );
    // One event: the app's answer is the reply, as for any notification.
    assert!(matches!(reply, Reply::Dict(_)), "{reply:?}");
}

/// An app that answers every request 500: a failed event.
fn failing_app() -> impl tower::Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    tower::service_fn(|_request: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
        *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        Ok(response)
    })
}

/// A failed single event fails its delivery, as a failed event of an array fails the array:
/// Event Grid (and a relay) retries it (Azure Event Grid, "Delivery and retry").
#[test]
fn a_single_event_grid_event_the_app_fails_fails_its_delivery() {
    let single = fixtures::read("eventgrid/event.json");
    let mut delivery = b"[".to_vec();
    delivery.extend_from_slice(&single);
    delivery.extend_from_slice(b"]");
    let handler = Handler::new(Config::default());
    let fail = |bytes: &[u8]| {
        let event = Event::from_slice(bytes).unwrap();
        runtime()
            .block_on(handler.handle(&event, failing_app()))
            .unwrap_err()
            .kind()
    };
    assert_eq!(fail(&single), ErrorKind::AppFailed);
    assert_eq!(fail(&delivery), ErrorKind::BatchFailed);
}

/// The subscription handshake outside its array is answered by ceh as inside it (Azure Event
/// Grid, "Webhook event delivery"): `{"validationResponse": code}`, and the app is not called.
#[test]
fn a_single_validation_event_is_answered_by_ceh_itself() {
    let (requests, reply) = deliver(&fixtures::read(
        "eventgrid/subscription-validation-event.json",
    ));
    assert!(requests.is_empty(), "the app is not called");
    assert_eq!(
        reply.into_json(),
        serde_json::json!({"validationResponse": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"})
    );
}

/// The Functions Event Grid trigger with a CloudEvents-schema subscription (Microsoft Learn,
/// "Azure Event Grid trigger for Azure Functions", and Event Grid's "CloudEvents v1.0 schema"):
/// the host passes the CloudEvent under `Data.<binding>`. It goes where the Event Grid schema's
/// event of the same type goes, /<type>, with the CloudEvent's bytes as the body and its own
/// attributes as the `ce-*` headers.
#[test]
fn a_functions_event_grid_cloudevent_takes_the_event_grid_route() {
    let payload = fixtures::read("azure-functions/eventgrid-cloudevent.json");
    let (requests, reply) = deliver(&payload);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.uri().path(), "/Microsoft.Storage.BlobCreated");
    assert_eq!(header(request, "ceh-rule"), "azure-functions-eventgrid-ce");
    let full: serde_json::Value = serde_json::from_slice(&payload).unwrap();
    let cloudevent = &full["Data"]["cloudEvent"];
    let body: serde_json::Value = serde_json::from_slice(request.body()).unwrap();
    assert_eq!(&body, cloudevent, "the CloudEvent, whole");
    let text = String::from_utf8(payload.clone()).unwrap();
    let body_text = std::str::from_utf8(request.body()).unwrap();
    assert!(text.contains(body_text), "its bytes as the host sent them");
    assert_eq!(header(request, "content-type"), "application/json");
    for attribute in ["id", "source", "type", "subject", "time"] {
        assert_eq!(
            header(request, &format!("ce-{attribute}")),
            cloudevent[attribute].as_str().unwrap(),
            "ce-{attribute}"
        );
    }
    assert_eq!(
        header(request, "ceh-metadata"),
        serde_json::to_string(&full["Metadata"]).unwrap()
    );
    assert!(matches!(reply, Reply::Dict(_)), "{reply:?}");

    // The Event Grid schema's event of the same type: the same route.
    let (schema, _) = deliver(&fixtures::read("azure-functions/eventgrid.json"));
    assert_eq!(schema[0].uri().path(), request.uri().path());
}

/// A CloudEvent that is a queue message, a Service Bus message or an Event Hubs event stays
/// that trigger's: the trigger rules, recognised by their Metadata, come first.
#[test]
fn a_cloudevent_in_another_trigger_stays_that_trigger_s() {
    let cloudevent =
        r#"{"specversion": "1.0", "id": "q-1", "source": "/orders", "type": "order.placed"}"#;
    let queue = format!(
        r#"{{"Data": {{"msg": {cloudevent}}}, "Metadata": {{"DequeueCount": 1, "PopReceipt": "p", "Id": "q-1"}}}}"#
    );
    let (requests, _) = deliver(queue.as_bytes());
    assert_eq!(requests[0].uri().path(), "/azure.queue");
    let servicebus = format!(
        r#"{{"Data": {{"msg": {cloudevent}}}, "Metadata": {{"DeliveryCount": 1, "LockToken": "t", "MessageId": "m"}}}}"#
    );
    let (requests, _) = deliver(servicebus.as_bytes());
    assert_eq!(requests[0].uri().path(), "/azure.servicebus");
    // Without `type` it is no CloudEvent the rule routes: the fallback takes it.
    let untyped =
        r#"{"Data": {"ce": {"specversion": "1.0", "id": "1", "source": "/s"}}, "Metadata": {}}"#;
    let (requests, _) = deliver(untyped.as_bytes());
    assert_eq!(requests[0].uri().path(), "/");
}

/// The Cosmos DB trigger as hosts send it: `Data.<binding>` a JSON string holding the array of
/// documents (the shape issue 33 measured on real host payloads; Microsoft Learn's custom handler
/// page shows the array). Each document is a request of its own on /azure.cosmosdb, in order,
/// as the array's are: the document's JSON as the body, its `id` the record's.
#[test]
fn a_cosmos_db_trigger_s_documents_as_a_string_are_sent_as_an_array_s_are() {
    let wire = fixtures::read("azure-functions/cosmosdb-wire.json");
    let full: serde_json::Value = serde_json::from_slice(&wire).unwrap();
    let text = full["Data"]["items"].as_str().unwrap();
    let documents: Vec<serde_json::Value> = serde_json::from_str(text).unwrap();
    // The same documents as an array, the shape the rule for the documented form reads.
    let mut array = full.clone();
    array["Data"]["items"] = serde_json::Value::from(documents.clone());
    let array = serde_json::to_vec(&array).unwrap();

    let (from_text, reply) = deliver(&wire);
    let (from_array, array_reply) = deliver(&array);
    assert_eq!((from_text.len(), from_array.len()), (2, 2));
    for ((text, array), document) in from_text.iter().zip(&from_array).zip(&documents) {
        assert_eq!(text.uri().path(), "/azure.cosmosdb");
        assert_eq!(header(text, "ceh-rule"), "azure-functions-cosmosdb");
        assert_eq!(header(array, "ceh-rule"), "azure-functions-cosmosdb");
        let body: serde_json::Value = serde_json::from_slice(text.body()).unwrap();
        assert_eq!(&body, document, "the document itself, not the string");
        assert_eq!(text.body(), array.body(), "the same bytes either way");
        assert_eq!(
            header(text, "ceh-record-id"),
            document["id"].as_str().unwrap()
        );
        assert_eq!(ce_headers(text), ce_headers(array));
        assert_eq!(header(text, "ceh-metadata"), header(array, "ceh-metadata"));
    }
    assert_eq!(
        format!("{reply:?}"),
        format!("{array_reply:?}"),
        "the same reply"
    );

    // A string that holds no JSON array of documents is no Cosmos DB batch.
    for data in [
        r#""[not json _etag: _ts:""#,
        r#""plain text""#,
        r#""{\"_etag\": 1, \"_ts\": 2}""#,
    ] {
        let other = format!(r#"{{"Data": {{"items": {data}}}, "Metadata": {{}}}}"#);
        let (requests, _) = deliver(other.as_bytes());
        assert_eq!(requests[0].uri().path(), "/", "{data}");
    }
}
