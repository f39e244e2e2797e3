//! The filter against the real tcpdump: for a table of expressions, the packets our compiled
//! program accepts in a capture file must be exactly those `tcpdump -r FILE EXPR` prints.
//!
//! The capture files are written here (Ethernet, Linux cooked and raw IP versions of one set of
//! packets), each packet stamped with its own second so tcpdump's `-tt` output names it.
//! tcpdump's own compiled code (`-dd`) is also run in our interpreter and listed with our
//! `tcpdump -d` printer, which checks both against tcpdump without asking our compiler to
//! produce the same instructions as libpcap's optimiser.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use packets::TempDir;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use packets::{pcap_file, v4, v6, Frame, Link, Net, Transport, PCAP_FIRST_SECOND};
use raw_sniff::filter::{compile, parse, run, verify, Framing, Listing, SockFilter, SNAPLEN};

const EXPRESSIONS: &[&str] = &[
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "host 10.0.0.1",
    "src host 10.0.0.1",
    "dst host 10.0.0.2",
    "ip host 10.0.0.1",
    "arp host 10.0.0.1",
    "host 2001:db8::1",
    "ip6 src host 2001:db8::1",
    "src and dst host 10.0.0.1",
    "net 10.0.0.0/8",
    "dst net 192.168.0.0/16",
    "net 10.0.0.0 mask 255.255.255.0",
    "net 2001:db8::/32",
    "src net 2001:db8:1::/48",
    "net 0.0.0.0/0",
    "port 80",
    "port 257",
    "src port 80",
    "dst port 53",
    "tcp port 80",
    "udp port 53",
    "port 80 or 443",
    "tcp dst port 80 or 443 or 22",
    "portrange 1000-2000",
    "tcp dst portrange 8000-8080",
    "src and dst port 5000",
    "src or dst port 0",
    "not tcp port 22",
    "port 80 and host 10.0.0.1 or udp",
    "host 10.0.0.1 and (port 80 or port 443)",
    "tcp or udp and icmp",
    "!tcp && !udp",
    "icmp or icmp6 or arp",
    "not ip and not ip6",
    "ip and tcp port 80",
    "ip6 and udp",
    "src 10.0.0.1 or 10.0.0.2",
    "not host 10.0.0.1 and 10.0.0.2",
    // C-style numbers: 0x50 and 0120 are both port 80 to tcpdump.
    "src port 0x50 or dst port 0120",
    // Loads and relations: every protocol, every width, every operator.
    "tcp[tcpflags] & tcp-syn != 0",
    "tcp[13] & 2 != 0",
    "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn",
    "tcp[tcpflags] & (tcp-fin|tcp-rst|tcp-push|tcp-urg) != 0",
    "tcp[tcpflags] = tcp-cwr|tcp-ece|tcp-urg|tcp-push|tcp-fin",
    "tcp[tcpflags] & tcp-rst = tcp-rst or tcp[13] & tcp-ack != 0",
    "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420",
    "tcp[tcp[12] >> 4 << 2] = 0x47",
    "tcp[0:2] == tcp[2:2]",
    "tcp[2:2] > tcp[0:2]",
    "udp[4:2] > 100",
    "udp[0:2] = 53 or udp[2:2] = 53",
    "udp[udp[4:2] - 1] = 0x67",
    "ip[2:2] > 576",
    "ip[2:2] <= 576 and udp",
    "ip[0] & 0xf > 5",
    "ip[6:2] & 0x1fff != 0",
    "ip[9] = 6",
    "ip[8] == 64 && ip[9] != 17",
    "ip[12:4] = ip[16:4]",
    "ip[16:4] = 0x0a000002",
    "ip6[6] = 58",
    "ip6[4:2] >= 20",
    "ip6[24:4] = 0x00000000 and ip6[36:4] = 2",
    "arp[7] = 2",
    "arp[6:2] = 1 or udp",
    "ether[0] & 1 != 0",
    "ether[0] & 1 = 0",
    "link[12:2] = 0x800",
    "ether[6:4] != 0",
    "icmp[icmptype] == icmp-echo",
    "icmp[icmptype] = icmp-echoreply or icmp[icmptype] = icmp-unreach",
    "icmp[icmpcode] != 0",
    "icmp[icmptype] != icmp-echo and icmp[icmptype] != icmp-echoreply",
    "icmp[0] = icmp-sourcequench or icmp[0] = icmp-redirect or icmp[0] = icmp-routeradvert \
     or icmp[0] = icmp-routersolicit or icmp[0] = icmp-timxceed or icmp[0] = icmp-paramprob",
    "icmp[0] = icmp-tstamp or icmp[0] = icmp-tstampreply or icmp[0] = icmp-ireq \
     or icmp[0] = icmp-ireqreply or icmp[0] = icmp-maskreq or icmp[0] = icmp-maskreply",
    "icmp6[icmp6type] = icmp6-echo",
    "icmp6[icmp6type] == icmp6-echoreply",
    "icmp6[icmp6code] = 0 and icmp6[icmp6type] > icmp6-parameterproblem",
    "icmp6[0] = icmp6-destinationunreach or icmp6[0] = icmp6-packettoobig \
     or icmp6[0] = icmp6-timeexceeded or icmp6[0] = icmp6-neighborsolicit \
     or icmp6[0] = icmp6-neighboradvert or icmp6[0] = icmp6-routersolicit",
    "icmp6[0] >= icmp6-echo and icmp6[0] <= icmp6-multicastrouterterm",
    // Arithmetic, with C's precedence and associativity.
    "ip[2:2] - 20 > 100",
    "ip[2:2] + 4 * 2 < 60",
    "ip[2:2] / 4 = 15",
    "ip[2:2] % 7 = 3",
    "ip[8] * 2 = 128",
    "ip[8] ^ 0xff = 191",
    "ip[9] | 0x10 = 0x17",
    "ip[0] << 2 = 0x114",
    "ip[2:2] >> 8 = 2",
    "ip[9] = -(-6)",
    "ip[9] = 2 + 2 * 2",
    "ip[9] = 1 << 4 | 1",
    "ip[9] = 2 ^ 6 & 4",
    // libpcap's grammar gives `^` no precedence: it takes the operand before it and all after.
    "ip[9] = 17 | 1 ^ 1",
    "ip[9] = 1 ^ 16 | 1",
    "ip[9] = 6 ^ 3 | 5 or ip[9] = 0x11",
    "ip[9] = 2 * 3 ^ 1 + 2",
    "ip[9] = - 1 ^ 7 + 0xfffffffa + 6",
    "ip[9] = 1 ^ 2 ^ 4 - 1 + 6",
    "ip[9] = 20 - 8 - 6",
    "ip[9] = 48 / 4 / 2",
    "ip[9] = 1 + 16 >> 0 & 0xff",
    "ip[9] = (2 + 2) * 2 - 2",
    "ip[9] = 010 - 02 or ip[9] = 0x11",
    "ip[8] / (ip[9] - 6) = 64",
    // An offset no packet reaches rejects, even before `or`.
    "link[0x7fffffff] = 0 or udp",
    // Every relation.
    "ip[8] > 63",
    "ip[8] < 65",
    "ip[8] >= 64",
    "ip[8] <= 63",
    "ip[8] == 64",
    "ip[8] != 64",
    // At the boundary: a TTL of 64 is neither below nor above 64.
    "ip[8] < 64",
    "ip[8] > 64",
    "ip[8] >= 65",
    "ip[8] <= 64",
    // Packet length.
    "len > 100",
    "len <= 60",
    "less 60",
    "greater 700",
    "len = 54",
    "len - 14 > 500",
    "link[len - 1] != 256",
    // Loads past the captured bytes reject the packet, even under `not` or before `or`.
    "tcp[100] = 0",
    "not tcp[100] = 0",
    "tcp[100] = 0 or udp",
    "ip[1000:4] != 0 or tcp",
    "link[60000] = 0",
    "not ip[2:2] = 0",
    "ether[12:2] = 0x800",
    // Protocol numbers.
    "ip proto 6",
    "ip proto \\tcp",
    "ip proto \\udp or ip proto \\icmp",
    "ip proto 47",
    "ip proto 132",
    "ip6 proto 58",
    "ip6 proto \\tcp",
    "ip6 proto 17",
    // Mixed arithmetic, as in the listing test below.
    "ip[0] - ip[1] * 2 / 3 | 4 ^ 5 % 7 > 9",
    "ether[0] * 3000000000 = 1705032704",
    "len - len = 0",
    "greater 60 and less 90",
    "udp[8:4] = 0x70696e67",
    "ip6[6] = 58 or ip6[40] = 17",
    "ip[9] % 5 = 1 or ip[9] & 0x10 = 0x10",
    "ip[8] - ip[9] = 58",
    "arp[7] = 1 or udp",
];

