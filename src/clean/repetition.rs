//! Gopher repetition measures (Rae et al. 2021, table A1), used by [`super::quality`].
//!
//! Duplicate lines and paragraphs (share of elements and of characters), the character share
//! of the most frequent 2-, 3- and 4-gram, and the character share of duplicated 5- to 10-grams
//! (counted as datatrove does: after a repeated n-gram the scan skips past it). Lines,
//! paragraphs, words and n-grams are compared by xxh3 hashes; lengths are UTF-8 bytes, so the
//! shares equal character shares on ASCII text and are close to them elsewhere.

use std::collections::{HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::hash::BuildXx;

/// Fixed seed (determinism).
const SEED: u64 = 0x6f70_6865_7200_0001;

/// Duplicate elements and their bytes among `parts` (first occurrences excluded).
pub fn duplicates<'a>(parts: impl Iterator<Item = &'a str>) -> (usize, usize, usize) {
    duplicates_in(&mut Scratch::default(), parts)
}

/// Reusable hash tables for the measures of one document (saves an allocation per measure).
#[derive(Debug, Default)]
pub struct Scratch {
    counts: HashMap<u64, (u32, u32), BuildXx>,
    seen: HashSet<u64, BuildXx>,
}

impl Scratch {
    /// The empty count table, with room for `n` entries.
    fn counts(&mut self, n: usize) -> &mut HashMap<u64, (u32, u32), BuildXx> {
        self.counts.clear();
        self.counts.reserve(n);
        &mut self.counts
    }

    /// The empty set, with room for `n` entries.
    fn seen(&mut self, n: usize) -> &mut HashSet<u64, BuildXx> {
        self.seen.clear();
        self.seen.reserve(n);
        &mut self.seen
    }
}

/// [`duplicates`] with reused tables.
pub fn duplicates_in<'a>(
    scratch: &mut Scratch,
    parts: impl Iterator<Item = &'a str>,
) -> (usize, usize, usize) {
    let seen = scratch.seen(64);
    let (mut total, mut dups, mut dup_bytes) = (0, 0, 0);
    for p in parts {
        if p.is_empty() {
            continue;
        }
        total += 1;
        if !seen.insert(xxh3_64_with_seed(p.as_bytes(), SEED)) {
            dups += 1;
            dup_bytes += p.len();
        }
    }
    (total, dups, dup_bytes)
}

/// Final mixing of a word's FNV-1a state, so n-gram hashes built from word hashes stay
/// well spread.
#[inline]
pub fn finish_word_hash(h: u64) -> u64 {
    let h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Words of a text as (hash, byte length), hashed as [`super::quality`] does.
pub fn words(text: &str) -> Vec<(u64, u32)> {
    text.split_ascii_whitespace()
        .map(|w| {
            let h = w.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
                (h ^ c as u64).wrapping_mul(0x0000_0100_0000_01b3)
            });
            (finish_word_hash(h), w.len() as u32)
        })
        .collect()
}

