//! `fcrscan phrases check`: every problem in a lexicon directory or phrase table, with file and
//! line.

use std::collections::HashMap;
use std::path::Path;

use super::{Category, Lexicon, LexiconError, Origin, parse, table};

/// One problem found by [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckProblem {
    /// Where.
    pub origin: Origin,
    /// What is wrong.
    pub reason: String,
}

/// Checks a lexicon directory or a `.tsv`/`.csv` phrase table (or the embedded defaults when
/// `path` is `None`): format errors, phrases that fold to nothing, duplicates within a language
/// and category (after folding), and phrases listed as both positive and negative. Returns the
/// parsed lexicon and the problems, sorted by file and line.
pub fn check(path: Option<&Path>) -> Result<(Lexicon, Vec<CheckProblem>), LexiconError> {
    let (lex, problems) = match path {
        Some(table) if !table.is_dir() => table::read_table(table)?,
        Some(dir) => parse::parse_files(parse::read_dir_files(dir)?),
        None => parse::parse_files(
            super::embedded::EMBEDDED
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        ),
    };
    let mut out: Vec<CheckProblem> = problems
        .hard
        .into_iter()
        .map(|(origin, reason)| CheckProblem { origin, reason })
        .collect();
    let mut first_seen: HashMap<(u8, String, &str, Option<Category>), &Origin> = HashMap::new();
    let mut polarity: HashMap<(u8, &str), (Category, &Origin)> = HashMap::new();
    for p in &lex.phrases {
        let key = (
            p.lang.0,
            lex.category_name(p.category).to_string(),
            p.folded.as_str(),
            p.vetoes,
        );
        if let Some(first) = first_seen.get(&key) {
            out.push(CheckProblem {
                origin: p.origin.clone(),
                reason: format!("duplicate of {first} ({:?} folds to the same text)", p.text),
            });
        } else {
            first_seen.insert(key, &p.origin);
        }
        if matches!(
            p.category,
            Category::SentimentNegative | Category::SentimentPositive
        ) {
            match polarity.get(&(p.lang.0, p.folded.as_str())) {
                Some((cat, origin)) if *cat != p.category => out.push(CheckProblem {
                    origin: p.origin.clone(),
                    reason: format!(
                        "{:?} is both positive and negative (also at {origin})",
                        p.text
                    ),
                }),
                _ => {
                    polarity.insert((p.lang.0, p.folded.as_str()), (p.category, &p.origin));
                }
            }
        }
    }
    out.sort_by(|a, b| (&a.origin.file, a.origin.line).cmp(&(&b.origin.file, b.origin.line)));
    Ok((lex, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_conflicts_are_found_with_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("en")).unwrap();
        std::fs::write(
            dir.path().join("en/sentiment_negative.txt"),
            "terrible\nnot great\nTerrible!\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("en/sentiment_positive.txt"),
            "great\nnot great\n",
        )
        .unwrap();
        let (_, problems) = check(Some(dir.path())).unwrap();
        let msgs: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.origin, p.reason))
            .collect();
        assert_eq!(msgs.len(), 2, "{msgs:#?}");
        assert!(
            msgs[0].starts_with(
                "en/sentiment_negative.txt:3: duplicate of en/sentiment_negative.txt:1"
            )
        );
        assert!(msgs[1].starts_with(
            "en/sentiment_positive.txt:2: \"not great\" is both positive and negative"
        ));
    }
}
