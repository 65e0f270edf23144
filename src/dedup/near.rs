//! Near-duplicate removal: the `[near_dedup]` config and the two stages it builds.
//!
//! [`NearDedupConfig::build_signer`] gives the worker-side [`MinHashSigner`] (word n-gram MinHash
//! signature into `doc.minhash`); [`NearDedupConfig::build_index_in`] (the pipeline: kept ids
//! and band hashes in temporary files in the output directory) or
//! [`NearDedupConfig::build_index`] (all in memory) gives the ordered-side [`LshIndex`], which
//! sees the signatures in input order, so the first document of a group of
//! near copies is kept and the result does not depend on the thread count.
//!
//! A pair of documents whose word n-gram sets have Jaccard similarity `s` shares at least one
//! band (and so becomes a candidate) with probability `1 - (1 - s^rows)^bands`. With
//! verification on, a candidate whose similarity estimated from `fingerprints` 4-bit
//! fingerprints is within 0.15 of `verify_threshold` has its bottom-k sketch read back from the
//! scratch file, and it is removed only if the sketch estimate (`sketch_size` values, exact for
//! short documents, about ±0.01 on BBC articles) is at least `verify_threshold`.
//! [`removal_probability`] computes the curve (with a conservative binomial model of the sketch
//! estimate); for the defaults (18 bands × 3 rows, 128 fingerprints, 256-value sketches,
//! threshold 0.605):
//!
//! | Jaccard | 0.40 | 0.50 | 0.55 | 0.60 | 0.65 | 0.70 | 0.75 | 0.80 |
//! |---------|------|------|------|------|------|------|------|------|
//! | candidate | 0.696 | 0.910 | 0.962 | 0.988 | 0.997 | 1.000 | 1.000 | 1.000 |
//! | removed | 0.000 | 0.000 | 0.041 | 0.450 | 0.937 | 0.999 | 1.000 | 1.000 |
//!
//! With `sketch_size = 0` the fingerprint estimate decides (standard deviation about 0.045 near
//! 0.6, so a threshold near 0.65 is needed to keep removals justified, and copies with 8–12%
//! of words changed are often kept).
//!
//! Memory: about `fingerprints / 2 + 8 + bands × 4 / load` bytes per kept document, load
//! between 0.57 and 0.85 (0.75 with `expected_docs` once that many are indexed): 147 to 199
//! bytes with the defaults (10M documents in under 2 GB), when built with
//! [`NearDedupConfig::build_index_in`] (ids, band hashes and sketches in files: `bands × 4 +
//! 8 + 2 × sketch_size` = 592 bytes of scratch disk per kept document with the defaults).

use serde::{Deserialize, Serialize};

use super::lsh::{LshIndex, LshParams, Mode, CHANCE};
use super::minhash::{MinHashSigner, MAX_SHINGLE};
use crate::Error;

/// What to do with near duplicates.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum NearMode {
    /// Remove them (written to `duplicates.jsonl.zst` with `duplicate_of` and `similarity`).
    Remove,
    /// Keep every document and add a `cluster` field: the id of the first document of its group.
    Annotate,
}

