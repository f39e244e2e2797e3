//! `--flow`: TCP conversations drawn as ladders. Captures are built by hand here, segment by
//! segment, so each thing a learner should see (the handshake, data both ways, a
//! retransmission with the SACK that asked for it, a window change, the FIN exchange, a
//! reset, WebSocket frames) is in a known place, and the whole drawing is compared with the
//! text expected. tshark checks the stream numbering; a live capture on loopback checks that
//! a real conversation is drawn when it ends.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;

use common::{can_capture, Sniffer};
use packets::*;
use test_support::have;

#[path = "flow_packets.rs"]
mod packets;

const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

/// What `raw-sniff -r FILE ARGS` prints on stdout, with a fixed width and locale.
fn flow(file: &Path, args: &[&str], columns: &str, lang: &str) -> String {
    let out = Command::new(BIN)
        .arg("-r")
        .arg(file)
        .args(args)
        .env("COLUMNS", columns)
        .env("LANG", lang)
        .env_remove("LC_ALL")
        .env_remove("LC_CTYPE")
        .output()
        .expect("run raw-sniff");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn echo_with_a_retransmission_and_a_refused_connection() {
    let dir = temp_dir("echo");
    let file = write_pcap(&dir, "echo.pcap", &echo_and_refused());
    let drawn = flow(&file, &["--flow"], "80", "C.UTF-8");
    let _ = std::fs::remove_dir_all(&dir);
    // Stream 1 is drawn first: it ended (the reset) while stream 0 was still open.
    let expected = "\
TCP stream 1: 10.0.0.1:40001 → 10.0.0.2:9 (the client sent the SYN)
      time client                                                         server
  0.000000 │─ SYN seq=0 win=65535 ────────────────────────────────────────────▶│
  0.000500 │◀─────────────────────────────────────────── RST, ACK seq=1 ack=1 ─│
reset by the server
2 segments, 0 bytes client→server, 0 bytes server→client

TCP stream 0: 10.0.0.1:40000 → 10.0.0.2:7 (the client sent the SYN)
      time client                                                         server
  0.000000 │─ SYN seq=0 win=65535 mss=1460 ───────────────────────────────────▶│
  0.010000 │◀──────────────────────── SYN, ACK seq=0 ack=1 win=65535 mss=1460 ─│
  0.020000 │─ ACK seq=1 ack=1 ────────────────────────────────────────────────▶│
  0.030000 │─ PSH, ACK seq=1 ack=1 len=5 ─────────────────────────────────────▶│
  0.031000 │─ PSH, ACK seq=6 ack=1 len=6 ─────────────────────────────────────▶│
  0.040000 │◀────────────────────────────────────── ACK seq=1 ack=1 sack=6-12 ─│
  0.250000 │╌ PSH, ACK seq=1 ack=1 len=5 (retransmission) ╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌▶│
  0.260000 │◀───────────────────────────────────── ACK seq=1 ack=12 win=32768 ─│
  0.270000 │◀─────────────────────────────────── PSH, ACK seq=1 ack=12 len=11 ─│
  0.280000 │─ ACK seq=12 ack=12 ──────────────────────────────────────────────▶│
  0.290000 │─ FIN, ACK seq=12 ack=12 ─────────────────────────────────────────▶│
  0.300000 │◀───────────────────────────────────────── FIN, ACK seq=12 ack=13 ─│
  0.310000 │─ ACK seq=13 ack=13 ──────────────────────────────────────────────▶│
closed: both sides sent FIN and both FINs were acknowledged
13 segments, 16 bytes client→server, 11 bytes server→client, 1 retransmitted
";
    assert_eq!(drawn, expected, "\n{drawn}");
}

#[test]
fn websocket_frames_under_the_arrows_that_completed_them() {
    let dir = temp_dir("ws");
    let file = write_pcap(&dir, "ws.pcap", &websocket());
    let drawn = flow(&file, &["--flow"], "80", "en_US.UTF-8");
    let _ = std::fs::remove_dir_all(&dir);
    let expected = "\
TCP stream 0: 10.0.0.1:40002 → 10.0.0.2:8080 (the client sent the SYN)
      time client                                                         server
  0.000000 │─ SYN seq=0 win=64240 ────────────────────────────────────────────▶│
  0.001000 │◀───────────────────────────────── SYN, ACK seq=0 ack=1 win=65160 ─│
  0.002000 │─ ACK seq=1 ack=1 ────────────────────────────────────────────────▶│
  0.003000 │─ PSH, ACK seq=1 ack=1 len=149 ───────────────────────────────────▶│
  0.004000 │◀───────────────────────────────── PSH, ACK seq=1 ack=150 len=129 ─│
           │                          ws handshake GET /chat (accept correct)  │
  0.005000 │─ PSH, ACK seq=150 ack=130 len=8 ─────────────────────────────────▶│
           │  ws text masked len=2 \"hi\"                                        │
  0.006000 │◀───────────────────────────────── PSH, ACK seq=130 ack=158 len=5 ─│
           │                                              ws text len=3 \"hi!\"  │
  0.007000 │─ RST, ACK seq=158 ack=135 win=0 ─────────────────────────────────▶│
reset by the client
8 segments, 157 bytes client→server, 134 bytes server→client
";
    assert_eq!(drawn, expected, "\n{drawn}");
}

#[test]
fn ascii_when_asked_or_when_the_locale_is_not_utf8_and_as_narrow_as_columns() {
    let dir = temp_dir("ascii");
    let file = write_pcap(&dir, "echo.pcap", &echo_and_refused());
    let asked = flow(
        &file,
        &["--flow", "--flow-ascii", "--flow-stream", "0"],
        "60",
        "C.UTF-8",
    );
    let by_locale = flow(&file, &["--flow", "--flow-stream", "0"], "60", "C");
    let _ = std::fs::remove_dir_all(&dir);
    let expected = "\
TCP stream 0: 10.0.0.1:40000 -> 10.0.0.2:7 (the client sent the SYN)
      time client                                     server
  0.000000 |- SYN seq=0 win=65535 mss=1460 --------------->|
  0.010000 |<---- SYN, ACK seq=0 ack=1 win=65535 mss=1460 -|
  0.020000 |- ACK seq=1 ack=1 ---------------------------->|
  0.030000 |- PSH, ACK seq=1 ack=1 len=5 ----------------->|
  0.031000 |- PSH, ACK seq=6 ack=1 len=6 ----------------->|
  0.040000 |<------------------ ACK seq=1 ack=1 sack=6-12 -|
  0.250000 |~ PSH, ACK seq=1 ack=1 l... (retransmission) ~>|
  0.260000 |<----------------- ACK seq=1 ack=12 win=32768 -|
  0.270000 |<--------------- PSH, ACK seq=1 ack=12 len=11 -|
  0.280000 |- ACK seq=12 ack=12 -------------------------->|
  0.290000 |- FIN, ACK seq=12 ack=12 --------------------->|
  0.300000 |<--------------------- FIN, ACK seq=12 ack=13 -|
  0.310000 |- ACK seq=13 ack=13 -------------------------->|
closed: both sides sent FIN and both FINs were acknowledged
13 segments, 16 bytes client->server, 11 bytes server->client, 1 retransmitted
";
    assert_eq!(asked, expected, "\n{asked}");
    assert_eq!(by_locale, expected, "\n{by_locale}");
}

/// Each stream as tshark numbers it (`tcp.stream`): the ports of its first packet, as
/// `client:port -> server:port` where the first packet is a SYN.
fn tshark_streams(file: &Path) -> Vec<(u64, String)> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(file)
        .args(["-T", "fields", "-E", "separator=/t"])
        .args(["-e", "tcp.stream", "-e", "ip.src", "-e", "tcp.srcport"])
        .args(["-e", "ip.dst", "-e", "tcp.dstport"])
        .output()
        .expect("run tshark");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut first: Vec<(u64, String)> = Vec::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let f: Vec<&str> = line.split('\t').collect();
        let stream: u64 = f[0].parse().unwrap();
        if !first.iter().any(|(n, _)| *n == stream) {
            first.push((stream, format!("{}:{} -> {}:{}", f[1], f[2], f[3], f[4])));
        }
    }
    first
}

