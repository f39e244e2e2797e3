//! `--json` is for programs and carries everything: WebSocket payloads come whole without
//! `--ws-full` (a frame over 64 KiB included), while the terminal line still shortens them.

mod common;
mod json_captures;

use std::process::Command;

use common::BIN;
use json_captures::{write_pcap, ws_conversation, ws_texts, TempDir};
use serde_json::Value;
use test_support::{have, run};

fn stdout_of(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The WebSocket frame objects of `raw-sniff --json`.
fn ws_frames(pcap: &std::path::Path, extra: &[&str]) -> Vec<Value> {
    stdout_of(
        Command::new(BIN)
            .arg("-r")
            .arg(pcap)
            .arg("--json")
            .args(extra),
    )
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).unwrap())
    .filter_map(|v| v.get("websocket").cloned())
    .collect()
}

fn texts(frames: &[Value]) -> Vec<String> {
    frames
        .iter()
        .filter_map(|f| f["websocket.payload.text"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn json_carries_websocket_payloads_whole_without_ws_full() {
    let dir = TempDir::new("json-whole");
    let pcap = dir.path("ws.pcap");
    write_pcap(&pcap, &ws_conversation());
    let (short, long) = ws_texts();

    let frames = ws_frames(&pcap, &[]);
    assert_eq!(texts(&frames), [short.clone(), long.clone()]);
    for f in &frames {
        assert!(f.get("ws.payload.shortened").is_none(), "{f}");
    }
    // The hex payload is whole too: the server's text is 100,000 bytes, 200,000 hex digits.
    let long_frame = frames
        .iter()
        .find(|f| f["websocket.payload_length_ext_64"] == 100_000)
        .expect("the 100,000-byte frame");
    assert_eq!(long_frame["ws.payload"].as_str().unwrap().len(), 200_000);
    // --ws-full changes nothing in JSON.
    assert_eq!(ws_frames(&pcap, &["--ws-full"]), frames);

    // The terminal line is for people and still shortens.
    let lines = stdout_of(Command::new(BIN).arg("-r").arg(&pcap).arg("--ws-only"));
    assert!(lines.contains("(236 more bytes)"), "{lines}");
    assert!(
        lines.contains("[only the first 65536 bytes kept]"),
        "{lines}"
    );

    // And the texts are what tshark finds in the same capture.
    if !have("tshark") {
        return;
    }
    let theirs = stdout_of(
        Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&pcap)
            .args(["-Y", "websocket.payload.text", "-T", "fields"])
            .args(["-e", "websocket.payload.text"]),
    );
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(theirs, [short.as_str(), long.as_str()]);
}
