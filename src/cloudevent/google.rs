//! Google's documented mapping of Cloud Functions (1st gen) background
//! events to CloudEvents: the type each legacy event type becomes, the
//! service that names the source, and how the resource splits into the
//! source and the subject (functions-framework-conformance, docs/mapping.md).
//!
//! The same event in either of its forms — `{"context": {eventId, eventType,
//! resource, timestamp}, "data"}` or the flat legacy `{eventId, eventType,
//! resource, timestamp, data}` — maps to the same attributes.

use serde_json::Value;

/// Legacy event type → CloudEvent type.
const TYPES: &[(&str, &str)] = &[
    (
        "google.pubsub.topic.publish",
        "google.cloud.pubsub.topic.v1.messagePublished",
    ),
    (
        "providers/cloud.pubsub/eventTypes/topic.publish",
        "google.cloud.pubsub.topic.v1.messagePublished",
    ),
    (
        "google.storage.object.finalize",
        "google.cloud.storage.object.v1.finalized",
    ),
    (
        "google.storage.object.delete",
        "google.cloud.storage.object.v1.deleted",
    ),
    (
        "google.storage.object.archive",
        "google.cloud.storage.object.v1.archived",
    ),
    (
        "google.storage.object.metadataUpdate",
        "google.cloud.storage.object.v1.metadataUpdated",
    ),
    (
        "providers/cloud.storage/eventTypes/object.change",
        "google.cloud.storage.object.v1.finalized",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.write",
        "google.cloud.firestore.document.v1.written",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.create",
        "google.cloud.firestore.document.v1.created",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.update",
        "google.cloud.firestore.document.v1.updated",
    ),
    (
        "providers/cloud.firestore/eventTypes/document.delete",
        "google.cloud.firestore.document.v1.deleted",
    ),
    (
        "providers/firebase.auth/eventTypes/user.create",
        "google.firebase.auth.user.v1.created",
    ),
    (
        "providers/firebase.auth/eventTypes/user.delete",
        "google.firebase.auth.user.v1.deleted",
    ),
    (
        "providers/google.firebase.analytics/eventTypes/event.log",
        "google.firebase.analytics.log.v1.written",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.create",
        "google.firebase.database.ref.v1.created",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.write",
        "google.firebase.database.ref.v1.written",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.update",
        "google.firebase.database.ref.v1.updated",
    ),
    (
        "providers/google.firebase.database/eventTypes/ref.delete",
        "google.firebase.database.ref.v1.deleted",
    ),
];

const PUBSUB: &str = "pubsub.googleapis.com";
const STORAGE: &str = "storage.googleapis.com";
const FIRESTORE: &str = "firestore.googleapis.com";
const FIREBASE: &str = "firebase.googleapis.com";
const FIREBASE_AUTH: &str = "firebaseauth.googleapis.com";
const FIREBASE_DATABASE: &str = "firebasedatabase.googleapis.com";

/// Legacy event type prefix → the service, for resources that do not name it.
const SERVICES: &[(&str, &str)] = &[
    ("providers/cloud.firestore/", FIRESTORE),
    ("providers/google.firebase.analytics/", FIREBASE),
    ("providers/firebase.auth/", FIREBASE_AUTH),
    ("providers/google.firebase.database/", FIREBASE_DATABASE),
    ("providers/cloud.pubsub/", PUBSUB),
    ("providers/cloud.storage/", STORAGE),
    ("google.pubsub", PUBSUB),
    ("google.storage", STORAGE),
];

/// What Google's mapping gives a background event: every attribute but the
/// `id` and `time`, which are the event's own `eventId` and `timestamp`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Background {
    pub(super) kind: &'static str,
    pub(super) source: String,
    pub(super) subject: Option<String>,
}

/// Maps a background event, in either form. `None` when the event type is
/// not one Google maps or the resource is not of the shape its service
/// documents; the rule's templates and defaults then apply.
pub(super) fn background(event: &Value) -> Option<Background> {
    let context = match event.get("context") {
        Some(context @ Value::Object(_)) => context,
        _ => event,
    };
    let event_type = context.get("eventType")?.as_str()?;
    let kind = TYPES
        .iter()
        .find(|(legacy, _)| *legacy == event_type)
        .map(|(_, kind)| *kind)?;
    let (named_service, resource) = match context.get("resource")? {
        Value::String(resource) => (None, resource.as_str()),
        Value::Object(resource) => (
            resource
                .get("service")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty()),
            resource.get("name")?.as_str()?,
        ),
        _ => return None,
    };
    let service = match named_service {
        Some(service) => service,
        None => SERVICES
            .iter()
            .find(|(prefix, _)| event_type.starts_with(prefix))
            .map(|(_, service)| *service)?,
    };
    let (resource, mut subject) = split(service, resource)?;
    let mut resource = resource.to_owned();
    let data = event.get("data");
    if service == FIREBASE_AUTH {
        if let Some(uid) = data.and_then(|d| d.get("uid")).and_then(Value::as_str) {
            subject = Some(format!("users/{uid}"));
        }
    }
    if service == FIREBASE_DATABASE {
        // The source names the database's location, which the legacy event
        // gives only as its domain: `firebaseio.com` is us-central1.
        let domain = event.get("domain")?.as_str()?;
        let location = match domain {
            "firebaseio.com" => "us-central1",
            other => other.split('.').next().filter(|l| !l.is_empty())?,
        };
        let instance = resource.strip_prefix("projects/_/")?;
        resource = format!("projects/_/locations/{location}/{instance}");
    }
    Some(Background {
        kind,
        source: format!("//{service}/{resource}"),
        subject,
    })
}

