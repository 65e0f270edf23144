//! Reading one input into batches of raw lines.
//!
//! A reader thread opens an input (see [`source`](super::source)), frames lines with the length
//! cap, and sends [`Batch`]es of about `batch_bytes` to the pipeline. Problems found while
//! reading (over-long lines, a truncated or corrupt stream) travel inside the batch at their
//! place in line order, so they are reported in input order.

use std::io::BufRead;
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
    /// True when the entries are WARC responses (see [`warc`](super::warc)), not JSON lines.
    pub warc: bool,
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
    /// True for a WARC file.
    pub warc: bool,
    /// WARC records that were not HTML responses (requests, metadata, images, ...), skipped.
    pub skipped_records: u64,
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

/// Opens a plain file at the first line that starts at or after byte `start` (a line starts at
/// offset 0 or after a newline). Returns the reader, its codec, the 1-based number of that line
/// (counted from the newlines before it, at memchr speed) and its byte offset.
fn open_at(
    input: &Input,
    start: u64,
    raw_bytes: Arc<AtomicU64>,
) -> crate::Result<(Box<dyn std::io::BufRead + Send>, Codec, u64, u64)> {
    use std::io::{BufRead, Read, Seek, SeekFrom};
    let io_err = |e| crate::Error::io(&input.path, e);
    let file = std::fs::File::open(&input.path).map_err(io_err)?;
    let mut r = std::io::BufReader::with_capacity(1 << 20, file);
    let mut newlines = 0u64;
    let mut offset = 0u64;
    // Count the newlines before `start - 1`, then find the end of the line holding that byte.
    let scan_to = start.saturating_sub(1);
    while offset < scan_to {
        let buf = r.fill_buf().map_err(io_err)?;
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min((scan_to - offset) as usize);
        newlines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        r.consume(n);
        offset += n as u64;
    }
    if start > 0 {
        let mut skip = Vec::new();
        let n = r.read_until(b'\n', &mut skip).map_err(io_err)?;
        offset += n as u64;
        newlines += u64::from(skip.last() == Some(&b'\n'));
    }
    let mut file = r.into_inner();
    file.seek(SeekFrom::Start(offset)).map_err(io_err)?;
    let raw: Box<dyn Read + Send> = Box::new(file);
    let (reader, codec) = source::open_reader(raw, raw_bytes).map_err(io_err)?;
    Ok((reader, codec, newlines + 1, offset))
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
        warc: false,
        skipped_records: 0,
    };
    // A piece of the distributed plan numbers its batches with the file's place in the whole
    // input list.
    let file_index = input.part.map_or(file_index, |p| p.file_index as usize);
    let new_batch = || Batch {
        file_index,
        file: file.clone(),
        buf: opts.pool.get(opts.batch_bytes + opts.batch_bytes / 4),
        entries: Vec::new(),
        bytes: 0,
        raw: 0,
        warc: false,
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
    let opened = match input.part.and_then(|p| p.range) {
        Some((start, _)) => open_at(input, start, file_raw.clone()),
        None => source::open(input, file_raw.clone()).map(|(r, c)| (r, c, 1, 0)),
    };
    let (reader, codec, first_line, first_offset) = match opened {
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
    let mut reader = reader;
    if reader
        .fill_buf()
        .is_ok_and(|head| head.starts_with(super::warc::MAGIC))
    {
        report.warc = true;
        let mut emit_raw = |mut b: Batch| {
            take_raw(&mut b);
            emit(b)
        };
        read_warc(
            reader,
            &file,
            opts,
            abort,
            &mut report,
            new_batch,
            &mut emit_raw,
        );
        return report;
    }
    let mut lines = LineReader::new(reader, opts.max_line_bytes);
    lines.line_no = first_line - 1;
    // A piece of a split file stops before the first line that starts at or after its end.
    let stop_at = input
        .part
        .and_then(|p| p.range)
        .map(|(_, e)| e.saturating_sub(first_offset));
    let mut batch = new_batch();
    let mut last_bytes = 0u64;
    loop {
        let res = match stop_at {
            Some(stop) if lines.bytes >= stop => Ok(Line::Eof),
            _ => lines.next_line(&mut batch.buf),
        };
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
                report.lines = lines.line_no - (first_line - 1);
                report.bytes = lines.bytes;
                return report;
            }
        }
    }
    report.lines = lines.line_no - (first_line - 1);
    report.bytes = lines.bytes;
    take_raw(&mut batch);
    if !batch.entries.is_empty() || batch.raw > 0 {
        emit(batch);
    }
    report
}

