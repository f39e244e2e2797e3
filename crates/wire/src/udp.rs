//! UDP (RFC 768) with its checksum over the IP pseudo-header.

use core::fmt;

use crate::checksum::{self, ChecksumStatus, PseudoHeader, Unverified};
use crate::error::{Layer, Reason, Result, WireError};
use crate::field::{set_u16, u16_at};

/// Field table of the UDP header.
pub mod field {
    field_table! {
        SRC_PORT = "udp.srcport", 0, 2, 0, Kind::Number, "Source port",
            "Port of the sending socket, or 0 when no reply is expected (RFC 768).";
        DST_PORT = "udp.dstport", 2, 2, 0, Kind::Number, "Destination port",
            "Port of the receiving socket (RFC 768).";
        LENGTH = "udp.length", 4, 2, 0, Kind::Number, "Length",
            "Bytes of header and data, at least 8 (RFC 768).";
        CHECKSUM = "udp.checksum", 6, 2, 0, Kind::Checksum, "Checksum",
            "Ones'-complement checksum of pseudo-header, header and data; 0 over IPv4 means none was computed (RFC 768, RFC 8200 §8.1).";
    }
}

pub use field::HEADER_LEN;
use field::{CHECKSUM, DST_PORT, LENGTH, SRC_PORT};

packet_view! {
    /// A view of a UDP datagram.
    Packet
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks the header is present and the length field is at least 8. A length beyond the
    /// buffer is allowed here (capture cut short); [`Packet::is_truncated`] tells.
    pub fn check_header_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::truncated(Layer::Udp, HEADER_LEN, b.len()));
        }
        let len = u16_at(b, LENGTH);
        if len < 8 {
            return Err(WireError::malformed(
                Layer::Udp,
                LENGTH.at,
                &LENGTH,
                Reason::Below {
                    value: len.into(),
                    min: 8,
                },
            ));
        }
        Ok(())
    }

    /// [`Packet::check_header_len`], and the whole datagram is in the buffer.
    pub fn check_len(&self) -> Result<()> {
        self.check_header_len()?;
        let (len, have) = (usize::from(self.len()), self.buffer.as_ref().len());
        if len > have {
            return Err(WireError::truncated(Layer::Udp, len, have));
        }
        Ok(())
    }

    /// True when the buffer is shorter than the length field.
    pub fn is_truncated(&self) -> bool {
        usize::from(self.len()) > self.buffer.as_ref().len()
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), SRC_PORT)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        u16_at(self.buffer.as_ref(), DST_PORT)
    }

    /// Length field.
    pub fn len(&self) -> u16 {
        u16_at(self.buffer.as_ref(), LENGTH)
    }

    /// True when the length field says no data follows the header.
    pub fn is_empty(&self) -> bool {
        self.len() <= 8
    }

    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        u16_at(self.buffer.as_ref(), CHECKSUM)
    }

    /// Verifies the checksum: 0 over IPv4 means none was sent; a missing tail means the
    /// capture was cut; a field holding just the pseudo-header sum means offload.
    pub fn verify_checksum(&self, pseudo: &PseudoHeader) -> ChecksumStatus {
        if self.checksum() == 0 && pseudo.is_v4() {
            return ChecksumStatus::Unverified(Unverified::Absent);
        }
        if self.is_truncated() {
            return ChecksumStatus::Unverified(Unverified::Truncated);
        }
        let len = usize::from(self.len());
        let b = &self.buffer.as_ref()[..len];
        checksum::judge(b, pseudo.sum(17, len as u32), self.checksum(), true)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Data, up to the length field or the end of the buffer.
    pub fn payload(&self) -> &'a [u8] {
        let b = self.buffer.as_ref();
        let end = usize::from(self.len()).min(b.len()).max(HEADER_LEN);
        &b[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), SRC_PORT, v);
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), DST_PORT, v);
    }

    /// Sets the length field.
    pub fn set_len(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), LENGTH, v);
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, v: u16) {
        set_u16(self.buffer.as_mut(), CHECKSUM, v);
    }

    /// Computes the checksum over `length` bytes; a result of 0 is sent as 0xffff, since 0
    /// means "no checksum" (RFC 768).
    pub fn fill_checksum(&mut self, pseudo: &PseudoHeader) {
        self.set_checksum(0);
        let len = usize::from(u16_at(self.buffer.as_ref(), LENGTH)).min(self.buffer.as_ref().len());
        let b = &self.buffer.as_ref()[..len];
        let c = !checksum::fold(checksum::sum(b) + pseudo.sum(17, len as u32));
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }
}