/// Splits a resource into the source's resource and the subject, as each
/// service documents; services that name no subject keep the whole resource.
fn split<'r>(service: &str, resource: &'r str) -> Option<(&'r str, Option<String>)> {
    // (the text before the subject, what that text must look like, the subject's first segment)
    let (marker, head_ok): (&str, fn(&str) -> bool) = match service {
        // projects/P/events/E
        FIREBASE => ("/events/", |head| {
            one_segment(head.strip_prefix("projects/"))
        }),
        // projects/_/instances/I/refs/R…
        FIREBASE_DATABASE => ("/refs/", |head| {
            one_segment(head.strip_prefix("projects/_/instances/"))
        }),
        // projects/P/databases/(default)/documents/D…
        FIRESTORE => ("/documents/", |head| {
            let project = head
                .strip_prefix("projects/")
                .and_then(|h| h.strip_suffix("/databases/(default)"));
            one_segment(project)
        }),
        // projects/_/buckets/B/objects/O…
        STORAGE => ("/objects/", |head| {
            let bucket = head
                .strip_prefix("projects/")
                .and_then(|h| h.split_once("/buckets/"))
                .filter(|(project, _)| project.chars().count() == 1 && *project != "/");
            one_segment(bucket.map(|(_, bucket)| bucket))
        }),
        _ => return Some((resource, None)),
    };
    let cut = resource.find(marker)?;
    let (head, subject) = (&resource[..cut], &resource[cut + 1..]);
    let one_event = service != FIREBASE || !subject["events/".len()..].contains('/');
    (head_ok(head) && subject.len() > marker.len() - 1 && one_event)
        .then(|| (head, Some(subject.to_owned())))
}

/// A single non-empty path segment.
fn one_segment(text: Option<&str>) -> bool {
    text.is_some_and(|t| !t.is_empty() && !t.contains('/'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_service_splits_its_resource_as_google_documents() {
        let mapped = |event: Value| background(&event);
        let storage = mapped(
            json!({"context": {"eventType": "google.storage.object.finalize",
            "resource": {"service": "storage.googleapis.com", "name": "projects/_/buckets/b/objects/f/x.txt"}}}),
        );
        assert_eq!(
            storage,
            Some(Background {
                kind: "google.cloud.storage.object.v1.finalized",
                source: "//storage.googleapis.com/projects/_/buckets/b".into(),
                subject: Some("objects/f/x.txt".into()),
            })
        );
        let firestore = mapped(
            json!({"eventType": "providers/cloud.firestore/eventTypes/document.write",
            "resource": "projects/p/databases/(default)/documents/c/d"}),
        )
        .map(|m| (m.source, m.subject));
        assert_eq!(
            firestore,
            Some((
                "//firestore.googleapis.com/projects/p/databases/(default)".into(),
                Some("documents/c/d".into())
            ))
        );
        let database = mapped(json!({"eventType": "providers/google.firebase.database/eventTypes/ref.write",
            "domain": "europe-west1.firebasedatabase.app", "resource": "projects/_/instances/i/refs/a/b"}))
        .map(|m| (m.source, m.subject));
        assert_eq!(
            database,
            Some((
                "//firebasedatabase.googleapis.com/projects/_/locations/europe-west1/instances/i"
                    .into(),
                Some("refs/a/b".into())
            ))
        );
        let pubsub = mapped(
            json!({"eventType": "providers/cloud.pubsub/eventTypes/topic.publish",
            "resource": "projects/p/topics/t"}),
        )
        .map(|m| (m.source, m.subject));
        assert_eq!(
            pubsub,
            Some(("//pubsub.googleapis.com/projects/p/topics/t".into(), None))
        );
    }

    #[test]
    fn odd_shapes_are_left_to_the_rule_not_mapped_wrongly() {
        for event in [
            json!({"eventType": "google.storage.object.finalize", "resource": "projects/_/buckets/b"}),
            json!({"eventType": "providers/cloud.firestore/eventTypes/document.write", "resource": "projects/p/documents/c"}),
            json!({"eventType": "providers/google.firebase.database/eventTypes/ref.write", "resource": "projects/_/instances/i/refs/a"}),
            json!({"eventType": "unknown.type", "resource": "projects/p"}),
            json!({"eventType": 7, "resource": "projects/p"}),
            json!({"context": {"eventType": "google.pubsub.topic.publish", "resource": 1}}),
            json!([]),
        ] {
            assert_eq!(background(&event), None, "{event}");
        }
    }
}
