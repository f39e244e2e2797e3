//! Command-line interface: one subcommand per role, each flag documented for a learner.

use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use support::parse_duration;

/// A TCP echo server, client and load generator that shows the socket calls it makes.
///
/// The PHP manual's socket examples, grown into tools people use to test networks: a server that
/// echoes every byte back (RFC 862) or plays the PHP manual's demo server, a client that checks
/// the echo byte for byte, and a load generator.
#[derive(Debug, Parser)]
#[command(
    name = "tcp-echo",
    version,
    max_term_width = 98,
    after_long_help = "Examples:\n  tcp-echo server --verbose\n  tcp-echo client --message hello\n  \
                       tcp-echo server --php-demo & telnet 127.0.0.1 10000\n  \
                       tcp-echo bench --connections 100 --duration 5s"
)]
pub struct Opts {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the echo server.
    Server(ServerArgs),
    /// Connect to an echo server: interactive, or check one echo and exit.
    Client(ClientArgs),
    /// Load-test an echo server and verify every echoed byte.
    Bench(crate::bench::BenchArgs),
}

/// Options of `tcp-echo server`.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on
    ///
    /// IPv4 (`127.0.0.1:10000`) or IPv6 (`[::1]:10000`); `[::]:PORT` listens on IPv4 and IPv6 at
    /// once (dual stack). Port 0 asks the kernel for a free port: the first line printed on stdout,
    /// `listening on ADDR`, names the one it chose. Ports below 1024 need root or
    /// CAP_NET_BIND_SERVICE.
    #[arg(short, long, value_name = "ADDR", default_value = "127.0.0.1:10000")]
    pub listen: String,

    /// Length of the kernel's queue of connections not yet accepted
    ///
    /// Passed to listen(2). The kernel caps it at net.core.somaxconn.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub backlog: i32,

    /// Most connections open at once; more are accepted and closed at once
    ///
    /// Refusals are counted and reported on stderr at most once a second (`refused 250
    /// connections in the last 1.0s: …`), so a flood of connections cannot flood the log. Without
    /// this flag the limit is what the open-file limit allows.
    #[arg(long, value_name = "N")]
    pub max_conns: Option<usize>,

    /// Close a connection that makes no progress for this long (e.g. `30s`, `500ms`, `2m`)
    ///
    /// No progress means the client sends nothing, or takes none of what the server writes back:
    /// a client that sends and never reads is closed too, freeing the socket buffers it pins.
    /// Off by default: an echo server for tests should keep idle connections open.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub idle_timeout: Option<Duration>,

    /// On Ctrl-C or SIGTERM, how long in-flight echoes may take to finish
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    pub drain_timeout: Duration,

    /// Behave like the PHP manual's socket server example, byte for byte
    ///
    /// Sends its greeting, reads line by line, answers `PHP: You said '<line>'.`; `quit` closes the
    /// connection and `shutdown` stops the server. Unlike the original, many clients at once.
    #[arg(long)]
    pub php_demo: bool,

    /// Print each socket call as it happens (on stderr), as the PHP tutorials do
    #[arg(short, long)]
    pub verbose: bool,

    /// How the server waits for and does its socket I/O [default: uring where the kernel has it]
    ///
    /// Without this flag the server uses io_uring when the kernel offers what it needs (Linux
    /// 6.0 or later: multishot accept and receive, provided-buffer rings) and otherwise says why
    /// on one line of stderr and uses epoll.
    #[arg(long, value_name = "BACKEND")]
    pub io: Option<IoBackend>,
}

/// The server's I/O backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IoBackend {
    /// io_uring: one ring per core, multishot accept and receive, sends submitted in batches
    Uring,
    /// epoll through tokio: one task per connection, one read and one write call per message
    Epoll,
}

/// Options of `tcp-echo client`.
#[derive(Debug, Args)]
pub struct ClientArgs {
    /// Server to connect to: `IP:PORT`, `[IPv6]:PORT` or `HOST:PORT`
    #[arg(short, long, value_name = "ADDR", default_value = "127.0.0.1:10000")]
    pub connect: String,

    /// Send TEXT and a newline, wait for the echo, exit 0 only if it matched byte for byte
    ///
    /// Without this flag and with stdin piped, everything read from stdin is sent and checked the
    /// same way.
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,

    /// Talk line by line even when stdin is piped, printing whatever the server says
    ///
    /// This is how to script a server that is not an echo, such as the PHP demo server.
    #[arg(short, long, conflicts_with = "message")]
    pub interactive: bool,

    /// Give up when connecting, or waiting for an echo, takes longer than this
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    pub timeout: Duration,

    /// Print each socket call as it happens (on stderr)
    #[arg(short, long)]
    pub verbose: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_and_without_units() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Opts::command().debug_assert();
    }
}
