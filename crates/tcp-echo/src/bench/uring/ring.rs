//! The load generator's io_uring submissions, and the only `unsafe` code of its backend: a
//! submission may name memory the kernel reads or writes later, so pushing one is unsafe.
//!
//! Each submission's user data holds the connection's index and the kind of operation, so a
//! completion finds its way back.

use std::os::fd::RawFd;
use std::time::Duration;

use io_uring::{opcode, squeue, types, SubmissionQueue, Submitter};

use crate::uring::BUF_GROUP;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Recv,
    Send,
}

pub fn user_data(index: usize, kind: Kind) -> u64 {
    (index as u64) << 1 | kind as u64
}

pub fn decode(user_data: u64) -> (usize, Kind) {
    let kind = if user_data & 1 == 0 {
        Kind::Recv
    } else {
        Kind::Send
    };
    ((user_data >> 1) as usize, kind)
}

/// IORING_OP_RECV, multishot, into the provided-buffer ring: one submission receives for the
/// connection until it ends or the ring runs out of buffers.
pub fn recv(index: usize, socket: RawFd) -> squeue::Entry {
    opcode::RecvMulti::new(types::Fd(socket), BUF_GROUP)
        .build()
        .user_data(user_data(index, Kind::Recv))
}

/// The submissions of one turn of the loop, handed to the kernel together.
#[derive(Default)]
pub struct Batch {
    entries: Vec<squeue::Entry>,
}

impl Batch {
    pub fn recv(&mut self, index: usize, socket: RawFd) {
        self.entries.push(recv(index, socket));
    }

    /// IORING_OP_SEND of `data`.
    ///
    /// The caller keeps `data` alive and untouched until the send's completion: a connection's
    /// output buffer is not written while its send is in flight (`Conn::send_in_flight`), and
    /// connections are dropped only when nothing of theirs is in the kernel, or leaked.
    pub fn send(&mut self, index: usize, socket: RawFd, data: &[u8]) {
        let entry = opcode::Send::new(types::Fd(socket), data.as_ptr(), data.len() as u32)
            // A server that reset the connection must be an EPIPE for this connection, not a
            // SIGPIPE for the process.
            .flags(libc::MSG_NOSIGNAL)
            .build()
            .user_data(user_data(index, Kind::Send));
        self.entries.push(entry);
    }

    /// Submits the batch and waits for at least one completion or `wait`, in one
    /// io_uring_enter() (more only when the submission queue is full).
    pub fn submit_and_wait(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut SubmissionQueue<'_>,
        wait: Duration,
    ) -> std::io::Result<()> {
        for entry in self.entries.drain(..) {
            // SAFETY: an entry names no memory (a receive into the buffer ring, which outlives
            // the ring: see `worker::run`) or a connection's output bytes, kept alive and
            // untouched until the send's completion, as `Batch::send` requires.
            while unsafe { sq.push(&entry) }.is_err() {
                sq.sync();
                submitter.submit()?;
                sq.sync();
            }
        }
        crate::uring::submit_and_wait_for(submitter, sq, wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_data_round_trips() {
        for kind in [Kind::Recv, Kind::Send] {
            assert_eq!(decode(user_data(12_345, kind)), (12_345, kind));
        }
    }
}
