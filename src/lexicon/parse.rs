//! Parsing the `phrases/<language>/<category>.txt` layout (from disk or embedded).

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::{Category, Lang, Lexicon, LexiconError, Origin, SpeakerLabel, SpeakerRule};
use crate::model::Speaker;

/// Problems found while parsing: hard ones make the lexicon unusable.
#[derive(Debug, Default)]
pub(super) struct Problems {
    pub(super) hard: Vec<(Origin, String)>,
}

impl Problems {
    pub(super) fn hard(&mut self, file: &str, line: usize, reason: impl Into<String>) {
        self.hard.push((
            Origin {
                file: file.into(),
                line,
            },
            reason.into(),
        ));
    }
}

/// Reads every `.txt` file under `dir`, in sorted order.
pub(super) fn from_dir(dir: &Path) -> Result<Lexicon, LexiconError> {
    let files = read_dir_files(dir)?;
    let (mut lex, problems) = parse_files(files);
    lex.source = dir.display().to_string();
    into_result(lex, problems)
}

/// Parses (relative path, contents) pairs.
pub(super) fn from_files(
    files: impl Iterator<Item = (String, String)>,
    source: &str,
) -> Result<Lexicon, LexiconError> {
    let (mut lex, problems) = parse_files(files.collect());
    lex.source = source.to_string();
    into_result(lex, problems)
}

/// The lexicon, or an error naming the first problem and how many more there are (`fcrscan
/// phrases check` lists them all).
pub(super) fn into_result(lex: Lexicon, problems: Problems) -> Result<Lexicon, LexiconError> {
    let more = problems.hard.len().saturating_sub(1);
    match problems.hard.into_iter().next() {
        Some((origin, mut reason)) => {
            if more > 0 {
                reason.push_str(&format!(
                    " (and {more} more problem(s): `fcrscan phrases check` lists them all)"
                ));
            }
            Err(LexiconError::Invalid { origin, reason })
        }
        None => Ok(lex),
    }
}

/// The files of a lexicon directory as (path relative to `dir`, contents), sorted by path.
pub(super) fn read_dir_files(dir: &Path) -> Result<Vec<(String, String)>, LexiconError> {
    let io = |path: &Path, source| LexiconError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            LexiconError::Io {
                path,
                source: e.into(),
            }
        })?;
        if !entry.file_type().is_file() || entry.path().extension().is_none_or(|e| e != "txt") {
            continue;
        }
        let rel = entry.path().strip_prefix(dir).expect("walked under dir");
        let rel = rel.to_string_lossy().replace('\\', "/");
        let text = fs::read_to_string(entry.path()).map_err(|e| io(entry.path(), e))?;
        files.push((rel, text));
    }
    Ok(files)
}

/// Parses all files, collecting every problem rather than stopping at the first.
pub(super) fn parse_files(mut files: Vec<(String, String)>) -> (Lexicon, Problems) {
    files.sort();
    let mut lex = Lexicon::default();
    let mut problems = Problems::default();
    for (path, text) in &files {
        parse_file(path, text, &mut lex, &mut problems);
    }
    (lex, problems)
}

fn parse_file(path: &str, text: &str, lex: &mut Lexicon, problems: &mut Problems) {
    let Some((lang_dir, file_name)) = path.rsplit_once('/') else {
        problems.hard(
            path,
            0,
            "lexicon files go in a language directory: phrases/<language>/<category>.txt",
        );
        return;
    };
    let lang_dir = lang_dir.rsplit('/').next().unwrap_or(lang_dir);
    let Some(lang) = Lang::from_code(lang_dir) else {
        problems.hard(
            path,
            0,
            format!(
                "unknown language directory {lang_dir:?}; expected one of {}",
                super::LANGUAGES.join(", ")
            ),
        );
        return;
    };
    let stem = file_name.strip_suffix(".txt").unwrap_or(file_name);
    if stem == "speaker_labels" {
        parse_speaker_labels(path, text, lex, problems);
        return;
    }
    let Some(category) = lex.category_for(stem) else {
        problems.hard(path, 0, format!(
            "unknown category {stem:?}; expected repeat_contact, escalation, sentiment_negative, sentiment_positive, \
             negator, intensifier, exclusion, agent_cue, speaker_labels or topic_<name>"
        ));
        return;
    };
    let file: Arc<str> = path.into();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        let Some(entry) = entry_of(line) else {
            continue;
        };
        if let Some(directive) = entry.strip_prefix('@') {
            parse_directive(path, line_no, directive, category, lex, problems);
            continue;
        }
        let origin = Origin {
            file: Arc::clone(&file),
            line: line_no,
        };
        let (phrase, vetoes) = if category == Category::Exclusion {
            let Some((target, phrase)) = entry.split_once(':') else {
                problems.hard(path, line_no, "an exclusion is written `<category>: <phrase>`, e.g. `repeat_contact: first time calling`");
                continue;
            };
            match lex.category_for(target.trim()) {
                Some(c) if c.is_reported() => (phrase.trim(), Some(c)),
                _ => {
                    problems.hard(
                        path,
                        line_no,
                        format!("exclusion names unknown category {:?}", target.trim()),
                    );
                    continue;
                }
            }
        } else {
            (entry, None)
        };
        if !lex.push(phrase, category, lang, vetoes, origin) {
            problems.hard(
                path,
                line_no,
                format!("phrase {phrase:?} is empty once case and punctuation are folded"),
            );
        }
    }
}

