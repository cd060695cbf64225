//! `vestibule-idp`: parses flags, starts logging, and runs the identity provider.

use clap::Parser;
use vestibule_idp::cli::Args;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    vestibule_idp::telemetry::init(args.log_format);
    vestibule_idp::run(args).await
}
