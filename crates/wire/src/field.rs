//! One table per header: every field's name, place, mask and meaning, written once.
//!
//! Getters read through these constants, printers label bytes from them, and the explain
//! output quotes `meaning`, so a field's offset and its description can never disagree.

/// What a field holds, so a printer knows how to show it without knowing the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A count, length, port or small number: decimal.
    Number,
    /// An identifier or type code best read in hex (IP ID, flow label, hardware type).
    Hex,
    /// One bit: set or not set.
    Flag,
    /// A length or offset counted in `unit`-byte units; `shown_in_bytes` when Wireshark's
    /// field of this name gives bytes rather than the units on the wire.
    Units {
        /// Bytes per unit.
        unit: u8,
        /// Wireshark's value is `units × unit`.
        shown_in_bytes: bool,
    },
    /// A number counted in steps of `times / per` of `unit` (radiotap's rate, in 500 kb/s):
    /// Wireshark's field of this name gives the scaled value, `12` on the wire being 6 Mb/s.
    Scaled {
        /// Numerator of one step in `unit`.
        times: u32,
        /// Denominator of one step in `unit`.
        per: u32,
        /// The unit of the scaled value, as printed after it.
        unit: &'static str,
    },
    /// A number with registered names (EtherType, IP protocol, ICMP type): `names` lists
    /// them, `hex` says whether the number itself reads in hex.
    Code {
        /// Shown as `0x0800` rather than `2048`.
        hex: bool,
        /// Value and name, for every value with a name.
        names: &'static [(u32, &'static str)],
    },
    /// A number stored least significant byte first (radiotap, NFLOG and PKTAP headers, which
    /// use the capturing host's order); `hex` says whether it reads in hex. A mask applies to
    /// the value read least significant byte first, as the protocol's bit numbering does.
    LittleEndian {
        /// Shown as `0x002f` rather than `47`.
        hex: bool,
    },
    /// A two's-complement signed number (radiotap's dBm fields): decimal with its sign.
    Signed {
        /// Stored least significant byte first.
        little_endian: bool,
    },
    /// A string in a fixed-size or NUL-terminated field (PKTAP's interface and command
    /// names): the text before the first NUL; the padding after it is not part of the value.
    Text,
    /// An Internet checksum, which the decoder judges.
    Checksum,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A 6-byte MAC address.
    Mac,
    /// Bytes with no finer structure here: shown in hex.
    Bytes,
    /// A type-length-value option, typed by its protocol (TCP options, IPv4 options).
    Option,
}

impl Kind {
    /// `value` in a [`Kind::Scaled`] field's unit, as few digits as it needs (`5.5`, `6`);
    /// `None` for other kinds.
    pub fn scaled(&self, value: u64) -> Option<f64> {
        match self {
            Kind::Scaled { times, per, .. } => {
                Some(value as f64 * f64::from(*times) / f64::from(*per))
            }
            _ => None,
        }
    }

    /// The name of `value` in a [`Kind::Code`] field.
    pub fn name_of(&self, value: u64) -> Option<&'static str> {
        match self {
            Kind::Code { names, .. } => names
                .iter()
                .find(|(v, _)| u64::from(*v) == value)
                .map(|(_, n)| *n),
            _ => None,
        }
    }
}

/// One header field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// Wireshark display-filter name (`ip.ttl`, `tcp.flags.syn`), also used as the JSON key.
    pub name: &'static str,
    /// Offset of the field's first byte from the start of its header.
    pub at: usize,
    /// Number of bytes the field touches.
    pub len: usize,
    /// For sub-byte fields, the bits of the value of `len` bytes that belong to it (read
    /// big-endian, or least significant byte first for [`Kind::LittleEndian`]); `0` means the
    /// field is whole bytes.
    pub mask: u32,
    /// What the value is, which decides how it is typed and shown.
    pub kind: Kind,
    /// Short label for explain output and error messages.
    pub label: &'static str,
    /// One sentence for a learner, citing the defining RFC section.
    pub meaning: &'static str,
}

impl FieldDef {
    /// Byte range of the field inside its header.
    pub const fn range(&self) -> core::ops::Range<usize> {
        self.at..self.at + self.len
    }

