//! The `gatehouse` command: the server and the operator's tools, in one binary.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use gatehouse::domain::error_chain::ErrorChain;

/// glibc is the allocator (its figures against mimalloc are in docs/benchmarks.md, "Memory");
/// the `mimalloc` feature builds the alternative for that comparison.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A .env file is optional; real environment variables win over it.
    let _ = dotenvy::dotenv();
    let cli = cli::Cli::parse();
    if let Err(error) = cli::init_logging(&cli.settings) {
        eprintln!("gatehouse: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("gatehouse: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Every cause, so the operator reads why (the database's own words, a file's
            // error) and not only what failed.
            eprintln!("gatehouse: {}", ErrorChain(&error));
            ExitCode::FAILURE
        }
    }
}
