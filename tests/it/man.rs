//! `ceh man`: the manual pages, generated from the argument definitions.

use crate::cli::{ceh, check, stderr, stdout};

/// The commands `ceh --help` lists, but `help`.
fn commands() -> Vec<String> {
    let help = stdout(&ceh(&["--help"], b""));
    let listed = help.split("Commands:\n").nth(1).unwrap();
    listed
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_manual_page_is_roff_naming_every_command() {
    let output = ceh(&["man"], b"");
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    let page = stdout(&output);
    assert!(
        page.lines().any(|line| line.starts_with(".TH ceh 1 ")),
        "{page}"
    );
    assert!(page.contains("\n.SH SYNOPSIS\n") && page.contains("\n.SH SUBCOMMANDS\n"));
    let commands = commands();
    assert!(commands.len() >= 8, "{commands:?}");
    for command in &commands {
        assert!(
            page.contains(&format!("\nceh\\-{command}(1)\n")),
            "ceh(1) does not name {command}"
        );
        // Each page ceh(1) names is there too.
        let own = stdout(&ceh(&["man", command], b""));
        assert!(own.contains(&format!("\n.TH ceh-{command} 1 ")), "{own}");
    }
    assert!(!page.contains("ceh\\-help(1)"), "{page}");
}

#[test]
fn an_unknown_command_has_no_page() {
    let err = "ceh: no command named rules nope; ceh --help lists them\n";
    check(&["man", "rules", "nope"], b"", 2, "", err);
}
