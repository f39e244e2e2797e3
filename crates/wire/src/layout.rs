//! Where every byte of a decoded frame belongs: [`Decoded::walk`] reports each header
//! field (fixed fields from the protocols' tables, options and extension headers as decoded)
//! at its absolute offset, then the payload and any trailer, so an explain printer can label
//! every byte exactly once without parsing anything itself.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::checksum::ChecksumStatus;
use crate::decode::{Decoded, Network, Transport};
use crate::field::{FieldDef, Kind};
use crate::{arp, icmpv4, icmpv6, ipv4, ipv6, tcp, udp, vlan};

/// Bytes after the last decoded header.
pub const PAYLOAD: FieldDef = FieldDef {
    name: "data",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Payload",
    meaning: "Bytes after the last decoded header: application data, or what could not be decoded (see the stop reason).",
};

/// Bytes after the network packet's stated length.
pub const TRAILER: FieldDef = FieldDef {
    name: "eth.trailer",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Padding",
    meaning: "Bytes past the IP packet's length: Ethernet pads frames to 60 bytes (IEEE 802.3 §3.2.8), some NICs add trailers.",
};

/// Bytes inside the IP packet after the end the transport header states.
pub const BEYOND_LENGTH: FieldDef = FieldDef {
    name: "data.beyond_length",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Past the datagram",
    meaning: "Bytes inside the IP packet but after the end the UDP length field states: not part of the datagram, so no application receives them (RFC 768).",
};

/// Option bytes that do not parse.
const BAD_OPTIONS: FieldDef = FieldDef {
    name: "options.malformed",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Malformed options",
    meaning: "Option bytes whose type/length structure is broken; shown raw.",
};

/// The part of an extension header after its fixed fields.
const EXT_DATA: FieldDef = FieldDef {
    name: "ipv6.ext.data",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Options / data",
    meaning: "The rest of an IPv6 extension header: option TLVs and padding, routing addresses, or authentication data (RFC 8200 §4).",
};

/// ARP with other than Ethernet/IPv4 address sizes.
const ARP_ADDRESSES: FieldDef = FieldDef {
    name: "arp.addresses",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Addresses",
    meaning: "Sender and target hardware and protocol addresses, sized by the two length fields (RFC 826).",
};

/// A header of the frame, as the walk enters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header<'a> {
    /// What a person calls it: "Ethernet II", "IPv4", "TCP".
    pub title: &'static str,
    /// Wireshark's protocol name, under which its fields are grouped (`eth`, `ip`): the key
    /// of the header's object in JSON output.
    pub key: &'static str,
    /// Who reads and removes it on a receiving host: the answer to "what does the kernel
    /// strip off before my socket sees the data?".
    pub consumer: &'static str,
    /// Offset of its first byte in the frame.
    pub offset: usize,
    /// Its bytes: the fixed part and any options or extension data.
    pub bytes: &'a [u8],
}

/// What part of the frame a field belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// A field of the header just entered, in its table or sized by it.
    Header,
    /// An option (TCP, IPv4), or option bytes that do not parse; options may repeat.
    Option,
    /// Bytes after the last decoded header.
    Payload,
    /// Bytes inside the IP packet after the end the transport header states.
    BeyondLength,
    /// Bytes after the network packet's stated length: padding or a trailer.
    Trailer,
}

