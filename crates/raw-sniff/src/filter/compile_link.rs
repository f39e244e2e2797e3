//! Code for the link-layer primitives ([`LinkPrim`]) and `rarp host`, following libpcap 1.10's
//! `gen_linktype`, `gen_ehostop`, `gen_llc` and `gen_multicast` for each link type, down to the
//! order of the loads (which decides what a truncated frame gives).
//!
//! - Ethernet: a type field of 1500 or less is an 802.3 length, and the frame carries 802.2
//!   LLC at byte 14: `ether proto N` for N ≤ 1500 tests the DSAP, except for OSI (0xfe),
//!   NetBEUI (0xf0) and IP over 802.2 (0x06), which test DSAP and SSAP; IPX (0xe0) also takes
//!   ethertype 0x8137, SNAP 00-00-00/0x8137 and Novell's raw 802.3 (0xffff where LLC would
//!   be); AppleTalk and AARP take their ethertype or their SNAP header.
//! - Linux cooked (and the kernel's cooked socket): the protocol field says 802.2 (4) or
//!   Novell 802.3 (1) instead of a length, and the LLC header is where the network header
//!   would be. As in libpcap, the OSI NLPID is read from the first LLC byte there (not after
//!   the 3-byte LLC header, as on Ethernet), so `clnp`, `esis`, `isis` and the IS-IS PDU
//!   words never match on these captures. Ethernet addresses, `llc`, `broadcast` and
//!   `multicast` are refused there, as libpcap refuses them.
//! - Other link types: `ether proto` means what `ip`/`ip6`/`arp` mean there (the rest never
//!   matches; on BSD loopback, 0x800 and 0x86dd are address families); Ethernet addresses, `llc`, `broadcast` and `multicast` are refused.

use super::encap::LinkField;
use super::{CompileError, Frames, Framing, Gen, Label};
use crate::filter::ast::{Dir, IpNet, LinkPrim, LinkWord};
use crate::filter::bpf::{op, SKF_AD_PROTOCOL};

/// The largest 802.3 length; a type field above it is an ethertype.
const ETHERMTU: u32 = 1500;
/// Linux cooked protocol values for 802.2 LLC frames and Novell raw 802.3 frames.
const SLL_P_802_2: u32 = 4;
const SLL_P_802_3: u32 = 1;

/// How a link layer says what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TypeField {
    /// Ethernet: an ethertype, or an 802.3 length (≤ 1500) followed by LLC.
    Ethernet,
    /// Linux cooked: an ethertype, or 4 for LLC and 1 for Novell 802.3.
    Cooked,
    /// Linux cooked v2: a protocol value compared whole, with no LLC rules (as libpcap does).
    Plain,
    /// Moved by `pppoes` (a PPP protocol) or `mpls` (the IP version): only what `ethertype`
    /// knows, through the encapsulation.
    Moved,
    /// No such field (raw IP, loopback): only what `ethertype` knows.
    None,
}

impl Gen {
    fn type_field(&self) -> TypeField {
        match self.encap.moved_field() {
            Some(LinkField::Ethertype(_)) => return TypeField::Ethernet,
            Some(LinkField::Ppp(_) | LinkField::Mpls { .. }) => return TypeField::Moved,
            None => {}
        }
        match self.frames {
            Frames::Link(Framing::LinuxSll2) => TypeField::Plain,
            Frames::Link(Framing::Ethernet) => TypeField::Ethernet,
            Frames::Link(Framing::LinuxSll) | Frames::CookedSocket => TypeField::Cooked,
            // Types that `ethertype` maps (compile_links.rs).
            Frames::Link(Framing::Ppp | Framing::PppHdlc | Framing::FrameRelay) => TypeField::Moved,
            Frames::Link(Framing::CHdlc) => TypeField::Plain,
            Frames::Link(Framing::Ieee80211 | Framing::Radiotap) => TypeField::Moved,
            Frames::Link(_) => TypeField::None,
        }
    }

