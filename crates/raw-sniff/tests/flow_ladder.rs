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
use test_support::have;

const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

const ACK: u8 = 0x10;
const PSH_ACK: u8 = 0x18;
const SYN: u8 = 0x02;
const SYN_ACK: u8 = 0x12;
const FIN_ACK: u8 = 0x11;
const RST_ACK: u8 = 0x14;

/// One TCP segment of a hand-built capture.
struct Seg {
    /// Microseconds after the capture's first second.
    at_us: u32,
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    win: u16,
    options: Vec<u8>,
    payload: Vec<u8>,
}

/// An IPv4 packet holding the segment (checksums left zero: the drawing reads none).
fn ipv4_tcp(s: &Seg) -> Vec<u8> {
    let mut options = s.options.clone();
    while options.len() % 4 != 0 {
        options.push(1); // NOP
    }
    let tcp_len = 20 + options.len();
    let total = 20 + tcp_len + s.payload.len();
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&s.src.0);
    p.extend_from_slice(&s.dst.0);
    p.extend_from_slice(&s.src.1.to_be_bytes());
    p.extend_from_slice(&s.dst.1.to_be_bytes());
    p.extend_from_slice(&s.seq.to_be_bytes());
    p.extend_from_slice(&s.ack.to_be_bytes());
    p.push(((tcp_len / 4) as u8) << 4);
    p.push(s.flags);
    p.extend_from_slice(&s.win.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(&options);
    p.extend_from_slice(&s.payload);
    p
}

/// A pcap file of raw IPv4 packets (link type 101) with microsecond timestamps.
fn pcap(segs: &[Seg]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    for s in segs {
        let data = ipv4_tcp(s);
        out.extend_from_slice(&(1_000_000 + s.at_us / 1_000_000).to_le_bytes());
        out.extend_from_slice(&(s.at_us % 1_000_000).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
    }
    out
}

const MSS_1460: [u8; 4] = [2, 4, 0x05, 0xb4];

fn sack(left: u32, right: u32) -> Vec<u8> {
    let mut v = vec![1, 1, 5, 10];
    v.extend_from_slice(&left.to_be_bytes());
    v.extend_from_slice(&right.to_be_bytes());
    v
}

/// A segment from `from` to `to` (each an address and port).
#[allow(clippy::too_many_arguments)]
fn seg(
    at_us: u32,
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    flags: u8,
    seq: u32,
    ack: u32,
    win: u16,
    payload: &[u8],
) -> Seg {
    Seg {
        at_us,
        src: from,
        dst: to,
        seq,
        ack,
        flags,
        win,
        options: Vec::new(),
        payload: payload.to_vec(),
    }
}

fn with_options(mut s: Seg, options: &[u8]) -> Seg {
    s.options = options.to_vec();
    s
}

const CLIENT: [u8; 4] = [10, 0, 0, 1];
const SERVER: [u8; 4] = [10, 0, 0, 2];

/// Stream 0, an echo with a lost segment: the handshake; "hello" and " world" from the client,
/// the server acknowledging nothing new but SACKing " world"; "hello" again; the server's
/// window shrinking as it acknowledges everything; the echo back; both FINs. Stream 1, a
/// connection refused, happens in between and ends first.
fn echo_and_refused() -> Vec<Seg> {
    let c = (CLIENT, 40000);
    let s = (SERVER, 7);
    let c2 = (CLIENT, 40001);
    let s2 = (SERVER, 9);
    vec![
        with_options(seg(0, c, s, SYN, 1000, 0, 65535, b""), &MSS_1460),
        with_options(
            seg(10_000, s, c, SYN_ACK, 5000, 1001, 65535, b""),
            &MSS_1460,
        ),
        seg(20_000, c, s, ACK, 1001, 5001, 65535, b""),
        seg(30_000, c, s, PSH_ACK, 1001, 5001, 65535, b"hello"),
        seg(31_000, c, s, PSH_ACK, 1006, 5001, 65535, b" world"),
        with_options(
            seg(40_000, s, c, ACK, 5001, 1001, 65535, b""),
            &sack(1006, 1012),
        ),
        seg(100_000, c2, s2, SYN, 7000, 0, 65535, b""),
        seg(100_500, s2, c2, RST_ACK, 0, 7001, 0, b""),
        seg(250_000, c, s, PSH_ACK, 1001, 5001, 65535, b"hello"),
        seg(260_000, s, c, ACK, 5001, 1012, 32768, b""),
        seg(270_000, s, c, PSH_ACK, 5001, 1012, 32768, b"hello world"),
        seg(280_000, c, s, ACK, 1012, 5012, 65535, b""),
        seg(290_000, c, s, FIN_ACK, 1012, 5012, 65535, b""),
        seg(300_000, s, c, FIN_ACK, 5012, 1013, 32768, b""),
        seg(310_000, c, s, ACK, 1013, 5013, 65535, b""),
    ]
}

/// A WebSocket conversation on port 8080: the Upgrade and its answer (RFC 6455 §1.3's key
/// and accept), a masked text frame "hi" from the client, the server's unmasked "hi!" back,
/// then a reset from the client.
fn websocket() -> Vec<Seg> {
    let c = (CLIENT, 40002);
    let s = (SERVER, 8080);
    let request = b"GET /chat HTTP/1.1\r\nHost: server\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let key = [1u8, 2, 3, 4];
    let mut masked = vec![0x81, 0x82];
    masked.extend_from_slice(&key);
    masked.extend(b"hi".iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    let reply = [0x81, 0x03, b'h', b'i', b'!'];
    let rq = request.len() as u32;
    let rs = response.len() as u32;
    let m = masked.len() as u32;
    vec![
        seg(0, c, s, SYN, 100, 0, 64240, b""),
        seg(1_000, s, c, SYN_ACK, 900, 101, 65160, b""),
        seg(2_000, c, s, ACK, 101, 901, 64240, b""),
        seg(3_000, c, s, PSH_ACK, 101, 901, 64240, request),
        seg(4_000, s, c, PSH_ACK, 901, 101 + rq, 65160, response),
        seg(5_000, c, s, PSH_ACK, 101 + rq, 901 + rs, 64240, &masked),
        seg(6_000, s, c, PSH_ACK, 901 + rs, 101 + rq + m, 65160, &reply),
        seg(7_000, c, s, RST_ACK, 101 + rq + m, 906 + rs, 0, b""),
    ]
}

fn write_pcap(dir: &Path, name: &str, segs: &[Seg]) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pcap(segs)).unwrap();
    path
}

fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-flow-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

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

/// Several conversations interleaved, one of them reusing a finished one's ports.
fn several() -> Vec<Seg> {
    let mut all: Vec<Seg> = echo_and_refused();
    all.extend(websocket().into_iter().map(|mut s| {
        s.at_us += 35_000;
        s
    }));
    // The refused connection's ports again, after its reset: a new stream for tshark too.
    let c2 = (CLIENT, 40001);
    let s2 = (SERVER, 9);
    all.push(seg(400_000, c2, s2, SYN, 9000, 0, 65535, b""));
    all.push(seg(400_100, s2, c2, SYN_ACK, 3000, 9001, 65535, b""));
    all.push(seg(400_200, c2, s2, RST_ACK, 9001, 3001, 0, b""));
    all.sort_by_key(|s| s.at_us);
    all
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
        "raw-sniff: --flow-stream chooses the conversation --flow draws: add --flow\n"
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