/// The packets, in pcap order. Link layer is chosen per file; `vlan` packets only go in the
/// Ethernet file and non-IP packets not in the raw IP file.
fn corpus() -> Vec<(&'static str, Net, Option<u16>, Option<usize>)> {
    let a = v4("10.0.0.1");
    let b = v4("10.0.0.2");
    let c = v4("192.168.1.10");
    let d = v4("10.0.0.53");
    let x = v6("2001:db8::1");
    let y = v6("2001:db8::2");
    let z = v6("2001:db8:1::5");
    let ip4 = |src, dst, proto, payload| Net::V4 {
        src,
        dst,
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    };
    let ip6 = |src, dst, proto, payload| Net::V6 {
        src,
        dst,
        ext: vec![],
        proto,
        payload,
    };
    let mut out = vec![
        (
            "v4 tcp a:12345 > b:80",
            ip4(a, b, 6, Transport::Tcp(12345, 80)),
            None,
            None,
        ),
        (
            "v4 tcp b:80 > a:12345",
            ip4(b, a, 6, Transport::Tcp(80, 12345)),
            None,
            None,
        ),
        (
            "v4 tcp c:443 > a:50000",
            ip4(c, a, 6, Transport::Tcp(443, 50000)),
            None,
            None,
        ),
        (
            "v4 udp a:5353 > d:53",
            ip4(a, d, 17, Transport::Udp(5353, 53)),
            None,
            None,
        ),
        (
            "v4 udp d:53 > a:5353",
            ip4(d, a, 17, Transport::Udp(53, 5353)),
            None,
            None,
        ),
        ("v4 icmp a > c", ip4(a, c, 1, Transport::Echo), None, None),
        (
            "v4 tcp a:5000 > a:5000",
            ip4(a, a, 6, Transport::Tcp(5000, 5000)),
            None,
            None,
        ),
        (
            "v4 tcp 1500 > 8080",
            ip4(c, d, 6, Transport::Tcp(1500, 8080)),
            None,
            None,
        ),
        (
            "v4 udp 8000 > 999",
            ip4(d, c, 17, Transport::Udp(8000, 999)),
            None,
            None,
        ),
        (
            "v4 sctp a:80 > b:9999",
            ip4(a, b, 132, Transport::Sctp(80, 9999)),
            None,
            None,
        ),
        (
            "v4 gre",
            ip4(a, b, 47, Transport::Raw(vec![0; 8])),
            None,
            None,
        ),
        (
            "v4 udp 0 > 0",
            ip4(b, d, 17, Transport::Udp(0, 0)),
            None,
            None,
        ),
        (
            "v4 tcp 2000 > 2001",
            ip4(b, c, 6, Transport::Tcp(2000, 2001)),
            None,
            None,
        ),
        (
            "v4 tcp 999 > 1000",
            ip4(b, c, 6, Transport::Tcp(999, 1000)),
            None,
            None,
        ),
        (
            "v4 tcp c:22 > b:40000",
            ip4(c, b, 6, Transport::Tcp(22, 40000)),
            None,
            None,
        ),
        (
            "v6 tcp x:1234 > y:80",
            ip6(x, y, 6, Transport::Tcp(1234, 80)),
            None,
            None,
        ),
        (
            "v6 udp z:53 > x:33333",
            ip6(z, x, 17, Transport::Udp(53, 33333)),
            None,
            None,
        ),
        ("v6 icmp6 x > y", ip6(x, y, 58, Transport::Echo), None, None),
        (
            "v6 tcp y:443 > z:2000",
            ip6(y, z, 6, Transport::Tcp(443, 2000)),
            None,
            None,
        ),
        (
            "v6 sctp z:80 > y:80",
            ip6(z, y, 132, Transport::Sctp(80, 80)),
            None,
            None,
        ),
        (
            "v6 tcp z:22 > x:5000",
            ip6(z, x, 6, Transport::Tcp(22, 5000)),
            None,
            None,
        ),
        (
            "v6 loopback tcp 80",
            ip6(v6("::1"), v6("::1"), 6, Transport::Tcp(80, 80)),
            None,
            None,
        ),
    ];
    out.extend([
        (
            "v4 tcp with 8 bytes of NOP options, c:22 > a:40000",
            Net::V4 {
                src: c,
                dst: a,
                proto: 6,
                frag_offset: 0,
                more_fragments: false,
                option_words: 2,
                payload: Transport::Tcp(22, 40000),
            },
            None,
            None,
        ),
        (
            "v4 udp with 4 bytes of options, dport 80",
            Net::V4 {
                src: b,
                dst: a,
                proto: 17,
                frag_offset: 0,
                more_fragments: false,
                option_words: 1,
                payload: Transport::Udp(7, 80),
            },
            None,
            None,
        ),
        (
            "v4 first fragment tcp a:80 > b:1",
            Net::V4 {
                src: a,
                dst: b,
                proto: 6,
                frag_offset: 0,
                more_fragments: true,
                option_words: 0,
                payload: Transport::Tcp(80, 1),
            },
            None,
            None,
        ),
        (
            "v4 later fragment, payload looks like port 80",
            Net::V4 {
                src: a,
                dst: b,
                proto: 6,
                frag_offset: 185,
                more_fragments: false,
                option_words: 0,
                payload: Transport::Raw(vec![0, 80, 0, 80, 0, 0, 0, 0]),
            },
            None,
            None,
        ),
        (
            "v6 fragment header then udp 53",
            Net::V6 {
                src: x,
                dst: z,
                ext: vec![(44, 0)],
                proto: 17,
                payload: Transport::Udp(53, 53),
            },
            None,
            None,
        ),
        (
            "v6 fragment header then icmp6",
            Net::V6 {
                src: y,
                dst: x,
                ext: vec![(44, 100)],
                proto: 58,
                payload: Transport::Echo,
            },
            None,
            None,
        ),
        (
            "v6 hop-by-hop then udp 53",
            Net::V6 {
                src: x,
                dst: y,
                ext: vec![(0, 0)],
                proto: 17,
                payload: Transport::Udp(53, 53),
            },
            None,
            None,
        ),
        (
            "v6 hop-by-hop then fragment then tcp",
            Net::V6 {
                src: x,
                dst: y,
                ext: vec![(0, 0), (44, 0)],
                proto: 6,
                payload: Transport::Tcp(80, 80),
            },
            None,
            None,
        ),
        (
            "arp request a > b",
            Net::Arp {
                rarp: false,
                spa: a,
                tpa: b,
            },
            None,
            None,
        ),
        (
            "arp reply b > a",
            Net::Arp {
                rarp: false,
                spa: b,
                tpa: a,
            },
            None,
            None,
        ),
        (
            "rarp with a",
            Net::Arp {
                rarp: true,
                spa: a,
                tpa: a,
            },
            None,
            None,
        ),
        (
            "vlan 7: v4 tcp a:1 > b:80",
            ip4(a, b, 6, Transport::Tcp(1, 80)),
            Some(7),
            None,
        ),
        (
            "lldp",
            Net::Other {
                ethertype: 0x88cc,
                payload: vec![2, 7, 4, 0, 0, 0, 0, 0, 1, 0, 0],
            },
            None,
            None,
        ),
        (
            "v4 tcp a:80 > b:80 captured to 2 bytes of tcp (Ethernet numbering)",
            ip4(a, b, 6, Transport::Tcp(80, 80)),
            None,
            Some(14 + 20 + 2),
        ),
        (
            "v4 udp captured to the IP header only",
            ip4(a, d, 17, Transport::Udp(53, 53)),
            None,
            Some(14 + 20),
        ),
        (
            "v6 tcp captured inside the destination address",
            ip6(x, y, 6, Transport::Tcp(80, 80)),
            None,
            Some(14 + 30),
        ),
        (
            "v4 tcp SYN a:40000 > b:80",
            ip4(a, b, 6, tcp_with(40000, 80, 0x02, 0, b"")),
            None,
            None,
        ),
        (
            "v4 tcp SYN-ACK b:80 > a:40000",
            ip4(b, a, 6, tcp_with(80, 40000, 0x12, 0, b"")),
            None,
            None,
        ),
        (
            "v4 tcp FIN PSH URG ECE CWR a:1 > b:2",
            ip4(a, b, 6, tcp_with(1, 2, 0xe9, 0, b"")),
            None,
            None,
        ),
        (
            "v4 tcp RST c:80 > a:3",
            ip4(c, a, 6, tcp_with(80, 3, 0x04, 0, b"")),
            None,
            None,
        ),
        (
            "v4 tcp with options, HTTP GET a:40001 > b:80",
            ip4(
                a,
                b,
                6,
                tcp_with(40001, 80, 0x18, 3, b"GET / HTTP/1.1\r\n\r\n"),
            ),
            None,
            None,
        ),
        (
            "v4 icmp echo reply c > a",
            ip4(c, a, 1, Transport::Raw(vec![0, 0, 0, 0, 0x12, 0x34, 0, 1])),
            None,
            None,
        ),
        (
            "v4 icmp port unreachable c > a",
            ip4(c, a, 1, Transport::Raw(vec![3, 3, 0, 0, 0, 0, 0, 0])),
            None,
            None,
        ),
        (
            "v4 icmp time exceeded c > a",
            ip4(c, a, 1, Transport::Raw(vec![11, 0, 0, 0, 0, 0, 0, 0])),
            None,
            None,
        ),
        (
            "v4 udp with 700 bytes of payload a > d",
            ip4(a, d, 17, udp_with(5000, 6000, 700)),
            None,
            None,
        ),
        (
            "v6 icmp6 echo reply y > x",
            ip6(
                y,
                x,
                58,
                Transport::Raw(vec![129, 0, 0, 0, 0x12, 0x34, 0, 1]),
            ),
            None,
            None,
        ),
        (
            "v6 icmp6 neighbour solicitation y > x",
            ip6(y, x, 58, Transport::Raw(vec![135, 0, 0, 0, 0, 0, 0, 0])),
            None,
            None,
        ),
        (
            "v4 tcp captured to 4 bytes of the IP header",
            ip4(a, b, 6, Transport::Tcp(80, 80)),
            None,
            Some(14 + 4),
        ),
    ]);
    out
}

