//! Linux `AF_PACKET` capture: a packet socket bound to one interface (or all of them) that gets
//! every frame with its link-layer header, before the TCP/IP stack has looked at it.
//!
//! Frames arrive through a TPACKET_V3 ring shared with the kernel by `mmap`, as libpcap does:
//! the kernel fills whole blocks of packets and flips a status word, so there is no system call
//! and no copy per packet. Where the ring cannot be set up, a plain `recvfrom` loop takes over.

use std::ffi::c_void;
use std::io;
use std::mem::{offset_of, size_of, MaybeUninit};
use std::os::fd::{AsRawFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{fence, Ordering};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use socket2::{Domain, Protocol, SockFilter, Socket, Type};

use super::{Capture, Drain, Frame, LinkType, Next, Stats, Timestamp};

/// How long one wait for packets lasts before the capture loop gets an `Idle`.
const POLL_MS: i32 = 100;
/// Largest frame kept whole: a GRO/TSO super-packet on `lo` reaches 64 KiB.
const SNAPLEN: usize = crate::SNAPLEN as usize;
/// A block the kernel hands over at the latest this long after its first packet, so a quiet
/// link still shows packets at once.
const BLOCK_TIMEOUT_MS: u32 = 10;
const ETH_P_ALL: u16 = 0x0003;
/// Linux cooked header (SLL v1) length.
const SLL_LEN: usize = 16;

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
    /// Index of the loopback interface. Every frame sent on it is seen twice by a packet
    /// socket, once going out and once coming in; like libpcap, only the incoming copy is kept.
    loopback: Option<i32>,
}

enum Source {
    Ring(Ring),
    Recv(Vec<MaybeUninit<u8>>),
}

impl AfPacket {
    /// Opens and binds the socket, with the filter attached before any packet is queued.
    pub fn open(opts: &Options) -> Result<AfPacket> {
        let (ifindex, cooked) = interface(&opts.iface)?;
        let ty = if cooked { Type::DGRAM } else { Type::RAW };
        // Protocol 0: nothing is queued until bind() names ETH_P_ALL, so no packet slips past the
        // filter or arrives before the ring exists.
        let socket = Socket::new(Domain::PACKET, ty, Some(Protocol::from(0)))
            .map_err(|err| open_error(err, &opts.iface))?;
        if let Some(program) = &opts.filter {
            socket
                .attach_filter(program)
                .context("cannot attach the capture filter (SO_ATTACH_FILTER)")?;
        }
        let source = if opts.ring {
            match Ring::new(&socket, opts.buffer) {
                Ok(ring) => Source::Ring(ring),
                Err(err) => {
                    eprintln!("raw-sniff: no mmap ring ({err}); falling back to recvfrom()");
                    Source::Recv(vec![MaybeUninit::uninit(); SNAPLEN])
                }
            }
        } else {
            let _ = socket.set_recv_buffer_size(opts.buffer);
            Source::Recv(vec![MaybeUninit::uninit(); SNAPLEN])
        };
        let loopback = loopback_index();
        if ifindex != 0 && Some(ifindex) == loopback {
            // Every frame on loopback passes the socket twice, going out and coming in, and
            // only the incoming copy is kept: asking the kernel not to queue the outgoing one
            // halves what the ring holds. Kernels before 4.20 refuse, and the copies are then
            // skipped while reading, as with `any`.
            let _ = setsockopt(socket.as_raw_fd(), libc::PACKET_IGNORE_OUTGOING, &1i32);
        }
        bind(&socket, ifindex)
            .with_context(|| format!("cannot bind to interface {}", opts.iface))?;
        if opts.promisc && ifindex != 0 {
            promiscuous(&socket, ifindex).context("cannot enable promiscuous mode")?;
        }
        if matches!(source, Source::Recv(_)) {
            socket
                .set_read_timeout(Some(Duration::from_millis(POLL_MS as u64)))
                .context("cannot set a receive timeout")?;
        }
        Ok(AfPacket {
            socket,
            link: if cooked {
                LinkType::LinuxSll
            } else {
                LinkType::Ethernet
            },
            cooked,
            source,
            scratch: Vec::with_capacity(SNAPLEN + SLL_LEN),
            totals: Stats::default(),
            filtered: opts.filter.is_some(),
            iface: opts.iface.clone(),
            loopback,
        })
    }

