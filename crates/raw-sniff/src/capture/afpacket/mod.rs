//! Linux `AF_PACKET` capture: a packet socket bound to one interface (or all of them) that gets
//! every frame with its link-layer header, before the TCP/IP stack has looked at it.
//!
//! Frames arrive through a TPACKET_V3 ring shared with the kernel by `mmap`, as libpcap does
//! (`ring.rs`); where the ring cannot be set up, a plain `recvfrom` loop takes over
//! (`recv.rs`). `socket.rs` opens, binds and configures the socket, and `cooked.rs` builds the
//! link header that cooked sockets leave out. This file puts them together behind
//! [`Capture`].

mod cooked;
mod fanout;
mod recv;
mod ring;
mod socket;

pub use fanout::Group as FanoutGroup;

use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::{Capture, CaptureError, CapturedFrame, Direction, Drain, LinkType, Next, Stats};
use crate::note::Note;
use cooked::{build_cooked, build_cooked_v2, SLL2_LEN, SLL_LEN};
use recv::Recv;
use ring::{Ring, BLOCK_TIMEOUT_MS};
use socket::{
    bind, interface, is_loopback_echo, loopback_index, open_error, promiscuous, setsockopt,
};

/// How long one wait for packets lasts before the capture loop gets an `Idle`.
const POLL_MS: i32 = 100;
/// The destination and source MAC addresses, after which a VLAN tag goes.
const MAC_ADDRS_LEN: usize = 12;
/// An 802.1Q tag: TPID and TCI.
const VLAN_TAG_LEN: usize = 4;
/// Largest frame kept whole: a GRO/TSO super-packet on `lo` reaches 64 KiB.
const SNAPLEN: usize = crate::SNAPLEN as usize;

/// What to open.
#[derive(Debug)]
pub struct Options {
    /// Interface name, or `any` for all of them.
    pub iface: String,
    /// Also take frames addressed to other hosts.
    pub promisc: bool,
    /// Bytes of kernel buffer (the ring's size).
    pub buffer: usize,
    /// Use the mmap ring (otherwise `recvfrom`).
    pub ring: bool,
    /// Classic BPF program to attach before any packet is queued. It sees frames as the socket
    /// gets them, so it must be compiled for [`link_type_for`] and only for Ethernet-like
    /// interfaces (a cooked socket's frames have no link header until one is built here).
    pub filter: Option<Vec<SockFilter>>,
    /// The link type asked for with `-y`; `None` for the interface's default. It must be one
    /// of [`link_types_for`] the interface.
    pub link: Option<LinkType>,
    /// Which packets to keep, by the way they went (`-Q`).
    pub direction: Direction,
    /// Join a `PACKET_FANOUT` group that shares the interface's frames among several sockets;
    /// `None` for a socket that gets every frame.
    pub fanout: Option<Fanout>,
}

/// A socket's place in a `PACKET_FANOUT` group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fanout {
    /// The first socket: the group is created, and [`AfPacket::fanout_group`] gives its id.
    /// `members` is how many sockets the group will have, for the capture's description.
    Create {
        /// Sockets the group will have.
        members: usize,
    },
    /// A further socket, joining this group (the first socket's
    /// [`AfPacket::fanout_group`]).
    Join(FanoutGroup),
}

/// A Linux packet socket, read through the TPACKET_V3 ring or with `recvfrom`.
pub struct AfPacket {
    socket: Socket,
    link: LinkType,
    /// `any` and link types without an Ethernet-like header: the kernel gives the network
    /// packet and a `sockaddr_ll`, from which an SLL header is built.
    cooked: bool,
    source: Source,
    /// Cooked frames are assembled here (SLL header + packet).
    scratch: Vec<u8>,
    totals: Stats,
    filtered: bool,
    iface: String,
    /// Keep only packets going this way.
    direction: Direction,
    /// Index of the loopback interface. Every frame sent on it is seen twice by a packet
    /// socket, once going out and once coming in; like libpcap, only the incoming copy is kept.
    loopback: Option<i32>,
    /// The `PACKET_FANOUT` group this socket is in, and how many sockets it has (as far as
    /// this socket knows: the first says how many will join).
    group: Option<(FanoutGroup, usize)>,
}

