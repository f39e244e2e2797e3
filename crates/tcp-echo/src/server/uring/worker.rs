//! One thread's event loop: its own ring, its own multishot accept on the shared listening
//! socket, its own buffer ring and connections.
//!
//! Each turn of the loop hands the kernel every submission the last turn's completions produced
//! in one io_uring_enter(), which also waits for the next completions: with many busy
//! connections, one kernel crossing carries many receives and sends.

use std::fmt;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use io_uring::{cqueue, squeue, CompletionQueue, SubmissionQueue, Submitter};

use super::conn::{Conn, Recv, OUTPUT_CAP, OWN_BUFFER};
use super::ops::{self, Kind};
use crate::server::php_demo::{self, Reply};
use crate::server::progress::Ended;
use crate::server::Shared;
use crate::uring::BufRing;

/// The longest the loop sleeps: how soon it notices the server stopping, and how finely it
/// measures `--idle-timeout`.
const TICK: Duration = Duration::from_millis(100);
/// After the drain timeout, how long the kernel gets to finish the cancelled operations.
const CANCEL_GRACE: Duration = Duration::from_secs(1);

/// A connection's address for the trace, when it was looked up.
struct Peer(Option<SocketAddr>);

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(addr) => write!(f, "{addr}"),
            None => f.write_str("?"),
        }
    }
}

pub struct Worker<'a> {
    shared: &'a Shared,
    max_conns: usize,
    drain: Duration,
    listener: Option<std::net::TcpListener>,
    accept_armed: bool,
    /// After EMFILE: when to accept again.
    accept_paused_until: Option<Instant>,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    live: usize,
    /// Submissions made during this turn, handed to the kernel together at its end.
    submissions: Vec<squeue::Entry>,
    stopping_since: Option<Instant>,
    /// Connections still open when the drain timeout passed.
    busy_at_drain: Option<usize>,
    /// Set when connections were leaked with operations still in the kernel.
    abandoned: bool,
    /// Whether receives carry a total byte limit (`ops::recv`); cleared when the kernel refuses
    /// one as too old for it.
    limit_receives: bool,
    last_scan: Instant,
}

impl<'a> Worker<'a> {
    pub fn new(
        shared: &'a Shared,
        listener: std::net::TcpListener,
        max_conns: usize,
        drain: Duration,
    ) -> Self {
        Worker {
            shared,
            max_conns,
            drain,
            listener: Some(listener),
            accept_armed: false,
            accept_paused_until: None,
            conns: Vec::new(),
            free: Vec::new(),
            live: 0,
            submissions: Vec::new(),
            stopping_since: None,
            busy_at_drain: None,
            abandoned: false,
            limit_receives: true,
            last_scan: Instant::now(),
        }
    }

    /// Serves until the server stops and this thread's connections are closed or the drain
    /// timeout passed; returns how many were still busy then.
    pub fn run(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut SubmissionQueue<'_>,
        cq: &mut CompletionQueue<'_>,
        bufs: &mut BufRing,
    ) -> Result<usize> {
        let served = self.serve(submitter, sq, cq, bufs);
        if served.is_err() {
            // The ring failed with operations in flight: leak their buffers, as below.
            std::mem::forget(std::mem::take(&mut self.conns));
            self.abandoned = true;
        }
        served
    }

    fn serve(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut SubmissionQueue<'_>,
        cq: &mut CompletionQueue<'_>,
        bufs: &mut BufRing,
    ) -> Result<usize> {
        loop {
            let now = Instant::now();
            if self.stopping_since.is_none() && self.shared.stop.is_cancelled() {
                self.begin_stop(now);
            }
            if let Some(since) = self.stopping_since {
                if self.live == 0 && !self.accept_armed {
                    return Ok(self.busy_at_drain.unwrap_or(0));
                }
                if self.busy_at_drain.is_none() && now >= since + self.drain {
                    self.abandon_all();
                }
                if now >= since + self.drain + CANCEL_GRACE {
                    // The kernel may still hold buffers of these connections: leak them rather
                    // than free memory it could write.
                    std::mem::forget(std::mem::take(&mut self.conns));
                    self.abandoned = true;
                    return Ok(self.busy_at_drain.unwrap_or(self.live));
                }
            }
            self.rearm_accept(now);
            if now.duration_since(self.last_scan) >= TICK {
                self.last_scan = now;
                self.find_idle(now);
            }

            self.submit_and_wait(submitter, sq)?;
            cq.sync();
            for cqe in &mut *cq {
                self.complete(cqe.user_data(), cqe.result(), cqe.flags(), bufs);
            }
        }
    }

