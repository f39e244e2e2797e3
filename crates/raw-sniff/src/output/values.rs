//! A field's value as the printers show it. The walk in `wire` types each value by its field's
//! kind; this file only decides how each kind reads: numbers in decimal or hex, a code with its
//! name, a length with its unit, a flag as set or not, a checksum with its verdict.

use std::fmt::Write as _;

use wire::field::Kind;
use wire::layout::{Field, Value};

/// The value as the printers show it: hex where the number is a code or a checksum, with its
/// name or unit after it, and for checksums the verdict.
pub fn show(field: &Field<'_>) -> String {
    let def = &field.def;
    let n = match field.value {
        Value::Number(n) => n,
        Value::Signed(n) => return n.to_string(),
        Value::Text(t) => return text(t),
        Value::Ipv4(a) => return a.to_string(),
        Value::Ipv6(a) => return a.to_string(),
        Value::Mac(m) => return mac(&m),
        Value::TcpOption(option) => return tcp_option_text(&option),
        Value::Ipv4Option(_) | Value::Bytes(_) => return hex(field.bytes),
    };
    let mut text = match def.kind {
        Kind::Hex
        | Kind::Checksum
        | Kind::Code { hex: true, .. }
        | Kind::LittleEndian { hex: true } => {
            format!("{n:#0width$x}", width = 2 + 2 * def.len)
        }
        _ => n.to_string(),
    };
    match def.kind {
        Kind::Code { .. } => match def.kind.name_of(n) {
            Some(name) => {
                let _ = write!(text, " ({name})");
            }
            None => {
                let _ = write!(text, " (unknown ({n}))");
            }
        },
        Kind::Units { unit, .. } => {
            let _ = write!(text, " ({} bytes)", n * u64::from(unit));
        }
        Kind::Scaled { unit, .. } => {
            if let Some(v) = def.kind.scaled(n) {
                let _ = write!(text, " ({v} {unit})");
            }
        }
        Kind::Flag => text.push_str(if n == 1 { " (set)" } else { " (not set)" }),
        Kind::Checksum => {
            if let Some(status) = field.checksum {
                let _ = write!(text, " [{status}]");
            }
        }
        _ => {}
    }
    text
}

/// A text field as is where every character prints, else quoted with Rust's escapes
/// (`"a\tb"`, `"\xff"`, `""`), so control characters, bytes that are not UTF-8 and an
/// empty name stay visible.
pub fn text(t: &[u8]) -> String {
    match std::str::from_utf8(t) {
        Ok(s) if !s.is_empty() && !s.chars().any(char::is_control) => s.to_owned(),
        Ok(s) => format!("{s:?}"),
        Err(_) => format!("\"{}\"", t.escape_ascii()),
    }
}

