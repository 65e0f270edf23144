//! Writes generated records into size-balanced `part-NNNNN.jsonl.zst` shards and the truth file.
//!
//! Shards are filled one after another in generation order (not round-robin), so reading the
//! shards in name order sees every original before its planted copies; each shard is written
//! to `name.tmp` and renamed when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Sharded zstd JSONL output.
pub struct ShardWriter {
    dir: PathBuf,
    shards: usize,
    per_shard: u64,
    level: i32,
    index: usize,
    written_in_shard: u64,
    current: Option<(
        PathBuf,
        zstd::stream::write::Encoder<'static, BufWriter<File>>,
    )>,
    done: Vec<PathBuf>,
}

impl ShardWriter {
    /// Creates a writer for about `target_bytes` of JSONL split into `shards` files.
    pub fn new(dir: &Path, shards: usize, target_bytes: u64, level: i32) -> Self {
        ShardWriter {
            dir: dir.to_path_buf(),
            shards: shards.max(1),
            per_shard: target_bytes.div_ceil(shards.max(1) as u64).max(1),
            level,
            index: 0,
            written_in_shard: 0,
            current: None,
            done: Vec::new(),
        }
    }

    fn finish_current(&mut self) -> Result<()> {
        if let Some((path, enc)) = self.current.take() {
            let tmp = path.with_extension("zst.tmp");
            let mut w = enc.finish().map_err(|e| Error::io(&tmp, e))?;
            w.flush().map_err(|e| Error::io(&tmp, e))?;
            let f = w
                .into_inner()
                .map_err(|e| Error::io(&tmp, e.into_error()))?;
            f.sync_all().map_err(|e| Error::io(&tmp, e))?;
            std::fs::rename(&tmp, &path).map_err(|e| Error::io(&path, e))?;
            self.done.push(path);
            self.index += 1;
            self.written_in_shard = 0;
        }
        Ok(())
    }

    /// Appends one JSON line (without its newline).
    pub fn write_line(&mut self, line: &[u8]) -> Result<()> {
        if self.current.is_some()
            && self.written_in_shard >= self.per_shard
            && self.index + 1 < self.shards
        {
            self.finish_current()?;
        }
        if self.current.is_none() {
            let path = self.dir.join(format!("part-{:05}.jsonl.zst", self.index));
            let tmp = path.with_extension("zst.tmp");
            let f = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
            let enc =
                zstd::stream::write::Encoder::new(BufWriter::with_capacity(1 << 20, f), self.level)
                    .map_err(|e| Error::io(&tmp, e))?;
            self.current = Some((path, enc));
        }
        if let Some((path, enc)) = self.current.as_mut() {
            enc.write_all(line)
                .map_err(|e| Error::io(path.as_path(), e))?;
            enc.write_all(b"\n")
                .map_err(|e| Error::io(path.as_path(), e))?;
        }
        self.written_in_shard += line.len() as u64 + 1;
        Ok(())
    }

    /// Closes the last shard and returns all shard paths in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.finish_current()?;
        Ok(self.done)
    }
}
