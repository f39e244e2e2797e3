//! Options of `tcp-echo bench`, and the parsers that turn their text into values at the edge.

use std::time::Duration;

const EXAMPLES: &str = "\
Examples:
  Ten connections, 64-byte ping-pong for 10 s against the default server:
    tcp-echo bench
  A thousand connections for 30 s:
    tcp-echo bench --connections 1000 --duration 30s
  Bulk throughput: one connection streaming 16 KiB writes without waiting for each echo:
    tcp-echo bench --mode stream --size 16k
  How much memory does a quiet connection cost the server? Hold 10,000 open for a minute:
    tcp-echo bench --mode idle --connections 10000 --duration 1m";

/// How each connection drives the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Send one message, wait for its whole echo, send the next (default). Measures round-trip
    /// latency; throughput grows with the number of connections.
    Pingpong,
    /// Write continuously while the echo is read back and checked. Measures bulk throughput:
    /// TCP flow control, not the round trip, sets the pace. Latency here is mostly time spent
    /// queued in the socket buffers, so it grows with their size.
    Stream,
    /// Connect, echo one message, then stay silent until the end and echo one more. Measures how
    /// many connections the server holds and what an idle one costs it.
    Idle,
}

impl Mode {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pingpong => "pingpong",
            Mode::Stream => "stream",
            Mode::Idle => "idle",
        }
    }
}

/// How the load generator waits for and does its socket I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientIo {
    /// io_uring: one ring per thread, multishot receives, each turn's sends submitted together
    Uring,
    /// epoll through tokio: one task per connection, a read and a write call per message
    Epoll,
}

/// Load-test an echo server over many connections, verifying every echoed byte.
#[derive(Debug, clap::Args)]
#[command(after_long_help = EXAMPLES)]
pub struct BenchArgs {
    /// The echo server to load, as HOST:PORT.
    ///
    /// IPv4 (`127.0.0.1:10000`), IPv6 in brackets (`[::1]:10000`) or a name
    /// (`localhost:10000`), resolved once at start; the first address is used. The default port
    /// is the one the PHP manual's server example listens on, which `tcp-echo server` also uses.
    #[arg(
        long,
        value_name = "addr",
        default_value = "127.0.0.1:10000",
        help = "Server to load (HOST:PORT)"
    )]
    pub connect: String,

    /// How many TCP connections to open and drive at once.
    ///
    /// Connections are opened before the timed run starts, at most a few hundred handshakes in
    /// flight so a burst of SYNs cannot overflow the server's listen backlog. Each one needs a
    /// file descriptor here and in the server, and a local port from
    /// /proc/sys/net/ipv4/ip_local_port_range; the soft open-file limit is raised to the hard
    /// limit at start.
    #[arg(
        short = 'c',
        long,
        value_name = "n",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=1_000_000),
        help = "Number of concurrent connections"
    )]
    pub connections: u64,

    /// Bytes per message.
    ///
    /// In ping-pong mode each message is one write and the full echo is awaited before the
    /// next. In stream mode writes carry as many whole messages as fit in 64 KiB. Suffixes `k`
    /// and `m` mean KiB and MiB (`16k`). Every connection sends its own byte sequence, so bytes
    /// crossing from one connection to another are caught.
    #[arg(
        short = 's',
        long,
        value_name = "bytes",
        default_value = "64",
        value_parser = parse_size,
        help = "Message size in bytes (k, m suffixes)"
    )]
    pub size: usize,

    /// How long the timed run lasts, after all connections are open.
    ///
    /// A number with a unit: `ms`, `s`, `m` or `h` (`500ms`, `10s`, `1.5m`); a bare number is
    /// seconds. Ctrl-C (or SIGTERM) ends the run early and still prints the report.
    #[arg(
        short = 'd',
        long,
        value_name = "time",
        default_value = "10s",
        value_parser = parse_duration,
        help = "Length of the timed run (e.g. 10s, 500ms, 2m)"
    )]
    pub duration: Duration,

    /// How each connection drives the server.
    ///
    /// Ping-pong measures round-trip latency, stream bulk throughput, idle what a quiet
    /// connection costs the server and how many it holds.
    #[arg(
        short = 'm',
        long,
        value_name = "mode",
        value_enum,
        default_value_t = Mode::Pingpong,
        help = "Load pattern"
    )]
    pub mode: Mode,

    /// Threads generating load, each driving its share of the connections.
    ///
    /// Each thread runs its own single-threaded runtime, so a connection never hops between
    /// threads. More threads let the generator use more cores; on a machine shared with the
    /// server under test they also take cores from it. Never more threads than connections.
    /// Default: the number of CPUs.
    #[arg(
        long,
        value_name = "n",
        value_parser = clap::value_parser!(u16).range(1..=1024),
        help = "Load-generating threads [default: CPUs]"
    )]
    pub threads: Option<u16>,

    /// How long a connect or a single echo may take before it counts as an error.
    ///
    /// Same syntax as --duration. A connection that times out stops and is counted under
    /// errors; the others carry on.
    #[arg(
        long,
        value_name = "time",
        default_value = "5s",
        value_parser = parse_duration,
        help = "Limit for one connect or one echo"
    )]
    pub timeout: Duration,

    /// How the load generator does its socket I/O.
    ///
    /// io_uring (Linux 6.0 or later) spends about a quarter less CPU per message than epoll
    /// once many connections are busy (100 or more), and about the same with one connection or
    /// a stream; that matters when the generator shares the machine with the server it
    /// measures. Where the kernel refuses io_uring, one line of stderr says why and epoll is
    /// used.
    #[arg(
        long,
        value_name = "backend",
        value_enum,
        help = "Client I/O backend [default: epoll]"
    )]
    pub io: Option<ClientIo>,

    /// Print the final report as one JSON object on stdout instead of text.
    ///
    /// The progress lines still go to stderr. Scripts such as scripts/bench-echo.sh read this.
    #[arg(long, help = "Final report as JSON")]
    pub json: bool,
}

