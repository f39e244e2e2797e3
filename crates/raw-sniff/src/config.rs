//! The parsed command line turned into the library's [`Config`], as fd's `construct_config`
//! does: every default applied and every override settled here, so the session reads decided
//! values and never a flag. It lives in the binary because it is about the command line: the
//! library knows nothing of clap, `Opts` or which flag overrides which.

use std::io::{self, IsTerminal};

use anyhow::{bail, Context, Result};
use raw_sniff::capture::{link_types, Direction, LinkType};
use raw_sniff::output::line::{Dump, LineOptions};
use raw_sniff::output::time::{Precision, Stamp, TimeFormat};
use raw_sniff::session::{
    Config, FlowOptions, Live, Output, SaveFormat, SaveOptions, Source, WsOptions,
};
use raw_sniff::user_filter;

use crate::cli::{Opts, OutputKind, PrecisionKind};

/// The session's configuration; fails on a filter that does not parse (or a -F file that
/// cannot be read), on flags that need a live capture given with a file, on more than five
/// `-t`, and on `--flow-stream` without a picture to draw.
pub fn construct_config(opts: &Opts) -> Result<Config> {
    if opts.flow_stream.is_some() && !opts.flow && opts.graph.is_none() {
        bail!("--flow-stream chooses the conversation --flow or --graph draws: add one of them");
    }
    let text = match &opts.filter_file {
        Some(path) => {
            if opts.filter_text().is_some() {
                eprintln!(
                    "raw-sniff: warning: the filter comes from {}; the expression on the \
                     command line is ignored",
                    path.display()
                );
            }
            Some(filter_file(&std::fs::read(path).with_context(|| {
                format!("cannot read the filter file {}", path.display())
            })?))
        }
        None => opts.filter_text(),
    };
    let live = opts.read.is_none() && !opts.ip_raw;
    if !live && (opts.direction.is_some() || opts.link_type.is_some()) {
        bail!("-Q and -y apply to a live capture on an interface, not to -r or --ip-raw");
    }
    if opts.threads > 1 {
        refuse_with_threads(opts)?;
    }
    let filter = match &text {
        Some(text) => Some(user_filter::parse(text)?),
        None => None,
    };
    let source = if let Some(path) = &opts.read {
        Source::File(path.clone())
    } else if opts.ip_raw {
        Source::IpRaw
    } else {
        Source::Interface(Live {
            iface: opts.iface.clone(),
            promisc: opts.promisc,
            buffer: opts.buffer_size.saturating_mul(1 << 20),
            ring: !opts.no_ring,
            link: opts.link_type.as_deref().map(link_type_named).transpose()?,
            direction: opts.direction.unwrap_or(Direction::InOut),
            threads: usize::from(opts.threads),
        })
    };
    let output = if opts.count_only {
        Output::Count
    } else if opts.no_print {
        Output::Quiet
    } else {
        match opts.format() {
            OutputKind::Line => Output::Line,
            OutputKind::Verbose => Output::Verbose,
            OutputKind::Explain => Output::Explain,
            OutputKind::Json => Output::Json,
            OutputKind::JsonEk if opts.ws_only => bail!(
                "--ws-only does not apply to EK output: each packet's document carries its WebSocket layers"
            ),
            OutputKind::JsonEk => Output::JsonEk,
        }
    };
    Ok(Config {
        source,
        filter,
        output,
        color: io::stdout().is_terminal()
            && !opts.no_color
            && std::env::var_os("NO_COLOR").is_none(),
        ws: WsOptions {
            ports: opts.ws_port.clone(),
            full: opts.ws_full,
            messages: opts.ws_messages,
            only: opts.ws_only,
            max_conns: opts.ws_max_conns,
        },
        write: opts.write.clone(),
        count: opts.count,
        duration: opts.duration,
        user: opts.user.clone(),
        line: line_options(opts),
        snaplen: snaplen(opts.snaplen),
        line_buffered: opts.line_buffered,
        packet_buffered: opts.packet_buffered,
        flow: (opts.flow || opts.graph.is_some()).then(|| FlowOptions {
            ladder: opts.flow,
            stream: opts.flow_stream,
            ascii: opts.flow_ascii || !locale_is_utf8(),
            width: terminal_columns(),
            graph: opts.graph.clone(),
        }),
        save: save_options(opts, text)?,
        time: time_format(opts)?,
    })
}

