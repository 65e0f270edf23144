//! Append-only logs of the LSH index, in memory or in scratch files in the output folder
//! (removed on drop): the band hashes of kept documents ([`KeyLog`], read back when the band
//! table grows) and their bottom-k sketches ([`SketchLog`], fixed-size records read back by
//! document number when a candidate is verified; written on a background thread).

use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// Buffer of a log file.
const FILE_BUFFER: usize = 1 << 16;

/// Append-only band hashes (`bands` per indexed document), read back in order when the table
/// grows and, with verification off, to confirm a band match. In memory or in a file.
#[derive(Debug)]
pub enum KeyLog {
    /// In memory (counted in the index's memory).
    Memory(Vec<u32>),
    /// In a file, removed on drop.
    File {
        /// Path of the file.
        path: PathBuf,
        /// Buffered writer (the file is also read through it with positioned reads).
        writer: std::io::BufWriter<std::fs::File>,
        /// Values written.
        len: u64,
    },
}

impl KeyLog {
    /// A log in a new file at `path` (removed when the log is dropped).
    pub fn file(path: &Path) -> crate::Result<KeyLog> {
        let f = crate::dedup::scratch_file(path)?;
        Ok(KeyLog::File {
            path: path.to_path_buf(),
            writer: std::io::BufWriter::with_capacity(FILE_BUFFER, f),
            len: 0,
        })
    }

    pub(super) fn push(&mut self, keys: &[u32]) -> crate::Result<()> {
        match self {
            KeyLog::Memory(v) => {
                if v.capacity() - v.len() < keys.len() {
                    v.reserve_exact((v.len() / 4).max(keys.len() * 4096));
                }
                v.extend_from_slice(keys);
            }
            KeyLog::File {
                path, writer, len, ..
            } => {
                let mut buf = [0u8; 256];
                for part in keys.chunks(64) {
                    for (d, k) in buf.chunks_exact_mut(4).zip(part) {
                        d.copy_from_slice(&k.to_le_bytes());
                    }
                    writer
                        .write_all(&buf[..part.len() * 4])
                        .map_err(|e| crate::Error::io(&*path, e))?;
                }
                *len += keys.len() as u64;
            }
        }
        Ok(())
    }

    pub(super) fn memory_bytes(&self) -> usize {
        match self {
            KeyLog::Memory(v) => v.capacity() * 4,
            KeyLog::File { .. } => FILE_BUFFER,
        }
    }

