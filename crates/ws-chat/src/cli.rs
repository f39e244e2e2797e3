//! Command-line interface: the server's flags, and the `bench` load client.

use clap::{Args, Parser, Subcommand};
use std::time::Duration;
use support::parse_duration;

/// A strict RFC 6455 WebSocket server: a chat page at `/`, a chat room at `/chat` and an echo
/// endpoint at `/echo`.
///
/// Every frame is decoded by hand by this project's `websocket` crate. With `--verbose` the
/// handshake headers and every frame are printed, so a learner can watch the protocol happen.
#[derive(Debug, Parser)]
#[command(
    name = "ws-chat",
    version,
    max_term_width = 98,
    args_conflicts_with_subcommands = true,
    after_long_help = "Examples:\n  ws-chat                      # then open http://127.0.0.1:8080/ in two tabs\n  \
                       ws-chat --listen 127.0.0.1:0 --verbose --deflate\n  \
                       ws-chat bench ws://127.0.0.1:8080/echo --connections 100 --size 64"
)]
pub struct Opts {
    #[command(flatten)]
    pub server: ServerArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load-test an `/echo` endpoint and verify every echoed byte.
    Bench(BenchArgs),
}

/// The server's options.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Address to listen on
    ///
    /// IPv4 (`127.0.0.1:8080`) or IPv6 (`[::1]:8080`). Port 0 asks the kernel for a free port: the
    /// first line printed on stdout, `listening on ADDR`, names the one it chose. Ports below 1024
    /// need root or CAP_NET_BIND_SERVICE.
    #[arg(short, long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// Offer permessage-deflate compression (RFC 7692)
    ///
    /// Off by default. When on, a client's offer is accepted if its parameters can be honoured:
    /// server_no_context_takeover and client_no_context_takeover are, server_max_window_bits below
    /// 15 is declined (the compressor always uses a 32 KiB window).
    #[arg(long)]
    pub deflate: bool,

    /// Length of the kernel's queue of connections not yet accepted
    ///
    /// Passed to listen(2); the kernel caps it at net.core.somaxconn. When a burst of clients
    /// fills the queue faster than the server accepts, the kernel drops their SYNs and each
    /// waits a whole second to retry, so a short queue turns a burst into seconds of delay.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub backlog: u32,

    /// Most connections open at once; more are accepted and closed at once
    ///
    /// Connections still in their handshake count too (and are also held to --max-handshakes).
    /// A refused client gets a best-effort `503 Service Unavailable`; `--verbose` logs each
    /// refusal. Each connection needs one open file, so the process's open-file limit
    /// (`ulimit -n`) must be above this.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub max_conns: usize,

    /// Most connections still in their HTTP handshake at once
    ///
    /// Default 1024. A connection counts from accept until its 101 (or error response) is sent,
    /// for at most --handshake-timeout. Beyond this a new connection gets a best-effort 503 and is
    /// closed, so clients that open connections and never finish the request (slowloris) cannot
    /// take the slots of open chats. Example: `--max-handshakes 256`.
    #[arg(long, value_name = "N", default_value_t = 1024)]
    pub max_handshakes: usize,

    /// Most handshakes in progress from one client address
    ///
    /// Default 64. IPv4 addresses count one by one, IPv6 ones per /64 (one host usually has a
    /// whole /64). Beyond this the peer's new connection gets a best-effort 503 and is closed,
    /// so one attacking host gets only its own share of --max-handshakes and clients elsewhere
    /// still get in. Raise it when many clients share one address (a NAT or a proxy), e.g.
    /// `--max-handshakes-per-ip 512`.
    #[arg(long, value_name = "N", default_value_t = 64)]
    pub max_handshakes_per_ip: usize,

    /// Largest message (and frame) accepted, e.g. `16MiB`, `64KiB`, `1000`
    ///
    /// A larger one closes the connection with 1009 Message Too Big. For compressed messages the
    /// limit applies to the decompressed size.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "16MiB")]
    pub max_message: u64,

    /// Memory all connections together may hold in unfinished frames and messages
    ///
    /// Counted as the bytes are buffered, at the decompressed size for compressed messages, so
    /// a few KiB on the wire that inflate to `--max-message` count as what they cost. A frame or
    /// message that would pass the limit closes its connection with 1013 Try Again Later (the
    /// server is short of memory for now; the message itself may be fine, unlike 1009) and frees
    /// what it held. Each connection may hold 16 KiB per buffer outside it, so small messages are
    /// still served while large ones are refused. Example: `--max-buffered 2GiB`.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "512MiB")]
    pub max_buffered: u64,

    /// How long a client may take to send its whole HTTP request
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub handshake_timeout: Duration,

    /// Silence after which the server pings, and again after which it closes
    ///
    /// Finds half-open connections: a peer that vanished without a FIN never answers the ping.
    /// Silence is noticed one to two periods after the last byte received. It also bounds how
    /// long a write may stay blocked, and how long a chat member whose queue is full may take to
    /// drain half of it before it is closed with 1008 (senders wait for it meanwhile).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub idle_timeout: Duration,

    /// Longest time one message may take to arrive, from its first byte to its last
    ///
    /// A message still unfinished then closes its connection with 1008 Policy Violation. Pings
    /// between fragments keep a connection from being idle, so without this a peer could hold
    /// a message of up to `--max-message` (charged to `--max-buffered`) for ever. At the default,
    /// a 16 MiB message needs about 280 KB/s. Example: `--message-timeout 5m` for slow links.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "60s")]
    pub message_timeout: Duration,

    /// On Ctrl-C or SIGTERM, how long to wait for clients to answer the 1001 close
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "3s")]
    pub shutdown_timeout: Duration,

    /// Print handshake headers and every frame on stdout
    ///
    /// Each line starts with the connection number and peer address. Frames show direction
    /// (`<-` received, `->` sent), opcode, FIN, RSV bits, mask key, length and a payload preview.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Options of `ws-chat bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Echo endpoint to load, e.g. `ws://127.0.0.1:8080/echo`
    ///
    /// Only `ws://` URLs with an IP address are accepted: the load goes to the address as given.
    #[arg(value_name = "URL")]
    pub url: String,

    /// Connections, each sending one message and waiting for its echo before the next
    #[arg(short, long, value_name = "N", default_value_t = 1)]
    pub connections: usize,

    /// Size of each binary message, e.g. `64`, `1MiB`
    #[arg(short, long, value_name = "SIZE", value_parser = parse_size, default_value = "64")]
    pub size: u64,

    /// How long to send
    #[arg(short, long, value_name = "DURATION", value_parser = parse_duration, default_value = "5s")]
    pub duration: Duration,
}

/// Parses `1000`, `64KiB`, `16MiB`, `1GiB` (also `K`, `M`, `G`, powers of 1024).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit())
        .map_or((text, ""), |at| text.split_at(at));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 1000, 64KiB or 16MiB"))?;
    let shift = match unit {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        _ => {
            return Err(format!(
                "unknown unit {unit:?} in {text:?}: use KiB, MiB or GiB"
            ))
        }
    };
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("64K"), Ok(64 << 10));
        assert!(parse_size("12XB").is_err());
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        // Hours are in the grammar every binary shares; a unit outside it is still refused.
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("1 fortnight").is_err());
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Opts::command().debug_assert();
    }
}
