//! Multipath TCP options (RFC 8684 §3, and RFC 6824 for version 0): TCP option kind 30,
//! whose first data byte holds a subtype that says how the rest reads.
//!
//! Which lengths are valid depends on the subtype and on the segment carrying the option
//! (MP_CAPABLE has one form on a SYN and another on the third ACK), so [`MptcpOption::parse`]
//! takes the segment's flags. A form that fits no case of its subtype is kept as
//! [`MptcpOption::body`] `None`, with its subtype still known.

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::tcp::Flags;

/// MPTCP subtypes (IANA "MPTCP Option Subtypes").
pub mod subtype {
    /// MP_CAPABLE: the connection speaks MPTCP (RFC 8684 §3.1).
    pub const CAPABLE: u8 = 0;
    /// MP_JOIN: a subflow joins a connection (§3.2).
    pub const JOIN: u8 = 1;
    /// DSS: data sequence signal, data ACK and mapping (§3.3).
    pub const DSS: u8 = 2;
    /// ADD_ADDR: an address the peer may use (§3.4.1).
    pub const ADD_ADDR: u8 = 3;
    /// REMOVE_ADDR: addresses no longer usable (§3.4.2).
    pub const REMOVE_ADDR: u8 = 4;
    /// MP_PRIO: change a subflow's priority (§3.3.8).
    pub const PRIO: u8 = 5;
    /// MP_FAIL: fall back to plain TCP (§3.7).
    pub const FAIL: u8 = 6;
    /// MP_FASTCLOSE: abrupt close of the whole connection (§3.5).
    pub const FAST_CLOSE: u8 = 7;
    /// MP_TCPRST: why a subflow was reset (§3.6).
    pub const TCP_RST: u8 = 8;
}

/// One MPTCP option: its subtype and, if its length fits the subtype, its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MptcpOption<'a> {
    /// The subtype, the high nibble of the first data byte.
    pub subtype: u8,
    /// The fields, or `None` when the length fits no form of the subtype for this segment.
    pub body: Option<Mptcp<'a>>,
}

/// The fields of an MPTCP option, by subtype.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mptcp<'a> {
    /// MP_CAPABLE.
    Capable {
        /// Protocol version (0: RFC 6824, 1: RFC 8684).
        version: u8,
        /// Flag A: DSS checksums are required.
        checksum: bool,
        /// The sender's key (on a SYN of version 0, the SYN-ACK, and the third ACK).
        sender_key: Option<u64>,
        /// The receiver's key (third ACK only).
        receiver_key: Option<u64>,
    },
    /// MP_JOIN on a SYN.
    JoinSyn {
        /// Flag B: the subflow is a backup.
        backup: bool,
        /// Address ID of the sender's address.
        addr_id: u8,
        /// Token of the connection to join.
        token: u32,
        /// Sender's random number.
        nonce: u32,
    },
    /// MP_JOIN on the SYN-ACK.
    JoinSynAck {
        /// Flag B: the subflow is a backup.
        backup: bool,
        /// Address ID of the sender's address.
        addr_id: u8,
        /// Truncated HMAC (64 bits).
        hmac: u64,
        /// Sender's random number.
        nonce: u32,
    },
    /// MP_JOIN on the third ACK: the full 160-bit HMAC.
    JoinAck {
        /// The HMAC.
        hmac: &'a [u8],
    },
    /// DSS. Its flags say which fields follow; a field the option is too short for is
    /// `None` although its flag is set, and `exact` says whether the fields fill the option.
    Dss {
        /// Flag F: the mapping includes the connection's DATA_FIN.
        fin: bool,
        /// Flag A: a data ACK follows.
        has_ack: bool,
        /// Data ACK (4 or 8 bytes on the wire).
        data_ack: Option<u64>,
        /// Flag M: a mapping follows.
        has_mapping: bool,
        /// The mapping, as far as the option holds it.
        mapping: DssMapping,
        /// The fields flagged fill the option exactly.
        exact: bool,
    },
    /// ADD_ADDR.
    AddAddr {
        /// The low nibble of the first byte: the version-0 IP version, or version 1's echo flag.
        echo_bits: u8,
        /// Address ID.
        addr_id: u8,
        /// The address.
        addr: IpAddr,
        /// The port, when present.
        port: Option<u16>,
        /// Truncated HMAC, when present.
        hmac: Option<u64>,
    },
    /// REMOVE_ADDR: the address IDs.
    RemoveAddr {
        /// One byte per address ID.
        ids: &'a [u8],
    },
    /// MP_PRIO.
    Prio {
        /// Flag B: the subflow becomes a backup.
        backup: bool,
        /// Address ID (absent in RFC 8684's 3-byte form).
        addr_id: Option<u8>,
    },
    /// MP_FAIL: the data sequence number where the checksum failed.
    Fail {
        /// Data sequence number.
        dsn: u64,
    },
    /// MP_FASTCLOSE: the receiver's key.
    FastClose {
        /// The key.
        key: u64,
    },
    /// A subtype this crate has no fields for (MP_TCPRST, experimental ones).
    Other,
}

