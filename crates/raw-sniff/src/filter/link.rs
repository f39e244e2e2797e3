//! The link-layer primitives of pcap-filter(7): Ethernet addresses (written in any of
//! libpcap's notations, or as a name from `/etc/ethers`), `ether proto`, the link-layer
//! protocols that stand alone as a word (`stp`, `ipx`, `isis`, …), LLC frame types,
//! broadcast and multicast destinations, and the 802.11 address fields, frame types and
//! directions.
//!
//! Only the reading of `/etc/ethers` touches the file system, and only for a name that is not
//! an address, as libpcap does.

use std::fmt;

use super::ast::Dir;

/// A primitive that tests the link layer (or, for `ip multicast` and `ip broadcast`, an
/// address class), as libpcap 1.10 compiles it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkPrim {
    /// `ether host A`, `ether src A`, `ether dst A`: the Ethernet source and/or destination.
    EtherHost {
        /// Source, destination or both.
        dir: Dir,
        /// The address.
        mac: MacAddr,
    },
    /// `ether proto N` / `link proto N`: an ethertype, or for N ≤ 1500 an 802.2 LLC SAP (with
    /// libpcap's special cases for IPX, AppleTalk, OSI, NetBEUI and IP over 802.2).
    EtherProto(u32),
    /// A protocol word standing alone: `stp`, `ipx`, `isis`, `l1`, ….
    Word(LinkWord),
    /// `llc`: an 802.3 frame carrying 802.2 LLC (not Novell's raw 802.3); with a type, whose
    /// control field says that frame type.
    Llc(Option<LlcType>),
    /// `broadcast` / `ether broadcast`: destination ff:ff:ff:ff:ff:ff.
    Broadcast,
    /// `multicast` / `ether multicast`: the group bit of the destination is set.
    Multicast,
    /// `ip multicast` (destination in 224.0.0.0/4 or above) / `ip6 multicast` (ff00::/8).
    IpMulticast {
        /// `true` for `ip6 multicast`.
        v6: bool,
    },
    /// `iso proto N`: an OSI packet whose NLPID is N; `isis proto N`: an IS-IS PDU of type N.
    OsiProto {
        /// `true` for `isis proto`.
        isis: bool,
        /// The NLPID or PDU type.
        number: u32,
    },
    /// `ip broadcast`: an IPv4 destination of all zeros or all ones, which is what libpcap
    /// makes of it with the netmask 0 that tcpdump passes for a capture file.
    IpBroadcast,
    /// `wlan addr1` … `wlan addr4`, `wlan ra`, `wlan ta`: one 802.11 address field.
    WlanAddr {
        /// Which.
        field: WlanField,
        /// The address.
        mac: MacAddr,
    },
    /// `type T`: the 802.11 frame type bits (0x0c of the first frame control byte), as
    /// libpcap writes them: 0x00 management, 0x04 control, 0x08 data.
    WlanType(u8),
    /// `subtype S` / `type T subtype S`: the 802.11 type and subtype bits (0xfc of the first
    /// frame control byte).
    WlanSubtype(u8),
    /// `dir D`: the 802.11 to-DS and from-DS bits (0x03 of the second frame control byte).
    WlanDir(u8),
}

/// The 802.11 address fields `wlan` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WlanField {
    /// `addr1` / `address1`: the first address, in every frame.
    Addr1,
    /// `addr2` / `address2`: the second, absent from CTS and ACK frames.
    Addr2,
    /// `addr3` / `address3`: the third, in management and data frames.
    Addr3,
    /// `addr4` / `address4`: the fourth, in data frames both to and from the DS.
    Addr4,
    /// `ra`: the receiver address (addr1).
    Ra,
    /// `ta`: the transmitter address (addr2, where there is one).
    Ta,
}

