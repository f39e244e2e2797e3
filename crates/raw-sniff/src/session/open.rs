//! Opening the packet source a [`Config`](super::Config) names, with the filter in the kernel
//! where the source can take it.

use super::config::{Live, Source};
use super::SessionError;
use crate::capture::Capture;
use crate::filter::Expr;
use crate::note::Note;

/// Opens `source`; a Linux packet socket gets `filter` compiled into the kernel. What the
/// source has to say on the way goes to `on_note`.
pub(super) fn open_source(
    source: &Source,
    filter: Option<&Expr>,
    on_note: &mut dyn FnMut(Note),
) -> Result<Box<dyn Capture>, SessionError> {
    match source {
        Source::File(path) => Ok(Box::new(crate::capture::file::PcapFile::open(path)?)),
        Source::IpRaw => open_ip_raw(),
        Source::Interface(live) => open_interface(live, filter, on_note),
    }
}

/// The name a `-w` pcapng file records for the capture's interface: the live interface or
/// `any`; none for IP raw sockets, which have no single interface, and for a file, whose
/// frames carry the names the file gave (if any).
pub(super) fn interface_name(source: &Source) -> Option<String> {
    match source {
        Source::Interface(live) => Some(live.iface.clone().unwrap_or_else(|| "any".to_owned())),
        Source::File(_) | Source::IpRaw => None,
    }
}

#[cfg(target_os = "linux")]
fn open_ip_raw() -> Result<Box<dyn Capture>, SessionError> {
    use crate::capture::sock_raw::{IpProto, SockRaw};
    Ok(Box::new(SockRaw::open(&[
        IpProto::Tcp,
        IpProto::Udp,
        IpProto::Icmp,
    ])?))
}

#[cfg(target_os = "linux")]
fn open_interface(
    live: &Live,
    filter: Option<&Expr>,
    on_note: &mut dyn FnMut(Note),
) -> Result<Box<dyn Capture>, SessionError> {
    use crate::capture::afpacket::{link_type_for, AfPacket, Options};
    use crate::user_filter::FilterError;
    let iface = live.iface.clone().unwrap_or_else(|| "any".to_owned());
    // The kernel runs the filter on frames as the socket gets them: with their Ethernet
    // header, or for a cooked socket from the network header on, asking the kernel for the
    // protocol the missing link header would have held.
    let link = link_type_for(&iface)?;
    // Either cooked header starts where the kernel's cooked frame does, so one program fits
    // both; `-y` only changes the header built in front of it afterwards.
    // Compiled without the kernel's length limit: the kernel judges what it takes, and the
    // capture filters in user space when it refuses.
    let program = match filter {
        Some(expr) if link == wire::LinkType::Ethernet => Some(
            crate::filter::compile_for_packet_socket_any_length(expr)
                .map_err(FilterError::Compile)?,
        ),
        Some(expr) => Some(
            crate::filter::compile_for_cooked_socket_any_length(expr)
                .map_err(FilterError::Compile)?,
        ),
        None => None,
    };
    let filter = program.map(|p| {
        p.instructions()
            .iter()
            .map(|i| socket2::SockFilter::new(i.code, i.jt, i.jf, i.k))
            .collect()
    });
    let options = Options {
        iface,
        promisc: live.promisc,
        buffer: live.buffer,
        ring: live.ring,
        filter,
        link: live.link,
        direction: live.direction,
        fanout: None,
    };
    Ok(Box::new(AfPacket::open(&options, on_note)?))
}

/// The kernel-side program for a live Ethernet packet socket, whose frames have lost their
/// outer VLAN tag to the kernel's metadata (see [`crate::filter::compile_for_packet_socket`]).
#[cfg(target_os = "linux")]
pub(super) fn ethernet_socket_program(
    expr: &Expr,
) -> Result<crate::filter::Program, crate::user_filter::FilterError> {
    crate::filter::compile_for_packet_socket(expr).map_err(crate::user_filter::FilterError::Compile)
}

// SIO_RCVALL is both Windows' raw IP socket and its only live capture.
#[cfg(windows)]
fn open_ip_raw() -> Result<Box<dyn Capture>, SessionError> {
    Ok(Box::new(crate::capture::windows::RcvAll::open(None)?))
}

#[cfg(windows)]
fn open_interface(
    live: &Live,
    _filter: Option<&Expr>,
    _on_note: &mut dyn FnMut(Note),
) -> Result<Box<dyn Capture>, SessionError> {
    Ok(Box::new(crate::capture::windows::RcvAll::open(
        live.iface.as_deref(),
    )?))
}

#[cfg(not(any(target_os = "linux", windows)))]
fn open_ip_raw() -> Result<Box<dyn Capture>, SessionError> {
    Err(crate::capture::CaptureError::LiveUnsupported.into())
}

#[cfg(not(any(target_os = "linux", windows)))]
fn open_interface(
    _live: &Live,
    _filter: Option<&Expr>,
    _on_note: &mut dyn FnMut(Note),
) -> Result<Box<dyn Capture>, SessionError> {
    open_ip_raw()
}
