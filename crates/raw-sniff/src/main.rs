//! `raw-sniff`: capture on raw sockets and decode every layer by hand.
//!
//! main parses the options, turns them into the library's `Config` and runs a `Session`;
//! everything about packets lives in the `raw_sniff` library, and this binary only in what is
//! about the command line.

mod cli;
mod config;

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use clap::Parser;
use raw_sniff::note::Note;
use raw_sniff::session::{self, FilterSite, Session, SessionError};

fn main() -> ExitCode {
    let opts = cli::Opts::parse();
    match run(opts) {
        Ok(code) => code,
        // `raw-sniff | head` closing early is the reader's choice, not an error.
        Err(err) if support::is_broken_pipe(&*err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("raw-sniff: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: cli::Opts) -> Result<ExitCode> {
    if opts.list_interfaces {
        raw_sniff::interfaces::list()?;
        return Ok(ExitCode::SUCCESS);
    }
    if opts.list_link_types {
        list_link_types(opts.iface.as_deref().unwrap_or("any"))?;
        return Ok(ExitCode::SUCCESS);
    }
    let config = config::construct_config(&opts)?;
    if opts.dump_filter {
        let Some(program) = session::filter_program(&config, &mut print_note)? else {
            bail!("--dump-filter needs a filter expression");
        };
        print!("{program}");
        return Ok(ExitCode::SUCCESS);
    }
    let session = Session::open(config, &mut print_note)?;
    // The handler goes in before the session announces itself: whoever reads that line may
    // signal at once, and a signal with no handler kills the process before the `-w` file is
    // flushed.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        // A second Ctrl-C while the first is being handled is simply the same request.
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .context("cannot install the Ctrl-C handler")?;
    }
    announce(&session);
    let finished = session.run(&stop, &mut print_note);
    eprint!("{}", finished.summary);
    finished.result.map_err(report)?;
    Ok(ExitCode::SUCCESS)
}

/// `-L`: the link types a capture on `iface` can deliver, in tcpdump's words (on stdout, as
/// -D's list).
fn list_link_types(iface: &str) -> Result<()> {
    use raw_sniff::capture::link_types;
    let mut out = format!("Data link types for {iface} (use option -y to set):\n");
    for link in link_types::offered(iface)? {
        out.push_str(&format!(
            "  {} ({})\n",
            link.name().unwrap_or("?"),
            link_types::description(link)
        ));
    }
    print!("{out}");
    Ok(())
}

/// A note from the library, on stderr as the program's own words.
fn print_note(note: Note) {
    eprintln!("raw-sniff: {note}");
}

/// The line that says the capture has started, and how: tests and scripts wait for it before
/// making traffic, so it comes only once the `-w` file exists and Ctrl-C is handled.
fn announce(session: &Session) {
    let filter = match session.filter_site() {
        Some(FilterSite::Kernel) => ", filter run by the kernel",
        Some(FilterSite::Here) => ", filter run here",
        None => "",
    };
    eprintln!(
        "raw-sniff: reading from {}, link type {}{filter}",
        session.source_description(),
        session.link_type(),
    );
}

/// A capture's error as main reports it. A failed print has nothing to add to its
/// `io::Error`, and its variant is transparent, which hides that error from the source chain:
/// reporting the `io::Error` itself keeps its text alone and lets `is_broken_pipe` find it.
fn report(err: SessionError) -> anyhow::Error {
    match err {
        SessionError::Output(io) => io.into(),
        other => other.into(),
    }
}
