//! The command line: clap types (one file per subcommand), exit codes, progress and messages.
//! The only module that prints to a terminal or knows exit codes.

pub mod exit;
pub mod phrases;
pub mod scan;
pub mod ui;

use clap::{Parser, Subcommand};

use exit::{EXIT_CODES_HELP, Exit};

/// Finds repeat-contact, escalation and sentiment cues in multilingual call and chat transcripts
/// and writes per-call flags, per-hit rows and FCR data to Parquet.
#[derive(Debug, Parser)]
#[command(name = "fcrscan", version, about, after_help = EXIT_CODES_HELP, after_long_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Scan transcripts into a Parquet dataset.
    Scan(scan::ScanArgs),
    /// Check or list lexicons.
    Phrases(phrases::PhrasesArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Phrases(args) => phrases::run(args),
    }
}
