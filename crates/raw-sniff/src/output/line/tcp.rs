//! The TCP part of a line: ports, flags, relative sequence numbers, window, options, length.

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::tcp::Flags;
use wire::Decoded;

use crate::output::relative_seq::RelativeSeq;
use crate::style::Style;

/// A TCP segment's words, from the ports on.
pub(super) fn segment(
    line: &mut String,
    seq: &mut RelativeSeq,
    s: Style,
    (src, dst): (IpAddr, IpAddr),
    tcp: &wire::tcp::Packet<&[u8]>,
    d: &Decoded<'_>,
) {
    let _ = write!(
        line,
        "{}.{} > {}.{}: Flags [{}]",
        src,
        tcp.src_port(),
        dst,
        tcp.dst_port(),
        s.flags(&tcp_flags(tcp.flags()), tcp.flags())
    );
    let flags = tcp.flags();
    let (seq, ack) = seq.observe(
        (src, tcp.src_port()),
        (dst, tcp.dst_port()),
        flags,
        tcp.seq_number(),
        tcp.ack_number(),
    );
    let len = d.payload.len() as u32;
    if len > 0 {
        let _ = write!(line, ", seq {}:{}", seq, seq.wrapping_add(len));
    } else if flags.contains(Flags::SYN) || flags.contains(Flags::FIN) || flags.contains(Flags::RST)
    {
        // A bare ACK carries no sequence space worth showing, as in tcpdump.
        let _ = write!(line, ", seq {seq}");
    }
    if flags.contains(Flags::ACK) {
        let _ = write!(line, ", ack {ack}");
    }
    let _ = write!(line, ", win {}", tcp.window_len());
    let options = tcp_options(tcp);
    if !options.is_empty() {
        let _ = write!(line, ", options [{options}]");
    }
    let _ = write!(line, ", length {}", d.payload.len());
}

/// tcpdump's flag letters (S F R P U E W N, `.` for ACK), or `none`.
pub fn tcp_flags(flags: Flags) -> String {
    if flags.0 == 0 {
        "none".to_owned()
    } else {
        flags.to_string()
    }
}

/// Options the way tcpdump lists them: `mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7`.
pub fn tcp_options(tcp: &wire::tcp::Packet<&[u8]>) -> String {
    let mut out = String::new();
    for placed in tcp.options() {
        if !out.is_empty() {
            out.push(',');
        }
        match placed {
            Ok(placed) => out.push_str(&crate::output::values::tcp_option_text(&placed.option)),
            Err(_) => {
                out.push_str("bad opts");
                break;
            }
        }
    }
    out
}
