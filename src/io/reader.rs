//! Reading one input into batches of raw lines.
//!
//! A reader thread opens an input (see [`source`](super::source)), frames lines with the length
//! cap, and sends [`Batch`]es of about `batch_bytes` to the pipeline. Problems found while
//! reading (over-long lines, a truncated or corrupt stream) travel inside the batch at their
//! place in line order, so they are reported in input order.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::errors::{Action, ErrorKind, InputError};
use super::pool::BufPool;
use super::source::{self, Codec, Input, Line, LineReader};

/// A raw line inside a batch's buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RawLine {
    /// Start offset in [`Batch::buf`].
    pub start: usize,
    /// End offset in [`Batch::buf`].
    pub end: usize,
    /// 1-based line number in the decompressed file.
    pub line: u64,
}

/// A batch entry: a line to parse, or a problem found while reading.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry {
    /// A line to parse.
    Line(RawLine),
    /// A problem found by the reader.
    Error(InputError),
}

/// Consecutive lines of one input, in order.
#[derive(Debug, Default)]
pub struct Batch {
    /// Index of the input in the resolved input list.
    pub file_index: usize,
    /// The input's display name.
    pub file: Arc<str>,
    /// Line bytes, back to back (no newlines).
    pub buf: Vec<u8>,
    /// Entries in line order.
    pub entries: Vec<Entry>,
    /// Decompressed bytes this batch covers (newlines included).
    pub bytes: u64,
    /// On-disk bytes of the input consumed since the file's previous batch (the last batch of
    /// a file takes the rest), so the sum over processed batches is the processed position.
    pub raw: u64,
}

/// What reading a whole input found, for the manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct FileReport {
    /// Display name.
    pub file: Arc<str>,
    /// Detected codec (`None` when the file could not be opened).
    pub codec: Option<Codec>,
    /// Lines read (records and bad lines alike).
    pub lines: u64,
    /// Decompressed bytes read.
    pub bytes: u64,
    /// True when the file was read to its end without a read or decompression error.
    pub complete: bool,
}

/// Reader settings.
#[derive(Clone, Debug)]
pub struct ReaderOptions {
    /// Longest accepted line.
    pub max_line_bytes: usize,
    /// Target bytes per batch.
    pub batch_bytes: usize,
    /// Where batch buffers come from (the pipeline returns them after parsing).
    pub pool: Arc<BufPool>,
}

/// Reads `input` to its end, calling `emit` for each full batch (and the final partial one).
/// `emit` returns false to stop early (the run is aborting). `raw_bytes` receives the number of
/// compressed bytes consumed, batch by batch, for progress.
pub fn read_input(
    input: &Input,
    file_index: usize,
    opts: &ReaderOptions,
    raw_bytes: Arc<AtomicU64>,
    abort: &AtomicBool,
    mut emit: impl FnMut(Batch) -> bool,
) -> FileReport {
    let file: Arc<str> = Arc::from(input.display());
    let mut report = FileReport {
        file: file.clone(),
        codec: None,
        lines: 0,
        bytes: 0,
        complete: false,
    };
    let new_batch = || Batch {
        file_index,
        file: file.clone(),
        buf: opts.pool.get(opts.batch_bytes + opts.batch_bytes / 4),
        entries: Vec::new(),
        bytes: 0,
        raw: 0,
    };
    // Bytes consumed in this file; each batch takes the growth since the previous one.
    let file_raw = Arc::new(AtomicU64::new(0));
    let mut raw_seen = 0u64;
    let mut take_raw = |batch: &mut Batch| {
        let now = file_raw.load(Ordering::Relaxed);
        batch.raw = now - raw_seen;
        raw_seen = now;
        raw_bytes.fetch_add(batch.raw, Ordering::Relaxed);
    };
    let (reader, codec) = match source::open(input, file_raw.clone()) {
        Ok(x) => x,
        Err(e) => {
            let mut b = new_batch();
            b.entries.push(Entry::Error(InputError {
                file: file.clone(),
                line: 0,
                kind: ErrorKind::ReadError,
                reason: format!("cannot open: {e}"),
                action: Action::Skipped,
            }));
            emit(b);
            return report;
        }
    };
    report.codec = Some(codec);
    let mut lines = LineReader::new(reader, opts.max_line_bytes);
    let mut batch = new_batch();
    let mut last_bytes = 0u64;
    loop {
        let res = lines.next_line(&mut batch.buf);
        batch.bytes += lines.bytes - last_bytes;
        last_bytes = lines.bytes;
        match res {
            Ok(Line::Ok { start }) => {
                // A UTF-8 byte order mark before the first record (Windows tools write one) is
                // not part of the JSON.
                if lines.line_no == 1 && batch.buf[start..].starts_with(b"\xEF\xBB\xBF") {
                    batch.buf.drain(start..start + 3);
                }
                batch.entries.push(Entry::Line(RawLine {
                    start,
                    end: batch.buf.len(),
                    line: lines.line_no,
                }))
            }
            Ok(Line::TooLong { len }) => batch.entries.push(Entry::Error(InputError {
                file: file.clone(),
                line: lines.line_no,
                kind: ErrorKind::LineTooLong,
                reason: format!(
                    "line is {len} bytes, over the cap of {} (raise input.max_line_bytes to accept it)",
                    opts.max_line_bytes
                ),
                action: Action::Skipped,
            })),
            Ok(Line::Eof) => {
                report.complete = true;
                break;
            }
            Err(e) => {
                batch.entries.push(Entry::Error(InputError {
                    file: file.clone(),
                    line: lines.line_no + 1,
                    kind: ErrorKind::TruncatedInput,
                    reason: format!(
                        "{} stream is truncated or corrupt ({e}); the {} lines before this point were kept \
                         (re-download or re-compress the file to recover the rest)",
                        codec.name(),
                        lines.line_no
                    ),
                    action: Action::Stopped,
                }));
                break;
            }
        }
        if batch.buf.len() >= opts.batch_bytes || batch.entries.len() >= 8192 {
            let mut full = std::mem::replace(&mut batch, new_batch());
            take_raw(&mut full);
            if abort.load(Ordering::Relaxed) || !emit(full) {
                report.lines = lines.line_no;
                report.bytes = lines.bytes;
                return report;
            }
        }
    }
    report.lines = lines.line_no;
    report.bytes = lines.bytes;
    take_raw(&mut batch);
    if !batch.entries.is_empty() || batch.raw > 0 {
        emit(batch);
    }
    report
}
