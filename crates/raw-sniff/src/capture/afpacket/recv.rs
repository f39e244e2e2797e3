//! The fallback without the mmap ring: one `recvfrom` per frame into a buffer of its own.

use std::io;
use std::mem::MaybeUninit;

use socket2::Socket;

use super::socket::is_loopback_echo;

/// A frame as `recvfrom` returned it, borrowed from the buffer until the next read.
pub(super) struct Received<'a> {
    /// The captured bytes (at most the buffer's size).
    pub(super) data: &'a [u8],
    /// The frame's true length (MSG_TRUNC reports it even when the buffer was shorter).
    pub(super) len: usize,
    /// Where the frame came from and how it was addressed.
    pub(super) addr: libc::sockaddr_ll,
}

/// The receive buffer.
pub(super) struct Recv {
    buf: Vec<MaybeUninit<u8>>,
}

impl Recv {
    /// A buffer of `len` bytes: frames longer than that are truncated.
    pub(super) fn new(len: usize) -> Recv {
        Recv {
            buf: vec![MaybeUninit::uninit(); len],
        }
    }

    /// The next frame that is not the outgoing copy of a loopback frame, or `None` when the
    /// socket's receive timeout passed with nothing.
    pub(super) fn next(
        &mut self,
        socket: &Socket,
        loopback: Option<i32>,
    ) -> io::Result<Option<Received<'_>>> {
        loop {
            let (len, addr) = match socket.recv_from_with_flags(&mut self.buf, libc::MSG_TRUNC) {
                Ok(got) => got,
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
            if is_loopback_echo(&ll, loopback) {
                // Skipped, not reported as Idle: Idle means nothing is waiting, and the
                // copy coming in may be next in the queue.
                continue;
            }
            let kept = len.min(self.buf.len());
            // SAFETY: recvfrom initialised the first `kept` bytes (`len` may be larger with
            // MSG_TRUNC: it is the frame's true length, not what was copied).
            let data = unsafe { std::slice::from_raw_parts(self.buf.as_ptr().cast::<u8>(), kept) };
            return Ok(Some(Received {
                data,
                len,
                addr: ll,
            }));
        }
    }
}
