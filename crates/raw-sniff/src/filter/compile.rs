//! Compiles an [`Expr`] to classic BPF for one link type.
//!
//! Code generation threads two labels through the expression, "where to go if true" and "where
//! to go if false", the way boolean expressions are usually compiled to branches: `a and b`
//! sends `a`'s true exit to `b`, `a or b` sends its false exit to `b`, and `not a` swaps the
//! exits. Labels are always placed after every jump to them, so every jump goes forward, as
//! classic BPF requires. A conditional jump reaches at most 255 instructions; one that must go
//! further is routed through an unconditional `ja`, whose reach is 32 bits.
//!
//! Each primitive reloads what it needs (nothing is cached in X or scratch memory between
//! primitives, but for the inner offsets `geneve` stores), and evaluation order within a primitive is fixed: link type, then protocol,
//! then fragment offset, then the source field before the destination field. That order only
//! matters for truncated packets, where a load past the end rejects the whole packet, as in
//! tcpdump.
//!
//! What each primitive matches, as in tcpdump 4.99 / libpcap 1.10:
//!
//! - `ip` / `ip6` / `arp`: the ethertype (0x0800, 0x86dd, 0x0806) in the Ethernet or Linux
//!   cooked header; on raw IP, the version nibble (4 or 6), and `arp` never matches.
//!   Like tcpdump without a `vlan` keyword, an 802.1Q-tagged frame's ethertype is 0x8100, so
//!   none of these look inside the tag. On BSD loopback (NULL, LOOP) `ip` is address family
//!   2 and `ip6` is 30, 24 or 28 (Darwin, NetBSD/OpenBSD, FreeBSD), read in the capturing
//!   host's byte order for NULL and in network order for LOOP; `arp` never matches there.
//! - `tcp` / `udp`: IPv4 protocol 6 / 17 (in any fragment); or IPv6 next header 6 / 17 in the
//!   fixed header, or in a fragment header that directly follows it. Other extension header
//!   chains are not walked (tcpdump does not either).
//! - `icmp`: IPv4 protocol 1. `icmp6`: IPv6 next header 58, with the same fragment-header rule.
//! - `host A` / `net N`: an IPv4 value looks at the IPv4 source/destination and, without `ip`,
//!   at the ARP and RARP (ethertype 0x8035) sender/target protocol addresses; an IPv6 value
//!   at the IPv6 source/destination.
//! - `port` / `portrange`: TCP, UDP or SCTP (132) ports, or only TCP / UDP when qualified. On
//!   IPv4 only in the first fragment (fragment offset 0), with the transport header found
//!   through the IHL (`ldxb 4*([nh]&0xf)`) so options are skipped; on IPv6 only directly after
//!   the fixed header (no extension headers, so not in fragments).
//! - `ip proto N`: IPv4 protocol N; `ip6 proto N`: IPv6 next header N, with the fragment-header
//!   rule of `tcp`; `proto N`: either.
//! - `sctp`, `pim`, `ah`, `esp`: as `tcp`, for protocols 132, 103, 51, 50. `igmp` (2), `vrrp`
//!   and `carp` (both 112): IPv4 only, as in libpcap. `sctp port` counts SCTP ports alone.
//! - `ip6 protochain N` / `ip protochain N` / `protochain N`: protocol N found by walking the
//!   IPv6 extension headers and AH (IPv4: AH only), as libpcap's loop walks them.
//! - The empty expression: every packet (`ret #262144`, as `tcpdump -d ''`).
//! - `decnet host A.N` / `decnet src` / `decnet dst`: ethertype 0x6003, and the address
//!   (little-endian) where a short or long DECnet routing header, with no pad byte or one,
//!   puts it.
//! - Relations such as `tcp[13] & 2 != 0`, `len > 100`, `less N`, `greater N`: see the
//!   `compile_arith.rs` part of this module: each header a load counts from is checked first,
//!   then both sides are computed and compared unsigned.
//! - `ether host/src/dst MAC` (Ethernet only): the 6-byte address fields, source first.
//!   `ether proto N` / `link proto N`: the ethertype, or for N ≤ 1500 an 802.2 SAP with
//!   libpcap's special cases; `rarp`, `decnet`, `lat`, `sca`, `moprc`, `mopdl`, `atalk`, `aarp`,
//!   `stp`, `ipx`, `netbeui`, `iso` are `ether proto` of their number; `clnp`, `esis`, `isis`
//!   add the OSI NLPID, and `l1`, `l2`, `iih`, `lsp`, `snp`, `csnp`, `psnp` the IS-IS PDU
//!   type (`iso proto N` and `isis proto N` name the NLPID and the PDU type).
//!   `llc [TYPE]` (Ethernet only): 802.3 with LLC, not Novell raw, and the control field's
//!   frame type. `broadcast` / `multicast` (Ethernet only): the destination address;
//!   `ip multicast` / `ip6 multicast`: the IP destination's class. `rarp host`: the RARP
//!   sender/target protocol addresses. The `compile_link.rs` part of this module says how
//!   each link type reads these, and which it refuses (as libpcap does).
//! - `vlan`, `mpls`, `pppoed`, `pppoes`, `geneve`, `inbound`, `outbound`, `ifindex`: see the
//!   `compile_encap.rs` part. Each of `vlan`, `mpls`, `pppoes` and `geneve` moves the link
//!   type and the network header for every primitive written after it (parse order, as in
//!   libpcap), so the offsets above are those of a frame without them; after `geneve` they
//!   are found at run time and kept in scratch memory (`compile_varoff.rs`).
//! - On SLIP, PPP, PPP in HDLC framing, Cisco HDLC, Frame Relay, 802.11, radiotap, NFLOG,
//!   IPoIB and PKTAP captures, the words above test the link type's own type field (PPP
//!   protocol numbers, Cisco ethertypes, Frame Relay NLPIDs, 802.11 LLC/SNAP headers), and
//!   `link[…]` counts from the start of the frame (from the 802.11 header on radiotap): see
//!   the `compile_links.rs` part, which also says what each refuses, as libpcap does. On
//!   802.11 and radiotap the LLC header's offset is computed at the program's start and
//!   kept in scratch memory, as the offsets after `geneve` are.
//! - `wlan addr1` … `wlan addr4`, `wlan ra`, `wlan ta`, `type T [subtype S]`, `subtype S`,
//!   `dir D` (802.11 and radiotap only, refused elsewhere as libpcap refuses them): the
//!   address fields and frame control bits; see `compile_links.rs`.
//!
//! An expression whose optimised program rejects every packet (`tcp and udp`, `arp` on raw
//! IP) is refused with [`CompileError::RejectsAll`], as libpcap refuses it ("expression
//! rejects all packets"); a load past any packet (`link[0x80000000]`) does not count, as
//! libpcap compiles it as a load.
//!
//! # Differences from tcpdump
//!
//! - Names are resolved as libpcap resolves them (see [`super::resolve`]): `host NAME` is
//!   every address the resolver gives, `port NAME` comes from /etc/services, `net NAME` from
//!   /etc/networks, `ether host NAME` from /etc/ethers. Abbreviated and numeric IPv4 values
//!   mean what they mean to libpcap (`host 10.1` is 10.1.0.0/16, `net 10` is 10.0.0.0/8,
//!   `dst 443` is host 0.0.1.187). Syntax outside what is implemented (`gateway`) is a parse
//!   error that says so, never a silently different match.
//! - `protochain` walks at most 16 headers (libpcap loops with a backward jump, which the
//!   kernel refuses, and so has no limit); see the `compile_ip.rs` part of this module.
//! - On 802.11 and radiotap captures, where libpcap's arithmetic reuses the
//!   scratch slot holding the LLC header's offset (`link[0] = 1 or ip`, `len < 40 or ip`:
//!   its `ip` then reads the type field at the constant just computed), the filter reads
//!   the offset itself, so such expressions keep what they say rather than what tcpdump
//!   keeps.
//! - Link type 14 (OpenBSD's raw IP) is refused: libpcap does not read it from a file.
//! - A primitive after `geneve` that is tested where `geneve` did not match
//!   (`geneve or ip`) is refused: libpcap reads offsets there that were never set.
//! - `link[…]` / `ether[…]` cannot be compiled for a cooked socket ([`CompileError::NeedsLinkHeader`]),
//!   and `len` there means the length of the Linux cooked frame (16 bytes more than the packet).
//! - `net A mask M` needs a contiguous mask; an empty expression is an error rather than
//!   "match everything" (a caller with no filter should attach none).
//! - Programs go through an optimiser (`optimize.rs`, `optimize_pullup.rs`) much like
//!   libpcap's: each field is loaded once, tests already decided on the way are skipped, and
//!   chains such as `port 1 or port 2 or …` test every source port before the first
//!   destination port. Over the corpus of `scripts/filter-sizes.sh` the programs are as long as
//!   libpcap's at the median, and the 4096-instruction limit applies to the optimised program.
//! - On a frame cut short inside a field the filter reads, a load past the captured bytes
//!   rejects the frame, and which loads run first decides the verdict. The optimiser moves a
//!   test earlier only under libpcap's rule: it tests the value the test before did (so the
//!   two join one chain of tests on it) and reads nothing not loaded yet. A frame that the
//!   unoptimised program ([`compile_unoptimized`], written-order evaluation) keeps, the
//!   optimised one keeps too; a frame the unoptimised program rejects for want of a field may
//!   be kept, as libpcap keeps it: `port 80 or 443` keeps a TCP frame from port 443 cut before
//!   its destination port, because both source-port tests run before the destination port is
//!   loaded. tests/filter_tcpdump_optimize.rs compares the two on frames whole and cut at
//!   every length. One difference is left: libpcap drops a load whose value only decides
//!   between paths that all accept, unless the value reaches scratch memory (as in `geneve` or
//!   `protochain`, whose cut frames it rejects); following only the first half of that rule
//!   would break the second, so every load stays here and such a frame is rejected.
//!   `not (host 10.0.0.1 and port 80)` keeps an ARP frame from 10.0.0.1 cut short with
//!   tcpdump, not here. (Records of 0 captured bytes tcpdump keeps not at all, even with a
//!   filter that reads nothing, such as `less 100`; the program here accepts them.)
//! - `ip broadcast` means an all-zeros or all-ones IPv4 destination, which is what tcpdump
//!   compiles for a capture file (netmask 0); on a live interface tcpdump uses the
//!   interface's netmask and also matches its subnet's broadcast address, which this
//!   compiler, knowing no netmask, does not.
//! - A [`Framing::LinuxSll`] program expects the 16-byte cooked header in the buffer, as in a
//!   capture file or a frame rebuilt in user space. A kernel `SOCK_DGRAM` packet socket runs
//!   its filter on the packet from the network header, so such a program must not be attached
//!   there; attach one from [`compile_for_cooked_socket`] instead.