    /// Whether connections were given up with operations still in the kernel: then the
    /// buffer ring must be leaked too.
    pub fn abandoned(&self) -> bool {
        self.abandoned
    }

    /// Hands this turn's submissions to the kernel and waits for a completion or the tick.
    fn submit_and_wait(
        &mut self,
        submitter: &Submitter<'_>,
        sq: &mut SubmissionQueue<'_>,
    ) -> Result<()> {
        for entry in self.submissions.drain(..) {
            // SAFETY: every entry names either no memory (accept, cancel, a receive into the
            // buffer ring, which outlives the ring: see `serve`), a connection's `sending`
            // bytes, which stay untouched and alive until the send's completion clears
            // `send_in_flight`, or its `own_buffer`, likewise until the receive's completion
            // sets `recv` to `Off`: a connection is closed only after both (`Conn::can_close`),
            // and when the loop gives up on one, it is leaked, not freed.
            while unsafe { sq.push(&entry) }.is_err() {
                sq.sync();
                submitter.submit().context("io_uring_enter() failed")?;
                sq.sync();
            }
        }
        crate::uring::submit_and_wait_for(submitter, sq, self.next_wake())
            .context("io_uring_enter() failed")
    }

    fn next_wake(&self) -> Duration {
        let now = Instant::now();
        let mut wake = TICK;
        if let Some(at) = self.accept_paused_until {
            wake = wake.min(at.saturating_duration_since(now));
        }
        wake.max(Duration::from_millis(1))
    }

    fn complete(&mut self, user_data: u64, result: i32, flags: u32, bufs: &mut BufRing) {
        let (slot, kind) = ops::decode(user_data);
        match kind {
            Kind::Accept => self.accepted(result, flags),
            Kind::Recv => self.received(slot, result, flags, bufs),
            Kind::Send => self.sent(slot, result),
            Kind::Cancel => {}
        }
    }

    fn rearm_accept(&mut self, now: Instant) {
        if self.accept_armed || self.stopping_since.is_some() {
            return;
        }
        if matches!(self.accept_paused_until, Some(at) if now < at) {
            return;
        }
        self.accept_paused_until = None;
        if let Some(listener) = &self.listener {
            self.submissions.push(ops::accept(listener.as_raw_fd()));
            self.accept_armed = true;
        }
    }

    fn accepted(&mut self, result: i32, flags: u32) {
        if !cqueue::more(flags) {
            self.accept_armed = false;
            if self.stopping_since.is_some() {
                // The listening socket closes once no accept of this thread holds it.
                self.listener = None;
            }
        }
        if result < 0 {
            let err = io::Error::from_raw_os_error(-result);
            match -result {
                libc::ECANCELED => {}
                libc::EMFILE | libc::ENFILE => {
                    eprintln!(
                        "accept (IORING_OP_ACCEPT) failed: {err} (the open-file limit is \
                         reached; waiting 100 ms)"
                    );
                    // Re-armed at once, the accept would fail again at once.
                    self.accept_paused_until = Some(Instant::now() + Duration::from_millis(100));
                }
                _ => eprintln!("accept (IORING_OP_ACCEPT) failed: {err}"),
            }
            return;
        }
        // SAFETY: the completion of an accept hands over a new descriptor that nothing else in
        // this process owns.
        let socket = unsafe { TcpStream::from_raw_fd(result) };
        self.admit(socket);
    }

