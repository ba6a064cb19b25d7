//! Rule files: the format, and the exact message for each way to get it wrong.

use cloud_events_handler::rule::Route;
use cloud_events_handler::rule::BUILTIN_FILES;
use cloud_events_handler::{rule::ReplyMode, Config, Event, RuleTable};

fn load_error(text: &str) -> String {
    Config::parse("my.toml", text).unwrap_err().to_string()
}

#[test]
fn builtin_rules_compile_with_descriptions() {
    let table = RuleTable::builtin();
    assert!(
        table.rules().len() >= 30,
        "{} built-in rules",
        table.rules().len()
    );
    for rule in table.rules() {
        assert!(
            !rule.description().is_empty(),
            "rule `{}` has no description",
            rule.name()
        );
        assert!(
            !rule.description().contains('\n'),
            "rule `{}`: description is one line",
            rule.name()
        );
        assert!(
            !rule.predicates().is_empty(),
            "rule `{}` matches everything",
            rule.name()
        );
        if let Route::Event { path, .. } = rule.route() {
            assert!(path.as_str().starts_with('/'), "rule `{}`", rule.name());
        }
    }
    assert_eq!(table.fallback().map(|r| r.name()), Some("fallback"));
    assert_eq!(BUILTIN_FILES.len(), 8);
}

#[test]
fn a_full_rule_loads() {
    let config = Config::parse(
        "my.toml",
        r#"
        [[rule]]
        name = "orders"
        description = "orders from the shop"
        path = "/shop/{$['detail-type']}"
        method = "put"
        reply = "body"
        headers = { "x-order" = "{$.detail.id}", "x-static" = "yes" }
        [rule.match]
        "$.source" = "com.shop"
        "$.version" = 0
        "$.replayed" = false
        "$.detail.kind" = { one_of = ["a", "b"] }
        "$.detail.id" = { exists = true }
        "$.detail.test" = { exists = false }
        "$.account" = { prefix = "12" }
        "$.region" = { equals = "eu-west-1" }
        "#,
    )
    .unwrap();
    let rule = config.rules().get("orders").unwrap();
    assert_eq!(rule.method(), Some(&http::Method::PUT));
    assert_eq!(rule.reply(), ReplyMode::Body);
    assert_eq!(rule.predicates().len(), 8);
    assert_eq!(
        rule.predicates()[0].to_string(),
        r#"$.source == "com.shop""#
    );
    assert_eq!(
        rule.predicates()[3].to_string(),
        r#"$.detail.kind in ["a", "b"]"#
    );
    assert_eq!(rule.predicates()[5].to_string(), "$.detail.test absent");
    assert_eq!(
        rule.predicates()[6].to_string(),
        r#"$.account starts with "12""#
    );
    let event = Event::from_slice(
        br#"{"source": "com.shop", "version": 0, "replayed": false, "account": "1234", "region": "eu-west-1",
            "detail-type": "Order Placed", "detail": {"kind": "b", "id": "o-1"}}"#,
    )
    .unwrap();
    let found = config.rules().classify(&event).unwrap();
    assert_eq!(found.rule().name(), "orders");
    let request =
        cloud_events_handler::request::synthesize(&found, &event, config.environment()).unwrap();
    assert_eq!(request.method(), http::Method::PUT);
    assert_eq!(request.uri().path(), "/shop/Order%20Placed");
    assert_eq!(request.headers()["x-order"], "o-1");
    assert_eq!(request.headers()["x-static"], "yes");
}

#[test]
fn builtin_rules_can_be_turned_off() {
    let config = Config::parse(
        "my.toml",
        "builtin_rules = false\n[[rule]]\nname = \"only\"\npath = \"/only\"\n[rule.match]\n\"$.a\" = 1\n",
    )
    .unwrap();
    assert_eq!(config.rules().rules().len(), 1);
}