use super::ast::{AddrProto, Dir, Expr, IpNet, PortProto, PortRange, Primitive, Proto};
use super::bpf::{op, Program, SockFilter, MAX_INSNS, SKF_AD_PROTOCOL};
use crate::SNAPLEN;
use std::net::IpAddr;

#[path = "compile_arith.rs"]
mod arith;
#[path = "optimize.rs"]
mod optimize;
#[path = "optimize_pullup.rs"]
mod pullup;

#[path = "compile_encap.rs"]
mod encap;
#[path = "compile_ip.rs"]
mod ip;
#[path = "compile_link.rs"]
mod link;
#[path = "compile_links.rs"]
mod links;

#[path = "compile_varoff.rs"]
mod varoff;
pub use encap::compile_for_packet_socket;

/// What precedes the network layer in the packets a program will see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Ethernet II (`DLT_EN10MB`, pcap link type 1): ethertype at byte 12, network header at 14.
    Ethernet,
    /// Linux cooked capture v1 (`DLT_LINUX_SLL`, pcap link type 113), as libpcap writes for
    /// `--iface any`: protocol at byte 14, network header at 16.
    LinuxSll,
    /// No link header (`DLT_RAW`, pcap link type 101): the packet starts with an IPv4 or IPv6
    /// header, told apart by the version nibble.
    RawIp,
    /// Raw IPv4 (`DLT_IPV4`, pcap link type 228): as libpcap does, every packet is read as
    /// IPv4, whatever its version nibble says.
    Ipv4,
    /// Raw IPv6 (`DLT_IPV6`, pcap link type 229): every packet is read as IPv6.
    Ipv6,
    /// BSD loopback (`DLT_NULL`, pcap link type 0): a 4-byte address family (2 for IPv4; 24,
    /// 28 or 30 for IPv6, by BSD flavour) in the byte order of the host that captured, then
    /// the packet.
    Null {
        /// Whether that host was big-endian (as a capture file's byte order tells).
        big_endian: bool,
    },
    /// OpenBSD loopback (`DLT_LOOP`, pcap link type 108): as [`Framing::Null`], with the
    /// address family in network byte order.
    Loop,
    /// Linux cooked capture v2 (`DLT_LINUX_SLL2`, pcap link type 276): protocol at byte 0,
    /// interface index at 4, packet type at 10, network header at 20.
    LinuxSll2,
    /// SLIP (`DLT_SLIP`, pcap link type 8): a 16-byte header (direction, then the compressed
    /// TCP/IP header), then the packet. As in libpcap, `ip`/`ip6` read the version nibble of
    /// the header's first byte.
    Slip,
    /// PPP (`DLT_PPP`, pcap link type 9): address, control, then the 16-bit PPP protocol at
    /// byte 2; network header at 4.
    Ppp,
    /// PPP in HDLC-like framing (`DLT_PPP_SERIAL`, pcap link type 50): as [`Framing::Ppp`],
    /// but libpcap refuses `mpls` there.
    PppHdlc,
    /// Cisco HDLC (`DLT_C_HDLC`, pcap link type 104): address, control, then an ethertype at
    /// byte 2 (0xfefe for OSI, followed by a pad byte); network header at 4.
    CHdlc,
    /// Frame Relay (`DLT_FRELAY`, pcap link type 107): a 2-byte Q.922 address, then the
    /// control byte 0x03 and an NLPID read together as 16 bits at byte 2 (0x03cc IPv4, 0x038e
    /// IPv6, 0x0381-0x0383 OSI). libpcap reads the network header at offset 0, and so does
    /// the filter.
    FrameRelay,
    /// IEEE 802.11 (`DLT_IEEE802_11`, pcap link type 105): the LLC header follows a MAC
    /// header of 24 bytes, or 26 for QoS data frames, found at run time; the network header
    /// is 8 bytes after it (a SNAP header is assumed, as in libpcap).
    Ieee80211,
    /// Radiotap (`DLT_IEEE802_11_RADIO`, pcap link type 127): a radiotap header whose
    /// little-endian length is at byte 2, then an 802.11 frame as [`Framing::Ieee80211`]
    /// (padded to 4 bytes when the radiotap flags say so).
    Radiotap,
    /// Linux netfilter log (`DLT_NFLOG`, pcap link type 239): only `link[…]` and `len` can be
    /// filtered, as in libpcap.
    Nflog,
    /// IP over InfiniBand (`DLT_IPOIB`, pcap link type 242): only `link[…]` and `len`.
    Ipoib,
    /// Apple PKTAP (`DLT_PKTAP`, pcap link type 258): only `link[…]` and `len`.
    Pktap,
}