/// Parses a duration as the other subcommands do (`10s`, `500ms`, `2m`, a bare number of
/// seconds), refusing zero: a zero-length run or timeout can only fail.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = support::parse_duration(text).map_err(|err| err.to_string())?;
    if duration.is_zero() {
        return Err(format!(
            "'{}' is zero; give a positive duration",
            text.trim()
        ));
    }
    Ok(duration)
}

/// The largest message: big enough for any bulk test, small enough that buffers stay modest
/// with many connections.
pub const MAX_SIZE: usize = 16 << 20;

/// Parses a byte count with an optional `k`/`m` suffix (powers of 1024), 1 to 16 MiB.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let (number, scale) = if let Some(n) = lower
        .strip_suffix("kib")
        .or_else(|| lower.strip_suffix('k'))
    {
        (n, 1 << 10)
    } else if let Some(n) = lower
        .strip_suffix("mib")
        .or_else(|| lower.strip_suffix('m'))
    {
        (n, 1 << 20)
    } else {
        (lower.as_str(), 1)
    };
    let value: usize = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a size in bytes (e.g. 64, 16k, 1m)"))?;
    match value.checked_mul(scale) {
        Some(bytes @ 1..=MAX_SIZE) => Ok(bytes),
        _ => Err(format!("`{text}` is out of range (1 byte to 16 MiB)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_must_be_positive() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        for bad in ["0", "0s", "0.0ms", "ten", ""] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn sizes_with_suffixes() {
        assert_eq!(parse_size("64"), Ok(64));
        assert_eq!(parse_size("1"), Ok(1));
        assert_eq!(parse_size("16k"), Ok(16 * 1024));
        assert_eq!(parse_size("16KiB"), Ok(16 * 1024));
        assert_eq!(parse_size("1m"), Ok(1 << 20));
        assert_eq!(parse_size("16M"), Ok(MAX_SIZE));
        for bad in ["0", "17m", "k", "-1", "1g", "99999999999999999999999"] {
            assert!(parse_size(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