/// How frames are read off the socket.
enum Source {
    Ring(Ring),
    Recv(Recv),
}

impl AfPacket {
    /// Opens and binds the socket, with the filter attached before any packet is queued.
    /// Falling back to `recvfrom` when the ring cannot be had is told to `on_note`.
    pub fn open(opts: &Options, on_note: &mut dyn FnMut(Note)) -> Result<AfPacket, CaptureError> {
        let (ifindex, cooked) = interface(&opts.iface)?;
        let link = match opts.link {
            None => link_type_for(&opts.iface)?,
            Some(asked) if link_types_for(&opts.iface)?.contains(&asked) => asked,
            Some(asked) => {
                return Err(CaptureError::LinkTypeNotOffered {
                    iface: opts.iface.clone(),
                    link: asked.to_string(),
                })
            }
        };
        let ty = if cooked { Type::DGRAM } else { Type::RAW };
        // Protocol 0: nothing is queued until bind() names ETH_P_ALL, so no packet slips past the
        // filter or arrives before the ring exists.
        let socket = Socket::new(Domain::PACKET, ty, Some(Protocol::from(0)))
            .map_err(|err| open_error(err, &opts.iface))?;
        // A program the kernel refuses (longer than it takes, or more than the socket's
        // option memory allows) is not an error: the caller filters in user space instead.
        let mut filtered = false;
        if opts.fanout.is_some() {
            // Nothing is kept until the whole group exists (see fanout.rs); the capture filter
            // comes with `open_gate`.
            socket
                .attach_filter(&fanout::gate())
                .map_err(CaptureError::Fanout)?;
        } else if let Some(program) = &opts.filter {
            // `struct sock_fprog` counts instructions in 16 bits; never let a longer program
            // be cut short on its way in.
            let attached = if program.len() <= usize::from(u16::MAX) {
                socket.attach_filter(program)
            } else {
                Err(io::Error::from_raw_os_error(libc::EINVAL))
            };
            match attached {
                Ok(()) => filtered = true,
                Err(err) => on_note(Note::FilterInUserSpace(err)),
            }
        }
        let source = if opts.ring {
            match Ring::new(&socket, opts.buffer) {
                Ok(ring) => Source::Ring(ring),
                Err(err) => {
                    on_note(Note::NoRing(err));
                    Source::Recv(Recv::new(SNAPLEN))
                }
            }
        } else {
            let _ = socket.set_recv_buffer_size(opts.buffer);
            Source::Recv(Recv::new(SNAPLEN))
        };
        if matches!(source, Source::Recv(_)) {
            // The VLAN tag the kernel takes out comes back beside each frame. Without it
            // (kernels before 2.6.27) frames show untagged, as the kernel hands them over.
            let _ = setsockopt(socket.as_raw_fd(), libc::PACKET_AUXDATA, &1i32);
        }
        let loopback = loopback_index();
        if ifindex != 0 && Some(ifindex) == loopback {
            // Every frame on loopback passes the socket twice, going out and coming in, and
            // only the incoming copy is kept: asking the kernel not to queue the outgoing one
            // halves what the ring holds. Kernels before 4.20 refuse, and the copies are then
            // skipped while reading, as with `any`.
            let _ = setsockopt(socket.as_raw_fd(), libc::PACKET_IGNORE_OUTGOING, &1i32);
        }
        bind(&socket, ifindex).map_err(|source| CaptureError::Bind {
            iface: opts.iface.clone(),
            source,
        })?;
        if opts.promisc && ifindex != 0 {
            promiscuous(&socket, ifindex).map_err(CaptureError::Promiscuous)?;
        }
        // A group is joined once bound: the kernel takes the interface and protocol from the
        // binding, and every member must have the same.
        let group = match opts.fanout {
            None => None,
            Some(Fanout::Create { members }) => {
                let on_loopback = ifindex != 0 && Some(ifindex) == loopback;
                let group = fanout::create(socket.as_raw_fd(), on_loopback)
                    .map_err(CaptureError::Fanout)?;
                Some((group, members))
            }
            Some(Fanout::Join(group)) => {
                fanout::join(socket.as_raw_fd(), group).map_err(CaptureError::Fanout)?;
                Some((group, 0))
            }
        };
        if matches!(source, Source::Recv(_)) {
            socket
                .set_read_timeout(Some(Duration::from_millis(POLL_MS as u64)))
                .map_err(CaptureError::ReceiveTimeout)?;
        }
        Ok(AfPacket {
            socket,
            link,
            cooked,
            source,
            scratch: Vec::with_capacity(SNAPLEN + SLL2_LEN + VLAN_TAG_LEN),
            totals: Stats::default(),
            filtered,
            iface: opts.iface.clone(),
            direction: opts.direction,
            loopback,
            group,
        })
    }

