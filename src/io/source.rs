//! Resolving inputs and opening them: files, directories (recursive, sorted), globs and stdin;
//! codec detection by magic bytes (zstd, gzip, plain); and line framing with a length cap.
//!
//! This is the single decompression entry point of the crate: nothing else opens a decoder.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::Error;

/// The compression of an input, detected from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// Zstandard, possibly several frames.
    Zstd,
    /// gzip, possibly several members.
    Gzip,
    /// Uncompressed.
    Plain,
}

impl Codec {
    /// Detects the codec from the first bytes of a stream.
    pub fn detect(head: &[u8]) -> Codec {
        if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Codec::Zstd
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Codec::Gzip
        } else {
            Codec::Plain
        }
    }

    /// Lowercase name, as written to the manifest.
    pub fn name(self) -> &'static str {
        match self {
            Codec::Zstd => "zstd",
            Codec::Gzip => "gzip",
            Codec::Plain => "plain",
        }
    }
}

/// One input: a path, or standard input when `path` is `-`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    /// The path as the user gave it (or found under a directory).
    pub path: PathBuf,
    /// Size on disk in bytes, when known (used for progress).
    pub size: Option<u64>,
    /// Set when this input is one piece of a distributed plan (see [`Part`]).
    pub part: Option<Part>,
}

/// A piece of an input file read by one task of the distributed plan
/// (`crate::pipeline::dist`): the file's place in the whole input list, and for a large plain
/// file the byte range whose line starts it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Part {
    /// Index of the file in the plan's input list: with the line number it makes the
    /// document's global position, which does not depend on how the input is split.
    pub file_index: u32,
    /// `[start, end)`: the piece reads the lines that start in this byte range (the line that
    /// starts at or after `start`, to the last one starting before `end`); `None` reads the
    /// whole file.
    pub range: Option<(u64, u64)>,
}

impl Input {
    /// True for standard input.
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == "-"
    }

    /// The name used in error records, ids and the manifest.
    pub fn display(&self) -> String {
        self.path.display().to_string()
    }
}

/// Expands the configured input specs into a list of inputs: each spec is `-`, a file, a
/// directory (all files below it, recursively, sorted by path; hidden files skipped) or a glob.
/// Specs keep their order; a spec that matches nothing is an error.
pub fn resolve(specs: &[String]) -> crate::Result<Vec<Input>> {
    resolve_noting(specs, &mut Vec::new())
}

/// [`resolve`], adding a note to `notes` for each directory loop (a symbolic link to a folder
/// above it) that was not followed and each file named twice that is read once.
pub fn resolve_noting(specs: &[String], notes: &mut Vec<String>) -> crate::Result<Vec<Input>> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    let mut seen_files = std::collections::HashSet::new();
    let mut push = |path: PathBuf, out: &mut Vec<Input>, notes: &mut Vec<String>| {
        if let Ok(m) = std::fs::metadata(&path) {
            if !seen_files.insert((m.dev(), m.ino())) {
                notes.push(format!(
                    "{}: the same file as an earlier input; read once",
                    path.display()
                ));
                return;
            }
        }
        out.push(input_for(path));
    };
    for spec in specs {
        if spec == "-" {
            out.push(Input {
                path: PathBuf::from("-"),
                size: None,
                part: None,
            });
            continue;
        }
        let path = Path::new(spec);
        if path.is_dir() {
            let mut files = Vec::new();
            let mut dirs = std::collections::HashSet::new();
            walk(path, &mut files, &mut dirs, notes)?;
            files.sort();
            if files.is_empty() {
                return Err(Error::Input(format!("{spec}: directory contains no files")));
            }
            for f in files {
                push(f, &mut out, notes);
            }
        } else if path.is_file() {
            push(path.to_path_buf(), &mut out, notes);
        } else if spec.contains(['*', '?', '[']) {
            let paths = glob::glob(spec)
                .map_err(|e| Error::Input(format!("{spec}: bad glob pattern: {e}")))?;
            let mut files: Vec<PathBuf> = paths
                .filter_map(|p| p.ok())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            if files.is_empty() {
                return Err(Error::Input(format!("{spec}: glob matched no files")));
            }
            for f in files {
                push(f, &mut out, notes);
            }
        } else {
            return Err(Error::Input(format!(
                "{spec}: no such file or directory (give a file, a directory, a glob or `-` for stdin)"
            )));
        }
    }
    Ok(out)
}

fn input_for(path: PathBuf) -> Input {
    let size = std::fs::metadata(&path).ok().map(|m| m.len());
    Input {
        path,
        size,
        part: None,
    }
}

/// Collects the files below `dir`. `dirs` holds the (device, inode) of every folder entered,
/// so a symbolic link back to a folder already being walked is reported once and not followed.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    dirs: &mut std::collections::HashSet<(u64, u64)>,
    notes: &mut Vec<String>,
) -> crate::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !dirs.insert((m.dev(), m.ino())) {
        notes.push(format!(
            "{}: a link to a folder already read (a directory loop?); not followed, so each file is read once",
            dir.display()
        ));
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            walk(&path, out, dirs, notes)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Counts bytes read through it into a shared counter (compressed bytes, for progress).
struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens an input and returns a buffered reader over its decompressed bytes and the codec.
/// `counter` receives the number of raw (compressed) bytes consumed.
pub fn open(
    input: &Input,
    counter: Arc<AtomicU64>,
) -> crate::Result<(Box<dyn BufRead + Send>, Codec)> {
    let raw: Box<dyn Read + Send> = if input.is_stdin() {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(&input.path).map_err(|e| Error::io(&input.path, e))?)
    };
    open_reader(raw, counter).map_err(|e| Error::io(&input.path, e))
}

