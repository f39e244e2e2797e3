//! `tcp-echo server`: accept many clients at once and echo every byte (RFC 862), or play the PHP
//! manual's demo server. Shaped like tokio's echo example: an accept loop that spawns one task per
//! connection, with shutdown told to every task through one token.

mod connection;
mod listener;
mod php_demo;
mod progress;
mod refusals;
mod stats;
#[cfg(target_os = "linux")]
mod uring;

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::cli::{IoBackend, ServerArgs};
use crate::limits;
use crate::trace::Trace;
use stats::Stats;

/// What every connection task needs to know, shared read-only.
struct Shared {
    trace: Trace,
    php_demo: bool,
    idle_timeout: Option<Duration>,
    stats: Stats,
    /// Cancelled when the server stops: by a signal, or by a PHP-demo client typing `shutdown`.
    stop: CancellationToken,
}

pub fn run(args: ServerArgs) -> Result<()> {
    let addr = *crate::addr::resolve(&args.listen)?
        .first()
        .context("no address to listen on")?;
    let trace = Trace::new(args.verbose);
    let max_conns = connection_limit(args.max_conns, trace);

    // The handlers exist before `listening on` is printed: whoever reads that line may signal
    // at once. This thread's runtime hears them; the workers serve connections.
    let signals_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut signals = {
        let _context = signals_runtime.enter();
        support::Signals::install().context("cannot install the SIGINT/SIGTERM handlers")?
    };

    let std_listener = listener::bind(addr, args.backlog, trace)?;
    let bound = std_listener.local_addr().context("getsockname() failed")?;
    // After bind(): a server that cannot listen says so in one line, whatever the backend.
    let backend = choose_backend(args.io);
    println!("listening on {bound}");
    let _ = std::io::stdout().flush();

    let shared = Arc::new(Shared {
        trace,
        php_demo: args.php_demo,
        idle_timeout: args.idle_timeout,
        stats: Stats::default(),
        stop: CancellationToken::new(),
    });
    let started = Instant::now();

    // One single-threaded runtime per core, all accepting on the same listening socket: a
    // connection then lives on one thread for good, and an echo never wakes another core.
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut handles = Vec::with_capacity(workers);
    for i in 0..workers {
        let listener = std_listener
            .try_clone()
            .context("cannot share the listening socket between threads")?;
        let shared = Arc::clone(&shared);
        let drain = args.drain_timeout;
        let handle = std::thread::Builder::new()
            .name(format!("echo-{i}"))
            .spawn(move || -> Result<usize> {
                #[cfg(target_os = "linux")]
                if backend == IoBackend::Uring {
                    return uring::serve(listener, &shared, max_conns, drain);
                }
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("cannot start the async runtime")?;
                runtime.block_on(accept_loop(listener, &shared, max_conns, drain))
            })
            .context("cannot start a server thread")?;
        handles.push(handle);
    }
    drop(std_listener);
    match backend {
        IoBackend::Epoll => trace.say(format_args!(
            "waiting for connections: accept() on {workers} thread(s) ..."
        )),
        IoBackend::Uring => trace.say(format_args!(
            "waiting for connections: IORING_OP_ACCEPT (multishot) on {workers} ring(s), one \
             thread each ..."
        )),
    }

    let mut refusals = refusals::RefusalLog::new(max_conns);
    signals_runtime.block_on(async {
        let mut report = tokio::time::interval(refusals::EVERY);
        // After a stall (a busy machine), one late report rather than a burst of catch-up lines.
        report.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                name = signals.recv() => {
                    eprintln!("{name}: no longer accepting; letting in-flight echoes finish");
                    break;
                }
                () = shared.stop.cancelled() => {
                    eprintln!("shutdown requested by a client; stopping");
                    break;
                }
                _ = report.tick() => refusals.report(&shared.stats),
            }
        }
    });
    shared.stop.cancel();
    let open = shared.stats.open();
    if open > 0 {
        trace.say(format_args!(
            "waiting up to {:?} for {open} connection(s)",
            args.drain_timeout
        ));
    }
    let mut busy = 0;
    for handle in handles {
        busy += handle
            .join()
            .map_err(|_| anyhow::anyhow!("a server thread panicked"))??;
    }
    if busy > 0 {
        eprintln!(
            "drain timeout ({:?}) passed with {busy} connection(s) still busy; closing them",
            args.drain_timeout
        );
    }
    refusals.report(&shared.stats);
    let verb = if shared.php_demo {
        "sent in replies"
    } else {
        "echoed"
    };
    println!("{}", shared.stats.summary(started.elapsed(), verb));
    Ok(())
}

