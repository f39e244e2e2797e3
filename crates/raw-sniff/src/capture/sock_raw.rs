//! `--ip-raw`: the classic SOCK_RAW lesson. An `AF_INET` raw socket per transport protocol
//! receives the IP packets the kernel delivers for that protocol, IP header included but no
//! link header — and only what this host receives, not everything on the wire as `AF_PACKET`
//! gets. Windows' SIO_RCVALL socket yields the same shape of packet, so both share every path
//! after the socket.

use std::io;
use std::mem::MaybeUninit;
use std::os::fd::AsRawFd;

use anyhow::{anyhow, Result};
use socket2::{Domain, Protocol, Socket, Type};

use super::{Capture, Frame, LinkType, Next, Stats};

const POLL_MS: i32 = 100;
/// An IPv4 datagram is at most 64 KiB.
const MAX_PACKET: usize = 65_536;

/// A transport protocol to open a raw socket for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpProto {
    Tcp,
    Udp,
    Icmp,
}

impl IpProto {
    fn number(self) -> i32 {
        match self {
            IpProto::Tcp => libc::IPPROTO_TCP,
            IpProto::Udp => libc::IPPROTO_UDP,
            IpProto::Icmp => libc::IPPROTO_ICMP,
        }
    }
}

pub struct SockRaw {
    sockets: Vec<Socket>,
    protocols: Vec<IpProto>,
    buf: Vec<MaybeUninit<u8>>,
    /// Sockets that poll said are readable and not yet read.
    ready: Vec<usize>,
}

impl SockRaw {
    pub fn open(protocols: &[IpProto]) -> Result<SockRaw> {
        let mut sockets = Vec::new();
        for &proto in protocols {
            let socket = Socket::new(
                Domain::IPV4,
                Type::RAW,
                Some(Protocol::from(proto.number())),
            )
            .map_err(|err| {
                if matches!(err.raw_os_error(), Some(libc::EPERM | libc::EACCES)) {
                    anyhow!(
                        "raw sockets need root or CAP_NET_RAW: run with sudo, or once \
                             `sudo setcap cap_net_raw+ep $(command -v raw-sniff)`"
                    )
                } else {
                    anyhow!("socket(AF_INET, SOCK_RAW, {proto:?}) failed: {err}")
                }
            })?;
            socket.set_nonblocking(true)?;
            sockets.push(socket);
        }
        Ok(SockRaw {
            sockets,
            protocols: protocols.to_vec(),
            buf: vec![MaybeUninit::uninit(); MAX_PACKET],
            ready: Vec::new(),
        })
    }
}

impl Capture for SockRaw {
    fn next(&mut self) -> io::Result<Next<'_>> {
        loop {
            while let Some(i) = self.ready.pop() {
                match self.sockets[i].recv(&mut self.buf) {
                    Ok(len) => {
                        // Put it back: a readable socket may hold more than one packet.
                        self.ready.push(i);
                        let len = len.min(self.buf.len());
                        // SAFETY: recv initialised the first `len` bytes of the buffer.
                        let data = unsafe {
                            std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), len)
                        };
                        return Ok(Next::Frame(Frame {
                            ts: super::now(),
                            link: LinkType::Raw,
                            data,
                            orig_len: len as u32,
                            csum_not_ready: false,
                        }));
                    }
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => {}
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => self.ready.push(i),
                    Err(err) => return Err(err),
                }
            }
            let mut fds: Vec<libc::pollfd> = self
                .sockets
                .iter()
                .map(|s| libc::pollfd {
                    fd: s.as_raw_fd(),
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

    fn describe(&self) -> String {
        let names: Vec<String> = self
            .protocols
            .iter()
            .map(|p| format!("{p:?}").to_lowercase())
            .collect();
        format!(
            "AF_INET SOCK_RAW sockets for {} (IP header, no link header)",
            names.join(", ")
        )
    }
}
