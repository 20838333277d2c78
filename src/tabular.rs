//! Spreadsheet exports: which character separates the columns of a CSV-like file.

/// The delimiter of a table whose header row is `header`: a tab, a comma or a semicolon,
/// whichever the header holds most of; a tab whatever the header holds when the file's name
/// says so (`tab_by_name`, a `.tsv`). Excel saves "CSV" with semicolons wherever the decimal
/// separator is a comma (German, French, Spanish, Portuguese, Indonesian, Vietnamese locales,
/// among the lexicons' languages), and "Unicode text" with tabs.
///
/// ```
/// use fcrscan::tabular::delimiter;
///
/// assert_eq!(delimiter("call_id,customer_id,queue", false), b',');
/// assert_eq!(delimiter("call_id;customer_id;queue", false), b';');
/// assert_eq!(delimiter("call_id\tcustomer_id", false), b'\t');
/// assert_eq!(delimiter("call_id,customer_id", true), b'\t');
/// assert_eq!(delimiter("call_id", false), b',');
/// ```
pub fn delimiter(header: &str, tab_by_name: bool) -> u8 {
    if tab_by_name {
        return b'\t';
    }
    let count = |c: char| header.matches(c).count();
    let (tabs, commas, semicolons) = (count('\t'), count(','), count(';'));
    if tabs > commas && tabs >= semicolons {
        b'\t'
    } else if semicolons > commas {
        b';'
    } else {
        b','
    }
}

/// The first line of `text` that is not blank, without a byte order mark: the header row.
pub fn header_line(text: &str) -> &str {
    text.trim_start_matches('\u{feff}')
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}
