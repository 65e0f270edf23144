//! The ordered-side LSH index for near duplicates: sees MinHash signatures in input order and
//! decides keep / remove (or annotate with a cluster id), first seen wins.
//!
//! Only kept documents are indexed, so every `duplicate_of` names a document that is in the
//! output. Per indexed document the index holds in memory (see [`LshIndex::bytes_per_doc`]):
//!
//! * `fingerprints` 4-bit fingerprints of the first signature values ("b-bit MinHash",
//!   `fingerprints / 2` bytes, 64 by default), used to estimate the Jaccard similarity of a
//!   candidate for verification and audit;
//! * an 8-byte handle of its id in an [`IdLog`] (a file next to the output when built with
//!   [`super::near::NearDedupConfig::build_index_in`], so the id bytes are not in memory);
//! * one `u32` entry per band in a single open-addressing table shared by all bands (linear
//!   probing; the key mixes the band number into a hash of the band's full 32-bit signature
//!   values). An entry is the document number plus 1 in its low bits (as many as the table's
//!   capacity needs) and a tag from the key in the rest, so a probe reads only the table and a
//!   tag matches by chance about once in 2^(32 - bits). The table grows by half at a load of
//!   0.85, so its load stays between 0.57 and 0.85; it is backed by huge pages where Linux
//!   allows, since every probe is a random access.
//!
//! The table is rebuilt on growth from the band hashes (one `u32` per band and document),
//! which are appended to a [`KeyLog`]; built with a directory, that log is a file read back
//! sequentially and costs no memory. With the defaults (18 bands × 3 rows, 128 fingerprints)
//! that is `64 + 8 + 18 × 4 / load` = 147 to 189 bytes per kept document (plus, for an index
//! built without a directory, the 72 bytes of band hashes and the ids in memory). The index
//! refuses to grow past its memory budget with [`crate::Error::MemoryBudget`], before
//! allocating.

use std::path::{Path, PathBuf};

use super::exact::IdLog;
use crate::stage::{Candidate, Decision, Duplicate, OrderedStage};

/// Probability that two 4-bit fingerprints of different values match by chance.
pub const CHANCE: f64 = 1.0 / 16.0;

/// The table grows (by half) when more than this share of its slots would be used.
const MAX_LOAD: f64 = 0.85;

/// Smallest table, in slots.
const MIN_CAP: usize = 4096;

/// Documents per allocation of fingerprints and id handles.
const CHUNK: usize = 4096;

/// What to do with a near duplicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Remove it and record it in `duplicates.jsonl.zst`.
    Remove,
    /// Keep every document; annotate each with `cluster` (the id of its cluster's first document).
    Annotate,
}

