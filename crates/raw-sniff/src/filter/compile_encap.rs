//! Where the link-level protocol field and the network header are, and the primitives that
//! move them: `vlan`, `mpls`, `pppoes` (and `pppoed`, which tests without moving), plus the
//! packet-metadata primitives `inbound`, `outbound` and `ifindex`.
//!
//! # Parse order, not evaluation order
//!
//! As in libpcap, an encapsulation primitive moves the offsets of every primitive written
//! after it, whatever the `and`, `or`, `not` and parentheses between them: in
//! `vlan 10 or vlan 20 and ip` the second `vlan` looks for a tag inside the first one, and
//! `ip` for an ethertype after both; in `not vlan and ip` the `ip` test reads past a tag too.
//! Code is generated left to right, so the state here is simply updated as each primitive is
//! compiled.
//!
//! # The state
//!
//! libpcap keeps each offset as a constant part plus an optional variable part held in a
//! scratch slot. Here [`Layout`] holds how the link-level protocol is tested ([`LinkField`]),
//! where `link[…]`/`ether[…]` count from, and the VLAN and MPLS depth; the network header's
//! offset is `Gen::nh`, which every primitive reads. Each is a constant until `geneve`, or
//! the first `vlan` on a live socket, after which they are marked as relative to a slot the
//! program fills in (`compile_varoff.rs`).
//!
//! - `vlan [id]`: TPID 0x8100, 0x88a8 or 0x9100 where the ethertype is, then the 12-bit ID in
//!   the tag; the ethertype and network header move 4 bytes on. `link[…]` does not move. Only
//!   on Ethernet, and not after `mpls` or `pppoes` (libpcap refuses those too).
//! - `mpls [label]`: ethertype 0x8847 (PPP protocol 0x0281 after `pppoes`), or for a second
//!   label the previous entry's bottom-of-stack bit clear; then the 20-bit label. The network
//!   header moves 4 bytes on, and `ip` / `ip6` then test the last entry's bottom-of-stack bit
//!   and the version nibble (4 or 6). Any other protocol after `mpls` is an error, and
//!   `host`/`net` with an IPv4 address look only at IPv4 (not ARP), as in libpcap.
//! - `pppoed`: ethertype 0x8863. `pppoes [id]`: ethertype 0x8864, then the 16-bit session ID;
//!   afterwards the link header is the PPP header 6 bytes into the PPPoE header, so the link
//!   type is its protocol field (0x21 for `ip`, 0x57 for `ip6`, other ethertypes as they are)
//!   and `link[0]` is its first byte. Works on Linux cooked captures too.
//! - `geneve [vni]`: UDP to port 6081 over IPv4 or IPv6 carrying Geneve version 0, with this
//!   24-bit VNI. Every primitive after it reads the inner frame: its link type is the inner
//!   Ethernet type when the Geneve protocol is 0x6558, else the Geneve protocol field itself,
//!   and the network header follows. These offsets depend on the Geneve options' length, so
//!   they have a variable part computed at run time (see `compile_varoff.rs`); a primitive
//!   after `geneve` that is tested where `geneve` did not match (`geneve or ip`) is refused,
//!   as are `inbound`, `outbound` and `ifindex` after it.
//! - `inbound` / `outbound`: the Linux cooked header's packet type (4 is outgoing), or on a
//!   live socket the kernel's (`[type]`). Refused on Ethernet and raw IP files, which do not
//!   record it.
//! - `ifindex N`: the interface index of a Linux cooked v2 header, or on a live socket the
//!   kernel's (`[ifidx]`); refused on other files, which do not record it.
//! - Neither is allowed after `pppoes`, where the link type is PPP (libpcap refuses them).
//!
//! # Live Ethernet sockets
//!
//! Linux takes the outer 802.1Q/802.1ad tag out of a received frame before a packet socket's
//! filter runs, and keeps it in metadata. So, as libpcap does, the first `vlan` of a program
//! for a live socket ([`compile_for_packet_socket`]) accepts a frame whose metadata says it
//! was tagged (`[vlanp]`, with the ID from `[vlan_tci]`) or whose data still holds a tag.
//! What follows it is read with a variable part of 0 when the tag was in metadata (the frame
//! has lost those 4 bytes) and 4 otherwise, set at run time in the slots of
//! `compile_varoff.rs` (0 from the program's start, for what is reached without passing that
//! `vlan`). The capture puts the tag back into the frame it shows, as libpcap does, so from
//! the first `vlan` on the kernel keeps what a file program keeps on the frame shown,
//! including libpcap's `not vlan and ip`, which reads the type 4 bytes on. Before the first
//! `vlan`, and in `link[…]`, the kernel's frame is read as it is: on a live interface `udp`
//! alone also keeps tagged UDP, as with tcpdump.

