//! Rows that wait on disk for the rest of their row group.
//!
//! A night spanning many `call_date`s keeps a part file open per (table, date), and most of
//! them fill their next row group slowly. Holding those rows in memory made peak RSS grow with
//! the number of dates and with the input (up to the writer's whole budget); writing them out
//! early as row groups of their own kept memory down but made row groups small, and every
//! column chunk costs a pair of zstd contexts. So when the budget is exceeded, the largest
//! builders are moved here instead, as Arrow IPC (a copy of the buffers, no encoding), and read
//! back when their row group is written. The files are the same whatever the budget: a part's
//! row groups are cut by its own row stream only.
//!
//! Each spill appends one self-contained IPC stream to the part's file, which is opened only
//! for that write, so a spill holds no file descriptor while it waits (a run may have hundreds
//! of parts open). The file is read back whole, in one read, and decoded in place: the
//! batches' arrays are slices of that buffer.

use std::fs::{self, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_buffer::Buffer;
use arrow_ipc::reader::FileDecoder;
use arrow_ipc::writer::StreamWriter;
use arrow_ipc::{Block, MessageHeader};
use arrow_schema::ArrowError;

use super::dataset::OutputError;

/// The marker before every IPC message's metadata length.
const CONTINUATION: [u8; 4] = [0xFF; 4];

/// The spilled rows of one part's next row group.
#[derive(Debug)]
pub struct Spill {
    path: PathBuf,
    rows: usize,
}

impl Spill {
    /// An empty spill that will write to `path` (created on the first [`Spill::push`]).
    pub fn new(path: PathBuf) -> Spill {
        Spill { path, rows: 0 }
    }

    /// Rows spilled and not yet drained.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Appends `batch` after the rows already spilled.
    pub fn push(&mut self, batch: &RecordBatch) -> Result<(), OutputError> {
        let path = &self.path;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|source| io_error("writing spilled rows to", path, source))?;
        let arrow = |source| OutputError::Spill {
            path: path.clone(),
            source,
        };
        let mut writer =
            StreamWriter::try_new(BufWriter::with_capacity(1 << 16, file), &batch.schema())
                .map_err(arrow)?;
        writer.write(batch).map_err(arrow)?;
        // Writes the end-of-stream marker and flushes the buffer, so write errors surface here.
        writer.finish().map_err(arrow)?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Hands every spilled batch to `sink`, in the order spilled, then deletes the file: the
    /// spill is empty again.
    ///
    /// The file is read whole, in one read, and the batches' arrays are slices of that one
    /// buffer. Read through the IPC stream reader, every message body was copied once more
    /// (from a read buffer) into a fresh, zeroed allocation: with 43 dates open, about 460 MB
    /// of spilled rows per GB of input, and the page faults of those allocations were 2% of
    /// the 1 GB benchmark's CPU time.
    pub fn drain(
        &mut self,
        mut sink: impl FnMut(&RecordBatch) -> Result<(), OutputError>,
    ) -> Result<(), OutputError> {
        if self.rows == 0 {
            return Ok(());
        }
        let path = &self.path;
        let bytes =
            fs::read(path).map_err(|source| io_error("reading spilled rows from", path, source))?;
        let arrow = |source| OutputError::Spill {
            path: path.clone(),
            source,
        };
        for_each_batch(Buffer::from_vec(bytes), &mut sink, arrow)?;
        fs::remove_file(path).map_err(|source| io_error("removing", path, source))?;
        self.rows = 0;
        Ok(())
    }
}

/// Decodes the IPC streams in `buffer`, one per push, back to back, and hands each record
/// batch to `sink`. A stream is its schema message, its record batches and an end-of-stream
/// marker; every message is a continuation marker, the length of its metadata, the metadata
/// (a flatbuffer) and a body of the length the metadata gives.
fn for_each_batch(
    buffer: Buffer,
    sink: &mut impl FnMut(&RecordBatch) -> Result<(), OutputError>,
    arrow: impl Fn(ArrowError) -> OutputError,
) -> Result<(), OutputError> {
    let broken = |what: &str| arrow(ArrowError::IpcError(format!("spill file: {what}")));
    let mut decoder: Option<FileDecoder> = None;
    let mut at = 0;
    while at < buffer.len() {
        let prefix = buffer
            .get(at..at + 8)
            .ok_or_else(|| broken("truncated message prefix"))?;
        if prefix[..4] != CONTINUATION {
            return Err(broken("missing continuation marker"));
        }
        let meta_len = u32::from_le_bytes(prefix[4..].try_into().expect("four bytes")) as usize;
        if meta_len == 0 {
            // The end of one push's stream; the next push's may follow.
            decoder = None;
            at += 8;
            continue;
        }
        let meta = buffer
            .get(at + 8..at + 8 + meta_len)
            .ok_or_else(|| broken("truncated message metadata"))?;
        let message = arrow_ipc::root_as_message(meta)
            .map_err(|e| broken(&format!("unreadable message: {e}")))?;
        let body_len =
            usize::try_from(message.bodyLength()).map_err(|_| broken("negative body length"))?;
        let end = at + 8 + meta_len + body_len;
        if end > buffer.len() {
            return Err(broken("truncated message body"));
        }
        match message.header_type() {
            MessageHeader::Schema => {
                let schema = message
                    .header_as_schema()
                    .ok_or_else(|| broken("unreadable schema"))?;
                let schema = arrow_ipc::convert::try_fb_to_schema(schema).map_err(&arrow)?;
                let fresh = FileDecoder::new(Arc::new(schema), message.version());
                // SAFETY: this process wrote the stream moments ago in [`Spill::push`], from
                // record batches whose arrays were checked when they were built (their strings
                // were `&str`), into the run's own staging directory, which nothing else writes
                // to. Skipping the checks saves validating every spilled string as UTF-8 again
                // (1.5% of the instructions of a 43-date run).
                decoder = Some(unsafe { fresh.with_skip_validation(true) });
            }
            MessageHeader::RecordBatch => {
                let decoder = decoder
                    .as_ref()
                    .ok_or_else(|| broken("record batch before its schema"))?;
                let block = Block::new(at as i64, (8 + meta_len) as i32, body_len as i64);
                let batch = decoder
                    .read_record_batch(&block, &buffer.slice_with_length(at, end - at))
                    .map_err(&arrow)?
                    .ok_or_else(|| broken("empty record batch message"))?;
                sink(&batch)?;
            }
            other => return Err(broken(&format!("unexpected {other:?} message"))),
        }
        at = end;
    }
    Ok(())
}

fn io_error(action: &'static str, path: &Path, source: std::io::Error) -> OutputError {
    OutputError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    fn batch(from: i64, n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, true),
        ]));
        let ns: Vec<i64> = (from..from + n).collect();
        let ss: Vec<Option<String>> = ns
            .iter()
            .map(|i| (i % 3 != 0).then(|| format!("row {i} é")))
            .collect();
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(ns)),
                Arc::new(StringArray::from(ss)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn batches_come_back_in_order_and_the_file_goes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.arrow");
        let mut spill = Spill::new(path.clone());
        let pushed = [batch(0, 5), batch(5, 1), batch(6, 300)];
        for b in &pushed {
            spill.push(b).unwrap();
        }
        assert_eq!(spill.rows(), 306);
        let mut back = Vec::new();
        spill
            .drain(|b| {
                back.push(b.clone());
                Ok(())
            })
            .unwrap();
        assert_eq!(back, pushed);
        assert!(!path.exists());
        assert_eq!(spill.rows(), 0);
        // Usable again after draining, and draining an empty spill does nothing.
        spill.push(&pushed[1]).unwrap();
        let mut n = 0;
        spill
            .drain(|b| {
                n += b.num_rows();
                Ok(())
            })
            .unwrap();
        assert_eq!(n, 1);
        spill.drain(|_| panic!("nothing to drain")).unwrap();
    }

    #[test]
    fn a_damaged_spill_file_is_an_error_that_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.arrow");
        let mut whole = Spill::new(path.clone());
        whole.push(&batch(0, 50)).unwrap();
        whole.push(&batch(50, 50)).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        // Cut anywhere inside the two streams, or garbage in front: never a panic, never a
        // batch that was not pushed whole.
        let mut damaged: Vec<Vec<u8>> = (1..bytes.len())
            .step_by(37)
            .map(|n| bytes[..n].to_vec())
            .collect();
        damaged.push([b"junk".as_slice(), &bytes].concat());
        for data in damaged {
            std::fs::write(&path, &data).unwrap();
            let mut spill = Spill::new(path.clone());
            spill.rows = 100;
            let mut rows = 0;
            let result = spill.drain(|b| {
                rows += b.num_rows();
                Ok(())
            });
            assert!(
                rows == 0 || rows == 50,
                "{} bytes gave {rows} rows",
                data.len()
            );
            match result {
                Err(e) => assert!(e.to_string().contains("p.arrow"), "{e}"),
                // A cut right after the first stream's end-of-stream marker is a shorter,
                // complete file.
                Ok(()) => assert_eq!(rows, 50, "{} bytes", data.len()),
            }
        }
    }
}
