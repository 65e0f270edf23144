//! Quality evaluation of near-duplicate removal on a synthetic corpus with known answers.
//!
//! [`build_corpus`] takes real articles (the BBC set in `examples/near_eval.rs`, the fixture
//! `tests/data/bbc-1000.jsonl.zst` in the tests), keeps most as originals, plants mutated near
//! copies of some (words recased, inserted, deleted and substituted; a span rewritten, often the
//! first line; a sentence dropped; boilerplate lines added) and builds "quoting" documents from held-out articles that share one
//! or two paragraphs with an original (these must stay). Everything is driven by a seeded
//! [`SplitMix64`], so a seed gives the same corpus on every machine. [`evaluate`] runs the
//! signer and index as the pipeline does (signatures in parallel, decisions in input order) and
//! measures recall, the share of removals whose true word-5-gram Jaccard similarity with their
//! `duplicate_of` document is at least 0.6, and how many must-stay documents stayed.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::dedup::lsh::LshIndex;
use crate::dedup::minhash::{jaccard, shingle_set};
use crate::dedup::near::NearDedupConfig;
use crate::rng::SplitMix64;
use crate::stage::{Candidate, Decision, OrderedStage};

/// Jaccard similarity (word 5-grams) at or above which a removal counts as justified.
pub const JUSTIFIED: f64 = 0.6;

/// What a corpus document is.
#[derive(Clone, Debug, PartialEq)]
pub enum EvalKind {
    /// A real article.
    Original,
    /// A mutated copy of the document at index `of`, with the share of its words changed.
    Copy {
        /// Index of the original in the corpus.
        of: usize,
        /// Share of the original's words recased, edited or dropped.
        changed: f64,
    },
    /// A held-out article that quotes paragraphs of the document at index `quotes`: must stay.
    Quoting {
        /// Index of the quoted original in the corpus.
        quotes: usize,
    },
}

/// One document of the evaluation corpus.
#[derive(Clone, Debug)]
pub struct EvalDoc {
    /// Unique id.
    pub id: String,
    /// Text.
    pub text: String,
    /// Ground truth.
    pub kind: EvalKind,
}

/// How to build the corpus.
#[derive(Clone, Debug)]
pub struct CorpusSpec {
    /// RNG seed.
    pub seed: u64,
    /// Share of articles held out as quoting documents (default 0.15).
    pub held_out: f64,
    /// Share of originals that get near copies (default 0.5).
    pub copied: f64,
    /// Most copies of one original (1..=max, default 3).
    pub max_copies: usize,
    /// Smallest share of words changed in a copy (default 0.04).
    pub min_change: f64,
    /// Largest share of words changed in a copy (default 0.15).
    pub max_change: f64,
}

impl Default for CorpusSpec {
    fn default() -> Self {
        CorpusSpec {
            seed: 42,
            held_out: 0.15,
            copied: 0.5,
            max_copies: 3,
            min_change: 0.04,
            max_change: 0.15,
        }
    }
}

/// Boilerplate lines a syndicating site adds.
const BOILERPLATE: &[&str] = &[
    "Share this article on Facebook Twitter Email",
    "Copyright 2005 Associated Newspapers Ltd. All rights reserved.",
    "Advertisement",
    "Follow us on Twitter for the latest business news",
    "Sign up for our daily newsletter",
    "This story was first published by a partner news agency.",
    "Related: More stories from our world desk",
    "Click here to read the full story and comment.",
];

/// Paragraphs of words.
fn paragraphs(text: &str) -> Vec<Vec<String>> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().map(String::from).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

