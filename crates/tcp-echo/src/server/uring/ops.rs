//! The submissions the backend makes and how their completions find their way back: each
//! submission's user data holds the connection's slot and the kind of operation.

use std::os::fd::RawFd;

use io_uring::{opcode, squeue, types};

use crate::uring::BUF_GROUP;

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
/// connection until it ends, is cancelled, the ring runs out of buffers, or, with `limit`, it has
/// received that many bytes (give or take the last buffer: see `with_total_limit`).
pub fn recv(slot: usize, socket: RawFd, limit: Option<u32>) -> squeue::Entry {
    let entry = opcode::RecvMulti::new(types::Fd(socket), BUF_GROUP)
        .build()
        .user_data(user_data(slot, Kind::Recv));
    match limit {
        Some(limit) => with_total_limit(entry, limit),
        None => entry,
    }
}

/// IORING_OP_RECV, one shot, into `buffer`, which the caller keeps alive and untouched until
/// the completion arrives. For a connection whose multishot receive found the buffer ring empty:
/// its own buffer cannot be taken by other connections' receives.
pub fn recv_into(slot: usize, socket: RawFd, buffer: &mut [u8]) -> squeue::Entry {
    opcode::Recv::new(types::Fd(socket), buffer.as_mut_ptr(), buffer.len() as u32)
        .build()
        .user_data(user_data(slot, Kind::Recv))
}

/// Where `optlen` (shared with `file_index` and `splice_fd_in`) lies in `struct io_uring_sqe`.
const SQE_OPTLEN: std::ops::Range<usize> = 44..48;

/// Sets the total byte limit of a multishot receive (the SQE's `optlen`, a 2025 addition to
/// Linux): once it has received that many bytes the kernel ends it with a completion without
/// IORING_CQE_F_MORE, in the same step that delivers the data, so no later completion of it can
/// follow. The kernel subtracts what each receive returned; a receive that started below the
/// limit may fill its whole buffer, so the limit holds to within one buffer (`buffers::SIZE`).
/// Older kernels refuse the field with EINVAL. The io-uring crate has no setter for it.
fn with_total_limit(entry: squeue::Entry, limit: u32) -> squeue::Entry {
    // SAFETY: `squeue::Entry` is `#[repr(C)]` around the kernel's 64-byte `io_uring_sqe` and
    // nothing else (transmute checks the size), and every bit pattern is a valid SQE to Rust.
    let mut raw: [u8; 64] = unsafe { std::mem::transmute(entry) };
    raw[SQE_OPTLEN].copy_from_slice(&limit.to_ne_bytes());
    // SAFETY: as above; only the `optlen` field changed.
    unsafe { std::mem::transmute::<[u8; 64], squeue::Entry>(raw) }
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

    fn bytes(entry: squeue::Entry) -> [u8; 64] {
        // SAFETY: as in `with_total_limit`.
        unsafe { std::mem::transmute(entry) }
    }

    /// The raw offset is checked against the crate's own layout: its accept sets `file_index`,
    /// the union `optlen` belongs to, when asked to allocate a fixed descriptor.
    #[test]
    fn optlen_offset_matches_the_crates_sqe() {
        let plain = bytes(opcode::AcceptMulti::new(types::Fd(3)).build());
        let fixed = bytes(
            opcode::AcceptMulti::new(types::Fd(3))
                .allocate_file_index(true)
                .build(),
        );
        let differ: Vec<usize> = (0..64).filter(|&at| plain[at] != fixed[at]).collect();
        assert_eq!(differ, SQE_OPTLEN.collect::<Vec<_>>());
    }

    /// A receive with a limit differs from one without in those four bytes and nowhere else.
    #[test]
    fn total_limit_lands_in_optlen_only() {
        let plain = bytes(recv(7, 3, None));
        let limited = bytes(recv(7, 3, Some(0x0102_0304)));
        for (at, (a, b)) in plain.iter().zip(&limited).enumerate() {
            if SQE_OPTLEN.contains(&at) {
                assert_eq!(*a, 0, "byte {at} of the plain entry");
            } else {
                assert_eq!(a, b, "byte {at}");
            }
        }
        assert_eq!(limited[SQE_OPTLEN], 0x0102_0304u32.to_ne_bytes());
    }

    #[test]
    fn user_data_round_trips() {
        for kind in [Kind::Accept, Kind::Recv, Kind::Send, Kind::Cancel] {
            assert_eq!(decode(user_data(12_345, kind)), (12_345, kind));
        }
    }
}
