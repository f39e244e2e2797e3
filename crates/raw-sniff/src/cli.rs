//! Command-line interface. Flags tcpdump users know (`-i -c -w -r -v -D`) keep their meaning,
//! and the filter may come as trailing arguments, as tcpdump takes it.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  Every packet on the loopback interface, one line each:
    sudo raw-sniff -i lo
  The same with every header field named and explained:
    sudo raw-sniff -i lo -v tcp port 10000
  What the kernel strips off, byte by byte:
    sudo raw-sniff -i lo --explain -c 3 tcp port 10000
  Only what a SOCK_RAW socket sees (IP header, no Ethernet header):
    sudo raw-sniff --ip-raw -c 5 icmp
  Save while watching, then read back:
    sudo raw-sniff -i lo -w lo.pcap -c 100 && raw-sniff -r lo.pcap --json | jq .
  WebSocket conversations on any port, frames unmasked and close codes named:
    sudo raw-sniff -i lo --ws-only tcp port 8080
  The same as whole messages (fragments joined, permessage-deflate inflated):
    raw-sniff -r chat.pcap --ws-only --ws-messages
  A capture that began after the handshake:
    raw-sniff -r late.pcap --ws-port 8080
  Interfaces:
    raw-sniff -D";

/// A packet sniffer on raw sockets that decodes every header itself.
///
/// raw-sniff opens a raw socket (AF_PACKET on Linux, SOCK_RAW with SIO_RCVALL on Windows) and
/// takes packets before the kernel's TCP/IP stack has consumed their headers; then it parses
/// Ethernet, IPv4/IPv6, TCP, UDP and ICMP by hand and shows what each field means. Capturing
/// needs root or CAP_NET_RAW (Administrator on Windows); reading a file does not.
#[derive(Debug, Parser)]
#[command(name = "raw-sniff", version, max_term_width = 98, after_long_help = EXAMPLES)]
pub struct Opts {
    /// Interface to capture on, or `any` for all of them
    ///
    /// On `any`, frames carry a Linux cooked header instead of their own link header, as with
    /// tcpdump. Default: any. List interfaces with -D.
    #[arg(
        short,
        long,
        value_name = "NAME",
        help = "Interface to capture on (default: any)"
    )]
    pub iface: Option<String>,

    /// Capture with IP raw sockets instead of a packet socket
    ///
    /// One AF_INET SOCK_RAW socket per protocol (tcp, udp, icmp): the kernel hands over IP
    /// packets with their IP header but no Ethernet header, and only those it delivers to this
    /// host. This is the socket the classic SOCK_RAW tutorials open, and what Windows offers.
    #[arg(long, conflicts_with_all = ["iface", "read"])]
    pub ip_raw: bool,

    /// Read packets from a pcap or pcapng file instead of capturing
    #[arg(short, long, value_name = "FILE")]
    pub read: Option<PathBuf>,

    /// Save captured packets to a pcap file (flushed on exit, Ctrl-C included)
    ///
    /// Packets are written as captured, before any printing; with -q nothing is printed.
    #[arg(short, long, value_name = "FILE")]
    pub write: Option<PathBuf>,

    /// Stop after this many packets have matched
    #[arg(short = 'c', long, value_name = "COUNT")]
    pub count: Option<u64>,

    /// Stop after this long (e.g. `10s`, `2m`, `1h 30m`)
    #[arg(long, value_name = "DURATION", value_parser = support::parse_duration)]
    pub duration: Option<Duration>,

    /// Put the interface in promiscuous mode: also frames addressed to other hosts
    #[arg(long)]
    pub promisc: bool,

    /// How to print each packet
    #[arg(long, value_enum, default_value_t = OutputKind::Line, value_name = "FORMAT")]
    pub output: OutputKind,

    /// Every header field, named, with its value and meaning (same as --output verbose)
    #[arg(short, long)]
    pub verbose: bool,

    /// A hex dump with each header's bytes labelled by field (same as --output explain)
    #[arg(short = 'x', long)]
    pub explain: bool,

    /// One JSON object per packet, fields named as in Wireshark (same as --output json)
    #[arg(long)]
    pub json: bool,

    /// Print nothing per packet (useful with -w)
    #[arg(short, long)]
    pub quiet: bool,

    /// Never colour the output (it is coloured only on a terminal anyway)
    #[arg(long)]
    pub no_color: bool,

    /// List network interfaces and exit
    #[arg(short = 'D', long)]
    pub list_interfaces: bool,

    /// After opening the socket, drop root and run as this user (like tcpdump -Z)
    #[arg(short = 'Z', long, value_name = "NAME")]
    pub user: Option<String>,

    /// Kernel buffer size in MiB (the mmap ring on Linux)
    #[arg(short = 'B', long, value_name = "MIB", default_value_t = 8)]
    pub buffer_size: usize,

    /// Receive with recvfrom() instead of the TPACKET_V3 mmap ring
    #[arg(long)]
    pub no_ring: bool,

    /// Print the compiled BPF program (like tcpdump -d) and exit
    #[arg(short = 'd', long)]
    pub dump_filter: bool,

    /// Capture filter in tcpdump's syntax, e.g. `tcp port 80 and host 10.0.0.1`
    ///
    /// It may also be given as trailing arguments, as tcpdump takes it. The language of
    /// pcap-filter(7), as libpcap reads it: host, net, port, portrange (names and every
    /// address form), src/dst, ether host/proto, protocol words (tcp, udp, sctp, icmp, igmp,
    /// arp, stp, isis, …), ip/ip6 proto, protochain, broadcast, multicast, vlan, mpls, pppoes,
    /// geneve, inbound, outbound, ifindex, wlan addresses and types, len, less, greater, byte
    /// loads with arithmetic and relations (`tcp[tcpflags] & tcp-syn != 0`), and/or/not (&&,
    /// ||, !) and parentheses. Not supported: gateway.
    #[arg(short, long, value_name = "EXPR")]
    pub filter: Option<String>,

    /// Print only WebSocket lines, not the packets that carry them
    ///
    /// WebSocket connections are found by their HTTP Upgrade handshake on any port (or by
    /// --ws-port); each frame is printed after the packet that completed it. With this flag
    /// the packet lines are left out. Example: raw-sniff -r chat.pcap --ws-only
    #[arg(long, help = "Print only WebSocket lines, not the packets")]
    pub ws_only: bool,

    /// Show WebSocket payloads whole instead of shortened
    ///
    /// By default a line shows the first 64 bytes of a payload and frames over 64 KiB keep
    /// only their first 64 KiB; with this flag payloads are shown whole and frames up to
    /// 16 MiB are decoded whole.
    #[arg(long, help = "Show WebSocket payloads whole")]
    pub ws_full: bool,

    /// Show whole WebSocket messages instead of data frames
    ///
    /// Fragments are joined, text is checked as UTF-8 and compressed messages
    /// (permessage-deflate, when the captured handshake agreed it) are inflated; each message
    /// is one line with its length, and its compressed length when it was compressed. Control
    /// frames (ping, pong, close) and frames that break a rule are still shown as frames.
    #[arg(long, help = "Show whole WebSocket messages instead of data frames")]
    pub ws_messages: bool,

    /// Decode this TCP port as WebSocket even without a captured handshake (repeatable)
    ///
    /// For a capture that joined a connection after its Upgrade: frames are decoded from the
    /// first plausible frame header in each direction, and the output says so. Without the
    /// handshake the deflate parameters are unknown: RSV1 is accepted, and compressed
    /// messages are shown compressed, not inflated. Example:
    /// raw-sniff -r late.pcap --ws-port 8080
    #[arg(
        long,
        value_name = "PORT",
        help = "Decode PORT as WebSocket without a handshake"
    )]
    pub ws_port: Vec<u16>,

    /// How each line's time is written, as tcpdump's -t given once to five times
    ///
    /// Default: time of day in the local time zone (TZ, else /etc/localtime). -t: no time;
    /// -tt: seconds since the epoch; -ttt: time since the previous line; -tttt: date and time
    /// of day; -ttttt: time since the first line. Only the one-line output has a time to
    /// change; --json keeps its epoch seconds. Example: raw-sniff -r lo.pcap -tttt
    #[arg(
        short = 't',
        action = ArgAction::Count,
        help = "Time: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first"
    )]
    pub time_stamp: u8,

    /// Digits after the seconds' point: micro (6, the default) or nano (9)
    #[arg(long, value_enum, value_name = "PRECISION")]
    pub time_stamp_precision: Option<PrecisionKind>,

    /// Times with microseconds (same as --time-stamp-precision micro)
    #[arg(long, conflicts_with_all = ["nano", "time_stamp_precision"])]
    pub micro: bool,

    /// Times with nanoseconds (same as --time-stamp-precision nano)
    #[arg(long, conflicts_with = "time_stamp_precision")]
    pub nano: bool,

    /// Filter expression as trailing words (joined with spaces)
    #[arg(value_name = "EXPRESSION", trailing_var_arg = true)]
    pub expression: Vec<String>,
}