/// A TCP header with these ports and flags, `option_words` words of NOP options, then `data`.
fn tcp_with(sport: u16, dport: u16, flags: u8, option_words: u8, data: &[u8]) -> Transport {
    let mut v = sport.to_be_bytes().to_vec();
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&[
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        0,
        (5 + option_words) << 4,
        flags,
        0xff,
        0xff,
    ]);
    v.extend_from_slice(&[0, 0, 0, 0]);
    v.extend(std::iter::repeat(1).take(4 * usize::from(option_words)));
    v.extend_from_slice(data);
    Transport::Raw(v)
}

/// A UDP header and `len` bytes of payload.
fn udp_with(sport: u16, dport: u16, len: usize) -> Transport {
    let mut v = sport.to_be_bytes().to_vec();
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + len) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend((0..len).map(|i| i as u8));
    Transport::Raw(v)
}

/// The frames of one capture file, with each one's index in `corpus()`.
fn frames(link: Link) -> Vec<(usize, Frame)> {
    corpus()
        .into_iter()
        .enumerate()
        .filter_map(|(i, (_, net, vlan, caplen))| {
            let is_ip = matches!(net, Net::V4 { .. } | Net::V6 { .. });
            let (link, caplen) = match link {
                Link::Ethernet { .. } => (Link::Ethernet { vlan }, caplen),
                _ if vlan.is_some() => return None,
                Link::Raw if !is_ip => return None,
                // Keep the cut at the same place in the network layer.
                Link::Raw => (link, caplen.map(|c| c - 14)),
                Link::Sll => (link, caplen.map(|c| c + 2)),
            };
            Some((i, Frame { link, net, caplen }))
        })
        .collect()
}