use super::varoff::{constant_part, unmark, Region, Relocation};
use super::*;
use crate::filter::ast::{Direction, Encap, Expr, Primitive};
use crate::filter::bpf::{
    SKF_AD_IFINDEX, SKF_AD_PKTTYPE, SKF_AD_VLAN_TAG, SKF_AD_VLAN_TAG_PRESENT,
};

/// Bytes of an 802.1Q tag.
const VLAN_TAG_LEN: u32 = 4;
/// The TPIDs `vlan` accepts, in the order libpcap tests them.
const VLAN_TPIDS: [u32; 3] = [0x8100, 0x88a8, 0x9100];
/// `PACKET_OUTGOING`, the packet type of a frame this host sent.
const PACKET_OUTGOING: u32 = 4;

/// Compiles `expr` for the kernel side of a Linux `AF_PACKET` `SOCK_RAW` socket on an
/// Ethernet interface. Like [`compile`] for [`Framing::Ethernet`], but `vlan`, `inbound`,
/// `outbound` and `ifindex` ask the kernel's metadata, as the frame the filter sees has lost
/// its outer VLAN tag and carries no direction or interface (see the module docs).
///
/// [`crate::filter::run`] rejects a packet at any metadata load: only the kernel can run such
/// loads, so filter frames read from files with a [`compile`]d program.
pub fn compile_for_packet_socket(expr: &Expr) -> Result<Program, CompileError> {
    generate_with(expr, Frames::Link(Framing::Ethernet), true)
}

/// How the link-level protocol is tested once an encapsulation has moved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkField {
    /// A 16-bit ethertype at this offset (after a VLAN tag, or inside Geneve).
    Ethertype(u32),
    /// A 16-bit PPP protocol at this offset (after `pppoes`).
    Ppp(u32),
    /// After `mpls`: the last label entry's bottom-of-stack bit (the low bit of the byte at
    /// this offset) must be set, and the network header's version nibble says IPv4 or IPv6.
    Mpls {
        /// Offset of the byte holding the bottom-of-stack bit.
        bos_at: u32,
    },
}

/// The compiler's view of the encapsulations written so far.
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    /// `None` while the link type is where the framing puts it.
    field: Option<LinkField>,
    /// Where `link[…]` and `ether[…]` count from.
    pub(super) link_base: u32,
    vlan_depth: u32,
    mpls_depth: u32,
    /// A live socket: metadata loads are allowed, and the outer VLAN tag is in metadata.
    pub(super) live: bool,
    /// The first error met where code generation cannot return one.
    deferred: Option<CompileError>,
    /// After `geneve` or a live socket's first `vlan`: which registers and slots hold a
    /// variable part (compile_varoff.rs).
    pub(super) var: Option<Relocation>,
}

impl Layout {
    pub(super) fn new(live: bool) -> Self {
        Layout {
            live,
            ..Layout::default()
        }
    }

    /// Where the link type is once an encapsulation has moved it; `None` while it is where
    /// the framing puts it.
    pub(super) fn moved_field(&self) -> Option<LinkField> {
        self.field
    }

    /// Whether `host`/`net` leave out ARP and RARP (inside MPLS, libpcap tests only IPv4).
    pub(super) fn ipv4_only(&self) -> bool {
        self.mpls_depth > 0
    }

    /// Records `e` unless an error is recorded already.
    pub(super) fn defer_error(&mut self, e: CompileError) {
        self.deferred.get_or_insert(e);
    }

    /// The error recorded during generation, if any.
    pub(super) fn take_error(&mut self) -> Result<(), CompileError> {
        self.deferred.take().map_or(Ok(()), Err)
    }
}

fn unsupported(reason: impl Into<String>) -> CompileError {
    CompileError::Unsupported {
        reason: reason.into(),
    }
}

/// A primitive after `geneve` ran where `geneve` did not match, reading offsets never set.
pub(super) fn read_before_geneve_matched() -> CompileError {
    unsupported(
        "a primitive after 'geneve' that is tested when 'geneve' did not match (as in \
         'geneve or ip') is not supported: the inner frame's offsets are only set where \
         'geneve' matched",
    )
}

