//! `PACKET_FANOUT`: several packet sockets on one interface sharing its traffic, each frame
//! handed to exactly one of them, so each can be read by its own thread.
//!
//! The group spreads frames by `PACKET_FANOUT_HASH`, the kernel's flow hash. In the kernel's
//! `af_packet.c` that is `__skb_get_hash_symmetric`, which orders the two addresses and the
//! two ports before hashing, so both directions of a TCP or UDP conversation land on the same
//! socket and one thread sees the whole conversation in order (the live test checks it for
//! every conversation of a flood). The fragments of an IP datagram hash on their addresses
//! (the flow dissector reads no ports from a fragment), so they stay together too.
//! `PACKET_FANOUT_FLAG_DEFRAG` is not asked for: with it the kernel takes fragments in to
//! reassemble them before the group sees them, and in the live test all 36 fragments of its 12
//! fragmented datagrams were missing from the capture.
//!
//! Until every socket has joined, a socket bound alone gets every frame, and a frame could be
//! captured twice. So each socket starts with a program that keeps nothing (the gate), and the
//! capture filter replaces it only once the whole group exists.

use std::io;
use std::os::fd::RawFd;

use socket2::{SockFilter, Socket};

use super::socket::setsockopt;

/// Frames spread by the kernel's symmetric flow hash.
const FANOUT_TYPE: u32 = libc::PACKET_FANOUT_HASH;

/// The classic BPF program that keeps no frame: `ret #0`.
pub(super) fn gate() -> [SockFilter; 1] {
    const BPF_RET_K: u16 = 0x06;
    [SockFilter::new(BPF_RET_K, 0, 0, 0)]
}

/// A fanout group: its id and the flags every member joins with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// The group's id, unique among the groups of the network namespace.
    pub id: u16,
    /// `PACKET_FANOUT_FLAG_*` the group was made with.
    flags: u32,
}

/// Makes the socket behind `fd` (bound, so the kernel knows its interface and protocol) the
/// first of a new fanout group. The kernel picks an id no other group uses
/// (`PACKET_FANOUT_FLAG_UNIQUEID`); a kernel too old for that flag refuses it, and the id is
/// then taken from the process id. `ignore_outgoing` leaves out frames going out, which on
/// loopback are seen again coming in: the group's own hook replaces each socket's, so the
/// socket option that does this for a lone socket does nothing for a member, and the group
/// must be asked (`PACKET_FANOUT_FLAG_IGNORE_OUTGOING`); a kernel without that flag refuses
/// it, and the copies are skipped while reading, as they are on `any`.
pub(super) fn create(fd: RawFd, ignore_outgoing: bool) -> io::Result<Group> {
    let mut last = io::Error::from_raw_os_error(libc::EINVAL);
    let ignoring = [libc::PACKET_FANOUT_FLAG_IGNORE_OUTGOING, 0];
    for flags in ignoring.iter().filter(|&&f| ignore_outgoing || f == 0) {
        let unique = FANOUT_TYPE | flags | libc::PACKET_FANOUT_FLAG_UNIQUEID;
        match setsockopt(fd, libc::PACKET_FANOUT, &(unique << 16)) {
            Ok(()) => {
                return Ok(Group {
                    id: group_of(fd)?,
                    flags: *flags,
                })
            }
            Err(err) if err.raw_os_error() == Some(libc::EINVAL) => last = err,
            Err(err) => return Err(err),
        }
    }
    if last.raw_os_error() != Some(libc::EINVAL) {
        return Err(last);
    }
    let group = Group {
        id: std::process::id() as u16,
        flags: 0,
    };
    join(fd, group)?;
    Ok(group)
}

/// Adds the bound socket behind `fd` to `group`.
pub(super) fn join(fd: RawFd, group: Group) -> io::Result<()> {
    let type_flags = FANOUT_TYPE | group.flags;
    setsockopt(
        fd,
        libc::PACKET_FANOUT,
        &(u32::from(group.id) | type_flags << 16),
    )
}

/// The id of the group the socket behind `fd` belongs to (the low 16 bits of what
/// `getsockopt(PACKET_FANOUT)` gives; the type and flags are above them).
fn group_of(fd: RawFd) -> io::Result<u16> {
    let mut value: u32 = 0;
    let mut len = std::mem::size_of::<u32>() as libc::socklen_t;
    // SAFETY: `value` is a writable u32 and `len` says so, both alive for the call.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_FANOUT,
            (&mut value as *mut u32).cast::<libc::c_void>(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(value as u16)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Opens the gate: the capture filter, where there is one and the kernel takes it, replaces
/// the program that kept nothing; otherwise the gate is taken away and the socket keeps every
/// frame. Returns whether the kernel runs the capture filter, and the kernel's refusal if it
/// would not.
pub(super) fn open_gate(
    socket: &Socket,
    filter: Option<&[SockFilter]>,
) -> io::Result<Result<bool, io::Error>> {
    if let Some(program) = filter {
        let attached = if program.len() <= usize::from(u16::MAX) {
            socket.attach_filter(program)
        } else {
            Err(io::Error::from_raw_os_error(libc::EINVAL))
        };
        match attached {
            Ok(()) => return Ok(Ok(true)),
            Err(refused) => {
                socket.detach_filter()?;
                return Ok(Err(refused));
            }
        }
    }
    socket.detach_filter()?;
    Ok(Ok(false))
}