/// A field's value, typed by its [`Kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Numbers, flags, codes, lengths in units and checksums: masked and shifted down.
    Number(u64),
    /// A [`Kind::Signed`] number.
    Signed(i64),
    /// A [`Kind::Text`] field's bytes before the first NUL.
    Text(&'a [u8]),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address.
    Ipv6(Ipv6Addr),
    /// A MAC address.
    Mac([u8; 6]),
    /// Bytes with no finer structure here.
    Bytes(&'a [u8]),
    /// A TCP option, parsed.
    TcpOption(tcp::TcpOption<'a>),
    /// An IPv4 option, parsed.
    Ipv4Option(ipv4::Ipv4Option<'a>),
}

impl<'a> Value<'a> {
    /// Reads a field's value from its own bytes as its kind says. A number kind wider than
    /// 8 bytes, or with no bytes, reads as bytes.
    pub fn read(def: &FieldDef, bytes: &'a [u8]) -> Value<'a> {
        match (def.kind, bytes.len()) {
            (Kind::Ipv4, 4) => Value::Ipv4(Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])),
            (Kind::Ipv6, 16) => {
                let mut a = [0u8; 16];
                a.copy_from_slice(bytes);
                Value::Ipv6(Ipv6Addr::from(a))
            }
            (Kind::Mac, 6) => {
                let mut a = [0u8; 6];
                a.copy_from_slice(bytes);
                Value::Mac(a)
            }
            (Kind::Text, _) => {
                let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
                Value::Text(&bytes[..end])
            }
            (Kind::Bytes | Kind::Option, _) | (_, 0 | 9..) => Value::Bytes(bytes),
            (Kind::Signed { little_endian }, n) => {
                // Sign-extend by moving the value's top bit to bit 63 and back.
                let unused = 64 - 8 * n as u32;
                Value::Signed(((unsigned(bytes, little_endian) << unused) as i64) >> unused)
            }
            (Kind::LittleEndian { .. }, _) => Value::Number(masked(def, unsigned(bytes, true))),
            _ => Value::Number(masked(def, unsigned(bytes, false))),
        }
    }
}

/// Up to 8 bytes as an unsigned number, most or least significant byte first.
fn unsigned(bytes: &[u8], little_endian: bool) -> u64 {
    let fold = |acc: u64, b: &u8| (acc << 8) | u64::from(*b);
    if little_endian {
        bytes.iter().rev().fold(0, fold)
    } else {
        bytes.iter().fold(0, fold)
    }
}

/// A field's bits of `raw`, shifted down; the whole of `raw` for a field without a mask.
fn masked(def: &FieldDef, raw: u64) -> u64 {
    if def.mask == 0 {
        raw
    } else {
        (raw & u64::from(def.mask)) >> def.mask.trailing_zeros()
    }
}

/// One field at its absolute place, with its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The field's table entry, placed at its absolute offset in the frame.
    pub def: FieldDef,
    /// Where it belongs.
    pub role: Role,
    /// Its bytes (shared with its siblings for sub-byte fields).
    pub bytes: &'a [u8],
    /// Its value.
    pub value: Value<'a>,
    /// For [`Kind::Checksum`] fields, the decoder's verdict.
    pub checksum: Option<ChecksumStatus>,
}

/// A fact about a header that no single field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    /// TCP: every flag bit, and the length of the segment's data.
    Tcp {
        /// The flags.
        flags: tcp::Flags,
        /// Bytes of data the segment carries.
        payload_len: usize,
    },
}

/// What the walk reports, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// A header begins; its fields follow.
    Header(Header<'a>),
    /// A field of the current header, or the payload, the bytes past the datagram or the
    /// trailer.
    Field(Field<'a>),
    /// A fact about the current header, after its fields.
    Summary(Summary),
}

/// Whether the transport checksum can be judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Checksums {
    /// Judge every checksum from the bytes.
    #[default]
    Judge,
    /// The capturing host said the transport checksum was not filled in yet (offload): the
    /// IP checksum is judged, the transport's is reported unverified.
    TransportNotFilledIn,
    /// Judge none (saves the work when no printer shows them).
    Skip,
}

/// A header's title, Wireshark key and consumer; link headers carry theirs in the registry.
#[derive(Clone, Copy)]
struct Names(&'static str, &'static str, &'static str);

const FROM_IP: &str = "read by the kernel's IP layer, which strips it before TCP/UDP";
const FROM_TRANSPORT: &str =
    "read by the kernel's transport layer; only the payload reaches recv()";
const FROM_ICMP: &str = "answered by the kernel itself (ping replies, errors to sockets)";
const VLAN: Names = Names(
    "802.1Q VLAN tag",
    "vlan",
    "read by the network card and driver; the kernel strips it before IP",
);
const ARP: Names = Names(
    "ARP",
    "arp",
    "read by the kernel's neighbour table; never reaches a socket",
);
const IPV4: Names = Names("IPv4", "ip", FROM_IP);
const IPV6: Names = Names("IPv6", "ipv6", FROM_IP);
const IPV6_EXT: Names = Names("IPv6 extension header", "ipv6.ext", FROM_IP);
const TCP: Names = Names("TCP", "tcp", FROM_TRANSPORT);
const UDP: Names = Names("UDP", "udp", FROM_TRANSPORT);
const ICMPV4: Names = Names("ICMP", "icmp", FROM_ICMP);
const ICMPV6: Names = Names("ICMPv6", "icmpv6", FROM_ICMP);

struct Walker<'a, 'f, F: FnMut(Item<'a>)> {
    d: &'f Decoded<'a>,
    checksums: Checksums,
    f: F,
}

impl<'a, F: FnMut(Item<'a>)> Walker<'a, '_, F> {
    fn header(&mut self, names: Names, offset: usize, len: usize) {
        let Names(title, key, consumer) = names;
        let frame = self.d.frame;
        let start = offset.min(frame.len());
        let bytes = &frame[start..(offset + len).min(frame.len())];
        (self.f)(Item::Header(Header {
            title,
            key,
            consumer,
            offset,
            bytes,
        }));
    }

