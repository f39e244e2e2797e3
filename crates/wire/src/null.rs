//! BSD loopback headers: LINKTYPE_NULL (0, address family in the capturing host's byte order)
//! and LINKTYPE_LOOP (108, network byte order), as in pcaps taken on `lo0` of macOS or BSD.

use core::fmt;

use crate::error::{Layer, Result};

/// Field table of the 4-byte loopback header.
pub mod field {
    field_table! {
        FAMILY = "null.family", 0, 4, 0, Kind::Hex, "Family",
            "Address family of the payload: 2 IPv4; 24, 28 or 30 IPv6 depending on the BSD (libpcap LINKTYPE_NULL).";
    }
}

pub use field::HEADER_LEN;

/// BSD loopback in the link registry.
pub static LINK: crate::link::LinkDef = crate::link::LinkDef {
    title: "BSD loopback",
    key: "null",
    consumer: "not on the wire: the BSD loopback driver's address family",
    parse: parse_link,
    walk: |_, f| crate::link::walk_table(field::FIELDS, f),
};

fn parse_link(frame: &[u8]) -> Result<crate::link::Parsed> {
    use crate::link::Next;
    let p = Packet::new_checked(frame)?;
    let next = match p.family() {
        Family::Ipv4 => Next::Ipv4,
        Family::Ipv6 => Next::Ipv6,
        Family::Unknown(_) => Next::Undecoded,
    };
    Ok(crate::link::Parsed {
        len: HEADER_LEN,
        next,
    })
}

/// What a loopback header announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// AF_INET.
    Ipv4,
    /// AF_INET6 (24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS).
    Ipv6,
    /// Anything else, normalised to host-independent value.
    Unknown(u32),
}

impl Family {
    /// Classifies a family number already put in the right byte order.
    pub fn from_value(v: u32) -> Family {
        match v {
            2 => Family::Ipv4,
            24 | 28 | 30 => Family::Ipv6,
            other => Family::Unknown(other),
        }
    }
}

packet_view! {
    /// A view of a loopback header.
    Packet, fixed HEADER_LEN, Layer::Null
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// The address family number. LINKTYPE_NULL stores it in the byte order of the host that
    /// captured, which the file does not record; family numbers are small, so whichever order
    /// leaves the high half zero is the right one.
    pub fn family_value(&self) -> u32 {
        let b = self.buffer.as_ref();
        let be = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        if be & 0xffff_0000 != 0 {
            be.swap_bytes()
        } else {
            be
        }
    }

    /// The address family.
    pub fn family(&self) -> Family {
        Family::from_value(self.family_value())
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Bytes after the header.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

/// A decoded loopback header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Repr {
    /// Family number in host-independent form.
    pub family: u32,
}

impl Repr {
    /// Decodes a header.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        Ok(Repr {
            family: p.family_value(),
        })
    }

    /// Header length.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header in little-endian order, as LINKTYPE_NULL files from x86 and ARM hosts
    /// hold it.
    pub fn emit(&self, buf: &mut [u8]) {
        buf[..4].copy_from_slice(&self.family.to_le_bytes());
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match Family::from_value(self.family) {
            Family::Ipv4 => f.write_str("Loopback AF_INET"),
            Family::Ipv6 => write!(f, "Loopback AF_INET6 ({})", self.family),
            Family::Unknown(v) => write!(f, "Loopback family {v}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "null.", HEADER_LEN);
    }

    // Hand-made: macOS writes AF_INET as 02 00 00 00 (little endian) and AF_INET6 as 30; LOOP
    // files write it big-endian.
    #[test]
    fn both_byte_orders() {
        assert_eq!(
            Packet::new_unchecked(&[2u8, 0, 0, 0][..]).family(),
            Family::Ipv4
        );
        assert_eq!(
            Packet::new_unchecked(&[0u8, 0, 0, 2][..]).family(),
            Family::Ipv4
        );
        assert_eq!(
            Packet::new_unchecked(&[30u8, 0, 0, 0][..]).family(),
            Family::Ipv6
        );
        assert_eq!(
            Packet::new_unchecked(&[0u8, 0, 0, 24][..]).family(),
            Family::Ipv6
        );
        assert_eq!(
            Packet::new_unchecked(&[0u8, 0, 0, 7][..]).family(),
            Family::Unknown(7)
        );
        assert!(Packet::new_checked(&[2u8, 0, 0][..]).is_err());
        let mut buf = [0u8; 4];
        Repr { family: 30 }.emit(&mut buf);
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&buf[..]))
                .unwrap()
                .family,
            30
        );
    }
}