/// Config for the `[near_dedup]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NearDedupConfig {
    /// Run near-duplicate detection (default true).
    pub enabled: bool,
    /// `remove` near duplicates or only `annotate` each document with a `cluster` id
    /// (default `remove`).
    pub mode: NearMode,
    /// Words per shingle (default 5).
    pub shingle_size: usize,
    /// LSH bands (default 18): each is a table entry (4 bytes at full load) per kept document.
    pub bands: usize,
    /// Signature values per band (default 3). A band matches when all its values are equal.
    pub rows: usize,
    /// Signature values kept per document as 4-bit fingerprints to estimate Jaccard
    /// similarity for verification and the audit `similarity` (default 128, even; half a byte
    /// each). The signature has `max(bands × rows, fingerprints)` values.
    pub fingerprints: usize,
    /// Bottom-k sketch size (default 256; 0 = none): the `k` smallest shingle ranks of each
    /// document, computed on the workers and, for kept documents, written to a scratch file in
    /// the output folder (`4k` bytes per kept document, no memory). Verification and the audit
    /// `similarity` then use the sketches' Jaccard estimate (exact for documents with at most
    /// `k` shingles) instead of the fingerprints', which only pre-select candidates.
    pub sketch_size: usize,
    /// Confirm each LSH candidate by its estimated Jaccard similarity before acting on it
    /// (default true).
    pub verify: bool,
    /// Minimum estimated Jaccard similarity of a confirmed near duplicate (default 0.605: a
    /// hair above 0.6, where the sketch estimate's error of about ±0.01 would otherwise let
    /// pairs just under 0.6 through; use about 0.65 with `sketch_size = 0`).
    pub verify_threshold: f64,
    /// Memory budget of the index in MiB (default 4096); the run stops with a clear error
    /// before the index would grow past it.
    pub max_index_mb: u64,
    /// Kept documents the index's band table is sized for up front (default 0 = start small
    /// and grow by half as needed). Setting it to about the number of documents in the run
    /// saves the table rebuilds (about a third of the index's time at 1M documents); a table
    /// sized for more documents than `max_index_mb` allows is refused when the index is built.
    pub expected_docs: u64,
    /// Keep digits in shingles, so "Shr 40 cts vs 31 cts" and "Shr 52 cts vs 47 cts" differ
    /// (default false, the published normalization that maps every digit to 0; the news
    /// profile sets true: templated items that differ only in their figures are different
    /// news). The audit `similarity` is measured on the same shingles.
    pub keep_digits: bool,
}

impl Default for NearDedupConfig {
    fn default() -> Self {
        NearDedupConfig {
            enabled: true,
            mode: NearMode::Remove,
            shingle_size: 5,
            bands: 18,
            rows: 3,
            fingerprints: 128,
            sketch_size: 256,
            verify: true,
            verify_threshold: 0.605,
            max_index_mb: 4096,
            expected_docs: 0,
            keep_digits: false,
        }
    }
}

/// Probability that a document with Jaccard similarity `s` to an earlier kept one becomes an
/// LSH candidate: `1 - (1 - s^rows)^bands` (bands hash the full signature values).
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// Probability that a document with Jaccard similarity `s` to an earlier kept one is removed:
/// the candidate probability times, with verification, the probability that the estimate
/// reaches the threshold. With `sketch = k > 0` the estimate is modelled as a binomial share of
/// `k` samples each present in both sets with probability `s` (conservative: the sketch
/// estimate samples without replacement and uses up to `2k` values, so it is sharper); without,
/// as the share of `fingerprints` 4-bit fingerprints that match, each with probability
/// `s + (1 - s) / 16`, corrected for chance.
pub fn removal_probability(
    s: f64,
    bands: usize,
    rows: usize,
    fingerprints: usize,
    sketch: usize,
    verify: Option<f64>,
) -> f64 {
    let cand = candidate_probability(s, bands, rows);
    let Some(t) = verify else {
        return cand;
    };
    let (n, p, need) = if sketch > 0 {
        let n = sketch;
        (n, s, (t * n as f64 - 1e-9).ceil() as usize)
    } else {
        let n = fingerprints;
        let p = s + (1.0 - s) * CHANCE;
        // Matches needed: estimate_jaccard(m, n) >= t.
        (
            n,
            p,
            ((t * (1.0 - CHANCE) + CHANCE) * n as f64 - 1e-9).ceil() as usize,
        )
    };
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let mut tail = 0.0;
    let mut log_c = 0.0f64; // log C(n, k), built incrementally
    for k in 0..=n {
        if k > 0 {
            log_c += ((n - k + 1) as f64).ln() - (k as f64).ln();
        }
        if k >= need {
            tail += (log_c + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln()).exp();
        }
    }
    cand * tail.min(1.0)
}

