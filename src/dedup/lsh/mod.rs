//! The ordered-side LSH index for near duplicates: sees MinHash signatures (and bottom-k
//! sketches) in input order and decides keep / remove (or annotate with a cluster id), first
//! seen wins.
//!
//! Only kept documents are indexed, so every `duplicate_of` names a document that is in the
//! output. Per indexed document the index holds in memory (see [`LshIndex::bytes_per_doc`]):
//!
//! * `fingerprints` 4-bit fingerprints of the first signature values ("b-bit MinHash",
//!   `fingerprints / 2` bytes, 64 by default): a cheap first estimate of the Jaccard
//!   similarity of a candidate;
//! * an 8-byte handle of its id in an [`IdLog`] (a file next to the output when built with
//!   [`super::near::NearDedupConfig::build_index_in`], so the id bytes are not in memory);
//! * one `u32` entry per band in the shared band table ([`table`]), at a load between 0.57 and
//!   0.85 (growing by half), or 0.75 once `expected_docs` documents fill a pre-sized table.
//!
//! On disk, next to the output (removed at the end): the kept ids, the band hashes (one `u32`
//! per band, read back in order when the table grows) and, with a sketch size `k > 0`, each
//! kept document's bottom-k sketch as a fixed-size record of `8 + 2k` bytes ([`SketchLog`],
//! ranks quantized to 16 bits: [`super::sketch::pack`]).
//! A candidate whose fingerprint estimate is within [`PRECHECK_MARGIN`] of the threshold has
//! its sketch read back (a positioned read, or a copy from the write buffer) and the Jaccard
//! similarity estimated from the two sketches ([`super::sketch::estimate`]); that estimate
//! decides and is the reported `similarity`. With the defaults (18 bands × 3 rows, 128
//! fingerprints) memory is `64 + 8 + 18 × 4 / load` = 147 to 199 bytes per kept document (plus,
//! for an index built without a directory, the band hashes, sketches and ids in memory). The
//! index refuses to grow past its memory budget with [`crate::Error::MemoryBudget`], before
//! allocating.

mod logs;
mod spill;
mod table;

use std::path::Path;

pub use logs::{KeyLog, SketchLog};
use table::BandTable;
pub(crate) use table::PRESIZE_LOAD;

use super::exact::IdLog;
use crate::stage::{Candidate, Decision, Duplicate, OrderedStage};

/// Probability that two 4-bit fingerprints of different values match by chance.
pub const CHANCE: f64 = 1.0 / 16.0;

/// With sketches, a candidate's sketch is read only when its fingerprint estimate is at least
/// the threshold minus this margin (about 3.5 standard deviations of the 128-fingerprint
/// estimate near 0.6, so a pair above the threshold is almost never lost here).
pub const PRECHECK_MARGIN: f64 = 0.15;

/// Most sketches read back for one document (its best candidates by fingerprint estimate).
pub const MAX_SKETCH_READS: usize = 8;

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
    /// Bottom-k sketch values after the signature (0 = none: fingerprints alone estimate).
    pub sketch: usize,
    /// Minimum estimated Jaccard similarity for a band match to count; `None` trusts the bands.
    pub verify_threshold: Option<f64>,
    /// Remove or annotate.
    pub mode: Mode,
    /// Memory budget in bytes.
    pub max_bytes: u64,
    /// Documents the table is sized for up front (0 = grow as needed).
    pub expected_docs: usize,
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
    /// Number of indexed documents.
    len: usize,
    table: BandTable,
    chunks: Vec<Chunk>,
    ids: IdLog,
    keys: KeyLog,
    sketches: SketchLog,
    /// Scratch for the current query: fingerprints, band hashes, a read-back sketch,
    /// candidates with their fingerprint estimate.
    q_fp: Vec<u8>,
    q_keys: Vec<u32>,
    q_sketch: Vec<u8>,
    scored: Vec<(u32, f64)>,
    /// Band hashes of the document announced by [`OrderedStage::prepare`] and its `seq`.
    next_keys: Vec<u32>,
    next_seq: Option<u64>,
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
    (band_key(vals, b) >> 32) as u32
}

