//! Hostile clients against `tcp-echo server`. Each attack is cheap for the client and must cost
//! the server no more than the attacking connections' own share, while other clients are served.
//!
//! Small by default (seconds); at the full size with `SOCKLAB_HOSTILE=full`. Each test
//! prints one `hostile: case=…` line that `scripts/bench-hostile.sh` tabulates. Behaviour and
//! memory are asserted, never timings.

mod common;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::Server;
use test_support::{
    eventually, hostile_report, hostile_scale, proc_cpu_seconds, proc_hwm_kib,
    proc_tcp_connections, tcp_mem_pages, PATIENCE,
};

/// What `--php-demo` says on connect, as the PHP manual's server does.
const GREETING: &[u8] =
    b"\nWelcome to the PHP Test Server. \nTo quit, type 'quit'. To shut down the server type 'shutdown'.\n";

const PAGE_MIB: f64 = 4096.0 / (1024.0 * 1024.0);

/// Sends `chunk` over and over and never reads, until the server closes the connection (a write
/// fails) or the server has taken nothing for `PATIENCE`: held open without progress, the very
/// thing the idle timeout must end. Returns the bytes sent and whether the server closed it.
///
/// The wait counts from the last byte taken, not from the start: at full size the server has
/// real work to do (for `--php-demo`, a reply to every line of every attacker) before the
/// buffers fill, and that work is progress, not a hang.
fn send_and_never_read(addr: SocketAddr, chunk: &[u8]) -> (u64, bool) {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, false);
    };
    // Short waits so the deadline is noticed; a write that times out is simply tried again.
    stream
        .set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut deadline = Instant::now() + PATIENCE;
    let mut sent = 0u64;
    while Instant::now() < deadline {
        match stream.write(chunk) {
            Ok(n) => {
                sent += n as u64;
                deadline = Instant::now() + PATIENCE;
            }
            Err(err)
                if matches!(
                    err.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            // Reset or broken pipe: the server has closed this connection.
            Err(_) => return (sent, true),
        }
    }
    (sent, false)
}

/// `polite` is what the server says first (if anything), then a message and its reply.
type Polite = (&'static [u8], &'static [u8], &'static [u8]);

/// A well-behaved client doing round trips until `stop`, counting them in `rounds`; `Err` says
/// which step failed.
fn polite_client(
    addr: SocketAddr,
    (greeting, message, reply): Polite,
    stop: Arc<AtomicBool>,
    rounds: Arc<AtomicU64>,
) -> thread::JoinHandle<Result<(), String>> {
    thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
        stream.set_read_timeout(Some(PATIENCE)).unwrap();
        let mut said = vec![0u8; greeting.len()];
        stream
            .read_exact(&mut said)
            .map_err(|e| format!("greeting: {e}"))?;
        if said != greeting {
            return Err(format!("greeting {said:?}"));
        }
        let mut back = vec![0u8; reply.len()];
        while !stop.load(Ordering::Relaxed) {
            stream
                .write_all(message)
                .map_err(|e| format!("write: {e}"))?;
            stream
                .read_exact(&mut back)
                .map_err(|e| format!("read: {e}"))?;
            if back != reply {
                return Err(format!("reply {back:?}"));
            }
            rounds.fetch_add(1, Ordering::Relaxed);
            // Far shorter than the idle timeout: this client is never idle.
            thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    })
}