impl NearDedupConfig {
    fn validate(&self) -> crate::Result<()> {
        if !(1..=MAX_SHINGLE).contains(&self.shingle_size) {
            return Err(Error::Config(format!(
                "near_dedup.shingle_size = {}: must be between 1 and {MAX_SHINGLE} (5 is usual)",
                self.shingle_size
            )));
        }
        if self.bands == 0 || self.rows == 0 || self.bands * self.rows > 1024 {
            return Err(Error::Config(format!(
                "near_dedup.bands = {} and near_dedup.rows = {}: both must be at least 1 and \
                 bands × rows at most 1024 (default 18 × 3)",
                self.bands, self.rows
            )));
        }
        if self.rows < 2 {
            return Err(Error::Config(format!(
                "near_dedup.rows = {}: must be at least 2, or unrelated documents share bands by \
                 chance; use more bands to catch less similar documents instead",
                self.rows
            )));
        }
        if self.fingerprints < 16 || self.fingerprints > 1024 || self.fingerprints % 2 != 0 {
            return Err(Error::Config(format!(
                "near_dedup.fingerprints = {}: must be an even number from 16 to 1024 \
                 (default 128)",
                self.fingerprints
            )));
        }
        if self.sketch_size > 4096 {
            return Err(Error::Config(format!(
                "near_dedup.sketch_size = {}: must be at most 4096 (default 256; 0 turns \
                 sketches off)",
                self.sketch_size
            )));
        }
        if !(0.0..=1.0).contains(&self.verify_threshold) {
            return Err(Error::Config(format!(
                "near_dedup.verify_threshold = {}: must be between 0 and 1 (default 0.605)",
                self.verify_threshold
            )));
        }
        if self.max_index_mb == 0 {
            return Err(Error::Config(
                "near_dedup.max_index_mb = 0: must be at least 1 (the index needs about \
                 fingerprints / 2 + 8 + bands × 4 / 0.7 bytes per kept document)"
                    .into(),
            ));
        }
        let per_doc = self.fingerprints as f64 / 2.0
            + 8.0
            + self.bands as f64 * 4.0 / super::lsh::PRESIZE_LOAD;
        let need_mb = self.expected_docs as f64 * per_doc / f64::from(1 << 20);
        if need_mb > self.max_index_mb as f64 {
            return Err(Error::Config(format!(
                "near_dedup.expected_docs = {}: a table sized for that many documents needs \
                 about {need_mb:.0} MiB, over near_dedup.max_index_mb = {}; raise \
                 near_dedup.max_index_mb or lower near_dedup.expected_docs (0 grows the table \
                 as needed)",
                self.expected_docs, self.max_index_mb
            )));
        }
        Ok(())
    }

    /// The config with `expected_docs` taken from a known document count (the pipeline's
    /// pre-scan) when it was left at 0 and a table of that size fits `max_index_mb`;
    /// otherwise unchanged (the table then grows as needed).
    pub fn sized_for(&self, docs: u64) -> NearDedupConfig {
        let mut c = self.clone();
        if c.expected_docs == 0 {
            c.expected_docs = docs;
            if c.validate().is_err() {
                c.expected_docs = 0;
            }
        }
        c
    }

    /// Signature length: `max(bands × rows, fingerprints)`.
    pub fn signature_len(&self) -> usize {
        (self.bands * self.rows).max(self.fingerprints)
    }

    /// Builds the worker-side signature stage.
    pub fn build_signer(&self) -> crate::Result<MinHashSigner> {
        self.validate()?;
        Ok(MinHashSigner::new(self.shingle_size, self.signature_len())
            .with_sketch(self.sketch_size)
            .with_digits(self.keep_digits))
    }

    fn params(&self) -> LshParams {
        LshParams {
            bands: self.bands,
            rows: self.rows,
            fingerprints: self.fingerprints,
            sketch: self.sketch_size,
            verify_threshold: self.verify.then_some(self.verify_threshold),
            mode: match self.mode {
                NearMode::Remove => Mode::Remove,
                NearMode::Annotate => Mode::Annotate,
            },
            max_bytes: self.max_index_mb.saturating_mul(1 << 20),
            expected_docs: usize::try_from(self.expected_docs).unwrap_or(usize::MAX),
        }
    }

    /// Builds the ordered-side LSH index with kept ids, band hashes and sketches in memory
    /// (tests, evaluation, small runs).
    pub fn build_index(&self) -> crate::Result<LshIndex> {
        self.validate()?;
        Ok(LshIndex::new(self.params()))
    }