/// The 64-bit hash of band `b` holding the signature values `vals`; the index keeps its top
/// 32 bits, the distributed plan groups documents by all 64.
pub fn band_key(vals: &[u32], b: usize) -> u64 {
    let mut acc = (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for &v in vals {
        acc = (acc ^ u64::from(v)).wrapping_mul(0xA076_1D64_78BD_642F);
        acc ^= acc >> 29;
    }
    acc.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The hashes of the `bands` bands of `rows` values at the start of `sig`, into `out`.
fn band_hashes(sig: &[u32], bands: usize, rows: usize, out: &mut Vec<u32>) {
    out.clear();
    out.extend(
        sig.chunks_exact(rows)
            .take(bands)
            .enumerate()
            .map(|(b, vals)| band_hash(vals, b)),
    );
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
    /// An empty index with its ids, band hashes and sketches in memory.
    pub fn new(p: LshParams) -> LshIndex {
        let sk = SketchLog::memory(p.sketch);
        LshIndex::with_logs(p, IdLog::memory(), KeyLog::Memory(Vec::new()), sk)
    }

    /// An empty index whose kept ids, band hashes and sketches go to files in `dir`
    /// (`.near-ids.tmp`, `.near-keys.tmp`, `.near-sketches.tmp`, removed when the index is
    /// dropped), so memory holds only the table, fingerprints and id handles.
    pub fn in_dir(p: LshParams, dir: &Path) -> crate::Result<LshIndex> {
        let ids = IdLog::file(&dir.join(".near-ids.tmp"))?;
        let keys = KeyLog::file(&dir.join(".near-keys.tmp"))?;
        let sk = if p.sketch > 0 {
            SketchLog::file(&dir.join(".near-sketches.tmp"), p.sketch)?
        } else {
            SketchLog::memory(0)
        };
        Ok(LshIndex::with_logs(p, ids, keys, sk))
    }

    /// An empty index with the given id, band-hash and sketch logs (the sketch log's record
    /// size must be `p.sketch`).
    pub fn with_logs(p: LshParams, ids: IdLog, keys: KeyLog, sketches: SketchLog) -> LshIndex {
        LshIndex {
            n: (p.bands * p.rows).max(p.fingerprints),
            fp_bytes: p.fingerprints.div_ceil(2),
            len: 0,
            table: BandTable::default(),
            chunks: Vec::new(),
            ids,
            keys,
            sketches,
            q_fp: Vec::new(),
            q_keys: Vec::new(),
            q_sketch: Vec::new(),
            scored: Vec::new(),
            next_keys: Vec::new(),
            next_seq: None,
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

    /// Length of the `minhash` value the index expects: the signature
    /// (`max(bands × rows, fingerprints)`) followed by the sketch.
    pub fn record_len(&self) -> usize {
        self.n + self.p.sketch
    }

    /// Bytes held in memory by the index (allocated capacity; band hashes and sketches kept
    /// in memory included, ids kept in a memory [`IdLog`] not).
    pub fn memory_bytes(&self) -> u64 {
        (self.table.memory_bytes()
            + self.chunks.len() * CHUNK * (self.fp_bytes + 8)
            + self.keys.memory_bytes()
            + self.sketches.memory_bytes()) as u64
    }

    /// Bytes held per indexed document (0 when empty).
    pub fn bytes_per_doc(&self) -> f64 {
        if self.is_empty() {
            0.0
        } else {
            self.memory_bytes() as f64 / self.len() as f64
        }
    }

    /// Bytes of scratch files per indexed document on disk (band hashes and sketches; ids
    /// not counted).
    pub fn disk_bytes_per_doc(&self) -> usize {
        self.p.bands * 4
            + if self.p.sketch > 0 {
                super::sketch::packed_len(self.p.sketch)
            } else {
                0
            }
    }

    /// Fingerprints of indexed document `doc`.
    #[inline]
    fn fps(&self, doc: usize) -> &[u8] {
        let c = &self.chunks[doc / CHUNK];
        &c.fps[(doc % CHUNK) * self.fp_bytes..][..self.fp_bytes]
    }

    /// Estimated Jaccard similarity between the query and indexed document `doc` from the
    /// fingerprints.
    fn similarity(&self, doc: u32) -> f64 {
        let eq = equal_nibbles(self.fps(doc as usize), &self.q_fp);
        estimate_jaccard(eq, self.p.fingerprints)
    }

    /// Estimated Jaccard similarity between the query's sketch and indexed document `doc`'s.
    fn sketch_similarity(&mut self, doc: u32, sketch: &[u32]) -> crate::Result<f64> {
        let mut other = std::mem::take(&mut self.q_sketch);
        self.sketches.read(u64::from(doc), &mut other)?;
        let s = super::sketch::estimate_packed(sketch, &other);
        self.q_sketch = other;
        Ok(s)
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
             near_dedup.max_index_mb (or lower near_dedup.expected_docs), use fewer \
             near_dedup.bands or near_dedup.fingerprints, or split the input into smaller runs",
            needed as f64 / f64::from(1 << 20),
            self.len(),
            self.bytes_per_doc(),
            self.p.max_bytes >> 20
        )))
    }

    /// Indexes the current query document (fingerprints and band hashes in scratch, `sketch`)
    /// under `id`.
    fn insert(&mut self, id: &str, sketch: &[u32]) -> crate::Result<()> {
        // Plan every growth first, so a budget error leaves the index as it was.
        if self.len == self.chunks.len() * CHUNK {
            self.check_budget(CHUNK * (self.fp_bytes + 8))?;
        }
        if self.p.sketch > 0 {
            self.check_budget(self.sketches.growth_bytes())?;
        }
        if let Some(cap) = self
            .table
            .planned_growth(self.len, self.p.bands, self.p.expected_docs)
        {
            self.check_budget(cap * 4)?;
            self.table
                .rebuild(cap, self.p.bands, self.len, &mut self.keys)?;
        }
        if !self.table.fits(self.len) {
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
        if self.p.sketch > 0 {
            self.sketches.push(sketch)?;
        }
        let fb = self.fp_bytes;
        let c = &mut self.chunks[doc / CHUNK];
        c.fps[(doc % CHUNK) * fb..][..fb].copy_from_slice(&self.q_fp);
        c.handles[doc % CHUNK] = handle;
        self.table.insert(doc, &self.q_keys);
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

    /// The verified match of the current query with threshold `t`: the candidate with the
    /// highest estimate (sketch estimate when the index has sketches; ties: earliest).
    fn verified(&mut self, t: f64, sketch: &[u32]) -> crate::Result<Option<(u32, f64)>> {
        let mut scored = std::mem::take(&mut self.scored);
        scored.clear();
        let pre = if self.p.sketch > 0 {
            t - PRECHECK_MARGIN
        } else {
            t
        };
        for &c in &self.table.cands {
            let s = self.similarity(c);
            if s >= pre {
                scored.push((c, s));
            }
        }
        // Best first: highest fingerprint estimate, then earliest document.
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut best: Option<(u32, f64)> = None;
        if self.p.sketch == 0 {
            best = scored.first().copied();
        } else {
            for &(c, _) in scored.iter().take(MAX_SKETCH_READS) {
                let s = self.sketch_similarity(c, sketch)?;
                if best.is_none_or(|(bd, bs)| s > bs || (s == bs && c < bd)) {
                    best = Some((c, s));
                }
            }
        }
        self.scored = scored;
        Ok(best.filter(|&(_, s)| s >= t))
    }

    /// The first candidate (most similar first) that really shares a band with the query,
    /// for verification off.
    fn banded(&mut self, sketch: &[u32]) -> crate::Result<Option<(u32, f64)>> {
        let mut scored = std::mem::take(&mut self.scored);
        scored.clear();
        for &c in &self.table.cands {
            scored.push((c, self.similarity(c)));
        }
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut found = None;
        for &(c, s) in &scored {
            // Tags can match by chance: confirm the band match.
            if self.shares_band(c)? {
                found = Some((c, s));
                break;
            }
        }
        self.scored = scored;
        if let (Some((c, _)), true) = (found, self.p.sketch > 0) {
            found = Some((c, self.sketch_similarity(c, sketch)?));
        }
        Ok(found)
    }
}

impl OrderedStage for LshIndex {
    fn name(&self) -> &'static str {
        "near_dedup"
    }

    fn decide(&mut self, doc: &Candidate<'_>) -> crate::Result<Decision> {
        let Some(rec) = doc.minhash else {
            return Ok(self.first(doc.id));
        };
        if rec.len() != self.record_len() {
            return Err(crate::Error::Internal(format!(
                "near_dedup: signature of {} values, index expects max(bands × rows, \
                 fingerprints) + sketch_size = {}; build the signer and the index from the \
                 same config",
                rec.len(),
                self.record_len()
            )));
        }
        let (sig, sketch) = rec.split_at(self.n);
        pack(&sig[..self.p.fingerprints], &mut self.q_fp);
        if self.next_seq.take() == Some(doc.seq) {
            std::mem::swap(&mut self.q_keys, &mut self.next_keys);
        } else {
            band_hashes(sig, self.p.bands, self.p.rows, &mut self.q_keys);
        }
        self.table.query(&self.q_keys);
        let found = if self.table.cands.is_empty() {
            None
        } else {
            match self.p.verify_threshold {
                Some(t) => self.verified(t, sketch)?,
                None => self.banded(sketch)?,
            }
        };
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
        self.insert(doc.id, sketch)?;
        Ok(self.first(doc.id))
    }

    /// Computes the band hashes of `next` and prefetches the table slots its query will read,
    /// so their cache misses overlap the work on the current document.
    fn prepare(&mut self, next: &Candidate<'_>) {
        match next.minhash {
            Some(rec) if rec.len() == self.record_len() => {
                band_hashes(rec, self.p.bands, self.p.rows, &mut self.next_keys);
                self.table.prefetch(&self.next_keys);
                self.next_seq = Some(next.seq);
            }
            _ => self.next_seq = None,
        }
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
            sketch: 0,
            verify_threshold: verify,
            mode,
            max_bytes: 1 << 30,
            expected_docs: 0,
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
    fn announcing_the_next_document_never_changes_a_decision() {
        use crate::harness::near::SyntheticRecords;
        let p = LshParams {
            sketch: 64,
            verify_threshold: Some(0.6),
            ..params(Mode::Remove, None)
        };
        let n = 30_000;
        let recs = SyntheticRecords::new(n, 128, 64);
        let (mut plain, mut hinted) = (LshIndex::new(p.clone()), LshIndex::new(p));
        let (mut cur, mut next) = (Vec::new(), Vec::new());
        let mut removed = 0;
        for i in 0..n {
            recs.record_into(i, &mut cur);
            let id = format!("d{i}");
            let want = decide(&mut plain, i as u64, &id, &cur);
            // Announce the next document, or (every seventh) one that is skipped, as when
            // exact dedup removes the announced document.
            let ahead = if i % 7 == 0 { i + 2 } else { i + 1 };
            if ahead < n {
                recs.record_into(ahead, &mut next);
                let ahead_id = format!("d{ahead}");
                hinted.prepare(&Candidate {
                    seq: ahead as u64,
                    id: &ahead_id,
                    exact_key: None,
                    minhash: Some(&next),
                });
            }
            assert_eq!(decide(&mut hinted, i as u64, &id, &cur), want, "{i}");
            removed += usize::from(matches!(want, Decision::Remove(_)));
        }
        assert!(removed > n / 20, "{removed}");
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