    /// Calls `f(i, key)` for every key in order.
    pub(super) fn for_each(&mut self, mut f: impl FnMut(usize, u32)) -> crate::Result<()> {
        match self {
            KeyLog::Memory(v) => v.iter().enumerate().for_each(|(i, &k)| f(i, k)),
            KeyLog::File {
                path, writer, len, ..
            } => {
                writer.flush().map_err(|e| crate::Error::io(&*path, e))?;
                let mut buf = vec![0u8; 1 << 20];
                let total = *len as usize * 4;
                let mut off = 0usize;
                while off < total {
                    let n = buf.len().min(total - off);
                    writer
                        .get_ref()
                        .read_exact_at(&mut buf[..n], off as u64)
                        .map_err(|e| crate::Error::io(&*path, e))?;
                    for (j, c) in buf[..n].chunks_exact(4).enumerate() {
                        f(off / 4 + j, u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
                    }
                    off += n;
                }
            }
        }
        Ok(())
    }

    /// Key number `i`.
    pub(super) fn get(&mut self, i: usize) -> crate::Result<u32> {
        match self {
            KeyLog::Memory(v) => Ok(v.get(i).copied().unwrap_or(0)),
            KeyLog::File { path, writer, .. } => {
                writer.flush().map_err(|e| crate::Error::io(&*path, e))?;
                let mut b = [0u8; 4];
                writer
                    .get_ref()
                    .read_exact_at(&mut b, i as u64 * 4)
                    .map_err(|e| crate::Error::io(&*path, e))?;
                Ok(u32::from_le_bytes(b))
            }
        }
    }
}

impl Drop for KeyLog {
    fn drop(&mut self) {
        if let KeyLog::File { path, .. } = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Fixed-size records of packed bottom-k sketches ([`crate::dedup::sketch::pack`], `8 + 2k`
/// bytes), one per indexed document, in memory or in a file; record `i` sits at byte
/// `i × (8 + 2k)`, so no per-document memory is needed to find it.
#[derive(Debug)]
pub struct SketchLog {
    k: usize,
    rec: usize,
    records: u64,
    store: SketchStore,
    /// Scratch for one packed record.
    buf: Vec<u8>,
}

#[derive(Debug)]
enum SketchStore {
    Memory(Vec<u8>),
    File(super::spill::SpillFile),
}

impl SketchLog {
    fn with_store(k: usize, store: SketchStore) -> SketchLog {
        let rec = crate::dedup::sketch::packed_len(k);
        SketchLog {
            k,
            rec,
            records: 0,
            store,
            buf: vec![0; rec],
        }
    }

    /// An in-memory log of sketches of `k` values.
    pub fn memory(k: usize) -> SketchLog {
        SketchLog::with_store(k, SketchStore::Memory(Vec::new()))
    }

    /// A log of sketches of `k` values in a new file at `path` (removed when dropped).
    pub fn file(path: &Path, k: usize) -> crate::Result<SketchLog> {
        let rec = crate::dedup::sketch::packed_len(k);
        let f = super::spill::SpillFile::create(path, rec)?;
        Ok(SketchLog::with_store(k, SketchStore::File(f)))
    }

    /// Values per sketch.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Bytes per record.
    pub fn record_bytes(&self) -> usize {
        self.rec
    }

    /// Records written.
    pub fn len(&self) -> u64 {
        self.records
    }

    /// True when no record was written.
    pub fn is_empty(&self) -> bool {
        self.records == 0
    }

    /// Bytes held in memory.
    pub fn memory_bytes(&self) -> usize {
        match &self.store {
            SketchStore::Memory(v) => v.capacity(),
            SketchStore::File(f) => f.memory_bytes() + self.buf.capacity(),
        }
    }

    /// Bytes the next [`SketchLog::push`] would allocate (in memory only; 0 for a file).
    pub fn growth_bytes(&self) -> usize {
        match &self.store {
            SketchStore::Memory(v) if v.capacity() - v.len() < self.rec => {
                (v.len() / 4).max(self.rec * 256)
            }
            _ => 0,
        }
    }

    /// Appends the sketch (`k` ascending ranks padded with the sketch's empty value) of the
    /// next document.
    pub fn push(&mut self, sketch: &[u32]) -> crate::Result<()> {
        crate::dedup::sketch::pack(sketch, &mut self.buf);
        let grow = self.growth_bytes();
        match &mut self.store {
            SketchStore::Memory(v) => {
                v.reserve_exact(grow);
                v.extend_from_slice(&self.buf);
            }
            SketchStore::File(f) => f.append(&self.buf)?,
        }
        self.records += 1;
        Ok(())
    }

    /// Reads packed record `i` into `out`.
    pub fn read(&mut self, i: u64, out: &mut Vec<u8>) -> crate::Result<()> {
        if i >= self.records {
            return Err(crate::Error::Internal(format!(
                "near_dedup: sketch {i} of {} requested",
                self.records
            )));
        }
        let rec = self.rec;
        out.resize(rec, 0);
        match &mut self.store {
            SketchStore::Memory(v) => {
                let at = i as usize * rec;
                out.copy_from_slice(&v[at..at + rec]);
            }
            SketchStore::File(f) => f.read_at(i * rec as u64, out)?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    #[test]
    fn sketches_read_back_from_buffer_and_file_alike() {
        use crate::dedup::sketch::{estimate, estimate_packed, EMPTY};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".near-sketches.tmp");
        let k = 256;
        let mut file = SketchLog::file(&path, k).unwrap();
        let mut mem = SketchLog::memory(k);
        let mut rng = SplitMix64::new(8);
        let recs: Vec<Vec<u32>> = (0..500)
            .map(|i| {
                let n = if i % 7 == 0 { 40 } else { k };
                let mut v: Vec<u32> = (0..n).map(|_| rng.next_u64() as u32 >> 1).collect();
                v.sort_unstable();
                v.resize(k, EMPTY);
                v
            })
            .collect();
        let (mut out, mut m) = (Vec::new(), Vec::new());
        for (i, r) in recs.iter().enumerate() {
            file.push(r).unwrap();
            mem.push(r).unwrap();
            // Read back while some records are still buffered and some already in the file.
            for j in [0, i / 2, i] {
                file.read(j as u64, &mut out).unwrap();
                mem.read(j as u64, &mut m).unwrap();
                assert_eq!(out, m);
                assert_eq!(out.len(), file.record_bytes());
                // The packed record estimates like the ranks themselves.
                assert_eq!(estimate_packed(&recs[j], &out), 1.0);
                let e = estimate_packed(&recs[i], &out);
                assert!(
                    (e - estimate(&recs[i], &recs[j])).abs() < 0.02,
                    "{i} {j} {e}"
                );
            }
        }
        assert!(file.len() == 500 && !file.is_empty());
        assert!(file.read(500, &mut out).is_err());
        drop(file);
        assert!(!path.exists());
    }
}