    fn field(&mut self, def: FieldDef, role: Role) {
        let Some(bytes) = self.d.frame.get(def.range()) else {
            return;
        };
        let checksum = match def.kind {
            Kind::Checksum => self.checksum(def.at),
            _ => None,
        };
        let value = Value::read(&def, bytes);
        (self.f)(Item::Field(Field {
            def,
            role,
            bytes,
            value,
            checksum,
        }));
    }

    fn typed(&mut self, def: FieldDef, role: Role, value: Value<'a>) {
        if let Some(bytes) = self.d.frame.get(def.range()) {
            (self.f)(Item::Field(Field {
                def,
                role,
                bytes,
                value,
                checksum: None,
            }));
        }
    }

    fn table(&mut self, fields: &[FieldDef], base: usize) {
        for d in fields {
            self.field(d.shifted(base), Role::Header);
        }
    }

    /// The verdict on the checksum at absolute offset `at`: the IP header's own, or the
    /// transport's.
    fn checksum(&self, at: usize) -> Option<ChecksumStatus> {
        if self.checksums == Checksums::Skip {
            return None;
        }
        let in_transport = self.d.transport.is_some_and(|(t, _)| at >= t);
        if !in_transport {
            return self.d.ip_checksum();
        }
        match self.checksums {
            Checksums::Judge | Checksums::Skip => self.d.transport_checksum(),
            Checksums::TransportNotFilledIn => Some(ChecksumStatus::Unverified(
                crate::checksum::Unverified::Offloaded,
            )),
        }
    }