fn join(paras: &[Vec<String>]) -> String {
    paras
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.join(" "))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A mutated copy of `text` with about `p` of its words changed; returns the copy and the share
/// of words actually changed. `donor` supplies replacement words.
pub fn mutate(text: &str, donor: &str, p: f64, rng: &mut SplitMix64) -> (String, f64) {
    let mut paras = paragraphs(text);
    let total: usize = paras.iter().map(Vec::len).sum();
    let donor: Vec<&str> = donor.split_whitespace().collect();
    if total == 0 || donor.is_empty() {
        return (text.to_string(), 0.0);
    }
    let budget = ((p * total as f64).round() as usize).max(1);
    let mut changed = 0usize;
    let pick = |rng: &mut SplitMix64, paras: &Vec<Vec<String>>| -> (usize, usize) {
        let mut k = rng.below(paras.iter().map(Vec::len).sum::<usize>().max(1));
        for (i, para) in paras.iter().enumerate() {
            if k < para.len() {
                return (i, k);
            }
            k -= para.len();
        }
        (0, 0)
    };
    // A sentence dropped (a third of copies), counted as changed words.
    if rng.below(3) == 0 && paras.len() > 2 {
        let i = 1 + rng.below(paras.len() - 1);
        let para = &mut paras[i];
        let ends: Vec<usize> = para
            .iter()
            .enumerate()
            .filter(|(_, w)| w.ends_with(['.', '!', '?']))
            .map(|(j, _)| j + 1)
            .collect();
        if let Some(&end) = ends.first() {
            if end < para.len() && end <= budget {
                para.drain(..end);
                changed += end;
            }
        }
    }
    let rest = budget.saturating_sub(changed);
    // A third of the rest: one rewritten span, at the start half of the time (a new first line).
    let span = rest / 3;
    if span > 0 {
        let (pi, wi) = if rng.below(2) == 0 {
            (0, 0)
        } else {
            pick(rng, &paras)
        };
        let start = rng.below(donor.len());
        let para = &mut paras[pi];
        let end = (wi + span).min(para.len());
        for (k, j) in (wi..end).enumerate() {
            para[j] = donor[(start + k) % donor.len()].to_string();
        }
        changed += end - wi;
    }
    // A third: scattered single-word edits (insert, delete, substitute).
    for _ in 0..rest / 3 {
        let (pi, wi) = pick(rng, &paras);
        let w = donor[rng.below(donor.len())].to_string();
        match rng.below(3) {
            0 => paras[pi].insert(wi, w),
            1 if paras[pi].len() > 1 => {
                paras[pi].remove(wi);
            }
            _ => paras[pi][wi] = w,
        }
        changed += 1;
    }
    // The rest: recased words (free after normalization, but changed words to a reader).
    for _ in 0..rest - 2 * (rest / 3) {
        let (pi, wi) = pick(rng, &paras);
        let Some(w) = paras[pi].get_mut(wi) else {
            continue;
        };
        *w = if rng.below(2) == 0 {
            w.to_uppercase()
        } else {
            w.to_lowercase()
        };
        changed += 1;
    }
    // Boilerplate lines (seven copies in ten), not counted as changed words.
    if rng.below(10) < 7 {
        for _ in 0..1 + rng.below(3) {
            let line: Vec<String> = BOILERPLATE[rng.below(BOILERPLATE.len())]
                .split_whitespace()
                .map(String::from)
                .collect();
            if rng.below(2) == 0 {
                paras.insert(0, line);
            } else {
                paras.push(line);
            }
        }
    }
    (join(&paras), changed as f64 / total as f64)
}

/// Builds the evaluation corpus from real articles (exact duplicates among them are skipped).
pub fn build_corpus(articles: &[(String, String)], spec: &CorpusSpec) -> Vec<EvalDoc> {
    let mut rng = SplitMix64::new(spec.seed);
    let mut seen = std::collections::HashSet::new();
    let unique: Vec<&(String, String)> = articles
        .iter()
        .filter(|(_, t)| seen.insert(crate::dedup::exact::key(t)))
        .collect();
    let mut docs = Vec::new();
    let mut held = Vec::new();
    for a in &unique {
        if rng.unit() < spec.held_out {
            held.push(*a);
        } else {
            docs.push(EvalDoc {
                id: a.0.clone(),
                text: a.1.clone(),
                kind: EvalKind::Original,
            });
        }
    }
    let n_orig = docs.len();
    for i in 0..n_orig {
        if rng.unit() >= spec.copied {
            continue;
        }
        for c in 0..1 + rng.below(spec.max_copies.max(1)) {
            let p = spec.min_change + rng.unit() * (spec.max_change - spec.min_change);
            let donor = &docs[rng.below(n_orig)].text;
            let (text, changed) = mutate(&docs[i].text, donor, p, &mut rng);
            docs.push(EvalDoc {
                id: format!("{}~copy{c}", docs[i].id),
                text,
                kind: EvalKind::Copy { of: i, changed },
            });
        }
    }
    for (k, (id, text)) in held.iter().enumerate() {
        let mut paras = paragraphs(text);
        let q = rng.below(n_orig);
        let quoted = paragraphs(&docs[q].text);
        if quoted.is_empty() || paras.is_empty() {
            continue;
        }
        for _ in 0..1 + rng.below(2) {
            let at = rng.below(paras.len() + 1);
            paras.insert(at, quoted[rng.below(quoted.len())].clone());
        }
        docs.push(EvalDoc {
            id: format!("{id}~quotes{k}"),
            text: join(&paras),
            kind: EvalKind::Quoting { quotes: q },
        });
    }
    // Input order: a seeded shuffle, with each copy placed after its original half the time.
    let mut order: Vec<usize> = (0..docs.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.below(i + 1));
    }
    let mut pos = vec![0usize; docs.len()];
    for (p, &d) in order.iter().enumerate() {
        pos[d] = p;
    }
    let remap = |i: usize| pos[i];
    let mut out: Vec<Option<EvalDoc>> = vec![None; docs.len()];
    for (i, mut d) in docs.into_iter().enumerate() {
        d.kind = match d.kind {
            EvalKind::Copy { of, changed } => EvalKind::Copy {
                of: remap(of),
                changed,
            },
            EvalKind::Quoting { quotes } => EvalKind::Quoting {
                quotes: remap(quotes),
            },
            k => k,
        };
        out[pos[i]] = Some(d);
    }
    out.into_iter().flatten().collect()
}

