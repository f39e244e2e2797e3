//! One connection's life: connect, drive the server in the chosen mode, verify every echo.

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::{sleep_until, timeout};
use tokio_util::sync::CancellationToken;

use super::args::Mode;
use super::pattern::{first_difference, Mismatch, Pattern};

/// In stream mode each write carries as many whole messages as fit in this many bytes, so the
/// generator makes few system calls and the server, not the client, sets the pace.
pub(super) const STREAM_WRITE: usize = 64 * 1024;

/// Latency histograms are sharded so a thousand connections on several threads rarely wait
/// for the same lock; the shards are merged for the report.
const SHARDS: usize = 16;

/// Latencies above a minute are recorded as a minute; the per-echo timeout is far shorter.
const MAX_LATENCY_NS: u64 = 60_000_000_000;

/// What every connection needs to know, fixed for the run.
#[derive(Debug)]
pub struct Plan {
    pub addr: SocketAddr,
    pub mode: Mode,
    pub size: usize,
    pub timeout: Duration,
    /// Different for every run, so an echo left over from an earlier run cannot pass as valid.
    pub run_id: u64,
    /// Cancelled when the timed run starts (all connects done).
    pub go: CancellationToken,
    /// Cancelled when the timed run ends.
    pub stop: CancellationToken,
    /// Bounds the handshakes in flight.
    pub connecting: Semaphore,
}

/// Counters shared by all connections, read by the progress line and the report.
#[derive(Debug)]
pub struct Stats {
    /// Messages (and their bytes) whose echo was verified inside the timed run.
    pub messages: AtomicU64,
    pub bytes: AtomicU64,
    pub established: AtomicU64,
    pub connect_failed: AtomicU64,
    pub clean: AtomicU64,
    pub errors: AtomicU64,
    /// Connections whose task has ended, for whatever reason.
    pub finished: AtomicU64,
    pub first_connect_error: Mutex<Option<String>>,
    pub first_error: Mutex<Option<String>>,
    latency: Vec<Mutex<Histogram<u64>>>,
}

impl Stats {
    pub fn new() -> Self {
        let histogram = || {
            Mutex::new(
                Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                    .expect("constant histogram bounds are valid"),
            )
        };
        Stats {
            messages: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            established: AtomicU64::new(0),
            connect_failed: AtomicU64::new(0),
            clean: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            finished: AtomicU64::new(0),
            first_connect_error: Mutex::new(None),
            first_error: Mutex::new(None),
            latency: (0..SHARDS).map(|_| histogram()).collect(),
        }
    }

    fn record(&self, conn: u64, latency: Duration, messages: u64) {
        let ns = u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX).max(1);
        let mut shard = lock(&self.latency[conn as usize % SHARDS]);
        shard.saturating_record_n(ns, messages);
    }

    /// An empty histogram with the bounds of the shared ones, for a thread that collects its
    /// own latencies and adds them once ([`Stats::add_latencies`]) instead of locking a shard
    /// per message.
    pub(super) fn new_histogram() -> Histogram<u64> {
        Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
            .expect("constant histogram bounds are valid")
    }

    /// Adds latencies collected by one thread into the shard of connection `conn`.
    pub(super) fn add_latencies(&self, conn: u64, latencies: &Histogram<u64>) {
        let mut shard = lock(&self.latency[conn as usize % SHARDS]);
        shard
            .add(latencies)
            .expect("histograms made by new_histogram share bounds, so adding cannot fail");
    }

    /// Counts connection `id` as finished: clean, or stopped by `error`.
    pub(super) fn finish(&self, id: u64, error: Option<&ConnError>) {
        match error {
            None => {
                self.clean.fetch_add(1, Relaxed);
            }
            Some(e) => {
                self.errors.fetch_add(1, Relaxed);
                keep_first(&self.first_error, || format!("connection {id}: {e}"));
            }
        }
        self.finished.fetch_add(1, Relaxed);
    }

    /// All recorded latencies in one histogram.
    pub fn latency(&self) -> Histogram<u64> {
        let mut all = lock(&self.latency[0]).clone();
        for shard in &self.latency[1..] {
            all.add(&*lock(shard))
                .expect("shards share bounds, so adding cannot fail");
        }
        all
    }
}

/// A poisoned lock only means another connection's task panicked mid-update of a counter or
/// histogram; the data is still usable for a report.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn keep_first(slot: &Mutex<Option<String>>, message: impl FnOnce() -> String) {
    let mut slot = lock(slot);
    if slot.is_none() {
        *slot = Some(message());
    }
}

/// Why a connection stopped early.
#[derive(Debug)]
pub enum ConnError {
    /// The server sent back something other than what was sent.
    Mismatch(Mismatch),
    /// The server closed while `outstanding` bytes were still owed.
    Closed {
        outstanding: u64,
    },
    /// No progress within the timeout.
    Timeout {
        waiting_for: &'static str,
    },
    Io(io::Error),
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnError::Mismatch(m) => m.fmt(f),
            ConnError::Closed { outstanding } => write!(
                f,
                "server closed the connection with {outstanding} echoed bytes still owed"
            ),
            ConnError::Timeout { waiting_for } => write!(f, "timed out waiting for {waiting_for}"),
            ConnError::Io(e) => describe_io(e).fmt(f),
        }
    }
}

