//! Packet builders and a pcap writer shared by the filter tests (included with `#[path]`).
//!
//! The packets are built by hand on purpose: the filter tests need headers that real traffic on
//! a test machine rarely produces (IPv4 options, later fragments, RARP, SCTP, IPv6 fragment
//! headers, captures cut short), each in a known place. Checksums are left zero: no filter
//! reads them, and tcpdump only checks them with `-v`.
#![allow(dead_code)]

/// What precedes the network layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Ethernet II, optionally with one 802.1Q tag.
    Ethernet { vlan: Option<u16> },
    /// Linux cooked capture v1.
    Sll,
    /// No link header.
    Raw,
}

impl Link {
    /// The pcap link-type number.
    pub fn pcap_linktype(self) -> u32 {
        match self {
            Link::Ethernet { .. } => 1,
            Link::Sll => 113,
            Link::Raw => 101,
        }
    }
}

/// The transport layer, as bytes after the IP header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// TCP header (20 bytes, flags ACK).
    Tcp(u16, u16),
    /// UDP header with 4 bytes of payload.
    Udp(u16, u16),
    /// SCTP common header (12 bytes).
    Sctp(u16, u16),
    /// ICMP or ICMPv6 echo request.
    Echo,
    /// Arbitrary bytes.
    Raw(Vec<u8>),
}

impl Transport {
    pub fn bytes(&self, icmp6: bool) -> Vec<u8> {
        let ports = |s: u16, d: u16| {
            let mut v = s.to_be_bytes().to_vec();
            v.extend_from_slice(&d.to_be_bytes());
            v
        };
        match self {
            Transport::Tcp(s, d) => {
                let mut v = ports(*s, *d);
                v.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
                v
            }
            Transport::Udp(s, d) => {
                let mut v = ports(*s, *d);
                v.extend_from_slice(&[0, 12, 0, 0, b'p', b'i', b'n', b'g']);
                v
            }
            Transport::Sctp(s, d) => {
                let mut v = ports(*s, *d);
                v.extend_from_slice(&[0; 8]);
                v
            }
            Transport::Echo => {
                let ty = if icmp6 { 128 } else { 8 };
                vec![ty, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i', b'!', b'!']
            }
            Transport::Raw(b) => b.clone(),
        }
    }
}

/// The network layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Net {
    V4 {
        src: [u8; 4],
        dst: [u8; 4],
        proto: u8,
        /// Fragment offset in 8-byte units (13 bits).
        frag_offset: u16,
        more_fragments: bool,
        /// Number of 4-byte words of options (IHL = 5 + this).
        option_words: u8,
        payload: Transport,
    },
    V6 {
        src: [u8; 16],
        dst: [u8; 16],
        /// Extension headers, each (its own type, as named in the previous next-header field).
        /// Supported: 0 (hop-by-hop, 8 bytes) and 44 (fragment, 8 bytes, offset given).
        ext: Vec<(u8, u16)>,
        /// The upper-layer protocol number.
        proto: u8,
        payload: Transport,
    },
    Arp {
        /// RARP (ethertype 0x8035) rather than ARP.
        rarp: bool,
        spa: [u8; 4],
        tpa: [u8; 4],
    },
    /// Any other ethertype (not possible on raw IP).
    Other { ethertype: u16, payload: Vec<u8> },
}

