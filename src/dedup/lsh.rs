//! The ordered-side LSH index for near duplicates: sees MinHash signatures in input order and
//! decides keep / remove (or annotate with a cluster id), first seen wins.
//!
//! Only kept documents are indexed, so every `duplicate_of` names a document that is in the
//! output. Per indexed document the index stores (see [`LshIndex::bytes_per_doc`]):
//!
//! * an 8-bit fingerprint of each signature value ("b-bit MinHash"): `num_perm` bytes, used
//!   both to confirm band matches and to estimate Jaccard similarity for verification and audit;
//! * its id in an append-only arena (the id bytes plus a 4-byte end offset);
//! * one entry per band in a single open-addressing table shared by all bands: a control byte
//!   (7-bit fingerprint of the band key) and a 4-byte document number, at a load factor kept
//!   between 0.53 and 0.8. Band keys are hashes of the band's fingerprints, so the table can be
//!   rebuilt from the fingerprints when it grows, and a band match between unrelated documents
//!   needs `rows` chance byte matches (2^-32 at 4 rows).
//!
//! That is `num_perm + bands × ~7.7 + id length + 4` bytes per kept document. The index refuses
//! to grow past its memory budget with [`crate::Error::MemoryBudget`], before allocating.

use crate::stage::{Candidate, Decision, Duplicate, OrderedStage};

/// Probability that two 8-bit fingerprints of different values match by chance.
const CHANCE: f64 = 1.0 / 256.0;

/// The band table grows (by half) when more than this share of its slots would be used.
const MAX_LOAD: f64 = 0.8;

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
    /// Minimum estimated Jaccard similarity for a band match to count; `None` trusts the bands.
    pub verify_threshold: Option<f64>,
    /// Remove or annotate.
    pub mode: Mode,
    /// Memory budget in bytes.
    pub max_bytes: u64,
}

/// The ordered-side LSH index.
#[derive(Debug)]
pub struct LshIndex {
    p: LshParams,
    /// Signature length (`bands * rows`).
    n: usize,
    /// 8-bit fingerprints of all indexed documents, `n` per document.
    fps: Vec<u8>,
    /// Id bytes of all indexed documents.
    ids: Vec<u8>,
    /// End offset (mod 2^32) of each document's id in `ids`.
    id_ends: Vec<u32>,
    /// Document numbers at which `ids` crossed a multiple of 2^32 bytes.
    id_wraps: Vec<u32>,
    /// Band table: 0 = empty, else 0x80 | 7 bits of the band key.
    ctrl: Vec<u8>,
    /// Band table: document number of each occupied slot.
    slots: Vec<u32>,
    /// Occupied slots.
    used: usize,
    /// Scratch for the current query: fingerprints, band keys, candidate documents.
    q_fp: Vec<u8>,
    q_keys: Vec<u64>,
    cands: Vec<u32>,
}

/// Final mix of a 64-bit value (MurmurHash3 fmix64).
#[inline]
fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The 8-bit fingerprint stored for one signature value.
#[inline]
fn fingerprint(v: u32) -> u8 {
    (fmix64(u64::from(v)) >> 56) as u8
}

/// The key of band `b` from its fingerprints.
#[inline]
fn band_key(fps: &[u8], b: usize) -> u64 {
    let mut acc = (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for chunk in fps.chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        acc = (acc ^ u64::from_le_bytes(w)).wrapping_mul(0xA076_1D64_78BD_642F);
        acc ^= acc >> 29;
    }
    fmix64(acc)
}

/// Estimated Jaccard similarity from `equal` matching 8-bit fingerprints out of `n`, corrected
/// for chance matches (b-bit MinHash, Li & König 2010).
pub fn estimate_jaccard(equal: usize, n: usize) -> f64 {
    let m = equal as f64 / n.max(1) as f64;
    ((m - CHANCE) / (1.0 - CHANCE)).clamp(0.0, 1.0)
}

/// Estimated Jaccard similarity of two full MinHash signatures (as the index would compute it
/// from its fingerprints).
pub fn estimate_from_signatures(a: &[u32], b: &[u32]) -> f64 {
    let eq = a
        .iter()
        .zip(b)
        .filter(|(&x, &y)| fingerprint(x) == fingerprint(y))
        .count();
    estimate_jaccard(eq, a.len().min(b.len()))
}

