//! What a rule reads of an event is what its pruned view holds: for every key a rule file can
//! set (walked from the rule format's own list of keys, so a new key without a case here fails),
//! a handler that builds only what its rules read plans, sends and replies exactly what a
//! handler reading all of the event's JSON does. The fixtures, each built-in rule's own, are
//! compared the same way in `plan.rs` (`reading_only_what_the_rules_name_…`) and below.
//! Each case reads with its key a part of the event that no other key of the case reads.

use std::collections::BTreeSet;

use bytes::Bytes;
use cloud_events_handler::{Config, Handler, RuleTable, DEFAULT_MAX_EVENT_BYTES};
use serde_json::Value;

use crate::corpus::{described, recorder, runtime, Received};
use crate::fixtures;

/// An event that carries more than any one rule reads, written with spacing and a number no
/// `f64` holds, so that a body or record rebuilt from a parse would differ from its bytes.
const EVENT: &str = r#"{
  "source": "test.reads",
  "detail-type": "Order Placed",
  "when": "2024-05-01T12:00:00Z",
  "detail": {
    "id": "o-17",
    "note": "hello",
    "b64": "aGVsbG8=",
    "deep": {"a": {"b": "x y"}},
    "n": 12345678901234567890123,
    "items": [ {"k": "v1", "g": "a", "n": 1.50, "mid": "m1", "fifo": "f1", "b64": "MQ==",
        "tp": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "ts": "rojo=1"},
      {"k": "v2", "g": "b", "mid": "m2", "fifo": "f2", "b64": "Mg==", "tp": "00-bad",
        "xray": "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"} ,
      {"k": "v3", "g": "a", "mid": "m3", "fifo": "f1", "b64": "Mw=="} ]
  },
  "Metadata": {"m": 1, "itemsArray": [1, 2, 3]},
  "unread": [1, 2, 3]
}"#;

/// A CloudEvent, for `validate`.
const CLOUDEVENT: &str = r#"{"specversion": "1.0", "id": "c-1", "source": "/orders",
  "type": "test.reads", "subject": "s", "data": {"n": 12345678901234567890123, "k": "v"}}"#;

/// A Cloud Functions background event, for `cloudevent.derive`.
const BACKGROUND: &str = r#"{"context": {"eventId": "e-1", "timestamp": "2024-05-01T12:00:00Z",
  "eventType": "google.storage.object.finalize",
  "resource": {"service": "storage.googleapis.com", "name": "projects/_/buckets/b/objects/o",
  "type": "storage#object"}}, "data": {"bucket": "b", "name": "o"}}"#;

/// One rule (it comes first in its table), the keys it sets, and the event it must match.
struct Case {
    keys: &'static [&'static str],
    rule: &'static str,
    event: &'static str,
}

const MATCH: &str = "[rule.match]\n\"$.source\" = \"test.reads\"\n";

