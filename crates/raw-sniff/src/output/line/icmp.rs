//! The ICMP and ICMPv6 parts of a line, in `tcpdump -n`'s words (its print-icmp.c and
//! print-icmp6.c without -v). These are line-only texts: tcpdump's wording differs from the
//! names the verbose and JSON views take from wire.

use std::fmt::Write as _;

use wire::icmpv4::Message as M4;
use wire::icmpv6::Message as M6;
use wire::ip::IpProtocol;
use wire::Decoded;

/// An ICMP message's words after the addresses, with `len` bytes of ICMP as the IP header
/// says. Returns whether they end with tcpdump's `[|icmp]` (the message was cut short).
pub(super) fn icmpv4(
    line: &mut String,
    icmp: &wire::icmpv4::Packet<&[u8]>,
    len: usize,
    d: &Decoded<'_>,
) -> bool {
    match icmpv4_text(icmp, d) {
        Some(text) => {
            let _ = write!(line, "ICMP {text}, length {len}");
            false
        }
        None => {
            line.push_str(" [|icmp]");
            true
        }
    }
}

/// An ICMP header cut short (under 8 bytes): tcpdump still words the types it needs only the
/// type and code for, and ends the others with `[|icmp]`.
pub(super) fn icmpv4_cut(line: &mut String, bytes: &[u8], len: usize) {
    let name = match bytes {
        [_] | [] => None,
        [ty, ..] => match ty {
            4 => Some("source quench".to_owned()),
            10 => Some("router solicitation".to_owned()),
            15 => Some("information request".to_owned()),
            16 => Some("information reply".to_owned()),
            17 => Some("address mask request".to_owned()),
            0 | 3 | 5 | 8 | 9 | 11 | 12 | 13 | 14 | 18 => None,
            ty => Some(format!("type-#{ty}")),
        },
    };
    match name {
        Some(name) => {
            let _ = write!(line, "ICMP {name}, length {len}");
        }
        None => line.push_str(" [|icmp]"),
    }
}

