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

/// 1-based line numbers of CSV records, counted from their byte offsets in `text` (what the
/// reader read). In a file with CRLF line ends, as Windows tools and Excel write them, the csv
/// crate puts a record's start on the `\n` that ends the line before it, so its own line count
/// named the line before the record's (measured: a bad value on line 4 was reported on line 3).
pub struct LineNumbers<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineNumbers<'a> {
    /// Numbers the lines of `text`.
    pub fn new(text: &'a [u8]) -> LineNumbers<'a> {
        LineNumbers {
            text,
            counted_to: 0,
            line: 1,
        }
    }

    /// The line that byte `offset` is on; offsets must not decrease between calls (records are
    /// read in order), so the file is counted once.
    ///
    /// ```
    /// use fcrscan::tabular::LineNumbers;
    ///
    /// let mut lines = LineNumbers::new(b"a,b\r\n1,2\r\n3,4\r\n");
    /// assert_eq!(lines.at(4), 2); // the `\n` ending line 1: the record starts after it
    /// assert_eq!(lines.at(10), 3);
    /// ```
    pub fn at(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .clamp(self.counted_to, self.text.len());
        // A record starts after its line end; the crate may point at that line end.
        while matches!(self.text.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.counted_to..offset]).count() as u64;
        self.counted_to = offset;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of each record the csv crate reads, numbered by [`LineNumbers`].
    fn record_lines(text: &str) -> Vec<u64> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut lines = LineNumbers::new(text.as_bytes());
        reader
            .records()
            .map(|r| lines.at(r.expect("a record").position().expect("a position").byte()))
            .collect()
    }

    #[test]
    fn records_are_numbered_by_their_own_line_whatever_the_line_ends() {
        let lf = "id,text\na,1\n\nb,\"two\nlines\"\nc,3\n";
        assert_eq!(record_lines(lf), [2, 4, 6]);
        assert_eq!(record_lines(&lf.replace('\n', "\r\n")), [2, 4, 6]);
    }
}