impl From<io::Error> for ConnError {
    fn from(e: io::Error) -> Self {
        ConnError::Io(e)
    }
}

/// One line for an I/O error, with the likely cause where the error alone would puzzle.
pub fn describe_io(e: &io::Error) -> String {
    let hint = match e.kind() {
        io::ErrorKind::ConnectionRefused => "; is an echo server listening there?",
        io::ErrorKind::AddrNotAvailable => {
            "; out of local ports? see /proc/sys/net/ipv4/ip_local_port_range"
        }
        _ if is_too_many_open_files(e) => {
            "; open-file limit reached: raise `ulimit -n` or use fewer --connections"
        }
        _ => "",
    };
    let text = e.to_string();
    // std appends "(os error N)"; keep it, it is what a search engine needs.
    format!("{}{hint}", lowercase_first(&text))
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(unix)]
fn is_too_many_open_files(e: &io::Error) -> bool {
    // EMFILE is 24 on Linux, the BSDs and macOS; std has no stable ErrorKind for it.
    e.raw_os_error() == Some(24)
}

#[cfg(not(unix))]
fn is_too_many_open_files(_: &io::Error) -> bool {
    false
}

/// Runs connection number `id` from connect to close, recording into `stats`.
pub async fn run(id: u64, plan: Arc<Plan>, stats: Arc<Stats>) {
    let result = drive(id, &plan, &stats).await;
    match result {
        Ok(()) => {
            stats.clean.fetch_add(1, Relaxed);
        }
        Err(Failure::Connect(message)) => {
            stats.connect_failed.fetch_add(1, Relaxed);
            keep_first(&stats.first_connect_error, || message);
        }
        Err(Failure::Echo(e)) => {
            stats.errors.fetch_add(1, Relaxed);
            keep_first(&stats.first_error, || format!("connection {id}: {e}"));
        }
    }
    stats.finished.fetch_add(1, Relaxed);
}

/// Records a connection that could not even be attempted.
pub fn never_started(stats: &Stats, message: &str) {
    stats.connect_failed.fetch_add(1, Relaxed);
    keep_first(&stats.first_connect_error, || message.to_owned());
    stats.finished.fetch_add(1, Relaxed);
}

enum Failure {
    Connect(String),
    Echo(ConnError),
}

async fn drive(id: u64, plan: &Plan, stats: &Stats) -> Result<(), Failure> {
    let pattern = Pattern::new(plan.run_id, id);
    let mut stream = connect(plan).await.map_err(Failure::Connect)?;
    let mut pingpong = PingPong::new(plan, pattern, id);
    if plan.mode == Mode::Idle {
        // Count an idle connection only once the server has echoed on it: a handshake alone
        // may sit in the listen queue, not yet accepted.
        pingpong
            .round(&mut stream, stats)
            .await
            .map_err(|e| Failure::Connect(format!("connected, but the first echo failed: {e}")))?;
    }
    stats.established.fetch_add(1, Relaxed);

    tokio::select! {
        _ = plan.go.cancelled() => {}
        _ = plan.stop.cancelled() => return Ok(()),
    }
    let result = match plan.mode {
        Mode::Pingpong => {
            let mut result = Ok(());
            while !plan.stop.is_cancelled() {
                if let Err(e) = pingpong.round(&mut stream, stats).await {
                    result = Err(e);
                    break;
                }
            }
            result
        }
        Mode::Stream => stream_mode(id, plan, stats, pattern, stream).await,
        Mode::Idle => {
            plan.stop.cancelled().await;
            // The connection must still work after sitting idle.
            pingpong.round(&mut stream, stats).await
        }
    };
    result.map_err(Failure::Echo)
}

async fn connect(plan: &Plan) -> Result<TcpStream, String> {
    let _permit = plan
        .connecting
        .acquire()
        .await
        .map_err(|_| "connect limiter closed".to_owned())?;
    let stream = match timeout(plan.timeout, TcpStream::connect(plan.addr)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => return Err(describe_io(&e)),
        Err(_) => {
            return Err(format!(
                "connect timed out after {:?} (server's listen backlog full?)",
                plan.timeout
            ))
        }
    };
    // Small messages must leave at once; Nagle's algorithm would hold them back for an ACK.
    stream.set_nodelay(true).map_err(|e| describe_io(&e))?;
    Ok(stream)
}

/// Ping-pong state: the next message to send and buffers reused for every round.
struct PingPong {
    id: u64,
    pattern: Pattern,
    offset: u64,
    out: Vec<u8>,
    back: Vec<u8>,
    timeout: Duration,
    stop: CancellationToken,
}