/// A link type's name in messages.
fn link_name(frames: Frames) -> &'static str {
    match frames {
        Frames::Link(Framing::Ethernet) => "Ethernet",
        Frames::Link(Framing::LinuxSll) | Frames::CookedSocket => "Linux cooked captures",
        Frames::Link(Framing::RawIp) => "raw IP",
        Frames::Link(Framing::Ipv4) => "raw IPv4",
        Frames::Link(Framing::Ipv6) => "raw IPv6",
        Frames::Link(Framing::LinuxSll2) => "Linux cooked v2 captures",
        Frames::Link(Framing::Null { .. }) => "BSD loopback (NULL) captures",
        Frames::Link(Framing::Loop) => "OpenBSD loopback (LOOP) captures",
        Frames::Link(link) => super::links::link_name(link).unwrap_or("this link type's"),
    }
}

/// The PPP protocol libpcap tests for an ethertype (`ethertype_to_ppptype`).
pub(super) fn ppp_protocol(ethertype: u16) -> u32 {
    match ethertype {
        0x0800 => 0x0021,
        0x86dd => 0x0057,
        0x6003 => 0x0027,
        0x809b => 0x0029,
        0x0600 => 0x003f,
        // LLC SAPs: OSI, spanning tree, IPX.
        0x00fe => 0x0023,
        0x0042 => 0x0031,
        0x00e0 => 0x002b,
        other => u32::from(other),
    }
}

