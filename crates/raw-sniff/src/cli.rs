//! Command-line interface. Flags tcpdump users know (`-i -c -w -r -n -e -q -x -X -A -s -Q -y -L
//! -F -l -U -# -D`, `--count`) keep their meaning, and the filter may come as trailing
//! arguments, as tcpdump takes it. `--help` groups them under tcpdump's headings.

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgAction, Parser, ValueEnum};

/// The `--help` headings, in the order tcpdump users look for things.
mod heading {
    pub const CAPTURE: &str = "Capture";
    pub const FILES: &str = "Input/output files";
    pub const FILTER: &str = "Filter";
    pub const OUTPUT: &str = "Output format";
    pub const TIMESTAMPS: &str = "Timestamps";
    pub const WEBSOCKET: &str = "WebSocket";
    pub const OTHER: &str = "Other";
}

const EXAMPLES: &str = "\
Examples:
  Every packet on the loopback interface, one line each:
    sudo raw-sniff -i lo
  As tcpdump -e -X would show them: link header on the line, bytes under it:
    sudo raw-sniff -i lo -e -X -c 3 tcp port 10000
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
  Each TCP conversation of a capture as a ladder diagram:
    raw-sniff -r echo.pcap --flow
  Its time-sequence graph, to open in a browser:
    raw-sniff -r echo.pcap --graph echo.svg
  Interfaces:
    raw-sniff -D";

