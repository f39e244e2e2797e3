//! Why a capture could not be opened. Each message names what failed and, where the user can
//! do something about it, what: the privilege to grant, the command that lists interfaces.
//!
//! Where a system call failed, its `io::Error` is the variant's source and the message leaves
//! it out, so a report that prints the source chain (`anyhow`'s `{:#}`) reads
//! "cannot bind to interface eth0: No such device". A refusal for lack of privilege carries no
//! source: the message says all of it, and the fix.

use std::io;
use std::path::PathBuf;

use wire::pcap::PcapError;

/// A capture source that could not be opened or set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The capture file could not be opened.
    #[error("cannot open {}", path.display())]
    OpenFile {
        /// The file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// The capture file's header could not be read: not a capture file, or cut short.
    #[error("cannot read {}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: PcapError,
    },
    /// An interface name that cannot be one (empty, or a path).
    #[error("bad interface name {0:?}")]
    BadInterfaceName(String),
    /// No interface has this name.
    #[error("no interface named {0} (list them with `raw-sniff -D`)")]
    NoSuchInterface(String),
    /// Packet sockets need root or `CAP_NET_RAW`.
    #[error(
        "capturing on {0} needs root or CAP_NET_RAW: run with sudo, or once \
         `sudo setcap cap_net_raw,cap_net_admin+ep $(command -v raw-sniff)`"
    )]
    PacketSocketNeedsPrivilege(String),
    /// The packet socket could not be created for another reason.
    #[error("socket(AF_PACKET) failed")]
    PacketSocket(#[source] io::Error),
    /// The packet socket could not be bound to the interface.
    #[error("cannot bind to interface {iface}")]
    Bind {
        /// The interface.
        iface: String,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// The interface could not be put in promiscuous mode.
    #[error("cannot enable promiscuous mode")]
    Promiscuous(#[source] io::Error),
    /// The sockets of a multi-threaded capture could not be joined in one `PACKET_FANOUT`
    /// group (a kernel without fanout, or one that refused the group).
    #[error("cannot join the capture sockets in a PACKET_FANOUT group")]
    Fanout(#[source] io::Error),
    /// The socket's receive timeout, which lets the loop see Ctrl-C, could not be set.
    #[error("cannot set a receive timeout")]
    ReceiveTimeout(#[source] io::Error),
    /// Raw IP sockets need root or `CAP_NET_RAW`.
    #[error(
        "raw sockets need root or CAP_NET_RAW: run with sudo, or once \
         `sudo setcap cap_net_raw+ep $(command -v raw-sniff)`"
    )]
    RawSocketNeedsPrivilege,
    /// A raw IP socket could not be created for another reason.
    #[cfg(target_os = "linux")]
    #[error("socket(AF_INET, SOCK_RAW, {proto:?}) failed")]
    RawSocket {
        /// The protocol it was for.
        proto: super::sock_raw::IpProto,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// `-y` named a link type this interface cannot deliver.
    #[error(
        "{link} is not one of the link types raw-sniff captures on {iface} (use -L to list them)"
    )]
    LinkTypeNotOffered {
        /// The interface.
        iface: String,
        /// The link type asked for.
        link: String,
    },
    /// A socket option a raw IP socket needs could not be set. It was always reported as the
    /// system's own message, with nothing before it.
    #[error(transparent)]
    RawSocketOption(io::Error),
    /// On Windows, `--iface` is an interface's IPv4 address.
    #[cfg(windows)]
    #[error("on Windows, --iface takes an interface's IPv4 address (see raw-sniff -D), not {0:?}")]
    NotAnAddress(String),
    /// On Windows, no `--iface` and no address of this computer to default to.
    #[cfg(windows)]
    #[error("no IPv4 address to capture on; pass one with --iface")]
    NoAddress,
    /// On Windows, raw sockets need Administrator rights.
    #[cfg(windows)]
    #[error("raw sockets need Administrator rights: run the terminal as Administrator")]
    RawSocketNeedsAdministrator,
    /// On Windows, the raw socket could not be created for another reason.
    #[cfg(windows)]
    #[error("socket(AF_INET, SOCK_RAW) failed")]
    WindowsRawSocket(#[source] io::Error),
    /// On Windows, the raw socket could not be bound to the interface's address.
    #[cfg(windows)]
    #[error("cannot bind the raw socket to {addr}")]
    BindAddress {
        /// The address.
        addr: std::net::Ipv4Addr,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// On Windows, "receive all" needs Administrator rights.
    #[cfg(windows)]
    #[error("SIO_RCVALL needs Administrator rights: run the terminal as Administrator")]
    ReceiveAllNeedsAdministrator,
    /// On Windows, "receive all" could not be switched on for another reason.
    #[cfg(windows)]
    #[error("WSAIoctl(SIO_RCVALL) on {addr} failed")]
    ReceiveAll {
        /// The interface address.
        addr: std::net::Ipv4Addr,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// On Windows, this computer's addresses are found from its name, and it has none.
    #[cfg(windows)]
    #[error("cannot tell this computer's name (COMPUTERNAME is not set); pass --iface ADDRESS")]
    NoComputerName,
    /// On Windows, this computer's name did not resolve to its addresses.
    #[cfg(windows)]
    #[error("cannot resolve this computer's name {name}")]
    ResolveComputerName {
        /// The name.
        name: String,
        /// Why not.
        #[source]
        source: io::Error,
    },
    /// Live capture on a system raw-sniff has no backend for.
    #[cfg(not(any(target_os = "linux", windows)))]
    #[error("live capture is implemented for Linux and Windows; use --read FILE here")]
    LiveUnsupported,
}