#[test]
fn load_errors_name_file_line_rule_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "[[rule]\nname = 1",
            "my.toml:1: unclosed array table, expected `]`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\npth = \"/b\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:4: rule `a`: key `rule[0].pth`: unknown key `pth`, expected one of `name`, `description`, `kind`, `path`, `format`, `method`, `reply`, `headers`, `match`, `batch`, `answer`, `cloudevent`, `validate`, `body`, `metadata`, `trace`",
        ),
        (
            "[[rule]]\npath = \"/a\"\n",
            "my.toml:1: rule `#1`: key `rule[0].name` is missing",
        ),
        (
            "\n\n[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.Records[0\" = 1\n",
            "my.toml:7: rule `a`: key `rule[0].match.\"$.Records[0\"`: not a valid JSONPath (syntax error at character 11); write RFC 9535 syntax such as \"$.Records[0].eventSource\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.detail-type\" = \"x\"\n",
            "my.toml:5: rule `a`: key `rule[0].match.\"$.detail-type\"`: not a valid JSONPath (syntax error at character 9; a name with `-` needs brackets, as in $['detail-type']); write RFC 9535 syntax such as \"$.Records[0].eventSource\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/{}\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:3: rule `a`: key `rule[0].path`: an empty placeholder `{}` refers to nothing; write a JSONPath such as `{$.source}`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/{source}\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:3: rule `a`: key `rule[0].path`: placeholder `{source}` is not a valid JSONPath: syntax error at character 1; a query starts with `$`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"aws.s3\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:3: rule `a`: key `rule[0].path`: \"aws.s3\" must start with `/`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a/../b\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:3: rule `a`: key `rule[0].path`: \"/a/../b\" may not contain `.` or `..` segments",
        ),
        (
            "[[rule]]\nname = \"a\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:1: rule `a`: key `rule[0].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"",
        ),
        (
            "[[rule]]\nname = \"a\"\nkind = \"http\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:1: rule `a`: key `rule[0].format` is missing: an http rule names its event shape, e.g. format = \"api-gateway-v2\"",
        ),
        (
            "[[rule]]\nname = \"a\"\nkind = \"htp\"\npath = \"/a\"\n",
            "my.toml:3: rule `a`: key `rule[0].kind`: unknown variant `htp`, expected `event` or `http`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\nreply = \"http\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:4: rule `a`: key `rule[0].reply`: `http` is for `kind = \"http\"` rules; use \"dict\", \"body\" or \"batch\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\nmethod = \"NOT A METHOD\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:4: rule `a`: key `rule[0].method`: \"NOT A METHOD\" is not an HTTP method; write e.g. \"POST\" or \"PUT\"",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\nheaders = { host = \"x\" }\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:4: rule `a`: key `rule[0].headers.\"host\"`: `host` is set by ceh itself and cannot be set by a rule",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.a\" = [1, 2]\n",
            "my.toml:5: rule `a`: key `rule[0].match.\"$.a\"`: a list is ambiguous; write { one_of = […] } to match any of several values",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.a\" = { like = \"x\" }\n",
            "my.toml:5: rule `a`: key `rule[0].match.\"$.a\"`: unknown test `like`; use `equals`, `one_of`, `exists`, `prefix` or `suffix`",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.a\" = { exists = \"yes\" }\n",
            "my.toml:5: rule `a`: key `rule[0].match.\"$.a\"`: `exists` takes true or false",
        ),
        (
            "[[rule]]\nname = \"Bad Name\"\npath = \"/a\"\n",
            "my.toml:2: rule `Bad Name`: key `rule[0].name`: \"Bad Name\" is not a rule name; use 1 to 64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter or digit",
        ),
        (
            "[[rule]]\nname = \"s3\"\npath = \"/mine\"\n[rule.match]\n\"$.a\" = 1\n",
            "my.toml:1: rule `s3`: the name is already used at rules/records.toml:",
        ),
        (
            "[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n\"$.a\" = 1\n[[rule]]\nname = \"a\"\npath = \"/b\"\n[rule.match]\n\"$.a\" = 2\n",
            "my.toml:6: rule `a`: the name is already used at my.toml:1; rule names must be unique",
        ),
        (
            "[[rule]]\nname = \"fallback\"\npath = \"/a\"\n",
            "my.toml:2: rule `fallback`: key `rule[0].name`: the name `fallback` is reserved: set the fallback in a `[fallback]` table",
        ),
        (
            "\ndisable_rules = [\"s3\", \"nope\"]\n",
            "my.toml:2: disable_rules[1]: there is no rule named `nope`; `ceh rules list` shows the names",
        ),
        (
            "[fallback]\nreject = true\npath = \"/x\"\n",
            "my.toml:3: fallback.path: `reject = true` sends no request, so `path` has no use; remove one of them",
        ),
        (
            "[fallback]\npath = \"/{$.source}\"\n",
            "my.toml:2: fallback.path: the fallback matches events of any shape, so its path must be static (no `{…}`)",
        ),
        (
            "rules = []\n",
            "my.toml:1: rules: unknown key `rules`, expected one of `rule`, `builtin_rules`, `disable_rules`, `fallback`, `environment`, `reply`, `http`",
        ),
    ];
    for (text, expected) in cases {
        let got = load_error(text);
        if expected.ends_with(':') {
            // A built-in's line moves as rules are added; the file is what matters.
            assert!(
                got.starts_with(expected) && got.ends_with("; rule names must be unique"),
                "{got}"
            );
        } else {
            assert_eq!(&got, expected, "for:\n{text}");
        }
    }
}

