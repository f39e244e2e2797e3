//! `tcp-echo bench`: a load generator that verifies every echoed byte.
//!
//! The run has two phases. First every connection is opened, a bounded number of handshakes at
//! a time; then the timed run starts for all of them at once, so the rate covers only the time
//! every connection was working. Each connection sends its own byte sequence ([`pattern`]) and
//! checks the echo against it, byte for byte. Counters are shared atomics, read once a second
//! for the progress line on stderr; at the end [`report`] prints the facts as text or JSON.
//! Any connect failure or echo error makes the exit status non-zero after the report.

mod args;
mod conn;
mod pattern;
mod report;
mod sys;
#[cfg(target_os = "linux")]
mod uring;

use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use args::BenchArgs;
use args::{ClientIo, Mode};
use conn::{Plan, Stats};
use report::{Latency, Report};

/// Handshakes in flight at once. A burst of thousands of SYNs overflows a listen backlog (often
/// 128 to 4096), and each dropped SYN costs the client a retransmission of a second or more;
/// a few hundred at a time fills the connections about as fast without drops.
const MAX_CONNECTING: usize = 256;

/// How often the run loop looks at the counters; progress is printed once a second.
const POLL: Duration = Duration::from_millis(100);

/// Runs the load generator and prints its report.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    let addr = resolve(&args.connect)?;

    let needed = args.connections + crate::limits::RESERVED_FDS;
    if let Some(limit) = support::raise_open_file_limit() {
        if limit < needed {
            bail!(
                "--connections {} needs about {needed} open files, but the limit is {limit} \
                 (use fewer connections, or raise the hard limit as root: `ulimit -Hn`)",
                args.connections
            );
        }
    }

    let io = choose_backend(args.io);
    let threads = match args.threads {
        Some(n) => usize::from(n),
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    // The coordinator only sleeps and reads counters; the connections run on worker threads.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    // Installed before any connection is made, so Ctrl-C at any moment still gives the report.
    let signals = {
        let _context = runtime.enter();
        support::Signals::install().context("cannot install the SIGINT/SIGTERM handlers")?
    };
    let report = runtime.block_on(bench(&args, addr, threads, io, signals))?;

    if report.established == 0 {
        let why = report
            .first_connect_error
            .as_deref()
            .unwrap_or("interrupted before any connection was made");
        bail!("cannot connect to {addr}: {why}");
    }

    let printed = if args.json {
        format!("{}\n", report.json())
    } else {
        report.text()
    };
    match std::io::stdout().lock().write_all(printed.as_bytes()) {
        Ok(()) => {}
        // Piped into `head` or similar: the reader has what it wanted.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(e) => return Err(e).context("cannot write the report to stdout"),
    }

    if report.is_clean() {
        Ok(())
    } else {
        Err(anyhow!(verdict(&report)))
    }
}

/// The backend used when `--io` is not given.
const DEFAULT_IO: ClientIo = ClientIo::Epoll;

