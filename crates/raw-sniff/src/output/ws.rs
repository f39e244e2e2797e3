//! WebSocket events as text lines and JSON objects. The text line is shared by the line,
//! verbose and explain printers; JSON fields are named as tshark's WebSocket dissector names
//! them (`websocket.fin`, `websocket.payload_length`, …), with the same meanings: for
//! instance `websocket.payload_length` is the 7-bit field (126/127 for the extended forms),
//! and the length itself is in `websocket.payload_length_ext_16`/`_ext_64`.

use std::fmt::Write as _;

use serde_json::{json, Map, Value as Json};
use websocket::{CloseFrame, OpCode};
use wire::reassembly::{CloseReason, Direction};

use super::text::push_u64;
use super::values::hex;
use crate::ws::{GapOutcome, Note, SeenFrame, WsEvent};

/// Payload bytes shown on a line unless `--ws-full`.
pub const SHOWN: usize = 64;

fn dir_text(dir: Direction) -> &'static str {
    match dir {
        Direction::ClientToServer => "client→server",
        Direction::ServerToClient => "server→client",
    }
}

fn key_hex(key: [u8; 4]) -> String {
    hex(&key)
}

/// Text escaped as Rust escapes a string (quotes, control characters), cut to `max` bytes at
/// a character boundary. Only the bytes shown are converted: a preview of a large message
/// costs what it shows.
fn text_shown(payload: &[u8], max: usize) -> String {
    text_shown_of(payload, payload.len(), max)
}

/// [`text_shown`] of a payload `total` bytes long of which `payload` is the start (a frame
/// decoded whole but kept only as far as a line shows it).
fn text_shown_of(payload: &[u8], total: usize, max: usize) -> String {
    let mut out = String::new();
    push_text_shown(&mut out, payload, total, max);
    out
}

/// [`text_shown_of`] appended to `out`.
fn push_text_shown(out: &mut String, payload: &[u8], total: usize, max: usize) {
    let mut cut = payload.len().min(max);
    // Printable ASCII but the quote and the backslash, which `{:?}` writes as it is and no
    // cut can split: one pass (without an early exit, so it runs on whole words) decides.
    let plain = payload[..cut].iter().fold(true, |plain, &b| {
        plain & (0x20..0x7f).contains(&b) & (b != b'"') & (b != b'\\')
    });
    if plain {
        out.push('"');
        out.push_str(std::str::from_utf8(&payload[..cut]).unwrap_or_default());
        out.push('"');
    } else {
        if cut < total {
            // Back up over a character the cut would split, so it is not shown as U+FFFD.
            if let Err(err) = std::str::from_utf8(&payload[..cut]) {
                if err.error_len().is_none() {
                    cut = err.valid_up_to();
                }
            }
        }
        let _ = write!(out, "{:?}", String::from_utf8_lossy(&payload[..cut]));
    }
    if cut < total {
        out.push_str(" … (");
        push_u64(out, (total - cut) as u64);
        out.push_str(" more bytes)");
    }
}

/// Bytes in lower-case hex, two digits each: `values::hex` appended to `out`.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

fn hex_shown(payload: &[u8], max: usize) -> String {
    let cut = payload.len().min(max);
    let mut out = hex(&payload[..cut]);
    if cut < payload.len() {
        let _ = write!(out, " … ({} more bytes)", payload.len() - cut);
    }
    out
}

