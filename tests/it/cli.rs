//! The `podflow` command line, run as a user would run it.

use std::process::Command;

fn podflow(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_podflow"))
        .args(args)
        .output()
        .expect("the podflow binary runs")
}

#[test]
fn version_prints_the_crate_version() {
    let out = podflow(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("podflow {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn unknown_command_is_a_usage_error() {
    let out = podflow(&["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage: podflow"));
}