    /// The `PACKET_FANOUT` group this socket is in, if it is in one.
    pub fn fanout_group(&self) -> Option<FanoutGroup> {
        self.group.map(|(group, _)| group)
    }

    /// Starts keeping frames on a fanout member, once every socket of its group has joined:
    /// the capture `filter` (as [`Options::filter`]; a fanout member is opened with none)
    /// takes the place of the program that kept nothing. A filter the kernel refuses is told
    /// to `on_note`, and the capture loop must run it ([`Capture::filters_in_kernel`] then
    /// says false). Does nothing on a socket outside a group.
    pub fn open_gate(
        &mut self,
        filter: Option<&[SockFilter]>,
        on_note: &mut dyn FnMut(Note),
    ) -> Result<(), CaptureError> {
        if self.group.is_none() {
            return Ok(());
        }
        match fanout::open_gate(&self.socket, filter).map_err(CaptureError::Fanout)? {
            Ok(in_kernel) => self.filtered = in_kernel,
            Err(refused) => on_note(Note::FilterInUserSpace(refused)),
        }
        Ok(())
    }

    fn read_kernel_stats(&mut self) {
        // The kernel resets these counters on every read, so they are added up here.
        let ring = matches!(self.source, Source::Ring(_));
        if let Some((received, dropped)) = socket::take_stats(self.socket.as_raw_fd(), ring) {
            // tp_packets already includes the drops.
            *self.totals.kernel_received.get_or_insert(0) += u64::from(received);
            *self.totals.kernel_dropped.get_or_insert(0) += u64::from(dropped);
        }
    }
}