impl PingPong {
    fn new(plan: &Plan, pattern: Pattern, id: u64) -> Self {
        PingPong {
            id,
            pattern,
            offset: 0,
            out: vec![0; plan.size],
            back: vec![0; plan.size],
            timeout: plan.timeout,
            stop: plan.stop.clone(),
        }
    }

    /// Sends one message, waits for all of its echo, verifies and records it.
    async fn round(&mut self, stream: &mut TcpStream, stats: &Stats) -> Result<(), ConnError> {
        self.pattern.fill(self.offset, &mut self.out);
        let started = Instant::now();
        let exchange = async {
            stream.write_all(&self.out).await?;
            let mut got = 0;
            while got < self.back.len() {
                match stream.read(&mut self.back[got..]).await? {
                    0 => {
                        return Err(ConnError::Closed {
                            outstanding: (self.back.len() - got) as u64,
                        })
                    }
                    n => got += n,
                }
            }
            Ok(())
        };
        match timeout(self.timeout, exchange).await {
            Ok(result) => result?,
            Err(_) => {
                return Err(ConnError::Timeout {
                    waiting_for: "an echo",
                })
            }
        }
        let latency = started.elapsed();
        first_difference(self.offset, &self.out, &self.back).map_err(ConnError::Mismatch)?;
        self.offset += self.out.len() as u64;
        stats.record(self.id, latency, 1);
        if !self.stop.is_cancelled() {
            stats.messages.fetch_add(1, Relaxed);
            stats.bytes.fetch_add(self.out.len() as u64, Relaxed);
        }
        Ok(())
    }
}

/// Writes without waiting for echoes while the same task reads them back and verifies them.
async fn stream_mode(
    id: u64,
    plan: &Plan,
    stats: &Stats,
    pattern: Pattern,
    stream: TcpStream,
) -> Result<(), ConnError> {
    let (mut rd, mut wr) = stream.into_split();
    let per_write = (STREAM_WRITE / plan.size).max(1) * plan.size;
    let messages_per_write = (per_write / plan.size) as u64;
    // The writer tells the reader where each write ends and when it started, so the reader can
    // time each write's echo. TCP flow control bounds how far the writer gets ahead.
    let (sent_tx, mut sent_rx) = mpsc::unbounded_channel::<(u64, Instant)>();

    let writer = async move {
        let mut buf = vec![0; per_write];
        let mut offset = 0u64;
        while !plan.stop.is_cancelled() {
            pattern.fill(offset, &mut buf);
            let end = offset + per_write as u64;
            // Sent before the write: part of the echo may arrive before write_all returns.
            let _ = sent_tx.send((end, Instant::now()));
            match timeout(plan.timeout, wr.write_all(&buf)).await {
                Ok(result) => result?,
                Err(_) => {
                    return Err(ConnError::Timeout {
                        waiting_for: "the server to read (write blocked)",
                    })
                }
            }
            offset = end;
        }
        // Dropping the sender tells the reader nothing more is coming.
        Ok::<_, ConnError>(())
    };

    let reader = async {
        let mut buf = vec![0; STREAM_WRITE];
        let mut scratch = Vec::with_capacity(STREAM_WRITE);
        let mut received = 0u64;
        let mut pending: VecDeque<(u64, Instant)> = VecDeque::new();
        let mut writer_done = false;
        let mut last_progress = Instant::now();
        loop {
            if writer_done && pending.is_empty() {
                return Ok(());
            }
            let deadline = tokio::time::Instant::from_std(last_progress + plan.timeout);
            tokio::select! {
                read = rd.read(&mut buf) => {
                    let n = read?;
                    if n == 0 {
                        let owed = pending.back().map_or(0, |&(end, _)| end - received);
                        return Err(ConnError::Closed { outstanding: owed });
                    }
                    pattern
                        .check(received, &buf[..n], &mut scratch)
                        .map_err(ConnError::Mismatch)?;
                    received += n as u64;
                    last_progress = Instant::now();
                    // Batches may be announced after their echo starts arriving.
                    while let Ok(batch) = sent_rx.try_recv() {
                        pending.push_back(batch);
                    }
                    while let Some(&(end, started)) = pending.front() {
                        if end > received {
                            break;
                        }
                        pending.pop_front();
                        stats.record(id, last_progress - started, messages_per_write);
                        if !plan.stop.is_cancelled() {
                            stats.messages.fetch_add(messages_per_write, Relaxed);
                            stats.bytes.fetch_add(per_write as u64, Relaxed);
                        }
                    }
                }
                batch = sent_rx.recv(), if !writer_done => match batch {
                    Some(batch) => {
                        // The clock for a timeout starts when something is owed.
                        if pending.is_empty() {
                            last_progress = Instant::now();
                        }
                        pending.push_back(batch);
                    }
                    None => writer_done = true,
                },
                _ = sleep_until(deadline), if !pending.is_empty() => {
                    return Err(ConnError::Timeout { waiting_for: "the echo of a write" });
                }
            }
        }
    };

    tokio::try_join!(writer, reader).map(|_| ())
}
