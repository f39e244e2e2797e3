//! The parsed command line turned into the library's [`Config`], as fd's `construct_config`
//! does: every default applied and every override settled here, so the session reads decided
//! values and never a flag. It lives in the binary because it is about the command line: the
//! library knows nothing of clap, `Opts` or which flag overrides which.

use std::io::{self, IsTerminal};

use anyhow::{bail, Result};
use raw_sniff::output::time::{Precision, Stamp, TimeFormat};
use raw_sniff::session::{Config, Live, Output, Source, WsOptions};
use raw_sniff::user_filter;

use crate::cli::{Opts, OutputKind, PrecisionKind};

/// The session's configuration; fails on a filter that does not parse and on more than five
/// `-t`.
pub fn construct_config(opts: &Opts) -> Result<Config> {
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
        time: time_format(opts)?,
    })
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