    fn admit(&mut self, socket: TcpStream) {
        let shared = self.shared;
        let trace = shared.trace;
        // getpeername() costs a system call per connection: only for the trace.
        let peer = Peer(if trace.enabled() {
            socket.peer_addr().ok()
        } else {
            None
        });
        let Some(guard) = shared.stats.try_open(self.max_conns) else {
            trace.say(format_args!(
                "IORING_OP_ACCEPT (multishot) -> {peer}: {} already open (--max-conns); close()",
                self.max_conns
            ));
            return;
        };
        trace.say(format_args!(
            "IORING_OP_ACCEPT (multishot) -> {peer} (connection #{})",
            guard.number()
        ));
        // TCP_NODELAY is inherited from the listening socket on Linux: no setsockopt() here.
        let mut conn = Conn::new(socket, peer.0, guard);
        if shared.php_demo {
            conn.queued.extend_from_slice(php_demo::GREETING);
            conn.uncounted = php_demo::GREETING.len();
            conn.php = Some(Vec::new());
        }
        let slot = match self.free.pop() {
            Some(slot) => {
                self.conns[slot] = Some(conn);
                slot
            }
            None => {
                self.conns.push(Some(conn));
                self.conns.len() - 1
            }
        };
        self.live += 1;
        self.pump(slot);
    }

