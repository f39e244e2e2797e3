//! The parsed command line turned into the library's [`Config`], as fd's `construct_config`
//! does: every default applied and every override settled here, so the session reads decided
//! values and never a flag. It lives in the binary because it is about the command line: the
//! library knows nothing of clap, `Opts` or which flag overrides which.

use std::io::{self, IsTerminal};

use anyhow::{bail, Result};
use raw_sniff::session::{
    Config, FlowOptions, Live, Output, SaveFormat, SaveOptions, Source, WsOptions,
};
use raw_sniff::user_filter;

use crate::cli::{Opts, OutputKind};

/// The session's configuration; fails on a filter that does not parse, and on
/// `--flow-stream` without a picture to draw.
pub fn construct_config(opts: &Opts) -> Result<Config> {
    if opts.flow_stream.is_some() && !opts.flow && opts.graph.is_none() {
        bail!("--flow-stream chooses the conversation --flow or --graph draws: add one of them");
    }
    let filter = match opts.filter_text() {
        Some(text) => Some(user_filter::parse(&text)?),
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
        })
    };
    let output = if opts.quiet {
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
        },
        write: opts.write.clone(),
        count: opts.count,
        duration: opts.duration,
        user: opts.user.clone(),
        flow: (opts.flow || opts.graph.is_some()).then(|| FlowOptions {
            ladder: opts.flow,
            stream: opts.flow_stream,
            ascii: opts.flow_ascii || !locale_is_utf8(),
            width: terminal_columns(),
            graph: opts.graph.clone(),
        }),
        save: save_options(opts)?,
    })
}

/// How the `-w` file is written: pcapng with `--pcapng` or a name ending in `.pcapng`, and
/// the rotation flags as given.
fn save_options(opts: &Opts) -> Result<SaveOptions> {
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
        filter_text: opts.filter_text(),
    })
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