impl Framing {
    /// Offset of the network-layer header.
    fn net_offset(self) -> u32 {
        match self {
            Framing::Ethernet => 14,
            Framing::LinuxSll => 16,
            Framing::RawIp | Framing::Ipv4 | Framing::Ipv6 => 0,
            Framing::Null { .. } | Framing::Loop => 4,
            Framing::LinuxSll2 => 20,
            Framing::Slip => 16,
            Framing::Ppp | Framing::PppHdlc | Framing::CHdlc => 4,
            Framing::FrameRelay | Framing::Nflog | Framing::Ipoib | Framing::Pktap => 0,
            // After the LLC/SNAP header, whose offset the program computes (compile_links.rs).
            Framing::Ieee80211 | Framing::Radiotap => links::wireless_net_offset(),
        }
    }
}

/// Why an expression could not be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    /// The program would be longer than the kernel accepts.
    #[error("the filter compiles to {len} instructions, more than the kernel's limit of {MAX_INSNS}; simplify it")]
    TooLong {
        /// Number of instructions generated.
        len: usize,
    },
    /// The optimised program rejects every packet, which libpcap refuses as a mistake too.
    #[error("the filter rejects every packet")]
    RejectsAll,
    /// The generated program failed verification: a bug in this compiler.
    #[error("internal error: the compiled filter fails the kernel's checks: {0}")]
    Internal(super::bpf::VerifyError),
    /// `link[…]` or `ether[…]` for a cooked socket, whose packets have no link header.
    #[error("'link[…]' and 'ether[…]' cannot be filtered in the kernel on a cooked socket, which sees no link header")]
    NeedsLinkHeader,
    /// Arithmetic nested deeper than BPF's 16 scratch memory slots can hold.
    #[error("the arithmetic is nested too deeply for BPF's 16 scratch memory slots")]
    TooComplex,
    /// A division or remainder by an expression that is constantly 0, which libpcap refuses too.
    #[error("division by zero")]
    DivisionByZero,
    /// A shift by an expression that is constantly 32 or more, which the kernel refuses.
    #[error("shift by more than 31 bits")]
    ShiftTooFar,
    /// A link-layer primitive that needs an Ethernet header (Ethernet addresses, `llc`,
    /// `broadcast`, `multicast`) on a capture without one; libpcap refuses these too.
    #[error("{what} can only be tested on Ethernet captures, not on {link} ones")]
    NotOnLink {
        /// The primitive, e.g. "'llc'".
        what: &'static str,
        /// The link type.
        link: &'static str,
    },
    /// A primitive libpcap refuses too at this point of the expression or on this link type,
    /// such as `vlan` after `mpls`, or `inbound` on an Ethernet capture file.
    #[error("{reason}")]
    Unsupported {
        /// libpcap's reason, in its words where it has them.
        reason: String,
    },
    /// An AST the parser would never produce, e.g. `ip6 host 1.2.3.4`.
    #[error("'{primitive}' mixes an address family with a protocol that cannot carry it")]
    WrongFamily {
        /// The primitive, printed back.
        primitive: String,
    },
}

/// Compiles `expr` to a verified classic BPF program for packets of `link`. The program
/// returns [`SNAPLEN`] for a packet that matches and 0 for one that does not.
pub fn compile(expr: &Expr, link: Framing) -> Result<Program, CompileError> {
    generate(expr, Frames::Link(link), true)
}

/// [`compile`] without the kernel's limit of [`MAX_INSNS`] instructions, for filtering in user
/// space (a capture file, or a socket whose kernel refused the program), where libpcap too runs
/// programs of any length. The result passes [`super::verify_any_length`].
pub fn compile_any_length(expr: &Expr, link: Framing) -> Result<Program, CompileError> {
    generate_with_limit(expr, Frames::Link(link), true, usize::MAX)
}

/// [`compile_for_cooked_socket`] without the kernel's length limit: the kernel itself then
/// judges whether it takes the program (a capture falls back to user space if not).
pub fn compile_for_cooked_socket_any_length(expr: &Expr) -> Result<Program, CompileError> {
    generate_with_limit(expr, Frames::CookedSocket, true, usize::MAX)
}

/// [`compile_for_packet_socket`] without the kernel's length limit: the kernel itself then
/// judges whether it takes the program (a capture falls back to user space if not).
pub fn compile_for_packet_socket_any_length(expr: &Expr) -> Result<Program, CompileError> {
    generate_full(
        expr,
        Frames::Link(Framing::Ethernet),
        true,
        true,
        usize::MAX,
    )
}

