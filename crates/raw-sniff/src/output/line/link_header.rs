//! The link-level words tcpdump puts before the network layer: with `-e` the whole link
//! header (Ethernet addresses and type, VLAN tags, the Linux cooked header's direction and
//! address, the loopback family, `ip: ` for raw IP, the PPP and Cisco HDLC protocol), and for
//! Linux cooked v2 the interface and direction it prints on every line.

use std::collections::HashMap;
use std::fmt::Write as _;

use wire::Decoded;

use super::ethertype_names::ethertype_name;
use crate::capture::{CapturedFrame, LinkType};

/// Interface names by index, for the Linux cooked v2 header, looked up once each. As with
/// tcpdump, the names are this host's, whichever host captured the file; `?` when this host
/// has no interface with that index.
#[derive(Debug, Default)]
pub(super) struct IfNames(HashMap<u32, String>);

impl IfNames {
    fn name(&mut self, index: u32) -> &str {
        self.0.entry(index).or_insert_with(|| lookup(index))
    }
}

/// The name of interface `index` on this host, read from sysfs (no `if_indextoname`: this
/// crate keeps its unsafe code in the capture backends).
fn lookup(index: u32) -> String {
    let found = std::fs::read_dir("/sys/class/net").ok().and_then(|dir| {
        dir.flatten().find_map(|entry| {
            let text = std::fs::read_to_string(entry.path().join("ifindex")).ok()?;
            (text.trim().parse::<u32>().ok()? == index)
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
    });
    found.unwrap_or_else(|| "?".to_owned())
}

/// The words tcpdump prints for every Linux cooked v2 frame, `-e` or not: the interface the
/// packet crossed and its direction (`lo    In  `).
pub(super) fn sll2_always(line: &mut String, d: &Decoded<'_>, names: &mut IfNames) {
    let Some(sll) = d.link.and_then(|l| l.sll()) else {
        return;
    };
    let Some(index) = sll.ifindex() else {
        return;
    };
    let _ = write!(
        line,
        "{:<5} {:<3} ",
        names.name(index),
        packet_type(u16::from(sll.packet_type()))
    );
}

/// With `-e`: the link header's words, as tcpdump prints them before the network layer.
/// `quick` is `-q`, which shortens them. Returns whether anything was written: tcpdump then
/// leaves out the network layer's own label (`IP`, `IP6`, `ARP,`).
pub(super) fn link_header(
    line: &mut String,
    frame: &CapturedFrame<'_>,
    d: &Decoded<'_>,
    quick: bool,
) -> bool {
    let len = frame.orig_len;
    match d.link_type {
        LinkType::Ethernet => ethernet(line, d, len, quick),
        LinkType::LinuxSll | LinkType::LinuxSll2 => sll(line, d, len, quick),
        LinkType::Null | LinkType::Loop => null(line, d, len, quick),
        LinkType::Ppp => ppp(line, d, len),
        LinkType::CHdlc => chdlc(line, d, len),
        LinkType::Raw
        | LinkType::RawDlt12
        | LinkType::RawDlt14
        | LinkType::Ipv4
        | LinkType::Ipv6 => {
            line.push_str("ip: ");
            true
        }
        _ => false,
    }
}

/// `ethertype IPv4 (0x0800)`, or with `-q` just `IPv4`.
fn ethertype_words(line: &mut String, t: u16, quick: bool) {
    let _ = match (ethertype_name(t), quick) {
        (name, false) => write!(line, "ethertype {} ({t:#06x})", name.unwrap_or("Unknown")),
        (Some(name), true) => write!(line, "{name}"),
        (None, true) => write!(line, "Unknown Ethertype ({t:#06x})"),
    };
}

/// An 802.1Q tag's words: `vlan 100, p 0` and `, DEI` when that bit is set.
fn tci_words(line: &mut String, tag: &wire::vlan::Packet<&[u8]>) {
    let dei = if tag.dei() { ", DEI" } else { "" };
    let _ = write!(line, "vlan {}, p {}{dei}, ", tag.vid(), tag.pcp());
}

fn ethernet(line: &mut String, d: &Decoded<'_>, len: u32, quick: bool) -> bool {
    let Some(eth) = d.link.and_then(|l| l.ethernet()) else {
        return false;
    };
    let _ = write!(line, "{} > {}, ", eth.src_addr(), eth.dst_addr());
    // Each type field in turn: the Ethernet header's, then each tag's; the length goes after
    // the first.
    let mut ty = u16::from(eth.ethertype());
    let mut first = true;
    let separate = |line: &mut String, first: &mut bool| {
        if std::mem::take(first) {
            let _ = write!(line, ", length {len}: ");
        } else {
            line.push_str(", ");
        }
    };
    for tag in d.vlan_tags() {
        ethertype_words(line, ty, quick);
        separate(line, &mut first);
        tci_words(line, &tag.tag);
        ty = u16::from(tag.tag.ethertype());
    }
    if ty <= 1500 {
        // An 802.3 length, not a type: tcpdump says so and gives the length it holds.
        line.push_str("802.3");
        if first {
            let _ = write!(line, ", length {ty}: ");
        }
    } else {
        ethertype_words(line, ty, quick);
        separate(line, &mut first);
    }
    true
}

/// tcpdump's word for a cooked header's packet type.
fn packet_type(t: u16) -> &'static str {
    match t {
        0 => "In",
        1 => "B",
        2 => "M",
        3 => "P",
        4 => "Out",
        _ => "?",
    }
}

fn sll(line: &mut String, d: &Decoded<'_>, len: u32, quick: bool) -> bool {
    let Some(sll) = d.link.and_then(|l| l.sll()) else {
        return false;
    };
    match sll.ifindex() {
        // v1 right-aligns the direction; v2 printed it already, and gives the index instead.
        None => {
            let _ = write!(line, "{:>3} ", packet_type(u16::from(sll.packet_type())));
        }
        Some(index) => {
            let _ = write!(line, "ifindex {index} ");
        }
    }
    if sll.address_len() == 6 {
        let _ = write!(
            line,
            "{} ",
            wire::ethernet::MacAddr::from_bytes(&sll.address()[..6])
        );
    }
    if !quick {
        let _ = match u16::from(sll.protocol()) {
            0x0001 => write!(line, "802.3"),
            0x0004 => write!(line, "802.2"),
            t if t <= 1500 => write!(line, "ethertype Unknown ({t:#06x})"),
            t => write!(
                line,
                "ethertype {} ({t:#06x})",
                ethertype_name(t).unwrap_or("Unknown")
            ),
        };
        let _ = write!(line, ", length {len}: ");
    }
    // A tag in a cooked header is printed where it is met; its type's name follows it,
    // without the number.
    for tag in d.vlan_tags() {
        tci_words(line, &tag.tag);
        if !quick {
            let inner = u16::from(tag.tag.ethertype());
            let inner = if inner <= 1500 { 0x0004 } else { inner };
            let _ = write!(
                line,
                "ethertype {}, ",
                ethertype_name(inner).unwrap_or("Unknown")
            );
        }
    }
    true
}

/// The BSD address family names tcpdump knows.
fn family_name(family: u32) -> Option<&'static str> {
    Some(match family {
        2 => "IPv4",
        6 => "NS",
        7 => "ISO",
        16 => "Appletalk",
        23 => "IPX",
        24 | 28 | 30 => "IPv6",
        _ => return None,
    })
}