impl Capture for AfPacket {
    fn next(&mut self) -> io::Result<Next<'_>> {
        let fd = self.socket.as_raw_fd();
        let loopback = self.loopback;
        let direction = self.direction;
        let wanted = |ll: &libc::sockaddr_ll| {
            !is_loopback_echo(ll, loopback)
                && direction.keeps(ll.sll_pkttype == libc::PACKET_OUTGOING)
        };
        // The kernel's capture time on the ring; recvfrom reports none, so it is the read time.
        let (ts, data, orig_len, csum_not_ready, addr, vlan) = match &mut self.source {
            Source::Ring(ring) => match ring.next_wanted(fd, wanted)? {
                None => return Ok(Next::Idle),
                Some(raw) => (
                    raw.ts,
                    raw.data,
                    raw.orig_len,
                    raw.csum_not_ready,
                    raw.addr,
                    raw.vlan,
                ),
            },
            Source::Recv(recv) => match recv.next(&self.socket, wanted)? {
                None => return Ok(Next::Idle),
                Some(got) => (
                    super::now(),
                    got.data,
                    got.len as u32,
                    false,
                    got.addr,
                    got.vlan,
                ),
            },
        };
        let (data, orig_len) = if self.cooked && self.link == LinkType::LinuxSll2 {
            // libpcap puts no VLAN tag back into SLL2 frames, having no field for it to follow.
            build_cooked_v2(&mut self.scratch, &addr, data);
            (&self.scratch[..], orig_len + SLL2_LEN as u32)
        } else if self.cooked {
            build_cooked(&mut self.scratch, &addr, data);
            let mut added = SLL_LEN;
            if let Some(tag) = vlan {
                // As libpcap does for cooked captures, the tag goes where the protocol field
                // is, which then follows it.
                let at = SLL_LEN - 2;
                let bytes = [tag.tpid.to_be_bytes(), tag.tci.to_be_bytes()].concat();
                self.scratch.splice(at..at, bytes);
                added += VLAN_TAG_LEN;
            }
            (&self.scratch[..], orig_len + added as u32)
        } else if let Some(tag) = vlan.filter(|_| data.len() >= MAC_ADDRS_LEN) {
            // The kernel took the outer tag out before queueing the frame; put it back where
            // it was on the wire, as libpcap does, so the frame shows and saves as it was sent.
            self.scratch.clear();
            self.scratch.extend_from_slice(&data[..MAC_ADDRS_LEN]);
            self.scratch.extend_from_slice(&tag.tpid.to_be_bytes());
            self.scratch.extend_from_slice(&tag.tci.to_be_bytes());
            self.scratch.extend_from_slice(&data[MAC_ADDRS_LEN..]);
            (&self.scratch[..], orig_len + VLAN_TAG_LEN as u32)
        } else {
            (data, orig_len)
        };
        Ok(Next::Frame(CapturedFrame {
            ts,
            link: self.link,
            data,
            orig_len,
            csum_not_ready,
        }))
    }

    fn stats(&mut self) -> Stats {
        self.read_kernel_stats();
        self.totals
    }

    fn link_type(&self) -> LinkType {
        self.link
    }

    fn drain(&self) -> Option<Drain> {
        Some(match self.source {
            // The kernel closes a partly filled block at the first timer tick after a whole
            // timeout has passed, so a frame can wait up to two; a third is margin for a
            // loaded machine's late timers.
            Source::Ring(_) => Drain {
                settle: Duration::from_millis(3 * u64::from(BLOCK_TIMEOUT_MS)),
                stamped_by_kernel: true,
            },
            Source::Recv(_) => Drain {
                settle: Duration::ZERO,
                stamped_by_kernel: false,
            },
        })
    }

    fn filters_in_kernel(&self) -> bool {
        self.filtered
    }

    fn describe(&self) -> String {
        let how = match self.source {
            Source::Ring(_) => "TPACKET_V3 mmap ring",
            Source::Recv(_) => "recvfrom()",
        };
        let kind = if self.cooked {
            "SOCK_DGRAM"
        } else {
            "SOCK_RAW"
        };
        match self.group {
            Some((FanoutGroup { id, .. }, members)) if members > 0 => format!(
                "{members} AF_PACKET {kind} sockets on {} in PACKET_FANOUT hash group {id}, \
                 each with its own {how}",
                self.iface
            ),
            _ => format!("AF_PACKET {kind} socket on {}, {how}", self.iface),
        }
    }
}

/// The link type a capture on `iface` will deliver, before opening it.
pub fn link_type_for(iface: &str) -> Result<LinkType, CaptureError> {
    let (_, cooked) = interface(iface)?;
    Ok(if cooked {
        LinkType::LinuxSll
    } else {
        LinkType::Ethernet
    })
}

/// The link types a capture on `iface` can deliver, the default first (`-L`, `-y`): a cooked
/// socket's header is built here, so either version of it can be had.
pub fn link_types_for(iface: &str) -> Result<Vec<LinkType>, CaptureError> {
    Ok(match link_type_for(iface)? {
        LinkType::LinuxSll => vec![LinkType::LinuxSll, LinkType::LinuxSll2],
        other => vec![other],
    })
}
