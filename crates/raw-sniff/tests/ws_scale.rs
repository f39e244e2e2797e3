//! WebSocket decoding at a busy server's scale: captures of thousands of open WebSocket
//! connections, built here, read by the real binary; every connection up to `--ws-max-conns`
//! is decoded, and the summary says how many were not.

mod common;
mod ws_many;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::BIN;
use test_support::run;

/// What `raw-sniff -r FILE --ws-only ARGS` printed: stdout's lines and stderr.
fn sniff(path: &Path, args: &[&str]) -> (Vec<String>, String) {
    let out = run(Command::new(BIN)
        .args(["-r", path.to_str().unwrap(), "--ws-only"])
        .args(args));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    (stdout.lines().map(str::to_owned).collect(), stderr)
}

/// The numbers `n` of the clients whose frames (`"<prefix><n>"`) were printed, each once.
fn numbers_in(lines: &[String], prefix: &str) -> BTreeSet<u32> {
    let mut seen = BTreeSet::new();
    for line in lines {
        if let Some(at) = line.find(prefix) {
            let digits: String = line[at + prefix.len()..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            assert!(seen.insert(digits.parse().unwrap()), "twice: {line}");
        }
    }
    seen
}

/// Per-connection lines: handshakes with a correct accept, client frames, server frames, and
/// ends at the end of the capture (none was closed). Nothing else may be printed.
fn counts(lines: &[String]) -> (usize, BTreeSet<u32>, BTreeSet<u32>, usize) {
    let handshakes = lines
        .iter()
        .filter(|l| l.contains("ws handshake") && l.ends_with("(correct)"))
        .count();
    let ends = lines
        .iter()
        .filter(|l| l.trim() == "ws connection ended (end of capture)")
        .count();
    let client = numbers_in(lines, "\"hello from ");
    let server = numbers_in(lines, "\"welcome ");
    assert_eq!(
        lines.len(),
        handshakes + client.len() + server.len() + ends,
        "unexpected lines"
    );
    (handshakes, client, server, ends)
}

/// Whether tshark can run; in CI (CI=true) it must.
fn tshark_available() -> bool {
    let ok = Command::new("tshark")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tshark is not installed, and CI=true requires this oracle test to run");
        }
        eprintln!(
            "skipping the comparison with tshark: it is not installed (apt-get install tshark)"
        );
    }
    ok
}

/// The clients whose masked text frame, and whose server's unmasked one, tshark's WebSocket
/// dissector finds in the capture.
fn tsharks_frames(path: &Path) -> (BTreeSet<u32>, BTreeSet<u32>) {
    let out = run(Command::new("tshark").args([
        "-r",
        path.to_str().unwrap(),
        "-Y",
        "websocket",
        "-T",
        "fields",
        "-e",
        "websocket.payload.text",
        "-e",
        "websocket.mask",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| format!("\"{l}"))
        .collect();
    let masked = |mask: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| l.ends_with(mask))
            .cloned()
            .collect()
    };
    (
        numbers_in(&masked("\t1"), "\"hello from "),
        numbers_in(&masked("\t0"), "\"welcome "),
    )
}

#[test]
fn past_the_cap_connections_are_counted_and_the_summary_says_how_many() {
    const CONNS: u32 = 4_000;
    let path = ws_many::write_capture(CONNS, "four-thousand.pcap");
    let (lines, stderr) = sniff(&path, &["--ws-max-conns", "1024"]);
    let (handshakes, client, server, ends) = counts(&lines);
    // The first 1024 connections to speak are the ones examined, every one whole.
    let first: BTreeSet<u32> = (0..1024).collect();
    assert_eq!((handshakes, ends), (1024, 1024));
    assert_eq!(client, first);
    assert_eq!(server, first);
    assert!(
        stderr.lines().any(|l| l
            == "raw-sniff: 2976 TCP connections were not examined for WebSocket \
                (1024 were at once)"),
        "{stderr}"
    );

    // The default examines them all, and reports nothing skipped.
    let (lines, stderr) = sniff(&path, &[]);
    let (handshakes, client, server, ends) = counts(&lines);
    let all: BTreeSet<u32> = (0..CONNS).collect();
    assert_eq!((handshakes, ends), (CONNS as usize, CONNS as usize));
    assert_eq!((client, server), (all.clone(), all.clone()));
    assert!(!stderr.contains("not examined"), "{stderr}");
    // tshark finds the same frames in the same capture.
    if tshark_available() {
        assert_eq!(tsharks_frames(&path), (all.clone(), all));
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn every_connection_of_a_server_with_fifty_thousand_open_is_decoded() {
    const CONNS: u32 = 50_000;
    let path = ws_many::write_capture(CONNS, "fifty-thousand.pcap");
    let (lines, stderr) = sniff(&path, &[]);
    let (handshakes, client, server, ends) = counts(&lines);
    let all: BTreeSet<u32> = (0..CONNS).collect();
    assert_eq!((handshakes, ends), (CONNS as usize, CONNS as usize));
    assert_eq!(client, all);
    assert_eq!(server, all);
    assert!(!stderr.contains("not examined"), "{stderr}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn the_cap_must_lie_between_one_and_the_reassemblers_flow_cap() {
    for bad in ["0", "65537", "many"] {
        let out = run(Command::new(BIN).args(["-r", "/nonexistent.pcap", "--ws-max-conns", bad]));
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("expected a number of connections from 1 to 65536"),
            "{bad}: {stderr}"
        );
    }
}