impl WlanField {
    /// The field a word names.
    pub(crate) fn from_word(w: &str) -> Option<WlanField> {
        Some(match w {
            "addr1" | "address1" => WlanField::Addr1,
            "addr2" | "address2" => WlanField::Addr2,
            "addr3" | "address3" => WlanField::Addr3,
            "addr4" | "address4" => WlanField::Addr4,
            "ra" => WlanField::Ra,
            "ta" => WlanField::Ta,
            _ => return None,
        })
    }
}

impl fmt::Display for WlanField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WlanField::Addr1 => "addr1",
            WlanField::Addr2 => "addr2",
            WlanField::Addr3 => "addr3",
            WlanField::Addr4 => "addr4",
            WlanField::Ra => "ra",
            WlanField::Ta => "ta",
        })
    }
}

/// The 802.11 frame types `type` takes, with their bits in the frame control byte.
pub(crate) const WLAN_TYPES: &[(&str, u8)] = &[("mgt", 0x00), ("ctl", 0x04), ("data", 0x08)];

/// The 802.11 subtypes `subtype` takes, with their frame type, as libpcap names them.
pub(crate) const WLAN_SUBTYPES: &[(&str, u8)] = &[
    ("assoc-req", 0x00),
    ("assoc-resp", 0x10),
    ("reassoc-req", 0x20),
    ("reassoc-resp", 0x30),
    ("probe-req", 0x40),
    ("probe-resp", 0x50),
    ("beacon", 0x80),
    ("atim", 0x90),
    ("disassoc", 0xa0),
    ("auth", 0xb0),
    ("deauth", 0xc0),
    ("ps-poll", 0xa4),
    ("rts", 0xb4),
    ("cts", 0xc4),
    ("ack", 0xd4),
    ("cf-end", 0xe4),
    ("cf-end-ack", 0xf4),
    ("data", 0x08),
    ("data-cf-ack", 0x18),
    ("data-cf-poll", 0x28),
    ("data-cf-ack-poll", 0x38),
    ("null", 0x48),
    ("cf-ack", 0x58),
    ("cf-poll", 0x68),
    ("cf-ack-poll", 0x78),
    ("qos-data", 0x88),
    ("qos-data-cf-ack", 0x98),
    ("qos-data-cf-poll", 0xa8),
    ("qos-data-cf-ack-poll", 0xb8),
    ("qos", 0xc8),
    ("qos-cf-poll", 0xe8),
    ("qos-cf-ack-poll", 0xf8),
];

/// The 802.11 directions `dir` takes.
pub(crate) const WLAN_DIRS: &[(&str, u8)] =
    &[("nods", 0), ("tods", 1), ("fromds", 2), ("dstods", 3)];

/// The protocol words of pcap-filter(7) that name a link-layer protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkWord {
    /// DECnet Phase IV, ethertype 0x6003.
    Decnet,
    /// DEC LAT, ethertype 0x6004.
    Lat,
    /// DEC SCA, ethertype 0x6007.
    Sca,
    /// DEC MOP remote console, ethertype 0x6002.
    Moprc,
    /// DEC MOP dump/load, ethertype 0x6001.
    Mopdl,
    /// AppleTalk: ethertype 0x809b, or SNAP 08-00-07 / 0x809b.
    Atalk,
    /// AppleTalk ARP: ethertype 0x80f3, or SNAP 00-00-00 / 0x80f3.
    Aarp,
    /// Spanning tree: LLC SAP 0x42.
    Stp,
    /// IPX: ethertype 0x8137, SNAP 00-00-00 / 0x8137, LLC SAP 0xe0 or Novell raw 802.3.
    Ipx,
    /// NetBEUI: LLC SAPs 0xf0 0xf0.
    Netbeui,
    /// OSI: LLC SAPs 0xfe 0xfe.
    Iso,
    /// OSI CLNP: NLPID 0x81.
    Clnp,
    /// OSI ES-IS: NLPID 0x82.
    Esis,
    /// IS-IS: NLPID 0x83.
    Isis,
    /// IS-IS level 1 PDUs: L1 LAN hello, point-to-point hello, L1 LSP, L1 CSNP, L1 PSNP.
    L1,
    /// IS-IS level 2 PDUs: L2 LAN hello, point-to-point hello, L2 LSP, L2 CSNP, L2 PSNP.
    L2,
    /// IS-IS hellos (PDU types 15, 16, 17).
    Iih,
    /// IS-IS link state PDUs (18, 20).
    Lsp,
    /// IS-IS sequence number PDUs (24, 25, 26, 27).
    Snp,
    /// IS-IS complete sequence number PDUs (24, 25).
    Csnp,
    /// IS-IS partial sequence number PDUs (26, 27).
    Psnp,
}