/// The text line for an event (without newline), indented under the packet lines.
pub fn line(ev: &WsEvent, full: bool) -> String {
    let max = if full { usize::MAX } else { SHOWN };
    match ev {
        WsEvent::Handshake(hs) => {
            let verdict = match &hs.accept {
                Some(_) if hs.accept_ok => "correct".to_owned(),
                Some(_) => format!(
                    "WRONG, the key asks for {}",
                    websocket::handshake::accept_key(&hs.key)
                ),
                None => "missing".to_owned(),
            };
            let mut s = format!(
                "  ws handshake {} → {} GET {} key={} accept={} ({verdict})",
                hs.client,
                hs.server,
                hs.path,
                hs.key,
                hs.accept.as_deref().unwrap_or("-"),
            );
            if let Some(p) = &hs.protocol {
                let _ = write!(s, " protocol={p}");
            }
            if let Some(e) = &hs.extensions {
                let _ = write!(s, " extensions={e:?}");
            }
            s
        }
        WsEvent::Joined { client, server, .. } => format!(
            "  ws {client} → {server}: no handshake captured; decoding as WebSocket (--ws-port) from the first plausible frame"
        ),
        WsEvent::Frame { dir, frame, .. } => frame_line(*dir, frame, max),
        WsEvent::Message { dir, message, .. } => {
            let m = message;
            let mut s = format!(
                "  ws {}: message {} len={}",
                dir_text(*dir),
                if m.text { "text" } else { "binary" },
                m.data.len()
            );
            if let Some(c) = m.compressed_len {
                let _ = write!(s, " (compressed {c}, inflated {})", m.data.len());
            }
            if m.frames > 1 {
                let _ = write!(s, " in {} frames", m.frames);
            }
            if m.text {
                let _ = write!(s, " {}", text_shown(&m.data, max));
            } else if !m.data.is_empty() {
                let _ = write!(s, " {}", hex_shown(&m.data, max));
            }
            s
        }
        WsEvent::Note { dir, note, .. } => match note {
            Note::Gap {
                offset,
                len,
                outcome,
            } => format!(
                "  ws {}: [gap: {len} bytes lost at stream offset {offset}; {}]",
                dir_text(*dir),
                match outcome {
                    GapOutcome::InsidePayload =>
                        "inside one frame's payload, framing kept (lost bytes read as zeros)",
                    GapOutcome::Hunting => "framing lost, looking for the next frame header",
                }
            ),
            Note::Resync { offset, skipped } => format!(
                "  ws {}: [resynchronised at stream offset {offset} after skipping {skipped} bytes]",
                dir_text(*dir)
            ),
            Note::GaveUp { offset, why } => format!(
                "  ws {}: [gave up decoding at stream offset {offset}: {why}]",
                dir_text(*dir)
            ),
        },
        WsEvent::Closed { reason, .. } => format!(
            "  ws connection ended ({})",
            match reason {
                CloseReason::Fin => "both sides sent FIN",
                CloseReason::Reset => "reset",
                CloseReason::IdleTimeout => "idle timeout",
                CloseReason::Evicted => "evicted to make room for a new flow",
                CloseReason::EndOfInput => "end of capture",
            }
        ),
    }
}

fn frame_line(dir: Direction, f: &SeenFrame, max: usize) -> String {
    let mut s = String::new();
    push_frame_line(&mut s, dir, f, max);
    s
}

/// [`line`] appended to `out`: what a line printer calls for each event, into the one
/// buffer it reuses. A frame's line, the one a busy WebSocket connection prints thousands
/// of times a second, is written piece by piece; every other event's is [`line`]'s.
pub fn push_line(out: &mut String, ev: &WsEvent, full: bool) {
    match ev {
        WsEvent::Frame { dir, frame, .. } => {
            push_frame_line(out, *dir, frame, if full { usize::MAX } else { SHOWN })
        }
        other => out.push_str(&line(other, full)),
    }
}

