//! TCP segments described by arbitrary bytes, through the WebSocket stream tracker exactly as
//! raw-sniff feeds it after decoding: handshakes, refused upgrades with bodies, frames split
//! anywhere, gaps, retransmissions, resets, on a few connections at once. Nothing may panic,
//! and every event must print.
//!
//! Input: one configuration byte, then records of a 4-byte header and a payload:
//! - byte 0: bits 0–1 the connection, bit 2 set when the server sends, bits 3–4 the kind
//!   (0 data, 1 SYN, 2 FIN, 3 RST), bits 5–6 the sequence number (0 next in order, 1 after a
//!   gap of byte 1, 2 a retransmission starting byte 1 back, 3 next in order);
//! - byte 1: the gap or overlap;
//! - bytes 2–3: payload length, big-endian (cut to what the input has left).
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use raw_sniff::ws::{Tracker, WsConfig, DEFAULT_MAX_FRAME};
use wire::reassembly::{Segment, SeqNum};
use wire::tcp::Flags;

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)), 80);

fn client(conn: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1 + conn)),
        40_000 + u16::from(conn),
    )
}

fuzz_target!(|data: &[u8]| {
    let Some((&config, mut rest)) = data.split_first() else {
        return;
    };
    let mut tracker = Tracker::new(WsConfig {
        // Bit 1: port 80 is decoded as WebSocket from its first byte, handshake or not.
        ports: if config & 2 != 0 {
            vec![80]
        } else {
            Vec::new()
        },
        // Bit 2: a small frame limit, so frames larger than it are cut and skipped.
        max_frame: if config & 4 != 0 {
            256
        } else {
            DEFAULT_MAX_FRAME
        },
        messages: config & 1 != 0,
        ..WsConfig::default()
    });
    // Next sequence number per connection and direction.
    let mut next = [[0u32; 2]; 4];
    for (conn, seqs) in next.iter_mut().enumerate() {
        *seqs = [1000 + conn as u32 * 7919, 5000 + conn as u32 * 104_729];
    }
    let mut events = Vec::new();
    let mut now = Duration::from_secs(1);
    while rest.len() >= 4 {
        let (head, tail) = rest.split_at(4);
        let len = usize::from(u16::from_be_bytes([head[2], head[3]])).min(tail.len());
        let (payload, tail) = tail.split_at(len);
        rest = tail;

        let conn = head[0] & 3;
        let from_server = head[0] & 4 != 0;
        let dir = usize::from(from_server);
        let flags = match (head[0] >> 3) & 3 {
            0 => Flags(Flags::ACK.0 | Flags::PSH.0),
            1 if from_server => Flags(Flags::SYN.0 | Flags::ACK.0),
            1 => Flags::SYN,
            2 => Flags(Flags::FIN.0 | Flags::ACK.0),
            _ => Flags(Flags::RST.0 | Flags::ACK.0),
        };
        let seq = &mut next[usize::from(conn)][dir];
        let at = match (head[0] >> 5) & 3 {
            1 => seq.wrapping_add(u32::from(head[1])),
            2 => seq.wrapping_sub(u32::from(head[1])),
            _ => *seq,
        };
        let consumed = len as u32 + u32::from(flags.0 & (Flags::SYN.0 | Flags::FIN.0) != 0);
        *seq = (*seq).max(at.wrapping_add(consumed));
        let (src, dst) = if from_server {
            (SERVER, client(conn))
        } else {
            (client(conn), SERVER)
        };
        now += Duration::from_millis(1);
        tracker.segment(
            now,
            &Segment {
                src,
                dst,
                seq: SeqNum(at),
                flags,
                payload,
                missing: 0,
            },
            &mut events,
        );
        for e in events.drain(..) {
            let _ = format!("{e:?}");
        }
    }
    tracker.finish(&mut events);
    for e in events.drain(..) {
        let _ = format!("{e:?}");
    }
});