/// Packet positions (within the file) that tcpdump prints for `expr`.
fn tcpdump_matches(file: &Path, expr: &str) -> BTreeSet<usize> {
    let out = packets::tcpdump_output(file, &["-tt"], expr);
    String::from_utf8_lossy(&out)
        .lines()
        // Continuation lines start with whitespace; packet lines with the timestamp.
        .filter_map(|l| l.split('.').next()?.parse::<u32>().ok())
        .map(|sec| (sec - PCAP_FIRST_SECOND) as usize)
        .collect()
}

/// tcpdump's compiled program for `expr` on `file`'s link type, as instructions and listing.
/// `None` when libpcap refuses the filter as matching nothing.
fn tcpdump_program(file: &Path, expr: &str) -> Option<(Vec<SockFilter>, String)> {
    let run = |flag: &str| {
        let out = Command::new("tcpdump")
            .args([flag, "-r"])
            .arg(file)
            .arg(expr)
            .output()
            .expect("run tcpdump");
        if String::from_utf8_lossy(&out.stderr).contains("expression rejects all packets") {
            return None;
        }
        assert!(out.status.success(), "tcpdump {flag} '{expr}'");
        Some(String::from_utf8(out.stdout).expect("utf-8 listing"))
    };
    let insns = run("-dd")?
        .lines()
        .map(|l| {
            // `{ 0x28, 0, 0, 0x0000000c },`
            let f: Vec<u64> = l
                .trim_matches(|c| matches!(c, '{' | '}' | ',' | ' '))
                .split(',')
                .map(|n| {
                    let n = n.trim();
                    match n.strip_prefix("0x") {
                        Some(h) => u64::from_str_radix(h, 16),
                        None => n.parse(),
                    }
                    .unwrap_or_else(|e| panic!("bad -dd line {l:?}: {e}"))
                })
                .collect();
            assert_eq!(f.len(), 4, "bad -dd line {l:?}");
            SockFilter {
                code: f[0] as u16,
                jt: f[1] as u8,
                jf: f[2] as u8,
                k: f[3] as u32,
            }
        })
        .collect();
    Some((insns, run("-d")?))
}

