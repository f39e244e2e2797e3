//! The words of packets that carry no IP: ARP, and frames whose network layer raw-sniff does
//! not decode.

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::Decoded;

use crate::capture::CapturedFrame;

/// An ARP packet's words, as tcpdump has them; `labelled` starts them with `ARP, `, which
/// tcpdump leaves out when -e has named the link header's type.
pub(super) fn arp(line: &mut String, arp: &wire::arp::Packet<&[u8]>, labelled: bool) {
    if labelled {
        line.push_str("ARP, ");
    }
    let _ = match arp.operation() {
        wire::arp::Operation::Request => write!(
            line,
            "Request who-has {} tell {}",
            addr_text(arp.target_protocol_addr()),
            addr_text(arp.sender_protocol_addr())
        ),
        wire::arp::Operation::Reply => write!(
            line,
            "Reply {} is-at {}",
            addr_text(arp.sender_protocol_addr()),
            mac_text(arp.sender_hardware_addr())
        ),
        other => write!(line, "{other}"),
    };
    let _ = write!(line, ", length {}", arp.header_len());
}

/// A frame with no network layer raw-sniff decodes: what the link says comes next.
pub(super) fn no_network(line: &mut String, frame: &CapturedFrame<'_>, d: &Decoded<'_>) {
    let _ = write!(line, "{}, length {}", link_name(d), frame.orig_len);
}

fn addr_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()).to_string(),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()).to_string(),
        _ => crate::output::values::hex(bytes),
    }
}

fn mac_text(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

fn link_name(d: &Decoded<'_>) -> String {
    match d.links().last().map(|l| l.next()) {
        Some(wire::link::Next::EtherType(et)) => format!("ethertype {et}"),
        Some(wire::link::Next::Named(name)) => name.to_string(),
        _ => format!("{}", d.link_type),
    }
}
