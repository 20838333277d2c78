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
    /// Validate a lexicon directory or phrase table (default: the embedded lexicons).
    ///
    /// Reports duplicates (after folding case, accents and punctuation), phrases that fold to
    /// nothing, unknown languages or categories, malformed exclusions and speaker labels, and
    /// phrases listed as both positive and negative, each as `file:line: reason`, and a lexicon
    /// without phrases. Exits with 3 when it finds problems.
    Check {
        /// A phrases directory laid out as phrases/<language>/<category>.txt, or a .tsv/.csv
        /// phrase table.
        #[arg(value_name = "PATH")]
        path: Option<PathBuf>,
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
        PhrasesCommand::Check { path } => {
            let (lex, problems) = lexicon::check(path.as_deref())
                .with_context(|| "checking the lexicon".to_string())?;
            let base = path
                .as_ref()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|| "phrases".into());
            // A table's problems name the table itself; a directory's, files inside it.
            let prefix = if path.as_ref().is_some_and(|p| !p.is_dir()) {
                String::new()
            } else {
                format!("{base}/")
            };
            for p in &problems {
                eprintln!("{prefix}{}: {}", p.origin, p.reason);
            }
            let empty = lex.phrases.is_empty();
            if empty {
                eprintln!(
                    "{base}: no phrases (a directory holds <language>/<category>.txt files; a table, rows under its header)"
                );
            }
            eprintln!(
                "checked {} phrases in {}: {} problem(s)",
                lex.phrases.len(),
                base,
                problems.len() + usize::from(empty)
            );
            Ok(if problems.is_empty() && !empty {
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
