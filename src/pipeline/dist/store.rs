//! The binary files the plan's tasks hand to each other (little-endian, fixed-size records
//! where a later task reads them by number):
//!
//! * `prepare/r<R>/docs-<T>.bin`: per document that passed the stages before the decision,
//!   written by worker thread `T`: global position, offset and length of its id in
//!   `ids-<T>.bin`, and its bottom-k sketch (`near_dedup.sketch_size` values; 20 + 4k bytes).
//!   A document's *address* is (rank, thread, record number) in one `u64`.
//! * `prepare/r<R>/near-<B>.bin`: (band hash, position, address) per document and band whose
//!   hash falls in bucket `B` (24 bytes); `exact-<B>.bin`: (exact key, position, address)
//!   (32 bytes).
//! * `match/r<R>/pairs.bin`: verified pairs (kind, similarity, earlier position and address,
//!   later position and address; 37 bytes).
//! * `cluster/r0/decisions-<R>.bin`: the decisions of finish rank `R`, sorted by position
//!   (position, kind, similarity, id of the kept document).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::Error;

/// A document's address: where its record is among the prepare tasks' files.
pub(super) fn addr(rank: usize, thread: usize, idx: u32) -> u64 {
    ((rank as u64) << 48) | ((thread as u64 & 0xffff) << 32) | u64::from(idx)
}

fn split_addr(a: u64) -> (usize, usize, u64) {
    (
        (a >> 48) as usize,
        ((a >> 32) & 0xffff) as usize,
        a & 0xffff_ffff,
    )
}

/// Reads a whole file of fixed-size records.
pub(super) fn read_records<T>(
    path: &Path,
    size: usize,
    parse: impl Fn(&[u8]) -> T,
) -> crate::Result<Vec<T>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(path, e)),
    };
    if bytes.len() % size != 0 {
        return Err(Error::Internal(format!(
            "{}: truncated ({} bytes, records of {size}); rerun the task that wrote it",
            path.display(),
            bytes.len()
        )));
    }
    Ok(bytes.chunks_exact(size).map(parse).collect())
}

pub(super) fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(w)
}

pub(super) fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut w = [0u8; 4];
    w.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(w)
}

/// A band hash (or exact key) entry: `key`, the document's position and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Entry {
    pub(super) key: u128,
    pub(super) pos: u64,
    pub(super) addr: u64,
}

/// Size of a near entry on disk.
pub(super) const NEAR_ENTRY: usize = 24;
/// Size of an exact entry on disk.
pub(super) const EXACT_ENTRY: usize = 32;

impl Entry {
    pub(super) fn write_near(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&(self.key as u64).to_le_bytes());
        out.extend_from_slice(&self.pos.to_le_bytes());
        out.extend_from_slice(&self.addr.to_le_bytes());
    }

    pub(super) fn write_exact(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&self.pos.to_le_bytes());
        out.extend_from_slice(&self.addr.to_le_bytes());
    }

    pub(super) fn near(b: &[u8]) -> Entry {
        Entry {
            key: u128::from(u64_at(b, 0)),
            pos: u64_at(b, 8),
            addr: u64_at(b, 16),
        }
    }

    pub(super) fn exact(b: &[u8]) -> Entry {
        Entry {
            key: u128::from(u64_at(b, 0)) | (u128::from(u64_at(b, 8)) << 64),
            pos: u64_at(b, 16),
            addr: u64_at(b, 24),
        }
    }
}

/// Writes one thread's `docs-<T>.bin` and `ids-<T>.bin`.
pub(super) struct DocWriter {
    docs: BufWriter<File>,
    ids: BufWriter<File>,
    id_off: u64,
    n: u32,
    k: usize,
    paths: (PathBuf, PathBuf),
}

impl DocWriter {
    pub(super) fn create(dir: &Path, thread: usize, k: usize) -> crate::Result<DocWriter> {
        let d = dir.join(format!("docs-{thread}.bin"));
        let i = dir.join(format!("ids-{thread}.bin"));
        let open = |p: &Path| {
            File::create(p)
                .map(|f| BufWriter::with_capacity(1 << 20, f))
                .map_err(|e| Error::io(p, e))
        };
        Ok(DocWriter {
            docs: open(&d)?,
            ids: open(&i)?,
            id_off: 0,
            n: 0,
            k,
            paths: (d, i),
        })
    }

    /// Appends a document; returns its record number.
    pub(super) fn push(
        &mut self,
        pos: u64,
        id: &str,
        sketch: Option<&[u32]>,
    ) -> crate::Result<u32> {
        let mut rec = Vec::with_capacity(20 + 4 * self.k);
        rec.extend_from_slice(&pos.to_le_bytes());
        rec.extend_from_slice(&self.id_off.to_le_bytes());
        rec.extend_from_slice(&(id.len() as u32).to_le_bytes());
        for i in 0..self.k {
            let v = sketch.and_then(|s| s.get(i)).copied().unwrap_or(u32::MAX);
            rec.extend_from_slice(&v.to_le_bytes());
        }
        self.docs
            .write_all(&rec)
            .map_err(|e| Error::io(&self.paths.0, e))?;
        self.ids
            .write_all(id.as_bytes())
            .map_err(|e| Error::io(&self.paths.1, e))?;
        self.id_off += id.len() as u64;
        let n = self.n;
        self.n = self.n.checked_add(1).ok_or_else(|| {
            Error::Config(
                "more than 4G documents in one prepare thread: use a larger --world-size".into(),
            )
        })?;
        Ok(n)
    }

    pub(super) fn finish(mut self) -> crate::Result<()> {
        self.docs.flush().map_err(|e| Error::io(&self.paths.0, e))?;
        self.ids.flush().map_err(|e| Error::io(&self.paths.1, e))
    }
}