fn push_frame_line(s: &mut String, dir: Direction, f: &SeenFrame, max: usize) {
    let h = &f.header;
    // `  ws {dir}: {opcode} fin={fin} rsv={rsv:03b}`
    s.push_str("  ws ");
    s.push_str(dir_text(dir));
    s.push_str(": ");
    if h.opcode.is_reserved() {
        s.push_str(&opcode_name(h.opcode));
    } else {
        s.push_str(h.opcode.name());
    }
    s.push_str(if h.fin { " fin=1 rsv=" } else { " fin=0 rsv=" });
    for bit in [h.rsv1, h.rsv2, h.rsv3] {
        s.push(if bit { '1' } else { '0' });
    }
    match h.mask {
        Some(key) => {
            s.push_str(" masked key=");
            push_hex(s, &key);
        }
        None => s.push_str(" unmasked"),
    }
    s.push_str(" len=");
    push_u64(s, h.payload_len);
    let partial = (f.payload.len() as u64 + f.elided) < h.payload_len;
    match h.opcode {
        OpCode::Close => match CloseFrame::split(&f.payload) {
            Some((code, reason)) => {
                let meaning = code.info().map(|i| i.meaning).unwrap_or("");
                let _ = write!(s, " code={code}");
                if !meaning.is_empty() {
                    let _ = write!(s, " ({meaning})");
                }
                let _ = write!(
                    s,
                    " reason={}",
                    text_shown(String::from_utf8_lossy(reason).as_bytes(), max)
                );
            }
            None if f.payload.is_empty() => s.push_str(" (no status code)"),
            None => {
                let _ = write!(s, " {}", hex_shown(&f.payload, max));
            }
        },
        _ if f.text => {
            let total = f.payload.len() + f.elided as usize;
            s.push(' ');
            push_text_shown(s, &f.payload, total, max);
        }
        OpCode::Ping | OpCode::Pong if std::str::from_utf8(&f.payload).is_ok() => {
            if !f.payload.is_empty() {
                let _ = write!(s, " {}", text_shown(&f.payload, max));
            }
        }
        _ if h.rsv1 => {
            let _ = write!(s, " compressed {}", hex_shown(&f.payload, max));
        }
        _ => {
            if !f.payload.is_empty() {
                let _ = write!(s, " {}", hex_shown(&f.payload, max));
            }
        }
    }
    if let Some(inflated) = &f.inflated {
        let _ = write!(s, " → inflated {} bytes", inflated.len());
    }
    if partial {
        let _ = write!(s, " [only the first {} bytes kept]", f.payload.len());
    }
    if f.lost > 0 {
        let _ = write!(s, " [{} bytes lost in a capture gap]", f.lost);
    }
    for v in &f.violations {
        let _ = write!(s, " [violation: {v}]");
    }
}

fn opcode_name(op: OpCode) -> String {
    if op.is_reserved() {
        format!("{} {:#x}", op.name(), u8::from(op))
    } else {
        op.name().to_owned()
    }
}