fn cases() -> Vec<(Case, String)> {
    let with_match = |rule: &str| format!("{rule}{MATCH}");
    let cases = [
        Case {
            keys: &["name", "path", "match"],
            rule: "name = \"reads-path\"\npath = \"/orders/{$.detail.deep.a.b}\"\n[rule.match]\n\"$.source\" = \"test.reads\"\n\"$.detail.items[?@.k == 'v2'].g\" = \"b\"\n",
            event: EVENT,
        },
        Case {
            keys: &["description", "method", "headers"],
            rule: "name = \"reads-headers\"\ndescription = \"d\"\npath = \"/h\"\nmethod = \"PUT\"\nheaders = { \"x-id\" = \"{$.detail.id}\", \"x-last\" = \"{$.detail.items[-1].k}\" }\n",
            event: EVENT,
        },
        Case {
            keys: &["reply", "body"],
            rule: "name = \"reads-body\"\npath = \"/b\"\nreply = \"body\"\nbody = \"$.detail.note\"\n",
            event: EVENT,
        },
        Case {
            keys: &["body"],
            rule: "name = \"reads-base64\"\npath = \"/b64\"\nbody = { from = \"$.detail.b64\", decode = \"base64\" }\n",
            event: EVENT,
        },
        Case {
            keys: &["metadata"],
            rule: "name = \"reads-metadata\"\npath = \"/m\"\nmetadata = \"$.Metadata\"\n",
            event: EVENT,
        },
        Case {
            keys: &[
                "cloudevent",
                "cloudevent.id",
                "cloudevent.source",
                "cloudevent.type",
                "cloudevent.time",
                "cloudevent.subject",
                "cloudevent.mode",
            ],
            rule: "name = \"reads-cloudevent\"\npath = \"/ce\"\n[rule.cloudevent]\nid = \"{$.detail.id}\"\nsource = \"{$.source}\"\ntype = \"{$['detail-type']}\"\ntime = \"{$.when}\"\nsubject = \"{$.detail.items[1].k}\"\nmode = \"structured\"\n",
            event: EVENT,
        },
        Case {
            keys: &[
                "batch",
                "batch.records",
                "batch.id",
                "batch.group",
                "batch.response",
            ],
            rule: "name = \"reads-batch\"\npath = \"/items/{$.g}\"\nreply = \"batch\"\nheaders = { \"x-k\" = \"{$.k}\" }\n[rule.batch]\nrecords = \"$.detail.items[*]\"\nid = \"$.mid\"\ngroup = \"$.fifo\"\nresponse = \"item-failures\"\n[rule.cloudevent]\nid = \"{$.k}\"\n",
            event: EVENT,
        },
        Case {
            keys: &["batch.ordered", "body"],
            rule: "name = \"reads-ordered\"\npath = \"/ordered\"\nreply = \"batch\"\nbody = { from = \"$.b64\", decode = \"base64\" }\n[rule.batch]\nrecords = \"$.detail.items[*]\"\nordered = true\n",
            event: EVENT,
        },
        Case {
            keys: &["batch.json_text"],
            rule: "name = \"reads-json-text\"\npath = \"/docs/{$.sku}\"\nreply = \"batch\"\n[rule.match]\n\"$.Metadata.sys\" = { exists = true }\n[rule.batch]\nrecords = \"$.Data.*[*]\"\njson_text = \"$.Data.*\"\nid = \"$.id\"\n",
            event: "azure-functions/cosmosdb-wire.json",
        },
        Case {
            keys: &["trace"],
            rule: "name = \"reads-trace\"\npath = \"/t\"\nreply = \"batch\"\n[rule.batch]\nrecords = \"$.detail.items[*]\"\n[[rule.trace]]\ntraceparent = \"$.tp\"\ntracestate = \"$.ts\"\n[[rule.trace]]\nxray = \"$.xray\"\n",
            event: EVENT,
        },
        Case {
            keys: &["answer"],
            rule: "name = \"reads-answer\"\npath = \"/a/{$.detail.note}\"\nreply = \"answer\"\n[rule.answer]\nb = \"{$.detail.deep.a.b}\"\nk = \"{$.detail.items[0].k}\"\n",
            event: EVENT,
        },
        Case {
            keys: &["validate"],
            rule: "name = \"reads-validate\"\npath = \"/v\"\nvalidate = \"cloudevent\"\n[rule.match]\n\"$.type\" = \"test.reads\"\n",
            event: CLOUDEVENT,
        },
        Case {
            keys: &["kind", "format"],
            rule: "name = \"reads-http\"\nkind = \"http\"\nformat = \"api-gateway-v2\"\n[rule.match]\n\"$.version\" = \"2.0\"\n\"$.routeKey\" = { exists = true }\n",
            event: "apigw-v2/minimal.json",
        },
        Case {
            keys: &["cloudevent.derive"],
            rule: "name = \"reads-derive\"\npath = \"/{$.context.eventType}\"\n[rule.match]\n\"$.context.eventId\" = { exists = true }\n[rule.cloudevent]\nderive = \"google-background\"\n",
            event: BACKGROUND,
        },
    ];
    cases
        .into_iter()
        .map(|case| {
            // The case's rule alone: no built-in rule reads what it reads.
            let text = if case.rule.contains("[rule.match]") {
                format!("builtin_rules = false\n[[rule]]\n{}", case.rule)
            } else {
                // The match goes before any sub-table that follows the rule's keys.
                let (keys, tables) = match case.rule.find("\n[") {
                    Some(at) => case.rule.split_at(at + 1),
                    None => (case.rule, ""),
                };
                format!(
                    "builtin_rules = false\n[[rule]]\n{}{tables}",
                    with_match(keys)
                )
            };
            (case, text)
        })
        .collect()
}

