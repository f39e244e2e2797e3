//! One connection of the io_uring backend: what it owes its client, which operations the kernel
//! holds for it, and how it ends. No system calls here: the worker turns the state into
//! submissions.

use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use crate::server::progress::Ended;
use crate::server::stats::OpenGuard;

/// Pending output beyond which a connection stops receiving: a client that sends and never
/// reads then costs this much of the server's memory and no more, as with the epoll backend,
/// which holds one read of at most 64 KiB while its write waits.
pub const OUTPUT_CAP: usize = 64 * 1024;

/// The most a receive into a connection's own buffer takes (see [`Conn::own_buffer`]).
pub const OWN_BUFFER: usize = 4 * 1024;

/// Where the connection's multishot receive stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recv {
    /// None in the kernel.
    Off,
    Armed,
    /// A cancel was submitted; the receive's last completion has not come yet.
    Cancelling,
}

pub struct Conn {
    /// Owns the descriptor: dropping the connection closes it.
    pub socket: TcpStream,
    /// Only looked up when `--verbose` prints it.
    pub peer: Option<SocketAddr>,
    pub _guard: OpenGuard,
    /// The bytes of the send in flight (the kernel reads them) from `sent` on. Never touched
    /// while `send_in_flight`: the kernel holds a pointer into it.
    pub sending: Vec<u8>,
    pub sent: usize,
    pub send_in_flight: bool,
    pub send_cancelled: bool,
    /// Output that arrived while a send was in flight; it goes out next, in order.
    pub queued: Vec<u8>,
    pub recv: Recv,
    /// Whether the receive was armed with a total byte limit (`ops::recv`).
    pub recv_limited: bool,
    /// Set when the multishot receive ended because the buffer ring was empty: the next receive
    /// goes into `own_buffer` instead. While many clients flood the server, their receives can
    /// empty the ring turn after turn, and a connection that only ever gets ENOBUFS would be
    /// starved past `--idle-timeout` by other connections' traffic.
    pub ring_ran_dry: bool,
    /// Whether the receive in the kernel (`recv` not `Off`) is a one-shot into `own_buffer`.
    pub recv_into_own: bool,
    /// The buffer of that receive, at most [`OWN_BUFFER`] bytes, held only while it is in the
    /// kernel: never touched then, since the kernel writes into it.
    pub own_buffer: Vec<u8>,
    /// `--php-demo`: the partial line so far.
    pub php: Option<Vec<u8>>,
    /// Bytes at the front of the output not counted in the summary (the PHP demo's greeting).
    pub uncounted: usize,
    /// Set once the connection is to end; it closes when the kernel holds nothing of it.
    pub ending: Option<Ended>,
    /// Reading or sending anything is progress; `--idle-timeout` counts from the last.
    pub last_progress: Instant,
}

impl Conn {
    pub fn new(socket: TcpStream, peer: Option<SocketAddr>, guard: OpenGuard) -> Conn {
        Conn {
            socket,
            peer,
            _guard: guard,
            sending: Vec::new(),
            sent: 0,
            send_in_flight: false,
            send_cancelled: false,
            queued: Vec::new(),
            recv: Recv::Off,
            recv_limited: false,
            ring_ran_dry: false,
            recv_into_own: false,
            own_buffer: Vec::new(),
            php: None,
            uncounted: 0,
            ending: None,
            last_progress: Instant::now(),
        }
    }

    /// Bytes received but not yet taken by the client.
    pub fn pending_output(&self) -> usize {
        self.sending.len() - self.sent + self.queued.len()
    }

    /// Ends that close at once, dropping output; the others (the client's FIN, `quit`, the
    /// server stopping) first send everything owed.
    pub fn forced(&self) -> bool {
        matches!(
            self.ending,
            Some(Ended::Idle(_) | Ended::Stalled(_) | Ended::Failed(_))
        )
    }

    /// Whether a receive should be armed: not ending, and not over the output cap.
    pub fn wants_input(&self) -> bool {
        self.ending.is_none() && self.pending_output() < OUTPUT_CAP
    }

    /// With no send in flight: moves the queued output into the send buffer. `true` when there
    /// is something to send.
    pub fn next_send(&mut self) -> bool {
        debug_assert!(!self.send_in_flight);
        if self.sent == self.sending.len() {
            self.sending.clear();
            self.sent = 0;
            std::mem::swap(&mut self.sending, &mut self.queued);
        }
        // Both buffers keep their capacity while data flows: a busy stream would otherwise
        // allocate and grow them again for every message. `release_buffers` frees them once
        // the connection goes quiet.
        !self.sending.is_empty()
    }

    /// Frees the output buffers of a connection with nothing to send: an idle connection holds
    /// a socket and this struct, no buffers.
    pub fn release_buffers(&mut self) {
        if !self.send_in_flight && self.pending_output() == 0 && self.sending.capacity() > 0 {
            self.sending = Vec::new();
            self.queued = Vec::new();
            self.sent = 0;
        }
    }

    /// Counts `n` bytes the client took; returns how many of them count in the summary.
    pub fn took(&mut self, n: usize) -> usize {
        self.sent += n;
        self.last_progress = Instant::now();
        let skipped = n.min(self.uncounted);
        self.uncounted -= skipped;
        n - skipped
    }

    /// Whether the connection can be closed now: ending, and nothing of it in the kernel.
    pub fn can_close(&self) -> bool {
        self.ending.is_some()
            && self.recv == Recv::Off
            && !self.send_in_flight
            && (self.forced() || self.pending_output() == 0)
    }
}
