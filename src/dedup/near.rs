//! Near-duplicate removal: the `[near_dedup]` config and the two stages it builds.
//!
//! [`NearDedupConfig::build_signer`] gives the worker-side [`MinHashSigner`] (word n-gram MinHash
//! signature into `doc.minhash`); [`NearDedupConfig::build_index`] gives the ordered-side
//! [`LshIndex`], which sees the signatures in input order, so the first document of a group of
//! near copies is kept and the result does not depend on the thread count.
//!
//! A pair of documents whose word n-gram sets have Jaccard similarity `s` shares at least one
//! band (and so becomes a candidate) with probability `1 - (1 - s^rows)^bands`; with
//! verification on, a candidate is removed only if its estimated Jaccard similarity (from the
//! whole signature) is at least `verify_threshold`. [`removal_probability`] computes the curve.

use serde::{Deserialize, Serialize};

use super::lsh::{LshIndex, LshParams, Mode};
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
    /// LSH bands (default 28). Signature length is `bands × rows`.
    pub bands: usize,
    /// Signature values per band (default 4).
    pub rows: usize,
    /// Confirm each LSH candidate by its estimated Jaccard similarity before acting on it
    /// (default true).
    pub verify: bool,
    /// Minimum estimated Jaccard similarity of a confirmed near duplicate (default 0.6).
    pub verify_threshold: f64,
    /// Memory budget of the index in MiB (default 4096); the run stops with a clear error
    /// before the index would grow past it.
    pub max_index_mb: u64,
}

impl Default for NearDedupConfig {
    fn default() -> Self {
        NearDedupConfig {
            enabled: true,
            mode: NearMode::Remove,
            shingle_size: 5,
            bands: 28,
            rows: 4,
            verify: true,
            verify_threshold: 0.6,
            max_index_mb: 4096,
        }
    }
}

/// Probability that a document with Jaccard similarity `s` to an earlier kept one becomes an
/// LSH candidate: `1 - (1 - p^rows)^bands`, where `p = s + (1 - s) / 256` accounts for chance
/// matches of the index's 8-bit fingerprints.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    let p = s + (1.0 - s) / 256.0;
    1.0 - (1.0 - p.powi(rows as i32)).powi(bands as i32)
}

/// Probability that a document with Jaccard similarity `s` to an earlier kept one is removed:
/// the candidate probability times, with verification, the probability that the estimate
/// (a binomial share of `bands × rows` matching values) reaches the threshold.
pub fn removal_probability(s: f64, bands: usize, rows: usize, verify: Option<f64>) -> f64 {
    let cand = candidate_probability(s, bands, rows);
    let Some(t) = verify else {
        return cand;
    };
    let n = bands * rows;
    let p = s + (1.0 - s) / 256.0;
    // Matches needed: estimate_jaccard(m, n) >= t.
    let need = ((t * (1.0 - 1.0 / 256.0) + 1.0 / 256.0) * n as f64 - 1e-9).ceil() as usize;
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
                 bands × rows at most 1024 (default 28 × 4)",
                self.bands, self.rows
            )));
        }
        if self.rows < 3 {
            return Err(Error::Config(format!(
                "near_dedup.rows = {}: must be at least 3, or unrelated documents share bands by \
                 chance; use more bands to catch less similar documents instead",
                self.rows
            )));
        }
        if !(0.0..=1.0).contains(&self.verify_threshold) {
            return Err(Error::Config(format!(
                "near_dedup.verify_threshold = {}: must be between 0 and 1 (default 0.6)",
                self.verify_threshold
            )));
        }
        if self.max_index_mb == 0 {
            return Err(Error::Config(
                "near_dedup.max_index_mb = 0: must be at least 1 (the index needs roughly \
                 bands × 8 + bands × rows + 30 bytes per kept document)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Builds the worker-side signature stage.
    pub fn build_signer(&self) -> crate::Result<MinHashSigner> {
        self.validate()?;
        Ok(MinHashSigner::new(
            self.shingle_size,
            self.bands * self.rows,
        ))
    }

    /// Builds the ordered-side LSH index.
    pub fn build_index(&self) -> crate::Result<LshIndex> {
        self.validate()?;
        Ok(LshIndex::new(LshParams {
            bands: self.bands,
            rows: self.rows,
            verify_threshold: self.verify.then_some(self.verify_threshold),
            mode: match self.mode {
                NearMode::Remove => Mode::Remove,
                NearMode::Annotate => Mode::Annotate,
            },
            max_bytes: self.max_index_mb.saturating_mul(1 << 20),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_build_and_bad_values_name_the_key() {
        let c = NearDedupConfig::default();
        assert_eq!(c.build_signer().unwrap().num_perm(), 112);
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
            let p = removal_probability(i as f64 / 20.0, 28, 4, Some(0.6));
            assert!(p >= last - 1e-12);
            last = p;
        }
        assert!(removal_probability(0.3, 28, 4, Some(0.6)) < 0.01);
        assert!(removal_probability(0.8, 28, 4, Some(0.6)) > 0.99);
        // Without verification, 14 × 8 bands catch only about half the pairs at 0.7.
        let p = removal_probability(0.7, 14, 8, None);
        assert!((0.5..0.6).contains(&p), "{p}");
    }
}