/// Parameters of an [`LshIndex`] (validated by [`super::near::NearDedupConfig::build_index`]).
#[derive(Clone, Debug)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
    /// Signature values kept as 4-bit fingerprints for verification (even; at most the
    /// signature length).
    pub fingerprints: usize,
    /// Minimum estimated Jaccard similarity for a band match to count; `None` trusts the bands.
    pub verify_threshold: Option<f64>,
    /// Remove or annotate.
    pub mode: Mode,
    /// Memory budget in bytes.
    pub max_bytes: u64,
}

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
        let f = super::scratch_file(path)?;
        Ok(KeyLog::File {
            path: path.to_path_buf(),
            writer: std::io::BufWriter::with_capacity(1 << 16, f),
            len: 0,
        })
    }

    fn push(&mut self, keys: &[u32]) -> crate::Result<()> {
        match self {
            KeyLog::Memory(v) => {
                if v.capacity() - v.len() < keys.len() {
                    v.reserve_exact((v.len() / 4).max(keys.len() * CHUNK));
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
                    std::io::Write::write_all(writer, &buf[..part.len() * 4])
                        .map_err(|e| crate::Error::io(&*path, e))?;
                }
                *len += keys.len() as u64;
            }
        }
        Ok(())
    }

    fn memory_bytes(&self) -> usize {
        match self {
            KeyLog::Memory(v) => v.capacity() * 4,
            KeyLog::File { .. } => 1 << 16,
        }
    }

    /// Calls `f(i, key)` for every key in order.
    fn for_each(&mut self, mut f: impl FnMut(usize, u32)) -> crate::Result<()> {
        match self {
            KeyLog::Memory(v) => v.iter().enumerate().for_each(|(i, &k)| f(i, k)),
            KeyLog::File {
                path, writer, len, ..
            } => {
                use std::os::unix::fs::FileExt;
                std::io::Write::flush(writer).map_err(|e| crate::Error::io(&*path, e))?;
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
    fn get(&mut self, i: usize) -> crate::Result<u32> {
        match self {
            KeyLog::Memory(v) => Ok(v.get(i).copied().unwrap_or(0)),
            KeyLog::File { path, writer, .. } => {
                use std::os::unix::fs::FileExt;
                std::io::Write::flush(writer).map_err(|e| crate::Error::io(&*path, e))?;
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

/// Fingerprints and id handles of [`CHUNK`] documents.
#[derive(Debug)]
struct Chunk {
    fps: Box<[u8]>,
    handles: Box<[u64]>,
}

/// The ordered-side LSH index.
#[derive(Debug)]
pub struct LshIndex {
    p: LshParams,
    /// Signature length the index expects (`max(bands × rows, fingerprints)`).
    n: usize,
    /// Bytes of fingerprints per document.
    fp_bytes: usize,
    /// Bits of an entry holding the document number + 1 (enough for as many documents as the
    /// table can hold; set when it grows); the rest hold a tag of the key.
    doc_bits: u32,
    /// Number of indexed documents.
    len: usize,
    /// The shared band table (0 = empty slot).
    slots: Vec<u32>,
    chunks: Vec<Chunk>,
    ids: IdLog,
    keys: KeyLog,
    /// Scratch for the current query: fingerprints, band hashes, candidate documents.
    q_fp: Vec<u8>,
    q_keys: Vec<u32>,
    /// Where each band's probe ended (its first empty slot) and the band's tag, for a table
    /// of `q_cap` slots: an insert into the same table starts there.
    q_end: Vec<(usize, u32)>,
    q_cap: usize,
    /// Home slot and tag of each band of the query.
    q_home: Vec<(usize, u32)>,
    cands: Vec<u32>,
}

/// The 4-bit fingerprint stored for one signature value (MinHash values are already uniform,
/// so a multiplicative hash's top bits suffice).
#[inline]
fn fingerprint(v: u32) -> u8 {
    (v.wrapping_mul(0x9E37_79B1) >> 28) as u8
}

/// Packs 4-bit fingerprints of `sig` (two per byte) into `out`.
fn pack(sig: &[u32], out: &mut Vec<u8>) {
    out.clear();
    let pairs = sig.chunks_exact(2);
    let rest = pairs.remainder().first().map(|&v| fingerprint(v));
    out.extend(pairs.map(|p| fingerprint(p[0]) | (fingerprint(p[1]) << 4)));
    out.extend(rest);
}

/// Number of equal 4-bit fingerprints in two packed slices of the same length.
#[inline]
fn equal_nibbles(a: &[u8], b: &[u8]) -> usize {
    const LOW: u64 = 0x1111_1111_1111_1111;
    let mut eq = 0usize;
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        let mut w = [0u8; 8];
        for i in 0..8 {
            w[i] = x[i] ^ y[i];
        }
        let d = u64::from_le_bytes(w);
        let t = d | (d >> 1);
        let t = (t | (t >> 2)) & LOW;
        eq += 16 - t.count_ones() as usize;
    }
    for (x, y) in ar.iter().zip(br) {
        let d = x ^ y;
        eq += usize::from(d & 0x0f == 0) + usize::from(d & 0xf0 == 0);
    }
    eq
}

/// The 32-bit hash of band `b` from its full signature values.
#[inline]
fn band_hash(vals: &[u32], b: usize) -> u32 {
    let mut acc = (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for &v in vals {
        acc = (acc ^ u64::from(v)).wrapping_mul(0xA076_1D64_78BD_642F);
        acc ^= acc >> 29;
    }
    (acc.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

/// The table key of a band hash (which already depends on the band number): a multiplicative
/// spread, whose high half picks the home slot and low bits the tag.
#[inline]
fn table_key(h: u32) -> u64 {
    (u64::from(h) | (u64::from(h) << 32)).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Estimated Jaccard similarity from `equal` matching 4-bit fingerprints out of `n`, corrected
/// for chance matches (b-bit MinHash, Li & König 2010).
pub fn estimate_jaccard(equal: usize, n: usize) -> f64 {
    let m = equal as f64 / n.max(1) as f64;
    ((m - CHANCE) / (1.0 - CHANCE)).clamp(0.0, 1.0)
}

/// Estimated Jaccard similarity of two MinHash signatures from the 4-bit fingerprints of their
/// values (as the index computes it).
pub fn estimate_from_signatures(a: &[u32], b: &[u32]) -> f64 {
    let eq = a
        .iter()
        .zip(b)
        .filter(|(&x, &y)| fingerprint(x) == fingerprint(y))
        .count();
    estimate_jaccard(eq, a.len().min(b.len()))
}

impl LshIndex {
    /// An empty index with its ids and band hashes in memory.
    pub fn new(p: LshParams) -> LshIndex {
        LshIndex::with_logs(p, IdLog::memory(), KeyLog::Memory(Vec::new()))
    }

    /// An empty index whose kept ids and band hashes go to files in `dir` (removed when the
    /// index is dropped), so memory holds only the table, fingerprints and id handles.
    pub fn in_dir(p: LshParams, dir: &Path) -> crate::Result<LshIndex> {
        let ids = IdLog::file(&dir.join(".near-ids.tmp"))?;
        let keys = KeyLog::file(&dir.join(".near-keys.tmp"))?;
        Ok(LshIndex::with_logs(p, ids, keys))
    }

    /// An empty index with the given id and band-hash logs.
    pub fn with_logs(p: LshParams, ids: IdLog, keys: KeyLog) -> LshIndex {
        LshIndex {
            n: (p.bands * p.rows).max(p.fingerprints),
            fp_bytes: p.fingerprints.div_ceil(2),
            doc_bits: 1,
            len: 0,
            slots: Vec::new(),
            chunks: Vec::new(),
            ids,
            keys,
            q_fp: Vec::new(),
            q_keys: Vec::new(),
            q_end: Vec::new(),
            q_cap: 0,
            q_home: Vec::new(),
            cands: Vec::new(),
            p,
        }
    }

    /// Number of indexed (kept) documents.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held in memory by the index (allocated capacity; band hashes kept in memory
    /// included, ids kept in a memory [`IdLog`] not).
    pub fn memory_bytes(&self) -> u64 {
        (self.slots.capacity() * 4
            + self.chunks.len() * CHUNK * (self.fp_bytes + 8)
            + self.keys.memory_bytes()) as u64
    }

    /// Bytes held per indexed document (0 when empty).
    pub fn bytes_per_doc(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.memory_bytes() as f64 / self.len() as f64
        }
    }

    /// Home slot and entry tag of a key in the current table.
    #[inline]
    fn home(&self, key: u64) -> (usize, u32) {
        let pos = (((key >> 32) * self.slots.len() as u64) >> 32) as usize;
        let tag = ((key as u32) << self.doc_bits) >> self.doc_bits << self.doc_bits;
        (pos, tag)
    }

    /// Fingerprints of indexed document `doc`.
    #[inline]
    fn fps(&self, doc: usize) -> &[u8] {
        let c = &self.chunks[doc / CHUNK];
        &c.fps[(doc % CHUNK) * self.fp_bytes..][..self.fp_bytes]
    }

    /// Indexed documents whose entry for some band matches the query's key and tag,
    /// deduplicated, into `self.cands`.
    fn query(&mut self) {
        self.cands.clear();
        self.q_end.clear();
        let cap = self.slots.len();
        self.q_cap = cap;
        if cap == 0 {
            return;
        }
        let mask = (1u32 << self.doc_bits) - 1;
        let mut homes = std::mem::take(&mut self.q_home);
        homes.clear();
        for &h in &self.q_keys {
            let hm = self.home(table_key(h));
            prefetch(&self.slots, hm.0);
            homes.push(hm);
        }
        for &(mut pos, tag) in &homes {
            loop {
                let e = self.slots[pos];
                if e == 0 {
                    self.q_end.push((pos, tag));
                    break;
                }
                if e & !mask == tag {
                    let doc = (e & mask) - 1;
                    if !self.cands.contains(&doc) {
                        self.cands.push(doc);
                    }
                }
                pos += 1;
                if pos == cap {
                    pos = 0;
                }
            }
        }
        self.q_home = homes;
    }

    /// Estimated Jaccard similarity between the query and indexed document `doc`.
    fn similarity(&self, doc: u32) -> f64 {
        let eq = equal_nibbles(self.fps(doc as usize), &self.q_fp);
        estimate_jaccard(eq, self.p.fingerprints)
    }

    /// True when indexed document `doc` has the query's hash for some band (reads the key
    /// log; used only with verification off, where a tag match alone is not trusted).
    fn shares_band(&mut self, doc: u32) -> crate::Result<bool> {
        let bands = self.p.bands;
        for b in 0..bands {
            if self.keys.get(doc as usize * bands + b)? == self.q_keys[b] {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Fails when holding `extra` more bytes would exceed the budget.
    fn check_budget(&self, extra: usize) -> crate::Result<()> {
        let needed = self.memory_bytes() + extra as u64;
        if needed <= self.p.max_bytes {
            return Ok(());
        }
        Err(crate::Error::MemoryBudget(format!(
            "the near-duplicate index needs {:.1} MB to index more than {} documents \
             (about {:.0} bytes each), over near_dedup.max_index_mb = {}; raise \
             near_dedup.max_index_mb, use fewer near_dedup.bands or near_dedup.fingerprints, \
             or split the input into smaller runs",
            needed as f64 / f64::from(1 << 20),
            self.len(),
            self.bytes_per_doc(),
            self.p.max_bytes >> 20
        )))
    }

    /// Grows the table if one more document would push it past [`MAX_LOAD`], rebuilding it
    /// from the band hashes read back in order.
    fn reserve_table(&mut self) -> crate::Result<()> {
        let need = (self.len + 1) * self.p.bands;
        let cap = self.slots.len();
        if (need as f64) <= cap as f64 * MAX_LOAD {
            return Ok(());
        }
        let new_cap = (cap + cap / 2)
            .max((need as f64 / MAX_LOAD) as usize + 1)
            .max(MIN_CAP);
        if new_cap >= 1 << 32 {
            return Err(crate::Error::MemoryBudget(
                "the near-duplicate table would exceed 2^32 slots; split the input into \
                 smaller runs or use fewer near_dedup.bands"
                    .into(),
            ));
        }
        self.check_budget(new_cap * 4)?;
        // Entries need bits for as many documents as the new table holds before growing.
        let max_docs = (new_cap as f64 * MAX_LOAD) as u64 / self.p.bands as u64 + 2;
        self.doc_bits = (64 - max_docs.leading_zeros()).clamp(1, 31);
        self.slots = Vec::new();
        let mut slots = zeroed_table(new_cap);
        let bands = self.p.bands;
        let doc_bits = self.doc_bits;
        // Positions of the next few keys are prefetched before their entries are written, so
        // the cache misses of the random writes overlap.
        const AHEAD: usize = 32;
        let mut ring = [(0usize, 0u32); AHEAD];
        let put = |slots: &mut Vec<u32>, (mut pos, e): (usize, u32)| {
            while slots[pos] != 0 {
                pos += 1;
                if pos == new_cap {
                    pos = 0;
                }
            }
            slots[pos] = e;
        };
        let (mut doc, mut b) = (0usize, 0usize);
        self.keys.for_each(|i, h| {
            let key = table_key(h);
            let pos = (((key >> 32) * new_cap as u64) >> 32) as usize;
            let tag = ((key as u32) << doc_bits) >> doc_bits << doc_bits;
            prefetch(&slots, pos);
            let slot = &mut ring[i % AHEAD];
            let prev = std::mem::replace(slot, (pos, tag | (doc as u32 + 1)));
            if i >= AHEAD {
                put(&mut slots, prev);
            }
            b += 1;
            if b == bands {
                b = 0;
                doc += 1;
            }
        })?;
        let total = self.len * bands;
        for i in total.saturating_sub(AHEAD)..total {
            put(&mut slots, ring[i % AHEAD]);
        }
        self.slots = slots;
        Ok(())
    }

    /// Indexes the current query document (fingerprints and band hashes in scratch) under `id`.
    fn insert(&mut self, id: &str) -> crate::Result<()> {
        // Plan every growth first, so a budget error leaves the index as it was.
        if self.len == self.chunks.len() * CHUNK {
            self.check_budget(CHUNK * (self.fp_bytes + 8))?;
        }
        self.reserve_table()?;
        if self.len + 1 >= 1 << self.doc_bits {
            return Err(crate::Error::Internal(
                "near_dedup: document number does not fit a table entry".into(),
            ));
        }
        if self.len == self.chunks.len() * CHUNK {
            self.chunks.push(Chunk {
                fps: vec![0u8; CHUNK * self.fp_bytes].into_boxed_slice(),
                handles: vec![0u64; CHUNK].into_boxed_slice(),
            });
        }
        let doc = self.len;
        let handle = self.ids.push(id)?;
        self.keys.push(&self.q_keys)?;
        let fb = self.fp_bytes;
        let c = &mut self.chunks[doc / CHUNK];
        c.fps[(doc % CHUNK) * fb..][..fb].copy_from_slice(&self.q_fp);
        c.handles[doc % CHUNK] = handle;
        let cap = self.slots.len();
        let probed = self.q_cap == cap && self.q_end.len() == self.q_keys.len();
        for (b, &h) in self.q_keys.iter().enumerate() {
            let (mut pos, tag) = if probed {
                self.q_end[b]
            } else {
                self.home(table_key(h))
            };
            while self.slots[pos] != 0 {
                pos += 1;
                if pos == cap {
                    pos = 0;
                }
            }
            self.slots[pos] = tag | (doc as u32 + 1);
        }
        self.len += 1;
        Ok(())
    }

    /// The decision for a document that is not a near duplicate.
    fn first(&self, id: &str) -> Decision {
        match self.p.mode {
            Mode::Remove => Decision::Keep,
            Mode::Annotate => Decision::Annotate {
                key: "cluster",
                value: id.to_string(),
            },
        }
    }
}

/// A zeroed table of `n` slots. On Linux the kernel is asked to back it with huge pages
/// (probes are random, so 4 KiB pages would cost a TLB miss each).
fn zeroed_table(n: usize) -> Vec<u32> {
    let v = vec![0u32; n];
    #[cfg(target_os = "linux")]
    {
        let start = v.as_ptr() as usize;
        let end = start + n * 4;
        let page = 4096;
        let (a, b) = (start.div_ceil(page) * page, end / page * page);
        if b > a + (2 << 20) {
            // SAFETY: the range lies inside `v`'s allocation, page-aligned; MADV_HUGEPAGE only
            // changes how the kernel backs it, never its contents. Failure is harmless.
            unsafe {
                libc::madvise(a as *mut libc::c_void, b - a, libc::MADV_HUGEPAGE);
            }
        }
    }
    v
}

/// Hints the CPU to load the cache line of `slots[pos]`.
#[inline]
fn prefetch(slots: &[u32], pos: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        if pos < slots.len() {
            // SAFETY: prefetching is a hint that never faults; the pointer is in bounds.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(slots.as_ptr().add(pos).cast());
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (slots, pos);
}

impl OrderedStage for LshIndex {
    fn name(&self) -> &'static str {
        "near_dedup"
    }

    fn decide(&mut self, doc: &Candidate<'_>) -> crate::Result<Decision> {
        let Some(sig) = doc.minhash else {
            return Ok(self.first(doc.id));
        };
        if sig.len() != self.n {
            return Err(crate::Error::Internal(format!(
                "near_dedup: signature of {} values, index expects max(bands × rows, \
                 fingerprints) = {}",
                sig.len(),
                self.n
            )));
        }
        pack(&sig[..self.p.fingerprints], &mut self.q_fp);
        self.q_keys.clear();
        let rows = self.p.rows;
        for b in 0..self.p.bands {
            self.q_keys
                .push(band_hash(&sig[b * rows..(b + 1) * rows], b));
        }
        self.query();
        // Most similar candidate; ties go to the earliest document.
        let mut best: Option<(u32, f64)> = None;
        for i in 0..self.cands.len() {
            let c = self.cands[i];
            let s = self.similarity(c);
            if best.map_or(true, |(bd, bs)| s > bs || (s == bs && c < bd)) {
                best = Some((c, s));
            }
        }
        let mut found = None;
        match self.p.verify_threshold {
            Some(t) => found = best.filter(|&(_, s)| s >= t),
            None => {
                // Tags can match by chance: confirm the band match, most similar first.
                let mut cands = std::mem::take(&mut self.cands);
                cands.sort_by(|&a, &b| {
                    self.similarity(b)
                        .total_cmp(&self.similarity(a))
                        .then(a.cmp(&b))
                });
                for &c in &cands {
                    if self.shares_band(c)? {
                        found = Some((c, self.similarity(c)));
                        break;
                    }
                }
                self.cands = cands;
            }
        }
        if let Some((kept, sim)) = found {
            let c = &self.chunks[kept as usize / CHUNK];
            let of = self.ids.get(c.handles[kept as usize % CHUNK])?;
            return Ok(match self.p.mode {
                Mode::Remove => Decision::Remove(Duplicate {
                    duplicate_of: of,
                    kind: "near",
                    similarity: Some((sim * 1000.0).round() / 1000.0),
                }),
                Mode::Annotate => Decision::Annotate {
                    key: "cluster",
                    value: of,
                },
            });
        }
        self.insert(doc.id)?;
        Ok(self.first(doc.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::minhash::MinHashSigner;

    const BBC: &str =
        "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) \
        for the three months to December, from $639m year-earlier. The firm, which is now one of \
        the biggest investors in Google, benefited from sales of high-speed internet connections \
        and higher advert sales. TimeWarner said fourth quarter sales rose 2% to $11.1bn from \
        $10.9bn. Its profits were buoyed by one-off gains which offset a profit dip at Warner \
        Bros, and less users for AOL.";

    const OTHER: &str = "The dollar has hit its highest level against the euro in almost three \
        months after the Federal Reserve head said the US trade deficit is set to stabilise. \
        And Alan Greenspan highlighted the US government's willingness to curb spending and \
        rising household savings as factors which may help to reduce it.";

    fn params(mode: Mode, verify: Option<f64>) -> LshParams {
        LshParams {
            bands: 18,
            rows: 3,
            fingerprints: 128,
            verify_threshold: verify,
            mode,
            max_bytes: 1 << 30,
        }
    }

    fn decide(idx: &mut LshIndex, seq: u64, id: &str, sig: &[u32]) -> Decision {
        idx.decide(&Candidate {
            seq,
            id,
            exact_key: None,
            minhash: Some(sig),
        })
        .unwrap()
    }

    #[test]
    fn first_seen_wins_and_unrelated_stays() {
        let s = MinHashSigner::new(5, 128);
        let copy = format!("Advertisement\n\n{}", BBC.replace("Quarterly", "QUARTERLY"));
        for verify in [Some(0.65), None] {
            let mut idx = LshIndex::new(params(Mode::Remove, verify));
            assert_eq!(
                decide(&mut idx, 0, "a", &s.signature(BBC).unwrap()),
                Decision::Keep
            );
            assert_eq!(
                decide(&mut idx, 1, "b", &s.signature(OTHER).unwrap()),
                Decision::Keep
            );
            match decide(&mut idx, 2, "c", &s.signature(&copy).unwrap()) {
                Decision::Remove(d) => {
                    assert_eq!(d.duplicate_of, "a");
                    assert_eq!(d.kind, "near");
                    assert!(d.similarity.unwrap() > 0.8, "{d:?}");
                }
                d => panic!("{d:?}"),
            }
            assert_eq!(idx.len(), 2);
        }
    }

    #[test]
    fn copies_are_found_after_the_table_grows_from_a_file() {
        // Enough distinct documents to rebuild the table several times from the band hashes
        // in the key file; the copy of the first one must still be found.
        let s = MinHashSigner::new(5, 128);
        let first = s.signature(BBC).unwrap();
        let dir = std::env::temp_dir().join(format!("lsh-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut idx = LshIndex::in_dir(params(Mode::Annotate, Some(0.65)), &dir).unwrap();
        decide(&mut idx, 0, "bbc-business-001", &first);
        for i in 1..20_000u32 {
            let sig: Vec<u32> = first
                .iter()
                .map(|&v| v ^ i.wrapping_mul(0x9E37_79B9))
                .collect();
            let id = format!("doc-{i}");
            let d = decide(&mut idx, u64::from(i), &id, &sig);
            assert_eq!(
                d,
                Decision::Annotate {
                    key: "cluster",
                    value: id.clone()
                }
            );
        }
        let d = decide(&mut idx, 20_000, "copy", &first);
        assert_eq!(
            d,
            Decision::Annotate {
                key: "cluster",
                value: "bbc-business-001".into()
            }
        );
        // 64 + 8 + 18 × 4 / load (0.57..0.85), plus the last chunk's slack.
        assert!(
            idx.bytes_per_doc() > 140.0 && idx.bytes_per_doc() < 200.0,
            "{}",
            idx.bytes_per_doc()
        );
        drop(idx);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn estimate_corrects_for_chance_matches() {
        assert_eq!(estimate_jaccard(128, 128), 1.0);
        assert_eq!(estimate_jaccard(0, 128), 0.0);
        // One match in 16 is what unrelated documents show.
        assert!(estimate_jaccard(8, 128) < 1e-9);
        let s = MinHashSigner::new(5, 128);
        let a = s.signature(BBC).unwrap();
        let b = s.signature(OTHER).unwrap();
        assert!(estimate_from_signatures(&a, &b) < 0.1);
        let (mut pa, mut pb) = (Vec::new(), Vec::new());
        pack(&a, &mut pa);
        pack(&b, &mut pb);
        let direct = a
            .iter()
            .zip(b.iter())
            .filter(|(&x, &y)| fingerprint(x) == fingerprint(y))
            .count();
        assert_eq!(equal_nibbles(&pa, &pb), direct);
        assert_eq!(equal_nibbles(&pa, &pa), 128);
    }
}
