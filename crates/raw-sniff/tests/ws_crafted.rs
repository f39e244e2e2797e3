//! WebSocket decoding of crafted captures: a conversation built here with `wire`'s emit and
//! `websocket`'s encoder, cut into small segments that are then reordered, sent twice or
//! lost, written with `wire`'s pcap writer and read back by the real binary.

mod common;

use std::net::Ipv4Addr;
use std::process::Command;

use serde_json::Value;
use websocket::{encode_frame, FrameHeader, OpCode};
use wire::pcap::{Timestamp, Writer};
use wire::tcp::Flags;
use wire::LinkType;

use common::BIN;
use test_support::run;

const CLIENT: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 40_000);
const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 9_001);
const CLIENT_ISN: u32 = 1_000;
const SERVER_ISN: u32 = 5_000_000;

/// Hand-made: the opening handshake of RFC 6455 §1.3, with its key and accept value.
const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

fn packet(from_client: bool, seq: u32, ack: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = if from_client {
        (CLIENT, SERVER)
    } else {
        (SERVER, CLIENT)
    };
    test_support::frames::ethernet_ipv4_tcp(src, dst, seq, ack, flags, payload)
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Sent {
    client: bool,
    opcode: u8,
    fin: bool,
    payload: Vec<u8>,
}

/// Frames of the conversation, and each direction's stream after the handshake.
fn conversation() -> (Vec<Sent>, Vec<u8>, Vec<u8>) {
    let long: Vec<u8> = (0..300u32).map(|i| b'a' + (i % 26) as u8).collect();
    let frames = vec![
        Sent {
            client: true,
            opcode: 1,
            fin: true,
            payload: b"Hello".to_vec(),
        },
        Sent {
            client: false,
            opcode: 1,
            fin: true,
            payload: b"Hello back".to_vec(),
        },
        Sent {
            client: true,
            opcode: 2,
            fin: true,
            payload: vec![0, 1, 2, 3, 254, 255],
        },
        Sent {
            client: true,
            opcode: 1,
            fin: true,
            payload: long.clone(),
        },
        Sent {
            client: false,
            opcode: 1,
            fin: false,
            payload: b"frag".to_vec(),
        },
        Sent {
            client: false,
            opcode: 0,
            fin: true,
            payload: b"mented".to_vec(),
        },
        Sent {
            client: true,
            opcode: 9,
            fin: true,
            payload: b"ping!".to_vec(),
        },
        Sent {
            client: true,
            opcode: 1,
            fin: true,
            payload: b"after the long one".to_vec(),
        },
        Sent {
            client: true,
            opcode: 8,
            fin: true,
            payload: [&1000u16.to_be_bytes()[..], b"bye"].concat(),
        },
        Sent {
            client: false,
            opcode: 8,
            fin: true,
            payload: 1000u16.to_be_bytes().to_vec(),
        },
    ];
    let (mut c, mut s) = (Vec::new(), Vec::new());
    for (i, f) in frames.iter().enumerate() {
        let mut h = FrameHeader::new(OpCode::from(f.opcode), 0);
        h.fin = f.fin;
        if f.client {
            h.mask = Some([0x11, 0x22, 0x33, i as u8]);
            encode_frame(&mut c, &h, &f.payload);
        } else {
            encode_frame(&mut s, &h, &f.payload);
        }
    }
    (frames, c, s)
}

/// What happens to the client's frame segments on their way to the capture.
#[derive(Clone, Copy)]
enum Damage {
    None,
    /// Each pair of segments swapped, and every third segment sent twice.
    ReorderAndRetransmit,
    /// Segment `n` never captured.
    Lose(usize),
}

const SEG: usize = 16;

fn capture(damage: Damage, name: &str) -> std::path::PathBuf {
    let (_, c, s) = conversation();
    capture_streams(&c, &s, damage, name)
}

fn capture_streams(c: &[u8], s: &[u8], damage: Damage, name: &str) -> std::path::PathBuf {
    let mut packets = vec![
        packet(true, CLIENT_ISN, 0, Flags::SYN, &[]),
        packet(
            false,
            SERVER_ISN,
            CLIENT_ISN + 1,
            Flags(Flags::SYN.0 | Flags::ACK.0),
            &[],
        ),
        packet(true, CLIENT_ISN + 1, SERVER_ISN + 1, Flags::ACK, &[]),
        packet(
            true,
            CLIENT_ISN + 1,
            SERVER_ISN + 1,
            Flags(Flags::ACK.0 | Flags::PSH.0),
            REQUEST.as_bytes(),
        ),
        packet(
            false,
            SERVER_ISN + 1,
            CLIENT_ISN + 1 + REQUEST.len() as u32,
            Flags(Flags::ACK.0 | Flags::PSH.0),
            RESPONSE.as_bytes(),
        ),
    ];
    let c_base = CLIENT_ISN + 1 + REQUEST.len() as u32;
    let s_base = SERVER_ISN + 1 + RESPONSE.len() as u32;
    let ack = Flags(Flags::ACK.0 | Flags::PSH.0);
    let mut client: Vec<Vec<u8>> = c
        .chunks(SEG)
        .enumerate()
        .map(|(i, chunk)| packet(true, c_base + (i * SEG) as u32, s_base, ack, chunk))
        .collect();
    match damage {
        Damage::None => {}
        Damage::ReorderAndRetransmit => {
            for pair in client.chunks_mut(2) {
                pair.reverse();
            }
            let mut again = Vec::new();
            for (i, p) in client.into_iter().enumerate() {
                if i % 3 == 0 {
                    again.push(p.clone());
                }
                again.push(p);
            }
            client = again;
        }
        Damage::Lose(n) => {
            client.remove(n);
        }
    }
    packets.extend(client);
    packets.push(packet(false, s_base, c_base + c.len() as u32, ack, s));
    let c_end = c_base + c.len() as u32;
    let s_end = s_base + s.len() as u32;
    let fin = Flags(Flags::FIN.0 | Flags::ACK.0);
    packets.push(packet(false, s_end, c_end, fin, &[]));
    packets.push(packet(true, c_end, s_end + 1, fin, &[]));
    packets.push(packet(false, s_end + 1, c_end + 1, Flags::ACK, &[]));

    let dir = std::env::temp_dir().join(format!("raw-sniff-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let file = std::fs::File::create(&path).unwrap();
    let mut w = Writer::new(file, LinkType::Ethernet, 65_535, false).unwrap();
    for (i, p) in packets.iter().enumerate() {
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: i as u32 * 1000,
        };
        w.write_packet(ts, p, p.len() as u32).unwrap();
    }
    w.flush().unwrap();
    path
}

fn sniff_json(path: &std::path::Path) -> Vec<Value> {
    let out = run(Command::new(BIN).args([
        "-r",
        path.to_str().unwrap(),
        "--ws-only",
        "--ws-full",
        "--json",
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn frames_of(lines: &[Value]) -> Vec<Sent> {
    lines
        .iter()
        .filter_map(|l| l.get("websocket"))
        .map(|w| Sent {
            client: w["ws.direction"] == "client→server",
            opcode: w["websocket.opcode"].as_u64().unwrap() as u8,
            fin: w["websocket.fin"].as_bool().unwrap(),
            payload: (0..w["ws.payload"].as_str().unwrap().len() / 2)
                .map(|i| {
                    u8::from_str_radix(&w["ws.payload"].as_str().unwrap()[2 * i..2 * i + 2], 16)
                        .unwrap()
                })
                .collect(),
        })
        .collect()
}

fn notes(lines: &[Value]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.get("websocket_note"))
        .map(|n| n["ws.note"].as_str().unwrap().to_owned())
        .collect()
}

/// Frames of one direction, in order.
fn side(frames: &[Sent], client: bool) -> Vec<Sent> {
    frames
        .iter()
        .filter(|f| f.client == client)
        .cloned()
        .collect()
}

#[test]
fn an_intact_capture_gives_every_frame_sent() {
    let lines = sniff_json(&capture(Damage::None, "intact.pcap"));
    let (sent, _, _) = conversation();
    let got = frames_of(&lines);
    assert_eq!(side(&got, true), side(&sent, true));
    assert_eq!(side(&got, false), side(&sent, false));
    let hs = lines
        .iter()
        .find_map(|l| l.get("websocket_handshake"))
        .expect("handshake");
    assert_eq!(hs["websocket.accept.correct"], true);
    assert!(
        notes(&lines).iter().all(|n| !n.contains("gap")),
        "{lines:?}"
    );
    // Every frame follows the rules: nothing is flagged.
    assert!(lines
        .iter()
        .filter_map(|l| l.get("websocket"))
        .all(|w| w.get("ws.violations").is_none()));
}

#[test]
fn reordered_and_retransmitted_segments_change_nothing() {
    let lines = sniff_json(&capture(Damage::ReorderAndRetransmit, "reordered.pcap"));
    let (sent, _, _) = conversation();
    let got = frames_of(&lines);
    assert_eq!(side(&got, true), side(&sent, true));
    assert!(
        notes(&lines).iter().all(|n| !n.contains("gap")),
        "{lines:?}"
    );
}

#[test]
fn a_segment_lost_inside_a_payload_keeps_framing() {
    // Stream offsets count from the request's first byte. After the request, the client's
    // frames are: "Hello" (11 bytes), binary (12), then the 300-byte text frame with
    // its 8-byte header from byte 23 to 331. Segment 5 (bytes 80..96) is inside its payload.
    let lines = sniff_json(&capture(Damage::Lose(5), "lost-inside.pcap"));
    let (sent, _, _) = conversation();
    let got = side(&frames_of(&lines), true);
    let sent = side(&sent, true);
    assert_eq!(got.len(), sent.len(), "{lines:?}");
    let notes = notes(&lines);
    assert!(
        notes.iter().any(|n| n.contains(&format!(
            "gap: 16 bytes lost at stream offset {}",
            REQUEST.len() + 80
        )) && n.contains("framing kept")),
        "{notes:?}"
    );
    for (i, (g, s)) in got.iter().zip(&sent).enumerate() {
        if i == 2 {
            assert_eq!(g.payload.len(), s.payload.len());
            assert_eq!(&g.payload[..49], &s.payload[..49]);
            assert_eq!(&g.payload[49..65], &[0u8; 16][..]);
            assert_eq!(&g.payload[65..], &s.payload[65..]);
        } else {
            assert_eq!(g, s);
        }
    }
    let damaged = lines
        .iter()
        .filter_map(|l| l.get("websocket"))
        .find(|w| w.get("ws.lost_bytes").is_some())
        .expect("the damaged frame says so");
    assert_eq!(damaged["ws.lost_bytes"], 16);
}

#[test]
fn a_segment_lost_across_frame_boundaries_is_reported_and_decoding_resumes() {
    // Segment 21 (bytes 336..352) holds the end of the ping and the start of the next text
    // frame: framing is lost there, and found again at the close frame after it.
    let lines = sniff_json(&capture(Damage::Lose(21), "lost-boundary.pcap"));
    let (sent, _, _) = conversation();
    let got = side(&frames_of(&lines), true);
    let sent = side(&sent, true);
    let notes = notes(&lines);
    assert!(
        notes.iter().any(|n| n.contains(&format!(
            "gap: 16 bytes lost at stream offset {}",
            REQUEST.len() + 336
        )) && n.contains("framing lost")),
        "{notes:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("resynchronised")),
        "{notes:?}"
    );
    assert_eq!(got[..3], sent[..3]);
    assert_eq!(
        got.last(),
        sent.last(),
        "the close frame after the gap decodes"
    );
}

#[test]
fn the_line_output_names_close_codes_and_checks_the_accept_value() {
    let path = capture(Damage::None, "lines.pcap");
    let out = run(Command::new(BIN).args(["-r", path.to_str().unwrap(), "--ws-only"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("accept=s3pPLMBiTxaQ9kYGzzhZRbK+xOo= (correct)"),
        "{text}"
    );
    assert!(
        text.contains("ws client→server: text fin=1 rsv=000 masked key=11223300 len=5 \"Hello\""),
        "{text}"
    );
    assert!(text.contains("code=1000 Normal Closure"), "{text}");
    assert!(text.contains("reason=\"bye\""), "{text}");
    assert!(
        text.lines().all(|l| l.starts_with("  ws ")),
        "--ws-only: {text}"
    );
}

#[test]
fn violations_are_flagged_and_decoding_goes_on() {
    // Hand-made frames, each breaking one rule, then a valid one to show framing survived.
    let key = [1, 2, 3, 4];
    let mut c = Vec::new();
    let mut h = FrameHeader::new(OpCode::Text, 0);
    encode_frame(&mut c, &h, b"unmasked"); // a client frame must be masked
    h.mask = Some(key);
    encode_frame(&mut c, &h, &[0xff, 0xfe]); // not UTF-8
    let mut reserved = FrameHeader::new(OpCode::from(0x3), 0);
    reserved.mask = Some(key);
    encode_frame(&mut c, &reserved, b"??"); // reserved opcode
                                            // "abc" with its length in the 16-bit form, which only lengths over 125 may use.
    c.extend_from_slice(&[0x81, 0xfe, 0x00, 0x03, 0, 0, 0, 0, b'a', b'b', b'c']);
    let mut close = FrameHeader::new(OpCode::Close, 0);
    close.mask = Some(key);
    encode_frame(&mut c, &close, &1005u16.to_be_bytes()); // 1005 is never sent
    let mut ok = FrameHeader::new(OpCode::Text, 0);
    ok.mask = Some(key);
    encode_frame(&mut c, &ok, b"still here");
    let mut s = Vec::new();
    encode_frame(&mut s, &ok, b"masked by the server");

    let lines = sniff_json(&capture_streams(&c, &s, Damage::None, "violations.pcap"));
    let frames: Vec<&Value> = lines.iter().filter_map(|l| l.get("websocket")).collect();
    let violations = |i: usize| -> String {
        frames[i]
            .get("ws.violations")
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(frames.len(), 7, "{lines:?}");
    assert!(
        violations(0).contains("client frame is not masked"),
        "{}",
        violations(0)
    );
    assert!(violations(1).contains("invalid UTF-8"), "{}", violations(1));
    assert!(
        violations(2).contains("reserved opcode 0x3"),
        "{}",
        violations(2)
    );
    assert!(violations(3).contains("shortest form"), "{}", violations(3));
    assert_eq!(frames[3]["ws.payload"], "616263");
    assert!(
        violations(4).contains("close code 1005"),
        "{}",
        violations(4)
    );
    assert_eq!(frames[5]["websocket.payload.text"], "still here");
    assert_eq!(violations(5), "");
    assert!(
        violations(6).contains("server frame is masked"),
        "{}",
        violations(6)
    );
}

#[test]
fn messages_join_fragments_and_leave_control_frames_as_frames() {
    let path = capture(Damage::ReorderAndRetransmit, "messages.pcap");
    let out = run(Command::new(BIN).args([
        "-r",
        path.to_str().unwrap(),
        "--ws-only",
        "--ws-messages",
        "--json",
    ]));
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let messages: Vec<(String, String, u64)> = lines
        .iter()
        .filter_map(|l| l.get("websocket_message"))
        .map(|m| {
            (
                m["ws.direction"].as_str().unwrap().to_owned(),
                m["ws.message.data"].as_str().unwrap().to_owned(),
                m["ws.message.frames"].as_u64().unwrap(),
            )
        })
        .collect();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let (sent, _, _) = conversation();
    let c2s = "client→server".to_owned();
    let s2c = "server→client".to_owned();
    let expected = vec![
        (c2s.clone(), hex(b"Hello"), 1),
        (c2s.clone(), hex(&[0, 1, 2, 3, 254, 255]), 1),
        (c2s.clone(), hex(&sent[3].payload), 1),
        (c2s.clone(), hex(b"after the long one"), 1),
        (s2c.clone(), hex(b"Hello back"), 1),
        (s2c.clone(), hex(b"fragmented"), 2),
    ];
    let mut got = messages.clone();
    got.sort_by_key(|m| m.0 != c2s);
    assert_eq!(got, expected);
    // Control frames still come as frames; data frames do not.
    let frames: Vec<u64> = lines
        .iter()
        .filter_map(|l| l.get("websocket"))
        .map(|w| w["websocket.opcode"].as_u64().unwrap())
        .collect();
    assert_eq!(frames.iter().filter(|&&o| o == 9).count(), 1, "{frames:?}");
    assert_eq!(frames.iter().filter(|&&o| o == 8).count(), 2, "{frames:?}");
    assert!(frames.iter().all(|&o| o >= 8), "{frames:?}");
}

/// The conversation's frames without SYNs or handshake, the client's joined `skip` bytes
/// into its first frame, as a capture started late sees them.
fn late_capture(skip: usize, name: &str) -> std::path::PathBuf {
    let (_, c, s) = conversation();
    let ack = Flags(Flags::ACK.0 | Flags::PSH.0);
    let mut packets: Vec<Vec<u8>> = c[skip..]
        .chunks(SEG)
        .enumerate()
        .map(|(i, chunk)| packet(true, 7_000 + (i * SEG) as u32, 9_000, ack, chunk))
        .collect();
    packets.push(packet(false, 9_000, 7_000, ack, &s));
    let dir = std::env::temp_dir().join(format!("raw-sniff-ws-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let mut w = Writer::new(
        std::fs::File::create(&path).unwrap(),
        LinkType::Ethernet,
        65_535,
        false,
    )
    .unwrap();
    for (i, p) in packets.iter().enumerate() {
        let ts = Timestamp {
            secs: 1_700_000_000,
            nanos: i as u32 * 1000,
        };
        w.write_packet(ts, p, p.len() as u32).unwrap();
    }
    w.flush().unwrap();
    path
}

#[test]
fn ws_port_joins_a_connection_mid_stream_and_says_so() {
    let path = late_capture(3, "late.pcap");
    let (sent, _, _) = conversation();
    // Without --ws-port nothing is decoded: no handshake was captured.
    assert!(sniff_json(&path).is_empty());
    let out = run(Command::new(BIN).args([
        "-r",
        path.to_str().unwrap(),
        "--ws-only",
        "--ws-full",
        "--json",
        "--ws-port",
        "9001",
    ]));
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let notes = notes(&lines);
    assert!(notes[0].contains("no handshake captured"), "{notes:?}");
    assert!(
        notes.iter().any(|n| n
            .contains("client→server: [resynchronised at stream offset 8 after skipping 8 bytes]")),
        "{notes:?}"
    );
    // The first client frame was cut; every later one and every server frame decodes.
    let got = frames_of(&lines);
    assert_eq!(side(&got, true), side(&sent, true)[1..]);
    assert_eq!(side(&got, false), side(&sent, false));
}