/// A DSS mapping from the data sequence space to the subflow's; each field `None` when
/// absent or cut off by the option's end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DssMapping {
    /// Data sequence number (4 or 8 bytes on the wire).
    pub dsn: Option<u64>,
    /// Subflow sequence number, relative to the subflow's initial one.
    pub subflow_seq: Option<u32>,
    /// Data-level length.
    pub len: Option<u16>,
    /// DSS checksum, when negotiated.
    pub checksum: Option<u16>,
}

fn be(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

impl<'a> MptcpOption<'a> {
    /// Parses the data of a kind-30 option (the bytes after kind and length) carried by a
    /// segment with `flags`; `None` when not even the subtype byte is there.
    pub fn parse(data: &'a [u8], flags: Flags) -> Option<MptcpOption<'a>> {
        let first = *data.first()?;
        let subtype = first >> 4;
        // Lengths below are the option's own length field, kind and length bytes included.
        let len = data.len() + 2;
        let at = |from: usize, n: usize| be(&data[from - 2..from - 2 + n]);
        let syn = flags.contains(Flags::SYN);
        let ack = flags.contains(Flags::ACK);
        let body = match subtype {
            subtype::CAPABLE => {
                let valid =
                    (matches!(len, 4 | 12) && syn) || (matches!(len, 20 | 22) && ack && !syn);
                valid.then(|| Mptcp::Capable {
                    version: first & 0x0f,
                    checksum: data.get(1).is_some_and(|f| f & 0x80 != 0),
                    sender_key: (len == 12 || len >= 20).then(|| at(4, 8)),
                    receiver_key: (len >= 20).then(|| at(12, 8)),
                })
            }
            subtype::JOIN => match len {
                12 if syn => Some(Mptcp::JoinSyn {
                    backup: first & 1 != 0,
                    addr_id: data[1],
                    token: at(4, 4) as u32,
                    nonce: at(8, 4) as u32,
                }),
                16 if syn && ack => Some(Mptcp::JoinSynAck {
                    backup: first & 1 != 0,
                    addr_id: data[1],
                    hmac: at(4, 8),
                    nonce: at(12, 4) as u32,
                }),
                24 if ack => Some(Mptcp::JoinAck { hmac: &data[2..] }),
                _ => None,
            },
            subtype::DSS if len >= 4 && !syn => Self::dss(&data[2..], data[1]),
            subtype::ADD_ADDR => {
                let (addr, rest) = match len {
                    8 | 10 | 16 | 18 => {
                        let a: [u8; 4] = data[2..6].try_into().ok()?;
                        (IpAddr::V4(Ipv4Addr::from(a)), &data[6..])
                    }
                    20 | 22 | 28 | 30 => {
                        let a: [u8; 16] = data[2..18].try_into().ok()?;
                        (IpAddr::V6(Ipv6Addr::from(a)), &data[18..])
                    }
                    _ => {
                        return Some(MptcpOption {
                            subtype,
                            body: None,
                        })
                    }
                };
                let with_port = rest.len() == 2 || rest.len() == 10;
                let (port, rest) = if with_port {
                    (Some(be(&rest[..2]) as u16), &rest[2..])
                } else {
                    (None, rest)
                };
                Some(Mptcp::AddAddr {
                    echo_bits: first & 0x0f,
                    addr_id: data[1],
                    addr,
                    port,
                    hmac: (rest.len() == 8).then(|| be(rest)),
                })
            }
            subtype::REMOVE_ADDR if len >= 4 => Some(Mptcp::RemoveAddr { ids: &data[1..] }),
            subtype::PRIO if len == 3 || len == 4 => Some(Mptcp::Prio {
                backup: first & 1 != 0,
                addr_id: data.get(1).copied(),
            }),
            subtype::FAIL if len == 12 => Some(Mptcp::Fail { dsn: at(4, 8) }),
            subtype::FAST_CLOSE if len == 12 => Some(Mptcp::FastClose { key: at(4, 8) }),
            s if s > subtype::FAST_CLOSE => Some(Mptcp::Other),
            _ => None,
        };
        Some(MptcpOption { subtype, body })
    }

    /// DSS fields after its flags byte, as far as they go.
    fn dss(mut rest: &'a [u8], flags: u8) -> Option<Mptcp<'a>> {
        let mut take = |n: usize| -> Option<u64> {
            let (head, tail) = rest.split_at_checked(n)?;
            rest = tail;
            Some(be(head))
        };
        let has_ack = flags & 0x01 != 0;
        let has_mapping = flags & 0x04 != 0;
        let data_ack = if has_ack {
            take(if flags & 0x02 != 0 { 8 } else { 4 })
        } else {
            None
        };
        let mut mapping = DssMapping::default();
        let mut complete = !has_ack || data_ack.is_some();
        if has_mapping && complete {
            mapping.dsn = take(if flags & 0x08 != 0 { 8 } else { 4 });
            mapping.subflow_seq = mapping.dsn.and_then(|_| take(4)).map(|v| v as u32);
            mapping.len = mapping.subflow_seq.and_then(|_| take(2)).map(|v| v as u16);
            complete = mapping.len.is_some();
            if complete {
                mapping.checksum = take(2).map(|c| c as u16);
            }
        }
        Some(Mptcp::Dss {
            fin: flags & 0x10 != 0,
            has_ack,
            data_ack,
            has_mapping,
            mapping,
            exact: complete && rest.is_empty(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: Flags = Flags::SYN;
    const ACK: Flags = Flags::ACK;

    // Hand-made option data (after kind and length), one per subtype, from RFC 8684's layouts.

    #[test]
    fn capable_on_syn_and_third_ack() {
        let syn = [0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            MptcpOption::parse(&syn, SYN).unwrap().body,
            Some(Mptcp::Capable {
                version: 1,
                checksum: true,
                sender_key: Some(0x0102_0304_0506_0708),
                receiver_key: None,
            })
        );
        // The SYN form on a plain ACK fits no case.
        assert_eq!(MptcpOption::parse(&syn, ACK).unwrap().body, None);
        let mut third = vec![0x00, 0x01];
        third.extend_from_slice(&[0xaa; 8]);
        third.extend_from_slice(&[0xbb; 8]);
        match MptcpOption::parse(&third, ACK).unwrap().body {
            Some(Mptcp::Capable {
                version: 0,
                checksum: false,
                sender_key: Some(s),
                receiver_key: Some(r),
            }) => assert_eq!((s, r), (0xaaaa_aaaa_aaaa_aaaa, 0xbbbb_bbbb_bbbb_bbbb)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn dss_with_ack_and_mapping() {
        // Flags: a (8-byte ack) clear, A set, m clear, M set; checksum present.
        let d = [
            0x20, 0x05, 0, 0, 0, 9, 0, 0, 1, 0, 0, 0, 0, 7, 0, 42, 0x12, 0x34,
        ];
        let whole = DssMapping {
            dsn: Some(256),
            subflow_seq: Some(7),
            len: Some(42),
            checksum: Some(0x1234),
        };
        let dss = |data_ack, mapping, exact| {
            Some(Mptcp::Dss {
                fin: false,
                has_ack: true,
                data_ack,
                has_mapping: true,
                mapping,
                exact,
            })
        };
        assert_eq!(
            MptcpOption::parse(&d, ACK).unwrap().body,
            dss(Some(9), whole, true)
        );
        // One byte too many, or cut inside the mapping: the fields there are, not exact.
        let mut long = d.to_vec();
        long.push(0);
        assert_eq!(
            MptcpOption::parse(&long, ACK).unwrap().body,
            dss(Some(9), whole, false)
        );
        let cut = DssMapping {
            dsn: Some(256),
            ..DssMapping::default()
        };
        assert_eq!(
            MptcpOption::parse(&d[..10], ACK).unwrap().body,
            dss(Some(9), cut, false)
        );
        assert_eq!(
            MptcpOption::parse(&d[..4], ACK).unwrap().body,
            dss(None, DssMapping::default(), false)
        );
        // A DSS on a SYN never fits, nor one without its flags byte.
        assert_eq!(MptcpOption::parse(&d, SYN).unwrap().body, None);
        assert_eq!(MptcpOption::parse(&[0x20], ACK).unwrap().body, None);
    }

    #[test]
    fn add_addr_forms() {
        let v4_hmac = [0x30, 1, 10, 0, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8];
        assert_eq!(
            MptcpOption::parse(&v4_hmac, ACK).unwrap().body,
            Some(Mptcp::AddAddr {
                echo_bits: 0,
                addr_id: 1,
                addr: "10.0.2.1".parse().unwrap(),
                port: None,
                hmac: Some(0x0102_0304_0506_0708),
            })
        );
        let v4_port = [0x31, 2, 10, 0, 2, 1, 0x1f, 0x90];
        assert_eq!(
            MptcpOption::parse(&v4_port, ACK).unwrap().body,
            Some(Mptcp::AddAddr {
                echo_bits: 1,
                addr_id: 2,
                addr: "10.0.2.1".parse().unwrap(),
                port: Some(8080),
                hmac: None,
            })
        );
        assert_eq!(MptcpOption::parse(&[0x30, 1, 10], ACK).unwrap().body, None);
    }

    #[test]
    fn the_small_subtypes() {
        let opt = |d: &'static [u8]| MptcpOption::parse(d, ACK).unwrap();
        assert_eq!(
            opt(&[0x40, 3, 4]).body,
            Some(Mptcp::RemoveAddr { ids: &[3, 4] })
        );
        assert_eq!(
            opt(&[0x51]).body,
            Some(Mptcp::Prio {
                backup: true,
                addr_id: None
            })
        );
        assert_eq!(
            opt(&[0x60, 0, 0, 0, 0, 0, 0, 0, 0, 5]).body,
            Some(Mptcp::Fail { dsn: 5 })
        );
        assert_eq!(
            opt(&[0x70, 0, 0, 0, 0, 0, 0, 0, 0, 6]).body,
            Some(Mptcp::FastClose { key: 6 })
        );
        assert_eq!(opt(&[0x80, 1]).body, Some(Mptcp::Other));
        assert_eq!(opt(&[0x80, 1]).subtype, subtype::TCP_RST);
        assert_eq!(opt(&[0x10, 1]).body, None);
        assert_eq!(MptcpOption::parse(&[], ACK), None);
    }
}