/// Issue 11 item 7: clients that send a lot and never read. Before, the server's write blocked
/// forever with no deadline, pinning the socket buffers of both ends (about 8 MB a client);
/// now a connection that makes no progress reading or writing for `--idle-timeout` is closed.
fn never_reading_clients(case: &str, server_args: &[&str], chunk: &'static [u8], polite: Polite) {
    let clients = hostile_scale(8, 200);
    let mut args = vec!["--idle-timeout", "1s"];
    args.extend_from_slice(server_args);
    let server = Server::start(&args);
    let pid = server.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let rounds = Arc::new(AtomicU64::new(0));
    let polite = polite_client(server.addr, polite, Arc::clone(&stop), Arc::clone(&rounds));
    assert!(
        eventually(|| rounds.load(Ordering::Relaxed) > 0),
        "polite client not served"
    );
    let tcp_mem_before = tcp_mem_pages();
    let hostile: Vec<_> = (0..clients)
        .map(|_| {
            let addr = server.addr;
            thread::spawn(move || send_and_never_read(addr, chunk))
        })
        .collect();

    // Watch the host's TCP memory while the attack is on, until every attacker is cut off.
    let mut tcp_mem_peak = tcp_mem_before;
    while !hostile.iter().all(|h| h.is_finished()) {
        tcp_mem_peak = tcp_mem_peak.max(tcp_mem_pages());
        thread::sleep(Duration::from_millis(50));
    }
    let results: Vec<(u64, bool)> = hostile.into_iter().map(|h| h.join().unwrap()).collect();
    let closed = results.iter().filter(|(_, closed)| *closed).count();
    let sent_mib = results.iter().map(|(sent, _)| *sent).sum::<u64>() as f64 / 1048576.0;
    // Only the polite client's connection is left, if that.
    let released = eventually(|| proc_tcp_connections(pid) <= 1);
    let tcp_mem_after = tcp_mem_pages();
    let peak_rss_mib = proc_hwm_kib(pid) as f64 / 1024.0;
    let cpu_s = proc_cpu_seconds(pid);

    stop.store(true, Ordering::Relaxed);
    let polite = polite.join().unwrap();
    let others_served = polite.is_ok();
    let rounds = rounds.load(Ordering::Relaxed);
    server.signal("INT");
    let (status, _, err) = server.wait();

    // The server's own memory: the reused per-connection buffers, not the attackers' bytes.
    let rss_bound_mib = 64.0 + clients as f64 * 0.25;
    let pass = closed == clients
        && released
        && others_served
        && status.success()
        && peak_rss_mib < rss_bound_mib;
    hostile_report(
        &common::case_name(case),
        peak_rss_mib,
        cpu_s,
        Some(others_served),
        pass,
        &format!(
            "{closed}/{clients} never-reading clients closed after sending {sent_mib:.0} MiB; \
             host TCP mem {:.0} MiB before, {:.0} MiB peak, {:.0} MiB after; \
             polite client {rounds} round trips{}",
            tcp_mem_before as f64 * PAGE_MIB,
            tcp_mem_peak as f64 * PAGE_MIB,
            tcp_mem_after as f64 * PAGE_MIB,
            polite
                .as_ref()
                .err()
                .map_or(String::new(), |e| format!(" then {e}")),
        ),
    );
    assert_eq!(closed, clients, "never-reading clients still held open");
    assert!(
        released,
        "the server still holds sockets of clients it should have closed"
    );
    assert!(
        others_served,
        "the polite client was not served ({rounds} round trips)"
    );
    assert!(status.success(), "server exit {status:?}; stderr: {err}");
    assert!(
        peak_rss_mib < rss_bound_mib,
        "server peak RSS {peak_rss_mib:.1} MiB (bound {rss_bound_mib:.0} MiB)"
    );
}

on_each_backend!(never_reading_clients_are_closed_after_the_idle_timeout);
fn never_reading_clients_are_closed_after_the_idle_timeout() {
    never_reading_clients(
        "never-read-echo",
        &[],
        &[b'x'; 64 * 1024],
        (b"", b"ping", b"ping"),
    );
}

on_each_backend!(never_reading_clients_of_the_php_demo_are_closed_too);
fn never_reading_clients_of_the_php_demo_are_closed_too() {
    // Lines that each earn a reply: the replies are what the client never reads.
    const LINES: &[u8] = &{
        let mut lines = [b'y'; 100 * 64];
        let mut i = 63;
        while i < lines.len() {
            lines[i] = b'\n';
            i += 64;
        }
        lines
    };
    never_reading_clients(
        "never-read-php-demo",
        &["--php-demo"],
        LINES,
        (GREETING, b"hi\n", b"PHP: You said 'hi'.\n"),
    );
}

