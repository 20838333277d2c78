//! The command line: clap types (one file per subcommand), exit codes, progress and messages.
//! The only module that prints to a terminal or knows exit codes.

pub mod clock;
pub mod exit;
pub mod formats;
pub mod link;
pub mod phrases;
pub mod report;
pub mod scan;
pub mod show;
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
    /// Relink every call in a dataset: rewrite its contacts and fcr tables.
    Link(link::LinkArgs),
    /// List the transcript formats fcrscan reads and the fields it uses.
    Formats(formats::FormatsArgs),
    /// Write the supervisor review report: one offline HTML file.
    Report(report::ReportArgs),
    /// Print one call with its cues highlighted.
    Show(show::ShowArgs),
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<Exit> {
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Phrases(args) => phrases::run(args),
        Command::Link(args) => link::run(args),
        Command::Formats(args) => formats::run(args),
        Command::Report(args) => report::run(args),
        Command::Show(args) => show::run(args),
    }
}
