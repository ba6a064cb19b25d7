//! `ceh rules list` and `ceh rules check`.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use cloud_events_handler::rule::Route;
use cloud_events_handler::{Config, Rule};

use super::explain::Format;
use super::failure::Failure;
use super::input::{print, ConfigArg};

#[derive(Subcommand)]
pub(super) enum RulesCommand {
    /// Print the rules in the order they are tried: user rules, built-ins, then the fallback.
    List(ListArgs),
    /// Load a configuration file and report the first error in it, or a summary.
    Check {
        /// The configuration file to check.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Args)]
pub(super) struct ListArgs {
    #[command(flatten)]
    config: ConfigArg,
    /// Output format: aligned columns, or one JSON array for scripts.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub(super) fn run(command: RulesCommand) -> Result<(), Failure> {
    match command {
        RulesCommand::List(args) => {
            let config = args.config.load()?;
            match args.format {
                Format::Text => print(&table(&config)),
                Format::Json => print(&format!("{:#}\n", listing(&config))),
            }
        }
        RulesCommand::Check { file } => {
            let config = Config::load(&file).map_err(Failure::usage)?;
            let rules = config.rules();
            let own = rules
                .rules()
                .iter()
                .filter(|r| r.origin().file.as_ref() == file.display().to_string())
                .count();
            let fallback = match rules.fallback().and_then(Rule::path) {
                Some(path) => format!("fallback {path}"),
                None => "unmatched events rejected".to_owned(),
            };
            print(&format!(
                "{}: ok, {own} rule(s) of its own, {} in all, {fallback}\n",
                file.display(),
                rules.rules().len()
            ))
        }
    }
}

/// The rule table as JSON, in precedence order: one object a rule, the
/// fallback last (`"position": null`; `"route": null` when it rejects).
fn listing(config: &Config) -> serde_json::Value {
    let rules = config.rules();
    let row = |position: Option<usize>, rule: &Rule| {
        let route = match rule.route() {
            Route::Event { path, .. } => serde_json::json!(path.to_string()),
            Route::Http(format) => serde_json::json!(format!("(pass-through: {format})")),
            _ => serde_json::json!("(another route)"),
        };
        serde_json::json!({
            "position": position,
            "name": rule.name(),
            "description": rule.description(),
            "kind": rule.kind(),
            "reply": rule.reply().to_string(),
            "route": route,
            "defined_at": rule.origin().to_string(),
        })
    };
    let mut rows: Vec<serde_json::Value> = rules
        .rules()
        .iter()
        .enumerate()
        .map(|(i, rule)| row(Some(i + 1), rule))
        .collect();
    rows.push(match rules.fallback() {
        Some(fallback) => row(None, fallback),
        None => serde_json::json!({"position": null, "name": "fallback", "route": null}),
    });
    serde_json::Value::Array(rows)
}

/// The rule table as aligned columns, in precedence order.
fn table(config: &Config) -> String {
    let rules = config.rules();
    let mut rows = vec![[
        "#".to_owned(),
        "NAME".to_owned(),
        "KIND".to_owned(),
        "REPLY".to_owned(),
        "ROUTE".to_owned(),
        "DEFINED AT".to_owned(),
    ]];
    let numbered = rules
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| ((i + 1).to_string(), r));
    let fallback = rules.fallback().map(|r| ("-".to_owned(), r));
    for (number, rule) in numbered.chain(fallback) {
        let route = match rule.route() {
            Route::Event { path, .. } => path.to_string(),
            Route::Http(format) => format!("(pass-through: {format})"),
            _ => "(another route)".to_owned(),
        };
        rows.push([
            number,
            rule.name().to_owned(),
            rule.kind().to_string(),
            rule.reply().to_string(),
            route,
            rule.origin().to_string(),
        ]);
    }
    if rules.fallback().is_none() {
        rows.push([
            "-".into(),
            "fallback".into(),
            "-".into(),
            "-".into(),
            "(reject)".into(),
            String::new(),
        ]);
    }
    let mut widths = [0usize; 6];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