/// What tcpdump writes between `ICMP ` and `, length`; `None` when a field it reads was not
/// captured.
fn icmpv4_text(icmp: &wire::icmpv4::Packet<&[u8]>, d: &Decoded<'_>) -> Option<String> {
    let code = icmp.code();
    let quoted = d.quoted();
    let q = quoted.as_ref();
    let quoted_ip = || q.and_then(|q| q.ipv4());
    let qdst = || quoted_ip().map(|ip| ip.dst_addr());
    Some(match icmp.msg_type() {
        M4::EchoRequest | M4::EchoReply => format!(
            "echo {}, id {}, seq {}",
            if icmp.msg_type() == M4::EchoRequest {
                "request"
            } else {
                "reply"
            },
            icmp.echo_ident(),
            icmp.echo_seq_no()
        ),
        M4::DstUnreachable => {
            let dst = qdst()?;
            match code {
                0 => format!("net {dst} unreachable"),
                1 => format!("host {dst} unreachable"),
                2 => format!(
                    "{dst} protocol {} unreachable",
                    u8::from(quoted_ip()?.protocol())
                ),
                3 => {
                    let q = q?;
                    let proto = quoted_ip()?.protocol();
                    let (_, port) = q.ports().or_else(|| cut_ports(q))?;
                    match proto {
                        IpProtocol::Tcp => format!("{dst} tcp port {port} unreachable"),
                        IpProtocol::Udp => format!("{dst} udp port {port} unreachable"),
                        p => format!("{dst} protocol {} port {port} unreachable", u8::from(p)),
                    }
                }
                4 => match icmp.next_hop_mtu() {
                    0 => format!("{dst} unreachable - need to frag"),
                    mtu => format!("{dst} unreachable - need to frag (mtu {mtu})"),
                },
                5 => format!("{dst} unreachable - source route failed"),
                6 => format!("net {dst} unreachable - unknown"),
                7 => format!("host {dst} unreachable - unknown"),
                8 => format!("{dst} unreachable - source host isolated"),
                9 => format!("net {dst} unreachable - admin prohibited"),
                10 => format!("host {dst} unreachable - admin prohibited"),
                11 => format!("net {dst} unreachable - tos prohibited"),
                12 => format!("host {dst} unreachable - tos prohibited"),
                13 => format!("host {dst} unreachable - admin prohibited filter"),
                14 => format!("host {dst} unreachable - host precedence violation"),
                15 => format!("host {dst} unreachable - precedence cutoff"),
                c => format!("{dst} unreachable - #{c}"),
            }
        }
        M4::Redirect => {
            let (dst, gw) = (qdst()?, icmp.gateway());
            match code {
                0 => format!("redirect {dst} to net {gw}"),
                1 => format!("redirect {dst} to host {gw}"),
                2 => format!("redirect-tos {dst} to net {gw}"),
                3 => format!("redirect-tos {dst} to host {gw}"),
                c => format!("redirect-#{c} {dst} to {gw}"),
            }
        }
        M4::TimeExceeded => {
            qdst()?;
            match code {
                0 => "time exceeded in-transit".to_owned(),
                1 => "ip reassembly time exceeded".to_owned(),
                c => format!("time exceeded-#{c}"),
            }
        }
        M4::ParamProblem => match code {
            0 => format!("parameter problem - octet {}", icmp.pointer()),
            c => format!("parameter problem - code {c}"),
        },
        _ => match u8::from(icmp.msg_type()) {
            4 => "source quench".to_owned(),
            9 => router_advert(icmp)?,
            10 => "router solicitation".to_owned(),
            13 => format!(
                "time stamp query id {} seq {}",
                icmp.echo_ident(),
                icmp.echo_seq_no()
            ),
            14 => {
                let [org, recv, xmit] = icmp.timestamps();
                format!(
                    "time stamp reply id {} seq {}: org {}, recv {}, xmit {}",
                    icmp.echo_ident(),
                    icmp.echo_seq_no(),
                    milliseconds(org?),
                    milliseconds(recv?),
                    milliseconds(xmit?)
                )
            }
            15 => "information request".to_owned(),
            16 => "information reply".to_owned(),
            17 => "address mask request".to_owned(),
            18 => format!("address mask is 0x{:08x}", icmp.address_mask()?),
            ty => format!("type-#{ty}"),
        },
    })
}

/// The ports of a quoted datagram cut inside its transport header, which decoding gave up
/// on: tcpdump reads the destination port wherever the bytes are.
fn cut_ports(q: &Decoded<'_>) -> Option<(u16, u16)> {
    let b = q.payload;
    Some((
        u16::from_be_bytes([*b.first()?, *b.get(1)?]),
        u16::from_be_bytes([*b.get(2)?, *b.get(3)?]),
    ))
}

/// An RFC 1256 router advertisement: lifetime, then each address with its preference.
fn router_advert(icmp: &wire::icmpv4::Packet<&[u8]>) -> Option<String> {
    let (num, size, lifetime) = icmp.router_advert();
    let mut out = String::from("router advertisement lifetime ");
    let _ = match lifetime {
        l if l < 60 => write!(out, "{l}"),
        l if l < 3600 => write!(out, "{}:{:02}", l / 60, l % 60),
        l => write!(out, "{}:{:02}:{:02}", l / 3600, l % 3600 / 60, l % 60),
    };
    let _ = write!(out, " {num}:");
    if size != 2 {
        let _ = write!(out, " [size {size}]");
        return Some(out);
    }
    for i in 0..usize::from(num) {
        let (addr, pref) = icmp.router_entry(i)?;
        let _ = write!(out, " {{{addr} {pref}}}");
    }
    Some(out)
}

/// Milliseconds since midnight as tcpdump writes a timestamp message's times.
fn milliseconds(ms: u32) -> String {
    let (s, m) = (ms / 1000, ms / 60_000);
    format!("{:02}:{:02}:{:02}.{:03}", m / 60, m % 60, s % 60, ms % 1000)
}