#[test]
fn flow_stream_numbers_conversations_as_tshark_does() {
    if !have("tshark") {
        return;
    }
    let dir = temp_dir("streams");
    let file = write_pcap(&dir, "several.pcap", &several());
    let streams = tshark_streams(&file);
    assert_eq!(streams.len(), 4, "{streams:?}");
    for (n, ends) in &streams {
        let drawn = flow(
            &file,
            &["--flow", "--flow-stream", &n.to_string()],
            "80",
            "C",
        );
        let title = drawn.lines().next().unwrap();
        assert_eq!(
            title,
            format!("TCP stream {n}: {ends} (the client sent the SYN)"),
            "\n{drawn}"
        );
        assert_eq!(
            drawn.matches("TCP stream").count(),
            1,
            "only stream {n}:\n{drawn}"
        );
    }
    let none = flow(&file, &["--flow", "--flow-stream", "4"], "80", "C");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        none,
        "no TCP stream 4 in this capture: it has 4 streams (numbered from 0)\n"
    );
}

#[test]
fn flow_stream_alone_is_refused_with_one_line() {
    let out = Command::new(BIN)
        .args(["-r", "/nonexistent.pcap", "--flow-stream", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "raw-sniff: --flow-stream chooses the conversation --flow or --graph draws: add one of them\n"
    );
}

#[test]
fn a_live_conversation_on_loopback_is_drawn_whole() {
    if !can_capture() {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let filter = format!("tcp port {port}");
    let sniffer = Sniffer::start(&[], &["-i", "lo", "--flow", "--flow-ascii", &filter]);
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = conn.read(&mut buf).unwrap();
        conn.write_all(&buf[..n]).unwrap();
        // Read to the client's FIN, then close too.
        while conn.read(&mut buf).unwrap() > 0 {}
    });
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let client_port = client.local_addr().unwrap().port();
    client.write_all(b"ping").unwrap();
    let mut back = [0u8; 4];
    client.read_exact(&mut back).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    client.read_to_end(&mut rest).unwrap();
    drop(client);
    server.join().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, out, err) = sniffer.interrupt();
    assert!(status.success(), "{err}");
    let title = format!(
        "TCP stream 0: 127.0.0.1:{client_port} -> 127.0.0.1:{port} (the client sent the SYN)"
    );
    assert_eq!(out.lines().next(), Some(title.as_str()), "\n{out}");
    let arrows: Vec<&str> = out.lines().filter(|l| l.contains('|')).collect();
    let client_sent = |l: &&str| l.ends_with(">|");
    // The words on an arrow: between the two lines, without the arrow's own characters.
    let words = |l: &str| {
        let (_, arrow) = l.split_once('|').unwrap();
        arrow.trim_matches(|c: char| "|<>- ".contains(c)).to_owned()
    };
    // The handshake, as the first three arrows.
    assert!(words(arrows[0]).contains("SYN seq=0"), "\n{out}");
    assert!(client_sent(&arrows[0]), "\n{out}");
    assert!(
        words(arrows[1]).starts_with("SYN, ACK seq=0 ack=1"),
        "\n{out}"
    );
    assert!(!client_sent(&arrows[1]), "\n{out}");
    assert!(words(arrows[2]).starts_with("ACK seq=1 ack=1"), "\n{out}");
    // The data each way, from relative byte 1.
    assert!(
        arrows
            .iter()
            .any(|l| client_sent(l) && words(l).starts_with("PSH, ACK seq=1 ack=1 len=4")),
        "\n{out}"
    );
    assert!(
        arrows
            .iter()
            .any(|l| !client_sent(l) && words(l).starts_with("PSH, ACK seq=1 ack=5 len=4")),
        "\n{out}"
    );
    // Both FINs, and the end said once.
    assert_eq!(
        arrows.iter().filter(|l| l.contains("FIN")).count(),
        2,
        "\n{out}"
    );
    assert!(
        out.contains("\nclosed: both sides sent FIN and both FINs were acknowledged\n"),
        "\n{out}"
    );
    assert_eq!(out.matches("TCP stream").count(), 1, "\n{out}");
}