/// A MAC address as `02:00:00:00:00:01`.
pub fn mac(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

/// A TCP option as tcpdump words it: `mss 1460`, `sackOK`, `TS val 1 ecr 0`, `wscale 7`.
pub fn tcp_option_text(option: &wire::tcp::TcpOption<'_>) -> String {
    use wire::tcp::TcpOption;
    match option {
        TcpOption::EndOfList => "eol".to_owned(),
        TcpOption::Nop => "nop".to_owned(),
        TcpOption::Mss(v) => format!("mss {v}"),
        TcpOption::WindowScale(v) => format!("wscale {v}"),
        TcpOption::SackPermitted => "sackOK".to_owned(),
        TcpOption::Sack(blocks) => {
            let mut out = "sack".to_owned();
            for (left, right) in blocks.iter().flatten() {
                let _ = write!(out, " {{{left}:{right}}}");
            }
            out
        }
        TcpOption::Timestamps { value, echo } => format!("TS val {value} ecr {echo}"),
        TcpOption::Unknown { kind, data } => format!("opt-{kind}:{}", hex(data)),
    }
}

/// Lower-case hex without separators.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A sub-byte field's bits as Wireshark shows them: `.... 0101` for the low nibble of a byte.
///
/// A little-endian field's bits are drawn in the order of its value, most significant first,
/// not in wire order: its mask applies to that value, and Wireshark draws 802.11 sequence
/// control so (`0000 0101 0111 .... = Sequence number: 87` over the bytes `70 05`), which
/// keeps each part's bits together where wire order would split the sequence number.
pub fn bit_picture(field: &Field<'_>) -> Option<String> {
    let bytes = field.bytes;
    let mask = field.def.mask;
    if mask == 0 {
        return None;
    }
    let bits = bytes.len() * 8;
    let fold = |acc: u32, b: &u8| (acc << 8) | u32::from(*b);
    let raw = match field.def.kind {
        Kind::LittleEndian { .. } => bytes.iter().rev().fold(0, fold),
        _ => bytes.iter().fold(0, fold),
    };
    let mut out = String::with_capacity(bits + bits / 4);
    for i in (0..bits).rev() {
        let bit = 1u32 << i;
        out.push(if mask & bit == 0 {
            '.'
        } else if raw & bit != 0 {
            '1'
        } else {
            '0'
        });
        if i % 4 == 0 && i != 0 {
            out.push(' ');
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wire::layout::{Checksums, Item};

    /// The fields of a frame as the printers get them.
    fn fields(frame: &[u8]) -> Vec<Field<'_>> {
        let d = wire::decode(wire::LinkType::Raw, frame);
        let mut out = Vec::new();
        d.walk(Checksums::Judge, |item| {
            if let Item::Field(f) = item {
                out.push(f);
            }
        });
        out
    }

    #[test]
    fn each_kind_reads_as_it_should() {
        // An IPv4 header (DF, TTL 64, UDP) from 127.0.0.1 to 127.0.0.1 with an 8-byte datagram.
        let mut ip = vec![
            0x45, 0, 0, 28, 0x1c, 0x46, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1, 0, 7, 0,
            7, 0, 8, 0, 0,
        ];
        wire::ipv4::Packet::new_unchecked(&mut ip[..]).fill_checksum();
        let shown: Vec<(&str, String)> =
            fields(&ip).iter().map(|f| (f.def.name, show(f))).collect();
        let get = |name: &str| shown.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("ip.src"), "127.0.0.1");
        assert_eq!(get("ip.ttl"), "64");
        assert_eq!(get("ip.hdr_len"), "5 (20 bytes)");
        assert_eq!(get("ip.flags.df"), "1 (set)");
        assert_eq!(get("ip.flags.mf"), "0 (not set)");
        assert_eq!(get("ip.proto"), "17 (UDP)");
        assert_eq!(get("ip.id"), "0x1c46");
        assert!(
            get("ip.checksum").ends_with("[good]"),
            "{}",
            get("ip.checksum")
        );
    }

    /// 802.11 sequence control `73 05` is the little-endian 0x0573: fragment 3, sequence 87,
    /// drawn as Wireshark draws them.
    #[test]
    fn little_endian_bits_are_drawn_in_value_order() {
        let mut frame = [0u8; 24];
        frame[0] = 0x40; // probe request: management, no body needed
        frame[22..24].copy_from_slice(&[0x73, 0x05]);
        let d = wire::decode(wire::LinkType::Ieee80211, &frame);
        let mut seen = Vec::new();
        d.walk(Checksums::Judge, |item| {
            if let Item::Field(f) = item {
                if f.def.name == "wlan.frag" || f.def.name == "wlan.seq" {
                    seen.push((f.def.name, show(&f), bit_picture(&f).unwrap()));
                }
            }
        });
        assert_eq!(
            seen,
            [
                (
                    "wlan.frag",
                    "3".to_owned(),
                    ".... .... .... 0011".to_owned()
                ),
                (
                    "wlan.seq",
                    "87".to_owned(),
                    "0000 0101 0111 ....".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn text_prints_as_is_or_quoted() {
        assert_eq!(text(b"en0"), "en0");
        assert_eq!(text(b""), "\"\"");
        assert_eq!(text(b"a\tb"), "\"a\\tb\"");
        assert_eq!(text(b"\xffz"), "\"\\xffz\"");
        assert_eq!(text("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

    #[test]
    fn bits_are_drawn_under_their_mask() {
        let ip = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8,
        ];
        let f = fields(&ip);
        assert_eq!(bit_picture(&f[0]).as_deref(), Some("0100 ...."));
        assert_eq!(bit_picture(&f[1]).as_deref(), Some(".... 0101"));
        let ttl = f.iter().find(|f| f.def.name == "ip.ttl").unwrap();
        assert_eq!(bit_picture(ttl), None);
    }
}
