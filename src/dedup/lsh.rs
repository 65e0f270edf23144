//! The ordered-side LSH index for near duplicates: sees MinHash signatures in input order and
//! decides keep / remove (or annotate with a cluster id), first seen wins.
//!
//! Only kept documents are indexed, so every `duplicate_of` names a document that is in the
//! output. Per indexed document the index stores (see [`LshIndex::bytes_per_doc`]):
//!
//! * an 8-bit fingerprint of each signature value ("b-bit MinHash"): `bands × rows` bytes,
//!   stored band by band, used to confirm band matches, to estimate the Jaccard similarity for
//!   verification and audit, and to rebuild a band table when it grows;
//! * its id in an append-only arena (the id bytes plus a 4-byte end offset);
//! * one entry per band in that band's open-addressing table (linear probing, grown by half
//!   at a load of 0.8): a control byte (7 bits of the band key) interleaved with the 4-byte
//!   document number, so a probe touches one cache line. Band keys hash the band's
//!   fingerprints, so unrelated documents share a band by chance with probability 2^-8·rows.
//!
//! That is about `bands × rows + bands × 7.5 + id length + 4` bytes per kept document (plus up
//! to half again while a vector grows). The index refuses to grow past its memory budget with
//! [`crate::Error::MemoryBudget`], before allocating.

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
    /// Id bytes of all indexed documents.
    ids: Vec<u8>,
    /// End offset (mod 2^32) of each document's id in `ids`.
    id_ends: Vec<u32>,
    /// Document numbers at which `ids` crossed a multiple of 2^32 bytes.
    id_wraps: Vec<u32>,
    /// One open-addressing table per band.
    tables: Vec<BandTable>,
    /// Scratch for the current query: fingerprints, band keys, candidate documents.
    q_fp: Vec<u8>,
    q_keys: Vec<u64>,
    cands: Vec<u32>,
}

/// Bytes per band-table slot.
const SLOT: usize = 5;

/// One band's open-addressing table (linear probing).
#[derive(Debug, Default)]
struct BandTable {
    /// The band's fingerprints of every indexed document, `rows` bytes each.
    fps: Vec<u8>,
    /// Slots of [`SLOT`] bytes, interleaved so a probe touches one cache line: a control byte
    /// (0 = empty, else 0x80 | 7 bits of the band key) and the document number (u32, LE).
    ent: Vec<u8>,
}

/// Home slot and control byte of a band key in a table of `cap` slots.
#[inline]
fn home(key: u64, cap: usize) -> (usize, u8) {
    let pos = ((u128::from(key) * cap as u128) >> 64) as usize;
    (pos, 0x80 | (key as u8 & 0x7f))
}

impl BandTable {
    /// Number of slots.
    #[inline]
    fn cap(&self) -> usize {
        self.ent.len() / SLOT
    }

    /// Control byte and document number of slot `pos`.
    #[inline]
    fn slot(&self, pos: usize) -> (u8, u32) {
        let e = &self.ent[pos * SLOT..pos * SLOT + SLOT];
        (e[0], u32::from_le_bytes([e[1], e[2], e[3], e[4]]))
    }

    fn bytes(&self) -> usize {
        self.fps.capacity() + self.ent.capacity()
    }

    /// Inserts `key -> doc` (the table has room).
    fn put(&mut self, key: u64, doc: u32) {
        let cap = self.cap();
        let (mut pos, tag) = home(key, cap);
        while self.ent[pos * SLOT] != 0 {
            pos += 1;
            if pos == cap {
                pos = 0;
            }
        }
        self.ent[pos * SLOT] = tag;
        self.ent[pos * SLOT + 1..pos * SLOT + SLOT].copy_from_slice(&doc.to_le_bytes());
    }

