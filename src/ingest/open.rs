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
    let file = File::open(path).map_err(unreadable)?;
    let mut raw = BufReader::with_capacity(1 << 16, file);
    let head = raw.fill_buf().map_err(unreadable)?;
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
        return Err(not_text(head));
    }
    Ok(stream)
}

/// Reads `file` to its end into a buffer of `len` bytes and one more (4 KiB at least). A file
/// of the expected length takes one read: a read that stops short of the buffer's end, with
/// exactly `len` bytes in, is the end of a regular file, so the read that would return 0 to
/// say so is not made (100,000 small files: 100,000 system calls fewer). A file that is
/// shorter or longer than `len` is read until a read returns 0.
fn read_sized(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    read_sized_with(len, |buf, _| file.read(buf))
}

/// [`read_sized`] with `read(buf, offset)` reading at `offset` into `buf`.
fn read_sized_with(
    len: u64,
    mut read: impl FnMut(&mut [u8], usize) -> io::Result<usize>,
) -> io::Result<Vec<u8>> {
    let expected = usize::try_from(len).ok();
    let len = expected.unwrap_or(usize::MAX / 2).max(4095);
    let mut buf = vec![0; len + 1];
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // Longer than it was: keep reading.
            buf.resize(buf.len() * 2, 0);
        }
        match read(&mut buf[filled..], filled) {
            Ok(0) => break,
            Ok(n) => {
                filled += n;
                // The buffer holds one byte more than `expected`: this read stopped short.
                if Some(filled) == expected {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    buf.truncate(filled);
    Ok(buf)
}

/// What [`read_if_cached`] found.
pub enum Cached {
    /// The file's stored bytes, or why they could not be read.
    Read(Result<Vec<u8>, RejectReason>),
    /// Part of the file is not in memory: reading it would wait on the device.
    NotInMemory,
}

/// The bytes of the file at `path` as stored, like [`read_raw`], if they are all in the page
/// cache: a read that would wait on the device is not made (Linux: `preadv2` with
/// `RWF_NOWAIT`). A scan's workers read files this way and leave the others to threads that may
/// wait, so that a cold file does not leave a core idle. Where the system cannot tell (another
/// platform, a file system without the flag), the file is read.
pub fn read_if_cached(path: &Path, len: u64) -> Cached {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) => return Cached::Read(Err(unreadable(e))),
    };
    match read_sized_with(len, |buf, offset| read_now(&file, buf, offset)) {
        Ok(raw) => Cached::Read(Ok(raw)),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Cached::NotInMemory,
        // The system cannot tell: the file is read, waiting if need be (a real error shows
        // again there).
        Err(e)
            if e.raw_os_error()
                .is_some_and(|code| CANNOT_TELL.contains(&code)) =>
        {
            Cached::Read(read_sized(&mut file, len).map_err(unreadable))
        }
        Err(e) => Cached::Read(Err(unreadable(e))),
    }
}

/// Errors of a read without waiting that say the system cannot do it, not that the file is
/// unreadable: a file system without the flag (`EOPNOTSUPP`), or a kernel without `preadv2`
/// (`ENOSYS`, before Linux 4.6) or that rejects the flag (`EINVAL`).
#[cfg(target_os = "linux")]
const CANNOT_TELL: [i32; 3] = [libc::EOPNOTSUPP, libc::ENOSYS, libc::EINVAL];
#[cfg(not(target_os = "linux"))]
const CANNOT_TELL: [i32; 0] = [];

/// Reads into `buf` at `offset` what the page cache holds; `WouldBlock` where it would wait.
#[cfg(target_os = "linux")]
fn read_now(file: &File, buf: &mut [u8], offset: usize) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    let iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let offset = libc::off_t::try_from(offset).map_err(|_| io::ErrorKind::InvalidInput)?;
    // SAFETY: `iov` describes `buf`, which is valid for writes of its length and outlives
    // the call; the descriptor is open for as long as `file` lives.
    let read = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, offset, libc::RWF_NOWAIT) };
    if read < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(read.unsigned_abs())
    }
}

/// Elsewhere the read is made, waiting if need be.
#[cfg(not(target_os = "linux"))]
fn read_now(mut file: &File, buf: &mut [u8], _offset: usize) -> io::Result<usize> {
    file.read(buf)
}

/// Reads a whole (decompressed) file into memory: for single-record formats, whose records are
/// whole files. Rejects what [`open_stream`] rejects, and binary content anywhere in the file.
///
/// The file is read in one call sized from its length, and decompressed from memory when it
/// is compressed: no stream buffer per file, which mattered when 100,000 small files are read.
pub fn read_all(path: &Path) -> Result<Vec<u8>, RejectReason> {
    read_all_sized(path, None)
}

/// [`read_all`] for a file whose length was found when it was discovered: the read is sized
/// from that length, without asking the file system again. The standard library's
/// `read_to_end` asks for the length and the position of every file it reads: two system calls
/// more per file, 200,000 of the 730,000 a scan of 100,000 small files made. A file that
/// changed length since is still read whole: the buffer grows, or the read stops at the end.
pub fn read_all_sized(path: &Path, len: Option<u64>) -> Result<Vec<u8>, RejectReason> {
    read_raw(path, len).and_then(decode)
}