fn null(line: &mut String, d: &Decoded<'_>, len: u32, quick: bool) -> bool {
    let Some(link) = d.link.filter(|l| l.header.len() >= wire::null::HEADER_LEN) else {
        return false;
    };
    let family = wire::null::Packet::new_unchecked(link.header).family_value();
    let _ = match (family_name(family), quick) {
        (name, false) => write!(line, "AF {} ({family})", name.unwrap_or("Unknown")),
        (Some(name), true) => write!(line, "{name}"),
        (None, true) => write!(line, "Unknown AF {family}"),
    };
    let _ = write!(line, ", length {len}: ");
    true
}

/// tcpdump's names for PPP protocol numbers.
fn ppp_protocol_name(p: u16) -> Option<&'static str> {
    Some(match p {
        0x0021 => "IP",
        0x0023 => "OSI",
        0x0025 => "NS",
        0x0027 => "DECNET",
        0x0029 => "APPLE",
        0x002b => "IPX",
        0x002d => "VJC IP",
        0x002f => "VJNC IP",
        0x0031 => "BRPDU",
        0x0033 => "STII",
        0x0035 => "VINES",
        0x0281 | 0x0283 => "MPLS",
        0x00fd => "Compressed",
        0x003d => "MLPPP",
        0x0057 => "IP6",
        0x0201 => "HELLO",
        0x0231 => "LUXCOM",
        0x0233 => "SNS",
        0x8021 => "IPCP",
        0x8023 => "OSICP",
        0x8025 => "NSCP",
        0x8027 => "DECNETCP",
        0x8029 => "APPLECP",
        0x802b => "IPXCP",
        0x8033 => "STIICP",
        0x8035 => "VINESCP",
        0x8057 => "IP6CP",
        0x8281 => "MPLSCP",
        0xc021 => "LCP",
        0xc023 => "PAP",
        0xc025 => "LQM",
        0xc223 => "CHAP",
        0xc227 => "EAP",
        0xc027 => "SPAP",
        0xc123 => "Old-SPAP",
        0xc02b => "BACP",
        0xc02d => "BAP",
        0xc03d => "MLPPP-CP",
        0x80fd => "CCP",
        _ => return None,
    })
}

/// PPP: the protocol by name and number, then the length (`IP (0x0021), length 64: `); a
/// protocol tcpdump has no name for ends the words without the colon.
fn ppp(line: &mut String, d: &Decoded<'_>, len: u32) -> bool {
    let Some(link) = d.link.filter(|l| l.def == &wire::ppp::LINK) else {
        return false;
    };
    let ppp = wire::ppp::Packet::new_unchecked(link.header);
    if ppp.check_len().is_err() {
        return false;
    }
    let proto = u16::from(ppp.protocol());
    let name = ppp_protocol_name(proto);
    let _ = write!(
        line,
        "{} ({proto:#06x}), length {len}",
        name.unwrap_or("unknown")
    );
    if name.is_some() {
        line.push_str(": ");
    }
    true
}

/// Cisco HDLC: the address as a cast, then the EtherType and length.
fn chdlc(line: &mut String, d: &Decoded<'_>, len: u32) -> bool {
    let Some(link) = d.link.filter(|l| l.def == &wire::chdlc::LINK) else {
        return false;
    };
    let hdlc = wire::chdlc::Packet::new_unchecked(link.header);
    let _ = match hdlc.address() {
        0x0f => write!(line, "unicast, "),
        0x8f => write!(line, "bcast, "),
        other => write!(line, "{other:#04x}, "),
    };
    let t = u16::from(hdlc.protocol());
    let _ = write!(
        line,
        "ethertype {} ({t:#06x}), length {len}: ",
        ethertype_name(t).unwrap_or("Unknown")
    );
    true
}