    fn walk(&mut self) {
        let d = *self.d;
        for l in d.links() {
            let names = Names(l.def.title, l.def.key, l.def.consumer);
            self.header(names, l.offset, l.header.len());
            l.walk_fields(&mut |fd| self.field(fd, Role::Header));
        }
        for t in d.vlan_tags() {
            self.header(VLAN, t.offset, vlan::HEADER_LEN);
            self.table(vlan::field::FIELDS, t.offset);
        }
        match d.network {
            Some((at, Network::Ipv4(p))) => {
                let end = at + p.header_len();
                self.header(IPV4, at, p.header_len());
                self.table(ipv4::field::FIELDS, at);
                let mut pos = at + ipv4::HEADER_LEN;
                for o in p.buffer_options() {
                    let Ok(o) = o else { break };
                    let def = o.field();
                    self.typed(
                        placed(def, at + def.at, def.len),
                        Role::Option,
                        Value::Ipv4Option(o),
                    );
                    pos = at + def.at + def.len;
                }
                if pos < end {
                    self.field(placed(BAD_OPTIONS, pos, end - pos), Role::Option);
                }
            }
            Some((at, Network::Ipv6(_))) => {
                self.header(IPV6, at, ipv6::HEADER_LEN);
                self.table(ipv6::field::FIELDS, at);
                for h in d.ext_headers() {
                    let len = h.header.header_len();
                    self.header(IPV6_EXT, h.offset, len);
                    let fixed = h.header.fields();
                    self.table(fixed, h.offset);
                    let fixed_len = fixed.last().map_or(0, FieldDef::end);
                    if len > fixed_len {
                        self.field(
                            placed(EXT_DATA, h.offset + fixed_len, len - fixed_len),
                            Role::Header,
                        );
                    }
                }
            }
            Some((at, Network::Arp(p))) => {
                self.header(ARP, at, p.header_len());
                if p.hardware_len() == 6 && p.protocol_len() == 4 {
                    self.table(arp::field::FIELDS, at);
                } else {
                    self.table(&arp::field::FIELDS[..5], at);
                    if p.header_len() > 8 {
                        self.field(
                            placed(ARP_ADDRESSES, at + 8, p.header_len() - 8),
                            Role::Header,
                        );
                    }
                }
            }
            None => {}
        }
        match d.transport {
            Some((at, Transport::Tcp(p))) => {
                self.header(TCP, at, p.header_len());
                self.table(tcp::field::FIELDS, at);
                let end = at + p.header_len();
                let mut pos = at + tcp::HEADER_LEN;
                for o in p.buffer_options() {
                    let Ok(o) = o else { break };
                    self.typed(
                        o.field().shifted(at),
                        Role::Option,
                        Value::TcpOption(o.option),
                    );
                    pos = at + o.at + o.len;
                }
                if pos < end {
                    self.field(placed(BAD_OPTIONS, pos, end - pos), Role::Option);
                }
                (self.f)(Item::Summary(Summary::Tcp {
                    flags: p.flags(),
                    payload_len: d.payload.len(),
                }));
            }
            Some((at, Transport::Udp(_))) => {
                self.header(UDP, at, udp::HEADER_LEN);
                self.table(udp::field::FIELDS, at);
            }
            Some((at, Transport::Icmpv4(p))) => {
                self.header(ICMPV4, at, icmpv4::HEADER_LEN);
                self.table(p.fields(), at);
            }
            Some((at, Transport::Icmpv6(p))) => {
                self.header(ICMPV6, at, icmpv6::HEADER_LEN);
                self.table(p.fields(), at);
            }
            None => {}
        }
        if !d.payload.is_empty() {
            self.field(
                placed(PAYLOAD, d.payload_offset, d.payload.len()),
                Role::Payload,
            );
        }
        // UDP bounds its payload by its own length field, which may end before the IP packet.
        let payload_end = d.payload_offset + d.payload.len();
        let trailer_at = d.frame.len() - d.trailer.len();
        if d.transport.is_some() && payload_end < trailer_at {
            self.field(
                placed(BEYOND_LENGTH, payload_end, trailer_at - payload_end),
                Role::BeyondLength,
            );
        }
        if !d.trailer.is_empty() {
            self.field(placed(TRAILER, trailer_at, d.trailer.len()), Role::Trailer);
        }
    }
}

fn placed(f: FieldDef, at: usize, len: usize) -> FieldDef {
    FieldDef { at, len, ..f }
}

