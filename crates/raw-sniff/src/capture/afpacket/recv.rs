//! The fallback without the mmap ring: one `recvmsg` per frame into a buffer of its own,
//! with the kernel's `tpacket_auxdata` alongside (`PACKET_AUXDATA`) for the VLAN tag it took
//! out of the frame.

use std::io;
use std::mem::{size_of, MaybeUninit};

use socket2::{MaybeUninitSlice, MsgHdrMut, SockAddr, SockAddrStorage, Socket};

use super::ring::VlanTag;

/// Room for one `PACKET_AUXDATA` control message (a `cmsghdr` and a `tpacket_auxdata`),
/// with margin.
const CONTROL_LEN: usize = 64;

/// A frame as `recvfrom` returned it, borrowed from the buffer until the next read.
pub(super) struct Received<'a> {
    /// The captured bytes (at most the buffer's size).
    pub(super) data: &'a [u8],
    /// The frame's true length (MSG_TRUNC reports it even when the buffer was shorter).
    pub(super) len: usize,
    /// Where the frame came from and how it was addressed.
    pub(super) addr: libc::sockaddr_ll,
    /// The VLAN tag the kernel took out of the frame, if it did.
    pub(super) vlan: Option<VlanTag>,
}

/// The receive buffer.
pub(super) struct Recv {
    buf: Vec<MaybeUninit<u8>>,
    control: [MaybeUninit<u8>; CONTROL_LEN],
}

impl Recv {
    /// A buffer of `len` bytes: frames longer than that are truncated.
    pub(super) fn new(len: usize) -> Recv {
        Recv {
            buf: vec![MaybeUninit::uninit(); len],
            control: [MaybeUninit::uninit(); CONTROL_LEN],
        }
    }

    /// The next frame whose address `wanted` accepts (so not the outgoing copy of a loopback
    /// frame, nor one going the way `-Q` leaves out), or `None` when the socket's receive
    /// timeout passed with nothing.
    pub(super) fn next(
        &mut self,
        socket: &Socket,
        wanted: impl Fn(&libc::sockaddr_ll) -> bool,
    ) -> io::Result<Option<Received<'_>>> {
        loop {
            // SAFETY: an all-zero sockaddr_storage is a valid (unspecified) address, and its
            // full size is the length recvmsg may fill in.
            let mut addr = unsafe {
                SockAddr::new(
                    SockAddrStorage::zeroed(),
                    size_of::<libc::sockaddr_storage>() as libc::socklen_t,
                )
            };
            let mut bufs = [MaybeUninitSlice::new(&mut self.buf)];
            let mut msg = MsgHdrMut::new()
                .with_addr(&mut addr)
                .with_buffers(&mut bufs)
                .with_control(&mut self.control);
            let received = socket.recvmsg(&mut msg, libc::MSG_TRUNC);
            let control_len = msg.control_len().min(CONTROL_LEN);
            let len = match received {
                Ok(len) => len,
                Err(err)
                    if matches!(
                        err.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    return Ok(None)
                }
                Err(err) => return Err(err),
            };
            // SAFETY: an AF_PACKET socket returns a sockaddr_ll, which fits in the
            // sockaddr_storage SockAddr holds; reading it as one is reading what the kernel
            // wrote.
            let ll = unsafe { addr.as_ptr().cast::<libc::sockaddr_ll>().read_unaligned() };
            if !wanted(&ll) {
                // Skipped, not reported as Idle: Idle means nothing is waiting, and the
                // copy coming in may be next in the queue.
                continue;
            }
            // SAFETY: recvmsg wrote `control_len` bytes of control messages at the start of
            // the control buffer.
            let control = unsafe {
                std::slice::from_raw_parts(self.control.as_ptr().cast::<u8>(), control_len)
            };
            let vlan = auxdata_vlan(control);
            let kept = len.min(self.buf.len());
            // SAFETY: recvfrom initialised the first `kept` bytes (`len` may be larger with
            // MSG_TRUNC: it is the frame's true length, not what was copied).
            let data = unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), kept) };
            return Ok(Some(Received {
                data,
                len,
                addr: ll,
                vlan,
            }));
        }
    }
}

