//! `fcrscan phrases check [DIR]` and `fcrscan phrases list [DIR]`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use fcrscan::lexicon::{self, Lexicon};

use super::exit::Exit;

/// Lexicon commands.
#[derive(Debug, Args)]
pub struct PhrasesArgs {
    #[command(subcommand)]
    command: PhrasesCommand,
}

#[derive(Debug, Subcommand)]
enum PhrasesCommand {
    /// Validate a lexicon directory (default: the embedded lexicons).
    ///
    /// Reports duplicates (after folding case, accents and punctuation), phrases that fold to
    /// nothing, unknown languages or categories, malformed exclusions and speaker labels, and
    /// phrases listed as both positive and negative, each as `file:line: reason`. Exits with 3
    /// when it finds problems.
    Check {
        /// A phrases directory laid out as phrases/<language>/<category>.txt.
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the number of phrases per language and category.
    List {
        /// A phrases directory or a .tsv/.csv phrase table (default: the embedded lexicons).
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
    },
}

/// Runs a `phrases` subcommand.
pub fn run(args: PhrasesArgs) -> anyhow::Result<Exit> {
    match args.command {
        PhrasesCommand::Check { dir } => {
            let (lex, problems) = lexicon::check(dir.as_deref())
                .with_context(|| "checking the lexicon".to_string())?;
            let base = dir
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "phrases".into());
            for p in &problems {
                eprintln!("{base}/{}: {}", p.origin, p.reason);
            }
            eprintln!(
                "checked {} phrases in {}: {} problem(s)",
                lex.phrases.len(),
                base,
                problems.len()
            );
            Ok(if problems.is_empty() {
                Exit::Clean
            } else {
                Exit::SomeRejected
            })
        }
        PhrasesCommand::List { path } => {
            let lex = match &path {
                Some(p) => Lexicon::load(p).with_context(|| format!("loading {}", p.display()))?,
                None => Lexicon::embedded().context("loading the embedded lexicons")?,
            };
            let mut out = std::io::stdout().lock();
            writeln!(out, "language\tcategory\tphrases")?;
            let mut total = 0;
            for (lang, category, n) in lex.counts() {
                writeln!(out, "{lang}\t{category}\t{n}")?;
                total += n;
            }
            writeln!(out, "total\t\t{total}")?;
            Ok(Exit::Clean)
        }
    }
}
