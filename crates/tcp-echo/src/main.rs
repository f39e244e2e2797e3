//! `tcp-echo`: the PHP manual's socket server and client examples grown into an echo server, an
//! interactive/scriptable client and a load generator.

mod addr;
mod bench;
mod cli;
mod client;
mod limits;
mod preview;
mod server;
mod signals;
mod trace;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opts = cli::Opts::parse();
    let result = match opts.command {
        cli::Command::Server(args) => server::run(args),
        cli::Command::Client(args) => client::run(args),
        cli::Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tcp-echo: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// `tcp-echo client | head` closing early is the reader's choice, not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