/// Measured quality.
#[derive(Clone, Debug, Default)]
pub struct EvalReport {
    /// Documents in the corpus.
    pub docs: usize,
    /// Planted (original, copy) pairs.
    pub pairs: usize,
    /// Share of pairs where exactly one of the two survives.
    pub recall: f64,
    /// Pairs whose true Jaccard similarity is at least [`JUSTIFIED`], and their recall.
    pub pairs_similar: usize,
    /// Recall over `pairs_similar`.
    pub recall_similar: f64,
    /// Documents removed.
    pub removals: usize,
    /// Share of removals with true Jaccard ≥ [`JUSTIFIED`] to their `duplicate_of`.
    pub justified: f64,
    /// Quoting documents (must stay) and the share that stayed.
    pub quoting: usize,
    /// Share of quoting documents kept.
    pub quoting_kept: f64,
    /// Mean absolute error of the reported similarity against the true Jaccard similarity.
    pub similarity_mae: f64,
    /// Index bytes per kept document at the end.
    pub bytes_per_doc: f64,
    /// Unjustified removals by true Jaccard similarity, in buckets of 0.1 (0–0.1, ..., 0.5–0.6).
    pub unjustified_by_similarity: [usize; 6],
    /// `(changed-words bucket lower bound, pairs, recall)` for buckets of 2%.
    pub recall_by_change: Vec<(f64, usize, f64)>,
}

