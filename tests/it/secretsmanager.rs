//! Secrets Manager rotation: every spelling of a step reaches one route, with
//! the event's bytes as the body, so the app reads the step as it was sent.
//!
//! The request Secrets Manager sends a rotation function, and the four steps:
//! <https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html>

use cloud_events_handler::{Config, Event, Handler};

use crate::corpus::{recorder, runtime, Received};
use crate::fixtures;

/// What the app receives for `bytes`: the path and the body of each request.
fn received(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let handler = Handler::new(Config::default());
    let event = Event::from_slice(bytes).unwrap();
    let received = Received::default();
    runtime()
        .block_on(handler.handle(&event, recorder(received.clone())))
        .unwrap();
    let requests = received.lock().unwrap();
    requests
        .iter()
        .map(|request| {
            assert_eq!(request.headers()["ceh-rule"], "secretsmanager-rotation");
            (request.uri().path().to_owned(), request.body().to_vec())
        })
        .collect()
}

#[test]
fn every_spelling_of_a_step_reaches_the_one_route_with_the_event_as_sent() {
    for file in [
        "secretsmanager/rotation.json",
        "secretsmanager/rotation-pascal-case.json",
        "secretsmanager/rotation-token.json",
        "secretsmanager/rotation-documented-step.json",
    ] {
        let bytes = fixtures::read(file);
        assert_eq!(
            received(&bytes),
            [("/aws.secretsmanager".to_owned(), bytes.clone())],
            "{file}"
        );
    }
    for step in [
        "createSecret",
        "CreateSecret",
        "createsecret",
        "FINISHSECRET",
        "test_secret",
        "Set_Secret",
    ] {
        let bytes = format!(
            r#"{{"Step": "{step}", "SecretId": "arn:aws:secretsmanager:eu-west-1:444455556666:secret:s-AbCdEf", "ClientRequestToken": "t-1", "RotationToken": "r-1"}}"#
        );
        assert_eq!(
            received(bytes.as_bytes()),
            [("/aws.secretsmanager".to_owned(), bytes.clone().into_bytes())],
            "{step}"
        );
    }
}

#[test]
fn other_steps_and_events_without_the_tokens_are_not_rotations() {
    let handler = Handler::new(Config::default());
    for text in [
        // Not one of the four steps, in any spelling.
        r#"{"Step": "rotateSecret", "SecretId": "s", "ClientRequestToken": "t"}"#,
        r#"{"Step": "create-secret", "SecretId": "s", "ClientRequestToken": "t"}"#,
        r#"{"Step": "createSecret ", "SecretId": "s", "ClientRequestToken": "t"}"#,
        // A step alone, or with a RotationToken but no ClientRequestToken.
        r#"{"Step": "createSecret", "SecretId": "s"}"#,
        r#"{"Step": "createSecret", "SecretId": "s", "RotationToken": "r"}"#,
    ] {
        let event = Event::from_slice(text.as_bytes()).unwrap();
        let plan = handler.explain(&event).unwrap();
        assert_eq!(plan.rule().name(), "fallback", "{text}");
    }
}
