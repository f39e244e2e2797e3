//! Hand-written views of the packets a raw socket hands over: Ethernet, IPv4, IPv6, TCP, UDP and
//! ICMP headers, their checksums, capture files, and TCP stream reassembly.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
