//! The exitscan binary: parse arguments, run, map the result to an exit status.

use clap::Parser;

fn main() {
    let cli = exitscan::cli::Cli::parse();
    std::process::exit(exitscan::app::run(cli));
}
