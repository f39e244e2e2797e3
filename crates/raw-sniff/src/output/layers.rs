//! A decoded frame as a list of headers, each with its place in the frame and the field table
//! that describes it. The verbose, explain and JSON printers all walk this one list, so the
//! name, offset and meaning of a field come from wire's tables and nowhere else.

use wire::decode::{Network, Transport};
use wire::{Decoded, FieldDef};

/// One header of a frame.
#[derive(Debug, Clone)]
pub struct Layer<'a> {
    /// What a person calls it: "Ethernet II", "IPv4", "TCP".
    pub title: &'static str,
    /// The JSON object key, Wireshark's protocol name: `eth`, `ip`, `tcp`.
    pub key: &'static str,
    /// Offset of the header's first byte in the frame.
    pub offset: usize,
    /// The header's bytes as captured (fewer than its length when the capture was cut).
    pub bytes: &'a [u8],
    /// Its fields, offsets relative to the header, in wire order; options and extension
    /// entries come after the fixed ones.
    pub fields: Vec<FieldDef>,
    /// How many of `fields` are the fixed header's; the rest are options, which may repeat.
    pub fixed: usize,
    /// Who reads this header on a receiving host, for the explain view.
    pub consumer: &'static str,
}

impl Layer<'_> {
    /// Bytes of `field` inside this header, if captured.
    pub fn field_bytes(&self, field: &FieldDef) -> Option<&[u8]> {
        self.bytes.get(field.range())
    }
}

/// Every header decoded from the frame, outermost first.
pub fn layers<'a>(d: &Decoded<'a>) -> Vec<Layer<'a>> {
    let frame = d.frame;
    let slice = |at: usize, len: usize| &frame[at.min(frame.len())..(at + len).min(frame.len())];
    let mut out = Vec::new();
    for link in d.links() {
        let mut fields = Vec::new();
        (link.def.walk)(link.header, &mut |f| fields.push(f));
        out.push(Layer {
            title: link.def.title,
            key: link.def.key,
            offset: link.offset,
            bytes: link.header,
            fixed: fields.len(),
            fields,
            consumer: link.def.consumer,
        });
    }
    for tag in d.vlan_tags() {
        out.push(fixed(
            "802.1Q VLAN tag",
            "vlan",
            tag.offset,
            frame,
            wire::vlan::field::FIELDS,
        ));
    }
    if let Some((at, net)) = &d.network {
        match net {
            Network::Ipv4(ip) => {
                let mut fields = wire::ipv4::field::FIELDS.to_vec();
                fields.extend(ip.options().map_while(Result::ok).map(|o| o.field()));
                out.push(Layer {
                    title: "IPv4",
                    key: "ip",
                    offset: *at,
                    bytes: slice(*at, ip.header_len()),
                    fixed: wire::ipv4::field::FIELDS.len(),
                    fields,
                    consumer: consumer("ip"),
                });
            }
            Network::Ipv6(_) => {
                out.push(fixed("IPv6", "ipv6", *at, frame, wire::ipv6::field::FIELDS))
            }
            Network::Arp(arp) => {
                let len =
                    8 + 2 * (usize::from(arp.hardware_len()) + usize::from(arp.protocol_len()));
                // The table describes Ethernet/IPv4 ARP; other sizes keep only the fixed part.
                let fields = if len == 28 {
                    wire::arp::field::FIELDS.to_vec()
                } else {
                    wire::arp::field::FIELDS[..5].to_vec()
                };
                out.push(Layer {
                    title: "ARP",
                    key: "arp",
                    offset: *at,
                    bytes: slice(*at, len),
                    fixed: fields.len(),
                    fields,
                    consumer: consumer("arp"),
                });
            }
        }
    }
    for ext in d.ext_headers() {
        out.push(Layer {
            title: "IPv6 extension header",
            key: "ipv6.ext",
            offset: ext.offset,
            bytes: slice(ext.offset, ext.header.header_len()),
            fixed: ext.header.fields().len(),
            fields: ext.header.fields().to_vec(),
            consumer: consumer("ipv6"),
        });
    }
    if let Some((at, t)) = &d.transport {
        match t {
            Transport::Tcp(tcp) => {
                let mut fields = wire::tcp::field::FIELDS.to_vec();
                fields.extend(tcp.options().map_while(Result::ok).map(|o| o.field()));
                out.push(Layer {
                    title: "TCP",
                    key: "tcp",
                    offset: *at,
                    bytes: slice(*at, tcp.header_len()),
                    fixed: wire::tcp::field::FIELDS.len(),
                    fields,
                    consumer: consumer("tcp"),
                });
            }
            Transport::Udp(_) => {
                out.push(fixed("UDP", "udp", *at, frame, wire::udp::field::FIELDS))
            }
            Transport::Icmpv4(icmp) => out.push(fixed("ICMP", "icmp", *at, frame, icmp.fields())),
            Transport::Icmpv6(icmp) => {
                out.push(fixed("ICMPv6", "icmpv6", *at, frame, icmp.fields()))
            }
        }
    }
    out
}

/// A header whose length is its table's.
fn fixed<'a>(
    title: &'static str,
    key: &'static str,
    at: usize,
    frame: &'a [u8],
    table: &'static [FieldDef],
) -> Layer<'a> {
    let len = table.iter().map(FieldDef::end).max().unwrap_or(0);
    let start = at.min(frame.len());
    Layer {
        title,
        key,
        offset: at,
        bytes: &frame[start..(at + len).min(frame.len())],
        fields: table.to_vec(),
        fixed: table.len(),
        consumer: consumer(key),
    }
}

/// Which part of a receiving host reads and removes a header: the answer to "what does the
/// kernel strip off before my socket sees the data?".
fn consumer(key: &str) -> &'static str {
    match key {
        "vlan" => "read by the network card and driver; the kernel strips it before IP",
        "arp" => "read by the kernel's neighbour table; never reaches a socket",
        "ip" | "ipv6" => "read by the kernel's IP layer, which strips it before TCP/UDP",
        "tcp" | "udp" => "read by the kernel's transport layer; only the payload reaches recv()",
        "icmp" | "icmpv6" => "answered by the kernel itself (ping replies, errors to sockets)",
        _ => "",
    }
}