#[test]
fn what_is_left_out_is_said_and_narrow_terminals_get_the_narrowest_drawing() {
    // Stream 0 sends 1005 segments; then 256 more connections open while it is open.
    let c = (CLIENT, 40000);
    let s = (SERVER, 7);
    let mut segs = vec![seg(0, c, s, SYN, 0, 0, 1000, b"")];
    for i in 0..1004u32 {
        segs.push(seg(10 + i, c, s, PSH_ACK, 1 + i, 1, 1000, b"x"));
    }
    for port in 0..256u16 {
        segs.push(seg(
            20_000 + u32::from(port),
            (CLIENT, 50000 + port),
            s,
            SYN,
            0,
            0,
            1000,
            b"",
        ));
    }
    let dir = temp_dir("caps");
    let file = write_pcap(&dir, "caps.pcap", &segs);
    let drawn = flow(&file, &["--flow"], "10", "C");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(drawn.matches("TCP stream").count(), 256);
    assert!(
        drawn.contains("\n           5 more segments not drawn: a drawing keeps the first 1000\n")
    );
    assert!(drawn.contains("\n1005 segments, 1004 bytes client->server, 0 bytes server->client\n"));
    assert!(drawn
        .ends_with("\nTCP conversations not drawn: 1 (each began while 256 others were open)\n"));
    // Stream 256 is the one left out; 255 is drawn.
    assert!(drawn.contains("TCP stream 255: "));
    assert!(!drawn.contains("TCP stream 256: "));
    for line in drawn.lines().filter(|l| l.contains('|')) {
        assert_eq!(line.chars().count(), 40, "{line}");
    }
}
