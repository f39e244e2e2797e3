//! `ws-chat`: a WebSocket chat and echo server, and a load client for it, built on the
//! hand-written `websocket` crate.

/// `println!` that never panics: on a closed stdout (`ws-chat --verbose | head`) the process
/// exits 0, as for any reader that has seen enough; other write errors lose the line only.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::print_line(format_args!($($arg)*))
    };
}

mod admission;
mod bench;
mod chat;
mod cli;
mod inspect;
mod server;
mod shutdown;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let opts = cli::Opts::parse();
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|rt| {
            rt.block_on(async {
                match opts.command {
                    Some(cli::Command::Bench(args)) => bench::run(args).await,
                    None => server::run(opts.server).await,
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`ws-chat --verbose | head`) is the reader's choice, not a failure.
        Err(err) if support::is_broken_pipe(&*err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ws-chat: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Writes one line to stdout; see [`say!`].
pub fn print_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| out.write_all(b"\n"));
    if matches!(&written, Err(e) if support::is_broken_pipe(e)) {
        std::process::exit(0);
    }
}