/// The bytes of the file at `path` as stored (compressed or not), read in one call sized from
/// `len` (its length when it was discovered; asked of the open file when `None`). Only what
/// waits on the disk: the scan's reading threads fetch the files that are not in memory with
/// this, and the workers [`decode`] them.
pub fn read_raw(path: &Path, len: Option<u64>) -> Result<Vec<u8>, RejectReason> {
    let mut file = File::open(path).map_err(unreadable)?;
    // Not found at discovery: the open file's length (no path to look up again).
    let len = len.unwrap_or_else(|| file.metadata().map_or(0, |m| m.len()));
    read_sized(&mut file, len).map_err(unreadable)
}

/// A whole file's content from its stored bytes: decompressed when they are gzip or zstd, and
/// rejected when empty or binary.
pub fn decode(raw: Vec<u8>) -> Result<Vec<u8>, RejectReason> {
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
        return Err(not_text(&bytes));
    }
    Ok(bytes)
}

/// Why a file with NUL bytes, starting with `head`, is not read: UTF-16 text (a byte order
/// mark, or ASCII with every other byte NUL, as SQL Server's `bcp -w` writes it) or a binary
/// file. UTF-16 is not converted: a large JSON Lines file is read in line ranges of its bytes,
/// and a clear reason costs the user one `iconv`.
fn not_text(head: &[u8]) -> RejectReason {
    let head = &head[..head.len().min(64) & !1];
    let nul_at = |parity: usize| {
        head.len() >= 4
            && head
                .iter()
                .enumerate()
                .all(|(i, &b)| (b == 0) == (i % 2 == parity))
    };
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) || nul_at(0) || nul_at(1)
    {
        RejectReason::Utf16
    } else {
        RejectReason::BinaryFile
    }
}

/// An error opening or reading a file, as the reject says it.
fn unreadable(e: io::Error) -> RejectReason {
    RejectReason::Unreadable(e.to_string())
}

/// A read error after a successful open is a damaged compressed stream (plain files do not fail
/// mid-read in practice; if they do, the message says so).
pub fn compression_error(e: io::Error) -> RejectReason {
    match e.kind() {
        io::ErrorKind::UnexpectedEof
        | io::ErrorKind::InvalidInput
        | io::ErrorKind::InvalidData
        | io::ErrorKind::Other => RejectReason::TruncatedCompression(e.to_string()),
        _ => unreadable(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_in_memory_is_read_as_it_is_stored_and_a_missing_one_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json.gz");
        let stored: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &stored).unwrap();
        // Just written, so in the page cache: read at once, whatever length was found.
        for len in [20_000, 0, 5] {
            match read_if_cached(&path, len) {
                Cached::Read(Ok(raw)) => assert_eq!(raw, stored, "length {len}"),
                Cached::Read(Err(e)) => panic!("{e}"),
                Cached::NotInMemory => panic!("a file just written is in memory"),
            }
        }
        match read_if_cached(&dir.path().join("gone.json"), 10) {
            Cached::Read(Err(RejectReason::Unreadable(why))) => {
                assert!(why.contains("No such file"), "{why}")
            }
            _ => panic!("a missing file is unreadable"),
        }
    }

    /// procfs, like tmpfs, does not take the flag: such a file is read anyway.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_system_that_cannot_tell_gets_its_file_read() {
        match read_if_cached(Path::new("/proc/self/status"), 0) {
            Cached::Read(Ok(raw)) => assert!(raw.starts_with(b"Name:"), "{raw:?}"),
            Cached::Read(Err(e)) => panic!("{e}"),
            Cached::NotInMemory => panic!("procfs files are never on a device"),
        }
    }

    #[test]
    fn a_file_is_read_whole_whatever_length_it_was_found_with() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        // Longer than the smallest buffer, so that a stale length must grow it.
        let content: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        for len in [
            None,
            Some(0),
            Some(1),
            Some(4095),
            Some(9_999),
            Some(10_000),
            Some(20_000),
        ] {
            assert_eq!(read_all_sized(&path, len).unwrap(), content, "{len:?}");
        }
        std::fs::write(&path, b"").unwrap();
        assert_eq!(
            read_all_sized(&path, Some(10_000)).unwrap_err().code(),
            "empty_file"
        );
    }

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

    #[test]
    fn utf16_text_is_told_apart_from_binary_files() {
        let text = "{\"call_id\":\"w1\",\"turns\":[{\"text\":\"hi\"}]}\r\n";
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let with_bom = |bom: &[u8], body: &[u8]| [bom, body].concat();
        for (name, bytes) in [
            ("le_bom.jsonl", with_bom(&[0xFF, 0xFE], &le)),
            ("be_bom.jsonl", with_bom(&[0xFE, 0xFF], &be)),
            ("le.jsonl", le.clone()),
            ("be.txt", be.clone()),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(name);
            std::fs::write(&path, &bytes).unwrap();
            let why = read_all(&path).unwrap_err();
            assert_eq!(why, RejectReason::Utf16, "{name}");
            assert_eq!(why.code(), "invalid_utf8");
            assert!(why.to_string().contains("iconv"), "{why}");
            let Err(streamed) = open_stream(&path) else {
                panic!("{name} streamed as text")
            };
            assert_eq!(streamed, RejectReason::Utf16, "{name}");
        }
        // NULs that do not alternate with text are a binary file's.
        assert_eq!(
            not_text(b"\x7fELF\x02\x01\x01\x00\x00\x00"),
            RejectReason::BinaryFile
        );
        assert_eq!(
            not_text(b"PK\x03\x04\x14\x00\x00\x00"),
            RejectReason::BinaryFile
        );
    }
}
