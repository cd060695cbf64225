//! `vestibule-idp`: parses flags, starts logging, and runs the identity provider.

use clap::Parser;
use vestibule_idp::cli::{Args, BackupArgs, BreachedFilterArgs};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A tool run beside the server's flags, not one of them: the server requires --config.
    if std::env::args().nth(1).as_deref() == Some(BreachedFilterArgs::COMMAND) {
        let args = BreachedFilterArgs::parse_from(std::env::args().skip(1));
        println!("{}", args.run()?);
        return Ok(());
    }
    if std::env::args().nth(1).as_deref() == Some(BackupArgs::COMMAND) {
        let args = BackupArgs::parse_from(std::env::args().skip(1));
        // Standard output may carry the copy itself.
        eprintln!("{}", args.run().await?);
        return Ok(());
    }
    let args = Args::parse();
    vestibule_idp::telemetry::init(args.log_format);
    vestibule_idp::run(args).await
}