/// Runs near dedup over `docs` in order (signatures on `threads` rayon threads, 0 = all) and
/// returns the decisions and the final index.
pub fn decide_all(
    docs: &[EvalDoc],
    config: &NearDedupConfig,
    threads: usize,
) -> crate::Result<(Vec<Decision>, LshIndex)> {
    let signer = config.build_signer()?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| crate::Error::Internal(e.to_string()))?;
    let sigs: Vec<Option<Box<[u32]>>> =
        pool.install(|| docs.par_iter().map(|d| signer.signature(&d.text)).collect());
    let mut index = config.build_index()?;
    let decisions = docs
        .iter()
        .zip(&sigs)
        .enumerate()
        .map(|(seq, (d, s))| {
            index.decide(&Candidate {
                seq: seq as u64,
                id: &d.id,
                exact_key: None,
                minhash: s.as_deref(),
            })
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Ok((decisions, index))
}

/// Evaluates `config` on `docs`.
pub fn evaluate(docs: &[EvalDoc], config: &NearDedupConfig) -> crate::Result<EvalReport> {
    let (decisions, index) = decide_all(docs, config, 0)?;
    let mut r = evaluate_decisions(docs, &decisions);
    r.bytes_per_doc = index.bytes_per_doc();
    Ok(r)
}

/// Scores decisions made by any means (one per document of `docs`, in order; the distributed
/// plan's come from its `duplicates.jsonl.zst`), as [`evaluate`] does; `bytes_per_doc` is 0.
pub fn evaluate_decisions(docs: &[EvalDoc], decisions: &[Decision]) -> EvalReport {
    let by_id: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let sets: Vec<Vec<u64>> = docs.par_iter().map(|d| shingle_set(&d.text, 5)).collect();
    let removed: Vec<bool> = decisions
        .iter()
        .map(|d| matches!(d, Decision::Remove(_)))
        .collect();
    // The planted group (original index) of every document, to judge removals within a group.
    let group: Vec<usize> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| match d.kind {
            EvalKind::Copy { of, .. } => of,
            _ => i,
        })
        .collect();
    let removed_into_group = |i: usize| match &decisions[i] {
        Decision::Remove(dup) => by_id
            .get(dup.duplicate_of.as_str())
            .is_some_and(|&k| group[k] == group[i]),
        _ => false,
    };
    let mut r = EvalReport {
        docs: docs.len(),
        ..EvalReport::default()
    };
    let (mut hit, mut hit_sim) = (0usize, 0usize);
    let mut buckets: Vec<(usize, usize)> = vec![(0, 0); 16];
    for (i, d) in docs.iter().enumerate() {
        match d.kind {
            EvalKind::Copy { of, changed } => {
                r.pairs += 1;
                // Exactly one of the pair survives; with several copies of one original, both
                // may go when each was removed as a duplicate of another member of the group.
                let ok = removed[i] != removed[of]
                    || (removed[i] && removed_into_group(i) && removed_into_group(of));
                hit += usize::from(ok);
                if jaccard(&sets[i], &sets[of]) >= JUSTIFIED {
                    r.pairs_similar += 1;
                    hit_sim += usize::from(ok);
                }
                let b = ((changed * 50.0) as usize).min(15);
                buckets[b].0 += 1;
                buckets[b].1 += usize::from(ok);
            }
            EvalKind::Quoting { .. } => {
                r.quoting += 1;
                r.quoting_kept += f64::from(u8::from(!removed[i]));
            }
            EvalKind::Original => {}
        }
    }
    let (mut just, mut err) = (0usize, 0.0);
    for (i, dec) in decisions.iter().enumerate() {
        if let Decision::Remove(dup) = dec {
            r.removals += 1;
            let of = by_id.get(dup.duplicate_of.as_str()).copied().unwrap_or(i);
            let truth = jaccard(&sets[i], &sets[of]);
            if truth >= JUSTIFIED {
                just += 1;
            } else {
                let b = ((truth * 10.0) as usize).min(5);
                r.unjustified_by_similarity[b] += 1;
            }
            err += (dup.similarity.unwrap_or(0.0) - truth).abs();
        }
    }
    let share = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    r.recall = share(hit, r.pairs);
    r.recall_similar = share(hit_sim, r.pairs_similar);
    r.justified = share(just, r.removals);
    r.similarity_mae = if r.removals == 0 {
        0.0
    } else {
        err / r.removals as f64
    };
    r.quoting_kept = if r.quoting == 0 {
        1.0
    } else {
        r.quoting_kept / r.quoting as f64
    };
    r.recall_by_change = buckets
        .iter()
        .enumerate()
        .filter(|(_, (n, _))| *n > 0)
        .map(|(b, &(n, h))| (b as f64 / 50.0, n, share(h, n)))
        .collect();
    r
}

/// Synthetic `minhash` records (signature then bottom-k sketch) for measuring the index's
/// speed at millions of documents without holding them all: one document in ten is a near
/// copy of an earlier one (30% of its signature values and 18% of its sketch replaced: an
/// estimated Jaccard similarity of about 0.7), the rest are unrelated. Records are built from a pool of
/// at most 1,024 random ones (small enough to stay in cache, so the records cost little to
/// build), each document xoring its signature values with its own key so
/// that no two unrelated documents share a band.
#[derive(Clone, Debug)]
pub struct SyntheticRecords {
    sig: usize,
    k: usize,
    /// Pool records, then their near-copy variants (`2 × pool` records).
    pool: Vec<u32>,
    pool_len: usize,
    /// Per document: pool record, xor key, near copy or not.
    docs: Vec<(u32, u32, bool)>,
}

