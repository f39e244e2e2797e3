//! Headless Chromium opens the page in two tabs; a line sent from one shows in the other.
//!
//! Needs `chromium` on PATH (Debian's package) and `SOCKLAB_PYTHON` (the DevTools protocol is
//! driven with Python's `websockets`). Without chromium the test prints why and skips, except
//! under CI, where scripts/test.sh installs it and its absence is a failure.

mod common;

use common::{python, Server, WAIT};
use std::process::{Command, Stdio};
use std::time::Instant;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/chromium_chat.py");

fn chromium_on_path() -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join("chromium").is_file()))
        .unwrap_or(false)
}

fn run(server_args: &[&str]) {
    if !chromium_on_path() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromium is not installed, and CI must run every test (scripts/test.sh installs it)"
        );
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    }
    let Some(python) = python() else { return };
    let server = Server::start(server_args);
    let mut args = vec![SCRIPT.to_owned(), format!("http://{}", server.addr)];
    if server_args.contains(&"--deflate") {
        args.push("--deflate".to_owned());
    }
    let mut child = Command::new(python)
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > WAIT * 9 {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{server_args:?}: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
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
