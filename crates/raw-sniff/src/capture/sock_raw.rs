//! `--ip-raw`: the classic SOCK_RAW lesson. A raw socket per transport protocol and address
//! family receives the IP packets the kernel delivers for that protocol, with no link header —
//! and only what this host receives, not everything on the wire as `AF_PACKET` gets. Windows'
//! SIO_RCVALL socket yields the same shape of packet, so both share every path after the socket.
//!
//! IPv4 raw sockets hand over the IP header; IPv6 raw sockets never do (RFC 3542 §3). For IPv6
//! the header is rebuilt from what `recvmsg` reports beside the payload — source address, the
//! destination from IPV6_PKTINFO, hop limit and traffic class — with a zero flow label, the one
//! field the kernel does not report. The startup line says so.

use std::ffi::c_void;
use std::io::{self, Read};
use std::mem::size_of;
use std::net::Ipv6Addr;
use std::os::fd::AsRawFd;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};

use super::{Capture, CaptureError, CapturedFrame, Drain, LinkType, Next, Stats};

const POLL_MS: i32 = 100;
/// An IP datagram is at most 64 KiB; IPv6 ones get a rebuilt 40-byte header in front.
const MAX_PACKET: usize = 65_536;
const IPV6_HEADER: usize = 40;

/// A transport protocol to open raw sockets for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpProto {
    /// TCP, protocol 6 in both families.
    Tcp,
    /// UDP, protocol 17 in both families.
    Udp,
    /// ICMP (1) on IPv4 and ICMPv6 (58) on IPv6.
    Icmp,
}

impl IpProto {
    /// The protocol number for each family: ICMP is its own protocol in IPv6 (58).
    fn number(self, v6: bool) -> i32 {
        match (self, v6) {
            (IpProto::Tcp, _) => libc::IPPROTO_TCP,
            (IpProto::Udp, _) => libc::IPPROTO_UDP,
            (IpProto::Icmp, false) => libc::IPPROTO_ICMP,
            (IpProto::Icmp, true) => libc::IPPROTO_ICMPV6,
        }
    }
}

struct RawSocket {
    socket: Socket,
    /// The IPv6 next-header value to write into the rebuilt header; None for IPv4.
    v6_next_header: Option<u8>,
}

/// `--ip-raw` capture: one raw socket per protocol and address family, polled together.
pub struct SockRaw {
    sockets: Vec<RawSocket>,
    protocols: Vec<IpProto>,
    buf: Vec<u8>,
    /// Sockets that poll said are readable and not yet drained.
    ready: Vec<usize>,
}

impl SockRaw {
    /// Opens an IPv4 and (where the host has IPv6) an IPv6 raw socket for each protocol.
    pub fn open(protocols: &[IpProto]) -> Result<SockRaw, CaptureError> {
        let mut sockets = Vec::new();
        for &proto in protocols {
            for v6 in [false, true] {
                let domain = if v6 { Domain::IPV6 } else { Domain::IPV4 };
                let number = proto.number(v6);
                let socket = match Socket::new(domain, Type::RAW, Some(Protocol::from(number))) {
                    Ok(socket) => socket,
                    Err(err) if matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)) => {
                        return Err(CaptureError::RawSocketNeedsPrivilege)
                    }
                    // A host without IPv6 still captures IPv4.
                    Err(_) if v6 => continue,
                    Err(source) => return Err(CaptureError::RawSocket { proto, source }),
                };
                socket
                    .set_nonblocking(true)
                    .map_err(CaptureError::RawSocketOption)?;
                if v6 {
                    for option in [
                        libc::IPV6_RECVPKTINFO,
                        libc::IPV6_RECVHOPLIMIT,
                        libc::IPV6_RECVTCLASS,
                    ] {
                        enable(&socket, option).map_err(CaptureError::RawSocketOption)?;
                    }
                }
                sockets.push(RawSocket {
                    socket,
                    v6_next_header: v6.then_some(number as u8),
                });
            }
        }
        Ok(SockRaw {
            sockets,
            protocols: protocols.to_vec(),
            buf: vec![0; IPV6_HEADER + MAX_PACKET],
            ready: Vec::new(),
        })
    }
}