    fn read_kernel_stats(&mut self) {
        // The kernel resets these counters on every read, so they are added up here.
        // tpacket_stats_v3 starts with the same two fields as tpacket_stats.
        let mut st = libc::tpacket_stats_v3 {
            tp_packets: 0,
            tp_drops: 0,
            tp_freeze_q_cnt: 0,
        };
        let mut len = match self.source {
            Source::Ring(_) => size_of::<libc::tpacket_stats_v3>(),
            Source::Recv(_) => size_of::<libc::tpacket_stats>(),
        } as libc::socklen_t;
        // SAFETY: `st` is a writable buffer of at least `len` bytes for the call's duration.
        let rc = unsafe {
            libc::getsockopt(
                self.socket.as_raw_fd(),
                libc::SOL_PACKET,
                libc::PACKET_STATISTICS,
                (&mut st as *mut libc::tpacket_stats_v3).cast::<c_void>(),
                &mut len,
            )
        };
        if rc == 0 {
            // tp_packets already includes the drops.
            *self.totals.kernel_received.get_or_insert(0) += u64::from(st.tp_packets);
            *self.totals.kernel_dropped.get_or_insert(0) += u64::from(st.tp_drops);
        }
    }
}

impl Capture for AfPacket {
    fn next(&mut self) -> io::Result<Next<'_>> {
        let fd = self.socket.as_raw_fd();
        let cooked = self.cooked;
        let link = self.link;
        let loopback = self.loopback;
        match &mut self.source {
            Source::Ring(ring) => {
                match ring.next_wanted(fd, |ll| !is_loopback_echo(ll, loopback))? {
                    None => Ok(Next::Idle),
                    Some(raw) => {
                        let data = if cooked {
                            build_cooked(&mut self.scratch, &raw.addr, raw.data);
                            &self.scratch[..]
                        } else {
                            raw.data
                        };
                        let extra = if cooked { SLL_LEN as u32 } else { 0 };
                        Ok(Next::Frame(Frame {
                            ts: raw.ts,
                            link,
                            data,
                            orig_len: raw.orig_len + extra,
                            csum_not_ready: raw.csum_not_ready,
                        }))
                    }
                }
            }
            Source::Recv(buf) => loop {
                let (len, addr) = match self.socket.recv_from_with_flags(buf, libc::MSG_TRUNC) {
                    Ok(got) => got,
                    Err(err)
                        if matches!(
                            err.kind(),
                            io::ErrorKind::WouldBlock
                                | io::ErrorKind::TimedOut
                                | io::ErrorKind::Interrupted
                        ) =>
                    {
                        return Ok(Next::Idle)
                    }
                    Err(err) => return Err(err),
                };
                let kept = len.min(buf.len());
                // SAFETY: recvfrom initialised the first `kept` bytes (`len` may be larger with
                // MSG_TRUNC: it is the frame's true length, not what was copied).
                let packet = unsafe { std::slice::from_raw_parts(buf.as_ptr().cast::<u8>(), kept) };
                // SAFETY: an AF_PACKET socket returns a sockaddr_ll, which fits in the
                // sockaddr_storage SockAddr holds; reading it as one is reading what the kernel
                // wrote.
                let ll = unsafe { addr.as_ptr().cast::<libc::sockaddr_ll>().read_unaligned() };
                if is_loopback_echo(&ll, loopback) {
                    // Skipped, not reported as Idle: Idle means nothing is waiting, and the
                    // copy coming in may be next in the queue.
                    continue;
                }
                let data = if cooked {
                    build_cooked(&mut self.scratch, &ll, packet);
                    &self.scratch[..]
                } else {
                    packet
                };
                let extra = if cooked { SLL_LEN } else { 0 };
                return Ok(Next::Frame(Frame {
                    ts: super::now(),
                    link,
                    data,
                    orig_len: (len + extra) as u32,
                    csum_not_ready: false,
                }));
            },
        }
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
        format!("AF_PACKET {kind} socket on {}, {how}", self.iface)
    }
}

