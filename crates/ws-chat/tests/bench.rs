//! `ws-chat bench` against the real server: the report line and the failure exit status.

mod common;

use common::Server;
use std::process::Command;

fn bench(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ws-chat"))
        .arg("bench")
        .args(args)
        .output()
        .expect("run bench");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_verifies_echoes_and_reports() {
    let server = Server::start(&[]);
    let url = format!("ws://{}/echo", server.addr);
    for size in ["64", "70000"] {
        let (ok, stdout, stderr) = bench(&[
            &url,
            "--connections",
            "3",
            "--size",
            size,
            "--duration",
            "300ms",
        ]);
        assert!(ok, "{stdout}{stderr}");
        let line = stdout.lines().next().unwrap_or_default();
        assert!(
            line.contains(&format!("connections=3 size={size} ")),
            "{line}"
        );
        assert!(line.contains("failed_connections=0"), "{line}");
        let messages: u64 = line
            .split_whitespace()
            .find_map(|f| f.strip_prefix("messages="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        assert!(messages > 0, "{line}");
        assert!(line.contains(&format!("verified={messages} ")), "{line}");
    }
}

#[test]
fn bench_fails_on_a_refused_handshake() {
    let server = Server::start(&[]);
    let (ok, _, stderr) = bench(&[&format!("ws://{}/nope", server.addr), "--duration", "100ms"]);
    assert!(!ok);
    assert!(
        stderr.starts_with("ws-chat: ") && stderr.contains("404"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one-line error: {stderr}");
}
