//! Headless Chromium opens the page in two tabs; a line sent from one shows in the other. And the
//! page's frame inspector lists the frames of its own connection, with and without compression.
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

/// The page's frame inspector: its panel lists the masked frame the page sent and the server's
/// unmasked answer, with every header field; see `tests/py/chromium_inspect.py`.
fn inspect(server_args: &[&str], expected: &[&str]) {
    if !chromium() {
        return;
    }
    let Some(python) = python() else { return };
    let server = Server::start(server_args);
    let mut args = vec![format!("http://{}", server.addr)];
    if server_args.contains(&"--deflate") {
        args.push("--deflate".to_owned());
    }
    let lines = run_script(&python, "chromium_inspect.py", &args, WAIT * 9);
    assert_eq!(lines, expected);
}

#[test]
fn the_panel_shows_the_pages_own_frames() {
    inspect(
        &[],
        &[
            "ok the panel inspects the page's own connection",
            "ok 27-byte line: page frame masked, 27 bytes, 7-bit/7-bit",
            "ok 200-byte line: page frame masked, 200 bytes, 16-bit/16-bit",
            "ok 70000-byte line: page frame masked, 70000 bytes, 64-bit/64-bit",
            "ok close 1000 Normal Closure shown both ways",
        ],
    );
}

#[test]
fn the_panel_shows_compression() {
    inspect(
        &["--deflate"],
        &[
            "ok the panel inspects the page's own connection",
            "ok 27-byte line: page frame masked, RSV1 both ways, 7-bit/7-bit",
            "ok 520-byte line: page frame masked, RSV1 both ways, 7-bit/7-bit, smaller compressed both ways",
            "ok close 1000 Normal Closure shown both ways",
        ],
    );
}