impl Net {
    pub fn ethertype(&self) -> u16 {
        match self {
            Net::V4 { .. } => 0x0800,
            Net::V6 { .. } => 0x86dd,
            Net::Arp { rarp: false, .. } => 0x0806,
            Net::Arp { rarp: true, .. } => 0x8035,
            Net::Other { ethertype, .. } => *ethertype,
        }
    }

    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Net::V4 {
                src,
                dst,
                proto,
                frag_offset,
                more_fragments,
                option_words,
                payload,
            } => {
                let body = payload.bytes(false);
                let hlen = 20 + 4 * usize::from(*option_words);
                let total = (hlen + body.len()) as u16;
                let mut v = vec![0x40 | (5 + option_words), 0];
                v.extend_from_slice(&total.to_be_bytes());
                v.extend_from_slice(&[0x12, 0x34]);
                let flags = (frag_offset & 0x1fff) | if *more_fragments { 0x2000 } else { 0 };
                v.extend_from_slice(&flags.to_be_bytes());
                v.extend_from_slice(&[64, *proto, 0, 0]);
                v.extend_from_slice(src);
                v.extend_from_slice(dst);
                // Options: NOPs then End of Options; port-looking bytes would show a wrong offset.
                for i in 0..4 * usize::from(*option_words) {
                    v.push(if i + 1 == 4 * usize::from(*option_words) {
                        0
                    } else {
                        1
                    });
                }
                v.extend_from_slice(&body);
                v
            }
            Net::V6 {
                src,
                dst,
                ext,
                proto,
                payload,
            } => {
                let body = payload.bytes(*proto == 58);
                let mut chain = Vec::new();
                for (i, (_, frag_off)) in ext.iter().enumerate() {
                    let next = ext.get(i + 1).map_or(*proto, |e| e.0);
                    let off = frag_off << 3;
                    let [a, b] = off.to_be_bytes();
                    chain.extend_from_slice(&[next, 0, a, b, 0, 0, 0, 7]);
                }
                let first = ext.first().map_or(*proto, |e| e.0);
                let plen = (chain.len() + body.len()) as u16;
                let mut v = vec![0x60, 0, 0, 0];
                v.extend_from_slice(&plen.to_be_bytes());
                v.extend_from_slice(&[first, 64]);
                v.extend_from_slice(src);
                v.extend_from_slice(dst);
                v.extend_from_slice(&chain);
                v.extend_from_slice(&body);
                v
            }
            Net::Arp { rarp, spa, tpa } => {
                let op: u16 = if *rarp { 3 } else { 1 };
                let mut v = vec![0, 1, 0x08, 0x00, 6, 4];
                v.extend_from_slice(&op.to_be_bytes());
                v.extend_from_slice(&[2, 0, 0, 0, 0, 1]);
                v.extend_from_slice(spa);
                v.extend_from_slice(&[0; 6]);
                v.extend_from_slice(tpa);
                v
            }
            Net::Other { payload, .. } => payload.clone(),
        }
    }
}

/// A frame and how much of it was captured.
#[derive(Debug, Clone)]
pub struct Frame {
    pub link: Link,
    pub net: Net,
    /// Keep only this many bytes (a capture with a short snap length).
    pub caplen: Option<usize>,
}

impl Frame {
    /// `(captured bytes, length on the wire)`.
    pub fn bytes(&self) -> (Vec<u8>, u32) {
        let net = self.net.bytes();
        let mut v = Vec::new();
        match self.link {
            Link::Ethernet { vlan } => {
                v.extend_from_slice(&[0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]);
                if let Some(id) = vlan {
                    v.extend_from_slice(&[0x81, 0x00]);
                    v.extend_from_slice(&id.to_be_bytes());
                }
                v.extend_from_slice(&self.net.ethertype().to_be_bytes());
            }
            Link::Sll => {
                // Packet type 0 (to us), ARPHRD_ETHER, 6-byte address, padding, protocol.
                v.extend_from_slice(&[0, 0, 0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0]);
                v.extend_from_slice(&self.net.ethertype().to_be_bytes());
            }
            Link::Raw => {}
        }
        v.extend_from_slice(&net);
        let wire = v.len() as u32;
        if let Some(c) = self.caplen {
            v.truncate(c);
        }
        (v, wire)
    }
}

