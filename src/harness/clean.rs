//! Cleaning evaluation: a synthetic set of real article bodies wrapped in invented site
//! boilerplate, the shingle precision/recall/F1 scorer of public article-extraction benchmarks,
//! and a C4-style line-filter baseline. Used by `examples/clean_eval.rs` and the tests.
//!
//! Scoring follows the article-extraction benchmark: texts are split into `\w+` tokens, 4-token
//! shingles are compared as multisets, precision and recall are computed per document and
//! averaged, and F1 is the harmonic mean of the averages. A document with no predicted shingles
//! (dropped, or emptied) has precision 1 and recall 0.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64_with_seed;

pub use super::sites::{build_set, EvalDoc, SITES};

/// Shingle length.
const SHINGLE: usize = 4;

fn shingles(text: &str) -> HashMap<u64, u32> {
    let toks: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    let mut m = HashMap::new();
    if toks.is_empty() {
        return m;
    }
    let n = SHINGLE.min(toks.len());
    for w in toks.windows(n) {
        let mut h = 0u64;
        for t in w {
            h = xxh3_64_with_seed(t.as_bytes(), h);
        }
        *m.entry(h).or_insert(0) += 1;
    }
    m
}

/// Precision and recall of `pred` against `truth` on 4-token shingles.
pub fn shingle_pr(pred: &str, truth: &str) -> (f64, f64) {
    let p = shingles(pred);
    let t = shingles(truth);
    let np: u32 = p.values().sum();
    let nt: u32 = t.values().sum();
    let tp: u32 = p
        .iter()
        .map(|(k, v)| (*v).min(t.get(k).copied().unwrap_or(0)))
        .sum();
    let precision = if np == 0 { 1.0 } else { tp as f64 / np as f64 };
    let recall = if nt == 0 { 1.0 } else { tp as f64 / nt as f64 };
    (precision, recall)
}

/// Averaged precision and recall over documents.
#[derive(Clone, Copy, Debug, Default)]
pub struct Score {
    /// Documents scored.
    pub docs: usize,
    /// Sum of per-document precision.
    pub precision_sum: f64,
    /// Sum of per-document recall.
    pub recall_sum: f64,
}

impl Score {
    /// Adds one document.
    pub fn add(&mut self, pred: &str, truth: &str) {
        let (p, r) = shingle_pr(pred, truth);
        self.docs += 1;
        self.precision_sum += p;
        self.recall_sum += r;
    }
    /// Mean precision.
    pub fn precision(&self) -> f64 {
        self.precision_sum / self.docs.max(1) as f64
    }
    /// Mean recall.
    pub fn recall(&self) -> f64 {
        self.recall_sum / self.docs.max(1) as f64
    }
    /// Harmonic mean of mean precision and mean recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
}

/// The C4 line filter as a baseline (Raffel et al. 2020, datatrove's `C4QualityFilter` line
/// part): keep lines that end in terminal punctuation, have at least 3 words, and mention
/// neither "javascript" nor a cookie/terms policy.
pub fn c4_line_filter(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let l = line.trim();
        let lower = l.to_lowercase();
        let terminal = l.ends_with(['.', '!', '?', '"', '\u{201d}']);
        let words = l.split_whitespace().count();
        let policy = [
            "terms of use",
            "privacy policy",
            "cookie policy",
            "uses cookies",
            "use of cookies",
            "use cookies",
            "javascript",
        ]
        .iter()
        .any(|p| lower.contains(p));
        if terminal && words >= 3 && !policy {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(l);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shingle_scores() {
        let truth = "The firm said it was unable to estimate the amount it needed to set aside.";
        assert_eq!(shingle_pr(truth, truth), (1.0, 1.0));
        let (p, r) = shingle_pr(
            &format!("Sign up for our free weekly newsletter\n{truth}"),
            truth,
        );
        assert!(p < 1.0 && p > 0.5, "{p}");
        assert_eq!(r, 1.0);
        let (p, r) = shingle_pr("", truth);
        assert_eq!((p, r), (1.0, 0.0));
    }

    #[test]
    fn c4_baseline_drops_unpunctuated_lines() {
        let t = "Share this article\nQuarterly profits at US media giant TimeWarner jumped 76%.\nWe use cookies to improve your experience.";
        assert_eq!(
            c4_line_filter(t),
            "Quarterly profits at US media giant TimeWarner jumped 76%."
        );
    }
}