/// Every link word, with its spelling.
pub(crate) const LINK_WORDS: &[(&str, LinkWord)] = &[
    ("decnet", LinkWord::Decnet),
    ("lat", LinkWord::Lat),
    ("sca", LinkWord::Sca),
    ("moprc", LinkWord::Moprc),
    ("mopdl", LinkWord::Mopdl),
    ("atalk", LinkWord::Atalk),
    ("aarp", LinkWord::Aarp),
    ("stp", LinkWord::Stp),
    ("ipx", LinkWord::Ipx),
    ("netbeui", LinkWord::Netbeui),
    ("iso", LinkWord::Iso),
    ("clnp", LinkWord::Clnp),
    ("esis", LinkWord::Esis),
    ("isis", LinkWord::Isis),
    ("l1", LinkWord::L1),
    ("l2", LinkWord::L2),
    ("iih", LinkWord::Iih),
    ("lsp", LinkWord::Lsp),
    ("snp", LinkWord::Snp),
    ("csnp", LinkWord::Csnp),
    ("psnp", LinkWord::Psnp),
];

/// The word for a link protocol, or `None`.
pub(crate) fn link_word(w: &str) -> Option<LinkWord> {
    LINK_WORDS.iter().find(|(n, _)| *n == w).map(|&(_, l)| l)
}

/// The LLC frame types `llc TYPE` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LlcType {
    /// Information frames (low bit of the control field clear).
    I,
    /// Supervisory frames.
    S,
    /// Unnumbered frames.
    U,
    /// Receiver ready.
    Rr,
    /// Receiver not ready.
    Rnr,
    /// Reject.
    Rej,
    /// Unnumbered information.
    Ui,
    /// Unnumbered acknowledgment.
    Ua,
    /// Disconnect.
    Disc,
    /// Disconnected mode.
    Dm,
    /// Set asynchronous balanced mode extended.
    Sabme,
    /// Test.
    Test,
    /// Exchange identification.
    Xid,
    /// Frame reject.
    Frmr,
}

const LLC_TYPES: &[(&str, LlcType)] = &[
    ("i", LlcType::I),
    ("s", LlcType::S),
    ("u", LlcType::U),
    ("rr", LlcType::Rr),
    ("rnr", LlcType::Rnr),
    ("rej", LlcType::Rej),
    ("ui", LlcType::Ui),
    ("ua", LlcType::Ua),
    ("disc", LlcType::Disc),
    ("dm", LlcType::Dm),
    ("sabme", LlcType::Sabme),
    ("test", LlcType::Test),
    ("xid", LlcType::Xid),
    ("frmr", LlcType::Frmr),
];

/// The LLC type for a name, or `None`.
pub(crate) fn llc_type(w: &str) -> Option<LlcType> {
    LLC_TYPES.iter().find(|(n, _)| *n == w).map(|&(_, l)| l)
}

impl LlcType {
    /// How the control byte is tested: it matches when `byte & mask == value`.
    pub(crate) fn control_test(self) -> (u32, u32) {
        match self {
            LlcType::I => (0x01, 0x00),
            LlcType::S => (0x03, 0x01),
            LlcType::U => (0x03, 0x03),
            LlcType::Rr => (0x0f, 0x01),
            LlcType::Rnr => (0x0f, 0x05),
            LlcType::Rej => (0x0f, 0x09),
            // Unnumbered commands and responses, with the poll/final bit (0x10) ignored.
            LlcType::Ui => (0xef, 0x03),
            LlcType::Ua => (0xef, 0x63),
            LlcType::Disc => (0xef, 0x43),
            LlcType::Dm => (0xef, 0x0f),
            LlcType::Sabme => (0xef, 0x6f),
            LlcType::Test => (0xef, 0xe3),
            LlcType::Xid => (0xef, 0xaf),
            LlcType::Frmr => (0xef, 0x87),
        }
    }
}