/// The link type a capture on `iface` will deliver, before opening it.
pub fn link_type_for(iface: &str) -> Result<LinkType> {
    let (_, cooked) = interface(iface)?;
    Ok(if cooked {
        LinkType::LinuxSll
    } else {
        LinkType::Ethernet
    })
}

/// An interface's index (0 for `any`) and whether frames must be cooked: only Ethernet and
/// loopback devices hand over a 14-byte Ethernet header.
fn interface(name: &str) -> Result<(i32, bool)> {
    if name == "any" {
        return Ok((0, true));
    }
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        bail!("bad interface name {name:?}");
    }
    let dir = format!("/sys/class/net/{name}");
    let read = |file: &str| -> Option<i64> {
        std::fs::read_to_string(format!("{dir}/{file}"))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let Some(index) = read("ifindex") else {
        bail!("no interface named {name} (list them with `raw-sniff -D`)");
    };
    const ARPHRD_ETHER: i64 = 1;
    const ARPHRD_LOOPBACK: i64 = 772;
    let ethernet_like = matches!(read("type"), Some(ARPHRD_ETHER | ARPHRD_LOOPBACK));
    Ok((index as i32, !ethernet_like))
}

/// The loopback interface's index (the one whose ARP hardware type is loopback).
fn loopback_index() -> Option<i32> {
    let entries = std::fs::read_dir("/sys/class/net").ok()?;
    entries.flatten().find_map(|entry| {
        let dir = entry.path();
        let ty = std::fs::read_to_string(dir.join("type")).ok()?;
        if ty.trim() != "772" {
            return None;
        }
        std::fs::read_to_string(dir.join("ifindex"))
            .ok()?
            .trim()
            .parse()
            .ok()
    })
}

/// The outgoing copy of a frame on loopback, which will be seen again coming in.
fn is_loopback_echo(ll: &libc::sockaddr_ll, loopback: Option<i32>) -> bool {
    ll.sll_pkttype == libc::PACKET_OUTGOING && Some(ll.sll_ifindex) == loopback
}

fn open_error(err: io::Error, iface: &str) -> anyhow::Error {
    if matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
        anyhow!(
            "capturing on {iface} needs root or CAP_NET_RAW: run with sudo, or once \
             `sudo setcap cap_net_raw,cap_net_admin+ep $(command -v raw-sniff)`"
        )
    } else {
        anyhow!("socket(AF_PACKET) failed: {err}")
    }
}