    fn received(&mut self, slot: usize, result: i32, flags: u32, bufs: &mut BufRing) {
        let shared = self.shared;
        // Whatever the result, a buffer the completion names is this side's to give back:
        // one kept would be lost to the ring for good.
        let bid = cqueue::buffer_select(flags);
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            if let Some(bid) = bid {
                bufs.give_back(bid);
            }
            return;
        };
        if !cqueue::more(flags) {
            conn.recv = Recv::Off;
        }
        let peer = Peer(conn.peer);
        if conn.recv_into_own {
            // A one-shot receive: this completion is its only one.
            conn.recv_into_own = false;
            let buffer = std::mem::take(&mut conn.own_buffer);
            match result {
                n if n > 0 => {
                    if !conn.forced() {
                        shared.trace.say(format_args!(
                            "{peer}: IORING_OP_RECV (own buffer) → {n} bytes"
                        ));
                        conn.last_progress = Instant::now();
                        feed(conn, &buffer[..n as usize], shared);
                    }
                }
                0 => {
                    if conn.ending.is_none() {
                        conn.ending = Some(Ended::PeerClosed);
                    }
                }
                err if -err == libc::ECANCELED => {}
                err => {
                    if !conn.forced() {
                        conn.ending = Some(Ended::Failed(io::Error::from_raw_os_error(-err)));
                    }
                }
            }
            if let Some(bid) = bid {
                bufs.give_back(bid);
            }
            self.pump(slot);
            return;
        }
        match (result, bid) {
            // An older kernel knows no limit on a multishot receive: armed again below
            // without one, and a client that never reads can then overshoot the output cap by
            // what it sends during one turn of the loop. Every connection whose limited receive
            // was in flight gets this once; a second EINVAL, on a receive without a limit, ends
            // the connection below.
            (err, _) if -err == libc::EINVAL && conn.recv_limited => {
                self.limit_receives = false;
                shared.trace.say(format_args!(
                    "{peer}: IORING_OP_RECV (multishot, limited) → EINVAL: this kernel has no \
                     limit on multishot receives; receiving without one"
                ));
            }
            (n, Some(bid)) if n > 0 => {
                if !conn.forced() {
                    let data = bufs.filled(bid, n as usize);
                    shared.trace.say(format_args!(
                        "{peer}: IORING_OP_RECV (multishot) → {n} bytes"
                    ));
                    conn.last_progress = Instant::now();
                    feed(conn, data, shared);
                }
            }
            (0, _) => {
                if conn.ending.is_none() {
                    conn.ending = Some(Ended::PeerClosed);
                }
            }
            (err, _) => match -err {
                // Out of buffers: the next receive, armed below, takes the connection's own.
                libc::ENOBUFS => {
                    conn.ring_ran_dry = true;
                    shared.trace.say(format_args!(
                        "{peer}: IORING_OP_RECV (multishot) → {}; the next receive goes into \
                         this connection's own buffer",
                        io::Error::from_raw_os_error(-err)
                    ));
                }
                // Cancelled on purpose.
                libc::ECANCELED => shared.trace.say(format_args!(
                    "{peer}: IORING_OP_RECV (multishot) → {}",
                    io::Error::from_raw_os_error(-err)
                )),
                code => {
                    if !conn.forced() {
                        let err = if err > 0 {
                            io::Error::other("a receive completed without its buffer")
                        } else {
                            io::Error::from_raw_os_error(code)
                        };
                        conn.ending = Some(Ended::Failed(err));
                    }
                }
            },
        }
        if let Some(bid) = bid {
            bufs.give_back(bid);
        }
        self.pump(slot);
    }

    fn sent(&mut self, slot: usize, result: i32) {
        let shared = self.shared;
        let Some(conn) = self.conns.get_mut(slot).and_then(Option::as_mut) else {
            return;
        };
        conn.send_in_flight = false;
        let peer = Peer(conn.peer);
        let len = conn.sending.len() - conn.sent;
        match result {
            n if n > 0 => {
                let counted = conn.took(n as usize);
                shared.stats.add_bytes(counted);
                if n as usize == len {
                    shared
                        .trace
                        .say(format_args!("{peer}: IORING_OP_SEND({len} bytes) done"));
                } else {
                    shared.trace.say(format_args!(
                        "{peer}: IORING_OP_SEND({len} bytes) → {n}: the rest goes next"
                    ));
                }
            }
            err => {
                let err = if err == 0 {
                    io::ErrorKind::WriteZero.into()
                } else {
                    io::Error::from_raw_os_error(-err)
                };
                if !conn.forced() {
                    conn.ending = Some(Ended::Failed(err));
                }
            }
        }
        self.pump(slot);
    }

    /// Turns a connection's state into submissions, or closes it.
    fn pump(&mut self, slot: usize) {
        let Some(conn) = self.conns[slot].as_mut() else {
            return;
        };
        let fd = conn.socket.as_raw_fd();
        if !conn.send_in_flight && !conn.forced() && conn.next_send() {
            self.submissions
                .push(ops::send(slot, fd, &conn.sending[conn.sent..]));
            conn.send_in_flight = true;
            conn.send_cancelled = false;
        }
        match (conn.wants_input(), conn.recv) {
            (true, Recv::Off) if conn.ring_ran_dry => {
                // No more than the room under the output cap, as below.
                let room = OUTPUT_CAP - conn.pending_output();
                conn.own_buffer = vec![0; room.min(OWN_BUFFER)];
                self.submissions
                    .push(ops::recv_into(slot, fd, &mut conn.own_buffer));
                conn.recv = Recv::Armed;
                conn.recv_into_own = true;
                conn.recv_limited = false;
                conn.ring_ran_dry = false;
            }
            (true, Recv::Off) => {
                // The receive may add no more than the room left under the output cap: it ends
                // by itself there, before a cancellation could be submitted, so a client that
                // sends and never reads cannot push the output past the cap (by more than one
                // buffer) within one turn of the loop. A client that reads keeps the output
                // near empty, and its receive is armed again once per OUTPUT_CAP bytes.
                let limit = self
                    .limit_receives
                    .then(|| (OUTPUT_CAP - conn.pending_output()) as u32);
                self.submissions.push(ops::recv(slot, fd, limit));
                conn.recv = Recv::Armed;
                conn.recv_limited = limit.is_some();
            }
            // Ending, or over the output cap (possible by less than a buffer, or on kernels
            // without receive limits): no more input until the client catches up.
            (false, Recv::Armed) => {
                self.submissions
                    .push(ops::cancel(ops::user_data(slot, Kind::Recv)));
                conn.recv = Recv::Cancelling;
            }
            _ => {}
        }
        if conn.forced() && conn.send_in_flight && !conn.send_cancelled {
            self.submissions
                .push(ops::cancel(ops::user_data(slot, Kind::Send)));
            conn.send_cancelled = true;
        }
        if conn.can_close() {
            self.close(slot);
        }
    }

    fn close(&mut self, slot: usize) {
        let Some(conn) = self.conns[slot].take() else {
            return;
        };
        self.free.push(slot);
        self.live -= 1;
        let trace = self.shared.trace;
        let peer = Peer(conn.peer);
        match &conn.ending {
            Some(Ended::PeerClosed) if conn.php.is_some() => trace.say(format_args!(
                "{peer}: quit, or IORING_OP_RECV (multishot) → 0: the client closed its side; \
                 shutdown(SHUT_WR), close()"
            )),
            Some(Ended::PeerClosed) => trace.say(format_args!(
                "{peer}: IORING_OP_RECV (multishot) → 0: the client closed its side; \
                 shutdown(SHUT_WR), close()"
            )),
            Some(Ended::Idle(after)) => trace.say(format_args!(
                "{peer}: idle for {after:?} (--idle-timeout); close()"
            )),
            Some(Ended::Stalled(after)) => trace.say(format_args!(
                "{peer}: took none of our send for {after:?} (--idle-timeout): it sends but \
                 does not read; close()"
            )),
            Some(Ended::ServerStopping) => trace.say(format_args!(
                "{peer}: server stopping; shutdown(SHUT_WR), close()"
            )),
            Some(Ended::Failed(err)) => trace.say(format_args!("{peer}: {err}; close()")),
            None => {}
        }
        // Sends FIN after everything sent so far; dropping the socket closes it.
        let _ = conn.socket.shutdown(Shutdown::Write);
    }

    /// Once a tick: frees the buffers of connections quiet since the last tick, and ends those
    /// idle past `--idle-timeout`.
    fn find_idle(&mut self, now: Instant) {
        for slot in 0..self.conns.len() {
            let Some(conn) = self.conns[slot].as_mut() else {
                continue;
            };
            let quiet = now.duration_since(conn.last_progress);
            if quiet >= TICK {
                conn.release_buffers();
            }
            let Some(idle) = self.shared.idle_timeout else {
                continue;
            };
            if conn.ending.is_none() && quiet >= idle {
                conn.ending = Some(if conn.pending_output() > 0 {
                    Ended::Stalled(idle)
                } else {
                    Ended::Idle(idle)
                });
                self.pump(slot);
            }
        }
    }

    /// The server is stopping: no more accepts; each connection sends what it owes, then closes.
    fn begin_stop(&mut self, now: Instant) {
        self.stopping_since = Some(now);
        if self.accept_armed {
            self.submissions
                .push(ops::cancel(ops::user_data(0, Kind::Accept)));
        } else {
            self.listener = None;
        }
        for slot in 0..self.conns.len() {
            if let Some(conn) = self.conns[slot].as_mut() {
                if conn.ending.is_none() {
                    conn.ending = Some(Ended::ServerStopping);
                }
                self.pump(slot);
            }
        }
    }

    /// The drain timeout passed: cut every connection still open.
    fn abandon_all(&mut self) {
        self.busy_at_drain = Some(self.live);
        for slot in 0..self.conns.len() {
            if let Some(conn) = self.conns[slot].as_mut() {
                // Completes whatever the kernel holds for the socket at once.
                let _ = conn.socket.shutdown(Shutdown::Both);
                conn.ending = Some(Ended::Failed(io::Error::other(
                    "still busy after the drain timeout",
                )));
                self.pump(slot);
            }
        }
    }
}

/// What a connection does with received bytes: echo them, or answer the PHP demo's lines.
fn feed(conn: &mut Conn, data: &[u8], shared: &Shared) {
    // After `quit` or `shutdown`, the PHP demo reads no more lines.
    if conn.php.is_some() && conn.ending.is_some() {
        return;
    }
    let Some(pending) = conn.php.as_mut() else {
        conn.queued.extend_from_slice(data);
        return;
    };
    let peer = Peer(conn.peer);
    pending.extend_from_slice(data);
    let mut used = 0;
    while let Some(len) = php_demo::line_len(&pending[used..]) {
        let line = &pending[used..used + len];
        used += len;
        shared.trace.say(format_args!(
            "{peer}: line {:?}",
            String::from_utf8_lossy(php_demo::php_trim(line))
        ));
        match php_demo::reply_to(line) {
            Reply::Ignore => {}
            Reply::Quit => {
                conn.ending = Some(Ended::PeerClosed);
                break;
            }
            Reply::Shutdown => {
                shared.stop.cancel();
                conn.ending = Some(Ended::ServerStopping);
                break;
            }
            Reply::Say(talkback) => conn.queued.extend_from_slice(&talkback),
        }
    }
    pending.drain(..used);
}