/// The backslashed names `ether proto` takes (`ether proto \stp`), as libpcap spells them.
pub(crate) fn ether_proto_name(name: &str) -> Option<u32> {
    Some(match name {
        "ip" => 0x0800,
        "ip6" => 0x86dd,
        "arp" => 0x0806,
        "rarp" => 0x8035,
        "atalk" => 0x809b,
        "aarp" => 0x80f3,
        "decnet" => 0x6003,
        "sca" => 0x6007,
        "lat" => 0x6004,
        "mopdl" => 0x6001,
        "moprc" => 0x6002,
        "iso" => 0xfe,
        "stp" => 0x42,
        "ipx" => 0xe0,
        "netbeui" => 0xf0,
        _ => return None,
    })
}

/// A 48-bit IEEE 802 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// Reads an address in one of the notations libpcap takes: six groups of one or two hex
    /// digits all separated by `:`, all by `-` or all by `.` (`0:1b:2c:3d:4e:5f`); three
    /// groups of four hex digits separated by `.` (`001b.2c3d.4e5f`); or twelve hex digits
    /// (`001b2c3d4e5f`).
    pub fn parse(s: &str) -> Option<MacAddr> {
        let hex = |g: &str, min: usize, max: usize| {
            (min..=max).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_hexdigit())
        };
        let mut bytes = Vec::with_capacity(6);
        if let Some(sep) = [':', '-', '.'].into_iter().find(|&c| s.contains(c)) {
            let groups: Vec<&str> = s.split(sep).collect();
            if groups.len() == 6 && groups.iter().all(|g| hex(g, 1, 2)) {
                for g in groups {
                    bytes.push(u8::from_str_radix(g, 16).ok()?);
                }
            } else if sep == '.' && groups.len() == 3 && groups.iter().all(|g| hex(g, 4, 4)) {
                for g in groups {
                    bytes.push(u8::from_str_radix(&g[..2], 16).ok()?);
                    bytes.push(u8::from_str_radix(&g[2..], 16).ok()?);
                }
            } else {
                return None;
            }
        } else if hex(s, 12, 12) {
            for i in 0..6 {
                bytes.push(u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?);
            }
        } else {
            return None;
        }
        Some(MacAddr(bytes.try_into().ok()?))
    }
}

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// Where libpcap (through the C library) looks up Ethernet host names.
pub const ETHERS_FILE: &str = "/etc/ethers";

/// The address of `name` in [`ETHERS_FILE`], or `None` if the file or the name is not there.
pub fn ethers_lookup(name: &str) -> Option<MacAddr> {
    let text = std::fs::read_to_string(ETHERS_FILE).ok()?;
    ethers_find(&text, name)
}

/// The address of `name` in the text of an ethers(5) file: lines of an address and a name,
/// `#` starting a comment. Names compare without regard to case, as the C library's do; the
/// first line that names it wins.
pub fn ethers_find(text: &str, name: &str) -> Option<MacAddr> {
    text.lines().find_map(|line| {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let addr = MacAddr::parse(fields.next()?)?;
        let host = fields.next()?;
        host.eq_ignore_ascii_case(name).then_some(addr)
    })
}

impl fmt::Display for LinkWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = LINK_WORDS
            .iter()
            .find(|(_, w)| w == self)
            .map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

impl fmt::Display for LlcType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = LLC_TYPES
            .iter()
            .find(|(_, t)| t == self)
            .map_or("?", |(n, _)| n);
        f.write_str(name)
    }
}