/// [`compile`] without the optimiser: every primitive loads what it reads, in the order the
/// expression is written. The optimised program gives the same verdict on every packet that
/// holds the fields the filter reads; this one is the reference the tests compare it with.
pub fn compile_unoptimized(expr: &Expr, link: Framing) -> Result<Program, CompileError> {
    generate(expr, Frames::Link(link), false)
}

/// Compiles `expr` for the kernel side of a Linux `AF_PACKET` `SOCK_DGRAM` socket, the kind
/// `--iface any` needs because interfaces differ in their link headers.
///
/// Such a socket runs its filter on the packet from the network header, with no link header
/// to read the ethertype from, so the program asks the kernel for it instead: `ldh [proto]`,
/// the ancillary load `SKF_AD_OFF + SKF_AD_PROTOCOL`. Otherwise it is the program
/// [`compile`] makes, with the network header at offset 0, and it matches what a
/// [`Framing::LinuxSll`] program matches on the cooked frame built from the same packet.
///
/// Only the kernel can answer the ancillary load: [`super::run`] rejects every packet with
/// this program. Filter frames read from files or rebuilt in user space with a
/// [`Framing::LinuxSll`] program instead.
pub fn compile_for_cooked_socket(expr: &Expr) -> Result<Program, CompileError> {
    generate(expr, Frames::CookedSocket, true)
}

/// What the program will be run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frames {
    /// Frames with this link header (or none).
    Link(Framing),
    /// Network-layer packets in a kernel `SOCK_DGRAM` packet socket.
    CookedSocket,
}

fn generate(expr: &Expr, frames: Frames, optimized: bool) -> Result<Program, CompileError> {
    generate_full(expr, frames, false, optimized, MAX_INSNS)
}

/// [`generate`], optimised, for a live socket when `live` (see `compile_encap.rs`).
fn generate_with(expr: &Expr, frames: Frames, live: bool) -> Result<Program, CompileError> {
    generate_full(expr, frames, live, true, MAX_INSNS)
}

/// [`generate`] with a program of at most `max_len` instructions.
fn generate_with_limit(
    expr: &Expr,
    frames: Frames,
    optimized: bool,
    max_len: usize,
) -> Result<Program, CompileError> {
    generate_full(expr, frames, false, optimized, max_len)
}

/// Generates for a live socket when `live`, optimises if asked, and assembles a program of at
/// most `max_len` instructions.
fn generate_full(
    expr: &Expr,
    frames: Frames,
    live: bool,
    optimized: bool,
    max_len: usize,
) -> Result<Program, CompileError> {
    if *expr == Expr::Prim(Primitive::Everything) {
        // What libpcap makes of the empty expression: accept, and nothing else.
        let insns = vec![SockFilter::stmt(op::RET | op::K, SNAPLEN)];
        return Program::new(insns).map_err(CompileError::Internal);
    }
    let mut g = Gen {
        encap: encap::Layout::new(live),
        frames,
        nh: match frames {
            Frames::Link(link) => link.net_offset(),
            Frames::CookedSocket => 0,
        },
        code: Vec::new(),
        labels: Vec::new(),
    };
    let accept = g.label();
    let reject = g.label();
    g.live_vlan_prologue(expr);
    let link_prologue = g.link_prologue();
    g.cond(expr, accept, reject)?;
    g.drop_unused_link_prologue(link_prologue);
    g.encap.take_error()?;
    g.place(accept);
    g.stmt(op::RET | op::K, SNAPLEN);
    g.place(reject);
    g.stmt(op::RET | op::K, 0);
    // A `ret #0` besides the final one stands for a load past any packet (`link[0x80000000]`),
    // which libpcap compiles as a load and so does not count as rejecting everything.
    let fails_a_load = g
        .code
        .iter()
        .filter(|i| i.code == op::RET | op::K && i.k == 0)
        .count()
        > 1;
    if optimized {
        // Reads of the slots an encapsulation sets, where it did not match, are refused
        // whether or not the optimiser would drop them (see `compile_encap.rs`).
        if let Some(k) = optimize::slot_read_before_written(&g.code, &g.labels) {
            if k >= varoff::FIRST_RESERVED {
                return Err(encap::read_before_geneve_matched());
            }
        }
        let (code, labels) = optimize::optimize(&g.code, &g.labels);
        g.code = code;
        g.labels = labels;
    }
    let insns = g.assemble(max_len)?;
    if optimized && !fails_a_load && insns == [SockFilter::stmt(op::RET | op::K, 0)] {
        // libpcap refuses such a filter too: it is nearly always a mistake (`tcp and udp`).
        return Err(CompileError::RejectsAll);
    }
    let program = if max_len > MAX_INSNS {
        Program::new_any_length(insns)
    } else {
        Program::new(insns)
    };
    program.map_err(|e| match e {
        super::bpf::VerifyError::TooLong { len } => CompileError::TooLong { len },
        super::bpf::VerifyError::UninitSlot { k, .. } if k >= varoff::FIRST_RESERVED => {
            encap::read_before_geneve_matched()
        }
        // A bug here; the proptests look for it. An error lets a capture fall back to filtering
        // in user space instead of crashing.
        other => CompileError::Internal(other),
    })
}

/// A label: an index into `Gen::labels`.
type Label = usize;

/// An instruction whose jump targets are still labels.
#[derive(Debug, Clone, Copy)]
struct Ins {
    code: u16,
    k: u32,
    /// For conditional jumps, both targets; for `ja`, `jt` is the target.
    jt: Label,
    jf: Label,
}

struct Gen {
    frames: Frames,
    /// The encapsulations written so far, which move `nh` and the link type.
    encap: encap::Layout,
    nh: u32,
    code: Vec<Ins>,
    /// Position of each label (the index of the instruction it precedes), once placed.
    labels: Vec<Option<usize>>,
}

const NO_LABEL: Label = usize::MAX;

impl Gen {
    fn label(&mut self) -> Label {
        self.labels.push(None);
        self.labels.len() - 1
    }

    fn place(&mut self, l: Label) {
        self.labels[l] = Some(self.code.len());
    }

    fn stmt(&mut self, code: u16, k: u32) {
        if self.encap.var.is_some() {
            // After `geneve`, offsets have a variable part (compile_varoff.rs).
            return self.relocated_stmt(code, k);
        }
        self.code.push(Ins {
            code,
            k,
            jt: NO_LABEL,
            jf: NO_LABEL,
        });
    }

    fn jump(&mut self, code: u16, k: u32, jt: Label, jf: Label) {
        self.code.push(Ins { code, k, jt, jf });
    }

