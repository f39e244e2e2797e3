//! The link types whose type field is not an ethertype at a fixed place, following libpcap
//! 1.10's `gen_linktype`, `gen_llc_linktype` and its 802.11/radiotap offsets, down to the
//! order of the loads (which decides what a truncated frame gives).
//!
//! - SLIP (8): `ip` / `ip6` test the version nibble of the link header's first byte (libpcap
//!   reads offset 0, not the packet after the 16-byte header); nothing else is carried.
//!   `inbound` is a direction byte of 0, `outbound` any other. `vlan` and `mpls` are refused.
//! - PPP (9) and PPP in HDLC framing (50): the 16-bit protocol at byte 2, with libpcap's
//!   mapping from ethertypes (0x21 IPv4, 0x57 IPv6, 0x23 OSI, 0x27 DECnet, 0x29 AppleTalk,
//!   0x2b IPX, 0x31 spanning tree, 0x3f NetBIOS; any other value compared as it is, so `arp`
//!   is 0x0806). `mpls` is protocol 0x0281 on 9 and refused on 50; `vlan` is refused.
//! - Cisco HDLC (104): the ethertype at byte 2, compared whole (`ether proto 0x42` tests
//!   0x42), but OSI is 0xfefe and its NLPID sits one pad byte into the payload (`clnp` reads
//!   byte 5; the IS-IS PDU type is still read at byte 8, as libpcap does). `mpls` is 0x8847.
//! - Frame Relay (107): control byte and NLPID as 16 bits at byte 2: 0x03cc for `ip`,
//!   0x038e for `ip6`, `(nlpid << 8) | 3` for the OSI words (`iso` is any of 0x0381-0x0383,
//!   `iso proto N` is 0x03NN with no further test). libpcap reads the network header at
//!   offset 0 here (not after the 4-byte header), and so does the filter: `host` reads bytes
//!   12 and 16 of the frame. `arp` and other ethertypes never match.
//! - 802.11 (105) and radiotap (127): every protocol test first checks that the frame is a
//!   data frame (frame control type bits: not 0x04, then 0x08), then reads the LLC header as
//!   libpcap's `gen_llc_linktype` does: an ethertype at LLC + 6 (the SNAP type; the SNAP
//!   header itself is not checked), a SAP ≤ 1500 as the DSAP byte, OSI/NetBEUI/IP-over-802.2
//!   as both SAPs, AppleTalk as its SNAP header. The LLC header's offset is computed once
//!   at the program's start, as libpcap does: 24 bytes of MAC header, 2 more for a QoS data
//!   frame (subtype bit 0x80), 4-address frames not counted (libpcap does not count them);
//!   on radiotap, after the radiotap length (little-endian, at byte 2), and rounded up to 4
//!   bytes when the radiotap flags field (present-bit 1, found after an 8-byte TSFT when
//!   present-bit 0 is set, not looked for when the presence word is extended) has the
//!   data-pad bit 0x20. The network header is 8 bytes after the LLC header. That start is
//!   left out when nothing reads those offsets (`link[…]`, `len`), as libpcap leaves it out,
//!   so a frame too short for it is not rejected there. The offsets are run-time offsets in
//!   the scratch slots of `compile_varoff.rs`. `ether`/`wlan` `host`, `src` and `dst`,
//!   `broadcast` and `multicast` read the 802.11 addresses as libpcap's `gen_wlanhostop`
//!   does: never in control frames; the source is addr2, or addr3 in a frame from the DS,
//!   or addr4 in one both to and from it; the destination is addr1, or addr3 in a frame to
//!   the DS. `wlan addr1` … `addr4` read one field: addr1 always, addr2 but in CTS and
//!   ACK frames, addr3 but in control frames, addr4 only to and from the DS; `wlan ra`
//!   (addr1) and `wlan ta` (addr2) only in data frames, as libpcap's code has it. `type`,
//!   `subtype` and `dir` mask the frame control bytes (0x0c, 0xfc; 0x03 of the second).
//!   `vlan [id]` tests for a data frame whose SNAP type is a VLAN TPID, then the ID; it
//!   moves the LLC header 4 bytes on (libpcap's reading: the SNAP type and the network
//!   header after the tag), and later protocol tests still check for a data frame. `mpls`
//!   is refused as libpcap refuses it.
//! - NFLOG (239), IPoIB (242), PKTAP (258): libpcap has no link-type test for these, and
//!   refuses every primitive that needs one; only `link[…]`, `len`, `less` and `greater`
//!   can be filtered.