#[inline]
fn combine(h: u64, w: u64) -> u64 {
    (h.rotate_left(23) ^ w).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Hash and byte length (words joined by single spaces) of the n-gram starting at `i`.
#[inline]
fn ngram(words: &[(u64, u32)], i: usize, n: usize) -> (u64, usize) {
    let mut h = n as u64;
    let mut len = n - 1;
    for &(wh, wl) in &words[i..i + n] {
        h = combine(h, wh);
        len += wl as usize;
    }
    (h, len)
}

/// Longest n-gram in bytes (words joined by single spaces).
pub fn max_ngram_len(words: &[(u64, u32)], n: usize) -> usize {
    if words.len() < n {
        return 0;
    }
    let mut sum: usize = words[..n].iter().map(|w| w.1 as usize).sum();
    let mut best = sum;
    for i in n..words.len() {
        sum = sum + words[i].1 as usize - words[i - n].1 as usize;
        best = best.max(sum);
    }
    best + n - 1
}

/// Bytes covered by the most frequent n-gram (count × length), or 0 when no n-gram repeats.
pub fn top_ngram_bytes(words: &[(u64, u32)], n: usize) -> usize {
    top_ngram(words, n).0
}

/// [`top_ngram_bytes`] and the highest n-gram count. The most frequent (n+1)-gram occurs at
/// most that many times, which lets callers skip larger n.
pub fn top_ngram(words: &[(u64, u32)], n: usize) -> (usize, usize) {
    top_ngram_in(&mut Scratch::default(), words, n)
}

/// [`top_ngram`] with reused tables.
pub fn top_ngram_in(scratch: &mut Scratch, words: &[(u64, u32)], n: usize) -> (usize, usize) {
    if words.len() < n * 2 {
        return (0, 1);
    }
    let counts = scratch.counts(words.len());
    let mut best = (1u32, 0usize);
    for i in 0..=words.len() - n {
        let (h, len) = ngram(words, i, n);
        let e = counts.entry(h).or_insert((0, len as u32));
        e.0 += 1;
        let c = e.0;
        if c > best.0 || (c == best.0 && c > 1 && len > best.1) {
            best = (c, e.1 as usize);
        }
    }
    if best.0 < 2 {
        (0, 1)
    } else {
        (best.0 as usize * best.1, best.0 as usize)
    }
}

/// Bytes of duplicated n-grams (datatrove's `find_all_duplicate`: words joined without spaces,
/// the scan jumps past a repeated n-gram).
pub fn dup_ngram_bytes(words: &[(u64, u32)], n: usize) -> usize {
    dup_ngram_bytes_in(&mut Scratch::default(), words, n)
}

/// [`dup_ngram_bytes`] with reused tables.
pub fn dup_ngram_bytes_in(scratch: &mut Scratch, words: &[(u64, u32)], n: usize) -> usize {
    if words.len() < n + 1 {
        return 0;
    }
    let seen = scratch.seen(words.len());
    let mut i = 0;
    let mut bytes = 0;
    while i + n <= words.len() {
        let (h, len) = ngram(words, i, n);
        if seen.contains(&h) {
            bytes += len - (n - 1);
            i += n;
        } else {
            seen.insert(h);
            i += 1;
        }
    }
    bytes
}

/// Upper bound on [`dup_ngram_bytes`] for every n in `5..=max_n`: the bytes of the union of
/// `max_n`-word windows starting at positions whose 5-gram occurred earlier. A repeated n-gram
/// (n ≥ 5) starts at such a position, so when the bound is under every threshold the exact
/// scans can be skipped.
pub fn dup_ngram_bound(words: &[(u64, u32)], max_n: usize) -> usize {
    dup_ngram_bound_in(&mut Scratch::default(), words, max_n)
}

/// [`dup_ngram_bound`] with reused tables.
pub fn dup_ngram_bound_in(scratch: &mut Scratch, words: &[(u64, u32)], max_n: usize) -> usize {
    const N: usize = 5;
    if words.len() < N + 1 {
        return 0;
    }
    let seen = scratch.seen(words.len());
    let mut covered_to = 0usize;
    let mut bytes = 0usize;
    for i in 0..=words.len() - N {
        let (h, _) = ngram(words, i, N);
        if !seen.insert(h) {
            let end = (i + max_n).min(words.len());
            for w in &words[i.max(covered_to)..end] {
                bytes += w.1 as usize;
            }
            covered_to = covered_to.max(end);
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_lines_are_counted_once_each() {
        let (t, d, b) = duplicates("a b\nc\na b\n\na b".split('\n'));
        assert_eq!((t, d, b), (4, 2, 6));
    }

    #[test]
    fn top_ngram_and_dup_ngrams_on_spam() {
        let spam = "buy cheap pills now buy cheap pills now buy cheap pills now";
        let w = words(spam);
        // Every bigram occurs 3 times; the longest, "cheap pills" (11 bytes), is reported.
        assert_eq!(top_ngram_bytes(&w, 2), 33);
        assert!(dup_ngram_bytes(&w, 5) > 0);
        assert!(dup_ngram_bound(&w, 10) >= dup_ngram_bytes(&w, 5));
        let prose = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three months to December.";
        let w = words(prose);
        assert_eq!(top_ngram_bytes(&w, 2), 0);
        assert_eq!(dup_ngram_bytes(&w, 5), 0);
        assert_eq!(dup_ngram_bound(&w, 10), 0);
    }
}
