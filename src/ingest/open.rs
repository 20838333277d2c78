//! Opening input files: gzip and zstd are detected by their magic bytes and decompressed as a
//! stream; binary and empty files are recognised before any parsing.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use super::reject::RejectReason;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// How much of the (decompressed) start of a file is checked for NUL bytes.
const SNIFF_BYTES: usize = 8192;

/// Opens `path` as a buffered stream of its decompressed bytes. Rejects empty and binary files.
pub fn open_stream(path: &Path) -> Result<Box<dyn BufRead + Send>, RejectReason> {
    let file = File::open(path).map_err(|e| RejectReason::Unreadable(e.to_string()))?;
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let head = raw
        .fill_buf()
        .map_err(|e| RejectReason::Unreadable(e.to_string()))?;
    if head.is_empty() {
        return Err(RejectReason::EmptyFile);
    }
    let mut stream: Box<dyn BufRead + Send> = if head.starts_with(&GZIP_MAGIC) {
        Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::bufread::MultiGzDecoder::new(raw),
        ))
    } else if head.starts_with(&ZSTD_MAGIC) {
        let decoder = zstd::stream::read::Decoder::with_buffer(raw)
            .map_err(|e| RejectReason::TruncatedCompression(e.to_string()))?;
        Box::new(BufReader::with_capacity(1 << 16, decoder))
    } else {
        Box::new(raw)
    };
    let head = stream.fill_buf().map_err(compression_error)?;
    if head.is_empty() {
        return Err(RejectReason::EmptyFile);
    }
    if head[..head.len().min(SNIFF_BYTES)].contains(&0) {
        return Err(RejectReason::BinaryFile);
    }
    Ok(stream)
}

/// Reads a whole (decompressed) file into memory: for single-record formats, whose records are
/// whole files. Rejects what [`open_stream`] rejects, and binary content anywhere in the file.
///
/// The file is read in one call sized from its length, and decompressed from memory when it
/// is compressed: no stream buffer per file, which mattered when 100,000 small files are read.
pub fn read_all(path: &Path) -> Result<Vec<u8>, RejectReason> {
    let mut raw = Vec::new();
    File::open(path)
        .and_then(|mut file| file.read_to_end(&mut raw))
        .map_err(|e| RejectReason::Unreadable(e.to_string()))?;
    if raw.is_empty() {
        return Err(RejectReason::EmptyFile);
    }
    let bytes = if raw.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(compression_error)?;
        out
    } else if raw.starts_with(&ZSTD_MAGIC) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        zstd::stream::read::Decoder::with_buffer(&raw[..])
            .map_err(|e| RejectReason::TruncatedCompression(e.to_string()))?
            .read_to_end(&mut out)
            .map_err(compression_error)?;
        out
    } else {
        raw
    };
    if bytes.is_empty() {
        return Err(RejectReason::EmptyFile);
    }
    if memchr::memchr(0, &bytes).is_some() {
        return Err(RejectReason::BinaryFile);
    }
    Ok(bytes)
}

/// A read error after a successful open is a damaged compressed stream (plain files do not fail
/// mid-read in practice; if they do, the message says so).
pub fn compression_error(e: io::Error) -> RejectReason {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::InvalidData
        | io::ErrorKind::Other => RejectReason::TruncatedCompression(e.to_string()),
        _ => RejectReason::Unreadable(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_zstd_are_read_transparently() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("a.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(
            File::create(&gz).unwrap(),
            flate2::Compression::default(),
        );
        enc.write_all(b"{\"a\":1}\n").unwrap();
        enc.finish().unwrap();
        assert_eq!(read_all(&gz).unwrap(), b"{\"a\":1}\n");
        let zst = dir.path().join("a.zst");
        std::fs::write(&zst, zstd::encode_all(&b"hello"[..], 3).unwrap()).unwrap();
        assert_eq!(read_all(&zst).unwrap(), b"hello");
    }

    #[test]
    fn truncated_gzip_empty_and_binary_files_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(&b"{\"call_id\":\"x\"}\n".repeat(1000))
            .unwrap();
        let full = enc.finish().unwrap();
        let cut = dir.path().join("cut.gz");
        std::fs::write(&cut, &full[..full.len() / 2]).unwrap();
        assert_eq!(read_all(&cut).unwrap_err().code(), "truncated_compression");
        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read_all(&empty).unwrap_err().code(), "empty_file");
        let bin = dir.path().join("x.json");
        std::fs::write(&bin, b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
        assert_eq!(read_all(&bin).unwrap_err().code(), "binary_file");
    }
}
