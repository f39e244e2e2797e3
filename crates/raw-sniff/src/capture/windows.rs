//! Windows capture: a `SOCK_RAW` socket bound to one interface's IPv4 address and switched to
//! "receive all" with `SIO_RCVALL`. Windows then hands over every IPv4 packet crossing that
//! interface, IP header first and no link header — the same shape as the Linux `--ip-raw`
//! sockets, so everything after this module is the code tested on Linux. No Npcap needed;
//! Administrator rights are.
//!
//! This is the only Windows-specific module of raw-sniff.

use std::ffi::c_void;
use std::io;
use std::mem::MaybeUninit;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::os::windows::io::AsRawSocket;
use std::time::Duration;

use socket2::{Domain, Protocol, Socket, Type};
use windows_sys::Win32::Networking::WinSock::{WSAIoctl, RCVALL_ON, SIO_RCVALL, SOCKET};

use super::{Capture, CaptureError, CapturedFrame, Drain, LinkType, Next, Stats};

/// An IPv4 datagram is at most 64 KiB.
const MAX_PACKET: usize = 65_536;
/// How long one receive waits before the capture loop gets an `Idle`.
const POLL: Duration = Duration::from_millis(100);
/// WSAEACCES: the socket call needs Administrator rights.
const WSAEACCES: i32 = 10013;

/// A raw IPv4 socket in `SIO_RCVALL` mode on one interface address.
pub struct RcvAll {
    socket: Socket,
    addr: Ipv4Addr,
    buf: Vec<MaybeUninit<u8>>,
}

impl RcvAll {
    /// Opens the capture on the interface with IPv4 address `iface` (given as an address, as
    /// `raw-sniff -D` lists them on Windows), or on the first non-loopback address.
    pub fn open(iface: Option<&str>) -> Result<RcvAll, CaptureError> {
        let addr = match iface {
            Some(text) => text
                .parse::<Ipv4Addr>()
                .map_err(|_| CaptureError::NotAnAddress(text.to_owned()))?,
            None => host_addresses()?
                .into_iter()
                .find(|a| !a.is_loopback())
                .ok_or(CaptureError::NoAddress)?,
        };
        // IPPROTO_IP (0): with SIO_RCVALL the socket receives every protocol.
        let socket =
            Socket::new(Domain::IPV4, Type::RAW, Some(Protocol::from(0))).map_err(|err| {
                if err.raw_os_error() == Some(WSAEACCES) {
                    CaptureError::RawSocketNeedsAdministrator
                } else {
                    CaptureError::WindowsRawSocket(err)
                }
            })?;
        socket
            .bind(&SocketAddr::new(IpAddr::V4(addr), 0).into())
            .map_err(|source| CaptureError::BindAddress { addr, source })?;
        enable_receive_all(&socket).map_err(|err| {
            if err.raw_os_error() == Some(WSAEACCES) {
                CaptureError::ReceiveAllNeedsAdministrator
            } else {
                CaptureError::ReceiveAll { addr, source: err }
            }
        })?;
        socket
            .set_read_timeout(Some(POLL))
            .map_err(CaptureError::ReceiveTimeout)?;
        Ok(RcvAll {
            socket,
            addr,
            buf: vec![MaybeUninit::uninit(); MAX_PACKET],
        })
    }
}

fn enable_receive_all(socket: &Socket) -> io::Result<()> {
    let on: u32 = RCVALL_ON as u32;
    let mut returned: u32 = 0;
    // SAFETY: the socket handle is valid for the call; the input buffer is `on`, 4 bytes, alive
    // for the call; no output buffer, overlapped structure or completion routine is passed.
    let rc = unsafe {
        WSAIoctl(
            socket.as_raw_socket() as SOCKET,
            SIO_RCVALL,
            (&on as *const u32).cast::<c_void>(),
            std::mem::size_of::<u32>() as u32,
            std::ptr::null_mut(),
            0,
            &mut returned,
            std::ptr::null_mut(),
            None,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl Capture for RcvAll {
    fn next(&mut self) -> io::Result<Next<'_>> {
        match self.socket.recv(&mut self.buf) {
            Ok(len) => {
                let len = len.min(self.buf.len());
                // SAFETY: recv initialised the first `len` bytes of the buffer.
                let data =
                    unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), len) };
                Ok(Next::Frame(CapturedFrame {
                    ts: super::now(),
                    link: LinkType::Raw,
                    data,
                    orig_len: len as u32,
                    csum_not_ready: false,
                }))
            }
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(Next::Idle)
            }
            Err(err) => Err(err),
        }
    }

    fn stats(&mut self) -> Stats {
        Stats::default()
    }

    fn link_type(&self) -> LinkType {
        LinkType::Raw
    }

    fn drain(&self) -> Option<Drain> {
        // Datagrams wait in the socket's queue, readable at once.
        Some(Drain {
            settle: Duration::ZERO,
            stamped_by_kernel: false,
        })
    }

    fn describe(&self) -> String {
        format!(
            "SOCK_RAW socket with SIO_RCVALL on {} (IP header, no link header)",
            self.addr
        )
    }
}

/// This computer's IPv4 addresses, found by resolving its own name.
fn host_addresses() -> Result<Vec<Ipv4Addr>, CaptureError> {
    let Some(name) = std::env::var_os("COMPUTERNAME") else {
        return Err(CaptureError::NoComputerName);
    };
    let name = name.to_string_lossy().into_owned();
    let resolved = (name.as_str(), 0).to_socket_addrs();
    let addrs = match resolved {
        Ok(addrs) => addrs,
        Err(source) => return Err(CaptureError::ResolveComputerName { name, source }),
    };
    let mut v4: Vec<Ipv4Addr> = addrs
        .filter_map(|a| match a.ip() {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        })
        .collect();
    v4.dedup();
    Ok(v4)
}

/// `-D` on Windows: the IPv4 addresses `--iface` accepts.
pub fn list_interfaces() -> Result<(), CaptureError> {
    for (i, addr) in host_addresses()?.iter().enumerate() {
        println!("{}. {addr}", i + 1);
    }
    println!("(on Windows, pass an address with --iface; capturing needs Administrator)");
    Ok(())
}
