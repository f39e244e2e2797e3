//! The io_uring backend of `tcp-echo bench` (`--io uring`).
//!
//! The tokio client pays at least a read and a write system call per message, plus the wakeups
//! of its tasks, and on a machine it shares with the server that CPU is taken from the server.
//! Here each load thread owns a ring, as the server's threads do: every connection of the thread
//! has one multishot receive into a provided-buffer ring (shared with the server,
//! `crate::uring`), echoes are verified straight from the kernel's buffer, and the sends that the
//! completions of one turn of the loop make are submitted together in the one io_uring_enter()
//! that also waits for the next completions.
//!
//! Connections are opened before the ring starts, one blocking connect at a time per thread
//! (idle mode's first echo too): the handshakes are not what is measured, and one at a time per
//! thread cannot overflow the server's listen backlog.

mod conn;
mod ring;

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use hdrhistogram::Histogram;
use io_uring::{cqueue, CompletionQueue, SubmissionQueue, Submitter};
use tokio_util::sync::CancellationToken;

use super::args::Mode;
use super::conn::{describe_io, never_started, ConnError, Plan, Stats};
use super::pattern::{first_difference, Pattern};
use crate::uring::{new_ring, BufRing};
use conn::{Conn, Tally};
use ring::{Batch, Kind};

/// The longest the loop sleeps: how finely it measures the timeout and notices the run ending.
const TICK: Duration = Duration::from_millis(100);
/// After every connection ended, how long the kernel gets to finish their operations.
const GRACE: Duration = Duration::from_secs(1);

/// Starts `threads` (at most one per connection) OS threads, each with its own ring driving
/// every `threads`-th connection.
pub fn spawn_workers(
    threads: usize,
    plan: &Arc<Plan>,
    stats: &Arc<Stats>,
    total: u64,
    abandon: &CancellationToken,
) -> anyhow::Result<Vec<std::thread::JoinHandle<()>>> {
    let workers = threads
        .min(usize::try_from(total).unwrap_or(usize::MAX))
        .max(1);
    let mut handles = Vec::with_capacity(workers);
    for worker in 0..workers {
        let (plan, stats, abandon) = (plan.clone(), stats.clone(), abandon.clone());
        let ids: Vec<u64> = (worker as u64..total).step_by(workers).collect();
        let handle = std::thread::Builder::new()
            .name(format!("bench-{worker}"))
            .spawn(move || {
                let mut latencies = Stats::new_histogram();
                run(&ids, &plan, &stats, &abandon, &mut latencies);
                stats.add_latencies(worker as u64, &latencies);
            })
            .context("cannot start a worker thread")?;
        handles.push(handle);
    }
    Ok(handles)
}

/// One thread's share of the connections, from connect to close.
fn run(
    ids: &[u64],
    plan: &Plan,
    stats: &Stats,
    abandon: &CancellationToken,
    latencies: &mut Histogram<u64>,
) {
    let mut ring = match new_ring() {
        Ok(ring) => ring,
        Err(e) => {
            let message = format!("io_uring_setup() failed: {e}");
            ids.iter().for_each(|_| never_started(stats, &message));
            return;
        }
    };
    let (mut submitter, mut sq, mut cq) = ring.split();
    // An optimisation only: without it every enter looks the ring's descriptor up.
    let _ = submitter.register_ring_fd();
    let mut bufs = match BufRing::register(&submitter) {
        Ok(bufs) => bufs,
        Err(e) => {
            let message = format!("cannot register the provided-buffer ring: {e}");
            ids.iter().for_each(|_| never_started(stats, &message));
            return;
        }
    };

    let conns = connect_all(ids, plan, stats, latencies);
    let mut worker = Worker {
        plan,
        stats,
        live: conns.len(),
        conns,
        batch: Batch::default(),
        stopped: false,
        tally: Tally::default(),
    };
    let settled = worker.run(&submitter, &mut sq, &mut cq, &mut bufs, abandon, latencies);
    let conns = std::mem::take(&mut worker.conns);
    drop((submitter, sq, cq));
    // The ring goes first: the kernel must not read the buffer ring after it is freed.
    drop(ring);
    if settled {
        drop(conns);
        drop(bufs);
    } else {
        // Operations may still be in the kernel, reading connections' output or writing the
        // receive buffers: leak both rather than free memory it could still touch.
        std::mem::forget(conns);
        std::mem::forget(bufs);
    }
}

