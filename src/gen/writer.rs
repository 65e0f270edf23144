//! Writes generated records into size-balanced `part-NNNNN.jsonl.zst` shards.
//!
//! Shards are filled one after another in generation order (not round-robin), so reading the
//! shards in name order sees every original before its planted copies. Each shard is a library
//! [`JsonlWriter`]: written to `name.tmp`, fsynced and renamed when complete.

use std::path::{Path, PathBuf};

use corpusmill::io::writer::{shard_name, JsonlWriter};
use corpusmill::Result;

/// Sharded zstd JSONL output.
pub struct ShardWriter {
    dir: PathBuf,
    shards: usize,
    per_shard: u64,
    level: i32,
    index: usize,
    written_in_shard: u64,
    current: Option<JsonlWriter>,
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
        if let Some(w) = self.current.take() {
            let summary = w.finish()?;
            self.done.push(self.dir.join(summary.file));
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
        let w = match &mut self.current {
            Some(w) => w,
            None => self.current.insert(JsonlWriter::create(
                &self.dir,
                &shard_name(self.index),
                self.level,
            )?),
        };
        w.write_line(line)?;
        self.written_in_shard += line.len() as u64 + 1;
        Ok(())
    }

    /// Closes the last shard and returns all shard paths in order.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        self.finish_current()?;
        Ok(self.done)
    }
}