/// Reads documents' records by address, keeping the files it opened.
pub(super) struct DocStore {
    prepare: PathBuf,
    k: usize,
    files: HashMap<(usize, usize), (File, File)>,
    buf: Vec<u8>,
}

impl DocStore {
    /// Over the prepare tasks' folders in `<work>/prepare`, sketches of `k` values.
    pub(super) fn new(prepare: PathBuf, k: usize) -> DocStore {
        DocStore {
            prepare,
            k,
            files: HashMap::new(),
            buf: Vec::new(),
        }
    }

    fn files(&mut self, rank: usize, thread: usize) -> crate::Result<&(File, File)> {
        if !self.files.contains_key(&(rank, thread)) {
            let dir = self.prepare.join(format!("r{rank}"));
            let d = dir.join(format!("docs-{thread}.bin"));
            let i = dir.join(format!("ids-{thread}.bin"));
            let fd = File::open(&d).map_err(|e| Error::io(&d, e))?;
            let fi = File::open(&i).map_err(|e| Error::io(&i, e))?;
            self.files.insert((rank, thread), (fd, fi));
        }
        self.files
            .get(&(rank, thread))
            .ok_or_else(|| Error::Internal("document store".into()))
    }

    fn record(&mut self, a: u64) -> crate::Result<()> {
        let (rank, thread, idx) = split_addr(a);
        let size = 20 + 4 * self.k;
        let mut buf = std::mem::take(&mut self.buf);
        buf.resize(size, 0);
        let (docs, _) = self.files(rank, thread)?;
        let r = docs.read_exact_at(&mut buf, idx * size as u64);
        self.buf = buf;
        r.map_err(|e| Error::io(self.prepare.join(format!("r{rank}/docs-{thread}.bin")), e))
    }

    /// The sketch of the document at `a`.
    pub(super) fn sketch(&mut self, a: u64, out: &mut Vec<u32>) -> crate::Result<()> {
        self.record(a)?;
        out.clear();
        out.extend((0..self.k).map(|i| u32_at(&self.buf, 20 + 4 * i)));
        Ok(())
    }

    /// The id of the document at `a`.
    pub(super) fn id(&mut self, a: u64) -> crate::Result<String> {
        self.record(a)?;
        let off = u64_at(&self.buf, 8);
        let len = u32_at(&self.buf, 16) as usize;
        let (rank, thread, _) = split_addr(a);
        let mut id = vec![0u8; len];
        let (_, ids) = self.files(rank, thread)?;
        ids.read_exact_at(&mut id, off)
            .map_err(|e| Error::io(self.prepare.join(format!("r{rank}/ids-{thread}.bin")), e))?;
        String::from_utf8(id).map_err(|_| Error::Internal("an id is not UTF-8".into()))
    }
}

/// A verified pair: `a` is the earlier document.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Pair {
    /// 0 exact, 1 near.
    pub(super) kind: u8,
    pub(super) sim: f32,
    pub(super) a_pos: u64,
    pub(super) a_addr: u64,
    pub(super) b_pos: u64,
    pub(super) b_addr: u64,
}

/// Size of a pair on disk.
pub(super) const PAIR: usize = 37;

impl Pair {
    pub(super) fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        let mut b = [0u8; PAIR];
        b[0] = self.kind;
        b[1..5].copy_from_slice(&self.sim.to_le_bytes());
        b[5..13].copy_from_slice(&self.a_pos.to_le_bytes());
        b[13..21].copy_from_slice(&self.a_addr.to_le_bytes());
        b[21..29].copy_from_slice(&self.b_pos.to_le_bytes());
        b[29..37].copy_from_slice(&self.b_addr.to_le_bytes());
        out.write_all(&b)
    }

    pub(super) fn read(b: &[u8]) -> Pair {
        Pair {
            kind: b[0],
            sim: f32::from_bits(u32_at(b, 1)),
            a_pos: u64_at(b, 5),
            a_addr: u64_at(b, 13),
            b_pos: u64_at(b, 21),
            b_addr: u64_at(b, 29),
        }
    }
}

/// What the plan decided for one document.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct PlannedDecision {
    pub(super) pos: u64,
    /// 0 exact duplicate, 1 near duplicate, 2 near cluster annotation.
    pub(super) kind: u8,
    pub(super) sim: f32,
    /// The kept document's id (the cluster's id for an annotation).
    pub(super) of: String,
}

impl PlannedDecision {
    pub(super) fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all(&self.pos.to_le_bytes())?;
        out.write_all(&[self.kind])?;
        out.write_all(&self.sim.to_le_bytes())?;
        out.write_all(&(self.of.len() as u32).to_le_bytes())?;
        out.write_all(self.of.as_bytes())
    }

    /// Reads a whole decisions file.
    pub(super) fn read_all(path: &Path) -> crate::Result<Vec<PlannedDecision>> {
        let mut bytes = Vec::new();
        File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .map_err(|e| Error::io(path, e))?;
        let bad = || {
            Error::Internal(format!(
                "{}: truncated; rerun the cluster task",
                path.display()
            ))
        };
        let mut out = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let head = bytes.get(at..at + 17).ok_or_else(bad)?;
            let len = u32_at(head, 13) as usize;
            let id = bytes.get(at + 17..at + 17 + len).ok_or_else(bad)?;
            out.push(PlannedDecision {
                pos: u64_at(head, 0),
                kind: head[8],
                sim: f32::from_bits(u32_at(head, 9)),
                of: String::from_utf8_lossy(id).into_owned(),
            });
            at += 17 + len;
        }
        Ok(out)
    }
}