/// A classic pcap file (microsecond timestamps, little-endian), packet `i` stamped at second
/// `1_000_000 + i` so tcpdump's `-tt` output names it.
pub fn pcap_file(linktype: u32, packets: &[(Vec<u8>, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // thiszone
    out.extend_from_slice(&0u32.to_le_bytes()); // sigfigs
    out.extend_from_slice(&262_144u32.to_le_bytes()); // snaplen
    out.extend_from_slice(&linktype.to_le_bytes());
    for (i, (data, wire)) in packets.iter().enumerate() {
        out.extend_from_slice(&(PCAP_FIRST_SECOND + i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&wire.to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// The sum of `bytes` as big-endian 16-bit words (an odd last byte padded with zero), the
/// first step of the Internet checksum; a pseudo-header's sum goes into [`internet_checksum`].
pub fn word_sum(bytes: &[u8]) -> u32 {
    bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum()
}

/// The Internet checksum (RFC 1071) of `bytes`, starting from `sum` (0, or a pseudo-header's
/// [`word_sum`]). Tests that compare lines with tcpdump build packets whose sums are right,
/// so that raw-sniff's bad-checksum notes stay out of the lines.
pub fn internet_checksum(sum: u32, bytes: &[u8]) -> u16 {
    let mut sum = u64::from(sum) + u64::from(word_sum(bytes));
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Timestamp (seconds) of the first packet in [`pcap_file`].
pub const PCAP_FIRST_SECOND: u32 = 1_000_000;

pub fn v4(s: &str) -> [u8; 4] {
    s.parse::<std::net::Ipv4Addr>().unwrap().octets()
}

pub fn v6(s: &str) -> [u8; 16] {
    s.parse::<std::net::Ipv6Addr>().unwrap().octets()
}

/// What `tcpdump -n OPTIONS -r FILE EXPR` prints. libpcap refuses to run a filter its optimiser
/// proves always false (`ip6` on raw IPv4, `(tcp or udp) and icmp`): that is an answer, not a
/// failure, and reads as no output at all. Any other failure fails the test.
pub fn tcpdump_output(file: &std::path::Path, options: &[&str], expr: &str) -> Vec<u8> {
    let out = std::process::Command::new("tcpdump")
        .arg("-n")
        .args(options)
        .arg("-r")
        .arg(file)
        .arg(expr)
        .output()
        .expect("run tcpdump");
    if String::from_utf8_lossy(&out.stderr).contains("expression rejects all packets") {
        return Vec::new();
    }
    assert!(
        out.status.success(),
        "tcpdump -r {} '{expr}': {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Whether libpcap refuses `expr` on `file`'s link type as matching nothing ("expression
/// rejects all packets"), which is when raw-sniff refuses it with
/// `CompileError::RejectsAll` too.
pub fn tcpdump_rejects_all(file: &std::path::Path, expr: &str) -> bool {
    let out = std::process::Command::new("tcpdump")
        .args(["-d", "-r"])
        .arg(file)
        .arg(expr)
        .output()
        .expect("run tcpdump");
    String::from_utf8_lossy(&out.stderr).contains("expression rejects all packets")
}

/// Whether tcpdump can be run; when it cannot, says so and the test skips (but fails in CI,
/// where these oracle tests must run).
pub fn tcpdump_available() -> bool {
    let ok = std::process::Command::new("tcpdump")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("tcpdump is not installed, and CI=true requires this oracle test to run");
        }
        eprintln!("skipping: tcpdump is not installed (apt-get install tcpdump)");
    }
    ok
}

/// What tcpdump keeps, or its error when it refuses the expression.
pub fn tcpdump_keeps(
    file: &std::path::Path,
    expr: &str,
) -> Result<std::collections::BTreeSet<usize>, String> {
    let out = std::process::Command::new("tcpdump")
        .args(["-n", "-tt", "-r"])
        .arg(file)
        .arg(expr)
        .output()
        .expect("run tcpdump");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // A refusal like any other ("expression rejects all packets" included): raw-sniff
    // refuses such a filter too.
    if !out.status.success() {
        return Err(stderr);
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split('.').next()?.parse::<u32>().ok())
        .map(|sec| (sec - PCAP_FIRST_SECOND) as usize)
        .collect())
}

/// A directory for a test's capture files, removed with everything in it when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
