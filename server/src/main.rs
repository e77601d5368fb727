//! The `herald` binary: parses the command line and hands over to [`herald::cli`].

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = herald::cli::Cli::parse();
    herald::telemetry::init();
    match herald::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
