//! A field's value from its bytes, typed for printing, and what a value means where the number
//! alone says little (protocol numbers, ICMP types, TCP options).

use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, Ipv6Addr};

use wire::FieldDef;

/// A field's value as its type asks it to be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Number(u32),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    Mac([u8; 6]),
    Bytes(Vec<u8>),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Number(n) => write!(f, "{n}"),
            Value::Ipv4(a) => write!(f, "{a}"),
            Value::Ipv6(a) => write!(f, "{a}"),
            Value::Mac(m) => write!(
                f,
                "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                m[0], m[1], m[2], m[3], m[4], m[5]
            ),
            Value::Bytes(b) => f.write_str(&hex(b)),
        }
    }
}

/// Fields holding an address: the table's names follow Wireshark's, whose address fields end
/// in these words.
fn is_address(name: &str) -> bool {
    [".src", ".dst", ".addr", "_ipv4", "_mac", ".src.eth"]
        .iter()
        .any(|end| name.ends_with(end))
}

/// Option entries: kind, length and data, shown whole.
fn is_option(name: &str) -> bool {
    name.starts_with("tcp.option") || name.starts_with("ip.opt")
}

/// The value of `field` read from `bytes` (the field's own bytes), `None` if not captured.
pub fn read(field: &FieldDef, bytes: &[u8]) -> Value {
    if is_option(field.name) {
        return Value::Bytes(bytes.to_vec());
    }
    match (bytes.len(), is_address(field.name)) {
        (4, true) => Value::Ipv4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
        (16, true) => Value::Ipv6(Ipv6Addr::from(
            <[u8; 16]>::try_from(bytes).unwrap_or([0; 16]),
        )),
        (6, true) => Value::Mac(<[u8; 6]>::try_from(bytes).unwrap_or([0; 6])),
        (1..=4, _) => {
            let raw = bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
            Value::Number(if field.mask == 0 {
                raw
            } else {
                (raw & field.mask) >> field.mask.trailing_zeros()
            })
        }
        _ => Value::Bytes(bytes.to_vec()),
    }
}

/// What a value stands for, where a name says more than the number.
pub fn annotation(field: &FieldDef, value: &Value) -> Option<String> {
    let Value::Number(n) = *value else {
        return None;
    };
    let byte = n as u8;
    let name = match field.name {
        "eth.type" | "vlan.etype" | "sll.etype" | "arp.proto.type" => {
            wire::ethernet::EtherType::from(n as u16).to_string()
        }
        "ip.proto" | "ipv6.nxt" | "ipv6.hopopts.nxt" | "ipv6.dstopts.nxt" | "ipv6.routing.nxt"
        | "ipv6.fragment.nxt" => wire::IpProtocol::from(byte).to_string(),
        "icmp.type" => wire::icmpv4::Message::from(byte).to_string(),
        "icmpv6.type" => wire::icmpv6::Message::from(byte).to_string(),
        "arp.opcode" => wire::arp::Operation::from(n as u16).to_string(),
        "ip.hdr_len" | "tcp.hdr_len" => format!("{} bytes", n * 4),
        "ip.frag_offset" | "ipv6.fragment.offset" => format!("{} bytes", n * 8),
        "ip.version" | "ipv6.version" | "ip.ttl" | "ipv6.hlim" | "ip.len" | "ipv6.plen"
        | "udp.length" | "tcp.srcport" | "tcp.dstport" | "udp.srcport" | "udp.dstport" => {
            return None
        }
        _ if field.mask != 0 && field.mask.count_ones() == 1 => {
            return Some(if n == 1 { "set" } else { "not set" }.to_owned())
        }
        _ => return None,
    };
    Some(name)
}

/// The value as the printers show it: hex where the number is a code or a checksum, with its
/// name or unit after it, and for checksums the verdict.
pub fn show(field: &FieldDef, value: &Value, checksum: Option<wire::ChecksumStatus>) -> String {
    if let Value::Bytes(bytes) = value {
        if field.name.starts_with("tcp.option") {
            if let Ok((_, option)) = wire::tcp::TcpOption::parse(bytes, 0) {
                return tcp_option_text(&option);
            }
        }
    }
    let mut text = match value {
        Value::Number(n) if shows_as_hex(field.name) => {
            format!("{n:#0width$x}", width = 2 + 2 * field.len)
        }
        other => other.to_string(),
    };
    if let Some(note) = annotation(field, value) {
        let _ = write!(text, " ({note})");
    }
    if field.name.ends_with("checksum") {
        if let Some(status) = checksum {
            let _ = write!(text, " [{status}]");
        }
    }
    text
}

fn shows_as_hex(name: &str) -> bool {
    name.ends_with("checksum")
        || matches!(
            name,
            "eth.type"
                | "vlan.etype"
                | "sll.etype"
                | "arp.proto.type"
                | "arp.hw.type"
                | "sll.hatype"
                | "ip.id"
                | "ipv6.flow"
                | "null.family"
                | "ip.opt.type"
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
pub fn bit_picture(field: &FieldDef, bytes: &[u8]) -> Option<String> {
    if field.mask == 0 {
        return None;
    }
    let bits = bytes.len() * 8;
    let raw = bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let mut out = String::with_capacity(bits + bits / 4);
    for i in (0..bits).rev() {
        let bit = 1u32 << i;
        out.push(if field.mask & bit == 0 {
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
    use wire::ipv4::field as ip;

    #[test]
    fn values_take_their_field_type() {
        assert_eq!(read(&ip::SRC, &[127, 0, 0, 1]).to_string(), "127.0.0.1");
        assert_eq!(read(&ip::TTL, &[64]), Value::Number(64));
        assert_eq!(read(&ip::IHL, &[0x45]), Value::Number(5));
        assert_eq!(read(&ip::FLAG_DF, &[0x40, 0x00]), Value::Number(1));
        assert_eq!(
            read(&wire::ethernet::field::SRC, &[2, 0, 0, 0, 0, 1]).to_string(),
            "02:00:00:00:00:01"
        );
    }

    #[test]
    fn numbers_are_named_where_a_name_helps() {
        assert_eq!(
            annotation(&ip::PROTOCOL, &Value::Number(6)).as_deref(),
            Some("TCP")
        );
        assert_eq!(
            annotation(&ip::IHL, &Value::Number(5)).as_deref(),
            Some("20 bytes")
        );
        assert_eq!(
            annotation(&ip::FLAG_DF, &Value::Number(1)).as_deref(),
            Some("set")
        );
        assert_eq!(annotation(&ip::TTL, &Value::Number(64)), None);
    }

    #[test]
    fn bits_are_drawn_under_their_mask() {
        assert_eq!(bit_picture(&ip::IHL, &[0x45]).as_deref(), Some(".... 0101"));
        assert_eq!(
            bit_picture(&ip::VERSION, &[0x45]).as_deref(),
            Some("0100 ....")
        );
        assert_eq!(bit_picture(&ip::TTL, &[64]), None);
    }
}
