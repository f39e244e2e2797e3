//! What ICMPv4 and ICMPv6 share: an 8-byte header whose first four bytes are type, code and
//! checksum, and whose second four depend on the type. Each version adds its own field
//! names and type numbers on top.

use crate::checksum::{self, ChecksumStatus, PseudoHeader, Unverified};
use crate::error::{Layer, Result, WireError};

pub(crate) const HEADER_LEN: usize = 8;

pub(crate) fn check_len(b: &[u8], layer: Layer) -> Result<()> {
    if b.len() < HEADER_LEN {
        return Err(WireError::truncated(layer, HEADER_LEN, b.len()));
    }
    Ok(())
}

pub(crate) fn rest(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[4], b[5], b[6], b[7]])
}

/// `len` is the message length given by the IP layer; `protocol` selects the pseudo-header
/// (ICMPv6 has one, ICMPv4 does not).
pub(crate) fn verify(b: &[u8], len: usize, pseudo: Option<(&PseudoHeader, u8)>) -> ChecksumStatus {
    if b.len() < len || len < HEADER_LEN {
        return ChecksumStatus::Unverified(Unverified::Truncated);
    }
    let found = u16::from_be_bytes([b[2], b[3]]);
    let ps = pseudo.map_or(0, |(p, proto)| p.sum(proto, len as u32));
    checksum::judge(&b[..len], ps, found, pseudo.is_some())
}

pub(crate) fn fill(b: &mut [u8], pseudo: Option<(&PseudoHeader, u8)>) {
    b[2] = 0;
    b[3] = 0;
    let ps = pseudo.map_or(0, |(p, proto)| p.sum(proto, b.len() as u32));
    let c = !checksum::fold(checksum::sum(b) + ps);
    b[2..4].copy_from_slice(&c.to_be_bytes());
}
