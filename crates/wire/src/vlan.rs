//! IEEE 802.1Q / 802.1ad VLAN tags, which may be stacked (Q-in-Q).

use core::fmt;

use crate::error::{Layer, Result};
use crate::ethernet::EtherType;
use crate::field::{bits16, set_bits16, set_u16, u16_at};

/// Field table of one VLAN tag (the 4 bytes after the 0x8100 / 0x88a8 EtherType).
pub mod field {
    field_table! {
        PCP = "vlan.priority", 0, 2, 0xe000, Kind::Number, "Priority",
            "Priority code point, 0 (best effort) to 7, used for queueing (IEEE 802.1Q §6.9.3).";
        DEI = "vlan.dei", 0, 2, 0x1000, Kind::Flag, "DEI",
            "Drop eligible indicator: this frame may be dropped first under congestion (IEEE 802.1Q §6.9.3).";
        VID = "vlan.id", 0, 2, 0x0fff, Kind::Number, "VLAN ID",
            "The virtual LAN the frame belongs to, 1 to 4094; 0 means priority tag only (IEEE 802.1Q §9.6).";
        TYPE = "vlan.etype", 2, 2, 0, crate::ethernet::EtherType::KIND, "EtherType",
            "Protocol of what follows the tag, another tag when stacked (IEEE 802.1Q §9.5).";
    }
}

pub use field::HEADER_LEN;
use field::{DEI, PCP, TYPE, VID};

packet_view! {
    /// A view of one VLAN tag.
    Packet, fixed HEADER_LEN, Layer::Vlan
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Priority code point.
    pub fn pcp(&self) -> u8 {
        bits16(self.buffer.as_ref(), PCP) as u8
    }

    /// Drop eligible indicator.
    pub fn dei(&self) -> bool {
        bits16(self.buffer.as_ref(), DEI) != 0
    }

    /// VLAN identifier.
    pub fn vid(&self) -> u16 {
        bits16(self.buffer.as_ref(), VID)
    }

    /// Type of what follows.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(u16_at(self.buffer.as_ref(), TYPE))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Bytes after the tag.
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the priority code point (3 bits).
    pub fn set_pcp(&mut self, v: u8) {
        set_bits16(self.buffer.as_mut(), PCP, v.into());
    }

    /// Sets the drop eligible indicator.
    pub fn set_dei(&mut self, v: bool) {
        set_bits16(self.buffer.as_mut(), DEI, v.into());
    }

    /// Sets the VLAN identifier (12 bits).
    pub fn set_vid(&mut self, v: u16) {
        set_bits16(self.buffer.as_mut(), VID, v);
    }

    /// Sets the inner EtherType.
    pub fn set_ethertype(&mut self, t: EtherType) {
        set_u16(self.buffer.as_mut(), TYPE, t.into());
    }
}

/// A decoded VLAN tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Repr {
    /// Priority code point, 0..=7.
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier, 0..=4095.
    pub vid: u16,
    /// Type of what follows, as the raw number.
    pub ethertype: u16,
}

impl Repr {
    /// Decodes a tag.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> Result<Repr> {
        p.check_len()?;
        Ok(Repr {
            pcp: p.pcp(),
            dei: p.dei(),
            vid: p.vid(),
            ethertype: p.ethertype().into(),
        })
    }

    /// Length `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the tag; values wider than their field are cut to it.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) {
        p.set_pcp(self.pcp);
        p.set_dei(self.dei);
        p.set_vid(self.vid);
        p.set_ethertype(EtherType::from(self.ethertype));
    }
}

impl fmt::Display for Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "VLAN {} pcp {}{} type {}",
            self.vid,
            self.pcp,
            if self.dei { " DEI" } else { "" },
            EtherType::from(self.ethertype)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        crate::field::table_check::check(field::FIELDS, "vlan.", HEADER_LEN);
    }

    // Hand-made: the loopback test machine has no VLANs. PCP 5, DEI 0, VID 100, then IPv4.
    static TAG: [u8; 4] = [0xa0, 0x64, 0x08, 0x00];

    #[test]
    fn deconstruct_and_construct() {
        let p = Packet::new_checked(&TAG[..]).unwrap();
        assert_eq!(
            (p.pcp(), p.dei(), p.vid(), p.ethertype()),
            (5, false, 100, EtherType::Ipv4)
        );
        let repr = Repr::parse(&p).unwrap();
        let mut buf = [0u8; 4];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, TAG);
        assert!(Packet::new_checked(&TAG[..3]).is_err());
    }

    proptest::proptest! {
        #[test]
        fn round_trip(pcp in 0u8..8, dei: bool, vid in 0u16..4096, et: u16) {
            let repr = Repr { pcp, dei, vid, ethertype: et };
            let mut buf = [0u8; 4];
            repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
            proptest::prop_assert_eq!(Repr::parse(&Packet::new_unchecked(&buf[..])).unwrap(), repr);
        }
    }
}
