//! The link-layer registry: one [`LinkDef`] per link-level header, and one table,
//! [`for_link_type`], from a capture's link type to the header its frames start with.
//!
//! A link header is described by what [`crate::decode()`] and the printers need and nothing
//! more: a title and a key to show, a sentence on who consumes it, a `parse` that says how
//! long the header is and what follows it, and a `walk` that reports its fields. Adding a
//! link type is one file defining its `LINK` and one line in [`for_link_type`]; the decoder,
//! the byte-labelling walk and the printers need no change.

use crate::decode::LinkType;
use crate::error::Result;
use crate::ethernet::EtherType;
use crate::field::FieldDef;

/// What follows a link-level header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// A payload named by an EtherType (VLAN tags included).
    EtherType(EtherType),
    /// An IPv4 packet.
    Ipv4,
    /// An IPv6 packet.
    Ipv6,
    /// An IPv4 or IPv6 packet, told apart by its version nibble.
    Ip,
    /// Another link-level header (802.2 LLC after 802.3, 802.11 after radiotap).
    Link(&'static LinkDef),
    /// A protocol this crate knows the name of but does not decode: no network layer
    /// follows (802.11 management frames, PPP's LCP, spanning tree).
    Named(&'static str),
    /// Nothing this crate can name.
    Undecoded,
}

/// A parsed link-level header: how long it is and what follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parsed {
    /// Bytes the header takes, all inside the buffer `parse` was given.
    pub len: usize,
    /// What the following bytes are.
    pub next: Next,
}

/// One link-level header type.
pub struct LinkDef {
    /// What a person calls it: "Ethernet II".
    pub title: &'static str,
    /// Wireshark's protocol name, also the JSON key: `eth`.
    pub key: &'static str,
    /// Who reads and removes this header on a receiving host, for the explain view.
    pub consumer: &'static str,
    /// Reads the header at the start of the buffer. Errors carry offsets relative to it.
    /// Never panics; `Parsed::len` never exceeds the buffer.
    pub parse: fn(&[u8]) -> Result<Parsed>,
    /// Reports every field of the header, given exactly the bytes `parse` accepted, each at
    /// its offset from the header's first byte, in wire order, every byte once.
    pub walk: fn(&[u8], &mut dyn FnMut(FieldDef)),
}

impl core::fmt::Debug for LinkDef {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.key)
    }
}

impl PartialEq for LinkDef {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}

impl Eq for LinkDef {}

/// How a capture of some link type begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// With a link-level header.
    Header(&'static LinkDef),
    /// Directly with the network layer (raw IP link types).
    Bare(Next),
    /// With nothing this crate decodes.
    Unknown,
}

/// Every link type [`for_link_type`] knows, for tests, fuzzing and tools that go through them
/// all; a test checks it lists each one the table decodes.
pub const DECODED: &[LinkType] = &[
    LinkType::Null,
    LinkType::Ethernet,
    LinkType::Slip,
    LinkType::Ppp,
    LinkType::RawDlt12,
    LinkType::RawDlt14,
    LinkType::PppHdlc,
    LinkType::Raw,
    LinkType::CHdlc,
    LinkType::Ieee80211,
    LinkType::FrameRelay,
    LinkType::Loop,
    LinkType::LinuxSll,
    LinkType::Radiotap,
    LinkType::Ipv4,
    LinkType::Ipv6,
    LinkType::Nflog,
    LinkType::Ipoib,
    LinkType::Pktap,
    LinkType::LinuxSll2,
];

/// The one table from link type to the header its frames start with.
pub fn for_link_type(link: LinkType) -> Start {
    use crate::{chdlc, ethernet, frame_relay, ieee80211, ipoib, nflog, null, pktap, ppp};
    use crate::{radiotap, slip, sll};
    match link {
        LinkType::Ethernet => Start::Header(&ethernet::LINK),
        LinkType::Slip => Start::Header(&slip::LINK),
        LinkType::Ppp => Start::Header(&ppp::LINK),
        LinkType::PppHdlc => Start::Header(&ppp::LINK_HDLC),
        LinkType::CHdlc => Start::Header(&chdlc::LINK),
        LinkType::Ieee80211 => Start::Header(&ieee80211::LINK),
        LinkType::FrameRelay => Start::Header(&frame_relay::LINK),
        LinkType::Radiotap => Start::Header(&radiotap::LINK),
        LinkType::Nflog => Start::Header(&nflog::LINK),
        LinkType::Ipoib => Start::Header(&ipoib::LINK),
        LinkType::Pktap => Start::Header(&pktap::LINK),
        LinkType::LinuxSll => Start::Header(&sll::LINK),
        LinkType::LinuxSll2 => Start::Header(&sll::LINK_V2),
        LinkType::Null | LinkType::Loop => Start::Header(&null::LINK),
        LinkType::Raw | LinkType::RawDlt12 | LinkType::RawDlt14 => Start::Bare(Next::Ip),
        LinkType::Ipv4 => Start::Bare(Next::Ipv4),
        LinkType::Ipv6 => Start::Bare(Next::Ipv6),
        LinkType::Unknown(_) => Start::Unknown,
    }
}

/// What a header announcing link type `link` inside it (PKTAP) is followed by.
pub fn next_for_link_type(link: LinkType) -> Next {
    match for_link_type(link) {
        Start::Header(def) => Next::Link(def),
        Start::Bare(next) => next,
        Start::Unknown => Next::Undecoded,
    }
}

/// Reports a fixed table's fields: the walk of a header that is exactly its table.
pub(crate) fn walk_table(fields: &[FieldDef], f: &mut dyn FnMut(FieldDef)) {
    for d in fields {
        f(*d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `DECODED` lists exactly the link types the table decodes: every number up to 300 that
    /// the table knows is in it, and nothing in it is unknown.
    #[test]
    fn decoded_lists_every_known_link_type() {
        for n in 0..300u32 {
            let lt = LinkType::from(n);
            let known = !matches!(for_link_type(lt), Start::Unknown);
            assert_eq!(known, DECODED.contains(&lt), "link type {n} ({lt})");
        }
    }
}
