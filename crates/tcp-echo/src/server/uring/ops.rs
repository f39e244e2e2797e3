//! The submissions the backend makes and how their completions find their way back: each
//! submission's user data holds the connection's slot and the kind of operation.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use super::buffers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Accept,
    Recv,
    Send,
    /// The completion of a cancel itself; the cancelled operation completes on its own.
    Cancel,
}

pub fn user_data(slot: usize, kind: Kind) -> u64 {
    (slot as u64) << 2 | kind as u64
}

pub fn decode(user_data: u64) -> (usize, Kind) {
    let kind = match user_data & 3 {
        0 => Kind::Accept,
        1 => Kind::Recv,
        2 => Kind::Send,
        _ => Kind::Cancel,
    };
    ((user_data >> 2) as usize, kind)
}

/// IORING_OP_ACCEPT, multishot: one submission accepts every connection until cancelled.
pub fn accept(listener: RawFd) -> squeue::Entry {
    opcode::AcceptMulti::new(types::Fd(listener))
        .build()
        .user_data(user_data(0, Kind::Accept))
}

/// IORING_OP_RECV, multishot, into the provided-buffer ring: one submission receives for the
/// connection until it ends, is cancelled or the ring runs out of buffers.
pub fn recv(slot: usize, socket: RawFd) -> squeue::Entry {
    opcode::RecvMulti::new(types::Fd(socket), buffers::GROUP)
        .build()
        .user_data(user_data(slot, Kind::Recv))
}

/// IORING_OP_SEND of `data`, which the caller keeps untouched until the completion arrives.
pub fn send(slot: usize, socket: RawFd, data: &[u8]) -> squeue::Entry {
    opcode::Send::new(types::Fd(socket), data.as_ptr(), data.len() as u32)
        // A client that reset the connection must be an EPIPE for this connection, not a
        // SIGPIPE for the process.
        .flags(libc::MSG_NOSIGNAL)
        .build()
        .user_data(user_data(slot, Kind::Send))
}

/// IORING_OP_ASYNC_CANCEL of the operation submitted with `target`.
pub fn cancel(target: u64) -> squeue::Entry {
    opcode::AsyncCancel::new(target)
        .build()
        .user_data(user_data(0, Kind::Cancel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips() {
        for kind in [Kind::Accept, Kind::Recv, Kind::Send, Kind::Cancel] {
            assert_eq!(decode(user_data(12_345, kind)), (12_345, kind));
        }
    }
}
