//! Hand-written views of the packets a raw socket hands over: Ethernet, IPv4, IPv6, TCP, UDP and
//! ICMP headers, their checksums, capture files, and TCP stream reassembly.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[macro_use]
mod macros;
#[macro_use]
pub mod field;

pub mod arp;
pub mod checksum;
pub mod decode;
pub mod error;
pub mod ethernet;
mod icmp_common;
pub mod icmpv4;
pub mod icmpv6;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6_ext;
pub mod null;
pub mod pcap;
pub mod reassembly;
pub mod sll;
pub mod tcp;
pub mod udp;
pub mod vlan;

#[cfg(test)]
mod testdata;

pub use checksum::{ChecksumStatus, Unverified};
pub use decode::{decode, Decoded, LinkType, Network, Transport};
pub use error::{Layer, Reason, Result, WireError};
pub use field::FieldDef;
pub use ip::IpProtocol;
