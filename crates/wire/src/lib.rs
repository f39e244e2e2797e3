//! Hand-written views of the packets a raw socket hands over: Ethernet, IPv4, IPv6, TCP, UDP and
//! ICMP headers, their checksums, capture files, and TCP stream reassembly.
//!
//! The sniffer parses hostile bytes, often as root, so this crate has no `unsafe` and no
//! input makes it panic; it does no I/O except reading and writing capture files.
//!
//! # Brief overview
//! Each protocol module (`ethernet`, `llc`, `vlan`, `arp`, `sll`, `null`, `ppp`, `chdlc`,
//! `slip`, `frame_relay`, `nflog`, `ipoib`, `pktap`, `radiotap`, `ieee80211`, `ipv4`, `ipv6`,
//! `ipv6_ext`, `tcp`, `udp`, `icmpv4`, `icmpv6`) works on two levels, as smoltcp's `wire` does:
//!
//! * a `Packet<T: AsRef<[u8]>>` view reads and writes fields in place. `new_checked` tests
//!   the buffer against the header's length fields; after it succeeds no getter panics.
//! * a `Repr` is the decoded header: `parse` adds semantic checks, `emit` writes a packet
//!   back, and `buffer_len` says how many bytes `emit` needs.
//!
//! Each module also has a `field` table of [`FieldDef`]s: every field's Wireshark name,
//! offset, mask and a sentence on what it means. Getters read through it, so the labels a
//! printer shows and the bytes a getter reads cannot drift apart.
//!
//! [`link`] is the registry of link-level headers: for each, a title, a sentence on who
//! consumes it, a parse that says what follows and a walk over its fields, and one table
//! from a capture's link type to the header it starts with.
//!
//! [`decode()`] runs the layers in order over one captured frame and returns a [`Decoded`]:
//! every layer it could read, with its offset, and in [`Decoded::stop`] the typed
//! [`WireError`] (layer and absolute byte) that stopped it. Checksums are judged on request
//! ([`Decoded::transport_checksum`]) and reported as a [`ChecksumStatus`], never enforced.
//!
//! [`Decoded::walk`] ([`layout`]) is the one description of a frame every printer reads:
//! each header (with its title, Wireshark key and who strips it on a receiving host), then
//! each of its fields at its absolute offset with its table entry and its value typed by the
//! field's [`field::Kind`] (options parsed, checksums judged), then payload, bytes past the
//! datagram and trailer. Every captured byte belongs to exactly one field, which is tested
//! here, so printers label, show and serialise without matching names or parsing bytes.
//!
//! [`pcap`] reads pcap and pcapng files and writes pcap; [`reassembly`] turns TCP segments
//! into per-direction byte streams with bounded memory.
//!
//! [`tcp_options`] decodes the TCP options [`tcp::TcpOption`] keeps raw (MD5, TCP-AO, user
//! timeout, Fast Open, RFC 6994 experiments), and [`mptcp`] the Multipath TCP subtypes.
//!
//! ```
//! use wire::{decode, ChecksumStatus, LinkType};
//!
//! // An IPv4 ICMP echo request as a raw IP socket delivers it (no link header).
//! let mut frame = vec![
//!     0x45, 0x00, 0x00, 0x1c, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01, 0x00, 0x00,
//!     127, 0, 0, 1, 127, 0, 0, 1,
//!     0x08, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01,
//! ];
//! // Fill both checksums with this crate's emit helpers.
//! wire::ipv4::Packet::new_unchecked(&mut frame[..]).fill_checksum();
//! wire::icmpv4::Packet::new_unchecked(&mut frame[20..]).fill_checksum();
//!
//! let d = decode(LinkType::Raw, &frame);
//! assert!(d.stop.is_none());
//! assert_eq!(d.ipv4().unwrap().ttl(), 64);
//! assert_eq!(d.ip_checksum(), Some(ChecksumStatus::Good));
//! assert_eq!(d.transport_checksum(), Some(ChecksumStatus::Good));
//!
//! // Cut the capture inside the ICMP header: the IP layer survives, and `stop` says why
//! // decoding went no further.
//! let cut = decode(LinkType::Raw, &frame[..24]);
//! assert!(cut.ipv4().is_some());
//! assert_eq!(cut.stop.unwrap().to_string(), "icmp at byte 20: truncated, need 8 bytes, have 4");
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[macro_use]
mod macros;
#[macro_use]
pub mod field;

pub mod arp;
pub mod chdlc;
pub mod checksum;
pub mod decode;
pub mod error;
pub mod ethernet;
pub mod frame_relay;
pub mod icmp;
pub mod icmpv4;
pub mod icmpv6;
pub mod ieee80211;
pub mod ip;
pub mod ipoib;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6_ext;
pub mod layout;
pub mod link;
pub mod llc;
pub mod mptcp;
pub mod nflog;
pub mod null;
pub mod pcap;
pub mod pktap;
pub mod ppp;
pub mod radiotap;
pub mod reassembly;
pub mod slip;
pub mod sll;
pub mod tcp;
pub mod tcp_options;
pub mod udp;
pub mod vlan;

#[cfg(test)]
mod testdata;

pub use checksum::{ChecksumStatus, Unverified};
pub use decode::{
    decode, verify_checksums, ChecksumVerdicts, Decoded, LinkType, Network, Transport,
};
pub use error::{Layer, Reason, Result, WireError};
pub use field::FieldDef;
pub use ip::IpProtocol;