    /// First byte past the field.
    pub const fn end(&self) -> usize {
        self.at + self.len
    }

    /// The same field placed `base` bytes further, for headers whose position is only known
    /// while decoding (options, extension headers).
    pub const fn shifted(&self, base: usize) -> FieldDef {
        FieldDef {
            at: self.at + base,
            ..*self
        }
    }

    /// Reads the field's value from `header` (the bytes starting at the header's first byte),
    /// masked and shifted down. Fields wider than 4 bytes (addresses) read as 0; use the
    /// typed getter for those. Returns `None` when `header` is too short.
    pub fn read(&self, header: &[u8]) -> Option<u32> {
        let bytes = header.get(self.range())?;
        if self.len > 4 {
            return Some(0);
        }
        let raw = bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        Some(self.apply_mask(raw))
    }

    const fn apply_mask(&self, raw: u32) -> u32 {
        if self.mask == 0 {
            raw
        } else {
            (raw & self.mask) >> self.mask.trailing_zeros()
        }
    }
}

/// Defines a header's fields as `pub const` items plus a `FIELDS` table in wire order and
/// `HEADER_LEN` taken from the last entry.
macro_rules! field_table {
    (
        $(
            $(#[$attr:meta])*
            $konst:ident = $name:literal, $at:expr, $len:expr, $mask:expr, $kind:expr, $label:literal, $meaning:literal;
        )+
    ) => {
        #[allow(unused_imports)]
        use $crate::field::Kind;
        $(
            $(#[$attr])*
            #[doc = concat!("`", $name, "`: ", $meaning)]
            pub const $konst: $crate::field::FieldDef = $crate::field::FieldDef {
                name: $name,
                at: $at,
                len: $len,
                mask: $mask,
                kind: $kind,
                label: $label,
                meaning: $meaning,
            };
        )+

        /// Every fixed field of this header, in wire order.
        pub const FIELDS: &[$crate::field::FieldDef] = &[$($konst),+];

        /// Length of the fixed header: the end of the last field.
        pub const HEADER_LEN: usize = FIELDS[FIELDS.len() - 1].end();
    };
}

#[inline]
pub(crate) fn u8_at(buf: &[u8], f: FieldDef) -> u8 {
    buf[f.at]
}

#[inline]
pub(crate) fn u16_at(buf: &[u8], f: FieldDef) -> u16 {
    // One range check instead of one per byte; the conversion cannot fail after it.
    let mut b = [0u8; 2];
    b.copy_from_slice(&buf[f.at..f.at + 2]);
    u16::from_be_bytes(b)
}

#[inline]
pub(crate) fn u32_at(buf: &[u8], f: FieldDef) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&buf[f.at..f.at + 4]);
    u32::from_be_bytes(b)
}

#[inline]
pub(crate) fn bits8(buf: &[u8], f: FieldDef) -> u8 {
    (u32::from(buf[f.at]) & f.mask).wrapping_shr(f.mask.trailing_zeros()) as u8
}

#[inline]
pub(crate) fn bits16(buf: &[u8], f: FieldDef) -> u16 {
    (u32::from(u16_at(buf, f)) & f.mask).wrapping_shr(f.mask.trailing_zeros()) as u16
}

#[inline]
pub(crate) fn set_u8(buf: &mut [u8], f: FieldDef, v: u8) {
    buf[f.at] = v;
}

