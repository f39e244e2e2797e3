//! A line shows a WebSocket frame by its first bytes, so with `WsConfig::preview` a text
//! frame keeps only those: the lines must be the very lines of a tracker that keeps every
//! payload whole, the rules (UTF-8 above all) still judged on the whole payload, and the
//! bytes kept no more than a line shows.
//!
//! The conversation is made by hand: a handshake, then frames of every kind sent whole in
//! one segment, and some split across segments (which the decoder assembles as before).

use std::net::SocketAddr;
use std::time::Duration;

use raw_sniff::output::ws::{line, SHOWN};
use raw_sniff::ws::{Tracker, WsConfig, WsEvent, DEFAULT_MAX_FRAME};
use websocket::{encode_frame, FrameHeader, OpCode};
use wire::reassembly::{Segment, SeqNum};
use wire::tcp::Flags;

const CLIENT: &str = "10.1.0.1:40000";
const SERVER: &str = "10.1.0.2:8080";

/// Text of `n` bytes with a three-byte character across byte 64 (where a line cuts) and
/// invalid UTF-8 at the end when `broken`: past anything a line shows.
fn text(n: usize, broken: bool) -> Vec<u8> {
    let mut t = "ab✓".repeat(n).into_bytes();
    t.truncate(n);
    if broken {
        if let Some(last) = t.last_mut() {
            *last = 0xff;
        }
    }
    t
}

fn frame(op: OpCode, fin: bool, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mut h = FrameHeader::new(op, payload.len() as u64);
    h.fin = fin;
    h.mask = key;
    let mut out = Vec::new();
    encode_frame(&mut out, &h, payload);
    out
}

/// Each side's stream after the handshake, as the segments it is sent in.
fn conversation(key: Option<[u8; 4]>) -> Vec<Vec<u8>> {
    let mut segs = vec![
        frame(OpCode::Text, true, &text(1000, false), key),
        frame(OpCode::Text, true, &text(1000, true), key),
        frame(OpCode::Text, true, &text(64, false), key),
        frame(OpCode::Text, true, &text(66, false), key),
        frame(OpCode::Text, true, &text(65, true), key),
        frame(OpCode::Binary, true, &[0xc3; 500], key),
        frame(OpCode::Binary, true, &text(500, false), key),
        frame(OpCode::Ping, true, b"are you there", key),
        frame(OpCode::Text, false, &text(300, false), key),
        frame(OpCode::Continuation, true, &text(300, true), key),
        frame(OpCode::Text, true, b"short", key),
    ];
    // Two frames in one segment, and one frame split over three.
    let pair = [segs[0].clone(), segs[2].clone()].concat();
    segs.push(pair);
    let split = frame(OpCode::Text, true, &text(2000, false), key);
    segs.extend([&split[..3], &split[3..700], &split[700..]].map(<[u8]>::to_vec));
    segs
}

fn push(t: &mut Tracker, from: &str, to: &str, seq: &mut u32, payload: &[u8]) -> Vec<WsEvent> {
    let seg = Segment {
        src: from.parse::<SocketAddr>().unwrap(),
        dst: to.parse::<SocketAddr>().unwrap(),
        seq: SeqNum(*seq),
        flags: Flags(Flags::ACK.0 | Flags::PSH.0),
        payload,
        missing: 0,
    };
    *seq = seq.wrapping_add(payload.len() as u32);
    let mut out = Vec::new();
    t.segment(Duration::from_secs(1), &seg, &mut out);
    out
}

fn events(preview: Option<usize>) -> Vec<WsEvent> {
    let mut t = Tracker::new(WsConfig {
        max_frame: DEFAULT_MAX_FRAME,
        preview,
        ..WsConfig::default()
    });
    let (mut c, mut s) = (1u32, 1u32);
    let mut out = push(
        &mut t,
        CLIENT,
        SERVER,
        &mut c,
        b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
    out.extend(push(
        &mut t,
        SERVER,
        CLIENT,
        &mut s,
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
    ));
    for (client, server) in conversation(Some([1, 2, 3, 4]))
        .into_iter()
        .zip(conversation(None))
    {
        out.extend(push(&mut t, CLIENT, SERVER, &mut c, &client));
        out.extend(push(&mut t, SERVER, CLIENT, &mut s, &server));
    }
    t.finish(&mut out);
    out
}

#[test]
fn previewed_frames_print_the_lines_of_whole_ones_and_keep_only_what_is_shown() {
    let whole = events(None);
    let previewed = events(Some(SHOWN));
    let lines = |evs: &[WsEvent]| -> Vec<String> { evs.iter().map(|e| line(e, false)).collect() };
    assert_eq!(lines(&previewed), lines(&whole));

    // The rules were judged on whole payloads: the broken text past byte 64 is flagged.
    let flagged = lines(&previewed)
        .iter()
        .filter(|l| l.contains("invalid UTF-8"))
        .count();
    assert_eq!(flagged, 2 * 5, "{:#?}", lines(&previewed));

    // Text frames that came whole in one segment kept no more than a line shows; binary and
    // control frames, and the frame that came in pieces, are whole as before.
    let mut previewed_text = 0;
    for e in &previewed {
        let WsEvent::Frame { frame, .. } = e else {
            continue;
        };
        let len = frame.header.payload_len;
        assert_eq!(frame.payload.len() as u64 + frame.elided, len);
        if frame.text && len > SHOWN as u64 && len != 2000 {
            assert_eq!(frame.payload.len(), SHOWN);
            previewed_text += 1;
        } else {
            assert_eq!(frame.elided, 0, "{:?}", frame.header);
        }
    }
    assert_eq!(previewed_text, 2 * 7);
}
