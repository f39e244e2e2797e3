//! `tcp-echo bench`: a load generator that verifies every echoed byte.

/// Options of `tcp-echo bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {}

/// Runs the load generator.
pub fn run(_args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not built yet")
}