    fn ja(&mut self, to: Label) {
        self.jump(op::JMP | op::JA, 0, to, NO_LABEL);
    }

    /// Emits code that continues at `t` if `e` holds and at `f` if not.
    fn cond(&mut self, e: &Expr, t: Label, f: Label) -> Result<(), CompileError> {
        match e {
            Expr::Not(a) => self.cond(a, f, t),
            Expr::And(a, b) => {
                let mid = self.label();
                self.cond(a, mid, f)?;
                self.place(mid);
                self.cond(b, t, f)
            }
            Expr::Or(a, b) => {
                let mid = self.label();
                self.cond(a, t, mid)?;
                self.place(mid);
                self.cond(b, t, f)
            }
            Expr::Prim(p) => self.primitive(p, t, f),
        }
    }

    /// Tests the link layer for IPv4 (0x0800), IPv6 (0x86dd), ARP or RARP.
    fn ethertype(&mut self, ethertype: u16, t: Label, f: Label) {
        if self.moved_linktype(ethertype, t, f).is_some() {
            return;
        }
        match self.frames {
            Frames::Link(link @ (Framing::Ethernet | Framing::LinuxSll)) => {
                let at = if link == Framing::Ethernet { 12 } else { 14 };
                self.stmt(op::LD | op::H | op::ABS, at);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(ethertype), t, f);
            }
            Frames::CookedSocket => {
                self.stmt(op::LD | op::H | op::ABS, SKF_AD_PROTOCOL);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(ethertype), t, f);
            }
            Frames::Link(Framing::LinuxSll2) => {
                self.stmt(op::LD | op::H | op::ABS, 0);
                self.jump(op::JMP | op::JEQ | op::K, u32::from(ethertype), t, f);
            }
            Frames::Link(Framing::RawIp) => {
                let version = match ethertype {
                    0x0800 => 0x40,
                    0x86dd => 0x60,
                    // No link header, so nothing but IP can be here.
                    _ => return self.ja(f),
                };
                self.stmt(op::LD | op::B | op::ABS, 0);
                self.stmt(op::ALU | op::AND | op::K, 0xf0);
                self.jump(op::JMP | op::JEQ | op::K, version, t, f);
            }
            Frames::Link(link @ (Framing::Ipv4 | Framing::Ipv6)) => {
                let only = if link == Framing::Ipv4 {
                    0x0800
                } else {
                    0x86dd
                };
                self.ja(if ethertype == only { t } else { f });
            }
            Frames::Link(link @ (Framing::Null { .. } | Framing::Loop)) => {
                self.loopback_family(link, ethertype, t, f)
            }
            Frames::Link(link) => self.other_link_type(link, ethertype, t, f),
        }
    }

    fn primitive(&mut self, p: &Primitive, t: Label, f: Label) -> Result<(), CompileError> {
        let nh = self.nh;
        match *p {
            Primitive::Proto(Proto::Ip) => self.ethertype(0x0800, t, f),
            Primitive::Proto(Proto::Ip6) => self.ethertype(0x86dd, t, f),
            Primitive::Proto(Proto::Arp) => self.ethertype(0x0806, t, f),
            Primitive::Proto(Proto::Rarp) => self.ethertype(0x8035, t, f),
            Primitive::Link(ref l) => self.link_prim(l, t, f)?,
            Primitive::Proto(Proto::Icmp) => self.ipv4_proto(1, t, f),
            Primitive::Proto(Proto::Icmp6) => self.ipv6_proto(58, t, f),
            Primitive::Proto(Proto::Tcp) | Primitive::Proto(Proto::Udp) => {
                let proto = if *p == Primitive::Proto(Proto::Tcp) {
                    6
                } else {
                    17
                };
                let v6 = self.label();
                self.ipv4_proto(proto, t, v6);
                self.place(v6);
                self.ipv6_proto(proto, t, f);
            }
            Primitive::Host { proto, dir, addr } => {
                let prefix = if addr.is_ipv4() { 32 } else { 128 };
                let net = IpNet::new(addr, prefix).expect("a full-length prefix has no host bits");
                self.addr_test(p, proto, dir, net, t, f)?;
            }
            Primitive::Net { proto, dir, net } => self.addr_test(p, proto, dir, net, t, f)?,
            Primitive::NetProto { v6, number } => self.net_proto(v6, number, t, f),
            Primitive::Proto(
                word @ (Proto::Sctp
                | Proto::Igmp
                | Proto::Igrp
                | Proto::Pim
                | Proto::Vrrp
                | Proto::Carp
                | Proto::Ah
                | Proto::Esp),
            ) => self.ip_word(word, t, f),
            Primitive::ProtoChain { .. } if links::variable_link_header(self.frames) => {
                return Err(links::protochain_refused(self.frames))
            }
            Primitive::ProtoChain { v6, number } => self.protochain(v6, number, t, f),
            Primitive::Everything => self.ja(t),
            Primitive::DecnetHost { dir, addr } => self.decnet_host(dir, addr, t, f),
            Primitive::Encap(e) => self.encap_primitive(e, t, f)?,
            Primitive::Direction(d) => self.direction(d, t, f)?,
            Primitive::IfIndex(n) => self.ifindex(n, t, f)?,
            Primitive::Compare {
                op,
                ref lhs,
                ref rhs,
            } => self.compare(op, lhs, rhs, t, f)?,
            Primitive::Port { proto, dir, range } => {
                let protos: &[u32] = match proto {
                    PortProto::Any => &[132, 6, 17],
                    PortProto::Tcp => &[6],
                    PortProto::Udp => &[17],
                    PortProto::Sctp => &[132],
                };
                // IPv4: right protocol, first fragment, ports after the IHL.
                let v4 = self.label();
                let v6 = self.label();
                self.ethertype(0x0800, v4, v6);
                self.place(v4);
                self.stmt(op::LD | op::B | op::ABS, nh + 9);
                let proto_ok = self.label();
                self.one_of(protos, proto_ok, f);
                self.place(proto_ok);
                let first_frag = self.label();
                self.stmt(op::LD | op::H | op::ABS, nh + 6);
                self.jump(op::JMP | op::JSET | op::K, 0x1fff, f, first_frag);
                self.place(first_frag);
                self.stmt(op::LDX | op::B | op::MSH, nh);
                self.port_fields(op::IND, nh, dir, range, t, f);
                // IPv6: next header of the fixed header, ports right after it.
                self.place(v6);
                let v6_ok = self.label();
                self.ethertype(0x86dd, v6_ok, f);
                self.place(v6_ok);
                self.stmt(op::LD | op::B | op::ABS, nh + 6);
                let proto_ok = self.label();
                self.one_of(protos, proto_ok, f);
                self.place(proto_ok);
                self.port_fields(op::ABS, nh + 40, dir, range, t, f);
            }
        }
        Ok(())
    }

    /// Jumps to `t` if A equals one of `values`, else to `f`.
    fn one_of(&mut self, values: &[u32], t: Label, f: Label) {
        for (i, &v) in values.iter().enumerate() {
            if i + 1 == values.len() {
                self.jump(op::JMP | op::JEQ | op::K, v, t, f);
            } else {
                let next = self.label();
                self.jump(op::JMP | op::JEQ | op::K, v, t, next);
                self.place(next);
            }
        }
    }

    fn ipv4_proto(&mut self, proto: u32, t: Label, f: Label) {
        let is_v4 = self.label();
        self.ethertype(0x0800, is_v4, f);
        self.place(is_v4);
        self.stmt(op::LD | op::B | op::ABS, self.nh + 9);
        self.jump(op::JMP | op::JEQ | op::K, proto, t, f);
    }

    /// IPv6 next header `proto`, directly or after one fragment header (next header 44).
    fn ipv6_proto(&mut self, proto: u32, t: Label, f: Label) {
        let nh = self.nh;
        let is_v6 = self.label();
        let not_direct = self.label();
        let frag = self.label();
        self.ethertype(0x86dd, is_v6, f);
        self.place(is_v6);
        self.stmt(op::LD | op::B | op::ABS, nh + 6);
        self.jump(op::JMP | op::JEQ | op::K, proto, t, not_direct);
        self.place(not_direct);
        self.jump(op::JMP | op::JEQ | op::K, 44, frag, f);
        self.place(frag);
        self.stmt(op::LD | op::B | op::ABS, nh + 40);
        self.jump(op::JMP | op::JEQ | op::K, proto, t, f);
    }

    /// Compares the source then the destination port (16 bits at `base` and `base + 2`,
    /// relative to X for `mode == IND`) with `range`.
    fn port_fields(
        &mut self,
        mode: u16,
        base: u32,
        dir: Dir,
        range: PortRange,
        t: Label,
        f: Label,
    ) {
        let load = op::LD | op::H | mode;
        self.dir_fields(dir, t, f, |g, field, t, f| {
            g.stmt(load, base + 2 * field);
            g.port_cmp(range, t, f);
        });
    }

    fn port_cmp(&mut self, range: PortRange, t: Label, f: Label) {
        let (lo, hi) = (range.lo.min(range.hi), range.lo.max(range.hi));
        if lo == hi {
            self.jump(op::JMP | op::JEQ | op::K, u32::from(lo), t, f);
        } else {
            let above_lo = self.label();
            self.jump(op::JMP | op::JGE | op::K, u32::from(lo), above_lo, f);
            self.place(above_lo);
            self.jump(op::JMP | op::JGT | op::K, u32::from(hi), f, t);
        }
    }

    /// Runs `field(g, 0 = source / 1 = destination, t, f)` for the fields `dir` names,
    /// combining the results as `dir` says.
    fn dir_fields(
        &mut self,
        dir: Dir,
        t: Label,
        f: Label,
        mut field: impl FnMut(&mut Gen, u32, Label, Label),
    ) {
        match dir {
            Dir::Src => field(self, 0, t, f),
            Dir::Dst => field(self, 1, t, f),
            Dir::SrcOrDst => {
                let try_dst = self.label();
                field(self, 0, t, try_dst);
                self.place(try_dst);
                field(self, 1, t, f);
            }
            Dir::SrcAndDst => {
                let check_dst = self.label();
                field(self, 0, check_dst, f);
                self.place(check_dst);
                field(self, 1, t, f);
            }
        }
    }

    fn addr_test(
        &mut self,
        p: &Primitive,
        proto: AddrProto,
        dir: Dir,
        net: IpNet,
        t: Label,
        f: Label,
    ) -> Result<(), CompileError> {
        let nh = self.nh;
        let words = net_words(net);
        match (net.addr(), proto) {
            (IpAddr::V4(_), AddrProto::Any | AddrProto::Ip | AddrProto::Arp) => {
                let mut parts: Vec<(&[u16], u32, u32)> = Vec::new();
                if proto != AddrProto::Arp {
                    // IPv4 source at 12, destination at 16.
                    parts.push((&[0x0800], 12, 16));
                }
                if proto != AddrProto::Ip && !(proto == AddrProto::Any && self.encap.ipv4_only()) {
                    // ARP sender protocol address at 14, target at 24 (Ethernet/IPv4 sizes).
                    let types: &[u16] = if proto == AddrProto::Any {
                        &[0x0806, 0x8035]
                    } else {
                        &[0x0806]
                    };
                    parts.push((types, 14, 24));
                }
                for (i, (types, src, dst)) in parts.iter().enumerate() {
                    let next = if i + 1 == parts.len() {
                        f
                    } else {
                        self.label()
                    };
                    let matched = self.label();
                    for (j, &ty) in types.iter().enumerate() {
                        let other = if j + 1 == types.len() {
                            next
                        } else {
                            self.label()
                        };
                        self.ethertype(ty, matched, other);
                        if other != next {
                            self.place(other);
                        }
                    }
                    self.place(matched);
                    let (src, dst) = (nh + src, nh + dst);
                    self.dir_fields(dir, t, f, |g, field, t, f| {
                        g.masked_words(if field == 0 { src } else { dst }, &words, t, f)
                    });
                    if next != f {
                        self.place(next);
                    }
                }
            }
            (IpAddr::V6(_), AddrProto::Any | AddrProto::Ip6) => {
                let is_v6 = self.label();
                self.ethertype(0x86dd, is_v6, f);
                self.place(is_v6);
                self.dir_fields(dir, t, f, |g, field, t, f| {
                    g.masked_words(nh + 8 + 16 * field, &words, t, f)
                });
            }
            (IpAddr::V4(_), AddrProto::Rarp) => self.rarp_addr(dir, net, t, f),
            _ => {
                return Err(CompileError::WrongFamily {
                    primitive: p.to_string(),
                })
            }
        }
        Ok(())
    }

    /// Compares consecutive 32-bit words from `at` with `(value, mask)` pairs, skipping words
    /// whose mask is zero; no word to compare means a match.
    fn masked_words(&mut self, at: u32, words: &[(u32, u32)], t: Label, f: Label) {
        // libpcap's optimiser leaves a word whose mask is zero in place when its offset is
        // found at run time, so a packet too short for it is rejected there.
        let variable = varoff::unmark(at).is_some();
        let live: Vec<(u32, u32, u32)> = words
            .iter()
            .enumerate()
            .filter(|(_, (_, m))| *m != 0 || variable)
            .map(|(i, &(v, m))| (at + 4 * i as u32, v, m))
            .collect();
        if live.is_empty() {
            return self.ja(t);
        }
        for (i, &(off, v, m)) in live.iter().enumerate() {
            self.stmt(op::LD | op::W | op::ABS, off);
            if m != u32::MAX {
                self.stmt(op::ALU | op::AND | op::K, m);
            }
            let next = if i + 1 == live.len() { t } else { self.label() };
            self.jump(op::JMP | op::JEQ | op::K, v & m, next, f);
            if next != t {
                self.place(next);
            }
        }
    }

    /// Resolves labels to offsets. A conditional jump whose target is more than 255
    /// instructions away gets a `ja` right after it to carry it the rest of the way.
    fn assemble(mut self, max_len: usize) -> Result<Vec<SockFilter>, CompileError> {
        let pos = |labels: &[Option<usize>], l: Label| -> usize {
            labels[l].expect("every label is placed before assembly")
        };
        loop {
            if self.code.len() > max_len {
                return Err(CompileError::TooLong {
                    len: self.code.len(),
                });
            }
            let far = self.code.iter().enumerate().find_map(|(i, ins)| {
                let conditional = ins.code & 0x07 == op::JMP && ins.code & 0xf0 != op::JA;
                let too_far = |l: Label| pos(&self.labels, l) - (i + 1) > 255;
                (conditional && (too_far(ins.jt) || too_far(ins.jf))).then_some(i)
            });
            let Some(i) = far else {
                break;
            };
            let ins = self.code[i];
            let t_far = pos(&self.labels, ins.jt) - (i + 1) > 255;
            let f_far = pos(&self.labels, ins.jf) - (i + 1) > 255;
            let n = usize::from(t_far) + usize::from(f_far);
            // Everything after the jump moves down to make room for the trampolines.
            for at in self.labels.iter_mut().flatten() {
                if *at > i {
                    *at += n;
                }
            }
            let mut slot = i + 1;
            for (far, target, is_jt) in [(t_far, ins.jt, true), (f_far, ins.jf, false)] {
                if !far {
                    continue;
                }
                let tramp = self.labels.len();
                self.labels.push(Some(slot));
                if is_jt {
                    self.code[i].jt = tramp;
                } else {
                    self.code[i].jf = tramp;
                }
                self.code.insert(
                    slot,
                    Ins {
                        code: op::JMP | op::JA,
                        k: 0,
                        jt: target,
                        jf: NO_LABEL,
                    },
                );
                slot += 1;
            }
        }
        let labels = self.labels;
        let out = self
            .code
            .iter()
            .enumerate()
            .map(|(i, ins)| {
                let class = ins.code & 0x07;
                if class != op::JMP {
                    return SockFilter::stmt(ins.code, ins.k);
                }
                let dist = |l: Label| pos(&labels, l) - (i + 1);
                if ins.code & 0xf0 == op::JA {
                    SockFilter::stmt(ins.code, dist(ins.jt) as u32)
                } else {
                    SockFilter::jump(ins.code, ins.k, dist(ins.jt) as u8, dist(ins.jf) as u8)
                }
            })
            .collect();
        Ok(out)
    }
}