impl LshIndex {
    /// An empty index.
    pub fn new(p: LshParams) -> LshIndex {
        let n = p.bands * p.rows;
        LshIndex {
            n,
            p,
            fps: Vec::new(),
            ids: Vec::new(),
            id_ends: Vec::new(),
            id_wraps: Vec::new(),
            ctrl: Vec::new(),
            slots: Vec::new(),
            used: 0,
            q_fp: Vec::new(),
            q_keys: Vec::new(),
            cands: Vec::new(),
        }
    }

    /// Number of indexed (kept) documents.
    pub fn len(&self) -> usize {
        self.id_ends.len()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.id_ends.is_empty()
    }

    /// Bytes held by the index (allocated capacity, not just what is used).
    pub fn memory_bytes(&self) -> u64 {
        (self.fps.capacity()
            + self.ids.capacity()
            + self.id_ends.capacity() * 4
            + self.id_wraps.capacity() * 4
            + self.ctrl.capacity()
            + self.slots.capacity() * 4) as u64
    }

    /// Bytes held per indexed document (0 when empty).
    pub fn bytes_per_doc(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.memory_bytes() as f64 / self.len() as f64
        }
    }

    /// Full offset of the end of document `doc`'s id.
    fn id_end(&self, doc: usize) -> usize {
        let wraps = self.id_wraps.partition_point(|&w| w as usize <= doc);
        (wraps << 32) | self.id_ends[doc] as usize
    }

    /// The id of indexed document `doc`.
    fn id(&self, doc: u32) -> String {
        let i = doc as usize;
        let start = if i == 0 { 0 } else { self.id_end(i - 1) };
        String::from_utf8_lossy(&self.ids[start..self.id_end(i)]).into_owned()
    }

    /// Home slot and control byte of a band key in a table of `cap` slots.
    #[inline]
    fn home(key: u64, cap: usize) -> (usize, u8) {
        let pos = ((u128::from(key) * cap as u128) >> 64) as usize;
        (pos, 0x80 | (key as u8 & 0x7f))
    }

    /// Indexed documents sharing a band with the query (fingerprints equal on every row of the
    /// band), deduplicated, into `self.cands`.
    fn query(&mut self) {
        self.cands.clear();
        let cap = self.ctrl.len();
        if cap == 0 {
            return;
        }
        let (n, rows) = (self.n, self.p.rows);
        for (b, &key) in self.q_keys.iter().enumerate() {
            let (mut pos, tag) = Self::home(key, cap);
            let q = &self.q_fp[b * rows..(b + 1) * rows];
            loop {
                let c = self.ctrl[pos];
                if c == 0 {
                    break;
                }
                if c == tag {
                    let doc = self.slots[pos];
                    let stored = &self.fps[doc as usize * n + b * rows..][..rows];
                    if stored == q && !self.cands.contains(&doc) {
                        self.cands.push(doc);
                    }
                }
                pos += 1;
                if pos == cap {
                    pos = 0;
                }
            }
        }
    }

    /// Estimated Jaccard similarity between the query and indexed document `doc`.
    fn similarity(&self, doc: u32) -> f64 {
        let stored = &self.fps[doc as usize * self.n..][..self.n];
        let eq = stored
            .iter()
            .zip(&self.q_fp)
            .map(|(a, b)| usize::from(a == b))
            .sum();
        estimate_jaccard(eq, self.n)
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
             near_dedup.max_index_mb, use fewer near_dedup.bands, or split the input into \
             smaller runs",
            needed as f64 / f64::from(1 << 20),
            self.len(),
            self.bytes_per_doc(),
            self.p.max_bytes >> 20
        )))
    }

    /// Makes room for `extra` more elements in `v` (growing by half), within the budget.
    fn reserve<T>(&self, v: &mut Vec<T>, extra: usize) -> crate::Result<()> {
        if v.capacity() - v.len() >= extra {
            return Ok(());
        }
        let add = (v.capacity() / 2).max(extra).max(64);
        self.check_budget(add * std::mem::size_of::<T>())?;
        v.reserve_exact(add);
        Ok(())
    }

    /// Inserts `key -> doc` into the band table (which has room).
    fn put(ctrl: &mut [u8], slots: &mut [u32], key: u64, doc: u32) {
        let cap = ctrl.len();
        let (mut pos, tag) = Self::home(key, cap);
        while ctrl[pos] != 0 {
            pos += 1;
            if pos == cap {
                pos = 0;
            }
        }
        ctrl[pos] = tag;
        slots[pos] = doc;
    }

    /// Grows the band table (rebuilding it from the stored fingerprints) when `extra` more
    /// entries would push it past [`MAX_LOAD`].
    fn reserve_table(&mut self, extra: usize) -> crate::Result<()> {
        let cap = self.ctrl.len();
        if ((self.used + extra) as f64) <= cap as f64 * MAX_LOAD {
            return Ok(());
        }
        let need = ((self.used + extra) as f64 / MAX_LOAD) as usize + 1;
        let new_cap = (cap + cap / 2).max(need).max(1024);
        // The old table lives until the new one is built: the budget must hold both.
        self.check_budget(new_cap * 5)?;
        let mut ctrl = vec![0u8; new_cap];
        let mut slots = vec![0u32; new_cap];
        let rows = self.p.rows;
        for (doc, fps) in self.fps.chunks_exact(self.n).enumerate() {
            for (b, band) in fps.chunks_exact(rows).enumerate() {
                Self::put(&mut ctrl, &mut slots, band_key(band, b), doc as u32);
            }
        }
        self.ctrl = ctrl;
        self.slots = slots;
        Ok(())
    }

    /// Indexes the current query document (fingerprints and keys in scratch) under `id`.
    fn insert(&mut self, id: &str) -> crate::Result<()> {
        let doc = u32::try_from(self.len()).map_err(|_| {
            crate::Error::MemoryBudget(
                "the near-duplicate index holds 2^32 documents; split the input into smaller runs"
                    .into(),
            )
        })?;
        // Reserve everything first, so a budget error leaves the index consistent.
        let mut fps = std::mem::take(&mut self.fps);
        let mut ids = std::mem::take(&mut self.ids);
        let mut ends = std::mem::take(&mut self.id_ends);
        let r = self
            .reserve(&mut fps, self.n)
            .and_then(|()| self.reserve(&mut ids, id.len()))
            .and_then(|()| self.reserve(&mut ends, 1));
        self.fps = fps;
        self.ids = ids;
        self.id_ends = ends;
        r?;
        self.reserve_table(self.p.bands)?;

        self.fps.extend_from_slice(&self.q_fp);
        let before = self.ids.len() >> 32;
        self.ids.extend_from_slice(id.as_bytes());
        if self.ids.len() >> 32 != before {
            self.id_wraps.push(doc);
        }
        self.id_ends.push(self.ids.len() as u32);
        for &key in &self.q_keys {
            Self::put(&mut self.ctrl, &mut self.slots, key, doc);
        }
        self.used += self.p.bands;
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
                "near_dedup: signature of {} values, index expects bands × rows = {}",
                sig.len(),
                self.n
            )));
        }
        self.q_fp.clear();
        self.q_fp.extend(sig.iter().map(|&v| fingerprint(v)));
        self.q_keys.clear();
        for (b, band) in self.q_fp.chunks_exact(self.p.rows).enumerate() {
            self.q_keys.push(band_key(band, b));
        }
        self.query();
        // Most similar candidate; ties go to the earliest document.
        let mut best: Option<(u32, f64)> = None;
        for &c in &self.cands {
            let s = self.similarity(c);
            if best.map_or(true, |(bd, bs)| s > bs || (s == bs && c < bd)) {
                best = Some((c, s));
            }
        }
        if let Some((kept, sim)) = best {
            if self.p.verify_threshold.map_or(true, |t| sim >= t) {
                let of = self.id(kept);
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
        }
        self.insert(doc.id)?;
        Ok(self.first(doc.id))
    }
}
