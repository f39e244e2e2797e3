//! Command-line interface: one subcommand per role.

use clap::{Parser, Subcommand};

/// A TCP echo server, client and load generator that shows the socket calls it makes.
#[derive(Debug, Parser)]
#[command(name = "tcp-echo", version, max_term_width = 98)]
pub struct Opts {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the echo server.
    Server,
    /// Connect to an echo server.
    Client,
    /// Load-test an echo server.
    Bench(crate::bench::BenchArgs),
}