/// A packet sniffer on raw sockets that decodes every header itself.
///
/// raw-sniff opens a raw socket (AF_PACKET on Linux, SOCK_RAW with SIO_RCVALL on Windows) and
/// takes packets before the kernel's TCP/IP stack has consumed their headers; then it parses
/// Ethernet, IPv4/IPv6, TCP, UDP and ICMP by hand and shows what each field means. Capturing
/// needs root or CAP_NET_RAW (Administrator on Windows); reading a file does not.
#[derive(Debug, Parser)]
#[command(
    name = "raw-sniff",
    version,
    max_term_width = 98,
    after_long_help = EXAMPLES,
    next_help_heading = heading::OTHER,
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct Opts {
    /// Interface to capture on, or `any` for all of them
    ///
    /// On `any`, frames carry a Linux cooked header instead of their own link header, as with
    /// tcpdump. Default: any. List interfaces with -D.
    #[arg(
        short,
        long,
        value_name = "NAME",
        help = "Interface to capture on (default: any)",
        help_heading = heading::CAPTURE
    )]
    pub iface: Option<String>,

    /// Capture with IP raw sockets instead of a packet socket
    ///
    /// One AF_INET SOCK_RAW socket per protocol (tcp, udp, icmp): the kernel hands over IP
    /// packets with their IP header but no Ethernet header, and only those it delivers to this
    /// host. This is the socket the classic SOCK_RAW tutorials open, and what Windows offers.
    #[arg(long, conflicts_with_all = ["iface", "read"], help_heading = heading::CAPTURE)]
    pub ip_raw: bool,

    /// Read packets from a pcap or pcapng file instead of capturing
    #[arg(short, long, value_name = "FILE", help_heading = heading::FILES)]
    pub read: Option<PathBuf>,

    /// Save captured packets to a pcap file, or pcapng (flushed on exit, Ctrl-C included)
    ///
    /// Packets are written as captured, before any printing, and still printed (unlike
    /// tcpdump -w): add --no-print to save without printing.
    #[arg(short, long, value_name = "FILE", help_heading = heading::FILES)]
    pub write: Option<PathBuf>,

    /// Write the -w file as pcapng instead of classic pcap
    ///
    /// Also chosen when the -w name ends in .pcapng. A pcapng file keeps frames of several
    /// link types, each under its own interface description, and records the interface's
    /// name, the filter and raw-sniff's version, as Wireshark and capinfos show them.
    #[arg(
        long,
        requires = "write",
        help = "Write the -w file as pcapng",
        help_heading = heading::FILES
    )]
    pub pcapng: bool,

    /// Start a new -w file once it is larger than SIZE million bytes (like tcpdump -C)
    ///
    /// Checked before each packet is written, so a file ends at most one packet past SIZE.
    /// The files are FILE, FILE1, FILE2, …; with -W, a ring numbered from FILE0. A suffix k,
    /// m or g counts in KiB, MiB or GiB instead (as newer tcpdump). Example: -C 100
    #[arg(
        short = 'C',
        long,
        value_name = "SIZE",
        requires = "write",
        value_parser = parse_file_size,
        help = "Start a new -w file past SIZE million bytes (like tcpdump -C)",
        help_heading = heading::FILES
    )]
    pub file_size: Option<u64>,

    /// Start a new -w file every SECONDS seconds (like tcpdump -G)
    ///
    /// The -w name goes through strftime in local time when each file starts, so it should
    /// hold a time format, e.g. -w 'cap-%Y%m%d-%H%M%S.pcap'; a name without one is rewritten
    /// every period. The check is made when a packet arrives. With -C, the files of each
    /// period are numbered as -C numbers them.
    #[arg(
        short = 'G',
        long,
        value_name = "SECONDS",
        requires = "write",
        value_parser = clap::value_parser!(u64).range(1..),
        help = "Start a new -w file every SECONDS (like tcpdump -G)",
        help_heading = heading::FILES
    )]
    pub rotate_seconds: Option<u64>,

    /// With -C, a ring of COUNT files; with -G alone, stop after COUNT files (like tcpdump -W)
    ///
    /// With -C, file names get numbers padded to the same width (FILE0 … FILE9 for -W 10),
    /// and the oldest file is overwritten once COUNT are written. With -G and no -C, the
    /// capture ends at the first packet after the COUNTth file's period.
    #[arg(
        short = 'W',
        long,
        value_name = "COUNT",
        requires = "write",
        value_parser = clap::value_parser!(u32).range(1..),
        help = "A ring of COUNT files with -C; stop after COUNT files with -G",
        help_heading = heading::FILES
    )]
    pub file_count: Option<u32>,
    /// Stop after this many packets have matched
    #[arg(short = 'c', value_name = "COUNT", help_heading = heading::CAPTURE)]
    pub count: Option<u64>,

    /// Stop after this long (e.g. `10s`, `2m`, `1h 30m`)
    #[arg(long, value_name = "DURATION", value_parser = support::parse_duration, help_heading = heading::CAPTURE)]
    pub duration: Option<Duration>,

    /// Put the interface in promiscuous mode: also frames addressed to other hosts
    #[arg(long, help_heading = heading::CAPTURE)]
    pub promisc: bool,

    /// How to print each packet
    #[arg(long, value_enum, default_value_t = OutputKind::Line, value_name = "FORMAT", help_heading = heading::OUTPUT)]
    pub output: OutputKind,

    /// Every header field, named, with its value and meaning (same as --output verbose)
    #[arg(short, long, help_heading = heading::OUTPUT)]
    pub verbose: bool,

    /// A hex dump with each header's bytes labelled by field (same as --output explain)
    ///
    /// raw-sniff's own view: every byte of the frame under the name of the field it holds.
    /// tcpdump's plain hex dump is -x.
    #[arg(
        long,
        help = "Each header's bytes labelled by field (--output explain)",
        help_heading = heading::OUTPUT
    )]
    pub explain: bool,

    /// One JSON object per packet, fields named as in Wireshark (same as --output json)
    #[arg(long, help_heading = heading::OUTPUT)]
    pub json: bool,

    /// Print nothing per packet (to save with -w without printing, as tcpdump -w does)
    #[arg(
        long,
        help = "Print nothing per packet (to save silently with -w)",
        help_heading = heading::OUTPUT
    )]
    pub no_print: bool,

    /// Print the packets while saving them with -w (raw-sniff always does; for tcpdump habits)
    #[arg(
        long,
        conflicts_with = "no_print",
        help = "Print while saving with -w (what raw-sniff does anyway)",
        help_heading = heading::OUTPUT
    )]
    pub print: bool,

    /// Never colour the output (it is coloured only on a terminal anyway)
    #[arg(long, help_heading = heading::OUTPUT)]
    pub no_color: bool,

    /// Don't convert addresses or ports to names (raw-sniff never does; -nn too)
    #[arg(
        short = 'n',
        action = ArgAction::Count,
        help = "Don't resolve names (raw-sniff never does); -nn too",
        help_heading = heading::OUTPUT
    )]
    pub numeric: u8,

    /// Print the link-level header on each line, as tcpdump -e
    ///
    /// Ethernet: `02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 (0x0800), length 98: `,
    /// then each VLAN tag; Linux cooked: the direction (In, Out, B, M, P) and address; loopback:
    /// the address family; raw IP: `ip: `; PPP and Cisco HDLC: the protocol. As with tcpdump,
    /// the network layer then goes unlabelled (no `IP`).
    #[arg(short = 'e', help = "Print the link-level header on each line", help_heading = heading::OUTPUT)]
    pub link_header: bool,

    /// Quick output: less protocol information (a TCP segment is `tcp LENGTH`), as tcpdump -q
    #[arg(
        short = 'q',
        long = "quick",
        help = "Quick output: fewer words per packet",
        help_heading = heading::OUTPUT
    )]
    pub quick: bool,

    /// Print each packet's bytes in hex under its line (-xx: with its link header)
    ///
    /// As tcpdump -x: offsets and groups of two bytes, from the network header on; doubled, from
    /// the link header on.
    #[arg(short = 'x', action = ArgAction::Count, help = "Print the packet in hex (-xx: with its link header)", help_heading = heading::OUTPUT)]
    pub hex: u8,

    /// Print each packet's bytes in hex and ASCII under its line (-XX: with its link header)
    #[arg(short = 'X', action = ArgAction::Count, help = "Print the packet in hex and ASCII (-XX: with its link header)", help_heading = heading::OUTPUT)]
    pub hex_ascii: u8,

    /// Print each packet's bytes as ASCII under its line (handy for web pages; -AA: with its
    /// link header)
    #[arg(short = 'A', action = ArgAction::Count, help = "Print the packet in ASCII", help_heading = heading::OUTPUT)]
    pub ascii: u8,

    /// Start each line with the packet's number, as tcpdump -#
    #[arg(short = '#', long = "number", help = "Number the lines", help_heading = heading::OUTPUT)]
    pub number: bool,

    /// Print only how many packets matched (`N packets`), not the packets
    #[arg(
        long = "count",
        help = "Print only how many packets matched",
        help_heading = heading::OUTPUT
    )]
    pub count_only: bool,

    /// Make stdout line buffered: each line is written at once, also into a pipe
    #[arg(short = 'l', help = "Line-buffer stdout", help_heading = heading::OUTPUT)]
    pub line_buffered: bool,

    /// How each line's time is written, as tcpdump's -t given once to five times
    ///
    /// Default: time of day in the local time zone (TZ, else /etc/localtime). -t: no time;
    /// -tt: seconds since the epoch; -ttt: time since the previous line; -tttt: date and time
    /// of day; -ttttt: time since the first line. Only the one-line output has a time to
    /// change; --json keeps its epoch seconds. Example: raw-sniff -r lo.pcap -tttt
    #[arg(
        short = 't',
        action = ArgAction::Count,
        help = "Time: -t none, -tt epoch, -ttt delta, -tttt date, -ttttt since first",
        help_heading = heading::TIMESTAMPS
    )]
    pub time_stamp: u8,

    /// Digits after the seconds' point: micro (6, the default) or nano (9)
    #[arg(long, value_enum, value_name = "PRECISION", help_heading = heading::TIMESTAMPS)]
    pub time_stamp_precision: Option<PrecisionKind>,

    /// Times with microseconds (same as --time-stamp-precision micro)
    #[arg(
        long,
        conflicts_with_all = ["nano", "time_stamp_precision"],
        help_heading = heading::TIMESTAMPS
    )]
    pub micro: bool,

    /// Times with nanoseconds (same as --time-stamp-precision nano)
    #[arg(
        long,
        conflicts_with = "time_stamp_precision",
        help_heading = heading::TIMESTAMPS
    )]
    pub nano: bool,

    /// Write each packet to the -w file at once rather than in blocks
    #[arg(
        short = 'U',
        long = "packet-buffered",
        help = "Write each packet to the -w file at once",
        help_heading = heading::FILES
    )]
    pub packet_buffered: bool,

    /// Keep at most this many bytes of each packet (0: 262144, the default)
    ///
    /// For live captures; the -w file's header states it. Packets cut short print as tcpdump
    /// prints them, with what was captured.
    #[arg(
        short = 's',
        long = "snapshot-length",
        value_name = "SNAPLEN",
        help = "Keep at most SNAPLEN bytes of each packet (0: 262144)",
        help_heading = heading::CAPTURE
    )]
    pub snaplen: Option<u32>,

    /// Keep only packets going this way: in, out or inout (default)
    ///
    /// Live captures only. On lo every packet is seen coming in (its outgoing copy is
    /// dropped, as libpcap does), so `-Q out` on lo keeps nothing.
    #[arg(
        short = 'Q',
        long = "direction",
        value_name = "DIRECTION",
        help = "Keep only packets going this way: in, out or inout",
        help_heading = heading::CAPTURE
    )]
    pub direction: Option<raw_sniff::capture::Direction>,

    /// Capture with this data link type (list them with -L)
    ///
    /// On `any` and other cooked interfaces, LINUX_SLL (default) or LINUX_SLL2 (which carries
    /// the interface index); Ethernet interfaces offer EN10MB only.
    #[arg(
        short = 'y',
        long = "linktype",
        value_name = "TYPE",
        help = "Capture with this data link type (see -L)",
        help_heading = heading::CAPTURE
    )]
    pub link_type: Option<String>,

    /// List the interface's data link types and exit
    #[arg(short = 'L', long = "list-data-link-types", help_heading = heading::CAPTURE)]
    pub list_link_types: bool,

    /// List network interfaces and exit
    #[arg(short = 'D', long, help_heading = heading::CAPTURE)]
    pub list_interfaces: bool,

    /// After opening the socket, drop root and run as this user (like tcpdump -Z)
    #[arg(short = 'Z', long, value_name = "NAME", help_heading = heading::CAPTURE)]
    pub user: Option<String>,

    /// Kernel buffer size in MiB (the mmap ring on Linux)
    #[arg(short = 'B', long, value_name = "MIB", default_value_t = 8, help_heading = heading::CAPTURE)]
    pub buffer_size: usize,

    /// Receive with recvfrom() instead of the TPACKET_V3 mmap ring
    #[arg(long, help_heading = heading::CAPTURE)]
    pub no_ring: bool,

    /// Capture with N threads, each reading its own socket of one PACKET_FANOUT group (Linux)
    ///
    /// N AF_PACKET sockets, each with its own TPACKET_V3 ring, share the interface's traffic
    /// by the kernel's flow hash, which sends both directions of a TCP or UDP conversation to
    /// the same socket: each thread decodes its own packets and follows its own TCP streams
    /// and WebSocket conversations whole. Printed packets from all threads are merged in time
    /// order (packets held up more than 200 ms may come out late). With -w FILE each thread
    /// writes its own file, FILE.0 to FILE.<N-1> (join them with mergecap). -c counts over
    /// all threads, and so do packet numbers (-#, JSON's frame.number), in the order the
    /// threads took the packets. The summary adds up every socket's kernel counts and shows
    /// each thread's share. Not with -r, --ip-raw, --flow, --graph, -ttt, -ttttt, -C or -G.
    /// 1 reads a single socket on one thread. Example: sudo raw-sniff -i eth0 --threads 4
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        value_parser = clap::value_parser!(u16).range(1..=1024),
        help = "Capture with N threads on a PACKET_FANOUT group (default: 1)",
        help_heading = heading::CAPTURE
    )]
    pub threads: u16,

    /// Print the compiled BPF program (like tcpdump -d) and exit
    #[arg(short = 'd', long, help_heading = heading::FILTER)]
    pub dump_filter: bool,

    /// Read the filter expression from FILE (`#` starts a comment to the end of the line)
    ///
    /// As tcpdump -F: an expression also given on the command line is ignored, with a warning.
    #[arg(short = 'F', value_name = "FILE", help = "Read the filter expression from FILE", help_heading = heading::FILTER)]
    pub filter_file: Option<PathBuf>,

    /// Capture filter in tcpdump's syntax, e.g. `tcp port 80 and host 10.0.0.1`
    ///
    /// It may also be given as trailing arguments, as tcpdump takes it. The language of
    /// pcap-filter(7), as libpcap reads it: host, net, port, portrange (names and every
    /// address form), src/dst, ether host/proto, protocol words (tcp, udp, sctp, icmp, igmp,
    /// arp, stp, isis, …), ip/ip6 proto, protochain, broadcast, multicast, vlan, mpls, pppoes,
    /// geneve, inbound, outbound, ifindex, wlan addresses and types, len, less, greater, byte
    /// loads with arithmetic and relations (`tcp[tcpflags] & tcp-syn != 0`), and/or/not (&&,
    /// ||, !) and parentheses. Not supported: gateway.
    #[arg(short, long, value_name = "EXPR", help_heading = heading::FILTER)]
    pub filter: Option<String>,

    /// Print only WebSocket lines, not the packets that carry them
    ///
    /// WebSocket connections are found by their HTTP Upgrade handshake on any port (or by
    /// --ws-port); each frame is printed after the packet that completed it. With this flag
    /// the packet lines are left out. Example: raw-sniff -r chat.pcap --ws-only
    #[arg(long, help = "Print only WebSocket lines, not the packets", help_heading = heading::WEBSOCKET)]
    pub ws_only: bool,

    /// Show WebSocket payloads whole instead of shortened
    ///
    /// By default a line shows the first 64 bytes of a payload and frames over 64 KiB keep
    /// only their first 64 KiB; with this flag payloads are shown whole and frames up to
    /// 16 MiB are decoded whole. JSON output always gets them whole, as if with this flag.
    #[arg(long, help = "Show WebSocket payloads whole", help_heading = heading::WEBSOCKET)]
    pub ws_full: bool,

    /// Show whole WebSocket messages instead of data frames
    ///
    /// Fragments are joined, text is checked as UTF-8 and compressed messages
    /// (permessage-deflate, when the captured handshake agreed it) are inflated; each message
    /// is one line with its length, and its compressed length when it was compressed. Control
    /// frames (ping, pong, close) and frames that break a rule are still shown as frames.
    #[arg(
        long,
        help = "Show whole WebSocket messages instead of data frames",
        help_heading = heading::WEBSOCKET
    )]
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
        help = "Decode PORT as WebSocket without a handshake",
        help_heading = heading::WEBSOCKET
    )]
    pub ws_port: Vec<u16>,

    /// Examine at most N TCP connections for WebSocket at once
    ///
    /// Connections opened while N are being examined (reading a handshake or decoding frames)
    /// are not looked at, and the summary says how many. The default is the TCP reassembler's
    /// own cap on connections followed at once, so every connection of a busy server is
    /// decoded; a larger N could never be reached, since a connection the reassembler drops is
    /// dropped here too. An idle upgraded connection costs about 300 bytes here (on top of the
    /// reassembler's 410 per flow); a smaller N bounds the memory of a capture with many
    /// connections mid-frame. Example:
    /// raw-sniff -r busy.pcap --ws-max-conns 1024
    #[arg(
        long,
        value_name = "N",
        default_value_t = raw_sniff::ws::DEFAULT_MAX_CONNS,
        value_parser = parse_ws_max_conns,
        help = "Examine at most N connections for WebSocket at once",
        help_heading = heading::WEBSOCKET
    )]
    pub ws_max_conns: usize,

    /// Elasticsearch bulk lines, as `tshark -T ek` writes them (same as --output json-ek)
    ///
    /// Newline-delimited JSON for a pipeline: per packet an index line
    /// {"index":{"_index":"packets-YYYY-MM-DD","_type":"doc"}} (the packet's local date), then
    /// {"timestamp":"<ms>","layers":{...}} with fields named and typed as tshark's: layer
    /// prefix, dots as underscores (ip_ip_src, tcp_tcp_srcport), numbers as strings, flags as
    /// true/false. WebSocket frames are layers of the packet that completed them, and nothing
    /// is shortened. Load it with: curl -H 'Content-Type: application/x-ndjson' --data-binary
    /// @FILE http://HOST:9200/_bulk
    #[arg(
        long,
        conflicts_with_all = ["json", "ws_only"],
        help = "Elasticsearch bulk lines, as tshark -T ek writes them",
        help_heading = heading::OUTPUT
    )]
    pub json_ek: bool,

    /// Output format by tshark's name for it: ek is --json-ek, json is --json
    #[arg(
        short = 'T',
        value_enum,
        value_name = "FORMAT",
        conflicts_with_all = ["json", "json_ek"],
        help_heading = heading::OUTPUT
    )]
    pub tshark_format: Option<TsharkFormat>,

    /// Print help (-h a summary, --help all of it)
    #[arg(short = 'h', long = "help", action = ArgAction::Help, help_heading = heading::OTHER)]
    #[allow(dead_code)] // clap prints the help and exits; nothing reads the field
    help: Option<bool>,

    /// Print version
    #[arg(short = 'V', long = "version", action = ArgAction::Version, help_heading = heading::OTHER)]
    #[allow(dead_code)] // clap prints the version and exits; nothing reads the field
    version: Option<bool>,

    /// Draw each TCP conversation as a ladder diagram instead of printing packet lines
    ///
    /// The client (the side that sent the SYN, or else the first sender) on the left, the
    /// server on the right, one arrow per segment in time order, labelled with its flags,
    /// relative seq/ack, length and the window where it changed; retransmissions (data sent
    /// again) are marked, WebSocket frames are noted under the arrow that completed them. A
    /// conversation is drawn when it ends (a reset, or both FINs acknowledged), the rest at
    /// the end of the capture; each keeps its first 1000 segments, and at most 256 are
    /// followed at once. As wide as COLUMNS says (default 80); Unicode lines unless
    /// --flow-ascii or the locale is not UTF-8. Example: raw-sniff -r echo.pcap --flow
    #[arg(
        long,
        conflicts_with_all = [
            "no_print", "count_only", "ws_only", "json", "json_ek", "tshark_format", "explain",
            "verbose"
        ],
        help = "Draw each TCP conversation as a ladder diagram",
        help_heading = heading::OUTPUT
    )]
    pub flow: bool,

    /// Only the TCP stream numbered N (tshark's tcp.stream: 0-based, in order of first packet)
    ///
    /// For --flow and --graph. With --graph the one graph is written to FILE.svg itself.
    #[arg(long, value_name = "N", help_heading = heading::OUTPUT)]
    pub flow_stream: Option<u64>,

    /// Draw --flow's ladders with ASCII characters only
    #[arg(long, requires = "flow", help_heading = heading::OUTPUT)]
    pub flow_ascii: bool,

    /// Write each TCP stream's time-sequence graph as SVG: FILE.svg for one stream,
    /// FILE-0.svg, FILE-1.svg, … for several
    ///
    /// Sequence number (relative) against time, as Stevens and tcptrace draw it, for the
    /// direction that carried more data: each data segment a vertical bar (an I-beam) from
    /// its first byte to its last, the receiver's ACK line and its window line (ACK +
    /// window), retransmissions in red, SACK blocks in purple. One file per stream that
    /// carried data, named after the stream's number (tshark's tcp.stream: FILE-0.svg,
    /// FILE-1.svg, …) and written when the stream ends; a capture with one such stream,
    /// or --flow-stream N, gets FILE.svg itself. Each graph keeps its stream's first 10000
    /// segments. Packet lines are printed as usual (or ladders with --flow). Open the files
    /// in a browser. Example: raw-sniff -r bulk.pcap --graph tcp.svg
    #[arg(
        long,
        value_name = "FILE.svg",
        help = "Write each TCP stream's time-sequence graph as SVG (FILE-N.svg for several)",
        help_heading = heading::FILES
    )]
    pub graph: Option<PathBuf>,

    /// Filter expression as trailing words (joined with spaces)
    #[arg(value_name = "EXPRESSION", trailing_var_arg = true, help_heading = heading::FILTER)]
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
    /// Elasticsearch bulk lines (an index line, then a document), as `tshark -T ek` writes them
    JsonEk,
}