/// An ICMPv6 message's words after the addresses (and extension headers), with `len` bytes
/// of ICMPv6 as the IPv6 header says. Returns whether they end with tcpdump's `[|icmp6]`.
pub(super) fn icmpv6(
    line: &mut String,
    icmp: &wire::icmpv6::Packet<&[u8]>,
    len: usize,
    d: &Decoded<'_>,
) -> bool {
    let ty = u8::from(icmp.msg_type());
    line.push_str("ICMP6, ");
    match icmpv6_type_name(ty) {
        Some(name) => line.push_str(name),
        None => {
            let _ = write!(line, "unknown icmp6 type ({ty})");
        }
    }
    match icmpv6_words(line, icmp, len, d) {
        Some(Ending::Length) => {
            let _ = write!(line, ", length {len}");
            false
        }
        Some(Ending::Nothing) => false,
        None => {
            line.push_str(" [|icmp6]");
            true
        }
    }
}

/// An ICMPv6 header cut short (under 8 bytes): its type's name when captured, then either
/// the words tcpdump needs only the type and code for, or its `[|icmp6]`.
pub(super) fn icmpv6_cut(line: &mut String, bytes: &[u8], len: usize) {
    let Some(&ty) = bytes.first() else {
        line.push_str(" [|icmp6]");
        return;
    };
    line.push_str("ICMP6, ");
    match icmpv6_type_name(ty) {
        Some(name) => line.push_str(name),
        None => {
            let _ = write!(line, "unknown icmp6 type ({ty})");
        }
    }
    let Some(&code) = bytes.get(1) else {
        line.push_str(" [|icmp6]");
        return;
    };
    match (ty, code) {
        // Nothing more to read: the length follows.
        (131 | 132 | 133 | 134 | 141 | 142 | 145 | 147, _) => {}
        (130, _) if len == 24 => {}
        (3, 1) => line.push_str(" (reassembly)"),
        (3, c) if c > 1 => {
            let _ = write!(line, ", unknown code ({c})");
        }
        (155, c) if c & 0x80 != 0 => line.push_str(", (SEC) [worktodo]"),
        (155, c) => {
            let _ = match c {
                0 => write!(line, ", (CLR)DODAG Information Solicitation"),
                1 => write!(line, ", (CLR)DODAG Information Object"),
                2 => write!(line, ", (CLR)Destination Advertisement Object"),
                3 => write!(line, ", (CLR)Destination Advertisement Object Ack"),
                c => write!(line, ", (CLR)RPL message, unknown code {c}"),
            };
        }
        (ty, _) if icmpv6_type_name(ty).is_none() || (200..=201).contains(&ty) => {
            let _ = write!(line, ", length {len}");
            hex_lines(line, bytes, len);
            return;
        }
        _ => {
            line.push_str(" [|icmp6]");
            return;
        }
    }
    let _ = write!(line, ", length {len}");
}

/// How an ICMPv6 line ends after the message's own words.
enum Ending {
    /// `, length N`, as for most messages.
    Length,
    /// Nothing more.
    Nothing,
}

/// tcpdump's name of each ICMPv6 type (its `icmp6_type_values`; 139 and 140 are named
/// by their older KAME meaning, first in its table).
fn icmpv6_type_name(ty: u8) -> Option<&'static str> {
    Some(match ty {
        1 => "destination unreachable",
        2 => "packet too big",
        3 => "time exceeded in-transit",
        4 => "parameter problem",
        128 => "echo request",
        129 => "echo reply",
        130 => "multicast listener query",
        131 => "multicast listener report",
        132 => "multicast listener done",
        133 => "router solicitation",
        134 => "router advertisement",
        135 => "neighbor solicitation",
        136 => "neighbor advertisement",
        137 => "redirect",
        138 => "router renumbering",
        139 => "who-are-you request",
        140 => "who-are-you reply",
        141 => "inverse neighbor solicitation",
        142 => "inverse neighbor advertisement",
        143 => "multicast listener report v2",
        144 => "ha discovery request",
        145 => "ha discovery reply",
        146 => "mobile router solicitation",
        147 => "mobile router advertisement",
        155 => "RPL",
        200 => "mtrace response",
        201 => "mtrace message",
        _ => return None,
    })
}