/// The JSON object for an event.
pub fn json(ev: &WsEvent, full: bool) -> Json {
    let max = if full { usize::MAX } else { SHOWN };
    match ev {
        WsEvent::Handshake(hs) => json!({ "websocket_handshake": {
            "ws.flow": hs.flow,
            "ws.client": hs.client.to_string(),
            "ws.server": hs.server.to_string(),
            "http.request.uri": hs.path,
            "websocket.key": hs.key,
            "websocket.accept": hs.accept,
            "websocket.accept.correct": hs.accept_ok,
            "websocket.extensions": hs.extensions,
            "websocket.protocol": hs.protocol,
        }}),
        WsEvent::Frame { flow, dir, frame } => {
            let h = &frame.header;
            let mut m = Map::new();
            m.insert("ws.flow".into(), json!(flow));
            m.insert("ws.direction".into(), json!(dir_text(*dir)));
            m.insert("ws.stream_offset".into(), json!(frame.offset));
            m.insert("ws.header_len".into(), json!(frame.header_len));
            m.insert("websocket.fin".into(), json!(h.fin));
            m.insert("websocket.rsv".into(), json!(h.rsv()));
            if let Some(pmc) = frame.pmc {
                m.insert("websocket.pmc".into(), json!(pmc));
            }
            m.insert("websocket.opcode".into(), json!(u8::from(h.opcode)));
            m.insert("ws.opcode.name".into(), json!(h.opcode.name()));
            m.insert("websocket.mask".into(), json!(h.mask.is_some()));
            if let Some(key) = h.mask {
                m.insert("websocket.masking_key".into(), json!(key_hex(key)));
            }
            m.insert("websocket.payload_length".into(), json!(frame.len_field));
            match frame.len_field {
                126 => {
                    m.insert(
                        "websocket.payload_length_ext_16".into(),
                        json!(h.payload_len),
                    );
                }
                127 => {
                    m.insert(
                        "websocket.payload_length_ext_64".into(),
                        json!(h.payload_len),
                    );
                }
                _ => {}
            }
            let shown = &frame.payload[..frame.payload.len().min(max)];
            if let (Some(inflated), OpCode::Text) = (&frame.inflated, h.opcode) {
                // As tshark does: the text of a compressed message, inflated.
                let cut = &inflated[..inflated.len().min(max)];
                m.insert(
                    "websocket.payload.text".into(),
                    json!(String::from_utf8_lossy(cut)),
                );
            }
            if let Some(inflated) = &frame.inflated {
                m.insert("ws.inflated_length".into(), json!(inflated.len()));
            }
            match h.opcode {
                OpCode::Text if !h.rsv1 => {
                    m.insert(
                        "websocket.payload.text".into(),
                        json!(String::from_utf8_lossy(shown)),
                    );
                }
                OpCode::Close => {
                    if let Some((cc, reason)) = CloseFrame::split(&frame.payload) {
                        let reason = String::from_utf8_lossy(reason);
                        m.insert(
                            "websocket.payload.close.status_code".into(),
                            json!(u16::from(cc)),
                        );
                        m.insert("ws.close.name".into(), json!(cc.name()));
                        if let Some(info) = cc.info() {
                            m.insert("ws.close.meaning".into(), json!(info.meaning));
                        }
                        m.insert("websocket.payload.close.reason".into(), json!(reason));
                    }
                }
                _ => {}
            }
            m.insert("ws.payload".into(), json!(hex(shown)));
            if shown.len() < frame.payload.len() || (frame.payload.len() as u64) < h.payload_len {
                m.insert("ws.payload.shortened".into(), json!(true));
            }
            if frame.lost > 0 {
                m.insert("ws.lost_bytes".into(), json!(frame.lost));
            }
            if !frame.violations.is_empty() {
                m.insert("ws.violations".into(), json!(frame.violations));
            }
            json!({ "websocket": Json::Object(m) })
        }
        WsEvent::Message { flow, dir, message } => {
            let shown = &message.data[..message.data.len().min(max)];
            let mut m = Map::new();
            m.insert("ws.flow".into(), json!(flow));
            m.insert("ws.direction".into(), json!(dir_text(*dir)));
            m.insert("ws.stream_offset".into(), json!(message.offset));
            m.insert(
                "ws.message.type".into(),
                json!(if message.text { "text" } else { "binary" }),
            );
            m.insert("ws.message.length".into(), json!(message.data.len()));
            if let Some(c) = message.compressed_len {
                m.insert("ws.message.compressed_length".into(), json!(c));
            }
            m.insert("ws.message.frames".into(), json!(message.frames));
            if message.text {
                m.insert(
                    "ws.message.text".into(),
                    json!(String::from_utf8_lossy(shown)),
                );
            }
            m.insert("ws.message.data".into(), json!(hex(shown)));
            json!({ "websocket_message": Json::Object(m) })
        }
        other => {
            let (flow, dir) = match other {
                WsEvent::Joined { flow, .. } | WsEvent::Closed { flow, .. } => (*flow, None),
                WsEvent::Note { flow, dir, .. } => (*flow, Some(dir_text(*dir))),
                _ => (0, None),
            };
            json!({ "websocket_note": {
                "ws.flow": flow,
                "ws.direction": dir,
                "ws.note": line(other, full).trim_start(),
            }})
        }
    }
}