    /// A name for the link type in errors.
    fn link_name(&self) -> &'static str {
        match self.encap.moved_field() {
            Some(LinkField::Ppp(_)) => return "PPP (inside 'pppoes')",
            Some(LinkField::Mpls { .. }) => return "MPLS",
            _ => {}
        }
        match self.frames {
            Frames::Link(Framing::LinuxSll2) => "Linux cooked v2",
            Frames::Link(Framing::Ethernet) => "Ethernet",
            Frames::Link(Framing::LinuxSll) | Frames::CookedSocket => "Linux cooked",
            Frames::Link(Framing::RawIp) => "raw IP",
            Frames::Link(Framing::Ipv4) => "raw IPv4",
            Frames::Link(Framing::Ipv6) => "raw IPv6",
            Frames::Link(Framing::Null { .. }) => "BSD loopback (NULL)",
            Frames::Link(Framing::Loop) => "OpenBSD loopback (LOOP)",
            Frames::Link(link) => super::links::link_name(link).unwrap_or("this link type"),
        }
    }

    /// The error for a primitive that needs an Ethernet header.
    fn needs_ethernet(&self, what: &'static str) -> CompileError {
        CompileError::NotOnLink {
            what,
            link: self.link_name(),
        }
    }

    /// Loads the type field (which must exist) into A.
    fn load_type(&mut self) {
        let at = match (self.encap.moved_field(), self.frames) {
            (Some(LinkField::Ethertype(at)), _) => at,
            (_, Frames::Link(Framing::LinuxSll2)) => 0,
            (_, Frames::Link(Framing::LinuxSll)) => 14,
            (_, Frames::CookedSocket) => SKF_AD_PROTOCOL,
            (_, Frames::Link(Framing::CHdlc)) => 2,
            _ => 12,
        };
        self.stmt(op::LD | op::H | op::ABS, at);
    }

    /// `type == k`: to `t` if so, else to `f`.
    fn type_is(&mut self, k: u32, t: Label, f: Label) {
        self.load_type();
        self.jump(op::JMP | op::JEQ | op::K, k, t, f);
    }

    /// Continues (at a new label) if the frame carries 802.2 LLC, else goes to `f`.
    fn is_llc_frame(&mut self, f: Label) {
        let yes = self.label();
        match self.type_field() {
            TypeField::Ethernet => {
                self.load_type();
                self.jump(op::JMP | op::JGT | op::K, ETHERMTU, f, yes);
            }
            _ => self.type_is(SLL_P_802_2, yes, f),
        }
        self.place(yes);
    }

    fn cmp(&mut self, size: u16, at: u32, k: u32, t: Label, f: Label) {
        self.stmt(op::LD | size | op::ABS, at);
        self.jump(op::JMP | op::JEQ | op::K, k, t, f);
    }

    /// The 8-byte SNAP header `aa aa 03 ORG ORG ORG TYPE TYPE` at the LLC header, tested
    /// as libpcap does: the second word first.
    fn snap(&mut self, org: u32, ptype: u32, t: Label, f: Label) {
        let nh = self.nh;
        let first_ok = self.label();
        self.cmp(op::W, nh + 4, ((org & 0xffff) << 16) | ptype, first_ok, f);
        self.place(first_ok);
        self.cmp(op::W, nh, 0xaaaa_0300 | (org >> 16), t, f);
    }

    /// `ether proto value` / `link proto value`.
    fn ether_proto(&mut self, value: u32, t: Label, f: Label) {
        if self.other_ether_proto(value, t, f).is_some() {
            return;
        }
        let nh = self.nh;
        let field = self.type_field();
        if field == TypeField::Plain {
            return self.type_is(value, t, f);
        }
        if field == TypeField::Moved {
            // `ethertype` knows what each value is inside PPPoE (a PPP protocol) and MPLS.
            return match u16::try_from(value) {
                Ok(ethertype) => self.ethertype(ethertype, t, f),
                Err(_) => self.ja(f),
            };
        }
        if field == TypeField::None {
            return match u16::try_from(value) {
                Ok(ethertype) if value > ETHERMTU => self.ethertype(ethertype, t, f),
                _ => self.ja(f),
            };
        }
        match value {
            // OSI, NetBEUI and IP over 802.2: both SAPs.
            0xfe | 0xf0 | 0x06 => {
                self.is_llc_frame(f);
                self.cmp(op::H, nh, (value << 8) | value, t, f);
            }
            // IPX: its ethertype, SNAP, its SAP, or (Ethernet) Novell's raw 802.3; on Linux
            // cooked the kernel marks Novell frames with their own protocol value.
            0xe0 => {
                let not_ethertype = self.label();
                self.type_is(0x8137, t, not_ethertype);
                self.place(not_ethertype);
                if field == TypeField::Ethernet {
                    self.is_llc_frame(f);
                    let not_snap = self.label();
                    self.snap(0, 0x8137, t, not_snap);
                    self.place(not_snap);
                    let not_sap = self.label();
                    self.cmp(op::B, nh, 0xe0, t, not_sap);
                    self.place(not_sap);
                    self.cmp(op::H, nh, 0xffff, t, f);
                } else {
                    let not_novell = self.label();
                    self.type_is(SLL_P_802_3, t, not_novell);
                    self.place(not_novell);
                    self.is_llc_frame(f);
                    let not_sap = self.label();
                    self.cmp(op::B, nh, 0xe0, t, not_sap);
                    self.place(not_sap);
                    self.snap(0, 0x8137, t, f);
                }
            }
            // AppleTalk and AARP: their ethertype, or their SNAP header.
            0x809b | 0x80f3 => {
                let not_ethertype = self.label();
                self.type_is(value, t, not_ethertype);
                self.place(not_ethertype);
                self.is_llc_frame(f);
                let org = if value == 0x809b { 0x08_0007 } else { 0 };
                self.snap(org, value, t, f);
            }
            // Any other SAP: the DSAP.
            v if v <= ETHERMTU => {
                self.is_llc_frame(f);
                self.cmp(op::B, nh, v, t, f);
            }
            v => self.type_is(v, t, f),
        }
    }

    /// Where the OSI NLPID is: after the 3-byte LLC header on Ethernet; at the LLC header on
    /// Linux cooked, as libpcap has it.
    fn osi_offset(&self) -> u32 {
        if let Some(at) = self.other_osi_offset() {
            return at;
        }
        match self.type_field() {
            TypeField::Ethernet => self.nh + 3,
            _ => self.nh,
        }
    }

    /// OSI (`iso`) with NLPID `nlpid`.
    fn osi(&mut self, nlpid: u32, t: Label, f: Label) {
        if self.other_osi(nlpid, t, f).is_some() {
            return;
        }
        let iso = self.label();
        self.ether_proto(0xfe, iso, f);
        self.place(iso);
        let at = self.osi_offset();
        self.cmp(op::B, at, nlpid, t, f);
    }

    fn link_word(&mut self, w: LinkWord, t: Label, f: Label) {
        let isis_types: &[u32] = match w {
            LinkWord::Decnet => return self.ether_proto(0x6003, t, f),
            LinkWord::Lat => return self.ether_proto(0x6004, t, f),
            LinkWord::Sca => return self.ether_proto(0x6007, t, f),
            LinkWord::Moprc => return self.ether_proto(0x6002, t, f),
            LinkWord::Mopdl => return self.ether_proto(0x6001, t, f),
            LinkWord::Atalk => return self.ether_proto(0x809b, t, f),
            LinkWord::Aarp => return self.ether_proto(0x80f3, t, f),
            LinkWord::Stp => return self.ether_proto(0x42, t, f),
            LinkWord::Ipx => return self.ether_proto(0xe0, t, f),
            LinkWord::Netbeui => return self.ether_proto(0xf0, t, f),
            LinkWord::Iso => return self.ether_proto(0xfe, t, f),
            LinkWord::Clnp => return self.osi(0x81, t, f),
            LinkWord::Esis => return self.osi(0x82, t, f),
            LinkWord::Isis => return self.osi(0x83, t, f),
            // IS-IS PDU types, in the order libpcap tests them.
            LinkWord::L1 => &[0x1a, 0x18, 0x12, 0x0f, 0x11],
            LinkWord::L2 => &[0x1b, 0x19, 0x14, 0x10, 0x11],
            LinkWord::Iih => &[0x11, 0x0f, 0x10],
            LinkWord::Lsp => &[0x12, 0x14],
            LinkWord::Snp => &[0x1b, 0x1a, 0x18, 0x19],
            LinkWord::Csnp => &[0x18, 0x19],
            LinkWord::Psnp => &[0x1a, 0x1b],
        };
        if self.type_field() == TypeField::None {
            return self.ja(f);
        }
        let isis = self.label();
        self.osi(0x83, isis, f);
        self.place(isis);
        // The PDU type is the fifth byte of the IS-IS header, compared whole, as libpcap does.
        let at = self.osi_offset() + 4;
        self.stmt(op::LD | op::B | op::ABS, at);
        self.one_of(isis_types, t, f);
    }

    /// Ethernet source (6..12) or destination (0..6) address `mac`.
    fn ether_addr(&mut self, at: u32, mac: [u8; 6], t: Label, f: Label) {
        let low = u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]);
        let high = u32::from(u16::from_be_bytes([mac[0], mac[1]]));
        let low_ok = self.label();
        self.cmp(op::W, at + 2, low, low_ok, f);
        self.place(low_ok);
        self.cmp(op::H, at, high, t, f);
    }

    /// Emits code for a link-layer primitive.
    pub(super) fn link_prim(
        &mut self,
        l: &LinkPrim,
        t: Label,
        f: Label,
    ) -> Result<(), CompileError> {
        if let Some(done) = self.other_link_prim(l, t, f) {
            return done;
        }
        let nh = self.nh;
        let ethernet = self.type_field() == TypeField::Ethernet;
        // The Ethernet header: the frame's own, or the one inside `geneve`.
        let base = self.encap.link_base;
        match *l {
            LinkPrim::EtherHost { dir, mac } => {
                if !ethernet {
                    return Err(self.needs_ethernet("Ethernet addresses"));
                }
                self.dir_fields(dir, t, f, |g, field, t, f| {
                    g.ether_addr(base + if field == 0 { 6 } else { 0 }, mac.0, t, f)
                });
            }
            LinkPrim::EtherProto(value) => self.ether_proto(value, t, f),
            LinkPrim::Word(w) => self.link_word(w, t, f),
            LinkPrim::Llc(ty) => {
                if !ethernet {
                    return Err(self.needs_ethernet("'llc'"));
                }
                // 802.3 with LLC, not Novell's raw 802.3 (0xffff where the SAPs would be).
                self.is_llc_frame(f);
                let not_novell = self.label();
                self.cmp(op::H, nh, 0xffff, f, not_novell);
                self.place(not_novell);
                let Some(ty) = ty else {
                    self.ja(t);
                    return Ok(());
                };
                self.stmt(op::LD | op::B | op::ABS, nh + 2);
                match ty.control_test() {
                    // I frames: the low bit clear.
                    (0x01, 0) => self.jump(op::JMP | op::JSET | op::K, 0x01, f, t),
                    (mask, value) => {
                        self.stmt(op::ALU | op::AND | op::K, mask);
                        self.jump(op::JMP | op::JEQ | op::K, value, t, f);
                    }
                }
            }
            LinkPrim::Broadcast => {
                if !ethernet {
                    return Err(self.needs_ethernet("'broadcast'"));
                }
                self.ether_addr(base, [0xff; 6], t, f);
            }
            LinkPrim::Multicast => {
                if !ethernet {
                    return Err(self.needs_ethernet("'multicast'"));
                }
                self.stmt(op::LD | op::B | op::ABS, base);
                self.jump(op::JMP | op::JSET | op::K, 1, t, f);
            }
            LinkPrim::IpMulticast { v6 } => {
                let is_ip = self.label();
                self.ethertype(if v6 { 0x86dd } else { 0x0800 }, is_ip, f);
                self.place(is_ip);
                if v6 {
                    self.cmp(op::B, nh + 24, 0xff, t, f);
                } else {
                    self.stmt(op::LD | op::B | op::ABS, nh + 16);
                    self.jump(op::JMP | op::JGE | op::K, 0xe0, t, f);
                }
            }
            LinkPrim::OsiProto { isis, number } => {
                if self.type_field() == TypeField::None {
                    self.ja(f);
                    return Ok(());
                }
                let ok = self.label();
                if isis {
                    self.osi(0x83, ok, f);
                } else {
                    self.ether_proto(0xfe, ok, f);
                }
                self.place(ok);
                let at = self.osi_offset() + if isis { 4 } else { 0 };
                self.cmp(op::B, at, number, t, f);
            }
            LinkPrim::WlanAddr { .. }
            | LinkPrim::WlanType(_)
            | LinkPrim::WlanSubtype(_)
            | LinkPrim::WlanDir(_) => return Err(self.not_wireless(l, self.link_name())),
            LinkPrim::IpBroadcast => {
                let is_ip = self.label();
                self.ethertype(0x0800, is_ip, f);
                self.place(is_ip);
                self.stmt(op::LD | op::W | op::ABS, nh + 16);
                self.one_of(&[0, 0xffff_ffff], t, f);
            }
        }
        Ok(())
    }

    /// The loopback header's address family for `ethertype`: 2 for IPv4, and for IPv6 the
    /// values of Darwin (30), NetBSD/OpenBSD (24) and FreeBSD (28), in libpcap's order. Nothing
    /// else travels over loopback, so any other ethertype never matches.
    pub(super) fn loopback_family(&mut self, link: Framing, ethertype: u16, t: Label, f: Label) {
        let families: &[u32] = match ethertype {
            0x0800 => &[2],
            0x86dd => &[30, 24, 28],
            _ => return self.ja(f),
        };
        // The load reads the word big-endian; a family written little-endian reads swapped.
        let swapped = link == (Framing::Null { big_endian: false });
        let values: Vec<u32> = families
            .iter()
            .map(|&v| if swapped { v.swap_bytes() } else { v })
            .collect();
        self.stmt(op::LD | op::W | op::ABS, 0);
        self.one_of(&values, t, f);
    }

    /// `rarp host` / `rarp net`: the RARP sender (source) and target (destination) protocol
    /// addresses, at the offsets of Ethernet/IPv4 RARP.
    pub(super) fn rarp_addr(&mut self, dir: Dir, net: IpNet, t: Label, f: Label) {
        let nh = self.nh;
        let words = super::net_words(net);
        let is_rarp = self.label();
        self.ethertype(0x8035, is_rarp, f);
        self.place(is_rarp);
        self.dir_fields(dir, t, f, |g, field, t, f| {
            g.masked_words(nh + if field == 0 { 14 } else { 24 }, &words, t, f)
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::filter::{compile, compile_for_cooked_socket, interp, parse, Framing, SNAPLEN};

    /// The kernel's cooked socket sees the LLC header at offset 0 and the protocol in its
    /// metadata; its program must decide as the Linux cooked program does on the whole frame.
    #[test]
    fn cooked_socket_programs_match_like_cooked_frames() {
        let llc = |dsap: u8, rest: &[u8]| {
            let mut p = vec![dsap, dsap, 0x03];
            p.extend_from_slice(rest);
            p.resize(40, 0);
            p
        };
        let packets: Vec<(u16, Vec<u8>)> = vec![
            (4, llc(0x42, &[])),
            (4, llc(0xe0, &[])),
            (4, llc(0xaa, &[0, 0, 0, 0x81, 0x37])),
            (4, llc(0xaa, &[0x08, 0, 0x07, 0x80, 0x9b])),
            (4, llc(0xfe, &[0x83, 27, 1, 0, 0x12])),
            (4, llc(0xf0, &[])),
            (1, vec![0xff; 40]),
            (0x8137, vec![0; 40]),
            (0x809b, vec![0; 40]),
            (0x6003, vec![0; 40]),
            (0x8035, vec![0; 40]),
        ];
        let exprs = [
            "stp",
            "ipx",
            "atalk",
            "aarp",
            "netbeui",
            "iso",
            "isis",
            "lsp",
            "decnet",
            "rarp",
            "ether proto 0x42",
            "link proto 0xaa",
            "ether proto 0x6003",
            "rarp[0] = 0",
        ];
        let mut matched = 0;
        for expr in exprs {
            let e = parse(expr).unwrap();
            let sll = compile(&e, Framing::LinuxSll).unwrap();
            let kernel = compile_for_cooked_socket(&e).unwrap();
            for (protocol, pkt) in &packets {
                let mut frame = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
                frame.extend_from_slice(&protocol.to_be_bytes());
                frame.extend_from_slice(pkt);
                let want = sll.run(&frame, frame.len() as u32);
                let got = interp::run_with_protocol(
                    kernel.instructions(),
                    pkt,
                    pkt.len() as u32,
                    Some(*protocol),
                );
                assert_eq!(got, want, "'{expr}' on protocol {protocol:#06x}");
                matched += usize::from(want == SNAPLEN);
            }
        }
        assert!(matched >= exprs.len(), "too few matches ({matched})");
        // What Linux cooked captures cannot test, the cooked socket cannot either.
        for expr in ["ether host 1:2:3:4:5:6", "llc", "broadcast", "multicast"] {
            assert!(
                compile_for_cooked_socket(&parse(expr).unwrap()).is_err(),
                "{expr}"
            );
        }
    }
}
