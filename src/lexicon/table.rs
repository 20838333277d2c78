//! Phrase tables: the `phrase`, `category`, `language` spreadsheet export QA teams keep
//! (`.tsv`, or `.csv` with RFC 4180 quoting). A header row names the columns, in any order.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use super::{Lang, Lexicon, LexiconError, Origin};

/// Loads a `.tsv` or `.csv` phrase table.
pub(super) fn from_table(path: &Path) -> Result<Lexicon, LexiconError> {
    let text = fs::read_to_string(path).map_err(|source| LexiconError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut lex = parse_table(&path.display().to_string(), &text, is_csv)?;
    lex.source = path.display().to_string();
    Ok(lex)
}

fn parse_table(file: &str, text: &str, is_csv: bool) -> Result<Lexicon, LexiconError> {
    let invalid = |line: usize, reason: String| LexiconError::Invalid {
        origin: Origin {
            file: file.into(),
            line,
        },
        reason,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
    let Some((header_at, header)) = lines.next() else {
        return Err(invalid(
            1,
            "the phrase table is empty; expected a header row `phrase<TAB>category<TAB>language`"
                .into(),
        ));
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
        return Err(invalid(
            header_at + 1,
            format!(
                "the header row must name the columns phrase, category and language; found {header:?}"
            ),
        ));
    };
    let mut lex = Lexicon::default();
    let shared_file: Arc<str> = file.into();
    for (n, line) in lines {
        let fields = split_row(line, separator);
        let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or("");
        let (phrase, category, language) =
            (field(phrase_col), field(category_col), field(lang_col));
        let Some(cat) = lex.category_for(&category.to_ascii_lowercase()) else {
            return Err(invalid(n + 1, format!("unknown category {category:?}")));
        };
        let Some(lang) = Lang::from_code(language).or_else(|| Lang::from_bcp47(language)) else {
            return Err(invalid(
                n + 1,
                format!(
                    "language {language:?} has no lexicon; expected one of {}",
                    super::LANGUAGES.join(", ")
                ),
            ));
        };
        let origin = Origin {
            file: Arc::clone(&shared_file),
            line: n + 1,
        };
        if !lex.push(phrase, cat, lang, None, origin) {
            return Err(invalid(
                n + 1,
                format!("phrase {phrase:?} is empty once case and punctuation are folded"),
            ));
        }
    }
    Ok(lex)
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

    #[test]
    fn tsv_with_spreadsheet_category_names() {
        let lex = parse_table("p.tsv", "phrase\tcategory\tlanguage\ni called yesterday\trepeat\ten\n我上次打过电话\trepeat\tzh\n", false).unwrap();
        assert_eq!(lex.phrases.len(), 2);
        assert_eq!(lex.phrases[0].category, Category::RepeatContact);
        assert_eq!(lex.phrases[1].lang.code(), "zh-Hans");
    }

    #[test]
    fn csv_with_quotes_and_columns_in_any_order() {
        let lex = parse_table(
            "p.csv",
            "language,phrase,category\nen,\"well, \"\"no\"\"\",sentiment_negative\n",
            true,
        )
        .unwrap();
        assert_eq!(lex.phrases[0].text, "well, \"no\"");
    }

    #[test]
    fn csv_saved_with_semicolons_as_excel_does_in_many_locales() {
        let lex = parse_table(
            "p.csv",
            "\u{feff}phrase;category;language\r\n\"schon; wieder\";repeat;de\r\nchef, bitte;escalation;de\r\n",
            true,
        )
        .unwrap();
        let texts: Vec<&str> = lex.phrases.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(texts, ["schon; wieder", "chef, bitte"]);
        assert_eq!(lex.phrases[1].category, Category::Escalation);
    }

    #[test]
    fn errors_name_the_line() {
        let err = parse_table(
            "p.tsv",
            "phrase\tcategory\tlanguage\nok\tweird\ten\n",
            false,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "p.tsv:2: unknown category \"weird\"");
        let err = parse_table("p.tsv", "a\tb\n", false).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("p.tsv:1: the header row must name"),
            "{err}"
        );
    }
}