/// How packets are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputKind {
    /// One line per packet, like `tcpdump -n` (default)
    Line,
    /// Every header field of every layer with its value and meaning
    Verbose,
    /// Hex dump with each byte range labelled by the field it holds
    Explain,
    /// One JSON object per line, fields named after Wireshark's display filters
    Json,
}

/// How many digits follow the seconds' point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrecisionKind {
    /// Microseconds, six digits (default)
    Micro,
    /// Nanoseconds, nine digits
    Nano,
}

impl Opts {
    /// The output format, letting the short flags override `--output`.
    pub fn output_kind(&self) -> OutputKind {
        if self.json {
            OutputKind::Json
        } else if self.explain {
            OutputKind::Explain
        } else if self.verbose {
            OutputKind::Verbose
        } else {
            self.output
        }
    }

    /// The filter text from `--filter` or the trailing words.
    pub fn filter_text(&self) -> Option<String> {
        match (&self.filter, self.expression.is_empty()) {
            (Some(f), _) => Some(f.clone()),
            (None, false) => Some(self.expression.join(" ")),
            (None, true) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Opts::command().debug_assert();
    }

    #[test]
    fn trailing_words_form_the_filter() {
        let opts = Opts::parse_from(["raw-sniff", "-i", "lo", "tcp", "port", "80"]);
        assert_eq!(opts.filter_text().as_deref(), Some("tcp port 80"));
        assert_eq!(opts.iface.as_deref(), Some("lo"));
    }
}