impl<'a> Decoded<'a> {
    /// Reports every header of the frame and, after each, every field it holds with its
    /// absolute place and typed value, options included; then the payload, any bytes past
    /// the datagram's stated end, and any trailer. Every captured byte belongs to exactly
    /// one field (sub-byte fields share their bytes and split them by mask). This is the one
    /// description of a frame that printers need: they never parse bytes themselves.
    pub fn walk(&self, checksums: Checksums, f: impl FnMut(Item<'a>)) {
        Walker {
            d: self,
            checksums,
            f,
        }
        .walk();
    }

    /// Calls `f` with every field's placed table entry, in wire order: [`Decoded::walk`]
    /// without checksum verdicts. Does not allocate.
    pub fn walk_fields(&self, mut f: impl FnMut(FieldDef)) {
        self.walk(Checksums::Skip, |item| {
            if let Item::Field(field) = item {
                f(field.def);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, LinkType};
    use crate::testdata::*;
    use proptest::prelude::*;

    /// Counts how often each byte is labelled; masked fields over the same bytes count once
    /// as a group, and their masks must not overlap.
    fn coverage(d: &Decoded<'_>) -> Vec<u32> {
        let mut count = vec![0u32; d.frame.len()];
        let mut group: Option<(usize, usize, u32)> = None;
        d.walk_fields(|fd| {
            assert!(
                fd.end() <= d.frame.len(),
                "{} at {} len {} beyond {}",
                fd.name,
                fd.at,
                fd.len,
                d.frame.len()
            );
            if fd.mask != 0 {
                if let Some((at, len, seen)) = group {
                    if at == fd.at && len == fd.len {
                        assert_eq!(seen & fd.mask, 0, "{} overlaps its siblings", fd.name);
                        group = Some((at, len, seen | fd.mask));
                        return;
                    }
                }
                group = Some((fd.at, fd.len, fd.mask));
            } else {
                group = None;
            }
            for c in &mut count[fd.range()] {
                *c += 1;
            }
        });
        count
    }

    fn every_byte_once(d: &Decoded<'_>) {
        let c = coverage(d);
        for (i, n) in c.iter().enumerate() {
            assert_eq!(*n, 1, "byte {i} labelled {n} times (stop: {:?})", d.stop);
        }
    }

    #[test]
    fn real_frames_labelled_exactly_once() {
        let frames = crate::testdata::captured();
        for (lt, f) in frames {
            for cut in 0..=f.len() {
                every_byte_once(&decode(lt, &f[..cut]));
            }
        }
        // Names a printer shows for the SYN: the table's, then each option's.
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_SYN);
        let mut names = Vec::new();
        d.walk_fields(|fd| names.push((fd.at, fd.name)));
        assert!(names.contains(&(22, "ip.ttl")));
        assert!(names.contains(&(54, "tcp.options.mss_val")));
        assert_eq!(names.last(), Some(&(71, "tcp.options.wscale.shift")));
    }

    #[test]
    fn every_link_type_labelled_exactly_once() {
        for (lt, f) in other_link_frames() {
            let d = decode(lt, &f);
            assert!(d.stop.is_none(), "{lt}: {:?}", d.stop);
            for cut in 0..=f.len() {
                every_byte_once(&decode(lt, &f[..cut]));
            }
        }
        // The 802.11 data frame goes through LLC/SNAP to IP, each header labelled.
        let (lt, f) = other_link_frames().pop().unwrap();
        let d = decode(lt, &f);
        let keys: Vec<&str> = d.links().map(|l| l.def.key).collect();
        assert_eq!(keys, ["radiotap", "wlan", "llc"]);
        let mut names = Vec::new();
        d.walk_fields(|fd| names.push(fd.name));
        assert!(names.contains(&"radiotap.datarate") && names.contains(&"wlan.qos"));
        assert!(names.contains(&"llc.type") && names.contains(&"ip.dst"));
    }

    #[test]
    fn padding_vlan_and_extension_headers() {
        let mut f = ETH_IPV4_UDP.to_vec();
        f.extend_from_slice(&[0; 16]);
        every_byte_once(&decode(LinkType::Ethernet, &f));
        // Hand-made: a VLAN tag and an IPv6 hop-by-hop header around the real packets.
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&[0x81, 0x00, 0x00, 0x14, 0x08, 0x00]);
        v.extend_from_slice(&ETH_IPV4_UDP[14..]);
        every_byte_once(&decode(LinkType::Ethernet, &v));
        let mut x = ETH_IPV6_TCP_SYN[..54].to_vec();
        x[20] = 0;
        x[18..20].copy_from_slice(&48u16.to_be_bytes());
        x.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
        x.extend_from_slice(&ETH_IPV6_TCP_SYN[54..]);
        let d = decode(LinkType::Ethernet, &x);
        assert_eq!(d.ext_headers().count(), 1);
        every_byte_once(&d);
    }

    #[test]
    fn udp_length_shorter_than_the_ip_packet() {
        // Hand-made from the real datagram: UDP length 8 (header only) where IP carries 10, so
        // its two payload bytes belong to neither the datagram nor the Ethernet padding.
        let mut f = ETH_IPV4_UDP.to_vec();
        f[38..40].copy_from_slice(&8u16.to_be_bytes());
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.payload.is_empty() && d.trailer.is_empty());
        every_byte_once(&d);
        let mut last = None;
        d.walk_fields(|fd| last = Some((fd.name, fd.at, fd.len)));
        assert_eq!(last, Some(("data.beyond_length", 42, 2)));
    }

    /// Every packet of the capture files in `tests/data`, whole and cut at every length.
    #[test]
    fn capture_files_labelled_exactly_once() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
        let mut packets = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let mut reader = crate::pcap::Reader::new(&bytes[..]).unwrap();
            while let Ok(Some(record)) = reader.next_packet() {
                for cut in 0..=record.data.len() {
                    every_byte_once(&decode(record.link, &record.data[..cut]));
                }
                packets += 1;
            }
        }
        assert!(packets > 20, "only {packets} packets in {dir}");
    }

    #[test]
    fn every_field_carries_its_typed_value() {
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_SYN);
        let mut seen = Vec::new();
        d.walk(Checksums::Judge, |item| match item {
            Item::Header(h) => seen.push(format!("[{}@{}]", h.key, h.offset)),
            Item::Field(f) => match f.value {
                Value::TcpOption(o) => seen.push(format!("{}={o:?}", f.def.name)),
                Value::Ipv4(a) => seen.push(format!("{}={a}", f.def.name)),
                Value::Number(n) if f.def.kind == Kind::Checksum => {
                    seen.push(format!("{}={n:#x} {:?}", f.def.name, f.checksum))
                }
                _ => {}
            },
            Item::Summary(Summary::Tcp { flags, .. }) => seen.push(format!("flags={flags}")),
        });
        let text = seen.join(" ");
        for want in [
            "[eth@0]",
            "[ip@14]",
            "ip.src=127.0.0.1",
            "[tcp@34]",
            "tcp.options.mss_val=Mss(65495)",
            "Some(Good)",
            "flags=S",
        ] {
            assert!(text.contains(want), "{want} not in {text}");
        }
    }

    #[test]
    fn wide_signed_and_text_values() {
        let def = |len, kind| FieldDef {
            name: "x",
            at: 0,
            len,
            mask: 0,
            kind,
            label: "x",
            meaning: "x",
        };
        let le = Kind::LittleEndian { hex: false };
        let tsft = [1, 2, 3, 4, 5, 6, 7, 0x88];
        assert_eq!(
            Value::read(&def(8, le), &tsft),
            Value::Number(0x8807_0605_0403_0201)
        );
        let signed = Kind::Signed {
            little_endian: false,
        };
        assert_eq!(Value::read(&def(1, signed), &[0xd8]), Value::Signed(-40));
        assert_eq!(Value::read(&def(1, signed), &[0x7f]), Value::Signed(127));
        assert_eq!(
            Value::read(
                &def(
                    2,
                    Kind::Signed {
                        little_endian: true
                    }
                ),
                &[0xfe, 0xff]
            ),
            Value::Signed(-2)
        );
        assert_eq!(Value::read(&def(8, signed), &[0xff; 8]), Value::Signed(-1));
        assert_eq!(
            Value::read(&def(6, Kind::Text), b"en0\0\0x"),
            Value::Text(b"en0")
        );
        assert_eq!(
            Value::read(&def(3, Kind::Text), b"abc"),
            Value::Text(b"abc")
        );
        assert_eq!(Value::read(&def(9, le), &[0; 9]), Value::Bytes(&[0; 9]));
    }

    proptest! {
        #[test]
        fn mutated_frames_labelled_exactly_once(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            let frames: [&[u8]; 4] = [&ETH_IPV4_TCP_SYN, &ETH_IPV6_TCP_DATA, &ETH_IPV4_ICMP_UNREACH, &ETH_IPV4_UDP];
            let mut f = frames[which].to_vec();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            every_byte_once(&decode(LinkType::Ethernet, &f));
        }

        #[test]
        fn random_bytes_labelled_exactly_once(link in any::<prop::sample::Index>(), bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let lt = crate::link::DECODED[link.index(crate::link::DECODED.len())];
            every_byte_once(&decode(lt, &bytes));
        }

        #[test]
        fn other_links_mutated_labelled_exactly_once(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
            let frames = other_link_frames();
            let (lt, f) = &frames[which.index(frames.len())];
            let mut f = f.clone();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            every_byte_once(&decode(*lt, &f[..cut]));
        }

        #[test]
        fn other_links_random_bytes_labelled_exactly_once(link in any::<prop::sample::Index>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let frames = other_link_frames();
            every_byte_once(&decode(frames[link.index(frames.len())].0, &bytes));
        }
    }
}
