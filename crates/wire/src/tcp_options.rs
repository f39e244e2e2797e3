//! The fields of TCP options beyond the common five, which [`TcpOption`] keeps raw as
//! [`TcpOption::Unknown`]: MD5 signatures, TCP-AO, user timeout, Fast Open, Multipath TCP,
//! SCPS capabilities, RFC 6994 experiments and the obsolete echo and CC options.
//!
//! Kept apart from [`TcpOption`] so that its users (reassembly, JSON, the field walk) see the
//! same set of options as before; a printer that names these options asks for their fields
//! here.

use crate::mptcp::MptcpOption;
use crate::tcp::{Flags, TcpOption};

/// Kinds of the options decoded here (IANA "TCP Option Kind Numbers").
pub mod kind {
    /// Echo (RFC 1072, obsolete).
    pub const ECHO: u8 = 6;
    /// Echo reply (RFC 1072, obsolete).
    pub const ECHO_REPLY: u8 = 7;
    /// Connection count (RFC 1644, obsolete).
    pub const CC: u8 = 11;
    /// CC.NEW (RFC 1644, obsolete).
    pub const CC_NEW: u8 = 12;
    /// CC.ECHO (RFC 1644, obsolete).
    pub const CC_ECHO: u8 = 13;
    /// MD5 signature (RFC 2385).
    pub const MD5: u8 = 19;
    /// SCPS capabilities (CCSDS 714.0-B-2).
    pub const SCPS: u8 = 20;
    /// User timeout (RFC 5482).
    pub const USER_TIMEOUT: u8 = 28;
    /// TCP authentication option (RFC 5925).
    pub const TCP_AO: u8 = 29;
    /// Multipath TCP (RFC 8684).
    pub const MPTCP: u8 = 30;
    /// TCP Fast Open cookie (RFC 7413).
    pub const FAST_OPEN: u8 = 34;
    /// Experiment with a 16-bit ExID (RFC 6994).
    pub const EXPERIMENT_2: u8 = 254;
}

/// RFC 6994 ExID of TCP Fast Open before it had its own kind (RFC 7413 §4.1.1).
pub const EXID_FAST_OPEN: u16 = 0xf989;

/// An option decoded past its kind and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherOption<'a> {
    /// Echo, echo reply, CC, CC.NEW, CC.ECHO: one 32-bit value.
    Value32(u32),
    /// MD5 signature: the 16-byte digest.
    Md5 {
        /// The digest.
        digest: &'a [u8],
    },
    /// SCPS capabilities.
    Scps {
        /// Capability bits.
        capabilities: u8,
        /// Connection ID.
        connection_id: u8,
    },
    /// User timeout: the raw 16 bits, granularity flag first.
    UserTimeout(u16),
    /// TCP-AO.
    TcpAo {
        /// KeyID.
        key_id: u8,
        /// RNextKeyID.
        rnext_key_id: u8,
        /// The MAC.
        mac: &'a [u8],
    },
    /// Multipath TCP.
    Mptcp(MptcpOption<'a>),
    /// Fast Open: an empty cookie is a cookie request (RFC 7413 §4.1.1).
    FastOpen {
        /// The cookie.
        cookie: &'a [u8],
        /// Sent as an RFC 6994 experiment (kind 254, ExID 0xF989) rather than kind 34.
        experimental: bool,
    },
    /// Another RFC 6994 experiment: its ExID and data.
    Experiment {
        /// ExID.
        exid: u16,
        /// Data after the ExID.
        data: &'a [u8],
    },
}

/// Bytes of data (after kind and length) each fixed-size kind here needs.
pub fn fixed_data_len(kind: u8) -> Option<usize> {
    match kind {
        kind::ECHO | kind::ECHO_REPLY | kind::CC | kind::CC_NEW | kind::CC_ECHO => Some(4),
        kind::MD5 => Some(16),
        kind::SCPS | kind::USER_TIMEOUT => Some(2),
        _ => None,
    }
}