use super::encap::ppp_protocol;
use super::varoff::Region;
use super::{CompileError, Frames, Framing, Gen, Label};
use crate::filter::ast::LinkPrim;
use crate::filter::bpf::op;
use crate::filter::link::WlanField;

/// Where the LLC header of an 802.11 frame is kept at run time.
const LLC: Region = Region::Payload;
/// Where the radiotap header's length is kept at run time: the start of the 802.11 frame.
const MAC: Region = Region::LinkHeader;
/// Bytes of an 802.11 MAC header without QoS or a fourth address.
const MAC_HEADER_LEN: u32 = 24;
/// The TPIDs `vlan` accepts, in the order libpcap tests them.
const VLAN_TPIDS: [u32; 3] = [0x8100, 0x88a8, 0x9100];
/// Bytes of an LLC + SNAP header, which libpcap assumes between LLC and the network header.
const LLC_SNAP_LEN: u32 = 8;

/// The network header of an 802.11 frame: past the LLC/SNAP header found at run time.
pub(super) fn wireless_net_offset() -> u32 {
    LLC.at(LLC_SNAP_LEN)
}

/// The instructions of a link prologue, to be dropped if nothing reads what they compute.
pub(super) struct Prologue {
    /// Where the code computing the 802.11 header's offset ends (radiotap only).
    mac_end: usize,
    /// Where the code computing the LLC offset ends.
    llc_end: usize,
}

/// Whether the link header's length is found at run time, where libpcap refuses
/// `protochain`.
pub(super) fn variable_link_header(frames: Frames) -> bool {
    is_wireless(frames)
}

/// libpcap's refusal of `protochain` where the link header's length is variable.
pub(super) fn protochain_refused(frames: Frames) -> CompileError {
    let name = match frames {
        Frames::Link(link) => link_name(link),
        Frames::CookedSocket => None,
    };
    CompileError::Unsupported {
        reason: format!(
            "'protochain' is not supported with the variable-length headers of {} captures",
            name.unwrap_or("these")
        ),
    }
}

fn is_wireless(frames: Frames) -> bool {
    matches!(frames, Frames::Link(Framing::Ieee80211 | Framing::Radiotap))
}

/// libpcap's name for a link type without its own message, in its words.
fn unfiltered_name(link: Framing) -> Option<&'static str> {
    match link {
        Framing::Nflog => Some("NFLOG"),
        Framing::Ipoib => Some("RFC 4391 IP-over-Infiniband"),
        Framing::Pktap => Some("Apple DLT_PKTAP"),
        _ => None,
    }
}

/// A link type's name in messages, for the link types of this module.
pub(super) fn link_name(link: Framing) -> Option<&'static str> {
    Some(match link {
        Framing::Slip => "SLIP",
        Framing::Ppp => "PPP",
        Framing::PppHdlc => "PPP over serial (PPP_SERIAL)",
        Framing::CHdlc => "Cisco HDLC",
        Framing::FrameRelay => "Frame Relay",
        Framing::Ieee80211 => "802.11",
        Framing::Radiotap => "802.11 plus radiotap header",
        Framing::Nflog => "Linux netfilter log (NFLOG)",
        Framing::Ipoib => "RFC 4391 IP-over-Infiniband (IPOIB)",
        Framing::Pktap => "Apple DLT_PKTAP",
        _ => return None,
    })
}

