//! Load errors point at the line of the key at fault and name it by its TOML
//! path, through the library and through `ceh rules check`, one test per class
//! of error. The rule at fault starts on line 9, below another rule, and the
//! key at fault is written lines below its table's header.

use std::process::{Command, Stdio};

use cloud_events_handler::Config;

/// Lines 1 to 8: a rule that loads, before the rule at fault on line 9.
const FIRST: &str = "builtin_rules = false\n\n[[rule]]\nname = \"first\"\npath = \"/first\"\n[rule.match]\n\"$.source\" = \"one\"\n\n";

/// The rule `orders` from line 9, its name on line 10 and its path on line 11,
/// then `rest` from line 12.
fn orders(rest: &str) -> String {
    format!("{FIRST}[[rule]]\nname = \"orders\"\npath = \"/orders\"\n{rest}")
}

/// `text`, loaded as `ceh.toml`, fails with `expected`, both from
/// [`Config::parse`] and as the one line `ceh rules check` writes (exit 2).
fn fails_with(text: &str, expected: &str) {
    let err = Config::parse("ceh.toml", text).unwrap_err();
    assert_eq!(err.to_string(), expected, "library, for:\n{text}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ceh.toml"), text).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ceh"))
        .args(["rules", "check", "ceh.toml"])
        .env_remove("CEH_CONFIG")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        format!("ceh: {expected}\n"),
        "ceh rules check, for:\n{text}"
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn an_unknown_key_is_named_at_its_line() {
    fails_with(
        &orders("pth = \"/b\"\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].pth`: unknown key `pth`, expected one of `name`, `description`, `kind`, `path`, `format`, `method`, `reply`, `headers`, `match`, `batch`, `answer`, `cloudevent`, `validate`, `body`, `metadata`, `trace`",
    );
}

#[test]
fn a_value_of_the_wrong_type_is_named_at_its_key() {
    fails_with(
        &orders("method = 5\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].method`: invalid type: integer `5`, expected a string",
    );
}

#[test]
fn an_unknown_variant_names_its_key() {
    fails_with(
        &orders("reply = \"dcit\"\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].reply`: unknown variant `dcit`, expected one of `dict`, `body`, `batch`, `cloudformation`, `ignore`, `answer`, `http`",
    );
    fails_with(
        &orders("[rule.cloudevent]\ntype = \"x\"\nmode = \"binery\"\n"),
        "ceh.toml:14: rule `orders`: key `rule[1].cloudevent.mode`: unknown variant `binery`, expected one of `binary`, `structured`, `forward`",
    );
}

#[test]
fn a_missing_key_is_named_at_its_table() {
    fails_with(
        &format!("{FIRST}[[rule]]\ndescription = \"no name\"\npath = \"/orders\"\n"),
        "ceh.toml:9: rule `#2`: key `rule[1].name` is missing",
    );
    fails_with(
        &format!("{FIRST}[[rule]]\nname = \"orders\"\ndescription = \"no path\"\n"),
        "ceh.toml:9: rule `orders`: key `rule[1].path` is missing: an event rule needs a path such as \"/aws.s3\" or \"/{$.source}\"",
    );
}

#[test]
fn a_bad_jsonpath_is_named_at_its_line() {
    fails_with(
        &orders("[rule.match]\n\"$.source\" = \"shop\"\n\"$.Records[0\" = 1\n"),
        "ceh.toml:14: rule `orders`: key `rule[1].match.\"$.Records[0\"`: not a valid JSONPath (syntax error at character 11); write RFC 9535 syntax such as \"$.Records[0].eventSource\"",
    );
    fails_with(
        &orders("reply = \"batch\"\n[rule.batch]\nrecords = \"$.Records[*]\"\nid = \"$[\"\n"),
        "ceh.toml:15: rule `orders`: key `rule[1].batch.id`: not a valid JSONPath (syntax error at character 3)",
    );
}

#[test]
fn a_bad_template_is_named_at_its_line() {
    fails_with(
        &orders("headers = { x-order = \"{$.id\" }\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].headers.\"x-order\"`: the placeholder `{$.id` is never closed with `}`",
    );
    fails_with(
        &format!("{FIRST}[[rule]]\nname = \"orders\"\ndescription = \"templated\"\npath = \"/{{}}\"\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].path`: an empty placeholder `{}` refers to nothing; write a JSONPath such as `{$.source}`",
    );
}

#[test]
fn a_path_with_dot_segments_is_named_at_its_line() {
    fails_with(
        &format!("{FIRST}[[rule]]\nname = \"orders\"\ndescription = \"up\"\npath = \"/a/../b\"\n"),
        "ceh.toml:12: rule `orders`: key `rule[1].path`: \"/a/../b\" may not contain `.` or `..` segments",
    );
}

#[test]
fn reserved_names_are_named_at_their_line() {
    fails_with(
        &orders("[rule.headers]\nx-order = \"{$.id}\"\nhost = \"example.com\"\n"),
        "ceh.toml:14: rule `orders`: key `rule[1].headers.\"host\"`: `host` is set by ceh itself and cannot be set by a rule",
    );
    fails_with(
        &format!("{FIRST}[[rule]]\ndescription = \"mine\"\nname = \"fallback\"\npath = \"/f\"\n"),
        "ceh.toml:11: rule `fallback`: key `rule[1].name`: the name `fallback` is reserved: set the fallback in a `[fallback]` table",
    );
}

#[test]
fn a_key_a_rule_kind_has_no_use_for_is_named_at_its_line() {
    fails_with(
        &format!("{FIRST}[[rule]]\nname = \"orders\"\nkind = \"http\"\nformat = \"alb\"\nbody = \"$.detail\"\n"),
        "ceh.toml:13: rule `orders`: keys `rule[1].body` and `rule[1].metadata` apply to event rules: an http rule passes its request's own body through; remove them",
    );
    fails_with(
        &format!("{FIRST}[[rule]]\nname = \"orders\"\nkind = \"http\"\nformat = \"alb\"\nmetadata = \"$.detail\"\n"),
        "ceh.toml:13: rule `orders`: keys `rule[1].body` and `rule[1].metadata` apply to event rules: an http rule passes its request's own body through; remove them",
    );
}

#[test]
fn settings_are_named_at_their_line() {
    fails_with(
        "[environment]\nhost = \"events.internal\"\n\nSERVER_PORT = \"eighty\"\n",
        "ceh.toml:4: environment.SERVER_PORT: String(\"eighty\") is not a port number (0 to 65535)",
    );
    fails_with(
        "[environment]\nhost = \"x\"\n\n\"wsgi.url_scheme\" = \"ftp\"\n",
        "ceh.toml:4: environment.wsgi.url_scheme: \"ftp\" is not a scheme; use \"http\" or \"https\"",
    );
    fails_with(
        "[environment.rule.s3]\nmethod = \"GET\"\nport = \"x\"\n",
        "ceh.toml:3: environment.rule.s3.port: String(\"x\") is not a port number (0 to 65535)",
    );
    fails_with(
        "[reply]\nmax_records = 5\nretry = true\n",
        "ceh.toml:3: reply.retry: unknown key; use failure_status, always_succeed, report_item_failures, concurrency, max_records or response_url_hosts",
    );
    fails_with(
        "[http]\nbase_path = \"/api\"\nkeep_stage = \"yes\"\n",
        "ceh.toml:3: http.keep_stage: expected true or false, found string",
    );
    fails_with(
        "[fallback]\n\npath = \"/{$.source}\"\n",
        "ceh.toml:3: fallback.path: the fallback matches events of any shape, so its path must be static (no `{…}`)",
    );
    fails_with(
        "[fallback]\nreject = true\npth = \"/x\"\n",
        "ceh.toml:3: fallback.pth: unknown key `pth`, expected `path` or `reject`",
    );
    fails_with(
        "disable_rules = [\n  \"s3\",\n  \"nope\",\n]\n",
        "ceh.toml:3: disable_rules[1]: there is no rule named `nope`; `ceh rules list` shows the names",
    );
}

#[test]
fn top_level_keys_are_named_at_their_line() {
    fails_with(
        "builtin_rules = true\n\nrules = []\n",
        "ceh.toml:3: rules: unknown key `rules`, expected one of `rule`, `builtin_rules`, `disable_rules`, `fallback`, `environment`, `reply`, `http`",
    );
    fails_with(
        "disable_rules = []\nbuiltin_rules = \"no\"\n",
        "ceh.toml:2: builtin_rules: invalid type: string \"no\", expected a boolean",
    );
}