/// The keys the rule format accepts in `table` (`""`: the rule itself), as its load error for
/// an unknown key lists them.
fn keys_of(table: &str) -> Vec<String> {
    let text = match table {
        "" => "[[rule]]\nname = \"k\"\nunknown = 1\n".to_owned(),
        table => format!("[[rule]]\nname = \"k\"\npath = \"/k\"\n[rule.{table}]\nunknown = 1\n"),
    };
    let err = Config::parse("keys.toml", &text).unwrap_err().to_string();
    let Some((_, list)) = err.split_once("expected one of ") else {
        panic!("{err}")
    };
    list.split(',')
        .map(|key| {
            let key = key.trim().trim_matches('`');
            match table {
                "" => key.to_owned(),
                table => format!("{table}.{key}"),
            }
        })
        .collect()
}

/// Plans, sends and replies to `bytes` with a handler that builds only what its rules read
/// and with one that reads all of the event's JSON, asserting they agree; the rule's name.
fn pruned_and_whole_agree(config: &str, bytes: Bytes, what: &str) -> String {
    let pruning = Handler::new(Config::parse("reads.toml", config).unwrap());
    // Another table: the views built for the first are not this one's, so it reads all of it.
    let whole = Handler::new(Config::parse("reads.toml", config).unwrap());
    let event = pruning
        .read_event(bytes, DEFAULT_MAX_EVENT_BYTES)
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    let name = match (pruning.explain(&event), whole.explain(&event)) {
        (Ok(pruned), Ok(full)) => {
            assert_eq!(pruned.rule().name(), full.rule().name(), "{what}");
            let a: Vec<String> = pruned.requests().iter().map(described).collect();
            let b: Vec<String> = full.requests().iter().map(described).collect();
            assert_eq!(a, b, "{what}");
            assert_eq!(pruned.answer(), full.answer(), "{what}");
            assert_eq!(
                pruned.refusal().map(|r| (r.status(), r.body().clone())),
                full.refusal().map(|r| (r.status(), r.body().clone())),
                "{what}"
            );
            pruned.rule().name().to_owned()
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{what}");
            return String::new();
        }
        (a, b) => panic!("{what}: {:?} against {:?}", a.err(), b.err()),
    };
    let runtime = runtime();
    let mut replies = Vec::new();
    for handler in [&pruning, &whole] {
        let received = Received::default();
        let reply = runtime.block_on(handler.handle(&event, recorder(received.clone())));
        let mut sent: Vec<String> = received.lock().unwrap().iter().map(described).collect();
        // A batch's groups may reach the app in any order.
        sent.sort();
        let reply = reply
            .map(|reply| reply.into_json())
            .map_err(|e| e.to_string());
        replies.push((sent, reply));
    }
    assert_eq!(replies[0], replies[1], "{what}");
    name
}

#[test]
fn every_rule_key_is_read_alike_from_the_pruned_view_and_from_all_of_the_json() {
    let mut keys = keys_of("");
    keys.extend(keys_of("cloudevent"));
    keys.extend(keys_of("batch"));
    assert!(keys.len() >= 25, "{keys:?}");
    let cases = cases();
    let covered: BTreeSet<&str> = cases
        .iter()
        .flat_map(|(case, _)| case.keys)
        .copied()
        .collect();
    for key in &keys {
        assert!(
            covered.contains(key.as_str()),
            "key `{key}` has no case here: add one that reads the event with it"
        );
    }
    for (case, text) in &cases {
        let bytes = match case.event.strip_suffix(".json") {
            Some(_) => Bytes::from(fixtures::read(case.event)),
            None => Bytes::from_static(case.event.as_bytes()),
        };
        let name = pruned_and_whole_agree(text, bytes, text);
        let wanted = text.lines().nth(2).and_then(|l| l.split('"').nth(1));
        assert_eq!(Some(name.as_str()), wanted, "{text}");
    }
}

#[test]
fn every_builtin_rule_replies_alike_from_the_pruned_view_and_from_all_of_the_json() {
    let corpus = fixtures::corpus();
    let mut reached = BTreeSet::new();
    for file in corpus.all() {
        let mut bytes = corpus.read(&file);
        let json: Value = serde_json::from_slice(&bytes).unwrap();
        if json.get("ResponseURL").is_some() {
            // A custom resource's result goes to its ResponseURL: never off this machine.
            let mut json = json;
            json["ResponseURL"] = "http://127.0.0.1:9/cloudformation".into();
            bytes = serde_json::to_vec_pretty(&json).unwrap();
        }
        reached.insert(pruned_and_whole_agree("", Bytes::from(bytes), &file));
    }
    let table = RuleTable::builtin();
    for rule in table.rules().iter().chain(table.fallback()) {
        assert!(
            reached.contains(rule.name()),
            "no fixture reaches built-in rule `{}`",
            rule.name()
        );
    }
}