/// The refusal count on one `refused N connection(s) …` stderr line, if it is one.
fn refusals_on(line: &str) -> Option<u64> {
    line.strip_prefix("refused ")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

on_each_backend!(refusal_flood_is_summarised_once_a_second);
/// Issue 11 item 8: a flood of connections beyond `--max-conns`. Before, each refusal wrote a
/// line to stderr (20,000 refusals gave 1.3 MB in 2.5 s); now refusals are counted and
/// summarised at most once a second, and the counts add up to every refusal.
fn refusal_flood_is_summarised_once_a_second() {
    let refusals = hostile_scale(1_000, 20_000);
    let threads = 4;
    let server = Server::start(&["--max-conns", "1"]);
    let pid = server.pid();
    let started = Instant::now();
    let mut held = TcpStream::connect(server.addr).unwrap();
    held.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut back = [0u8; 4];
    held.write_all(b"mine").unwrap();
    held.read_exact(&mut back).unwrap();

    let flood: Vec<_> = (0..threads)
        .map(|t| {
            let addr = server.addr;
            let count = refusals / threads + usize::from(t < refusals % threads);
            thread::spawn(move || {
                let mut refused = 0;
                for _ in 0..count {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(PATIENCE)).unwrap();
                    let mut rest = Vec::new();
                    // Closed at once: end of stream or a reset, never an echo or a hang.
                    match s.read_to_end(&mut rest) {
                        Ok(_) if rest.is_empty() => refused += 1,
                        Err(err) if err.kind() == io::ErrorKind::ConnectionReset => refused += 1,
                        _ => {}
                    }
                }
                refused
            })
        })
        .collect();
    let seen_refused: usize = flood.into_iter().map(|t| t.join().unwrap()).sum();

    // The one admitted client is still served after the flood.
    let others_served = held.write_all(b"mine").is_ok() && held.read_exact(&mut back).is_ok();
    let peak_rss_mib = proc_hwm_kib(pid) as f64 / 1024.0;
    let cpu_s = proc_cpu_seconds(pid);
    drop(held);
    server.signal("INT");
    let (status, out, err) = server.wait();
    let seconds = started.elapsed().as_secs_f64();

    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.contains("(--max-conns)"))
        .collect();
    let logged: u64 = lines.iter().filter_map(|l| refusals_on(l)).sum();
    // One line a second, plus one for a part-second at each end.
    let line_bound = seconds.ceil() as usize + 2;
    let summary_ok = out.contains(&format!(", {refusals} refused (--max-conns)"));
    let pass = status.success()
        && seen_refused == refusals
        && logged == refusals as u64
        && lines.len() <= line_bound
        && summary_ok
        && others_served;
    hostile_report(
        &common::case_name("refusal-flood"),
        peak_rss_mib,
        cpu_s,
        Some(others_served),
        pass,
        &format!(
            "{refusals} refusals in {seconds:.1}s logged on {} stderr lines ({} bytes of stderr), \
             counts summing to {logged}",
            lines.len(),
            err.len()
        ),
    );
    assert!(status.success(), "server exit {status:?}");
    assert_eq!(seen_refused, refusals, "some clients were not refused");
    assert!(
        lines.len() <= line_bound,
        "{} refusal lines in {seconds:.1}s (at most {line_bound}); stderr is {} bytes",
        lines.len(),
        err.len()
    );
    assert_eq!(
        logged, refusals as u64,
        "the logged counts do not add up: {err}"
    );
    assert!(summary_ok, "summary: {out}");
    assert!(
        others_served,
        "the admitted client was not served after the flood"
    );
}
