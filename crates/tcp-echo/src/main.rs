//! `tcp-echo`: the PHP manual's socket server and client examples grown into an echo server, an
//! interactive/scriptable client and a load generator.

mod addr;
mod bench;
mod cli;
mod client;
mod limits;
mod preview;
mod server;
mod trace;
#[cfg(target_os = "linux")]
mod uring;

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
        // `tcp-echo client | head` closing early is the reader's choice, not an error.
        Err(err) if support::is_broken_pipe(&*err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tcp-echo: {err:#}");
            ExitCode::FAILURE
        }
    }
}
