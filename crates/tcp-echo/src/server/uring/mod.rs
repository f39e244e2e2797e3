//! The io_uring backend of `tcp-echo server` (`--io uring`).
//!
//! With epoll, every echoed message costs the server at least two kernel crossings, a read and
//! a write, and both servers spend most of their time in the kernel. Here each thread owns a
//! ring and asks the kernel for whole streams of work instead of single calls:
//!
//! - one multishot IORING_OP_ACCEPT per ring on the shared listening socket accepts every
//!   connection that thread gets;
//! - one multishot IORING_OP_RECV per connection receives into a ring of provided buffers, so an
//!   idle connection holds no buffer, and a busy one needs no new submission per message;
//! - sends (IORING_OP_SEND, one in flight per connection, partial sends continued in order) are
//!   collected during a turn of the loop and submitted together in the one io_uring_enter()
//!   that also waits for the next completions.
//!
//! Connections keep ordinary descriptors, not registered ones: the open-file limit then counts
//! them as it does for the epoll backend (`--max-conns`), and /proc shows them. The ring's own
//! descriptor is registered, which spares the kernel a descriptor lookup on every enter.
//!
//! A client that does not read costs only its own output, at most `conn::OUTPUT_CAP` and one
//! receive buffer: each multishot receive is armed with a total byte limit, the room left under
//! the cap, at which the kernel ends it; it is armed again once the client takes some. (A
//! cancellation would come too late: it is submitted at the end of a turn, and the receive goes
//! on delivering until then.)

mod conn;
mod ops;
mod worker;

use std::time::Duration;

use anyhow::{Context, Result};

use super::Shared;
use crate::uring::{new_ring, BufRing};
use worker::Worker;

pub use crate::uring::unavailable;

/// One thread's server: accepts on `listener` until the server stops, then gives its
/// connections up to `drain` to finish; returns how many were still busy after it.
pub fn serve(
    listener: std::net::TcpListener,
    shared: &Shared,
    max_conns: usize,
    drain: Duration,
) -> Result<usize> {
    let mut ring = new_ring().context("io_uring_setup() failed")?;
    let (mut submitter, mut sq, mut cq) = ring.split();
    // An optimisation only: without it every enter looks the ring's descriptor up.
    let _ = submitter.register_ring_fd();
    let mut bufs =
        BufRing::register(&submitter).context("cannot register the provided-buffer ring")?;
    let mut worker = Worker::new(shared, listener, max_conns, drain);
    let busy = worker.run(&submitter, &mut sq, &mut cq, &mut bufs);
    let abandoned = worker.abandoned();
    drop(worker);
    drop((submitter, sq, cq));
    // The ring goes first: the kernel must not read the buffer ring after it is freed.
    drop(ring);
    if abandoned {
        // Receives of abandoned connections may still be writing into the buffers.
        std::mem::forget(bufs);
    }
    busy
}