#[test]
fn matches_equal_tcpdumps() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir(std::env::temp_dir().join(format!("filter-oracle-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let names: Vec<&str> = corpus().iter().map(|c| c.0).collect();
    let mut failures = Vec::new();
    let mut compared = 0;

    for (link, lt) in [
        (Link::Ethernet { vlan: None }, Framing::Ethernet),
        (Link::Sll, Framing::LinuxSll),
        (Link::Raw, Framing::RawIp),
    ] {
        let frames = frames(link);
        let packets: Vec<(Vec<u8>, u32)> = frames.iter().map(|(_, f)| f.bytes()).collect();
        let file = dir.0.join(format!("{lt:?}.pcap"));
        std::fs::write(&file, pcap_file(link.pcap_linktype(), &packets)).unwrap();

        for expr in EXPRESSIONS {
            let ours = match compile(&parse(expr).unwrap(), lt) {
                Ok(prog) => prog,
                // Refused as matching nothing: libpcap must refuse it too.
                Err(raw_sniff::filter::CompileError::RejectsAll) => {
                    assert!(
                        tcpdump_program(&file, expr).is_none(),
                        "'{expr}' on {lt:?}: refused as rejecting every packet, tcpdump takes it"
                    );
                    continue;
                }
                Err(e) => panic!("'{expr}' on {lt:?}: {e}"),
            };
            let theirs = tcpdump_matches(&file, expr);
            let accepted = |prog: &[SockFilter]| -> BTreeSet<usize> {
                packets
                    .iter()
                    .enumerate()
                    .filter(|(_, (data, wire))| run(prog, data, *wire) == SNAPLEN)
                    .map(|(i, _)| i)
                    .collect()
            };
            let name = |set: &BTreeSet<usize>| -> Vec<&str> {
                set.iter().map(|&i| names[frames[i].0]).collect()
            };
            compared += 1;

            let mine = accepted(ours.instructions());
            if mine != theirs {
                failures.push(format!(
                    "{lt:?} '{expr}':\n  only ours:    {:?}\n  only tcpdump: {:?}\nour program:\n{ours}",
                    name(&mine.difference(&theirs).copied().collect()),
                    name(&theirs.difference(&mine).copied().collect()),
                ));
            }

            // tcpdump's own code, run by our interpreter and printed by our lister.
            let Some((their_prog, their_listing)) = tcpdump_program(&file, expr) else {
                continue;
            };
            if let Err(e) = verify(&their_prog) {
                failures.push(format!(
                    "{lt:?} '{expr}': tcpdump's program fails verify: {e}"
                ));
            }
            if accepted(&their_prog) != theirs {
                failures.push(format!(
                    "{lt:?} '{expr}': our interpreter running tcpdump's program disagrees with tcpdump"
                ));
            }
            let listing: String = their_prog
                .iter()
                .enumerate()
                .map(|(pc, &ins)| format!("{}\n", Listing { pc, ins }))
                .collect();
            if listing != their_listing {
                failures.push(format!(
                    "{lt:?} '{expr}': listing differs\n--- ours\n{listing}--- tcpdump -d\n{their_listing}"
                ));
            }
            // Loosely: no optimiser here, but the code should stay the same order of size.
            if ours.len() > 4 * their_prog.len() + 16 {
                failures.push(format!(
                    "{lt:?} '{expr}': {} instructions against tcpdump's {}",
                    ours.len(),
                    their_prog.len()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} comparisons failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} filter/link-type pairs agree with tcpdump");
}

/// The test itself must be able to fail: tcpdump sees a difference we would miss otherwise.
#[test]
fn oracle_sees_a_wrong_answer() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir =
        TempDir(std::env::temp_dir().join(format!("filter-oracle-neg-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let frames = frames(Link::Ethernet { vlan: None });
    let packets: Vec<(Vec<u8>, u32)> = frames.iter().map(|(_, f)| f.bytes()).collect();
    let file = dir.0.join("eth.pcap");
    std::fs::write(&file, pcap_file(1, &packets)).unwrap();
    // `port 80` evaluated as `tcp port 80` would miss the UDP and SCTP packets.
    let narrower = compile(&parse("tcp port 80").unwrap(), Framing::Ethernet).unwrap();
    let mine: BTreeSet<usize> = packets
        .iter()
        .enumerate()
        .filter(|(_, (d, w))| narrower.run(d, *w) == SNAPLEN)
        .map(|(i, _)| i)
        .collect();
    assert_ne!(mine, tcpdump_matches(&file, "port 80"));
}

/// A long program, unoptimised (`-O`), so tcpdump's own code holds `ja` instructions: they
/// must list and run the same in our lister and interpreter.
#[test]
fn long_jumps_list_and_run_like_tcpdumps() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir =
        TempDir(std::env::temp_dir().join(format!("filter-oracle-ja-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let frames = frames(Link::Ethernet { vlan: None });
    let packets: Vec<(Vec<u8>, u32)> = frames.iter().map(|(_, f)| f.bytes()).collect();
    let file = dir.0.join("eth.pcap");
    std::fs::write(&file, pcap_file(1, &packets)).unwrap();
    let ports: Vec<String> = (1..60).map(|p| p.to_string()).collect();
    let expr = format!("port {}", ports.join(" or "));

    let tcpdump = |flag: &str| {
        let out = Command::new("tcpdump")
            .args(["-O", flag, "-r"])
            .arg(&file)
            .arg(&expr)
            .output()
            .expect("run tcpdump");
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let theirs: Vec<SockFilter> = tcpdump("-dd")
        .lines()
        .map(|l| {
            let f: Vec<u32> = l
                .trim_matches(|c| matches!(c, '{' | '}' | ',' | ' '))
                .split(',')
                .map(|n| {
                    let n = n.trim();
                    n.strip_prefix("0x").map_or_else(
                        || n.parse().unwrap(),
                        |h| u32::from_str_radix(h, 16).unwrap(),
                    )
                })
                .collect();
            SockFilter {
                code: f[0] as u16,
                jt: f[1] as u8,
                jf: f[2] as u8,
                k: f[3],
            }
        })
        .collect();
    assert!(
        theirs.iter().any(|i| i.code == 0x05),
        "expected ja in tcpdump -O output"
    );
    assert_eq!(verify(&theirs), Ok(()));
    let listing: String = theirs
        .iter()
        .enumerate()
        .map(|(pc, &ins)| format!("{}\n", Listing { pc, ins }))
        .collect();
    assert_eq!(listing, tcpdump("-d"));

    let ours = compile(&parse(&expr).unwrap(), Framing::Ethernet).unwrap();
    let matched = tcpdump_matches(&file, &expr);
    assert!(!matched.is_empty());
    for (i, (data, wire)) in packets.iter().enumerate() {
        let want = matched.contains(&i);
        assert_eq!(
            run(&theirs, data, *wire) == SNAPLEN,
            want,
            "tcpdump's code, packet {i}"
        );
        assert_eq!(
            ours.run(data, *wire) == SNAPLEN,
            want,
            "our code, packet {i}"
        );
    }
}

/// What we refuse, tcpdump refuses too (the messages differ: ours point at the token).
#[test]
fn rejected_expressions_are_rejected_by_tcpdump_too() {
    if !packets::tcpdump_available() {
        return;
    }
    let bad = [
        "80",
        "1.2.3.4",
        "tcp and 80",
        "port 80 and tcp or 443",
        "ip port 80",
        "ip6 portrange 1-2",
        "tcp host 1.2.3.4",
        "icmp net 10.0.0.0/8",
        "ip6 host 1.2.3.4",
        "ip host ::1",
        "arp host ::1",
        "net 10.0.0.1/8",
        "net 2001:db8::1/32",
        "dst 10.0.0.0/8",
        "host 10.0.0.0/8",
        "port 65536",
        "portrange 1-65536",
        "tcp udp",
        "(tcp",
        "tcp)",
        "tcp and",
        "not",
        "tcp & udp",
        "port 80 or",
        "port 09",
        "tcp[0:3] = 0",
        "ip[1:2:3] = 0",
        "ip[1/0] = 0",
        "ip[0] = 1 % 0",
        "ip proto tcp",
        "ip6 proto \\icmp6",
        "len-5 > 0",
        "5-3 = len",
        "tcp[0] =",
        "tcp[0",
        "ip[0:] = 1",
        "tcp[0] & 1",
        "less",
        "greater x",
        "ip[0] = icmp-bogus",
        "ip[0] = 1 << 32",
        "ip[0] = ip[1] >> 33",
        "ip[0] = 4 / (2 - 2)",
        "ip[0] = ip[1] % (2 - 2)",
        "ip[2:2] >> (30 + 3) = 0",
    ];
    for expr in bad {
        // Refused when read, or (for constants that fold to a bad divisor or shift, as in
        // libpcap's optimiser) when compiled.
        let compiles = parse(expr).is_ok_and(|e| compile(&e, Framing::Ethernet).is_ok());
        assert!(!compiles, "we accept '{expr}'");
        let out = Command::new("tcpdump")
            .args(["-d", expr])
            .output()
            .expect("run tcpdump");
        assert!(!out.status.success(), "tcpdump accepts '{expr}'");
    }
}

/// Expressions of every kind, some outside our subset (VLAN, `ether proto`, `rarp`), give
/// tcpdump programs using every kind of instruction: our lister must print them as `tcpdump -d`
/// does, and our interpreter must accept the packets tcpdump's own interpreter accepts.
#[test]
fn any_tcpdump_program_lists_and_runs_the_same_here() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir =
        TempDir(std::env::temp_dir().join(format!("filter-oracle-any-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let frames = frames(Link::Ethernet { vlan: None });
    let packets: Vec<(Vec<u8>, u32)> = frames.iter().map(|(_, f)| f.bytes()).collect();
    let file = dir.0.join("eth.pcap");
    std::fs::write(&file, pcap_file(1, &packets)).unwrap();
    let exprs = [
        "len > 70",
        "len - len = 0",
        "greater 60 and less 90",
        "ip[2:2] + 3 > 50",
        "tcp[13] & 16 != 0",
        "tcp[tcpflags] & tcp-ack != 0",
        "ip[0] - ip[1] * 2 / 3 | 4 ^ 5 % 7 > 9",
        "ether[0] * 3000000000 = 1705032704",
        "ip[8] >> 1 = 32 and ip[9] << 2 = 24",
        "ip[8] - ip[9] = 58",
        "ip[9] + ip[8] = 70",
        "ip[9] % 5 = 1 or ip[9] & 0x10 = 0x10",
        "udp[8:4] = 0x70696e67",
        "icmp[icmptype] = icmp-echo",
        "ip6[6] = 58 or ip6[40] = 17",
        "vlan 7 and tcp port 80",
        "vlan and ip",
        "ether[0xfffff000:2] = 0x800",
        "ether[12:2] = 0x800 && ip[6:2] & 0x1fff != 0",
        "arp[7] = 1 or rarp",
        "ether proto 0x88cc",
    ];
    let mut failures = Vec::new();
    for expr in exprs {
        let Some((prog, listing)) = tcpdump_program(&file, expr) else {
            continue;
        };
        let ours: String = prog
            .iter()
            .enumerate()
            .map(|(pc, &ins)| format!("{}\n", Listing { pc, ins }))
            .collect();
        if ours != listing {
            failures.push(format!(
                "'{expr}': listing differs\n--- ours\n{ours}--- tcpdump -d\n{listing}"
            ));
        }
        if let Err(e) = verify(&prog) {
            // Ancillary loads are refused on purpose; everything else must pass.
            if !expr.contains("0xfffff") {
                failures.push(format!("'{expr}': tcpdump's program fails verify: {e}"));
            }
        }
        let theirs = tcpdump_matches(&file, expr);
        let mine: BTreeSet<usize> = packets
            .iter()
            .enumerate()
            .filter(|(_, (d, w))| run(&prog, d, *w) != 0)
            .map(|(i, _)| i)
            .collect();
        if mine != theirs {
            failures.push(format!(
                "'{expr}': our interpreter accepts {mine:?}, tcpdump {theirs:?}\n{listing}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