/// A decoded UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr<'a> {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Data.
    pub payload: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Decodes a complete datagram.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(p: &Packet<&'a T>) -> Result<Repr<'a>> {
        p.check_len()?;
        Ok(Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload: p.payload(),
        })
    }

    /// Header plus data.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Writes the datagram and its checksum into a buffer of at least [`Repr::buffer_len`]
    /// bytes. Data beyond 65527 bytes cannot be described by the length field and is cut.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>, pseudo: &PseudoHeader) {
        let len = self.buffer_len().min(usize::from(u16::MAX));
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_len(len as u16);
        p.buffer.as_mut()[HEADER_LEN..len].copy_from_slice(&self.payload[..len - HEADER_LEN]);
        p.fill_checksum(pseudo);
    }
}

impl fmt::Display for Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "UDP {} > {} len {}",
            self.src_port,
            self.dst_port,
            self.payload.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata::ETH_IPV4_UDP;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const LO4: PseudoHeader = PseudoHeader::V4 {
        src: Ipv4Addr::LOCALHOST,
        dst: Ipv4Addr::LOCALHOST,
    };

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "udp.", HEADER_LEN);
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&ETH_IPV4_UDP[34..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.len()), (39759, 47001, 10));
        assert_eq!(p.payload(), b"x\n");
        assert_eq!(
            p.verify_checksum(&LO4),
            ChecksumStatus::Unverified(Unverified::Offloaded)
        );
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.to_string(), "UDP 39759 > 47001 len 2");
        let mut buf = [0u8; 10];
        r.emit(&mut Packet::new_unchecked(&mut buf[..]), &LO4);
        let q = Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(q.verify_checksum(&LO4), ChecksumStatus::Good);
        assert_eq!(buf[..6], ETH_IPV4_UDP[34..40]);
    }

    #[test]
    fn malformed_and_truncated() {
        let mut b = ETH_IPV4_UDP[34..].to_vec();
        b[5] = 7;
        assert_eq!(
            Packet::new_checked(&b[..]).unwrap_err().to_string(),
            "udp at byte 4: udp.length 7 (< 8)"
        );
        b[5] = 20;
        let p = Packet::new_unchecked(&b[..]);
        assert!(p.check_header_len().is_ok() && p.is_truncated());
        assert_eq!(
            p.verify_checksum(&LO4),
            ChecksumStatus::Unverified(Unverified::Truncated)
        );
        b[6] = 0;
        b[7] = 0;
        assert_eq!(
            Packet::new_unchecked(&b[..]).verify_checksum(&LO4),
            ChecksumStatus::Unverified(Unverified::Absent)
        );
        assert!(Packet::new_checked(&b[..7]).is_err());
    }

    proptest! {
        #[test]
        fn emit_parse_identity(src: u16, dst: u16, payload in proptest::collection::vec(any::<u8>(), 0..200), v6: bool) {
            let pseudo = if v6 { PseudoHeader::V6 { src: Ipv6Addr::LOCALHOST, dst: Ipv6Addr::LOCALHOST } } else { LO4 };
            let r = Repr { src_port: src, dst_port: dst, payload: &payload };
            let mut buf = vec![0u8; r.buffer_len()];
            r.emit(&mut Packet::new_unchecked(&mut buf[..]), &pseudo);
            let p = Packet::new_checked(&buf[..]).unwrap();
            prop_assert_eq!(p.verify_checksum(&pseudo), ChecksumStatus::Good);
            prop_assert_eq!(Repr::parse(&p).unwrap(), r);
        }
    }
}