#[test]
fn a_missing_file_is_named() {
    let err = Config::load("/no/such/ceh.toml").unwrap_err().to_string();
    assert!(
        err.starts_with("/no/such/ceh.toml: cannot read the file: "),
        "{err}"
    );
}

#[test]
fn ignore_case_compares_ascii_letters_without_case() {
    let config = Config::parse(
        "my.toml",
        r#"
        [[rule]]
        name = "steps"
        path = "/steps"
        [rule.match]
        "$.Step" = { one_of = ["createSecret", "setSecret"], ignore_case = true }
        [[rule]]
        name = "kind"
        path = "/kind"
        [rule.match]
        "$.kind" = { equals = "Order", ignore_case = true }
        [[rule]]
        name = "exact"
        path = "/exact"
        [rule.match]
        "$.exact" = { equals = "Order", ignore_case = false }
        "#,
    )
    .unwrap();
    let steps = &config.rules().get("steps").unwrap().predicates()[0];
    assert_eq!(
        steps.to_string(),
        r#"$.Step in ["createSecret", "setSecret"] ignoring case"#
    );
    for step in ["createSecret", "CreateSecret", "CREATESECRET", "setsecret"] {
        assert!(steps.holds(&serde_json::json!({ "Step": step })), "{step}");
    }
    // Only ASCII letters fold: `ſ` (which some routers fold to `s`) and the
    // Kelvin sign `K` stay themselves; anything but a string never matches.
    for other in [
        serde_json::json!("ſetSecret"),
        serde_json::json!("create_secret"),
        serde_json::json!("createSecret "),
        serde_json::json!(["createSecret"]),
        serde_json::json!(null),
    ] {
        assert!(
            !steps.holds(&serde_json::json!({ "Step": other })),
            "{other}"
        );
    }
    let kind = &config.rules().get("kind").unwrap().predicates()[0];
    assert!(kind.holds(&serde_json::json!({"kind": "ORDER"})));
    assert!(!kind.holds(&serde_json::json!({"kind": "\u{212a}ind"})));
    let exact = &config.rules().get("exact").unwrap().predicates()[0];
    assert_eq!(exact.to_string(), r#"$.exact == "Order""#);
    assert!(!exact.holds(&serde_json::json!({"exact": "order"})));
}

#[test]
fn ignore_case_goes_only_with_equals_or_one_of_of_strings() {
    let cases: &[(&str, &str)] = &[
        (
            r#""$.a" = { prefix = "x", ignore_case = true }"#,
            "`ignore_case` goes with `equals` or `one_of`",
        ),
        (
            r#""$.a" = { exists = true, ignore_case = true }"#,
            "`ignore_case` goes with `equals` or `one_of`",
        ),
        (
            r#""$.a" = { one_of = ["x", 1], ignore_case = true }"#,
            "`ignore_case` compares strings, and 1 is not one; leave it out for numbers and booleans",
        ),
        (
            r#""$.a" = { equals = "x", ignore_case = "yes" }"#,
            "`ignore_case` takes true or false",
        ),
        (
            r#""$.a" = { ignore_case = true }"#,
            "write exactly one of { equals = … }, { one_of = […] }, { exists = true|false }, { prefix = \"…\" }, { suffix = \"…\" }",
        ),
    ];
    for (predicate, problem) in cases {
        let text = format!("[[rule]]\nname = \"a\"\npath = \"/a\"\n[rule.match]\n{predicate}\n");
        assert_eq!(
            load_error(&text),
            format!("my.toml:5: rule `a`: key `rule[0].match.\"$.a\"`: {problem}"),
            "for {predicate}"
        );
    }
}