/// The network as big-endian `(value, mask)` words: one for IPv4, four for IPv6.
fn net_words(net: IpNet) -> Vec<(u32, u32)> {
    let addr: Vec<u8> = match net.addr() {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    let mask = net.mask_bytes();
    addr.chunks(4)
        .zip(mask.chunks(4))
        .map(|(a, m)| {
            let word = |b: &[u8]| b.iter().fold(0u32, |acc, &x| (acc << 8) | u32::from(x));
            (word(a), word(m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::{parse, verify};

    fn prog(expr: &str, link: Framing) -> Program {
        compile(&parse(expr).unwrap(), link).unwrap()
    }

    /// Ethernet + IPv4 + TCP header, hand-made: only the fields the filters read are set.
    fn eth_ipv4_tcp(sport: u16, dport: u16) -> Vec<u8> {
        let mut p = vec![0u8; 14 + 20 + 20];
        p[12..14].copy_from_slice(&[0x08, 0x00]);
        p[14] = 0x45;
        p[14 + 9] = 6;
        p[14 + 12..14 + 16].copy_from_slice(&[10, 0, 0, 1]);
        p[14 + 16..14 + 20].copy_from_slice(&[10, 0, 0, 2]);
        p[34..36].copy_from_slice(&sport.to_be_bytes());
        p[36..38].copy_from_slice(&dport.to_be_bytes());
        p
    }

    #[test]
    fn simple_programs_read_like_tcpdumps() {
        // Same code as `tcpdump -d ip`.
        assert_eq!(
            prog("ip", Framing::Ethernet).to_string(),
            "(000) ldh      [12]\n\
             (001) jeq      #0x800           jt 2\tjf 3\n\
             (002) ret      #262144\n\
             (003) ret      #0\n"
        );
        assert_eq!(
            prog("ip6", Framing::RawIp).to_string(),
            "(000) ldb      [0]\n\
             (001) and      #0xf0\n\
             (002) jeq      #0x60            jt 3\tjf 4\n\
             (003) ret      #262144\n\
             (004) ret      #0\n"
        );
        // Without a link header there is no ARP: the program would reject everything, which
        // libpcap refuses as a mistake ("expression rejects all packets"), and so do we.
        assert_eq!(
            compile(&parse("arp").unwrap(), Framing::RawIp).unwrap_err(),
            CompileError::RejectsAll
        );
        assert_eq!(
            compile(&parse("tcp and udp").unwrap(), Framing::Ethernet).unwrap_err(),
            CompileError::RejectsAll
        );
        assert_eq!(
            compile_unoptimized(&parse("arp").unwrap(), Framing::RawIp)
                .unwrap()
                .to_string(),
            "(000) ja       2\n(001) ret      #262144\n(002) ret      #0\n"
        );
        assert!(prog("ip", Framing::LinuxSll)
            .to_string()
            .starts_with("(000) ldh      [14]\n"));
    }

    #[test]
    fn ports_use_the_ihl_and_skip_later_fragments() {
        let p = prog("dst port 80", Framing::Ethernet);
        let listing = p.to_string();
        assert!(listing.contains("ldxb     4*([14]&0xf)"), "{listing}");
        assert!(listing.contains("jset     #0x1fff"), "{listing}");
        let mut pkt = eth_ipv4_tcp(1234, 80);
        assert_eq!(p.run(&pkt, 54), SNAPLEN);
        pkt[14 + 6] = 0x00;
        pkt[14 + 7] = 0x10; // fragment offset 16 (x 8 bytes)
        assert_eq!(p.run(&pkt, 54), 0);
        pkt[14 + 7] = 0;
        pkt[14 + 6] = 0x20; // more fragments, offset 0: still the first fragment
        assert_eq!(p.run(&pkt, 54), SNAPLEN);
        // A truncated transport header rejects, as in the kernel.
        assert_eq!(p.run(&pkt[..37], 54), 0);
    }

    #[test]
    fn far_jumps_go_through_trampolines() {
        // Each `port` is about 5 instructions once optimised, so early exits jump well past 255.
        let ports: Vec<String> = (1..=250).map(|p| p.to_string()).collect();
        let expr = format!("port {}", ports.join(" or "));
        let p = prog(&expr, Framing::Ethernet);
        assert!(p.len() > 1000, "{}", p.len());
        assert!(p
            .instructions()
            .iter()
            .any(|i| i.code == op::JMP | op::JA && i.k > 255));
        assert_eq!(verify(p.instructions()), Ok(()));
        for (port, want) in [
            (1, SNAPLEN),
            (30, SNAPLEN),
            (250, SNAPLEN),
            (251, 0),
            (0, 0),
        ] {
            assert_eq!(
                p.run(&eth_ipv4_tcp(port, 9999), 54),
                want,
                "src port {port}"
            );
            assert_eq!(
                p.run(&eth_ipv4_tcp(9999, port), 54),
                want,
                "dst port {port}"
            );
        }
        // The same through a `not`, which swaps every exit.
        let p = prog(&format!("not ({expr})"), Framing::Ethernet);
        assert_eq!(p.run(&eth_ipv4_tcp(250, 9999), 54), 0);
        assert_eq!(p.run(&eth_ipv4_tcp(251, 9999), 54), SNAPLEN);
    }

    #[test]
    fn too_long_is_an_error_not_a_bad_program() {
        // libpcap's program for these is over 5000 instructions too.
        let ports: Vec<String> = (1..=1000).map(|p| p.to_string()).collect();
        let expr = parse(&format!("port {}", ports.join(" or "))).unwrap();
        match compile(&expr, Framing::Ethernet) {
            Err(CompileError::TooLong { len }) => assert!(len > MAX_INSNS),
            other => panic!("expected TooLong, got {other:?}"),
        }
    }

    #[test]
    fn wrong_family_asts_are_refused() {
        let e = Expr::Prim(Primitive::Host {
            proto: AddrProto::Ip6,
            dir: Dir::Src,
            addr: "10.0.0.1".parse().unwrap(),
        });
        assert!(matches!(
            compile(&e, Framing::Ethernet),
            Err(CompileError::WrongFamily { .. })
        ));
    }

    #[test]
    fn cooked_socket_programs_match_like_cooked_frames() {
        // Hand-made network-layer packets (only the fields filters read), with their ethertype.
        let mut v4 = vec![0u8; 20 + 8];
        v4[0] = 0x46; // IHL 6: one word of options before the UDP header
        v4[9] = 17;
        v4[12..16].copy_from_slice(&[10, 0, 0, 1]);
        v4[16..20].copy_from_slice(&[10, 0, 0, 2]);
        v4.extend_from_slice(&[0, 53, 0x1f, 0x90, 0, 8, 0, 0]);
        let mut v6 = vec![0u8; 40];
        v6[0] = 0x60;
        v6[6] = 6;
        v6[8..24].copy_from_slice(
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .unwrap()
                .octets(),
        );
        v6.extend_from_slice(&[0x01, 0xbb, 0x30, 0x39, 0, 0, 0, 0]);
        let mut arp = vec![0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 2];
        arp.extend_from_slice(&[0, 0, 0, 0, 0, 0, 10, 0, 0, 1]);
        let packets = [
            (0x0800u16, v4),
            (0x86dd, v6),
            (0x0806, arp),
            (0x88cc, vec![1; 30]),
        ];
        let exprs = [
            "ip",
            "ip6",
            "arp",
            "tcp",
            "udp",
            "icmp",
            "icmp6",
            "host 10.0.0.1",
            "src host 2001:db8::1",
            "arp src host 10.0.0.2",
            "net 10.0.0.0/24",
            "udp src port 53",
            "dst port 8080",
            "tcp portrange 400-500",
            "not ip6",
            "port 53 or port 443",
        ];
        let mut matched = 0;
        for expr in exprs {
            let e = parse(expr).unwrap();
            let sll = compile(&e, Framing::LinuxSll).unwrap();
            let kernel = compile_for_cooked_socket(&e).unwrap();
            assert!(kernel.to_string().contains("ldh      [proto]"), "{kernel}");
            for (ethertype, pkt) in &packets {
                let mut frame = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
                frame.extend_from_slice(&ethertype.to_be_bytes());
                frame.extend_from_slice(pkt);
                let want = sll.run(&frame, frame.len() as u32);
                let got = crate::filter::interp::run_with_protocol(
                    kernel.instructions(),
                    pkt,
                    pkt.len() as u32,
                    Some(*ethertype),
                );
                assert_eq!(got, want, "'{expr}' on {ethertype:#06x}");
                matched += usize::from(want == SNAPLEN);
                // Without the kernel's metadata the program cannot decide: it rejects.
                assert_eq!(kernel.run(pkt, pkt.len() as u32), 0);
            }
        }
        assert!(
            matched >= exprs.len(),
            "too few matches ({matched}) to prove anything"
        );
    }

    #[test]
    fn huge_offsets_inside_geneve_are_refused_not_misread() {
        // The run-time offset's slot lives in the constant's top bits; a constant that large
        // would change which slot is read.
        let e = parse("geneve and ip[0x10000000] = 1").unwrap();
        assert!(matches!(
            compile(&e, Framing::Ethernet),
            Err(CompileError::Unsupported { .. })
        ));
        assert!(compile(
            &parse("geneve and ip[0xffff] = 1").unwrap(),
            Framing::Ethernet
        )
        .is_ok());
        // Outside geneve such a load is only past the end of every packet.
        assert!(compile(&parse("ip[0x10000000] = 1").unwrap(), Framing::Ethernet).is_ok());
    }

    #[test]
    fn zero_length_prefix_needs_only_the_ethertype() {
        let p = prog("net 0.0.0.0/0", Framing::RawIp);
        // An IPv4 header cut short still matches: no address is read.
        assert_eq!(p.run(&[0x45], 20), SNAPLEN);
        assert_eq!(p.run(&[0x60], 40), 0);
    }
}