fn bind(socket: &Socket, ifindex: i32) -> io::Result<()> {
    // SAFETY: an all-zero sockaddr_ll is a valid value of the plain C struct.
    let mut sll: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
    sll.sll_family = libc::AF_PACKET as u16;
    sll.sll_protocol = ETH_P_ALL.to_be();
    sll.sll_ifindex = ifindex;
    // SAFETY: the pointer and length describe `sll`, alive for the call's duration.
    let rc = unsafe {
        libc::bind(
            socket.as_raw_fd(),
            (&sll as *const libc::sockaddr_ll).cast::<libc::sockaddr>(),
            size_of::<libc::sockaddr_ll>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn promiscuous(socket: &Socket, ifindex: i32) -> io::Result<()> {
    let mreq = libc::packet_mreq {
        mr_ifindex: ifindex,
        mr_type: libc::PACKET_MR_PROMISC as u16,
        mr_alen: 0,
        mr_address: [0; 8],
    };
    // Membership is tied to the socket: the kernel takes the interface out of promiscuous mode
    // when the socket closes, even if the process is killed.
    setsockopt(socket.as_raw_fd(), libc::PACKET_ADD_MEMBERSHIP, &mreq)
}

fn setsockopt<T>(fd: RawFd, name: libc::c_int, value: &T) -> io::Result<()> {
    // SAFETY: the pointer and length describe `value`, alive for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_PACKET,
            name,
            (value as *const T).cast::<c_void>(),
            size_of::<T>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A Linux cooked (SLL v1) header in front of a network-layer packet, so `any` captures decode
/// and save like libpcap's.
fn build_cooked(out: &mut Vec<u8>, ll: &libc::sockaddr_ll, packet: &[u8]) {
    out.clear();
    out.extend_from_slice(&u16::from(ll.sll_pkttype).to_be_bytes());
    out.extend_from_slice(&ll.sll_hatype.to_be_bytes());
    out.extend_from_slice(&u16::from(ll.sll_halen).to_be_bytes());
    out.extend_from_slice(&ll.sll_addr);
    // sll_protocol is already in network byte order.
    out.extend_from_slice(&ll.sll_protocol.to_ne_bytes());
    out.extend_from_slice(packet);
}

/// A frame as the ring holds it, borrowed until the ring moves on.
struct RawFrame<'a> {
    ts: Timestamp,
    data: &'a [u8],
    orig_len: u32,
    csum_not_ready: bool,
    addr: libc::sockaddr_ll,
}

/// The TPACKET_V3 ring: `block_nr` blocks of `block_size` bytes, each owned by the kernel until
/// its status says TP_STATUS_USER, and handed back by writing TP_STATUS_KERNEL.
struct Ring {
    base: NonNull<u8>,
    len: usize,
    block_size: usize,
    block_nr: usize,
    /// The block being read or waited for.
    block: usize,
    /// Packets left in the current block and where the next one starts, once it is ours.
    cursor: Option<(u32, usize)>,
}

impl Ring {
    fn new(socket: &Socket, buffer: usize) -> io::Result<Ring> {
        let fd = socket.as_raw_fd();
        let version = libc::tpacket_versions::TPACKET_V3 as libc::c_int;
        setsockopt(fd, libc::PACKET_VERSION, &version)?;
        // The kernel hands a block over when it is full or when its timeout runs out, so
        // trickling traffic uses a whole block per timeout however little it holds, and a
        // reader held off the CPU for `block_nr` timeouts loses packets with the ring nearly
        // empty. Many small blocks make that stall long (64 × 10 ms with the default 8 MiB)
        // while 128 KiB still holds any single frame whole (64 KiB GSO on `lo`); 64 KiB
        // blocks, tried if the kernel refuses, truncate only such super-packets.
        let mut last = io::Error::from(io::ErrorKind::OutOfMemory);
        for block_size in [1usize << 17, 1 << 16] {
            let block_nr = (buffer / block_size).max(2);
            let frame_size = 2048usize;
            let req = libc::tpacket_req3 {
                tp_block_size: block_size as u32,
                tp_block_nr: block_nr as u32,
                tp_frame_size: frame_size as u32,
                tp_frame_nr: (block_size / frame_size * block_nr) as u32,
                tp_retire_blk_tov: BLOCK_TIMEOUT_MS,
                tp_sizeof_priv: 0,
                tp_feature_req_word: 0,
            };
            if let Err(err) = setsockopt(fd, libc::PACKET_RX_RING, &req) {
                last = err;
                continue;
            }
            let len = block_size * block_nr;
            // SAFETY: a fresh shared mapping of the ring the kernel just allocated for this
            // socket; the kernel checks `len` against it.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    fd,
                    0,
                )
            };
            if base == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
            let base = NonNull::new(base.cast::<u8>()).ok_or_else(io::Error::last_os_error)?;
            return Ok(Ring {
                base,
                len,
                block_size,
                block_nr,
                block: 0,
                cursor: None,
            });
        }
        Err(last)
    }

    fn block_ptr(&self, block: usize) -> *mut u8 {
        // SAFETY: block < block_nr, so the offset stays inside the mapping.
        unsafe { self.base.as_ptr().add(block * self.block_size) }
    }

    fn status_ptr(&self, block: usize) -> *mut u32 {
        let at = offset_of!(libc::tpacket_block_desc, hdr)
            + offset_of!(libc::tpacket_hdr_v1, block_status);
        // SAFETY: the block descriptor sits at the start of each block, inside the mapping.
        unsafe { self.block_ptr(block).add(at).cast::<u32>() }
    }

    fn read_u32(&self, block: usize, at: usize) -> u32 {
        // SAFETY: callers pass offsets of fields inside the block descriptor; the kernel wrote
        // them before setting TP_STATUS_USER, which was read with acquire ordering.
        unsafe { self.block_ptr(block).add(at).cast::<u32>().read_volatile() }
    }

    /// The next frame that `wanted` accepts, or `None` after waiting with nothing new.
    fn next_wanted(
        &mut self,
        fd: RawFd,
        wanted: impl Fn(&libc::sockaddr_ll) -> bool,
    ) -> io::Result<Option<RawFrame<'_>>> {
        loop {
            match self.next(fd)? {
                None => return Ok(None),
                // SAFETY: the frame borrows a block that stays ours until the next call; the
                // borrow is re-made with an unbounded lifetime only to return it from this loop
                // (a borrow returned from one iteration otherwise blocks the next).
                Some(frame) if wanted(&frame.addr) => return Ok(Some(unsafe { detach(frame) })),
                Some(_) => {}
            }
        }
    }

    /// The next frame, or `None` after waiting `POLL_MS` with nothing new.
    fn next(&mut self, fd: RawFd) -> io::Result<Option<RawFrame<'_>>> {
        loop {
            if let Some((left, offset)) = self.cursor {
                if left > 0 {
                    // SAFETY: the current block is ours (its status said TP_STATUS_USER) until
                    // `release`, which happens no earlier than the next call, and the returned
                    // borrow of `self` ends before that call.
                    match unsafe { frame_at(self.block_ptr(self.block), self.block_size, offset) } {
                        // The last packet of a block has next offset 0.
                        Some((0, frame)) => {
                            self.cursor = Some((0, offset));
                            return Ok(Some(frame));
                        }
                        Some((next_offset, frame)) => {
                            self.cursor = Some((left - 1, offset + next_offset));
                            return Ok(Some(frame));
                        }
                        // A header pointing outside the block: give the block back rather than
                        // read past it.
                        None => self.cursor = Some((0, offset)),
                    }
                    continue;
                }
                self.release();
                continue;
            }
            // SAFETY: status_ptr points at this block's status word inside the mapping.
            let status = unsafe { self.status_ptr(self.block).read_volatile() };
            if status & libc::TP_STATUS_USER != 0 {
                // Everything the kernel wrote into the block happens-before its status flip.
                fence(Ordering::Acquire);
                let h1 = offset_of!(libc::tpacket_block_desc, hdr);
                let num =
                    self.read_u32(self.block, h1 + offset_of!(libc::tpacket_hdr_v1, num_pkts));
                let first = self.read_u32(
                    self.block,
                    h1 + offset_of!(libc::tpacket_hdr_v1, offset_to_first_pkt),
                ) as usize;
                self.cursor = Some((num, first));
                continue;
            }
            let mut pfd = libc::pollfd {
                fd,
                events: libc::POLLIN | libc::POLLERR,
                revents: 0,
            };
            // SAFETY: one valid pollfd for the call's duration.
            let rc = unsafe { libc::poll(&mut pfd, 1, POLL_MS) };
            if rc < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    return Ok(None);
                }
                return Err(err);
            }
            if rc == 0 {
                return Ok(None);
            }
            if pfd.revents & libc::POLLERR != 0 {
                // POLLERR on a packet socket reports a pending socket error; reading it clears it.
                let mut err: libc::c_int = 0;
                let mut len = size_of::<libc::c_int>() as libc::socklen_t;
                // SAFETY: `err` is a writable int of `len` bytes.
                unsafe {
                    libc::getsockopt(
                        fd,
                        libc::SOL_SOCKET,
                        libc::SO_ERROR,
                        (&mut err as *mut libc::c_int).cast::<c_void>(),
                        &mut len,
                    )
                };
                if err != 0 {
                    return Err(io::Error::from_raw_os_error(err));
                }
            }
            // Poll can report readiness a moment before the status word is visible, and the
            // block may also time out; either way the loop looks again.
            // SAFETY: status_ptr points at this block's status word inside the mapping.
            let status = unsafe { self.status_ptr(self.block).read_volatile() };
            if status & libc::TP_STATUS_USER == 0 {
                return Ok(None);
            }
        }
    }

    /// Hands the current block back to the kernel and moves to the next.
    fn release(&mut self) {
        // Every read of the block happens-before the kernel may overwrite it.
        fence(Ordering::Release);
        // SAFETY: the status word of a block we own, inside the mapping.
        unsafe {
            self.status_ptr(self.block)
                .write_volatile(libc::TP_STATUS_KERNEL)
        };
        self.block = (self.block + 1) % self.block_nr;
        self.cursor = None;
    }
}

