//! Headless Chromium opens the page in two tabs; a line sent from one shows in the other.
//!
//! Needs `chromium` on PATH (Debian's package) and `SOCKLAB_PYTHON` (the DevTools protocol is
//! driven with Python's `websockets`). Without chromium the test prints why and skips, except
//! under CI, where scripts/test.sh installs it and its absence is a failure.

mod common;

use common::{chromium, python, run_script, Server, WAIT};

fn run(server_args: &[&str]) {
    if !chromium() {
        return;
    }
    let Some(python) = python() else { return };
    let server = Server::start(server_args);
    let mut args = vec![format!("http://{}", server.addr)];
    if server_args.contains(&"--deflate") {
        args.push("--deflate".to_owned());
    }
    let lines = run_script(&python, "chromium_chat.py", &args, WAIT * 9);
    assert_eq!(
        lines,
        [
            "ok both tabs connected",
            "ok message arrived in the second tab"
        ]
    );
}

#[test]
fn two_tabs_chat() {
    run(&[]);
}

#[test]
fn two_tabs_chat_compressed() {
    run(&["--deflate"]);
}
