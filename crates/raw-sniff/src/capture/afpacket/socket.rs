//! The packet socket itself: which interface, binding, socket options and the kernel's
//! counters. Everything here is one system call or a file under `/sys/class/net`.

use std::ffi::c_void;
use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, RawFd};

use socket2::Socket;

use crate::capture::CaptureError;

const ETH_P_ALL: u16 = 0x0003;

/// An interface's index (0 for `any`) and whether frames must be cooked: only Ethernet and
/// loopback devices hand over a 14-byte Ethernet header.
pub(super) fn interface(name: &str) -> Result<(i32, bool), CaptureError> {
    if name == "any" {
        return Ok((0, true));
    }
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(CaptureError::BadInterfaceName(name.to_owned()));
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
        return Err(CaptureError::NoSuchInterface(name.to_owned()));
    };
    const ARPHRD_ETHER: i64 = 1;
    const ARPHRD_LOOPBACK: i64 = 772;
    let ethernet_like = matches!(read("type"), Some(ARPHRD_ETHER | ARPHRD_LOOPBACK));
    Ok((index as i32, !ethernet_like))
}

/// The loopback interface's index (the one whose ARP hardware type is loopback).
pub(super) fn loopback_index() -> Option<i32> {
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
pub(super) fn is_loopback_echo(ll: &libc::sockaddr_ll, loopback: Option<i32>) -> bool {
    ll.sll_pkttype == libc::PACKET_OUTGOING && Some(ll.sll_ifindex) == loopback
}

/// The error for a socket that could not be created, saying which privilege it needs.
pub(super) fn open_error(err: io::Error, iface: &str) -> CaptureError {
    if matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
        CaptureError::PacketSocketNeedsPrivilege(iface.to_owned())
    } else {
        CaptureError::PacketSocket(err)
    }
}

/// Binds to interface `ifindex` (0: all of them) for every protocol, which starts queueing.
pub(super) fn bind(socket: &Socket, ifindex: i32) -> io::Result<()> {
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

/// Puts interface `ifindex` in promiscuous mode for as long as the socket lives.
pub(super) fn promiscuous(socket: &Socket, ifindex: i32) -> io::Result<()> {
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

/// Sets a `SOL_PACKET` option to `value`.
pub(super) fn setsockopt<T>(fd: RawFd, name: libc::c_int, value: &T) -> io::Result<()> {
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

/// The kernel's counters since the last read, `(received, dropped)`, where received already
/// includes the drops; `None` if the kernel would not say. `ring` tells which form of the
/// statistics the socket keeps (TPACKET_V3 rings have the longer one).
pub(super) fn take_stats(fd: RawFd, ring: bool) -> Option<(u32, u32)> {
    // tpacket_stats_v3 starts with the same two fields as tpacket_stats.
    let mut st = libc::tpacket_stats_v3 {
        tp_packets: 0,
        tp_drops: 0,
        tp_freeze_q_cnt: 0,
    };
    let mut len = if ring {
        size_of::<libc::tpacket_stats_v3>()
    } else {
        size_of::<libc::tpacket_stats>()
    } as libc::socklen_t;
    // SAFETY: `st` is a writable buffer of at least `len` bytes for the call's duration.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_PACKET,
            libc::PACKET_STATISTICS,
            (&mut st as *mut libc::tpacket_stats_v3).cast::<c_void>(),
            &mut len,
        )
    };
    (rc == 0).then_some((st.tp_packets, st.tp_drops))
}