impl Gen {
    fn framing(&self) -> Option<Framing> {
        match self.frames {
            Frames::Link(link) => Some(link),
            Frames::CookedSocket => None,
        }
    }

    /// `ethertype`'s test for the link types of this module.
    pub(super) fn other_link_type(&mut self, link: Framing, ethertype: u16, t: Label, f: Label) {
        match link {
            Framing::Slip => {
                let version = match ethertype {
                    0x0800 => 0x40,
                    0x86dd => 0x60,
                    _ => return self.ja(f),
                };
                self.stmt(op::LD | op::B | op::ABS, 0);
                self.stmt(op::ALU | op::AND | op::K, 0xf0);
                self.jump(op::JMP | op::JEQ | op::K, version, t, f);
            }
            Framing::Ppp | Framing::PppHdlc => {
                self.stmt(op::LD | op::H | op::ABS, 2);
                self.jump(op::JMP | op::JEQ | op::K, ppp_protocol(ethertype), t, f);
            }
            Framing::CHdlc => {
                self.stmt(op::LD | op::H | op::ABS, 2);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(ethertype), t, f);
            }
            Framing::FrameRelay => {
                let nlpid = match ethertype {
                    0x0800 => 0xcc,
                    0x86dd => 0x8e,
                    _ => return self.ja(f),
                };
                self.frame_relay_nlpid(nlpid, t, f);
            }
            Framing::Ieee80211 | Framing::Radiotap => self.llc_type(u32::from(ethertype), t, f),
            _ => {
                if let Some(name) = unfiltered_name(link) {
                    self.encap.defer_error(CompileError::Unsupported {
                        reason: format!("{name} link-layer type filtering not implemented"),
                    });
                }
                // Every other link type is handled in `Gen::ethertype`.
                self.ja(f);
            }
        }
    }

    /// SLIP's direction byte: 0 for a packet received, 1 for one sent.
    pub(super) fn slip_direction(&mut self, inbound: bool, t: Label, f: Label) {
        let (t, f) = if inbound { (t, f) } else { (f, t) };
        self.stmt(op::LD | op::B | op::ABS, 0);
        self.jump(op::JMP | op::JEQ | op::K, 0, t, f);
    }

    /// Frame Relay's control byte (3) and NLPID.
    fn frame_relay_nlpid(&mut self, nlpid: u32, t: Label, f: Label) {
        self.stmt(op::LD | op::H | op::ABS, 2);
        self.jump(op::JMP | op::JEQ | op::K, 0x0300 | nlpid, t, f);
    }

    /// `c` bytes into the LLC header as libpcap reads it after the `vlan`s written so far:
    /// each moves it, and the network header 8 bytes after it, 4 bytes on.
    fn llc_at(&self, c: u32) -> u32 {
        self.nh - LLC_SNAP_LEN + c
    }

    /// Whether `vlan` is the 802.11 one: on 802.11 or radiotap, with nothing moving the link
    /// type before it.
    pub(super) fn wireless_vlan_applies(&self) -> bool {
        self.encap.moved_field().is_none() && is_wireless(self.frames)
    }

    /// `vlan [id]` on 802.11, as libpcap compiles it: a data frame whose SNAP type is one of
    /// the VLAN TPIDs, then the ID in the tag; the LLC header, and so the SNAP type and the
    /// network header, move 4 bytes on, and every later protocol test still checks for a
    /// data frame.
    pub(super) fn wireless_vlan(&mut self, id: Option<u16>, t: Label, f: Label) {
        let tagged = if id.is_some() { self.label() } else { t };
        for (i, tpid) in VLAN_TPIDS.into_iter().enumerate() {
            let next = if i + 1 == VLAN_TPIDS.len() {
                f
            } else {
                self.label()
            };
            self.llc_type(tpid, tagged, next);
            if next != f {
                self.place(next);
            }
        }
        if let Some(id) = id {
            self.place(tagged);
            self.stmt(op::LD | op::H | op::ABS, self.llc_at(8));
            self.stmt(op::ALU | op::AND | op::K, 0xfff);
            self.jump(op::JMP | op::JEQ | op::K, u32::from(id), t, f);
        }
        self.nh += 4;
    }

    /// Where the 802.11 frame control field is.
    fn frame_control(&self) -> u32 {
        if self.frames == Frames::Link(Framing::Radiotap) {
            MAC.at(0)
        } else {
            0
        }
    }

    /// Continues at a new label if the 802.11 frame is a data frame, else goes to `f`.
    fn data_frame(&mut self, f: Label) {
        let fc = self.frame_control();
        let not_reserved = self.label();
        let data = self.label();
        self.stmt(op::LD | op::B | op::ABS, fc);
        self.jump(op::JMP | op::JSET | op::K, 0x04, f, not_reserved);
        self.place(not_reserved);
        self.stmt(op::LD | op::B | op::ABS, fc);
        self.jump(op::JMP | op::JSET | op::K, 0x08, data, f);
        self.place(data);
    }

    /// libpcap's `gen_llc_linktype` on an 802.11 data frame.
    fn llc_type(&mut self, value: u32, t: Label, f: Label) {
        self.data_frame(f);
        let cmp = |g: &mut Gen, size: u16, c: u32, k: u32, t: Label, f: Label| {
            g.stmt(op::LD | size | op::ABS, g.llc_at(c));
            g.jump(op::JMP | op::JEQ | op::K, k, t, f);
        };
        match value {
            0x06 | 0xfe | 0xf0 => cmp(self, op::H, 0, (value << 8) | value, t, f),
            0xe0 => cmp(self, op::B, 0, 0xe0, t, f),
            0x809b => {
                let first_ok = self.label();
                cmp(self, op::W, 4, 0x0007_809b, first_ok, f);
                self.place(first_ok);
                cmp(self, op::W, 0, 0xaaaa_0308, t, f);
            }
            v if v <= 1500 => cmp(self, op::B, 0, v, t, f),
            v => cmp(self, op::H, 6, v, t, f),
        }
    }

    /// `ether proto value` where this module's link types differ from what
    /// `compile_link.rs` does with their type field; `None` where they do not.
    pub(super) fn other_ether_proto(&mut self, value: u32, t: Label, f: Label) -> Option<()> {
        if self.encap.moved_field().is_some() {
            return None;
        }
        match self.framing()? {
            Framing::Ieee80211 | Framing::Radiotap => self.llc_type(value, t, f),
            Framing::CHdlc if value == 0xfe => {
                self.stmt(op::LD | op::H | op::ABS, 2);
                self.jump(op::JMP | op::JEQ | op::K, 0xfefe, t, f);
            }
            Framing::FrameRelay if value == 0xfe => {
                let (second, third) = (self.label(), self.label());
                self.frame_relay_nlpid(0x81, t, second);
                self.place(second);
                self.jump(op::JMP | op::JEQ | op::K, 0x0382, t, third);
                self.place(third);
                self.jump(op::JMP | op::JEQ | op::K, 0x0383, t, f);
            }
            link @ (Framing::Nflog | Framing::Ipoib | Framing::Pktap) => {
                self.other_link_type(link, 0, t, f)
            }
            _ => return None,
        }
        Some(())
    }

    /// OSI with NLPID `nlpid` where it is not the NLPID byte after the LLC header.
    pub(super) fn other_osi(&mut self, nlpid: u32, t: Label, f: Label) -> Option<()> {
        if self.encap.moved_field().is_some() {
            return None;
        }
        match self.framing()? {
            // The NLPID is the type field's low byte.
            Framing::FrameRelay => self.frame_relay_nlpid(nlpid, t, f),
            // A pad byte precedes the NLPID.
            Framing::CHdlc => {
                let iso = self.label();
                self.other_ether_proto(0xfe, iso, f);
                self.place(iso);
                self.stmt(op::LD | op::B | op::ABS, self.nh + 1);
                self.jump(op::JMP | op::JEQ | op::K, nlpid, t, f);
            }
            _ => return None,
        }
        Some(())
    }

    /// Where the OSI header is on 802.11: after the 3-byte LLC header.
    pub(super) fn other_osi_offset(&self) -> Option<u32> {
        (self.encap.moved_field().is_none() && is_wireless(self.frames)).then(|| self.llc_at(3))
    }

    /// A link-layer primitive where this module's link types differ from `compile_link.rs`;
    /// `None` where they do not.
    pub(super) fn other_link_prim(
        &mut self,
        l: &LinkPrim,
        t: Label,
        f: Label,
    ) -> Option<Result<(), CompileError>> {
        if self.encap.moved_field().is_some() {
            return None;
        }
        let link = self.framing()?;
        if let Some(name) = unfiltered_name(link) {
            let reason = match l {
                LinkPrim::EtherHost { .. } | LinkPrim::Llc(_) => return None,
                LinkPrim::Broadcast | LinkPrim::Multicast => return None,
                _ => format!("{name} link-layer type filtering not implemented"),
            };
            return Some(Err(CompileError::Unsupported { reason }));
        }
        match (link, l) {
            // `iso proto N`: the NLPID where `other_osi` finds it.
            (
                Framing::CHdlc | Framing::FrameRelay,
                LinkPrim::OsiProto {
                    isis: false,
                    number,
                },
            ) => {
                self.other_osi(*number, t, f)?;
                Some(Ok(()))
            }
            (Framing::Ieee80211 | Framing::Radiotap, _) => self.wireless_link_prim(l, t, f),
            _ => None,
        }
    }

    fn wireless_link_prim(
        &mut self,
        l: &LinkPrim,
        t: Label,
        f: Label,
    ) -> Option<Result<(), CompileError>> {
        match *l {
            LinkPrim::Llc(ty) => {
                self.data_frame(f);
                let Some(ty) = ty else {
                    self.ja(t);
                    return Some(Ok(()));
                };
                self.stmt(op::LD | op::B | op::ABS, self.llc_at(2));
                match ty.control_test() {
                    // I frames: the low bit clear.
                    (0x01, 0) => self.jump(op::JMP | op::JSET | op::K, 0x01, f, t),
                    (mask, value) => {
                        self.stmt(op::ALU | op::AND | op::K, mask);
                        self.jump(op::JMP | op::JEQ | op::K, value, t, f);
                    }
                }
            }
            LinkPrim::EtherHost { dir, mac } => {
                self.dir_fields(dir, t, f, |g, field, t, f| {
                    let source = field == 0;
                    g.wlan_address(source, t, f, |g, at, t, f| g.mac_is(at, mac.0, t, f))
                });
            }
            LinkPrim::Broadcast => {
                self.wlan_address(false, t, f, |g, at, t, f| g.mac_is(at, [0xff; 6], t, f));
            }
            LinkPrim::Multicast => {
                self.wlan_address(false, t, f, |g, at, t, f| {
                    g.stmt(op::LD | op::B | op::ABS, at);
                    g.jump(op::JMP | op::JSET | op::K, 1, t, f);
                });
            }
            LinkPrim::WlanType(ty) => {
                self.stmt(op::LD | op::B | op::ABS, self.frame_control());
                self.masked_is(0x0c, u32::from(ty), t, f);
            }
            LinkPrim::WlanSubtype(sub) => {
                self.stmt(op::LD | op::B | op::ABS, self.frame_control());
                self.stmt(op::ALU | op::AND | op::K, 0xfc);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(sub), t, f);
            }
            LinkPrim::WlanDir(dir) => {
                self.stmt(op::LD | op::B | op::ABS, self.frame_control() + 1);
                self.masked_is(0x03, u32::from(dir), t, f);
            }
            LinkPrim::WlanAddr { field, mac } => self.wlan_field(field, mac.0, t, f),
            LinkPrim::EtherProto(_)
            | LinkPrim::Word(_)
            | LinkPrim::OsiProto { .. }
            | LinkPrim::IpMulticast { .. }
            | LinkPrim::IpBroadcast => return None,
        }
        Some(Ok(()))
    }

    /// `A & mask == value`, written as libpcap's optimiser leaves it (a `jset` for 0).
    fn masked_is(&mut self, mask: u32, value: u32, t: Label, f: Label) {
        if value == 0 {
            self.jump(op::JMP | op::JSET | op::K, mask, f, t);
        } else {
            self.stmt(op::ALU | op::AND | op::K, mask);
            self.jump(op::JMP | op::JEQ | op::K, value, t, f);
        }
    }

    /// `wlan addr1` … `wlan ta`, with the frame checks libpcap makes before each.
    fn wlan_field(&mut self, field: WlanField, mac: [u8; 6], t: Label, f: Label) {
        let fc = self.frame_control();
        let at = match field {
            // Every frame has a first address; `ra` is read only in data frames, as libpcap
            // reads it.
            WlanField::Addr1 => fc + 4,
            WlanField::Ra => {
                let data = self.label();
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.jump(op::JMP | op::JSET | op::K, 0x08, data, f);
                self.place(data);
                fc + 4
            }
            // Not in CTS (0xc4) and ACK (0xd4) control frames.
            WlanField::Addr2 => {
                let (control, cts_or_ack, has_it) = (self.label(), self.label(), self.label());
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.masked_is(0x0c, 0x04, control, has_it);
                self.place(control);
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.stmt(op::ALU | op::AND | op::K, 0xf0);
                self.jump(op::JMP | op::JEQ | op::K, 0xc0, f, cts_or_ack);
                self.place(cts_or_ack);
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.stmt(op::ALU | op::AND | op::K, 0xf0);
                self.jump(op::JMP | op::JEQ | op::K, 0xd0, f, has_it);
                self.place(has_it);
                fc + 10
            }
            // `ta` in data frames only, as libpcap reads it.
            WlanField::Ta => {
                let data = self.label();
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.jump(op::JMP | op::JSET | op::K, 0x08, data, f);
                self.place(data);
                fc + 10
            }
            // Not in control frames.
            WlanField::Addr3 => {
                let not_control = self.label();
                self.stmt(op::LD | op::B | op::ABS, fc);
                self.stmt(op::ALU | op::AND | op::K, 0x0c);
                self.jump(op::JMP | op::JEQ | op::K, 0x04, f, not_control);
                self.place(not_control);
                fc + 16
            }
            // Only in frames both to and from the DS.
            WlanField::Addr4 => {
                let both = self.label();
                self.stmt(op::LD | op::B | op::ABS, fc + 1);
                self.stmt(op::ALU | op::AND | op::K, 0x03);
                self.jump(op::JMP | op::JEQ | op::K, 0x03, both, f);
                self.place(both);
                fc + 24
            }
        };
        self.mac_is(at, mac, t, f);
    }

    /// The error for an 802.11 primitive on another link type, in libpcap's words.
    pub(super) fn not_wireless(&self, l: &LinkPrim, link: &str) -> CompileError {
        let reason = match l {
            LinkPrim::WlanType(_) | LinkPrim::WlanSubtype(_) => {
                format!("802.11 link-layer types supported only on 802.11, not on {link}")
            }
            LinkPrim::WlanDir(_) => {
                format!("frame direction supported only with 802.11 headers, not on {link}")
            }
            LinkPrim::WlanAddr { field, .. } => {
                format!("'{field}' is only supported on 802.11 with 802.11 headers, not on {link}")
            }
            other => format!("'{other}' is not supported on {link}"),
        };
        CompileError::Unsupported { reason }
    }

    /// Runs `test(g, offset, t, f)` on the 802.11 source (transmitter's view: addr2, or
    /// addr3 from the DS, addr4 between two) or destination address (addr1, or addr3 to the
    /// DS), as libpcap's `gen_wlanhostop` does after its optimiser: control frames (type
    /// bit 0x04) never match, management frames use addr2 / addr1.
    fn wlan_address(
        &mut self,
        source: bool,
        t: Label,
        f: Label,
        mut test: impl FnMut(&mut Gen, u32, Label, Label),
    ) {
        let fc = self.frame_control();
        let (not_control, data, plain) = (self.label(), self.label(), self.label());
        self.stmt(op::LD | op::B | op::ABS, fc);
        self.jump(op::JMP | op::JSET | op::K, 0x04, f, not_control);
        self.place(not_control);
        self.jump(op::JMP | op::JSET | op::K, 0x08, data, plain);
        self.place(data);
        // The flags byte: 0x01 to the DS, 0x02 from the DS.
        self.stmt(op::LD | op::B | op::ABS, fc + 1);
        if source {
            let (from_ds, four, three) = (self.label(), self.label(), self.label());
            self.jump(op::JMP | op::JSET | op::K, 0x02, from_ds, plain);
            self.place(from_ds);
            self.jump(op::JMP | op::JSET | op::K, 0x01, four, three);
            self.place(four);
            test(self, fc + 24, t, f);
            self.place(three);
            test(self, fc + 16, t, f);
            self.place(plain);
            test(self, fc + 10, t, f);
        } else {
            let to_ds = self.label();
            self.jump(op::JMP | op::JSET | op::K, 0x01, to_ds, plain);
            self.place(to_ds);
            test(self, fc + 16, t, f);
            self.place(plain);
            test(self, fc + 4, t, f);
        }
    }

    /// The 6-byte address at `at` is `mac`: its last four bytes first, as libpcap tests it.
    fn mac_is(&mut self, at: u32, mac: [u8; 6], t: Label, f: Label) {
        let low_ok = self.label();
        self.stmt(op::LD | op::W | op::ABS, at + 2);
        let low = u32::from_be_bytes([mac[2], mac[3], mac[4], mac[5]]);
        self.jump(op::JMP | op::JEQ | op::K, low, low_ok, f);
        self.place(low_ok);
        self.stmt(op::LD | op::H | op::ABS, at);
        self.jump(
            op::JMP | op::JEQ | op::K,
            u32::from(u16::from_be_bytes([mac[0], mac[1]])),
            t,
            f,
        );
    }

    /// On 802.11 and radiotap, stores where the 802.11 header (radiotap) and the LLC header
    /// are, as libpcap's `insert_compute_vloffsets` does at the start of its program, and
    /// makes later offsets relative to them; elsewhere does nothing.
    pub(super) fn link_prologue(&mut self) -> Option<Prologue> {
        if !is_wireless(self.frames) {
            return None;
        }
        let (mac_slot, llc_slot) = (MAC.slot(), LLC.slot());
        let radiotap = self.frames == Frames::Link(Framing::Radiotap);
        if radiotap {
            // The radiotap length, little-endian.
            self.raw_stmt(op::LD | op::B | op::ABS, 3);
            self.raw_stmt(op::ALU | op::LSH | op::K, 8);
            self.raw_stmt(op::MISC | op::TAX, 0);
            self.raw_stmt(op::LD | op::B | op::ABS, 2);
            self.raw_stmt(op::ALU | op::OR | op::X, 0);
            self.raw_stmt(op::ST, mac_slot);
            self.raw_stmt(op::MISC | op::TAX, 0);
        } else {
            self.raw_stmt(op::LDX | op::IMM, 0);
        }
        let mac_end = self.code.len();
        let (data, not_reserved, qos, pad, done) = (
            self.label(),
            self.label(),
            self.label(),
            self.label(),
            self.label(),
        );
        // A non-data frame skips the radiotap padding too, as in libpcap.
        self.raw_stmt(op::MISC | op::TXA, 0);
        self.raw_stmt(op::ALU | op::ADD | op::K, MAC_HEADER_LEN);
        self.raw_stmt(op::ST, llc_slot);
        self.raw_stmt(op::LD | op::B | op::IND, 0);
        self.jump(op::JMP | op::JSET | op::K, 0x08, data, done);
        self.place(data);
        self.jump(op::JMP | op::JSET | op::K, 0x04, done, not_reserved);
        self.place(not_reserved);
        self.jump(op::JMP | op::JSET | op::K, 0x80, qos, pad);
        self.place(qos);
        self.raw_stmt(op::LD | op::MEM, llc_slot);
        self.raw_stmt(op::ALU | op::ADD | op::K, 2);
        self.raw_stmt(op::ST, llc_slot);
        self.place(pad);
        if radiotap {
            let (flags, no_tsft, with_tsft, padded) =
                (self.label(), self.label(), self.label(), self.label());
            // The presence word, read big-endian: bit 1 (flags) is 0x0200_0000, bit 0 (TSFT)
            // 0x0100_0000, bit 31 (another presence word follows) 0x80.
            self.raw_stmt(op::LD | op::W | op::ABS, 4);
            self.jump(op::JMP | op::JSET | op::K, 0x0200_0000, flags, done);
            self.place(flags);
            let not_extended = self.label();
            self.jump(op::JMP | op::JSET | op::K, 0x80, done, not_extended);
            self.place(not_extended);
            self.jump(op::JMP | op::JSET | op::K, 0x0100_0000, with_tsft, no_tsft);
            self.place(with_tsft);
            self.raw_stmt(op::LD | op::B | op::ABS, 16);
            self.jump(op::JMP | op::JSET | op::K, 0x20, padded, done);
            self.place(no_tsft);
            self.raw_stmt(op::LD | op::B | op::ABS, 8);
            self.jump(op::JMP | op::JSET | op::K, 0x20, padded, done);
            self.place(padded);
            self.raw_stmt(op::LD | op::MEM, llc_slot);
            self.raw_stmt(op::ALU | op::ADD | op::K, 3);
            self.raw_stmt(op::ALU | op::AND | op::K, !3);
            self.raw_stmt(op::ST, llc_slot);
        }
        self.place(done);
        let llc_end = self.code.len();
        if radiotap {
            self.encap.link_base = MAC.at(0);
        }
        self.encap.var = Some(Default::default());
        Some(Prologue { mac_end, llc_end })
    }

    /// Takes out what the prologue computed that nothing after it reads, as libpcap computes
    /// only the offsets its program uses: on a frame too short for them, a filter that does
    /// not need them must not reject it.
    pub(super) fn drop_unused_link_prologue(&mut self, prologue: Option<Prologue>) {
        let Some(p) = prologue else {
            return;
        };
        let reads = |g: &Gen, slot: u32| {
            g.code[p.llc_end..].iter().any(|ins| {
                let class = ins.code & 0x07;
                (class == op::LD || class == op::LDX) && ins.code & 0xe0 == op::MEM && ins.k == slot
            })
        };
        let keep = if reads(self, LLC.slot()) {
            return;
        } else if self.frames == Frames::Link(Framing::Radiotap) && reads(self, MAC.slot()) {
            p.mac_end
        } else {
            0
        };
        let gone = p.llc_end - keep;
        self.code.drain(keep..p.llc_end);
        for at in self.labels.iter_mut().flatten() {
            if *at >= p.llc_end {
                *at -= gone;
            } else if *at > keep {
                // Only the dropped code jumped here.
                *at = keep;
            }
        }
    }
}