/// Opens this thread's connections one after another; idle mode also makes each one's first
/// echo, as the tokio client does, so a connection counts only once the server has served it.
fn connect_all(
    ids: &[u64],
    plan: &Plan,
    stats: &Stats,
    latencies: &mut Histogram<u64>,
) -> Vec<Conn> {
    let mut conns = Vec::with_capacity(ids.len());
    for (n, &id) in ids.iter().enumerate() {
        if plan.stop.is_cancelled() {
            for _ in &ids[n..] {
                never_started(stats, "interrupted before this connection was made");
            }
            break;
        }
        let pattern = Pattern::new(plan.run_id, id);
        let socket = match connect(plan) {
            Ok(socket) => socket,
            Err(message) => {
                never_started(stats, &message);
                continue;
            }
        };
        let mut start = 0;
        if plan.mode == Mode::Idle {
            match first_echo(&socket, pattern, plan, latencies) {
                Ok(()) => {
                    start = plan.size as u64;
                    stats.messages.fetch_add(1, Relaxed);
                    stats.bytes.fetch_add(plan.size as u64, Relaxed);
                }
                Err(e) => {
                    never_started(stats, &format!("connected, but the first echo failed: {e}"));
                    continue;
                }
            }
        }
        stats.established.fetch_add(1, Relaxed);
        conns.push(Conn::new(id, socket, pattern, plan.mode, plan.size, start));
    }
    conns
}

fn connect(plan: &Plan) -> Result<TcpStream, String> {
    let stream = TcpStream::connect_timeout(&plan.addr, plan.timeout).map_err(|e| {
        if e.kind() == std::io::ErrorKind::TimedOut {
            format!(
                "connect timed out after {:?} (server's listen backlog full?)",
                plan.timeout
            )
        } else {
            describe_io(&e)
        }
    })?;
    // Small messages must leave at once; Nagle's algorithm would hold them back for an ACK.
    stream.set_nodelay(true).map_err(|e| describe_io(&e))?;
    Ok(stream)
}

/// Idle mode's first echo, with blocking calls bounded by the timeout.
fn first_echo(
    mut socket: &TcpStream,
    pattern: Pattern,
    plan: &Plan,
    latencies: &mut Histogram<u64>,
) -> Result<(), ConnError> {
    let mut out = vec![0; plan.size];
    let mut back = vec![0; plan.size];
    pattern.fill(0, &mut out);
    socket.set_read_timeout(Some(plan.timeout))?;
    socket.set_write_timeout(Some(plan.timeout))?;
    let started = Instant::now();
    let exchanged = socket
        .write_all(&out)
        .and_then(|()| socket.read_exact(&mut back));
    match exchanged {
        Ok(()) => {}
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            return Err(ConnError::Timeout {
                waiting_for: "an echo",
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            return Err(ConnError::Closed {
                outstanding: plan.size as u64,
            })
        }
        Err(e) => return Err(ConnError::Io(e)),
    }
    let ns = u64::try_from(started.elapsed().as_nanos())
        .unwrap_or(u64::MAX)
        .max(1);
    first_difference(0, &out, &back).map_err(ConnError::Mismatch)?;
    latencies.saturating_record(ns);
    socket.set_read_timeout(None)?;
    socket.set_write_timeout(None)?;
    Ok(())
}

/// One thread's event loop over its connections.
struct Worker<'a> {
    plan: &'a Plan,
    stats: &'a Stats,
    conns: Vec<Conn>,
    /// Connections not yet ended.
    live: usize,
    /// Submissions made during this turn, handed to the kernel together at its end.
    batch: Batch,
    /// Whether the timed run has ended, as of the start of this turn.
    stopped: bool,
    tally: Tally,
}