/// The meaningful part of a line: `None` for blank and comment lines; trailing ` #` comments cut.
fn entry_of(line: &str) -> Option<&str> {
    let line = line.trim_start_matches('\u{feff}').trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let line = match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => line[..i].trim_end(),
        None => line,
    };
    (!line.is_empty()).then_some(line)
}

fn parse_directive(
    path: &str,
    line: usize,
    directive: &str,
    category: Category,
    lex: &mut Lexicon,
    problems: &mut Problems,
) {
    let Some(value) = directive.strip_prefix("speaker:") else {
        problems.hard(
            path,
            line,
            format!(
                "unknown directive @{directive}; the only directive is @speaker: customer|agent|any"
            ),
        );
        return;
    };
    let rule = match value.trim() {
        "customer" => SpeakerRule::Only(Speaker::Customer),
        "agent" => SpeakerRule::Only(Speaker::Agent),
        "any" => SpeakerRule::Any,
        other => {
            problems.hard(
                path,
                line,
                format!("@speaker takes customer, agent or any, not {other:?}"),
            );
            return;
        }
    };
    lex.speaker_overrides.push((category, rule));
}

fn parse_speaker_labels(path: &str, text: &str, lex: &mut Lexicon, problems: &mut Problems) {
    for (n, line) in text.lines().enumerate() {
        let Some(entry) = entry_of(line) else {
            continue;
        };
        let Some((label, role)) = entry.split_once("=>") else {
            problems.hard(
                path,
                n + 1,
                "a speaker label is written `<label> => agent` or `<label> => customer`",
            );
            continue;
        };
        let speaker = match role.trim() {
            "agent" => Speaker::Agent,
            "customer" => Speaker::Customer,
            other => {
                problems.hard(
                    path,
                    n + 1,
                    format!("speaker role must be agent or customer, not {other:?}"),
                );
                continue;
            }
        };
        let label = label.trim().trim_end_matches([':', '：']).to_lowercase();
        if !lex.speaker_labels.iter().any(|l| l.label == label) {
            lex.speaker_labels.push(SpeakerLabel { label, speaker });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(files: &[(&str, &str)]) -> (Lexicon, Problems) {
        parse_files(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string()))
                .collect(),
        )
    }

    #[test]
    fn comments_blank_lines_and_trailing_comments_are_ignored() {
        let (lex, problems) = parse(&[(
            "en/escalation.txt",
            "# header\n\nspeak to a manager  # the classic\n  your supervisor \n",
        )]);
        assert!(problems.hard.is_empty());
        let texts: Vec<_> = lex.phrases.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["speak to a manager", "your supervisor"]);
        assert_eq!(lex.phrases[1].origin.to_string(), "en/escalation.txt:4");
    }

    #[test]
    fn exclusions_name_the_category_they_veto() {
        let (lex, problems) =
            parse(&[("en/exclusion.txt", "repeat_contact: first time calling\n")]);
        assert!(problems.hard.is_empty());
        assert_eq!(lex.phrases[0].vetoes, Some(Category::RepeatContact));
        assert_eq!(lex.phrases[0].folded, "first time calling");
    }

    #[test]
    fn bad_lines_are_reported_with_file_and_line() {
        let (_, problems) = parse(&[
            ("en/exclusion.txt", "first time calling\n"),
            ("xx/escalation.txt", "manager\n"),
            ("en/feelings.txt", "sad\n"),
            ("en/escalation.txt", "ok\n!!!\n"),
        ]);
        let msgs: Vec<String> = problems
            .hard
            .iter()
            .map(|(o, r)| format!("{o}: {r}"))
            .collect();
        assert_eq!(msgs.len(), 4, "{msgs:#?}");
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("en/escalation.txt:2: phrase \"!!!\" is empty"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.starts_with("en/exclusion.txt:1: an exclusion is written"))
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("unknown language directory \"xx\""))
        );
        assert!(
            msgs.iter()
                .any(|m| m.contains("unknown category \"feelings\""))
        );
    }

    #[test]
    fn topics_and_speaker_labels_and_directives() {
        let (lex, problems) = parse(&[
            ("en/topic_billing.txt", "my bill\n"),
            (
                "en/speaker_labels.txt",
                "Agent => agent\nCaller: => customer\n",
            ),
            (
                "en/sentiment_positive.txt",
                "@speaker: customer\nthank you\n",
            ),
        ]);
        assert!(problems.hard.is_empty(), "{:?}", problems.hard);
        assert_eq!(lex.topics, ["topic_billing"]);
        assert_eq!(lex.category_name(lex.phrases[1].category), "topic_billing");
        assert_eq!(
            lex.speaker_labels[1],
            SpeakerLabel {
                label: "caller".into(),
                speaker: Speaker::Customer
            }
        );
        assert_eq!(
            lex.speaker_rule(Category::SentimentPositive),
            SpeakerRule::Only(Speaker::Customer)
        );
        assert_eq!(
            lex.speaker_rule(Category::RepeatContact),
            SpeakerRule::Only(Speaker::Customer)
        );
    }
}