/// The words after the type's name; `None` when a field tcpdump reads was not captured.
fn icmpv6_words(
    line: &mut String,
    icmp: &wire::icmpv6::Packet<&[u8]>,
    len: usize,
    d: &Decoded<'_>,
) -> Option<Ending> {
    let code = icmp.code();
    let quoted = d.quoted();
    let qdst = || {
        quoted
            .as_ref()
            .and_then(|q| q.ipv6())
            .map(|ip| ip.dst_addr())
    };
    match icmp.msg_type() {
        M6::DstUnreachable => {
            let name = match code {
                0 => "unreachable route",
                1 => " unreachable prohibited",
                2 => "beyond scope",
                3 => "unreachable address",
                4 => "unreachable port",
                _ => {
                    let _ = write!(line, ", unknown unreach code ({code})");
                    hex_lines(line, icmp.into_inner(), len);
                    return Some(Ending::Nothing);
                }
            };
            let _ = write!(line, ", {name}");
            let q = quoted.as_ref()?;
            let ip = q.ipv6()?;
            match code {
                2 => {
                    let _ = write!(line, " {}, source address {}", ip.dst_addr(), ip.src_addr());
                }
                4 => {
                    let (_, port) = q.ports().or_else(|| cut_ports(q))?;
                    let proto = match quoted_protocol(q) {
                        IpProtocol::Tcp => Some("tcp"),
                        IpProtocol::Udp => Some("udp"),
                        _ => None,
                    };
                    let _ = match proto {
                        Some(p) => write!(line, ", {} {p} port {port}", ip.dst_addr()),
                        None => write!(
                            line,
                            ", {} protocol {} port {port} unreachable",
                            ip.dst_addr(),
                            u8::from(quoted_protocol(q))
                        ),
                    };
                }
                _ => {
                    let _ = write!(line, " {}", ip.dst_addr());
                }
            }
        }
        M6::PacketTooBig => {
            let _ = write!(line, ", mtu {}", icmp.rest_of_header());
        }
        M6::TimeExceeded => {
            let _ = match code {
                0 => write!(line, " for {}", qdst()?),
                1 => write!(line, " (reassembly)"),
                c => write!(line, ", unknown code ({c})"),
            };
        }
        M6::ParamProblem => {
            qdst()?;
            let pointer = icmp.rest_of_header();
            let _ = match code {
                0 => write!(line, ", erroneous - octet {pointer}"),
                1 => write!(line, ", next header - octet {pointer}"),
                2 => write!(line, ", option - octet {pointer}"),
                3 => write!(line, ", incomplete header chain - octet {pointer}"),
                c => write!(line, ", code-#{c}"),
            };
        }
        M6::EchoRequest | M6::EchoReply => {
            let _ = write!(
                line,
                ", id {}, seq {}",
                icmp.echo_ident(),
                icmp.echo_seq_no()
            );
        }
        M6::MldQuery if len >= 28 => {
            let _ = write!(line, " v2 [gaddr {}", icmp.mld_address()?);
            let sources = icmp.mldv2_query_sources()?;
            if sources > 0 {
                if len < 28 + 16 * usize::from(sources) {
                    line.push_str(" [invalid number of sources]");
                } else {
                    let _ = write!(line, ", {sources} source(s)");
                }
            }
            line.push(']');
        }
        M6::MldQuery if len != 24 => {
            let _ = write!(line, " unknown-version (len {len}) ");
        }
        M6::MldQuery | M6::MldReport | M6::MldDone => {
            // tcpdump writes these right after the type's name, without a separator, and
            // nothing at all when the message is cut.
            if let Some(addr) = icmp.mld_address() {
                let _ = write!(
                    line,
                    "max resp delay: {} addr: {addr}",
                    icmp.mld_max_delay()
                );
            }
        }
        M6::NeighborSolicit => {
            let _ = write!(line, ", who has {}", icmp.nd_target()?);
        }
        M6::NeighborAdvert => {
            let _ = write!(line, ", tgt is {}", icmp.nd_target()?);
        }
        M6::Redirect => {
            let dst = icmp.redirect_dst();
            let target = icmp.nd_target()?;
            let _ = write!(line, ", {} to {target}", dst?);
        }
        M6::Mldv2Report => {
            if len < 8 {
                let _ = write!(line, " [invalid len {len}]");
            } else {
                let _ = write!(line, ", {} group record(s)", icmp.mldv2_record_count());
            }
        }
        M6::RouterSolicit | M6::RouterAdvert => {}
        _ => match u8::from(icmp.msg_type()) {
            // tcpdump notes a cut node information message and still gives its length.
            139 => {
                if node_information_query(line, icmp).is_none() {
                    line.push_str(" [|icmp6]");
                }
            }
            140 => {
                if node_information_reply(line, icmp, len).is_none() {
                    line.push_str(" [|icmp6]");
                }
            }
            144 | 146 => {
                let _ = write!(line, ", id 0x{:04x}", icmp.echo_ident());
            }
            138 => {
                if router_renumbering(line, icmp).is_none() {
                    line.push_str(" [|icmp6]");
                }
            }
            141 | 142 | 145 | 147 => {}
            155 => {
                if code & 0x80 != 0 {
                    line.push_str(", (SEC) [worktodo]");
                } else {
                    line.push_str(", (CLR)");
                    let _ = match code {
                        0 => write!(line, "DODAG Information Solicitation"),
                        1 => write!(line, "DODAG Information Object"),
                        2 => write!(line, "Destination Advertisement Object"),
                        3 => write!(line, "Destination Advertisement Object Ack"),
                        c => write!(line, "RPL message, unknown code {c}"),
                    };
                }
            }
            _ => {
                let _ = write!(line, ", length {len}");
                hex_lines(line, icmp.into_inner(), len);
                return Some(Ending::Nothing);
            }
        },
    }
    Some(Ending::Length)
}