impl Worker<'_> {
    /// Runs every connection to its end, then waits for the kernel to let go of them. `true`
    /// when it did, so their memory may be freed.
    fn run(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut SubmissionQueue<'_>,
        cq: &mut CompletionQueue<'_>,
        bufs: &mut BufRing,
        abandon: &CancellationToken,
        latencies: &mut Histogram<u64>,
    ) -> bool {
        // Wait for the timed run to start.
        loop {
            if self.plan.stop.is_cancelled() || abandon.is_cancelled() {
                // Interrupted before the run: every connection made ends clean, as with tokio.
                for index in 0..self.conns.len() {
                    self.conns[index].ended = Some(None);
                    self.report(index);
                }
                return true;
            }
            if self.plan.go.is_cancelled() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        for index in 0..self.conns.len() {
            let conn = &mut self.conns[index];
            self.batch.recv(index, conn.socket.as_raw_fd());
            conn.recv_armed = true;
            self.pump(index, Instant::now());
        }
        let mut last_scan = Instant::now();
        let mut ended_at = None;
        loop {
            let now = Instant::now();
            if abandon.is_cancelled() {
                return false;
            }
            if !self.stopped && self.plan.stop.is_cancelled() {
                self.stopped = true;
                for index in 0..self.conns.len() {
                    self.pump(index, now);
                }
            }
            if now.duration_since(last_scan) >= TICK {
                last_scan = now;
                for index in 0..self.conns.len() {
                    self.conns[index].check_timeout(now, self.plan.timeout);
                    self.pump(index, now);
                }
            }
            if self.live == 0 {
                // Every connection ended; wait for the kernel to finish their operations.
                let since = *ended_at.get_or_insert(now);
                if !self.conns.iter().any(Conn::in_kernel) {
                    return true;
                }
                if now.duration_since(since) >= GRACE {
                    return false;
                }
            }
            if let Err(e) = self.batch.submit_and_wait(submitter, sq, TICK) {
                let message = format!("io_uring_enter() failed: {e}");
                for index in 0..self.conns.len() {
                    self.conns[index].fail(ConnError::Io(std::io::Error::other(message.clone())));
                    self.report(index);
                }
                return false;
            }
            cq.sync();
            let now = Instant::now();
            let counting = !self.plan.stop.is_cancelled();
            for cqe in &mut *cq {
                let (index, kind) = ring::decode(cqe.user_data());
                match kind {
                    Kind::Recv => self.received(
                        index,
                        cqe.result(),
                        cqe.flags(),
                        bufs,
                        now,
                        counting,
                        latencies,
                    ),
                    Kind::Send => self.conns[index].sent(cqe.result(), now),
                }
                self.pump(index, now);
            }
            if self.tally.messages > 0 {
                self.stats.messages.fetch_add(self.tally.messages, Relaxed);
                self.stats.bytes.fetch_add(self.tally.bytes, Relaxed);
                self.tally = Tally::default();
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn received(
        &mut self,
        index: usize,
        result: i32,
        flags: u32,
        bufs: &mut BufRing,
        now: Instant,
        counting: bool,
        latencies: &mut Histogram<u64>,
    ) {
        let conn = &mut self.conns[index];
        // A buffer the completion names is this side's to give back, whatever the result.
        let bid = cqueue::buffer_select(flags);
        if !cqueue::more(flags) {
            conn.recv_armed = false;
        }
        match (result, bid) {
            (n, Some(bid)) if n > 0 => {
                conn.received(
                    bufs.filled(bid, n as usize),
                    now,
                    counting,
                    &mut self.tally,
                    latencies,
                );
            }
            (0, _) => conn.closed(),
            // Out of buffers for a moment: armed again below once this turn gave them back.
            (err, _) if -err == libc::ENOBUFS || -err == libc::ECANCELED => {}
            (err, _) if err < 0 => {
                conn.fail(ConnError::Io(std::io::Error::from_raw_os_error(-err)));
            }
            _ => conn.fail(ConnError::Io(std::io::Error::other(
                "a receive completed without its buffer",
            ))),
        }
        if let Some(bid) = bid {
            bufs.give_back(bid);
        }
        if !conn.recv_armed && conn.ended.is_none() {
            self.batch.recv(index, conn.socket.as_raw_fd());
            conn.recv_armed = true;
        }
    }

    /// Turns a connection's state into submissions, and counts its end once.
    fn pump(&mut self, index: usize, now: Instant) {
        let conn = &mut self.conns[index];
        let fd = conn.socket.as_raw_fd();
        if let Some(data) = conn.next_send(self.stopped, now) {
            self.batch.send(index, fd, data);
            conn.send_in_flight = true;
        }
        conn.finish_if_done(self.stopped);
        self.report(index);
    }

    /// Counts a connection that has ended, once, and shuts its socket down so that whatever
    /// the kernel still holds of it completes at once.
    fn report(&mut self, index: usize) {
        let conn = &mut self.conns[index];
        let Some(ended) = &conn.ended else {
            return;
        };
        if conn.reported {
            return;
        }
        conn.reported = true;
        self.live -= 1;
        self.stats.finish(conn.id, ended.as_ref());
        let _ = conn.socket.shutdown(Shutdown::Both);
    }
}
