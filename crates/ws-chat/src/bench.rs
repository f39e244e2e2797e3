//! `ws-chat bench`: a load client for `/echo`.

use crate::cli::BenchArgs;

/// Runs the load test.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("bench against {} is not built yet", args.url)
}