fn enable(socket: &Socket, option: libc::c_int) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: the pointer and length describe `on`, alive for the call's duration.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IPV6,
            option,
            (&on as *const libc::c_int).cast::<c_void>(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// What recvmsg reports beside an IPv6 payload.
struct V6Meta {
    src: Ipv6Addr,
    dst: Ipv6Addr,
    hop_limit: u8,
    tclass: u8,
}

/// Receives one IPv6 payload into `buf` and the facts to rebuild its header.
fn recv_v6(socket: &Socket, buf: &mut [u8]) -> io::Result<(usize, V6Meta)> {
    // SAFETY: an all-zero sockaddr_in6 is a valid value of the plain C struct.
    let mut name: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast::<c_void>(),
        iov_len: buf.len(),
    };
    // u64 elements keep the control buffer aligned for cmsghdr.
    let mut control = [0u64; 32];
    // SAFETY: an all-zero msghdr is a valid value of the plain C struct.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_name = (&mut name as *mut libc::sockaddr_in6).cast::<c_void>();
    msg.msg_namelen = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast::<c_void>();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: every pointer in `msg` refers to a live buffer of the stated length.
    let n = unsafe { libc::recvmsg(socket.as_raw_fd(), &mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut meta = V6Meta {
        src: Ipv6Addr::from(name.sin6_addr.s6_addr),
        dst: Ipv6Addr::UNSPECIFIED,
        hop_limit: 0,
        tclass: 0,
    };
    // SAFETY: `msg` was filled by recvmsg; the CMSG_* helpers walk only the control bytes it
    // reports, and each payload read is bounded by the cmsg's own length check.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(&msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            let data = libc::CMSG_DATA(cmsg);
            let len = header.cmsg_len as usize;
            if header.cmsg_level == libc::IPPROTO_IPV6 {
                match header.cmsg_type {
                    libc::IPV6_PKTINFO
                        if len
                            >= libc::CMSG_LEN(size_of::<libc::in6_pktinfo>() as u32) as usize =>
                    {
                        let info = data.cast::<libc::in6_pktinfo>().read_unaligned();
                        meta.dst = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                    }
                    libc::IPV6_HOPLIMIT
                        if len >= libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as usize =>
                    {
                        meta.hop_limit = data.cast::<libc::c_int>().read_unaligned() as u8;
                    }
                    libc::IPV6_TCLASS
                        if len >= libc::CMSG_LEN(size_of::<libc::c_int>() as u32) as usize =>
                    {
                        meta.tclass = data.cast::<libc::c_int>().read_unaligned() as u8;
                    }
                    _ => {}
                }
            }
            cmsg = libc::CMSG_NXTHDR(&msg, cmsg);
        }
    }
    Ok((n as usize, meta))
}

/// The 40-byte IPv6 header the kernel consumed, rebuilt in front of the payload.
fn write_v6_header(out: &mut [u8], payload_len: usize, next_header: u8, meta: &V6Meta) {
    let first = (6u32 << 28) | (u32::from(meta.tclass) << 20);
    out[0..4].copy_from_slice(&first.to_be_bytes());
    out[4..6].copy_from_slice(&(payload_len.min(usize::from(u16::MAX)) as u16).to_be_bytes());
    out[6] = next_header;
    out[7] = meta.hop_limit;
    out[8..24].copy_from_slice(&meta.src.octets());
    out[24..40].copy_from_slice(&meta.dst.octets());
}

impl Capture for SockRaw {
    fn next(&mut self) -> io::Result<Next<'_>> {
        loop {
            while let Some(&i) = self.ready.last() {
                let raw = &self.sockets[i];
                let got = match raw.v6_next_header {
                    None => (&raw.socket)
                        .read(&mut self.buf[..MAX_PACKET])
                        .map(|n| (0, n)),
                    Some(next_header) => {
                        let (header, payload) = self.buf.split_at_mut(IPV6_HEADER);
                        recv_v6(&raw.socket, &mut payload[..MAX_PACKET]).map(|(n, meta)| {
                            write_v6_header(header, n, next_header, &meta);
                            (IPV6_HEADER, n)
                        })
                    }
                };
                match got {
                    Ok((header, n)) => {
                        let len = header + n;
                        return Ok(Next::Frame(CapturedFrame {
                            ts: super::now(),
                            link: LinkType::Raw,
                            data: &self.buf[..len],
                            orig_len: len as u32,
                            csum_not_ready: false,
                        }));
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                        self.ready.pop();
                    }
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                    Err(err) => return Err(err),
                }
            }
            let mut fds: Vec<libc::pollfd> = self
                .sockets
                .iter()
                .map(|s| libc::pollfd {
                    fd: s.socket.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                })
                .collect();
            // SAFETY: `fds` is a valid array of `fds.len()` pollfds for the call's duration.
            let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, POLL_MS) };
            if rc < 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    return Ok(Next::Idle);
                }
                return Err(err);
            }
            if rc == 0 {
                return Ok(Next::Idle);
            }
            self.ready.extend(
                fds.iter()
                    .enumerate()
                    .filter(|(_, fd)| fd.revents != 0)
                    .map(|(i, _)| i),
            );
        }
    }

    fn stats(&mut self) -> Stats {
        // Raw IP sockets keep no drop counter the way packet sockets do.
        Stats::default()
    }

    fn link_type(&self) -> LinkType {
        LinkType::Raw
    }

    fn drain(&self) -> Option<Drain> {
        // Datagrams wait in each socket's queue, readable at once.
        Some(Drain {
            settle: Duration::ZERO,
            stamped_by_kernel: false,
        })
    }

    fn describe(&self) -> String {
        let names: Vec<String> = self
            .protocols
            .iter()
            .map(|p| format!("{p:?}").to_lowercase())
            .collect();
        format!(
            "AF_INET/AF_INET6 SOCK_RAW sockets for {} (IP header, no link header; IPv6 headers \
             rebuilt from recvmsg, flow label 0)",
            names.join(", ")
        )
    }
}
