//! One connection of the io_uring load generator: what it has sent, what has come back and been
//! verified, and whether it is done. No system calls here: the worker turns the state into
//! submissions and feeds it completions.
//!
//! Ping-pong and stream are one pattern with a different window: a connection sends its byte
//! sequence in writes of `per_write` bytes (one message in ping-pong, as many as fit in 64 KiB
//! in stream mode); ping-pong starts the next write only when the last one's whole echo is back
//! and verified, stream mode as soon as the last send completed. Idle sends one write after
//! the run ends.

use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::super::args::Mode;
use super::super::conn::ConnError;
use super::super::pattern::Pattern;

pub struct Conn {
    pub id: u64,
    /// Owns the descriptor; shut down when the connection ends, closed when dropped.
    pub socket: TcpStream,
    pattern: Pattern,
    mode: Mode,
    /// Bytes of one write, and the messages in it.
    per_write: usize,
    messages_per_write: u64,
    /// The write in progress: `out[sent..]` is still to go. Never touched while
    /// `send_in_flight`: the kernel reads it.
    pub out: Vec<u8>,
    pub sent: usize,
    pub send_in_flight: bool,
    /// Stream offset after the last byte handed to a send.
    written: u64,
    /// Stream offset after the last byte that came back and matched.
    received: u64,
    /// The writes whose echo is not all back: where each ends and when it started.
    owed: VecDeque<(u64, Instant)>,
    pub recv_armed: bool,
    /// Idle mode: whether the write after the run has been made.
    final_write: bool,
    /// Receiving or sending anything is progress; the timeout counts from the last.
    last_progress: Instant,
    /// Set once the connection has ended, clean (`None`) or on an error.
    pub ended: Option<Option<ConnError>>,
    /// Whether the end has been counted in the shared statistics.
    pub reported: bool,
    scratch: Vec<u8>,
}

/// What a turn of the loop collects from its connections, added to the shared counters once.
#[derive(Default)]
pub struct Tally {
    pub messages: u64,
    pub bytes: u64,
}

impl Conn {
    /// A connection whose first `start` bytes were sent and echoed already (idle mode's first
    /// echo, made before the run).
    pub fn new(
        id: u64,
        socket: TcpStream,
        pattern: Pattern,
        mode: Mode,
        size: usize,
        start: u64,
    ) -> Conn {
        let per_write = match mode {
            Mode::Stream => (super::super::conn::STREAM_WRITE / size).max(1) * size,
            Mode::Pingpong | Mode::Idle => size,
        };
        Conn {
            id,
            socket,
            pattern,
            mode,
            per_write,
            messages_per_write: (per_write / size) as u64,
            out: vec![0; per_write],
            sent: per_write,
            send_in_flight: false,
            written: start,
            received: start,
            owed: VecDeque::new(),
            recv_armed: false,
            final_write: false,
            last_progress: Instant::now(),
            ended: None,
            reported: false,
            scratch: Vec::new(),
        }
    }

    /// Whether the kernel holds an operation of this connection.
    pub fn in_kernel(&self) -> bool {
        self.recv_armed || self.send_in_flight
    }

    /// With no send in flight: the bytes to send next, if any, after filling in the next write
    /// when one is due. `stopped` is whether the timed run has ended.
    pub fn next_send(&mut self, stopped: bool, now: Instant) -> Option<&[u8]> {
        if self.ended.is_some() || self.send_in_flight {
            return None;
        }
        if self.sent == self.out.len() {
            let due = match self.mode {
                Mode::Pingpong => !stopped && self.owed.is_empty(),
                Mode::Stream => !stopped,
                Mode::Idle => stopped && !self.final_write && self.owed.is_empty(),
            };
            if !due {
                return None;
            }
            self.final_write = stopped;
            self.pattern.fill(self.written, &mut self.out);
            self.written += self.out.len() as u64;
            // The clock for a timeout starts when something is owed.
            if self.owed.is_empty() {
                self.last_progress = now;
            }
            self.owed.push_back((self.written, now));
            self.sent = 0;
        }
        Some(&self.out[self.sent..])
    }

    /// A send completed with `result` (bytes, or a negative errno).
    pub fn sent(&mut self, result: i32, now: Instant) {
        self.send_in_flight = false;
        if self.ended.is_some() {
            return;
        }
        match result {
            n if n > 0 => {
                self.sent += n as usize;
                self.last_progress = now;
            }
            0 => self.fail(ConnError::Io(io::ErrorKind::WriteZero.into())),
            err => self.fail(ConnError::Io(io::Error::from_raw_os_error(-err))),
        }
    }

    /// Bytes came back: verifies them and records every write whose echo is now complete.
    pub fn received(
        &mut self,
        data: &[u8],
        now: Instant,
        counting: bool,
        tally: &mut Tally,
        latencies: &mut Histogram<u64>,
    ) {
        if self.ended.is_some() {
            return;
        }
        if self.received + data.len() as u64 > self.written {
            let extra = self.received + data.len() as u64 - self.written;
            self.fail(ConnError::Io(io::Error::other(format!(
                "the server sent {extra} bytes more than it was sent"
            ))));
            return;
        }
        if let Err(mismatch) = self.pattern.check(self.received, data, &mut self.scratch) {
            self.fail(ConnError::Mismatch(mismatch));
            return;
        }
        self.received += data.len() as u64;
        self.last_progress = now;
        while let Some(&(end, started)) = self.owed.front() {
            if end > self.received {
                break;
            }
            self.owed.pop_front();
            let ns = u64::try_from((now - started).as_nanos())
                .unwrap_or(u64::MAX)
                .max(1);
            latencies.saturating_record_n(ns, self.messages_per_write);
            if counting {
                tally.messages += self.messages_per_write;
                tally.bytes += self.per_write as u64;
            }
        }
    }

    /// The server closed its side.
    pub fn closed(&mut self) {
        if self.ended.is_none() {
            let outstanding = self.written - self.received;
            self.fail(ConnError::Closed { outstanding });
        }
    }

    pub fn fail(&mut self, error: ConnError) {
        if self.ended.is_none() {
            self.ended = Some(Some(error));
        }
    }

    /// After the run: ends the connection clean once nothing is owed. `true` when it ended now.
    pub fn finish_if_done(&mut self, stopped: bool) -> bool {
        if self.ended.is_some() || !stopped || self.send_in_flight || !self.owed.is_empty() {
            return false;
        }
        if self.mode == Mode::Idle && !self.final_write {
            return false;
        }
        self.ended = Some(None);
        true
    }

    /// Ends the connection when something is owed and nothing arrived for `timeout`.
    pub fn check_timeout(&mut self, now: Instant, timeout: Duration) {
        if self.ended.is_some() || self.owed.is_empty() {
            return;
        }
        if now.duration_since(self.last_progress) >= timeout {
            let waiting_for = match self.mode {
                Mode::Stream if self.sent < self.out.len() => "the server to read (write blocked)",
                Mode::Stream => "the echo of a write",
                Mode::Pingpong | Mode::Idle => "an echo",
            };
            self.fail(ConnError::Timeout { waiting_for });
        }
    }
}