    /// Hints the CPU to load the cache lines a probe for `key` starts with.
    #[inline]
    fn prefetch(&self, key: u64) {
        let cap = self.cap();
        if cap == 0 {
            return;
        }
        let (pos, _) = home(key, cap);
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            // SAFETY: prefetching is a hint that never faults; both pointers are in bounds.
            unsafe {
                _mm_prefetch::<_MM_HINT_T0>(self.ent.as_ptr().add(pos * SLOT).cast());
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = pos;
    }
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
        // Byte by byte: a `copy_from_slice` of a short, variable length calls `memmove`.
        let w = chunk
            .iter()
            .enumerate()
            .fold(0u64, |w, (i, &x)| w | (u64::from(x) << (8 * i)));
        acc = (acc ^ w).wrapping_mul(0xA076_1D64_78BD_642F);
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
        let tables = (0..p.bands).map(|_| BandTable::default()).collect();
        LshIndex {
            n,
            tables,
            p,
            ids: Vec::new(),
            id_ends: Vec::new(),
            id_wraps: Vec::new(),
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
        (self.ids.capacity()
            + self.id_ends.capacity() * 4
            + self.id_wraps.capacity() * 4
            + self.tables.iter().map(BandTable::bytes).sum::<usize>()) as u64
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

    /// Indexed documents sharing a band with the query (fingerprints equal on every row of the
    /// band), deduplicated, into `self.cands`.
    fn query(&mut self) {
        self.cands.clear();
        let rows = self.p.rows;
        // Touch every band's home slot first, so the cache misses overlap.
        for (t, &key) in self.tables.iter().zip(&self.q_keys) {
            t.prefetch(key);
        }
        for (b, (t, &key)) in self.tables.iter().zip(&self.q_keys).enumerate() {
            let cap = t.cap();
            if cap == 0 {
                continue;
            }
            let (mut pos, tag) = home(key, cap);
            let q = &self.q_fp[b * rows..(b + 1) * rows];
            loop {
                let (c, doc) = t.slot(pos);
                if c == 0 {
                    break;
                }
                if c == tag {
                    let stored = &t.fps[doc as usize * rows..][..rows];
                    // Element-wise: slice `==` on a few bytes calls `memcmp`.
                    if stored.iter().zip(q).all(|(a, b)| a == b) && !self.cands.contains(&doc) {
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
        let rows = self.p.rows;
        let i = doc as usize * rows;
        let eq = self
            .tables
            .iter()
            .zip(self.q_fp.chunks_exact(rows))
            .map(|(t, q)| {
                t.fps[i..i + rows]
                    .iter()
                    .zip(q)
                    .map(|(a, b)| usize::from(a == b))
                    .sum::<usize>()
            })
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

    /// Grows every band table that `extra` more documents would push past [`MAX_LOAD`],
    /// rebuilding it from the stored fingerprints, one band at a time (so the budget only needs
    /// room for one band's old and new table at once).
    fn reserve_tables(&mut self, extra: usize) -> crate::Result<()> {
        let need = self.len() + extra;
        for b in 0..self.tables.len() {
            let cap = self.tables[b].cap();
            if (need as f64) <= cap as f64 * MAX_LOAD {
                continue;
            }
            let new_cap = (cap + cap / 2)
                .max((need as f64 / MAX_LOAD) as usize + 1)
                .max(1024);
            self.check_budget(new_cap * SLOT)?;
            let mut new = BandTable {
                fps: std::mem::take(&mut self.tables[b].fps),
                ent: vec![0u8; new_cap * SLOT],
            };
            // The band's fingerprints are stored contiguously, so the keys are recomputed from
            // a sequential read.
            let rows = self.p.rows;
            for doc in 0..self.len() {
                let key = band_key(&new.fps[doc * rows..(doc + 1) * rows], b);
                new.put(key, doc as u32);
            }
            self.tables[b] = new;
        }
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
        // Plan every growth first, so a budget error leaves the index as it was.
        fn grow(cap: usize, len: usize, extra: usize) -> usize {
            if cap - len >= extra {
                0
            } else {
                (cap / 2).max(extra).max(64)
            }
        }
        let rows = self.p.rows;
        let g_ids = grow(self.ids.capacity(), self.ids.len(), id.len());
        let g_ends = grow(self.id_ends.capacity(), self.id_ends.len(), 1);
        let g_fps = grow(
            self.tables[0].fps.capacity(),
            self.tables[0].fps.len(),
            rows,
        );
        self.check_budget(g_ids + g_ends * 4 + g_fps * self.tables.len())?;
        self.ids.reserve_exact(g_ids);
        self.id_ends.reserve_exact(g_ends);
        for t in &mut self.tables {
            t.fps.reserve_exact(g_fps);
        }
        self.reserve_tables(1)?;

        let before = self.ids.len() >> 32;
        self.ids.extend_from_slice(id.as_bytes());
        if self.ids.len() >> 32 != before {
            self.id_wraps.push(doc);
        }
        self.id_ends.push(self.ids.len() as u32);
        for ((t, &key), fp) in self
            .tables
            .iter_mut()
            .zip(&self.q_keys)
            .zip(self.q_fp.chunks_exact(rows))
        {
            t.fps.extend_from_slice(fp);
            t.put(key, doc);
        }
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

    fn index(mode: Mode) -> LshIndex {
        LshIndex::new(LshParams {
            bands: 28,
            rows: 4,
            verify_threshold: Some(0.6),
            mode,
            max_bytes: 1 << 30,
        })
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
        let s = MinHashSigner::new(5, 112);
        let copy = format!("Advertisement\n\n{}", BBC.replace("Quarterly", "QUARTERLY"));
        let mut idx = index(Mode::Remove);
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

    #[test]
    fn copies_are_found_after_the_tables_grow() {
        // Enough distinct documents to rebuild every band table several times; the copy of the
        // first one must still be found through the rebuilt tables.
        let s = MinHashSigner::new(5, 112);
        let first = s.signature(BBC).unwrap();
        let mut idx = index(Mode::Annotate);
        decide(&mut idx, 0, "bbc-business-001", &first);
        for i in 1..5000u32 {
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
        let d = decide(&mut idx, 5000, "copy", &first);
        assert_eq!(
            d,
            Decision::Annotate {
                key: "cluster",
                value: "bbc-business-001".into()
            }
        );
        assert!(idx.bytes_per_doc() > 100.0 && idx.bytes_per_doc() < 600.0);
    }

    #[test]
    fn estimate_corrects_for_chance_matches() {
        assert_eq!(estimate_jaccard(112, 112), 1.0);
        assert_eq!(estimate_jaccard(0, 112), 0.0);
        // One match in 256 is what unrelated documents show.
        assert!(estimate_jaccard(1, 256) < 1e-9);
        let s = MinHashSigner::new(5, 112);
        let a = s.signature(BBC).unwrap();
        let b = s.signature(OTHER).unwrap();
        assert!(estimate_from_signatures(&a, &b) < 0.1);
    }
}
