//! A WebSocket event in the few words that fit under a ladder's arrow. The packet lines have
//! the whole story (`output::ws::line`); here it is what, how long, and the start of it.

use std::fmt::Write as _;

use websocket::{CloseFrame, OpCode};

use crate::ws::WsEvent;

/// Payload bytes quoted in a note; the drawing's width cuts it shorter still.
const QUOTED: usize = 48;

/// The note for `event`, or `None` for events the drawing shows otherwise (the end of the
/// connection is on the arrows already).
pub fn note(event: &WsEvent) -> Option<String> {
    match event {
        WsEvent::Handshake(hs) => {
            let accept = match (&hs.accept, hs.accept_ok) {
                (Some(_), true) => "accept correct",
                (Some(_), false) => "accept WRONG",
                (None, _) => "no accept",
            };
            Some(format!("ws handshake GET {} ({accept})", hs.path))
        }
        WsEvent::Joined { .. } => Some("ws decoding without a handshake (--ws-port)".into()),
        WsEvent::Frame { frame, .. } => {
            let h = &frame.header;
            let mut s = format!("ws {}", h.opcode.name());
            if !h.fin {
                s.push_str(" (not final)");
            }
            if h.mask.is_some() {
                s.push_str(" masked");
            }
            let _ = write!(s, " len={}", h.payload_len);
            match h.opcode {
                OpCode::Close => {
                    if let Some((code, _)) = CloseFrame::split(&frame.payload) {
                        let _ = write!(s, " code={code}");
                    }
                }
                // Compressed payload is not the text it stands for.
                _ if !h.rsv1
                    && !frame.payload.is_empty()
                    && (frame.text || std::str::from_utf8(&frame.payload).is_ok()) =>
                {
                    let _ = write!(s, " {}", quote(&frame.payload));
                }
                _ => {}
            }
            if !frame.violations.is_empty() {
                let _ = write!(s, " [{} rule(s) broken]", frame.violations.len());
            }
            Some(s)
        }
        WsEvent::Message { message, .. } => {
            let mut s = format!(
                "ws message {} len={}",
                if message.text { "text" } else { "binary" },
                message.data.len()
            );
            if message.text {
                let _ = write!(s, " {}", quote(&message.data));
            }
            Some(s)
        }
        WsEvent::Note { .. } => Some(
            crate::output::ws::line(event, false)
                .trim_start()
                .to_owned(),
        ),
        WsEvent::Closed { .. } => None,
    }
}

fn quote(bytes: &[u8]) -> String {
    let cut = bytes.len().min(QUOTED);
    let mut s = format!("{:?}", String::from_utf8_lossy(&bytes[..cut]));
    if cut < bytes.len() {
        s.push('…');
    }
    s
}