/// The protocol a quoted IPv6 packet carries, after its extension headers.
fn quoted_protocol(q: &Decoded<'_>) -> IpProtocol {
    match (q.ext_headers().last(), q.ipv6()) {
        (Some(e), _) => e.header.next_header(),
        (None, Some(ip)) => ip.next_header(),
        (None, None) => IpProtocol::Unknown(0),
    }
}

/// An RFC 4620 node information query (and the older KAME who-are-you request), as tcpdump
/// words it without -v; `None` where tcpdump stops at a field not captured.
fn node_information_query(line: &mut String, icmp: &wire::icmpv6::Packet<&[u8]>) -> Option<()> {
    // tcpdump goes by the bytes captured, not by the IPv6 header's length.
    let size = icmp.into_inner().len();
    if size == 12 {
        line.push_str(" who-are-you request");
        return Some(());
    }
    line.push_str(" node information query");
    if size < 16 {
        return None;
    }
    line.push_str(" (");
    let (qtype, flags) = (icmp.ni_qtype(), icmp.ni_flags());
    match qtype {
        0 => line.push_str("noop"),
        1 => supported_qtypes(line, flags),
        2 => line.push_str("DNS name"),
        3 => {
            line.push_str("node addresses");
            if flags != 0 {
                let _ = write!(line, " [{}]", node_address_flags(flags, false));
            }
        }
        _ => line.push_str("unknown"),
    }
    if qtype > 1 {
        let data = icmp.ni_data();
        match icmp.code() {
            _ if data.is_empty() => line.push_str(", 03 draft"),
            0 => {
                if let Ok(addr) = <[u8; 16]>::try_from(data) {
                    let _ = write!(line, ", subject={}", std::net::Ipv6Addr::from(addr));
                }
            }
            // A DNS name as subject: not worded here.
            1 => return None,
            2 => {
                if let Ok(addr) = <[u8; 4]>::try_from(data) {
                    let _ = write!(line, ", subject={}", std::net::Ipv4Addr::from(addr));
                }
            }
            _ => line.push_str(", unknown subject"),
        }
    }
    line.push(')');
    Some(())
}