/// The backend the load generator runs: io_uring when asked for (or the default) and the
/// kernel has it; otherwise one line of stderr says why and epoll runs instead.
fn choose_backend(requested: Option<ClientIo>) -> ClientIo {
    if requested.unwrap_or(DEFAULT_IO) == ClientIo::Epoll {
        return ClientIo::Epoll;
    }
    #[cfg(target_os = "linux")]
    {
        match crate::uring::unavailable() {
            None => ClientIo::Uring,
            Some(why) => {
                eprintln!("bench: io_uring unavailable: {why}; using epoll");
                ClientIo::Epoll
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        eprintln!("bench: io_uring unavailable: it is Linux-only; using epoll");
        ClientIo::Epoll
    }
}

/// Resolves `HOST:PORT` once, before any connection, so a typo fails fast and clearly.
fn resolve(target: &str) -> anyhow::Result<SocketAddr> {
    let addrs = crate::addr::resolve(target).context("--connect")?;
    addrs
        .first()
        .copied()
        .ok_or_else(|| anyhow!("--connect '{target}' resolved to no address"))
}

/// One line saying what went wrong, for the exit status.
fn verdict(report: &Report) -> String {
    let mut parts = Vec::new();
    if report.connect_failed > 0 {
        parts.push(format!(
            "{} of {} connections failed to connect (first: {})",
            report.connect_failed,
            report.connections,
            report.first_connect_error.as_deref().unwrap_or("unknown")
        ));
    }
    if report.errors > 0 {
        parts.push(format!(
            "{} echo error{} (first: {})",
            report.errors,
            if report.errors == 1 { "" } else { "s" },
            report.first_error.as_deref().unwrap_or("unknown")
        ));
    }
    if parts.is_empty() {
        parts.push(format!(
            "only {} of {} connections ran to the end",
            report.clean, report.connections
        ));
    }
    parts.join("; ")
}

async fn bench(
    args: &BenchArgs,
    addr: SocketAddr,
    threads: usize,
    io: ClientIo,
    mut signals: support::Signals,
) -> anyhow::Result<Report> {
    let plan = Arc::new(Plan {
        addr,
        mode: args.mode,
        size: args.size,
        timeout: args.timeout,
        run_id: rand::random(),
        go: CancellationToken::new(),
        stop: CancellationToken::new(),
        connecting: Semaphore::new(MAX_CONNECTING),
    });
    let stats = Arc::new(Stats::new());
    let total = args.connections;

    let interrupted = CancellationToken::new();
    let on_ctrl_c = interrupted.clone();
    tokio::spawn(async move {
        signals.recv().await;
        on_ctrl_c.cancel();
    });

    let abandon = CancellationToken::new();
    let workers = match io {
        #[cfg(target_os = "linux")]
        ClientIo::Uring => uring::spawn_workers(threads, &plan, &stats, total, &abandon)?,
        _ => spawn_workers(threads, &plan, &stats, total, &abandon)?,
    };

    // Phase 1: open every connection.
    let connect_start = Instant::now();
    let mut next_progress = connect_start + Duration::from_secs(1);
    loop {
        let established = stats.established.load(Relaxed);
        let failed = stats.connect_failed.load(Relaxed);
        if established + failed >= total || interrupted.is_cancelled() {
            break;
        }
        if Instant::now() >= next_progress {
            eprintln!("bench: connecting: {established} of {total} established, {failed} failed");
            next_progress += Duration::from_secs(1);
        }
        tokio::time::sleep(POLL / 10).await;
    }
    let established = stats.established.load(Relaxed);
    let failed = stats.connect_failed.load(Relaxed);
    eprintln!(
        "bench: {established} of {total} connections established in {:.2} s, {failed} failed",
        connect_start.elapsed().as_secs_f64()
    );

    // Phase 2: the timed run.
    let cpu_before = sys::process_cpu_time();
    let start = Instant::now();
    let end = start + args.duration;
    let ran = established > 0 && !interrupted.is_cancelled();
    if ran {
        plan.go.cancel();
        let mut next_progress = start + Duration::from_secs(1);
        let (mut last_messages, mut last_bytes, mut last_at) = (0, 0, start);
        loop {
            // Wake exactly at the end, so the rate's time base is the run's real length.
            let wake = end.min(next_progress).min(Instant::now() + POLL);
            tokio::select! {
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = interrupted.cancelled() => break,
            }
            let now = Instant::now();
            if now >= end || stats.finished.load(Relaxed) >= total {
                break;
            }
            if now >= next_progress {
                let messages = stats.messages.load(Relaxed);
                let bytes = stats.bytes.load(Relaxed);
                let secs = (now - last_at).as_secs_f64();
                let open = stats.established.load(Relaxed) - stats.finished.load(Relaxed);
                let errors = stats.errors.load(Relaxed);
                let at = (now - start).as_secs_f64().round();
                if args.mode == Mode::Idle {
                    eprintln!("bench: {at:>4}s  {open} connections open  {errors} errors");
                } else {
                    eprintln!(
                        "bench: {at:>4}s  {:>9.0} msg/s  {:>8.2} MB/s  {open} open  {errors} errors",
                        (messages - last_messages) as f64 / secs,
                        (bytes - last_bytes) as f64 / secs / 1e6,
                    );
                }
                (last_messages, last_bytes, last_at) = (messages, bytes, now);
                next_progress += Duration::from_secs(1);
            }
        }
    }
    // Messages completing after this are verified but not counted.
    plan.stop.cancel();
    let elapsed = if ran { start.elapsed() } else { Duration::ZERO };
    let cpu = match (cpu_before, sys::process_cpu_time()) {
        (Some(before), Some(after)) => Some(after.saturating_sub(before)),
        _ => None,
    };

    // Echoes in flight finish or time out on their own; leave room for that and no more.
    let drain = args.timeout + Duration::from_secs(1);
    let drained_by = Instant::now() + drain;
    while stats.finished.load(Relaxed) < total && Instant::now() < drained_by {
        tokio::time::sleep(POLL / 10).await;
    }
    let unfinished = total - stats.finished.load(Relaxed);
    abandon.cancel();
    for worker in workers {
        // A worker that panicked has already lost its connections; the counts say so.
        let _ = worker.join();
    }

    let histogram = stats.latency();
    let latency = (!histogram.is_empty()).then(|| Latency {
        p50: Duration::from_nanos(histogram.value_at_quantile(0.5)),
        p99: Duration::from_nanos(histogram.value_at_quantile(0.99)),
        p999: Duration::from_nanos(histogram.value_at_quantile(0.999)),
        max: Duration::from_nanos(histogram.max()),
    });
    let mut first_error = stats.first_error.lock().ok().and_then(|e| e.clone());
    if unfinished > 0 && first_error.is_none() {
        first_error = Some(format!(
            "{unfinished} connections were still busy {drain:?} after the run ended"
        ));
    }
    Ok(Report {
        addr,
        mode: args.mode,
        connections: total,
        size: args.size,
        elapsed,
        messages: stats.messages.load(Relaxed),
        latency,
        established: stats.established.load(Relaxed),
        connect_failed: stats.connect_failed.load(Relaxed),
        first_connect_error: stats
            .first_connect_error
            .lock()
            .ok()
            .and_then(|e| e.clone()),
        clean: stats.clean.load(Relaxed),
        errors: stats.errors.load(Relaxed) + unfinished,
        first_error,
        cpu,
    })
}

/// Starts `threads` (at most one per connection) OS threads, each with a single-threaded
/// runtime driving every `threads`-th connection.
///
/// A connection's tasks then never move between threads: a ping-pong round trip wakes one
/// thread, not two, which roughly halves the generator's CPU per message at low connection
/// counts compared with a work-stealing runtime.
fn spawn_workers(
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
        let ids = (worker as u64..total).step_by(workers);
        let handle = std::thread::Builder::new()
            .name(format!("bench-{worker}"))
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        // Count its connections as failed so the coordinator stops waiting.
                        let message = format!("cannot start a worker runtime: {e}");
                        for _ in ids {
                            conn::never_started(&stats, &message);
                        }
                        return;
                    }
                };
                runtime.block_on(async {
                    let mut tasks = JoinSet::new();
                    for id in ids {
                        tasks.spawn(conn::run(id, plan.clone(), stats.clone()));
                    }
                    tokio::select! {
                        _ = async { while tasks.join_next().await.is_some() {} } => {}
                        // Tasks still blocked on a dead server are dropped with the runtime.
                        _ = abandon.cancelled() => {}
                    }
                });
            })
            .context("cannot start a worker thread")?;
        handles.push(handle);
    }
    Ok(handles)
}