    /// Builds the ordered-side LSH index with kept ids, band hashes and sketches in temporary
    /// files `.near-ids.tmp`, `.near-keys.tmp` and `.near-sketches.tmp` in `dir` (the output
    /// directory; removed when the index is dropped), so memory holds only the table,
    /// fingerprints and id handles. Sketches are written by a background thread.
    pub fn build_index_in(&self, dir: &std::path::Path) -> crate::Result<LshIndex> {
        self.validate()?;
        LshIndex::in_dir(self.params(), dir)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_and_bad_values_name_the_key() {
        let c = NearDedupConfig::default();
        assert_eq!(c.build_signer().unwrap().num_perm(), 128);
        assert_eq!(c.build_signer().unwrap().sketch_len(), 256);
        assert!(c.build_index().is_ok());
        for (bad, key) in [
            (
                NearDedupConfig {
                    shingle_size: 0,
                    ..c.clone()
                },
                "shingle_size",
            ),
            (
                NearDedupConfig {
                    rows: 1,
                    ..c.clone()
                },
                "rows",
            ),
            (
                NearDedupConfig {
                    fingerprints: 7,
                    ..c.clone()
                },
                "fingerprints",
            ),
            (
                NearDedupConfig {
                    verify_threshold: 1.5,
                    ..c.clone()
                },
                "verify_threshold",
            ),
            (
                NearDedupConfig {
                    max_index_mb: 0,
                    ..c.clone()
                },
                "max_index_mb",
            ),
            (
                NearDedupConfig {
                    sketch_size: 5000,
                    ..c.clone()
                },
                "sketch_size",
            ),
            (
                NearDedupConfig {
                    expected_docs: 100_000_000,
                    max_index_mb: 1024,
                    ..c.clone()
                },
                "expected_docs",
            ),
        ] {
            let err = bad.build_index().unwrap_err().to_string();
            assert!(err.contains(key), "{err}");
        }
    }

    #[test]
    fn toml_round_trip_and_unknown_keys() {
        let c: NearDedupConfig =
            toml::from_str("bands = 14\nrows = 8\nmode = \"annotate\"").unwrap();
        assert_eq!((c.bands, c.rows, c.mode), (14, 8, NearMode::Annotate));
        assert!(toml::from_str::<NearDedupConfig>("band = 3").is_err());
    }

    #[test]
    fn s_curve_is_monotone_and_steep() {
        let mut last = 0.0;
        for i in 0..=20 {
            let p = removal_probability(i as f64 / 20.0, 18, 3, 128, 0, Some(0.65));
            assert!(p >= last - 1e-12);
            last = p;
        }
        assert!(removal_probability(0.5, 18, 3, 128, 0, Some(0.65)) < 0.01);
        assert!(removal_probability(0.8, 18, 3, 128, 0, Some(0.65)) > 0.99);
        // Sketches make the step around the threshold much steeper.
        let sk = |s: f64| removal_probability(s, 18, 3, 128, 256, Some(0.605));
        assert!(
            sk(0.55) < 0.07 && sk(0.66) > 0.95,
            "{} {}",
            sk(0.55),
            sk(0.66)
        );
        assert!(sk(0.55) < removal_probability(0.55, 18, 3, 128, 0, Some(0.6)));
        // Without verification, 14 × 8 bands catch only about half the pairs at 0.7.
        let p = removal_probability(0.7, 14, 8, 128, 0, None);
        assert!((0.5..0.6).contains(&p), "{p}");
    }

    #[test]
    fn sized_for_takes_a_count_that_fits_the_budget() {
        let c = NearDedupConfig::default();
        assert_eq!(c.sized_for(1_000_000).expected_docs, 1_000_000);
        let small = NearDedupConfig {
            max_index_mb: 1,
            ..NearDedupConfig::default()
        };
        assert_eq!(small.sized_for(1_000_000).expected_docs, 0);
        let set = NearDedupConfig {
            expected_docs: 5,
            ..NearDedupConfig::default()
        };
        assert_eq!(set.sized_for(1_000_000).expected_docs, 5);
    }
}