/// The backend the server runs: io_uring unless told otherwise or the kernel lacks it, in which
/// case one line of stderr says why and epoll serves instead.
fn choose_backend(requested: Option<IoBackend>) -> IoBackend {
    if requested == Some(IoBackend::Epoll) {
        return IoBackend::Epoll;
    }
    #[cfg(target_os = "linux")]
    {
        match uring::unavailable() {
            None => IoBackend::Uring,
            Some(why) => {
                eprintln!("io_uring unavailable: {why}; using epoll");
                IoBackend::Epoll
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        if requested == Some(IoBackend::Uring) {
            eprintln!("io_uring unavailable: it is Linux-only; using epoll");
        }
        IoBackend::Epoll
    }
}

/// The effective cap on open connections: the user's, or what the open-file limit allows.
fn connection_limit(requested: Option<usize>, trace: Trace) -> usize {
    let Some(files) = support::raise_open_file_limit() else {
        return requested.unwrap_or(usize::MAX);
    };
    let allowed = files.saturating_sub(limits::RESERVED_FDS) as usize;
    trace.say(format_args!(
        "setrlimit(RLIMIT_NOFILE) -> {files} open files: room for {allowed} connections"
    ));
    match requested {
        Some(n) if n > allowed => {
            eprintln!(
                "warning: --max-conns {n} exceeds what the open-file limit ({files}) allows; \
                 at most {allowed} connections will be held (raise it with `ulimit -Hn` as root)"
            );
            allowed
        }
        Some(n) => n,
        None => allowed,
    }
}

/// Accepts on one thread until the server stops, then gives that thread's connections up to
/// `drain` to finish; returns how many were still busy after it.
async fn accept_loop(
    std_listener: std::net::TcpListener,
    shared: &Arc<Shared>,
    max_conns: usize,
    drain: Duration,
) -> Result<usize> {
    let listener =
        TcpListener::from_std(std_listener).context("cannot register the listening socket")?;
    let tasks = TaskTracker::new();
    let stopping = shared.stop.cancelled();
    tokio::pin!(stopping);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stopping => break,
        };
        match accepted {
            Ok((stream, peer)) => admit(stream, peer, shared, &tasks, max_conns),
            Err(err) => accept_failed(err).await,
        }
    }
    drop(listener);
    tasks.close();
    if tokio::time::timeout(drain, tasks.wait()).await.is_err() {
        return Ok(tasks.len());
    }
    Ok(0)
}

/// Starts a task for an accepted connection, or closes it at once when the server is full.
fn admit(
    stream: TcpStream,
    peer: std::net::SocketAddr,
    shared: &Arc<Shared>,
    tasks: &TaskTracker,
    max_conns: usize,
) {
    let Some(guard) = shared.stats.try_open(max_conns) else {
        // Counted, and reported once a second by the main thread: a flood of refusals must
        // cost an atomic add each, not a line of stderr each.
        shared.trace.say(format_args!(
            "accept() -> {peer}: {max_conns} already open (--max-conns); close()"
        ));
        return;
    };
    shared.trace.say(format_args!(
        "accept() -> {peer} (connection #{})",
        guard.number()
    ));
    let _ = stream.set_nodelay(true);
    let shared = Arc::clone(shared);
    tasks.spawn(async move {
        connection::serve(stream, peer, &shared).await;
        drop(guard);
    });
}

/// accept() failures are about one connection or a momentary shortage; the server goes on.
async fn accept_failed(err: std::io::Error) {
    let out_of_files = matches!(err.raw_os_error(), Some(code) if code == EMFILE || code == ENFILE || code == WSAEMFILE);
    if out_of_files {
        eprintln!("accept() failed: {err} (the open-file limit is reached; waiting 100 ms)");
        // Without a pause the listener stays readable and the loop would spin on the same error.
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else {
        eprintln!("accept() failed: {err}");
    }
}

const EMFILE: i32 = 24;
const ENFILE: i32 = 23;
/// Windows names the same shortage WSAEMFILE.
const WSAEMFILE: i32 = 10024;