/// Output formats by the names tshark's `-T` gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TsharkFormat {
    /// Elasticsearch bulk lines (--json-ek)
    Ek,
    /// One JSON object per packet (--json)
    Json,
}

/// `-C`'s size: millions of bytes, as tcpdump counts it, or KiB, MiB or GiB with a suffix
/// `k`, `m` or `g` (either case), as newer tcpdump documents (4.99.3 takes numbers only).
fn parse_file_size(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.char_indices().last() {
        Some((at, c)) if c.is_ascii_alphabetic() => {
            let unit = match c.to_ascii_lowercase() {
                'k' => 1 << 10,
                'm' => 1 << 20,
                'g' => 1 << 30,
                _ => return Err(format!("unknown unit '{c}' (k, m or g)")),
            };
            (&text[..at], unit)
        }
        _ => (text, 1_000_000),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "expected a whole number of millions of bytes, e.g. 100 or 512k".to_owned())?;
    if n == 0 {
        return Err("the size must be at least 1".to_owned());
    }
    n.checked_mul(unit)
        .ok_or_else(|| "the size is too large".to_owned())
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

    /// The output format, letting `--json-ek` and `-T` override the others.
    pub fn format(&self) -> OutputKind {
        match (self.json_ek, self.tshark_format) {
            (true, _) | (_, Some(TsharkFormat::Ek)) => OutputKind::JsonEk,
            (_, Some(TsharkFormat::Json)) => OutputKind::Json,
            _ => self.output_kind(),
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

/// `--ws-max-conns`: from 1 to the reassembler's flow cap, which it could never exceed.
fn parse_ws_max_conns(s: &str) -> Result<usize, String> {
    let max = raw_sniff::ws::DEFAULT_MAX_CONNS;
    match s.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a number of connections from 1 to {max}")),
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
    fn file_sizes_count_as_tcpdump_does() {
        assert_eq!(parse_file_size("1"), Ok(1_000_000));
        assert_eq!(parse_file_size("20k"), Ok(20 * 1024));
        assert_eq!(parse_file_size("3M"), Ok(3 << 20));
        assert_eq!(parse_file_size("1g"), Ok(1 << 30));
        for bad in [
            "0",
            "",
            "k",
            "1.5",
            "-1",
            "1kb",
            "1x",
            "99999999999999999999",
        ] {
            assert!(parse_file_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn trailing_words_form_the_filter() {
        let opts = Opts::parse_from(["raw-sniff", "-i", "lo", "tcp", "port", "80"]);
        assert_eq!(opts.filter_text().as_deref(), Some("tcp port 80"));
        assert_eq!(opts.iface.as_deref(), Some("lo"));
    }

    #[test]
    fn tcpdump_flags_parse_as_tcpdump_users_type_them() {
        let opts = Opts::parse_from([
            "raw-sniff",
            "-nn",
            "-e",
            "-q",
            "-xx",
            "-X",
            "-A",
            "-#",
            "-l",
            "-U",
            "-s",
            "0",
            "-Q",
            "in",
            "-y",
            "LINUX_SLL2",
            "-c",
            "5",
            "--count",
            "tcp",
        ]);
        assert_eq!(
            (opts.numeric, opts.hex, opts.hex_ascii, opts.ascii),
            (2, 2, 1, 1)
        );
        assert!(opts.link_header && opts.quick && opts.number && opts.count_only);
        assert!(opts.line_buffered && opts.packet_buffered);
        assert_eq!(opts.snaplen, Some(0));
        assert_eq!(opts.direction, Some(raw_sniff::capture::Direction::In));
        assert_eq!(opts.link_type.as_deref(), Some("LINUX_SLL2"));
        assert_eq!(
            (opts.count, opts.filter_text().as_deref()),
            (Some(5), Some("tcp"))
        );
        // -x is tcpdump's hex now, not the labelled view.
        assert_eq!(opts.output_kind(), OutputKind::Line);
    }

    #[test]
    fn help_is_grouped_and_both_spellings_work() {
        use clap::error::ErrorKind;
        for flag in ["-h", "--help"] {
            let err = Opts::try_parse_from(["raw-sniff", flag]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::DisplayHelp);
            let text = err.to_string();
            for heading in [
                "Capture:",
                "Input/output files:",
                "Filter:",
                "Output format:",
                "WebSocket:",
                "Other:",
            ] {
                assert!(text.contains(heading), "{flag}: no {heading}\n{text}");
            }
        }
        let short = Opts::try_parse_from(["raw-sniff", "-h"])
            .unwrap_err()
            .to_string();
        let long = Opts::try_parse_from(["raw-sniff", "--help"])
            .unwrap_err()
            .to_string();
        assert!(short.len() < long.len());
    }
}