/// The frame at `offset` in a block and the offset to the next one, if its header and data lie
/// inside the block.
///
/// # Safety
/// `block` must point at a ring block of `block_size` bytes that the kernel has handed to user
/// space and that stays mapped and unreleased for as long as the returned frame is used.
unsafe fn frame_at<'a>(
    block: *mut u8,
    block_size: usize,
    offset: usize,
) -> Option<(usize, RawFrame<'a>)> {
    let hdr_len = size_of::<libc::tpacket3_hdr>();
    let ll_at = offset + ((hdr_len + libc::TPACKET_ALIGNMENT - 1) & !(libc::TPACKET_ALIGNMENT - 1));
    if ll_at + size_of::<libc::sockaddr_ll>() > block_size {
        return None;
    }
    // SAFETY: offset + header length is inside the block (checked above), the header is aligned
    // per TPACKET_ALIGNMENT, and the caller guarantees the block is ours.
    let hdr = unsafe {
        block
            .add(offset)
            .cast::<libc::tpacket3_hdr>()
            .read_volatile()
    };
    // SAFETY: same block, bounds checked; sockaddr_ll follows the aligned header.
    let addr = unsafe {
        block
            .add(ll_at)
            .cast::<libc::sockaddr_ll>()
            .read_unaligned()
    };
    let start = offset + usize::from(hdr.tp_mac);
    let len = hdr.tp_snaplen as usize;
    if start.checked_add(len)? > block_size {
        return None;
    }
    // SAFETY: start..start+len lies inside the block (checked), which the caller guarantees
    // stays ours for 'a.
    let data = unsafe { std::slice::from_raw_parts(block.add(start), len) };
    Some((
        hdr.tp_next_offset as usize,
        RawFrame {
            ts: Timestamp {
                secs: u64::from(hdr.tp_sec),
                nanos: hdr.tp_nsec,
            },
            data,
            orig_len: hdr.tp_len,
            csum_not_ready: hdr.tp_status & libc::TP_STATUS_CSUMNOTREADY != 0,
            addr,
        },
    ))
}

/// Detaches a frame's lifetime from the borrow it came through.
///
/// # Safety
/// The caller must keep the frame's block unreleased for as long as the result is used.
unsafe fn detach<'b>(frame: RawFrame<'_>) -> RawFrame<'b> {
    // SAFETY: RawFrame<'_> and RawFrame<'b> have the same layout; the caller guarantees the
    // bytes stay valid.
    unsafe { std::mem::transmute::<RawFrame<'_>, RawFrame<'b>>(frame) }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // SAFETY: unmapping exactly the mapping made in `new`; no frame borrows outlive self.
        unsafe { libc::munmap(self.base.as_ptr().cast::<c_void>(), self.len) };
    }
}