/// `--threads` above 1 reads several sockets of a live interface at once, and merges what
/// they print by time: the options that need one source or one printer's memory of the
/// packet before are refused, each with its reason.
fn refuse_with_threads(opts: &Opts) -> Result<()> {
    if opts.read.is_some() {
        bail!("--threads applies to a live capture: -r reads its file on one thread");
    }
    if opts.ip_raw {
        bail!("--threads needs a packet socket (PACKET_FANOUT): not with --ip-raw");
    }
    if opts.flow || opts.graph.is_some() {
        bail!("--flow and --graph draw whole conversations in one place: use --threads 1");
    }
    if opts.time_stamp == 3 || opts.time_stamp == 5 {
        bail!("-ttt and -ttttt need every line from one thread: use --threads 1");
    }
    if opts.file_size.is_some() || opts.rotate_seconds.is_some() {
        bail!("--threads writes one -w file per thread and does not rotate them: no -C or -G");
    }
    Ok(())
}

/// The time stamp form and precision the `-t` flags and the precision flags ask for.
fn time_format(opts: &Opts) -> Result<TimeFormat> {
    let Some(stamp) = Stamp::from_count(opts.time_stamp) else {
        bail!("only -t, -tt, -ttt, -tttt and -ttttt are supported");
    };
    let nano = opts.nano || opts.time_stamp_precision == Some(PrecisionKind::Nano);
    Ok(TimeFormat {
        stamp,
        precision: if nano {
            Precision::Nano
        } else {
            Precision::Micro
        },
    })
}

/// How the `-w` file is written: pcapng with `--pcapng` or a name ending in `.pcapng`, the
/// rotation flags as given, the filter (from the command line or -F) recorded in it.
fn save_options(opts: &Opts, filter_text: Option<String>) -> Result<SaveOptions> {
    if opts.file_count.is_some() && opts.file_size.is_none() && opts.rotate_seconds.is_none() {
        bail!("-W needs -C or -G: it counts the files they start");
    }
    let named_pcapng = opts.write.as_ref().is_some_and(|path| {
        path.extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("pcapng"))
    });
    Ok(SaveOptions {
        format: if opts.pcapng || named_pcapng {
            SaveFormat::PcapNg
        } else {
            SaveFormat::Pcap
        },
        rotate_size: opts.file_size,
        rotate_seconds: opts.rotate_seconds,
        file_count: opts.file_count,
        filter_text,
        snaplen: snaplen(opts.snaplen),
    })
}

/// What tcpdump's output flags ask of each line. Of the dumps, as in tcpdump, -X wins over
/// -x, and -x over -A.
pub fn line_options(opts: &Opts) -> LineOptions {
    let dump = if opts.hex_ascii > 0 {
        Dump::HexAscii {
            link: opts.hex_ascii > 1,
        }
    } else if opts.hex > 0 {
        Dump::Hex { link: opts.hex > 1 }
    } else if opts.ascii > 0 {
        Dump::Ascii {
            link: opts.ascii > 1,
        }
    } else {
        Dump::None
    };
    LineOptions {
        link_header: opts.link_header,
        quick: opts.quick,
        number: opts.number,
        dump,
    }
}

/// `-s`: 0 or nothing is the most raw-sniff keeps, as in tcpdump, and so is anything above it.
fn snaplen(asked: Option<u32>) -> u32 {
    match asked {
        None | Some(0) => raw_sniff::SNAPLEN,
        Some(n) => n.min(raw_sniff::SNAPLEN),
    }
}

/// `-y`'s link type, by tcpdump's name for it.
pub fn link_type_named(name: &str) -> Result<LinkType> {
    match link_types::named(name) {
        Some(link) => Ok(link),
        None => bail!("invalid data link type {name}"),
    }
}

/// The filter text of a `-F` file: as tcpdump reads one, `#` starts a comment that runs to
/// the end of its line.
fn filter_file(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether the locale's character set is UTF-8, as `LC_ALL`, `LC_CTYPE` and `LANG` say in
/// that order (the first one set decides; none set is the C locale, which is ASCII).
fn locale_is_utf8() -> bool {
    ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|value| !value.is_empty())
        .is_some_and(|value| {
            let value = value.to_ascii_lowercase();
            value.contains("utf-8") || value.contains("utf8")
        })
}

/// The drawing's width: `COLUMNS` when it is a number, else 80.
fn terminal_columns() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&c: &usize| c > 0)
        .unwrap_or(80)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_files_lose_their_comments() {
        assert_eq!(
            filter_file(b"# web\ntcp port 80 # plain\nor udp"),
            "\ntcp port 80 \nor udp"
        );
    }

    #[test]
    fn snaplen_zero_is_the_largest() {
        assert_eq!(snaplen(Some(0)), raw_sniff::SNAPLEN);
        assert_eq!(snaplen(Some(96)), 96);
        assert_eq!(snaplen(Some(u32::MAX)), raw_sniff::SNAPLEN);
    }
}
