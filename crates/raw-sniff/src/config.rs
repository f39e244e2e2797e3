//! The parsed command line turned into the library's [`Config`], as fd's `construct_config`
//! does: every default applied and every override settled here, so the session reads decided
//! values and never a flag. It lives in the binary because it is about the command line: the
//! library knows nothing of clap, `Opts` or which flag overrides which.

use std::io::{self, IsTerminal};

use anyhow::{bail, Result};
use raw_sniff::session::{Config, FlowOptions, Live, Output, Source, WsOptions};
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
        match opts.output_kind() {
            OutputKind::Line => Output::Line,
            OutputKind::Verbose => Output::Verbose,
            OutputKind::Explain => Output::Explain,
            OutputKind::Json => Output::Json,
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
