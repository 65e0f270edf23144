//! An append-only scratch file of fixed-size records whose writes happen on a background
//! thread, so the ordered stage only copies each record into a block (the kernel's copy into
//! the page cache and its page allocation, about half a microsecond per sketch, run on another
//! core). Records stay readable at once: from the block being filled, from a block handed to
//! the writer but not yet written, or from the file.
//!
//! Blocks are handed over through a bounded channel ([`IN_FLIGHT`] blocks), so memory stays
//! bounded when the disk is slow; a write error is reported by the next append or read.

use std::collections::VecDeque;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// Bytes per block handed to the writer.
const BLOCK: usize = 1 << 18;

/// Blocks queued for the writer at most.
const IN_FLIGHT: usize = 4;

/// A block and its offset in the file.
type Block = (u64, Arc<Vec<u8>>);

/// The file, its writer thread and the blocks not yet known to be written.
#[derive(Debug)]
pub(super) struct SpillFile {
    path: PathBuf,
    file: Arc<std::fs::File>,
    rec: usize,
    /// The block being filled and its offset in the file.
    cur: Vec<u8>,
    cur_start: u64,
    /// Blocks handed to the writer, oldest first, until the writer confirms them.
    sent: VecDeque<Block>,
    /// Written blocks to fill again (fresh ones would be page-faulted in).
    spare: Vec<Vec<u8>>,
    /// Bytes written to the file (a prefix), published by the writer.
    written: Arc<AtomicU64>,
    /// The writer's first error.
    failed: Arc<Mutex<Option<std::io::Error>>>,
    tx: Option<mpsc::SyncSender<Block>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SpillFile {
    /// Creates (or truncates) the file at `path` for records of `rec` bytes.
    pub(super) fn create(path: &Path, rec: usize) -> crate::Result<SpillFile> {
        let file = Arc::new(crate::dedup::scratch_file(path)?);
        let written = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(Mutex::new(None));
        let (tx, rx) = mpsc::sync_channel::<Block>(IN_FLIGHT);
        let thread = {
            let (file, written, failed) = (file.clone(), written.clone(), failed.clone());
            std::thread::Builder::new()
                .name("near-sketches".into())
                .spawn(move || {
                    for (off, block) in rx {
                        if let Err(e) = file.write_all_at(&block, off) {
                            if let Ok(mut f) = failed.lock() {
                                *f = Some(e);
                            }
                            return;
                        }
                        let end = off + block.len() as u64;
                        // Let go of the block first, so the owner can reuse it once it sees
                        // it written.
                        drop(block);
                        written.store(end, Ordering::Release);
                    }
                })
                .map_err(|e| crate::Error::io(path, e))?
        };
        Ok(SpillFile {
            path: path.to_path_buf(),
            file,
            rec: rec.max(1),
            cur: Vec::with_capacity(BLOCK),
            cur_start: 0,
            sent: VecDeque::new(),
            spare: Vec::new(),
            written,
            failed,
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Bytes held in memory (blocks being filled or queued).
    pub(super) fn memory_bytes(&self) -> usize {
        // Queued, being written, being filled, and one written but not yet reused.
        (IN_FLIGHT + 3) * BLOCK
    }

    /// The writer's error, if it stopped.
    fn check(&self) -> crate::Result<()> {
        let err = self.failed.lock().ok().and_then(|mut f| f.take());
        match err {
            Some(e) => Err(crate::Error::io(&self.path, e)),
            None => Ok(()),
        }
    }

    /// Appends one record (`rec` bytes).
    pub(super) fn append(&mut self, record: &[u8]) -> crate::Result<()> {
        if self.cur.len() + record.len() > BLOCK.max(self.rec) {
            self.hand_over()?;
        }
        self.cur.extend_from_slice(record);
        Ok(())
    }

    /// Hands the current block to the writer (waiting while [`IN_FLIGHT`] are queued).
    fn hand_over(&mut self) -> crate::Result<()> {
        self.check()?;
        let written = self.written.load(Ordering::Acquire);
        while let Some((off, b)) = self.sent.front() {
            if off + b.len() as u64 > written {
                break;
            }
            if let Some((_, b)) = self.sent.pop_front() {
                if let Ok(mut v) = Arc::try_unwrap(b) {
                    v.clear();
                    self.spare.push(v);
                }
            }
        }
        let len = self.cur.len() as u64;
        let fresh = self
            .spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(BLOCK));
        let block = Arc::new(std::mem::replace(&mut self.cur, fresh));
        let Some(tx) = &self.tx else {
            return Err(crate::Error::Internal(
                "near_dedup: sketch writer closed".into(),
            ));
        };
        if tx.send((self.cur_start, block.clone())).is_err() {
            self.check()?;
            return Err(crate::Error::Internal(
                "near_dedup: sketch writer stopped".into(),
            ));
        }
        self.sent.push_back((self.cur_start, block));
        self.cur_start += len;
        Ok(())
    }

    /// Reads `out.len()` bytes at `off` (a whole record, appended before).
    pub(super) fn read_at(&mut self, off: u64, out: &mut [u8]) -> crate::Result<()> {
        let n = out.len();
        if off >= self.cur_start {
            let at = (off - self.cur_start) as usize;
            let src = self.cur.get(at..at + n).ok_or_else(|| {
                crate::Error::Internal("near_dedup: sketch read past the end".into())
            })?;
            out.copy_from_slice(src);
            return Ok(());
        }
        if off + n as u64 > self.written.load(Ordering::Acquire) {
            // Still queued (or being written): read it from its block.
            for (start, b) in &self.sent {
                if off >= *start && off + n as u64 <= start + b.len() as u64 {
                    let at = (off - start) as usize;
                    out.copy_from_slice(&b[at..at + n]);
                    return Ok(());
                }
            }
            self.check()?;
        }
        self.file
            .read_exact_at(out, off)
            .map_err(|e| crate::Error::io(&self.path, e))
    }
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_wherever_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".spill.tmp");
        let rec = 520;
        let mut f = SpillFile::create(&path, rec).unwrap();
        let record = |i: usize| -> Vec<u8> { (0..rec).map(|j| (i * 31 + j) as u8).collect() };
        let mut out = vec![0u8; rec];
        // Enough records for many blocks; read old, middle and newest ones as we go.
        let n = 20_000;
        for i in 0..n {
            f.append(&record(i)).unwrap();
            for j in [0, i / 3, i.saturating_sub(2100), i] {
                f.read_at((j * rec) as u64, &mut out).unwrap();
                assert_eq!(out, record(j), "record {j} after {i}");
            }
        }
        drop(f);
        assert!(!path.exists());
    }
}
