//! Why a record or file could not be used. A reject is data, not control flow: it becomes a
//! row of the rejects table with its source, it is counted, and the run goes on.

use std::fmt;

use crate::model::SourceRef;

/// Why a record or file was rejected. `code()` is the stable value of the `reason_code` column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RejectReason {
    /// The record is not valid JSON (the detail says where and why).
    InvalidJson(String),
    /// The bytes are not valid UTF-8: the first invalid byte, when known.
    InvalidUtf8(Option<u8>),
    /// The file is UTF-16 text (code `invalid_utf8`, with a reason that says how to convert it).
    Utf16,
    /// The record has no `call_id` (or an empty one).
    MissingCallId,
    /// The record has no turn with text.
    EmptyTurns,
    /// The record is one turn (a `text` beside its `call_id`, no `turns` list), as a table of
    /// turns exported one per line writes it (code `empty_turns`, with a reason that says how
    /// such a table is read).
    SingleTurn,
    /// A field has the wrong type or an unusable value.
    InvalidField(String),
    /// The `call_id` was already seen earlier in this run; the first one was kept.
    DuplicateCallId(String),
    /// The compressed stream ended early or is corrupt.
    TruncatedCompression(String),
    /// The file looks binary (NUL bytes), not like a transcript.
    BinaryFile,
    /// The file is empty.
    EmptyFile,
    /// The file could not be read (permissions, a symlink loop, an I/O error).
    Unreadable(String),
    /// No supported format recognises the file.
    UnsupportedFormat(String),
}

impl RejectReason {
    /// The stable snake_case code stored in the rejects table.
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::InvalidJson(_) => "invalid_json",
            RejectReason::InvalidUtf8(_) | RejectReason::Utf16 => "invalid_utf8",
            RejectReason::MissingCallId => "missing_call_id",
            RejectReason::EmptyTurns | RejectReason::SingleTurn => "empty_turns",
            RejectReason::InvalidField(_) => "invalid_field",
            RejectReason::DuplicateCallId(_) => "duplicate_call_id",
            RejectReason::TruncatedCompression(_) => "truncated_compression",
            RejectReason::BinaryFile => "binary_file",
            RejectReason::EmptyFile => "empty_file",
            RejectReason::Unreadable(_) => "unreadable",
            RejectReason::UnsupportedFormat(_) => "unsupported_format",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RejectReason::InvalidJson(d) => write!(f, "invalid JSON: {d}"),
            RejectReason::InvalidUtf8(None) => f.write_str("not valid UTF-8 text"),
            RejectReason::InvalidUtf8(Some(byte)) => write!(f, "{}", NotUtf8(*byte)),
            RejectReason::Utf16 => f.write_str(
                "UTF-16 text, not UTF-8 (what Windows PowerShell 5 writes with `>` and `Out-File`): \
                 convert it first, e.g. `iconv -f UTF-16 -t UTF-8`, or write it with \
                 `-Encoding utf8`",
            ),
            RejectReason::MissingCallId => f.write_str("missing call_id"),
            RejectReason::EmptyTurns => f.write_str("no turns with text"),
            RejectReason::SingleTurn => f.write_str(
                "one turn, not a call: the record has a text but no `turns` list, in a file \
                 whose first line is a call. A file of turns, one per line from its first, is \
                 read as a table of turns (so is CSV or TSV); a call's turns go in its `turns` \
                 list",
            ),
            RejectReason::InvalidField(d) => write!(f, "invalid field: {d}"),
            RejectReason::DuplicateCallId(id) => write!(
                f,
                "duplicate call_id {id:?} (the first occurrence was kept)"
            ),
            RejectReason::TruncatedCompression(d) => {
                write!(f, "compressed data is truncated or corrupt: {d}")
            }
            RejectReason::BinaryFile => {
                f.write_str("binary file (contains NUL bytes), not a transcript")
            }
            RejectReason::EmptyFile => f.write_str("empty file"),
            RejectReason::Unreadable(d) => write!(f, "cannot read: {d}"),
            RejectReason::UnsupportedFormat(d) => write!(f, "unsupported format: {d}"),
        }
    }
}

/// The message for text that is not UTF-8 at `byte`, for rejects and the metadata file alike.
/// Such text is nearly always a spreadsheet or editor export in a legacy code page, so the
/// message says how to save or convert it.
pub struct NotUtf8(pub u8);

impl fmt::Display for NotUtf8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not valid UTF-8 text (byte 0x{:02X}): saved in a legacy code page? Excel's \"CSV\" and \
             Notepad's \"ANSI\" write Windows-1252 (Shift_JIS, GBK, Big5 or EUC-KR in East Asian \
             versions); save as \"CSV UTF-8\" or UTF-8, or convert it, e.g. \
             `iconv -f WINDOWS-1252 -t UTF-8`",
            self.0
        )
    }
}

/// Where `bytes` stop being UTF-8: the 1-based line and the first invalid byte, or `None`
/// when they are UTF-8 (or end in the middle of a character).
pub fn first_invalid_utf8(bytes: &[u8]) -> Option<(u64, u8)> {
    let at = std::str::from_utf8(bytes).err()?.valid_up_to();
    let byte = *bytes.get(at)?;
    let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count() as u64;
    Some((line, byte))
}

/// A rejected record: where it came from, its call_id when one could be read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reject {
    /// The file and line.
    pub source: SourceRef,
    /// The call_id, when the record had one.
    pub call_id: Option<String>,
    /// Why.
    pub reason: RejectReason,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_invalid_byte_is_found_with_its_line() {
        assert_eq!(first_invalid_utf8("déjà\nvu".as_bytes()), None);
        assert_eq!(
            first_invalid_utf8(b"call_id,text\r\nc1,d\xe9j\xe0\r\n"),
            Some((2, 0xE9))
        );
        assert_eq!(first_invalid_utf8(b"\xff"), Some((1, 0xFF)));
        let message = RejectReason::InvalidUtf8(Some(0xE9)).to_string();
        assert!(
            message.starts_with("not valid UTF-8 text (byte 0xE9)"),
            "{message}"
        );
        assert!(
            message.contains("iconv -f WINDOWS-1252 -t UTF-8"),
            "{message}"
        );
    }
}
