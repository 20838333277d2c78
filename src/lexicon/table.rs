//! Phrase tables: the `phrase`, `category`, `language` spreadsheet export QA teams keep
//! (`.tsv`, or `.csv` with RFC 4180 quoting). A header row names the columns, in any order.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::parse::{Problems, into_result};
use super::{Lang, Lexicon, LexiconError, Origin};

/// Loads a `.tsv` or `.csv` phrase table; an error names its first bad row.
pub(super) fn from_table(path: &Path) -> Result<Lexicon, LexiconError> {
    let (lex, problems) = read_table(path)?;
    into_result(lex, problems)
}

/// Reads and parses a phrase table, with every bad row (for `fcrscan phrases check`).
pub(super) fn read_table(path: &Path) -> Result<(Lexicon, Problems), LexiconError> {
    let text = fs::read_to_string(path).map_err(|source| LexiconError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let (mut lex, problems) = parse_table(&path.display().to_string(), &text, is_csv);
    lex.source = path.display().to_string();
    Ok((lex, problems))
}

/// Parses a table, going on past a bad row so that every one is reported at once: a
/// spreadsheet's author fixes them all in one pass.
fn parse_table(file: &str, text: &str, is_csv: bool) -> (Lexicon, Problems) {
    let mut lex = Lexicon::default();
    let mut problems = Problems::default();
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((header_at, header)) = lines.next() else {
        problems.hard(
            file,
            1,
            "the phrase table is empty; expected a header row `phrase<TAB>category<TAB>language`",
        );
        return (lex, problems);
    };
    let header = header.trim_start_matches('\u{feff}');
    // A `.csv` is comma- or semicolon-separated (Excel in many locales); a `.tsv` tab-separated.
    let separator = is_csv.then(|| char::from(crate::tabular::delimiter(header, false)));
    let header = split_row(header, separator);
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(phrase_col), Some(category_col), Some(lang_col)) =
        (column("phrase"), column("category"), column("language"))
    else {
        problems.hard(
            file,
            header_at + 1,
            format!(
                "the header row must name the columns phrase, category and language; found {header:?}"
            ),
        );
        return (lex, problems);
    };
    let shared_file: Arc<str> = file.into();
    for (n, line) in lines {
        let fields = split_row(line, separator);
        let needed = phrase_col.max(category_col).max(lang_col) + 1;
        if fields.len() < needed {
            let separator = match separator {
                None => "tab".to_string(),
                Some(c) => format!("{c:?}"),
            };
            problems.hard(
                file,
                n + 1,
                format!(
                    "the row has {} field(s), the header {}: fields are separated by a {separator}",
                    fields.len(),
                    header.len()
                ),
            );
            continue;
        }
        let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
        let (phrase, category, language) =
            (field(phrase_col), field(category_col), field(lang_col));
        let Some(cat) = lex.category_for(&category.to_ascii_lowercase()) else {
            problems.hard(file, n + 1, format!("unknown category {category:?}"));
            continue;
        };
        let Some(lang) = Lang::from_code(language).or_else(|| Lang::from_bcp47(language)) else {
            problems.hard(
                file,
                n + 1,
                format!(
                    "language {language:?} has no lexicon; expected one of {}",
                    super::LANGUAGES.join(", ")
                ),
            );
            continue;
        };
        let origin = Origin {
            file: Arc::clone(&shared_file),
            line: n + 1,
        };
        if !lex.push(phrase, cat, lang, None, origin) {
            problems.hard(
                file,
                n + 1,
                format!("phrase {phrase:?} is empty once case and punctuation are folded"),
            );
        }
    }
    (lex, problems)
}

/// Splits one row: tabs for TSV; commas with double-quote quoting for CSV.
/// The fields of a row: split at tabs (`None`), or CSV with RFC 4180 quoting and `separator`.
fn split_row(line: &str, separator: Option<char>) -> Vec<String> {
    let Some(separator) = separator else {
        return line.split('\t').map(str::to_string).collect();
    };
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let field = fields.last_mut().expect("starts with one field");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (c, false) if c == separator => fields.push(String::new()),
            (c, _) => field.push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lexicon::Category;

    /// A table that must parse without problems.
    fn parse_ok(file: &str, text: &str, is_csv: bool) -> Lexicon {
        let (lex, problems) = parse_table(file, text, is_csv);
        assert!(problems.hard.is_empty(), "{:?}", problems.hard);
        lex
    }

    #[test]
    fn tsv_with_spreadsheet_category_names() {
        let lex = parse_ok(
            "p.tsv",
            "phrase\tcategory\tlanguage\ni called yesterday\trepeat\ten\n我上次打过电话\trepeat\tzh\n",
            false,
        );
        assert_eq!(lex.phrases.len(), 2);
        assert_eq!(lex.phrases[0].category, Category::RepeatContact);
        assert_eq!(lex.phrases[1].lang.code(), "zh-Hans");
    }

    #[test]
    fn csv_with_quotes_and_columns_in_any_order() {
        let lex = parse_ok(
            "p.csv",
            "language,phrase,category\nen,\"well, \"\"no\"\"\",sentiment_negative\n",
            true,
        );
        assert_eq!(lex.phrases[0].text, "well, \"no\"");
    }

    #[test]
    fn csv_saved_with_semicolons_as_excel_does_in_many_locales() {
        let lex = parse_ok(
            "p.csv",
            "\u{feff}phrase;category;language\r\n\"schon; wieder\";repeat;de\r\nchef, bitte;escalation;de\r\n",
            true,
        );
        let texts: Vec<&str> = lex.phrases.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["schon; wieder", "chef, bitte"]);
        assert_eq!(lex.phrases[1].category, Category::Escalation);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let text = "phrase\tcategory\tlanguage\n\
                    ok\tweird\ten\n\
                    i called\trepeat\ten\n\
                    !!!\trepeat\ten\n\
                    manager\tescalation\tklingon\n\
                    spaces not tabs repeat en\n";
        let (lex, problems) = parse_table("p.tsv", text, false);
        let found: Vec<String> = problems
            .hard
            .iter()
            .map(|(origin, reason)| format!("{origin}: {reason}"))
            .collect();
        assert_eq!(found.len(), 4, "{found:?}");
        assert_eq!(found[0], "p.tsv:2: unknown category \"weird\"");
        assert!(
            found[1].starts_with("p.tsv:4: phrase \"!!!\" is empty"),
            "{found:?}"
        );
        assert!(
            found[2].starts_with("p.tsv:5: language \"klingon\""),
            "{found:?}"
        );
        assert_eq!(
            found[3],
            "p.tsv:6: the row has 1 field(s), the header 3: fields are separated by a tab"
        );
        assert_eq!(lex.phrases.len(), 1, "the good row is kept");

        let err = into_result(lex, problems).unwrap_err().to_string();
        assert!(
            err.starts_with("p.tsv:2: unknown category \"weird\" (and 3 more problem(s)"),
            "{err}"
        );
        let (_, problems) = parse_table("p.tsv", "a\tb\n", false);
        assert_eq!(problems.hard.len(), 1);
        assert!(
            problems.hard[0].1.starts_with("the header row must name"),
            "{:?}",
            problems.hard
        );
    }
}
