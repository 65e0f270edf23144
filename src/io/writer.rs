//! Writing outputs atomically: shards and side outputs go to `NAME.tmp`, are fsynced, and are
//! renamed to `NAME` only once complete, so an interrupted run never leaves a file that looks
//! finished. Each file's byte size and SHA-256 are computed while writing, for the manifest.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::Error;

/// Passes bytes through to a file while counting and hashing them.
pub(crate) struct Hashing {
    pub(crate) file: BufWriter<File>,
    pub(crate) hasher: Sha256,
    pub(crate) bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

enum Sink {
    Zstd(zstd::stream::write::Encoder<'static, Hashing>),
    Plain(Hashing),
}

/// What the manifest records about one finished output file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileSummary {
    /// File name inside the output folder.
    pub file: String,
    /// JSON lines written.
    pub records: u64,
    /// Size on disk in bytes.
    pub bytes: u64,
    /// Uncompressed bytes written (newlines included).
    pub bytes_uncompressed: u64,
    /// Hex SHA-256 of the file as written.
    pub sha256: String,
}

/// How far a file was written at a checkpoint: it can be cut back to exactly this and
/// continued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FileState {
    /// Bytes on disk.
    pub bytes: u64,
    /// JSON lines written.
    pub records: u64,
    /// Uncompressed bytes written.
    pub raw_bytes: u64,
}

/// A writer's identity and counts once its stream has ended.
struct Ended {
    name: String,
    tmp: PathBuf,
    dest: PathBuf,
    records: u64,
    raw_bytes: u64,
}

/// A JSONL output file (zstd-compressed when its name ends in `.zst`), written atomically.
pub struct JsonlWriter {
    name: String,
    tmp: PathBuf,
    dest: PathBuf,
    /// `None` only while a checkpoint swaps the zstd encoder.
    sink: Option<Sink>,
    level: i32,
    records: u64,
    raw_bytes: u64,
}

