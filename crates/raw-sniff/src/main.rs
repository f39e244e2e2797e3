//! `raw-sniff`: capture on raw sockets and decode every layer by hand.
//!
//! main parses the options and wires a capture backend, the filter, the pcap writer and a
//! printer together; every piece does one job in its own module.

mod capture;
mod cli;
mod interfaces;
mod output;
mod run;
mod style;
mod summary;
mod user_filter;

// The tracker lives in the library so the fuzz targets reach it; `crate::ws` keeps naming it.
use raw_sniff::ws;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let opts = cli::Opts::parse();
    match run::run(opts) {
        Ok(code) => code,
        // `raw-sniff | head` closing early is the reader's choice, not an error.
        Err(err) if support::is_broken_pipe(&*err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("raw-sniff: {err:#}");
            ExitCode::FAILURE
        }
    }
}
