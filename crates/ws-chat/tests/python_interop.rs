//! Interop with Python's `websockets` client, with and without permessage-deflate.
//!
//! Needs `SOCKLAB_PYTHON` pointing at a Python with `websockets` (scripts/test.sh makes one);
//! without it each test prints why and skips, except under `CI=true`, where it fails.

mod common;

use common::{python, Server, WAIT};
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Instant;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/interop.py");

/// Runs one scenario against a fresh server and returns the script's "ok" lines.
fn run(scenario: &str, server_args: &[&str]) -> Option<Vec<String>> {
    let python = python()?;
    let server = Server::start(server_args);
    let mut args = vec![
        SCRIPT.to_owned(),
        format!("ws://{}", server.addr),
        scenario.to_owned(),
    ];
    if server_args.contains(&"--deflate") {
        args.push("--deflate".to_owned());
    }
    let mut child = Command::new(python)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start python");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WAIT * 6 {
            let _ = child.kill();
            panic!("{scenario}: python client did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        status.success(),
        "{scenario} {server_args:?} failed:\n{out}\n{err}"
    );
    Some(out.lines().map(str::to_owned).collect())
}

const ECHO_OK: [&str; 8] = [
    "ok text",
    "ok binary",
    "ok 64-bit length",
    "ok fragmented",
    "ok ping/pong",
    "ok empty",
    "ok close codes echoed",
    "",
];

fn assert_lines(got: Option<Vec<String>>, expected: &[&str]) {
    if let Some(got) = got {
        let expected: Vec<&str> = expected.iter().copied().filter(|l| !l.is_empty()).collect();
        assert_eq!(got, expected);
    }
}

#[test]
fn echo_plain() {
    assert_lines(run("echo", &[]), &ECHO_OK);
}

#[test]
fn echo_deflate() {
    assert_lines(run("echo", &["--deflate"]), &ECHO_OK);
}

#[test]
fn limits_plain() {
    assert_lines(
        run("limits", &["--max-message", "64KiB"]),
        &["ok 1009", "ok 1007", "ok 1007 fragmented", "ok 1002"],
    );
}

#[test]
fn limits_deflate() {
    assert_lines(
        run("limits", &["--max-message", "64KiB", "--deflate"]),
        &["ok 1009", "ok 1007", "ok 1007 fragmented", "ok 1002"],
    );
}

#[test]
fn chat_plain() {
    assert_lines(run("chat", &[]), &["ok chat"]);
}

#[test]
fn chat_deflate() {
    assert_lines(run("chat", &["--deflate"]), &["ok chat"]);
}

#[test]
fn deflate_parameter_negotiation() {
    assert_lines(
        run("negotiation", &["--deflate"]),
        &[
            "ok no_context_takeover",
            "ok server_max_window_bits=10 declined",
            "ok max_window_bits",
        ],
    );
}