impl JsonlWriter {
    /// Creates `dir/name.tmp`; `zstd_level` applies to `.zst` names.
    pub fn create(dir: &Path, name: &str, zstd_level: i32) -> crate::Result<JsonlWriter> {
        let tmp = dir.join(format!("{name}.tmp"));
        let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        let inner = Hashing {
            file: BufWriter::with_capacity(256 << 10, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        Self::over(dir, name, zstd_level, inner, FileState::default())
    }

    /// Reopens `dir/name.tmp` as it was at a checkpoint: cuts it back to `state.bytes`, hashes
    /// what stays, and continues after it.
    pub fn resume(
        dir: &Path,
        name: &str,
        zstd_level: i32,
        state: FileState,
    ) -> crate::Result<JsonlWriter> {
        use std::io::{Read, Seek};
        let tmp = dir.join(format!("{name}.tmp"));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&tmp)
            .map_err(|e| Error::io(&tmp, e))?;
        let len = file.metadata().map_err(|e| Error::io(&tmp, e))?.len();
        if len < state.bytes {
            return Err(Error::Input(format!(
                "{}: {len} bytes, but the checkpoint recorded {}; the folder cannot be resumed (run with --overwrite to start over)",
                tmp.display(),
                state.bytes
            )));
        }
        file.set_len(state.bytes).map_err(|e| Error::io(&tmp, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        file.rewind().map_err(|e| Error::io(&tmp, e))?;
        loop {
            let n = file.read(&mut buf).map_err(|e| Error::io(&tmp, e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        file.seek(io::SeekFrom::End(0))
            .map_err(|e| Error::io(&tmp, e))?;
        let inner = Hashing {
            file: BufWriter::with_capacity(256 << 10, file),
            hasher,
            bytes: state.bytes,
        };
        Self::over(dir, name, zstd_level, inner, state)
    }

    fn over(
        dir: &Path,
        name: &str,
        zstd_level: i32,
        inner: Hashing,
        state: FileState,
    ) -> crate::Result<JsonlWriter> {
        let dest = dir.join(name);
        let tmp = dir.join(format!("{name}.tmp"));
        let sink = if name.ends_with(".zst") {
            Sink::Zstd(
                zstd::stream::write::Encoder::new(inner, zstd_level)
                    .map_err(|e| Error::io(&tmp, e))?,
            )
        } else {
            Sink::Plain(inner)
        };
        Ok(JsonlWriter {
            name: name.to_string(),
            tmp,
            dest,
            sink: Some(sink),
            level: zstd_level,
            records: state.records,
            raw_bytes: state.raw_bytes,
        })
    }

    /// Ends the current zstd frame (the next write starts a new one: concatenated frames
    /// decode as one stream), writes everything out and fsyncs, so the file can be cut back to
    /// the returned state and continued after a crash.
    pub fn checkpoint(&mut self) -> crate::Result<FileState> {
        let tmp = &self.tmp;
        let mut inner = match self.sink.take() {
            Some(Sink::Zstd(z)) => z.finish().map_err(|e| Error::io(tmp, e))?,
            Some(Sink::Plain(p)) => p,
            None => return Err(closed(tmp)),
        };
        inner.flush().map_err(|e| Error::io(tmp, e))?;
        inner
            .file
            .get_ref()
            .sync_data()
            .map_err(|e| Error::io(tmp, e))?;
        let state = FileState {
            bytes: inner.bytes,
            records: self.records,
            raw_bytes: self.raw_bytes,
        };
        self.sink = Some(if self.name.ends_with(".zst") {
            Sink::Zstd(
                zstd::stream::write::Encoder::new(inner, self.level)
                    .map_err(|e| Error::io(tmp, e))?,
            )
        } else {
            Sink::Plain(inner)
        });
        Ok(state)
    }

    fn writer(&mut self) -> crate::Result<&mut dyn Write> {
        match &mut self.sink {
            Some(Sink::Zstd(z)) => Ok(z),
            Some(Sink::Plain(p)) => Ok(p),
            None => Err(closed(&self.tmp)),
        }
    }

    /// Writes one JSON line (`line` without its newline).
    pub fn write_line(&mut self, line: &[u8]) -> crate::Result<()> {
        self.write_lines(line, 1)
    }

    /// Writes `count` lines at once: `bytes` holds them without their final newline... see
    /// [`JsonlWriter::write_raw`]; this adds the newline after `bytes`.
    fn write_lines(&mut self, bytes: &[u8], count: u64) -> crate::Result<()> {
        let w = self.writer()?;
        let r = w.write_all(bytes).and_then(|_| w.write_all(b"\n"));
        r.map_err(|e| Error::io(&self.tmp, e))?;
        self.records += count;
        self.raw_bytes += bytes.len() as u64 + 1;
        Ok(())
    }

    /// Writes a block of complete lines (each ending in `\n`) holding `count` records.
    pub fn write_raw(&mut self, block: &[u8], count: u64) -> crate::Result<()> {
        let r = self.writer()?.write_all(block);
        r.map_err(|e| Error::io(&self.tmp, e))?;
        self.records += count;
        self.raw_bytes += block.len() as u64;
        Ok(())
    }

    /// Serializes `value` as one JSON line.
    pub fn write_json<T: Serialize>(&mut self, value: &T) -> crate::Result<()> {
        let line = serde_json::to_vec(value)
            .map_err(|e| Error::Internal(format!("serializing {}: {e}", self.name)))?;
        self.write_line(&line)
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Ends the stream and writes out what is buffered.
    fn end(self) -> crate::Result<(Ended, Hashing)> {
        let mut inner = match self.sink {
            Some(Sink::Zstd(z)) => z.finish().map_err(|e| Error::io(&self.tmp, e))?,
            Some(Sink::Plain(p)) => p,
            None => return Err(closed(&self.tmp)),
        };
        inner.flush().map_err(|e| Error::io(&self.tmp, e))?;
        let ended = Ended {
            name: self.name,
            tmp: self.tmp,
            dest: self.dest,
            records: self.records,
            raw_bytes: self.raw_bytes,
        };
        Ok((ended, inner))
    }

    /// Finishes the stream, fsyncs, renames `.tmp` to the final name and returns its summary.
    pub fn finish(self) -> crate::Result<FileSummary> {
        let (e, inner) = self.end()?;
        let file = inner
            .file
            .into_inner()
            .map_err(|err| Error::io(&e.tmp, err.into_error()))?;
        commit(file, &e.tmp, &e.dest)?;
        Ok(FileSummary {
            file: e.name,
            records: e.records,
            bytes: inner.bytes,
            bytes_uncompressed: e.raw_bytes,
            sha256: hex(&inner.hasher.finalize()),
        })
    }

    /// Finishes the stream and fsyncs, but leaves the file under its `.tmp` name: a spool
    /// that a Parquet run converts (and that `--resume` can still cut back until the run's
    /// manifest is written). Returns the spool's path, records and uncompressed bytes.
    pub fn finish_spool(self) -> crate::Result<(PathBuf, FileState)> {
        let (e, inner) = self.end()?;
        inner
            .file
            .get_ref()
            .sync_data()
            .map_err(|err| Error::io(&e.tmp, err))?;
        let state = FileState {
            bytes: inner.bytes,
            records: e.records,
            raw_bytes: e.raw_bytes,
        };
        Ok((e.tmp, state))
    }

    /// The name of the finished file.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Stops writing without finishing: the `.tmp` stays for a later resume (cut back to the
    /// last checkpoint then).
    pub fn leave(self) {
        drop(self.sink);
    }

    /// Abandons the file: removes the `.tmp`.
    pub fn abandon(self) {
        let tmp = self.tmp.clone();
        drop(self.sink);
        let _ = std::fs::remove_file(tmp);
    }
}

fn closed(tmp: &Path) -> Error {
    Error::Internal(format!(
        "{}: written after a failed checkpoint",
        tmp.display()
    ))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The one way a finished output appears: fsync its `.tmp`, then rename it to its final name.
pub(crate) fn commit(file: File, tmp: &Path, dest: &Path) -> crate::Result<()> {
    file.sync_all().map_err(|e| Error::io(tmp, e))?;
    drop(file);
    std::fs::rename(tmp, dest).map_err(|e| Error::io(dest, e))
}

/// Writes `value` as pretty JSON to `dir/name` atomically.
pub fn write_json_file<T: Serialize>(dir: &Path, name: &str, value: &T) -> crate::Result<()> {
    let dest = dir.join(name);
    let tmp = dir.join(format!("{name}.tmp"));
    let mut text = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::Internal(format!("serializing {name}: {e}")))?;
    text.push(b'\n');
    let mut file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    file.write_all(&text).map_err(|e| Error::io(&tmp, e))?;
    commit(file, &tmp, &dest)
}

/// Replaces the finished plain file `summary.file` in `dir` with a zstd-compressed copy named
/// `<file>.zst` (written atomically; the plain file is removed after) and returns the copy's
/// summary.
pub fn compress_finished(
    dir: &Path,
    summary: &FileSummary,
    zstd_level: i32,
) -> crate::Result<FileSummary> {
    use std::io::Read;
    let src = dir.join(&summary.file);
    let mut input = File::open(&src).map_err(|e| Error::io(&src, e))?;
    let mut out = JsonlWriter::create(dir, &format!("{}.zst", summary.file), zstd_level)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = input.read(&mut buf).map_err(|e| Error::io(&src, e))?;
        if n == 0 {
            break;
        }
        out.write_raw(&buf[..n], 0)?;
    }
    let mut done = out.finish()?;
    done.records = summary.records;
    std::fs::remove_file(&src).map_err(|e| Error::io(&src, e))?;
    Ok(done)
}

/// The shard file name for shard `i` (the spool name in a Parquet run).
pub fn shard_name(i: usize) -> String {
    format!("part-{i:05}.jsonl.zst")
}

/// The Parquet file a JSONL output becomes in a Parquet run: `part-00001.jsonl.zst` →
/// `part-00001.parquet`.
pub fn parquet_name(jsonl: &str) -> String {
    let base = jsonl.strip_suffix(".zst").unwrap_or(jsonl);
    let base = base.strip_suffix(".jsonl").unwrap_or(base);
    format!("{base}.parquet")
}

/// The shard a document id belongs to: a seeded 64-bit hash of the id, modulo the shard count.
pub fn shard_of(id: &str, seed: u64, shards: usize) -> usize {
    (xxhash_rust::xxh3::xxh3_64_with_seed(id.as_bytes(), seed) % shards as u64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_and_summary() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = JsonlWriter::create(dir.path(), "x.jsonl.zst", 3).unwrap();
        w.write_line(br#"{"a":1}"#).unwrap();
        w.write_raw(b"{\"a\":2}\n{\"a\":3}\n", 2).unwrap();
        assert!(dir.path().join("x.jsonl.zst.tmp").exists());
        assert!(!dir.path().join("x.jsonl.zst").exists());
        let s = w.finish().unwrap();
        assert!(!dir.path().join("x.jsonl.zst.tmp").exists());
        let bytes = std::fs::read(dir.path().join("x.jsonl.zst")).unwrap();
        assert_eq!(s.bytes, bytes.len() as u64);
        assert_eq!(s.records, 3);
        assert_eq!(s.sha256, hex(&Sha256::digest(&bytes)));
        let text = zstd::decode_all(&bytes[..]).unwrap();
        assert_eq!(text, b"{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n");
        assert_eq!(s.bytes_uncompressed, text.len() as u64);
    }

    #[test]
    fn shard_choice_is_stable() {
        let a = shard_of("bbc-business-001", 0, 64);
        assert_eq!(a, shard_of("bbc-business-001", 0, 64));
        assert!(a < 64);
        // Different seeds spread ids differently.
        let moved = (0..100)
            .filter(|i| shard_of(&i.to_string(), 0, 8) != shard_of(&i.to_string(), 1, 8))
            .count();
        assert!(moved > 50);
    }
}