/// Like [`open`], for any byte stream.
pub fn open_reader(
    raw: Box<dyn Read + Send>,
    counter: Arc<AtomicU64>,
) -> io::Result<(Box<dyn BufRead + Send>, Codec)> {
    let mut raw = BufReader::with_capacity(
        256 << 10,
        Counting {
            inner: raw,
            count: counter,
        },
    );
    let codec = Codec::detect(raw.fill_buf()?);
    let reader: Box<dyn BufRead + Send> = match codec {
        Codec::Zstd => {
            let mut dec = zstd::stream::read::Decoder::with_buffer(raw)?;
            // Dumps are sometimes written with --long; accept the largest window.
            dec.window_log_max(31)?;
            Box::new(BufReader::with_capacity(256 << 10, dec))
        }
        Codec::Gzip => Box::new(BufReader::with_capacity(
            256 << 10,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Codec::Plain => Box::new(raw),
    };
    Ok((reader, codec))
}

/// What [`LineReader::next_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line was appended to the buffer (without its newline); it spans `start..buf.len()`.
    Ok {
        /// Offset in the buffer where the line begins.
        start: usize,
    },
    /// The line was longer than the cap; its bytes were skipped, nothing was appended.
    TooLong {
        /// The line's length in bytes.
        len: u64,
    },
    /// End of input.
    Eof,
}

/// Splits a decompressed stream into lines, appending each into a caller's buffer, with a cap
/// on line length that never buffers more than the cap.
pub struct LineReader<R> {
    inner: R,
    max_line: usize,
    /// 1-based number of the last line returned.
    pub line_no: u64,
    /// Decompressed bytes consumed so far.
    pub bytes: u64,
}

impl<R: BufRead> LineReader<R> {
    /// Wraps a buffered reader.
    pub fn new(inner: R, max_line: usize) -> LineReader<R> {
        LineReader {
            inner,
            max_line,
            line_no: 0,
            bytes: 0,
        }
    }

    /// Reads the next line into `buf`. A final line without a newline counts as a line.
    pub fn next_line(&mut self, buf: &mut Vec<u8>) -> io::Result<Line> {
        let start = buf.len();
        let mut len: u64 = 0;
        let mut too_long = false;
        loop {
            let chunk = match self.inner.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    buf.truncate(start);
                    return Err(e);
                }
            };
            if chunk.is_empty() {
                if len == 0 {
                    return Ok(Line::Eof);
                }
                break;
            }
            let (take, done) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (i + 1, true),
                None => (chunk.len(), false),
            };
            let content = if done { take - 1 } else { take };
            len += content as u64;
            if !too_long {
                if len > self.max_line as u64 {
                    too_long = true;
                    buf.truncate(start);
                } else {
                    buf.extend_from_slice(&chunk[..content]);
                }
            }
            self.inner.consume(take);
            self.bytes += take as u64;
            if done {
                break;
            }
        }
        self.line_no += 1;
        if too_long {
            return Ok(Line::TooLong { len });
        }
        // Tolerate CRLF files.
        if buf.len() > start && buf[buf.len() - 1] == b'\r' {
            buf.pop();
        }
        Ok(Line::Ok { start })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines(data: &[u8], cap: usize) -> Vec<Result<String, u64>> {
        let mut r = LineReader::new(BufReader::with_capacity(7, data), cap);
        let mut out = Vec::new();
        loop {
            let mut buf = b"prefix".to_vec();
            match r.next_line(&mut buf).unwrap() {
                Line::Ok { start } => {
                    out.push(Ok(String::from_utf8(buf[start..].to_vec()).unwrap()))
                }
                Line::TooLong { len } => {
                    assert_eq!(buf, b"prefix");
                    out.push(Err(len))
                }
                Line::Eof => return out,
            }
        }
    }

    #[test]
    fn frames_lines_with_cap() {
        let got = lines(b"short\nthis line is long\r\n\nlast", 10);
        assert_eq!(
            got,
            vec![
                Ok("short".into()),
                Err(18),
                Ok("".into()),
                Ok("last".into())
            ]
        );
    }

    #[test]
    fn detects_codecs_by_magic() {
        let data = b"{\"text\":\"x\"}\n";
        let z = zstd::encode_all(&data[..], 3).unwrap();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(data).unwrap();
        let g = g.finish().unwrap();
        for (bytes, codec) in [
            (z, Codec::Zstd),
            (g, Codec::Gzip),
            (data.to_vec(), Codec::Plain),
        ] {
            let (mut r, c) =
                open_reader(Box::new(std::io::Cursor::new(bytes)), Arc::default()).unwrap();
            assert_eq!(c, codec);
            let mut s = String::new();
            r.read_to_string(&mut s).unwrap();
            assert_eq!(s.as_bytes(), data);
        }
    }

    #[test]
    fn truncated_zstd_is_an_error_not_a_silent_eof() {
        let data: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{{\"id\":{i}}}\n").into_bytes())
            .collect();
        let z = zstd::encode_all(&data[..], 3).unwrap();
        let cut = z[..z.len() / 2].to_vec();
        let (mut r, _) = open_reader(Box::new(std::io::Cursor::new(cut)), Arc::default()).unwrap();
        let mut s = Vec::new();
        assert!(r.read_to_end(&mut s).is_err());
    }

    #[test]
    fn truncated_gzip_is_an_error() {
        let data: Vec<u8> = (0..2000)
            .flat_map(|i| format!("{{\"id\":{i}}}\n").into_bytes())
            .collect();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(&data).unwrap();
        let g = g.finish().unwrap();
        let cut = g[..g.len() / 2].to_vec();
        let (mut r, _) = open_reader(Box::new(std::io::Cursor::new(cut)), Arc::default()).unwrap();
        let mut s = Vec::new();
        assert!(r.read_to_end(&mut s).is_err());
    }
}