/// The VLAN tag a `PACKET_AUXDATA` control message among `control` describes, if any.
///
/// Read field by field from the bytes rather than through `CMSG_*` pointers: a `cmsghdr`
/// (`cmsg_len` as a native `usize`, then level and type as `i32`), its data at the next
/// `usize` boundary, the next message at the one after the data.
fn auxdata_vlan(control: &[u8]) -> Option<VlanTag> {
    const WORD: usize = size_of::<usize>();
    let align = |n: usize| n.checked_add(WORD - 1).map(|n| n & !(WORD - 1));
    let hdr_len = align(size_of::<libc::cmsghdr>())?;
    let mut at: usize = 0;
    while let Some(hdr) = control.get(at..at.checked_add(hdr_len)?) {
        let cmsg_len = usize::from_ne_bytes(hdr[..WORD].try_into().ok()?);
        let level = i32::from_ne_bytes(hdr[WORD..WORD + 4].try_into().ok()?);
        let kind = i32::from_ne_bytes(hdr[WORD + 4..WORD + 8].try_into().ok()?);
        let data = control.get(at + hdr_len..at.checked_add(cmsg_len)?)?;
        if level == libc::SOL_PACKET && kind == libc::PACKET_AUXDATA {
            // tpacket_auxdata: tp_status, tp_len, tp_snaplen (u32), tp_mac, tp_net,
            // tp_vlan_tci, tp_vlan_tpid (u16).
            let u16_at = |i: usize| Some(u16::from_ne_bytes(data.get(i..i + 2)?.try_into().ok()?));
            let status = u32::from_ne_bytes(data.get(..4)?.try_into().ok()?);
            return VlanTag::from_header(status, u32::from(u16_at(16)?), u16_at(18)?);
        }
        if cmsg_len < hdr_len {
            return None;
        }
        at = align(at.checked_add(cmsg_len)?)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A control message as the kernel lays it out on this machine.
    fn cmsg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
        let hdr = size_of::<libc::cmsghdr>();
        let mut v = (hdr + data.len()).to_ne_bytes().to_vec();
        v.extend_from_slice(&level.to_ne_bytes());
        v.extend_from_slice(&kind.to_ne_bytes());
        v.resize(hdr, 0);
        v.extend_from_slice(data);
        v.resize(v.len().next_multiple_of(size_of::<usize>()), 0);
        v
    }

    fn auxdata(status: u32, tci: u16, tpid: u16) -> Vec<u8> {
        let mut d = status.to_ne_bytes().to_vec();
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(&[0; 4]);
        d.extend_from_slice(&tci.to_ne_bytes());
        d.extend_from_slice(&tpid.to_ne_bytes());
        d
    }

    #[test]
    fn auxdata_gives_the_tag_the_kernel_took_out() {
        let valid = libc::TP_STATUS_VLAN_VALID;
        let tpid_valid = libc::TP_STATUS_VLAN_TPID_VALID;
        let aux = |d: &[u8]| cmsg(libc::SOL_PACKET, libc::PACKET_AUXDATA, d);
        assert_eq!(auxdata_vlan(&aux(&auxdata(0, 0, 0))), None);
        assert_eq!(
            auxdata_vlan(&aux(&auxdata(valid, 0, 0))),
            Some(VlanTag {
                tpid: 0x8100,
                tci: 0
            })
        );
        assert_eq!(
            auxdata_vlan(&aux(&auxdata(valid | tpid_valid, 0x200a, 0x88a8))),
            Some(VlanTag {
                tpid: 0x88a8,
                tci: 0x200a
            })
        );
        // After another control message; and cut short, nothing rather than a panic.
        let mut two = cmsg(libc::SOL_SOCKET, 1, &[1, 2, 3]);
        two.extend_from_slice(&aux(&auxdata(0, 20, 0)));
        assert_eq!(
            auxdata_vlan(&two),
            Some(VlanTag {
                tpid: 0x8100,
                tci: 20
            })
        );
        for cut in 0..two.len() {
            let _ = auxdata_vlan(&two[..cut]);
        }
        assert_eq!(auxdata_vlan(&[]), None);
    }
}