impl Gen {
    /// Tests the link type once an encapsulation has moved it; `None` if none has, and the
    /// framing's own test applies.
    pub(super) fn moved_linktype(&mut self, ethertype: u16, t: Label, f: Label) -> Option<()> {
        match self.encap.field? {
            LinkField::Ethertype(at) => {
                self.stmt(op::LD | op::H | op::ABS, at);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(ethertype), t, f);
            }
            LinkField::Ppp(at) => {
                self.stmt(op::LD | op::H | op::ABS, at);
                self.jump(op::JMP | op::JEQ | op::K, ppp_protocol(ethertype), t, f);
            }
            LinkField::Mpls { bos_at } => {
                let version = match ethertype {
                    0x0800 => 0x40,
                    0x86dd => 0x60,
                    _ => {
                        self.defer(unsupported("unsupported protocol over MPLS"));
                        self.ja(f);
                        return Some(());
                    }
                };
                let bottom = self.label();
                self.stmt(op::LD | op::B | op::ABS, bos_at);
                self.stmt(op::ALU | op::AND | op::K, 1);
                self.jump(op::JMP | op::JEQ | op::K, 1, bottom, f);
                self.place(bottom);
                self.stmt(op::LD | op::B | op::ABS, self.nh);
                self.stmt(op::ALU | op::AND | op::K, 0xf0);
                self.jump(op::JMP | op::JEQ | op::K, version, t, f);
            }
        }
        Some(())
    }

    fn defer(&mut self, e: CompileError) {
        self.encap.defer_error(e);
    }

    /// Offset of the 16-bit ethertype where a VLAN tag's TPID would be, or why there is none.
    fn tpid_offset(&self) -> Result<u32, CompileError> {
        if self.encap.mpls_depth > 0 {
            return Err(unsupported("no VLAN match after MPLS"));
        }
        match (self.encap.field, self.frames) {
            (Some(LinkField::Ethertype(at)), _) => Ok(at),
            (Some(LinkField::Ppp(_)), _) => Err(unsupported("no VLAN support for PPP")),
            (None, Frames::Link(Framing::Ethernet)) => Ok(12),
            (_, frames) => Err(unsupported(format!(
                "no VLAN support for {}",
                link_name(frames)
            ))),
        }
    }

    pub(super) fn encap_primitive(
        &mut self,
        e: Encap,
        t: Label,
        f: Label,
    ) -> Result<(), CompileError> {
        match e {
            Encap::Vlan(id) if self.wireless_vlan_applies() => {
                self.wireless_vlan(id, t, f);
                Ok(())
            }
            Encap::Vlan(id) => self.vlan(id, t, f),
            Encap::Mpls(label) => self.mpls(label, t, f),
            Encap::Geneve(vni) => {
                self.geneve(vni, t, f);
                Ok(())
            }
            Encap::Pppoed => {
                self.ethertype(0x8863, t, f);
                Ok(())
            }
            Encap::Pppoes(id) => {
                let nh = self.nh;
                match id {
                    Some(id) => {
                        let is_pppoes = self.label();
                        self.ethertype(0x8864, is_pppoes, f);
                        self.place(is_pppoes);
                        // Version/type, code, then the session ID: the low half of the word.
                        self.stmt(op::LD | op::W | op::ABS, nh);
                        self.stmt(op::ALU | op::AND | op::K, 0xffff);
                        self.jump(op::JMP | op::JEQ | op::K, u32::from(id), t, f);
                    }
                    None => self.ethertype(0x8864, t, f),
                }
                // The PPP header follows the 6-byte PPPoE header.
                self.encap.link_base = nh + 6;
                self.encap.field = Some(LinkField::Ppp(nh + 6));
                self.nh = nh + 8;
                Ok(())
            }
        }
    }

    fn vlan(&mut self, id: Option<u16>, t: Label, f: Label) -> Result<(), CompileError> {
        let at = self.tpid_offset()?;
        let in_metadata =
            self.encap.live && self.encap.vlan_depth == 0 && self.encap.field.is_none();
        self.encap.vlan_depth += 1;
        let tagged = if id.is_some() { self.label() } else { t };
        if in_metadata {
            let tpid = self.label();
            self.stmt(op::LD | op::B | op::ABS, SKF_AD_VLAN_TAG_PRESENT);
            self.jump(op::JMP | op::JEQ | op::K, 1, tagged, tpid);
            self.place(tpid);
            // Not in metadata: whether or not the frame holds a tag, what follows is read 4
            // bytes further on, as libpcap reads it (and as a file program reads the frame
            // with its tag put back). The prologue set 0 for the other case.
            self.raw_stmt(op::LD | op::IMM, VLAN_TAG_LEN);
            self.raw_stmt(op::ST, Region::Payload.slot());
            self.raw_stmt(op::ST, Region::LinkType.slot());
        }
        self.stmt(op::LD | op::H | op::ABS, at);
        self.one_of(&VLAN_TPIDS, tagged, f);
        if let Some(id) = id {
            self.place(tagged);
            if in_metadata {
                let from_data = self.label();
                let from_meta = self.label();
                let compare = self.label();
                self.stmt(op::LD | op::B | op::ABS, SKF_AD_VLAN_TAG_PRESENT);
                self.jump(op::JMP | op::JEQ | op::K, 1, from_meta, from_data);
                self.place(from_meta);
                self.stmt(op::LD | op::B | op::ABS, SKF_AD_VLAN_TAG);
                self.ja(compare);
                self.place(from_data);
                self.stmt(op::LD | op::H | op::ABS, at + 2);
                self.place(compare);
            } else {
                self.stmt(op::LD | op::H | op::ABS, at + 2);
            }
            self.stmt(op::ALU | op::AND | op::K, 0xfff);
            self.jump(op::JMP | op::JEQ | op::K, u32::from(id), t, f);
        }
        if in_metadata {
            // The shift is 0 or 4, known at run time: later offsets count from the slots.
            self.encap.field = Some(LinkField::Ethertype(Region::LinkType.at(at)));
            self.nh = Region::Payload.at(self.nh);
            self.encap.var = Some(Relocation::default());
        } else {
            self.encap.field = Some(LinkField::Ethertype(at + 4));
            self.nh += 4;
        }
        Ok(())
    }

    /// For a live socket's program that tests `vlan`: the variable part of the offsets after
    /// the first `vlan` starts at 0, as libpcap sets it at the start of its program, so a
    /// primitive reached without passing that `vlan` reads the frame as it is.
    pub(super) fn live_vlan_prologue(&mut self, expr: &Expr) {
        fn has_vlan(e: &Expr) -> bool {
            match e {
                Expr::Prim(Primitive::Encap(Encap::Vlan(_))) => true,
                Expr::Prim(_) => false,
                Expr::Not(a) => has_vlan(a),
                Expr::And(a, b) | Expr::Or(a, b) => has_vlan(a) || has_vlan(b),
            }
        }
        if self.encap.live && has_vlan(expr) {
            self.raw_stmt(op::LD | op::IMM, 0);
            self.raw_stmt(op::ST, Region::Payload.slot());
            self.raw_stmt(op::ST, Region::LinkType.slot());
        }
    }

    fn mpls(&mut self, label: Option<u32>, t: Label, f: Label) -> Result<(), CompileError> {
        let nh = self.nh;
        let found = if label.is_some() { self.label() } else { t };
        if self.encap.mpls_depth > 0 {
            // Another entry follows only if the previous one is not the bottom of the stack.
            self.stmt(op::LD | op::B | op::ABS, nh - 2);
            self.jump(op::JMP | op::JSET | op::K, 1, f, found);
        } else {
            match (self.encap.field, self.frames) {
                (Some(LinkField::Ppp(at)), _) => {
                    // PPP's protocol number for unicast MPLS.
                    self.stmt(op::LD | op::H | op::ABS, at);
                    self.jump(op::JMP | op::JEQ | op::K, 0x0281, found, f);
                }
                (Some(LinkField::Ethertype(_)), _) | (None, Frames::Link(Framing::Ethernet)) => {
                    self.ethertype(0x8847, found, f);
                }
                (None, Frames::Link(Framing::Ppp)) => {
                    // PPP's protocol number for unicast MPLS.
                    self.stmt(op::LD | op::H | op::ABS, 2);
                    self.jump(op::JMP | op::JEQ | op::K, 0x0281, found, f);
                }
                (None, Frames::Link(Framing::CHdlc)) => self.ethertype(0x8847, found, f),
                (_, frames) => {
                    return Err(unsupported(format!(
                        "no MPLS support for {}",
                        link_name(frames)
                    )))
                }
            }
        }
        if let Some(label) = label {
            self.place(found);
            self.stmt(op::LD | op::W | op::ABS, nh);
            self.stmt(op::ALU | op::AND | op::K, 0xffff_f000);
            self.jump(op::JMP | op::JEQ | op::K, label << 12, t, f);
        }
        self.encap.mpls_depth += 1;
        self.encap.field = Some(LinkField::Mpls { bos_at: nh + 2 });
        self.nh = nh + 4;
        Ok(())
    }

    /// `inbound` / `outbound`.
    pub(super) fn direction(
        &mut self,
        d: Direction,
        t: Label,
        f: Label,
    ) -> Result<(), CompileError> {
        self.metadata_on_ppp("inbound/outbound")?;
        if self.frames == Frames::Link(Framing::Slip) {
            self.slip_direction(d == Direction::Inbound, t, f);
            return Ok(());
        }
        if self.frames == Frames::Link(Framing::LinuxSll2) {
            // The packet type is one byte at 10 in a v2 header.
            let (t, f) = match d {
                Direction::Outbound => (t, f),
                Direction::Inbound => (f, t),
            };
            self.stmt(op::LD | op::B | op::ABS, 10);
            self.jump(op::JMP | op::JEQ | op::K, PACKET_OUTGOING, t, f);
            return Ok(());
        }
        let at = match self.frames {
            Frames::Link(Framing::LinuxSll) => 0,
            Frames::CookedSocket => SKF_AD_PKTTYPE,
            Frames::Link(Framing::Ethernet) if self.encap.live => SKF_AD_PKTTYPE,
            frames => {
                return Err(unsupported(format!(
                    "inbound/outbound are not supported on {} capture files",
                    link_name(frames)
                )))
            }
        };
        let (t, f) = match d {
            Direction::Outbound => (t, f),
            Direction::Inbound => (f, t),
        };
        self.stmt(op::LD | op::H | op::ABS, at);
        self.jump(op::JMP | op::JEQ | op::K, PACKET_OUTGOING, t, f);
        Ok(())
    }

    /// After `pppoes` the link type is PPP, whose header records neither the direction nor
    /// the interface, and libpcap refuses both there.
    fn metadata_on_ppp(&self, what: &str) -> Result<(), CompileError> {
        match self.encap.field {
            Some(LinkField::Ppp(_)) => Err(unsupported(format!("{what} not supported on PPP"))),
            // 802.11's offsets are variable from the start; its own message follows.
            None if matches!(
                self.frames,
                Frames::Link(Framing::Ieee80211 | Framing::Radiotap)
            ) =>
            {
                Ok(())
            }
            // libpcap reads these relative to the inner frame's link header there.
            _ if self.encap.var.is_some() => Err(unsupported(format!(
                "{what} after 'geneve' is not supported"
            ))),
            _ => Ok(()),
        }
    }

    /// `geneve [vni]`, as libpcap tests it: UDP to port 6081 over IPv4 (first fragments, the
    /// UDP header found with the IHL) or IPv6 (next header 17 in the fixed header), a Geneve
    /// version of 0, and the VNI in the top 24 bits of the header's second word.
    fn geneve(&mut self, vni: Option<u32>, t: Label, f: Label) {
        const PORT: u32 = 6081;
        let nh = self.nh;
        let v6 = self.label();
        // Each check's failure tries IPv6 next, as in libpcap; an IPv4 packet fails there too.
        let steps = |g: &mut Gen, mode: u16, udp: u32, fail: Label, t: Label| {
            let ok = g.label();
            g.stmt(op::LD | op::H | mode, udp + 2);
            g.jump(op::JMP | op::JEQ | op::K, PORT, ok, fail);
            g.place(ok);
            let version_ok = if vni.is_some() { g.label() } else { t };
            g.stmt(op::LD | op::B | mode, udp + 8);
            g.stmt(op::ALU | op::AND | op::K, 0xc0);
            g.jump(op::JMP | op::JEQ | op::K, 0, version_ok, fail);
            if let Some(vni) = vni {
                g.place(version_ok);
                g.stmt(op::LD | op::W | mode, udp + 12);
                g.stmt(op::ALU | op::AND | op::K, 0xffff_ff00);
                g.jump(op::JMP | op::JEQ | op::K, vni << 8, t, fail);
            }
        };
        let is_v4 = self.label();
        let is_udp = self.label();
        let first = self.label();
        let v4_ok = self.label();
        let v6_ok = self.label();
        let found = self.label();
        self.ethertype(0x0800, is_v4, v6);
        self.place(is_v4);
        self.stmt(op::LD | op::B | op::ABS, nh + 9);
        self.jump(op::JMP | op::JEQ | op::K, 17, is_udp, v6);
        self.place(is_udp);
        self.stmt(op::LD | op::H | op::ABS, nh + 6);
        self.jump(op::JMP | op::JSET | op::K, 0x1fff, v6, first);
        self.place(first);
        self.stmt(op::LDX | op::B | op::MSH, nh);
        steps(self, op::IND, nh, v6, v4_ok);
        // A = where the Geneve header starts: past the IPv4 header and UDP's 8 bytes.
        self.place(v4_ok);
        self.stmt(op::LDX | op::B | op::MSH, nh);
        self.stmt(op::MISC | op::TXA, 0);
        self.stmt(op::ALU | op::ADD | op::K, constant_part(nh) + 8);
        self.ja(found);
        self.place(v6);
        let is_v6 = self.label();
        let is_udp6 = self.label();
        self.ethertype(0x86dd, is_v6, f);
        self.place(is_v6);
        self.stmt(op::LD | op::B | op::ABS, nh + 6);
        self.jump(op::JMP | op::JEQ | op::K, 17, is_udp6, f);
        self.place(is_udp6);
        steps(self, op::ABS, nh + 40, f, v6_ok);
        // A = past the fixed IPv6 header and UDP's 8 bytes.
        self.place(v6_ok);
        self.raw_stmt(op::LD | op::IMM, constant_part(nh) + 48);
        if let Some((region, _)) = unmark(nh) {
            self.raw_stmt(op::LDX | op::MEM, region.slot());
            self.raw_stmt(op::ALU | op::ADD | op::X, 0);
        }
        self.place(found);
        self.geneve_offsets(t);
        // From here on the link type, the link header and the network header are the inner
        // frame's, at the offsets just stored.
        self.encap.field = Some(LinkField::Ethertype(Region::LinkType.at(0)));
        self.encap.link_base = Region::LinkHeader.at(0);
        self.nh = Region::Payload.at(0);
    }

    /// With A at the start of a Geneve header, stores where the inner link type, link header
    /// and network header are, as libpcap's `gen_geneve_offsets` does: past the header and
    /// its options, and when the protocol is 0x6558 (an Ethernet frame) past its 14 bytes,
    /// with the type at 12; otherwise the Geneve protocol field is the link type.
    fn geneve_offsets(&mut self, t: Label) {
        let (lt, lh, pl) = (
            Region::LinkType.slot(),
            Region::LinkHeader.slot(),
            Region::Payload.slot(),
        );
        let ethernet = self.label();
        let done = self.label();
        self.raw_stmt(op::MISC | op::TAX, 0);
        self.raw_stmt(op::ALU | op::ADD | op::K, 2);
        self.raw_stmt(op::ST, lt);
        self.raw_stmt(op::LD | op::B | op::IND, 0);
        self.raw_stmt(op::ALU | op::AND | op::K, 0x3f);
        self.raw_stmt(op::ALU | op::MUL | op::K, 4);
        self.raw_stmt(op::ALU | op::ADD | op::K, 8);
        self.raw_stmt(op::ALU | op::ADD | op::X, 0);
        self.raw_stmt(op::ST, lh);
        self.raw_stmt(op::LD | op::H | op::IND, 2);
        self.raw_stmt(op::LDX | op::MEM, lh);
        self.jump(op::JMP | op::JEQ | op::K, 0x6558, ethernet, done);
        self.place(ethernet);
        self.raw_stmt(op::MISC | op::TXA, 0);
        self.raw_stmt(op::ALU | op::ADD | op::K, 12);
        self.raw_stmt(op::ST, lt);
        self.raw_stmt(op::ALU | op::ADD | op::K, 2);
        self.raw_stmt(op::MISC | op::TAX, 0);
        self.place(done);
        self.raw_stmt(op::STX, pl);
        self.ja(t);
        self.encap.var = Some(Relocation::default());
    }

    /// `ifindex N`.
    pub(super) fn ifindex(&mut self, n: u32, t: Label, f: Label) -> Result<(), CompileError> {
        self.metadata_on_ppp("ifindex")?;
        if self.frames == Frames::Link(Framing::LinuxSll2) {
            // A v2 header records the interface, at byte 4.
            self.stmt(op::LD | op::W | op::ABS, 4);
            self.jump(op::JMP | op::JEQ | op::K, n, t, f);
            return Ok(());
        }
        let live = self.frames == Frames::CookedSocket || self.encap.live;
        if !live {
            return Err(unsupported(format!(
                "ifindex is not supported on {} capture files",
                link_name(self.frames)
            )));
        }
        self.stmt(op::LD | op::W | op::ABS, SKF_AD_IFINDEX);
        self.jump(op::JMP | op::JEQ | op::K, n, t, f);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::interp::{run_with_metadata, Metadata};
    use crate::filter::parse;

    /// An Ethernet frame carrying a minimal IPv4/UDP packet from 10.0.0.1, through `tags`.
    fn frame(tags: &[(u16, u16)]) -> Vec<u8> {
        let mut v = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
        for (tpid, tci) in tags {
            v.extend_from_slice(&tpid.to_be_bytes());
            v.extend_from_slice(&tci.to_be_bytes());
        }
        v.extend_from_slice(&[0x08, 0x00, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0]);
        v.extend_from_slice(&[10, 0, 0, 1, 10, 0, 0, 2, 0, 53, 0, 53, 0, 8, 0, 0]);
        v
    }

    fn keeps(expr: &str, frame: &[u8], meta: Metadata) -> bool {
        let prog = compile_for_packet_socket(&parse(expr).unwrap()).unwrap();
        run_with_metadata(prog.instructions(), frame, frame.len() as u32, Some(meta)) == SNAPLEN
    }

    #[test]
    fn live_vlan_reads_the_kernels_tag_then_the_frame() {
        let stripped = frame(&[]);
        let tagged = |tci: u16| Metadata {
            vlan_tci: Some(tci),
            ..Metadata::default()
        };
        let none = Metadata::default();
        // The tag in metadata, the frame without it: later primitives read it as it is.
        assert!(keeps("vlan 10", &stripped, tagged(10)));
        assert!(keeps("vlan 10", &stripped, tagged(0xe00a)));
        assert!(!keeps("vlan 10", &stripped, tagged(11)));
        assert!(keeps("vlan 10 and udp port 53", &stripped, tagged(10)));
        assert!(keeps("vlan and host 10.0.0.1", &stripped, tagged(4)));
        assert!(!keeps("vlan", &stripped, none));
        // As in libpcap: with no tag in metadata, what follows `vlan` is read 4 bytes on,
        // as a file program reads it.
        assert!(!keeps("not vlan and ip", &stripped, none));
        // A tag Linux left in the data is still found, as libpcap finds it.
        assert!(keeps("vlan 10", &frame(&[(0x88a8, 10)]), none));
        assert!(!keeps("vlan 10", &frame(&[(0x88a8, 12)]), none));
        // QinQ: the outer tag in metadata, the inner one still in the frame.
        let inner = frame(&[(0x8100, 20)]);
        assert!(keeps("vlan 100 and vlan 20 and udp", &inner, tagged(100)));
        assert!(!keeps("vlan 100 and vlan 21", &inner, tagged(100)));
        assert!(!keeps("vlan 20 and vlan", &stripped, tagged(20)));
    }

    /// What the kernel hands a packet socket for a frame as it was on the wire: the outer tag
    /// taken out into metadata.
    fn as_the_kernel_has_it(wire: &[u8]) -> (Vec<u8>, Metadata) {
        let tpid = u16::from_be_bytes([wire[12], wire[13]]);
        if VLAN_TPIDS.contains(&u32::from(tpid)) {
            let tci = u16::from_be_bytes([wire[14], wire[15]]);
            let mut stripped = wire[..12].to_vec();
            stripped.extend_from_slice(&wire[16..]);
            let meta = Metadata {
                vlan_tci: Some(tci),
                ..Metadata::default()
            };
            (stripped, meta)
        } else {
            (wire.to_vec(), Metadata::default())
        }
    }

    /// From the first `vlan` on, a live program keeps what a file program keeps on the frame
    /// with its tag back (which is what the capture shows). Before it, and in `link[…]`, both
    /// read the frame as they have it: on a live socket `udp` alone keeps tagged UDP too, as
    /// in tcpdump.
    #[test]
    fn live_programs_match_what_file_programs_match_on_the_wire_frame() {
        let frames = [
            frame(&[]),
            frame(&[(0x8100, 10)]),
            frame(&[(0x8100, 20)]),
            frame(&[(0x88a8, 100), (0x8100, 10)]),
            frame(&[(0x9100, 30), (0x8100, 20), (0x8100, 10)]),
        ];
        let exprs = [
            "vlan",
            "vlan 10",
            "not vlan",
            "vlan and udp",
            "not vlan and udp",
            "vlan or udp",
            "vlan 10 or vlan 20 and udp",
            "vlan 100 and vlan 10 and host 10.0.0.1",
            "vlan and vlan and port 53",
            "vlan and not vlan and ip[9] = 17",
            "vlan 30 and vlan and vlan 10 and udp",
            "(vlan 20 or vlan 10) and ip[9] = 17",
        ];
        let mut kept = 0;
        for expr in exprs {
            let e = parse(expr).unwrap();
            let file = compile(&e, Framing::Ethernet).unwrap();
            let live = compile_for_packet_socket(&e).unwrap();
            for wire in &frames {
                let want = file.run(wire, wire.len() as u32) == SNAPLEN;
                let (pkt, meta) = as_the_kernel_has_it(wire);
                let got =
                    run_with_metadata(live.instructions(), &pkt, pkt.len() as u32, Some(meta))
                        == SNAPLEN;
                assert_eq!(got, want, "'{expr}' on {wire:02x?}\n{live}");
                kept += usize::from(want);
            }
        }
        assert!(kept > 15, "only {kept} matches: the table proves little");
    }

    #[test]
    fn live_metadata_primitives() {
        let pkt = frame(&[]);
        let meta = |pkttype: u16, ifindex: u32| Metadata {
            pkttype,
            ifindex,
            ..Metadata::default()
        };
        assert!(keeps("outbound", &pkt, meta(4, 1)));
        assert!(!keeps("inbound", &pkt, meta(4, 1)));
        assert!(keeps("inbound and udp", &pkt, meta(0, 1)));
        assert!(keeps("ifindex 3", &pkt, meta(0, 3)));
        assert!(!keeps("ifindex 3", &pkt, meta(0, 4)));
        // Without the kernel nothing can answer: rejected rather than guessed.
        let prog = compile_for_packet_socket(&parse("ifindex 3").unwrap()).unwrap();
        assert!(keeps("udp", &frame(&[]), meta(0, 1)));
        assert_eq!(prog.run(&pkt, pkt.len() as u32), 0);
        // For a file, the kernel's metadata is not there to read.
        for expr in ["inbound", "ifindex 1"] {
            let e = parse(expr).unwrap();
            assert!(matches!(
                compile(&e, Framing::Ethernet),
                Err(CompileError::Unsupported { .. })
            ));
        }
    }

    #[test]
    fn offsets_move_in_parse_order() {
        // `vlan 10 or vlan 20 and ip`: the second tag is looked for inside the first.
        let p = compile(
            &parse("vlan 10 or vlan 20 and ip").unwrap(),
            Framing::Ethernet,
        )
        .unwrap()
        .to_string();
        for load in [
            "ldh      [14]",
            "ldh      [16]",
            "ldh      [18]",
            "ldh      [20]",
        ] {
            assert!(p.contains(load), "{load} in\n{p}");
        }
        // After pppoes, link[0] is the PPP header's first byte.
        let p = compile(&parse("pppoes and link[0] = 0").unwrap(), Framing::Ethernet).unwrap();
        assert!(p.to_string().contains("ldb      [20]"), "{p}");
    }
}