impl SyntheticRecords {
    /// `n` documents with signatures of `sig` values and sketches of `k` (fixed seed).
    pub fn new(n: usize, sig: usize, k: usize) -> SyntheticRecords {
        let mut rng = SplitMix64::new(9);
        let pool_len = n.clamp(1, 1024);
        let rec = sig + k;
        let mut pool = vec![0u32; 2 * pool_len * rec];
        let (orig, copies) = pool.split_at_mut(pool_len * rec);
        for (o, c) in orig.chunks_exact_mut(rec).zip(copies.chunks_exact_mut(rec)) {
            o[..sig].iter_mut().for_each(|v| *v = rng.next_u64() as u32);
            // A sketch of a document with about 500 shingles: small sorted ranks.
            let top = (u64::from(u32::MAX) * k as u64 / 500) as u32;
            let mut sk: Vec<u32> = (0..k).map(|_| (rng.next_u64() as u32) % top).collect();
            sk.sort_unstable();
            o[sig..].copy_from_slice(&sk);
            for (d, &v) in c[..sig].iter_mut().zip(&o[..sig]) {
                *d = if rng.below(10) < 3 {
                    rng.next_u64() as u32
                } else {
                    v
                };
            }
            // 18% of the sketch replaced: Jaccard 0.82 / 1.18, about 0.7 like the signature.
            for v in sk.iter_mut() {
                if rng.below(100) < 18 {
                    *v = (rng.next_u64() as u32) % top;
                }
            }
            sk.sort_unstable();
            c[sig..].copy_from_slice(&sk);
        }
        let mut docs: Vec<(u32, u32, bool)> = Vec::with_capacity(n);
        for i in 0..n {
            if i > 0 && rng.below(10) == 0 {
                let (p, x, _) = docs[rng.below(i)];
                docs.push((p, x, true));
            } else {
                docs.push((rng.below(pool_len) as u32, rng.next_u64() as u32 | 1, false));
            }
        }
        SyntheticRecords {
            sig,
            k,
            pool,
            pool_len,
            docs,
        }
    }

    /// Number of documents.
    pub fn len(&self) -> usize {
        self.docs.len()
    }

    /// True when there is no document.
    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Feeds every document to `index` in order, with ids from `ids` (at least
    /// [`SyntheticRecords::len`] of them), announcing each document
    /// ([`OrderedStage::prepare`]) before the previous one is decided, as the pipeline's
    /// ordered stage does. Returns the number of documents removed.
    pub fn decide_all(&self, index: &mut dyn OrderedStage, ids: &[String]) -> crate::Result<usize> {
        let n = self.len().min(ids.len());
        let (mut cur, mut next) = (Vec::new(), Vec::new());
        let mut removed = 0;
        if n > 0 {
            self.record_into(0, &mut cur);
        }
        for seq in 0..n {
            if seq + 1 < n {
                self.record_into(seq + 1, &mut next);
                index.prepare(&Candidate {
                    seq: seq as u64 + 1,
                    id: &ids[seq + 1],
                    exact_key: None,
                    minhash: Some(&next),
                });
            }
            let d = index.decide(&Candidate {
                seq: seq as u64,
                id: &ids[seq],
                exact_key: None,
                minhash: Some(&cur),
            })?;
            removed += usize::from(matches!(d, Decision::Remove(_)));
            std::mem::swap(&mut cur, &mut next);
        }
        Ok(removed)
    }

    /// Writes the record of document `i` into `out`.
    pub fn record_into(&self, i: usize, out: &mut Vec<u32>) {
        let (p, x, copy) = self.docs[i];
        let rec = self.sig + self.k;
        let at = (p as usize + if copy { self.pool_len } else { 0 }) * rec;
        let src = &self.pool[at..at + rec];
        out.clear();
        out.extend(src[..self.sig].iter().map(|&v| v ^ x));
        out.extend_from_slice(&src[self.sig..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BBC: &str =
        "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) \
        for the three months to December, from $639m year-earlier.\n\nThe firm, which is now one \
        of the biggest investors in Google, benefited from sales of high-speed internet \
        connections and higher advert sales. TimeWarner said fourth quarter sales rose 2% to \
        $11.1bn from $10.9bn.\n\nIts profits were buoyed by one-off gains which offset a profit \
        dip at Warner Bros, and less users for AOL.";

    const DONOR: &str = "The dollar has hit its highest level against the euro in almost three \
        months after the Federal Reserve head said the US trade deficit is set to stabilise.";

    #[test]
    fn mutation_is_seeded_and_changes_about_the_asked_share() {
        let (a, ca) = mutate(BBC, DONOR, 0.1, &mut SplitMix64::new(1));
        let (b, cb) = mutate(BBC, DONOR, 0.1, &mut SplitMix64::new(1));
        assert_eq!((a.as_str(), ca), (b.as_str(), cb));
        assert!((0.05..=0.2).contains(&ca), "{ca}");
        assert_ne!(a, BBC);
        let j = jaccard(&shingle_set(BBC, 5), &shingle_set(&a, 5));
        assert!(j > 0.3 && j < 1.0, "{j}");
    }
}
