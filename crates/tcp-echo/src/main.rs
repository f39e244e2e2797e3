//! `tcp-echo`: the PHP manual's socket server and client examples grown into an echo server, an
//! interactive/scriptable client and a load generator.

mod bench;
mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let opts = cli::Opts::parse();
    let result = match opts.command {
        cli::Command::Bench(args) => bench::run(args),
        _ => Ok(()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("tcp-echo: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