/// An RFC 4620 node information reply, as tcpdump words it without -v.
fn node_information_reply(
    line: &mut String,
    icmp: &wire::icmpv6::Packet<&[u8]>,
    len: usize,
) -> Option<()> {
    let bytes = icmp.into_inner();
    if len > bytes.len() || bytes.len() < 16 {
        return None;
    }
    line.push_str(" node information reply (");
    let code = icmp.code();
    match code {
        1 => line.push_str("refused"),
        2 => line.push_str("unknown"),
        _ => {}
    }
    if code != 0 {
        line.push(')');
        return Some(());
    }
    let flags = icmp.ni_flags();
    match icmp.ni_qtype() {
        0 => line.push_str("noop"),
        1 => supported_qtypes(line, flags),
        // A DNS name: not worded here.
        2 => return None,
        3 => {
            line.push_str("node addresses");
            for entry in icmp.ni_data().chunks_exact(20) {
                let ttl = u32::from_be_bytes([entry[0], entry[1], entry[2], entry[3]]);
                let addr = <[u8; 16]>::try_from(&entry[4..]).ok()?;
                let _ = write!(line, " {}({ttl})", std::net::Ipv6Addr::from(addr));
            }
            if flags != 0 {
                let _ = write!(line, " [{}]", node_address_flags(flags, true));
            }
        }
        _ => line.push_str("unknown"),
    }
    line.push(')');
    Some(())
}

/// An RFC 2894 router renumbering message as tcpdump words it without -v; `None` where
/// tcpdump stops at a part not captured.
fn router_renumbering(line: &mut String, icmp: &wire::icmpv6::Packet<&[u8]>) -> Option<()> {
    if icmp.into_inner().len() < 16 {
        return None;
    }
    let _ = match icmp.code() {
        0 => write!(line, ", command"),
        1 => write!(line, ", result"),
        255 => write!(line, ", sequence number reset"),
        c => write!(line, ", code-#{c}"),
    };
    let _ = write!(line, ", seq={}", icmp.rr_sequence());
    if icmp.code() != 0 {
        return Some(());
    }
    let m = icmp.rr_match()?;
    line.push_str(" match(");
    let _ = match m.op_code {
        1 => write!(line, "add"),
        2 => write!(line, "change"),
        3 => write!(line, "setglobal"),
        c => write!(line, "#{c}"),
    };
    let _ = write!(line, ",{}/{})", m.prefix, m.match_len);
    // The length counts 8-byte units: 3 for the match part, 4 for each use part.
    let units = i32::from(m.op_length) - 3;
    if units % 4 != 0 {
        return None;
    }
    for i in 0..(units / 4).max(0) as usize {
        let u = icmp.rr_use(i)?;
        line.push_str(" use(");
        if u.flags != 0 {
            let v = if u.flags & 0x80 != 0 { "V" } else { "" };
            let p = if u.flags & 0x40 != 0 { "P" } else { "" };
            let _ = write!(line, "{v}{p},");
        }
        let _ = write!(line, "{}/{}/{})", u.prefix, u.use_len, u.keep_len);
    }
    Some(())
}

fn supported_qtypes(line: &mut String, flags: u16) {
    line.push_str("supported qtypes");
    if flags != 0 {
        let _ = write!(line, " [{}]", if flags & 1 != 0 { "C" } else { "" });
    }
}

/// The node-addresses flags as tcpdump lists them (T only in replies).
fn node_address_flags(flags: u16, reply: bool) -> String {
    [
        (0x40, "a"),
        (0x20, "G"),
        (0x10, "S"),
        (0x08, "L"),
        (0x04, "C"),
        (0x02, "A"),
        (0x01, if reply { "T" } else { "" }),
    ]
    .iter()
    .filter(|(bit, _)| flags & bit != 0)
    .map(|(_, c)| *c)
    .collect()
}

/// What tcpdump prints after a message it does not know: its first `len` bytes (as many as
/// were captured) in hex, on lines of their own, eight 16-bit groups a line.
fn hex_lines(line: &mut String, bytes: &[u8], len: usize) {
    let bytes = &bytes[..len.min(bytes.len())];
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(line, "\n\t0x{:04x}: ", i * 16);
        for pair in chunk.chunks(2) {
            match pair {
                [a, b] => {
                    let _ = write!(line, " {a:02x}{b:02x}");
                }
                [a] => {
                    let _ = write!(line, " {a:02x}");
                }
                _ => {}
            }
        }
    }
}