impl fmt::Display for LinkPrim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkPrim::EtherHost { dir, mac } => write!(f, "ether {dir} host {mac}"),
            LinkPrim::EtherProto(n) => write!(f, "ether proto {n}"),
            LinkPrim::Word(w) => write!(f, "{w}"),
            LinkPrim::Llc(None) => f.write_str("llc"),
            LinkPrim::Llc(Some(t)) => write!(f, "llc {t}"),
            LinkPrim::Broadcast => f.write_str("ether broadcast"),
            LinkPrim::Multicast => f.write_str("ether multicast"),
            LinkPrim::IpMulticast { v6 } => {
                f.write_str(if *v6 { "ip6 multicast" } else { "ip multicast" })
            }
            LinkPrim::IpBroadcast => f.write_str("ip broadcast"),
            LinkPrim::WlanAddr { field, mac } => write!(f, "wlan {field} {mac}"),
            LinkPrim::WlanType(v) => match WLAN_TYPES.iter().find(|(_, t)| t == v) {
                Some((name, _)) => write!(f, "type {name}"),
                None => write!(f, "type {v:#x}"),
            },
            LinkPrim::WlanSubtype(v) => {
                let ty = WLAN_TYPES.iter().find(|(_, t)| *t == v & 0x0c);
                let sub = WLAN_SUBTYPES.iter().find(|(_, s)| s == v);
                match (ty, sub) {
                    (Some((ty, _)), Some((sub, _))) => write!(f, "type {ty} subtype {sub}"),
                    _ => write!(f, "link[0] & 0xfc = {v:#x}"),
                }
            }
            LinkPrim::WlanDir(v) => match WLAN_DIRS.iter().find(|(_, d)| d == v) {
                Some((name, _)) => write!(f, "dir {name}"),
                None => write!(f, "dir {v}"),
            },
            LinkPrim::OsiProto { isis, number } => {
                write!(f, "{} proto {number}", if *isis { "isis" } else { "iso" })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_notations_libpcap_takes() {
        let want = Some(MacAddr([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]));
        for s in [
            "aa:bb:cc:dd:ee:ff",
            "AA-BB-CC-DD-EE-FF",
            "aa.bb.cc.dd.ee.ff",
            "aabb.ccdd.eeff",
            "aabbccddeeff",
        ] {
            assert_eq!(MacAddr::parse(s), want, "{s}");
        }
        assert_eq!(
            MacAddr::parse("a:b:c:d:e:f"),
            Some(MacAddr([10, 11, 12, 13, 14, 15]))
        );
        assert_eq!(
            MacAddr::parse("1.2.3.4.5.66"),
            Some(MacAddr([1, 2, 3, 4, 5, 0x66]))
        );
        for bad in [
            "aa:bb:cc:dd:ee",
            "aa:bb:cc:dd:ee:ff:00",
            "aa:bb-cc:dd:ee:ff",
            "aab:bb:cc:dd:ee:ff",
            "abb.ccdd.eeff",
            "aabb:ccdd:eeff",
            "aabbccddee",
            "aabbccddeeff00",
            "1.2.3.4",
            "gg:bb:cc:dd:ee:ff",
            "aa::cc:dd:ee:ff",
            "",
        ] {
            assert_eq!(MacAddr::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn ethers_names_and_comments() {
        let text = "# a comment\n\
                    0:1:2:3:4:5 first\n\
                    \n\
                    00:11:22:33:44:55\tRouter # trailing comment\n\
                    00:11:22:33:44:66 router\n\
                    bogus line\n";
        assert_eq!(
            ethers_find(text, "first"),
            Some(MacAddr([0, 1, 2, 3, 4, 5]))
        );
        assert_eq!(
            ethers_find(text, "router"),
            Some(MacAddr([0, 0x11, 0x22, 0x33, 0x44, 0x55]))
        );
        assert_eq!(ethers_find(text, "comment"), None);
        assert_eq!(ethers_find(text, "line"), None);
        assert_eq!(ethers_find(text, "a"), None);
    }
}