/// Reads a WARC stream: HTML responses become entries, other records are counted and skipped,
/// and an early end or a framing error stops the file with a `truncated_input` error.
fn read_warc(
    mut r: Box<dyn BufRead + Send>,
    file: &Arc<str>,
    opts: &ReaderOptions,
    abort: &AtomicBool,
    report: &mut FileReport,
    new_batch: impl Fn() -> Batch,
    emit: &mut impl FnMut(Batch) -> bool,
) {
    use super::warc;
    let fresh = || {
        let mut b = new_batch();
        b.warc = true;
        b
    };
    let mut batch = fresh();
    let mut block = Vec::new();
    let mut records = 0u64;
    let mut counted = CountingRead {
        inner: &mut r,
        n: 0,
    };
    let mut last = 0u64;
    let stop = |records: u64, e: std::io::Error| {
        Entry::Error(InputError {
            file: file.clone(),
            line: records + 1,
            kind: ErrorKind::TruncatedInput,
            reason: format!(
                "WARC stream is truncated or corrupt at record {} ({e}); the {records} records before it were kept \
                 (re-download the file to recover the rest)",
                records + 1
            ),
            action: Action::Stopped,
        })
    };
    loop {
        let header = match warc::read_header(&mut counted) {
            Ok(Some(h)) => h,
            Ok(None) => {
                report.complete = true;
                break;
            }
            Err(e) => {
                batch.entries.push(stop(records, e));
                break;
            }
        };
        records += 1;
        let wanted = header.kind == "response" && header.content_type.contains("http");
        let res = if !wanted {
            report.skipped_records += 1;
            warc::skip_block(&mut counted, header.length)
        } else if header.length > opts.max_line_bytes as u64 {
            batch.entries.push(Entry::Error(InputError {
                file: file.clone(),
                line: records,
                kind: ErrorKind::LineTooLong,
                reason: format!(
                    "WARC record {} is {} bytes, over the cap of {} (raise input.max_line_bytes to accept it)",
                    header.id, header.length, opts.max_line_bytes
                ),
                action: Action::Skipped,
            }));
            warc::skip_block(&mut counted, header.length)
        } else {
            block.clear();
            warc::read_block(&mut counted, header.length, &mut block).map(|()| {
                match warc::http_head(&block).filter(|h| warc::is_html_type(&h.content_type)) {
                    Some(http) => {
                        let start = batch.buf.len();
                        warc::encode(&mut batch.buf, &header, &http, &block);
                        batch.entries.push(Entry::Line(RawLine {
                            start,
                            end: batch.buf.len(),
                            line: records,
                        }));
                    }
                    None => report.skipped_records += 1,
                }
            })
        };
        batch.bytes += counted.n - last;
        last = counted.n;
        if let Err(e) = res {
            batch.entries.push(stop(records - 1, e));
            break;
        }
        if batch.buf.len() >= opts.batch_bytes || batch.entries.len() >= 8192 {
            let full = std::mem::replace(&mut batch, fresh());
            if abort.load(Ordering::Relaxed) || !emit(full) {
                report.lines = records;
                report.bytes = counted.n;
                return;
            }
        }
    }
    batch.bytes += counted.n - last;
    report.lines = records;
    report.bytes = counted.n;
    // Sent even when empty: it carries the file's last on-disk bytes for progress.
    emit(batch);
}

/// Counts bytes read through a `BufRead`.
struct CountingRead<'a, R: BufRead + ?Sized> {
    inner: &'a mut R,
    n: u64,
}

impl<R: BufRead + ?Sized> std::io::Read for CountingRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n += n as u64;
        Ok(n)
    }
}

impl<R: BufRead + ?Sized> BufRead for CountingRead<'_, R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n += amt as u64;
        self.inner.consume(amt);
    }
}
