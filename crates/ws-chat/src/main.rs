//! `ws-chat`: a WebSocket chat and echo server, and a load client for it, built on the
//! hand-written `websocket` crate.

mod bench;
mod chat;
mod cli;
mod server;

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
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ws-chat: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