impl<'a> OtherOption<'a> {
    /// The fields of an option [`TcpOption`] kept as `Unknown { kind, data }`, carried by a
    /// segment with `flags`. `None` for kinds not decoded here, and for data too short for
    /// the kind's fields; a fixed-size option with extra bytes reads its fields from the
    /// front (compare `data.len()` with [`fixed_data_len`] to tell).
    pub fn parse(kind: u8, data: &'a [u8], flags: Flags) -> Option<OtherOption<'a>> {
        let short = fixed_data_len(kind).is_some_and(|n| data.len() < n);
        if short {
            return None;
        }
        let be16 = |d: &[u8]| u16::from_be_bytes([d[0], d[1]]);
        Some(match kind {
            kind::ECHO | kind::ECHO_REPLY | kind::CC | kind::CC_NEW | kind::CC_ECHO => {
                OtherOption::Value32(u32::from_be_bytes([data[0], data[1], data[2], data[3]]))
            }
            kind::MD5 => OtherOption::Md5 {
                digest: &data[..16],
            },
            kind::SCPS => OtherOption::Scps {
                capabilities: data[0],
                connection_id: data[1],
            },
            kind::USER_TIMEOUT => OtherOption::UserTimeout(be16(data)),
            kind::TCP_AO if data.len() >= 2 => OtherOption::TcpAo {
                key_id: data[0],
                rnext_key_id: data[1],
                mac: &data[2..],
            },
            kind::MPTCP => OtherOption::Mptcp(MptcpOption::parse(data, flags)?),
            kind::FAST_OPEN => OtherOption::FastOpen {
                cookie: data,
                experimental: false,
            },
            kind::EXPERIMENT_2 if data.len() >= 2 => match be16(data) {
                EXID_FAST_OPEN => OtherOption::FastOpen {
                    cookie: &data[2..],
                    experimental: true,
                },
                exid => OtherOption::Experiment {
                    exid,
                    data: &data[2..],
                },
            },
            _ => return None,
        })
    }

    /// The fields of `option` if it is one decoded here.
    pub fn of(option: &TcpOption<'a>, flags: Flags) -> Option<OtherOption<'a>> {
        match *option {
            TcpOption::Unknown { kind, data } => OtherOption::parse(kind, data, flags),
            _ => None,
        }
    }
}

impl OtherOption<'_> {
    /// Whether a Fast Open cookie has a length RFC 7413 §4.1.1 allows: empty (a request), or
    /// 4 to 16 bytes, even.
    pub fn valid_cookie(cookie: &[u8]) -> bool {
        cookie.is_empty() || (cookie.len() % 2 == 0 && (4..=16).contains(&cookie.len()))
    }

    /// A user timeout's value in seconds (RFC 5482 §3: the granularity bit says minutes).
    pub fn user_timeout_seconds(raw: u16) -> u32 {
        let v = u32::from(raw >> 1);
        if raw & 1 != 0 {
            v * 60
        } else {
            v
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mptcp::{subtype, Mptcp};

    // Hand-made option data, one case per kind.

    #[test]
    fn fixed_size_kinds() {
        let f = Flags::ACK;
        assert_eq!(
            OtherOption::parse(kind::ECHO, &[0, 0, 1, 0], f),
            Some(OtherOption::Value32(256))
        );
        assert_eq!(OtherOption::parse(kind::CC, &[0, 0, 1], f), None);
        assert_eq!(
            OtherOption::parse(kind::SCPS, &[0xa0, 7], f),
            Some(OtherOption::Scps {
                capabilities: 0xa0,
                connection_id: 7
            })
        );
        assert_eq!(
            OtherOption::parse(kind::USER_TIMEOUT, &[0x80, 0x05], f),
            Some(OtherOption::UserTimeout(0x8005))
        );
        assert_eq!(OtherOption::user_timeout_seconds(0x8005), 0x4002 * 60);
        assert_eq!(OtherOption::user_timeout_seconds(0x0014), 10);
        let digest = [7u8; 16];
        assert_eq!(
            OtherOption::parse(kind::MD5, &digest, f),
            Some(OtherOption::Md5 { digest: &digest })
        );
        assert_eq!(OtherOption::parse(kind::MD5, &digest[..15], f), None);
    }

    #[test]
    fn fast_open_in_both_forms() {
        let f = Flags::SYN;
        assert_eq!(
            OtherOption::parse(kind::FAST_OPEN, &[], f),
            Some(OtherOption::FastOpen {
                cookie: &[],
                experimental: false
            })
        );
        assert_eq!(
            OtherOption::parse(kind::EXPERIMENT_2, &[0xf9, 0x89, 1, 2, 3, 4], f),
            Some(OtherOption::FastOpen {
                cookie: &[1, 2, 3, 4],
                experimental: true
            })
        );
        assert_eq!(
            OtherOption::parse(kind::EXPERIMENT_2, &[0xac, 0xc0, 9], f),
            Some(OtherOption::Experiment {
                exid: 0xacc0,
                data: &[9]
            })
        );
        assert_eq!(OtherOption::parse(kind::EXPERIMENT_2, &[0xac], f), None);
        assert!(OtherOption::valid_cookie(&[]));
        assert!(OtherOption::valid_cookie(&[0; 6]));
        assert!(!OtherOption::valid_cookie(&[0; 5]));
        assert!(!OtherOption::valid_cookie(&[0; 18]));
    }

    #[test]
    fn tcp_ao_and_mptcp_and_the_rest() {
        let f = Flags::ACK;
        assert_eq!(
            OtherOption::parse(kind::TCP_AO, &[1, 2, 0xab], f),
            Some(OtherOption::TcpAo {
                key_id: 1,
                rnext_key_id: 2,
                mac: &[0xab]
            })
        );
        assert_eq!(OtherOption::parse(kind::TCP_AO, &[1], f), None);
        match OtherOption::parse(kind::MPTCP, &[0x20, 0x01, 0, 0, 0, 5], f) {
            Some(OtherOption::Mptcp(m)) => {
                assert_eq!(m.subtype, subtype::DSS);
                assert!(matches!(
                    m.body,
                    Some(Mptcp::Dss {
                        data_ack: Some(5),
                        ..
                    })
                ));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(OtherOption::parse(99, &[1, 2], f), None);
        assert_eq!(OtherOption::of(&TcpOption::Nop, f), None);
    }
}