#[inline]
pub(crate) fn set_u16(buf: &mut [u8], f: FieldDef, v: u16) {
    buf[f.at..f.at + 2].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn set_u32(buf: &mut [u8], f: FieldDef, v: u32) {
    buf[f.at..f.at + 4].copy_from_slice(&v.to_be_bytes());
}

#[inline]
pub(crate) fn set_bits8(buf: &mut [u8], f: FieldDef, v: u8) {
    let shift = f.mask.trailing_zeros();
    let mask = f.mask as u8;
    buf[f.at] = (buf[f.at] & !mask) | ((u32::from(v) << shift) as u8 & mask);
}

#[inline]
pub(crate) fn set_bits16(buf: &mut [u8], f: FieldDef, v: u16) {
    let shift = f.mask.trailing_zeros();
    let mask = f.mask as u16;
    let old = u16_at(buf, f);
    set_u16(
        buf,
        f,
        (old & !mask) | ((u32::from(v) << shift) as u16 & mask),
    );
}

#[cfg(test)]
pub(crate) mod table_check {
    use super::FieldDef;

    /// A field's kind must fit its size: one bit for a flag, the address's width for an
    /// address, at most 8 bytes for anything read as a number, and at most the mask's 4 bytes
    /// for a number split by a mask.
    pub(crate) fn kind_fits(f: &FieldDef) {
        use super::Kind;
        let number = f.len <= 8 && (f.mask == 0 || f.len <= 4);
        let fits = match f.kind {
            Kind::Flag => f.mask.count_ones() == 1,
            Kind::Ipv4 => f.len == 4 && f.mask == 0,
            Kind::Ipv6 => f.len == 16 && f.mask == 0,
            Kind::Mac => f.len == 6 && f.mask == 0,
            Kind::Number
            | Kind::Hex
            | Kind::Units { .. }
            | Kind::Scaled { .. }
            | Kind::Code { .. }
            | Kind::Checksum
            | Kind::LittleEndian { .. } => number && f.mask.count_ones() != 1,
            Kind::Signed { .. } => number && f.mask == 0,
            Kind::Bytes | Kind::Option | Kind::Text => f.mask == 0,
        };
        assert!(
            fits,
            "{}: kind {:?} does not fit {} bytes, mask {:#x}",
            f.name, f.kind, f.len, f.mask
        );
    }

    /// Checks a field table: names unique and carrying `prefix`, entries in wire order, and
    /// every byte of `0..header_len` covered exactly once (sub-byte fields sharing bytes must
    /// split their masks without overlap and together fill them).
    pub(crate) fn check(fields: &[FieldDef], prefix: &str, header_len: usize) {
        let mut names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        for f in fields {
            assert!(
                f.name.starts_with(prefix),
                "{} lacks prefix {prefix}",
                f.name
            );
            assert!(
                !f.meaning.is_empty() && !f.label.is_empty(),
                "{} undocumented",
                f.name
            );
            assert!(f.len > 0, "{} is empty", f.name);
            kind_fits(f);
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            fields.len(),
            "duplicate names in {prefix} table"
        );

        let mut pos = 0;
        let mut i = 0;
        while i < fields.len() {
            let f = fields[i];
            assert_eq!(
                f.at, pos,
                "{} starts at {} but previous field ends at {pos}",
                f.name, f.at
            );
            if f.mask == 0 {
                pos = f.end();
                i += 1;
                continue;
            }
            // A run of masked fields over the same bytes.
            let mut seen = 0u32;
            while i < fields.len() && fields[i].at == f.at && fields[i].mask != 0 {
                assert_eq!(
                    fields[i].len, f.len,
                    "{} width differs within its byte",
                    fields[i].name
                );
                assert_eq!(
                    seen & fields[i].mask,
                    0,
                    "{} overlaps a sibling",
                    fields[i].name
                );
                seen |= fields[i].mask;
                i += 1;
            }
            let full = if f.len >= 4 {
                u32::MAX
            } else {
                (1u32 << (8 * f.len)) - 1
            };
            assert_eq!(seen, full, "bits at byte {} not covered exactly", f.at);
            pos = f.end();
        }
        assert_eq!(pos, header_len, "{prefix} table does not end at HEADER_LEN");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_masks_and_shifts() {
        let f = FieldDef {
            name: "x",
            at: 1,
            len: 2,
            mask: 0x1ff0,
            kind: Kind::Number,
            label: "x",
            meaning: "x",
        };
        assert_eq!(f.read(&[0, 0x12, 0x34]), Some(0x123));
        assert_eq!(f.read(&[0, 0x12]), None);
        assert_eq!(f.shifted(10).at, 11);
    }

    #[test]
    fn scaled_values_in_their_unit() {
        let rate = Kind::Scaled {
            times: 1,
            per: 2,
            unit: "Mb/s",
        };
        assert_eq!(
            rate.scaled(11).map(|v| v.to_string()).as_deref(),
            Some("5.5")
        );
        assert_eq!(rate.scaled(12).map(|v| v.to_string()).as_deref(), Some("6"));
        assert_eq!(Kind::Number.scaled(12), None);
    }
}
