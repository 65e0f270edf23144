//! Exact deduplication: a 128-bit XXH3 hash of the cleaned, normalized text computed on the
//! workers ([`ExactKey`]), and an ordered index that keeps the first document with each hash
//! ([`ExactIndex`]). Memory: 16 bytes of key plus the kept document's id per distinct document.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::hash::BuildXx;
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

/// A 128-bit key stored as two `u64`s: 8-byte aligned, so a map entry with an 8-byte handle
/// takes 24 bytes instead of 32.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Key128(u64, u64);

impl std::hash::Hash for Key128 {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0 ^ self.1);
    }
}

/// Ordered-side index: first seen wins.
///
/// Memory: the map holds the 16-byte key (as two `u64`s, so an entry is 24 bytes rather than
/// the 32 a 16-byte-aligned `u128` would take) and an 8-byte handle per distinct text, plus one
/// control byte and the table's spare capacity. The kept documents' ids live in an [`IdLog`], on disk in the
/// pipeline, and are read back only when a duplicate names them.
#[derive(Debug)]
pub struct ExactIndex {
    /// The keys, split by their top bits over [`PARTS`] maps: each map grows on its own, so
    /// a resize briefly holds 1/64 of the index twice instead of all of it.
    seen: Vec<HashMap<Key128, u64, BuildXx>>,
    ids: IdLog,
}

/// Number of independently growing maps in [`ExactIndex`].
const PARTS: usize = 64;

impl Default for ExactIndex {
    fn default() -> Self {
        ExactIndex::new()
    }
}

impl ExactIndex {
    /// An empty index keeping ids in memory.
    pub fn new() -> ExactIndex {
        ExactIndex::with_log(IdLog::memory())
    }

    /// An empty index keeping ids in the given log.
    pub fn with_log(ids: IdLog) -> ExactIndex {
        ExactIndex {
            seen: (0..PARTS).map(|_| HashMap::with_hasher(BuildXx)).collect(),
            ids,
        }
    }

    /// Number of distinct texts seen.
    pub fn len(&self) -> usize {
        self.seen.iter().map(HashMap::len).sum()
    }

    /// True when nothing was seen yet.
    pub fn is_empty(&self) -> bool {
        self.seen.iter().all(HashMap::is_empty)
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
        let k = Key128(k as u64, (k >> 64) as u64);
        let part = &mut self.seen[(k.1 >> 58) as usize % PARTS];
        match part.get(&k) {
            Some(&handle) => Ok(Decision::Remove(Duplicate {
                duplicate_of: self.ids.get(handle)?,
                kind: "exact",
                similarity: Some(1.0),
            })),
            None => {
                let handle = self.ids.push(doc.id)?;
                part.insert(k, handle);
                Ok(Decision::Keep)
            }
        }
    }
}

/// An append-only log of document ids addressed by 64-bit handles (40-bit offset, 24-bit
/// length), kept in memory or in a file so that memory does not grow with the ids.
#[derive(Debug)]
pub struct IdLog {
    store: IdStore,
    len: u64,
}

#[derive(Debug)]
enum IdStore {
    Memory(Vec<u8>),
    File {
        path: std::path::PathBuf,
        writer: std::io::BufWriter<std::fs::File>,
        dirty: bool,
    },
}

const LEN_BITS: u32 = 24;

impl IdLog {
    /// A log in memory.
    pub fn memory() -> IdLog {
        IdLog {
            store: IdStore::Memory(Vec::new()),
            len: 0,
        }
    }

    /// A log in a new file at `path` (removed when the log is dropped).
    pub fn file(path: &std::path::Path) -> crate::Result<IdLog> {
        let f = super::scratch_file(path)?;
        Ok(IdLog {
            store: IdStore::File {
                path: path.to_path_buf(),
                writer: std::io::BufWriter::with_capacity(64 << 10, f),
                dirty: false,
            },
            len: 0,
        })
    }

    /// Appends an id and returns its handle. Ids longer than 16 MiB are cut (at a character
    /// boundary) in the log.
    pub fn push(&mut self, id: &str) -> crate::Result<u64> {
        let mut n = id.len().min((1 << LEN_BITS) - 1);
        while !id.is_char_boundary(n) {
            n -= 1;
        }
        let bytes = &id.as_bytes()[..n];
        match &mut self.store {
            IdStore::Memory(v) => v.extend_from_slice(bytes),
            IdStore::File {
                path,
                writer,
                dirty,
            } => {
                std::io::Write::write_all(writer, bytes)
                    .map_err(|e| crate::Error::io(&*path, e))?;
                *dirty = true;
            }
        }
        let handle = (self.len << LEN_BITS) | n as u64;
        self.len += n as u64;
        Ok(handle)
    }

    /// The id behind a handle.
    pub fn get(&mut self, handle: u64) -> crate::Result<String> {
        let (off, n) = (
            handle >> LEN_BITS,
            (handle & ((1 << LEN_BITS) - 1)) as usize,
        );
        let bytes = match &mut self.store {
            IdStore::Memory(v) => v
                .get(off as usize..off as usize + n)
                .unwrap_or_default()
                .to_vec(),
            IdStore::File {
                path,
                writer,
                dirty,
            } => {
                use std::os::unix::fs::FileExt;
                if *dirty {
                    std::io::Write::flush(writer).map_err(|e| crate::Error::io(&*path, e))?;
                    *dirty = false;
                }
                let mut buf = vec![0u8; n];
                writer
                    .get_ref()
                    .read_exact_at(&mut buf, off)
                    .map_err(|e| crate::Error::io(&*path, e))?;
                buf
            }
        };
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl Drop for IdLog {
    fn drop(&mut self) {
        if let IdStore::File { path, .. } = &self.store {
            let _ = std::fs::remove_file(path);
        }
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
    fn id_log_on_disk_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ids");
        let mut log = IdLog::file(&path).unwrap();
        let a = log.push("first-id").unwrap();
        let b = log.push("second é").unwrap();
        assert_eq!(log.get(b).unwrap(), "second é");
        let c = log.push("third").unwrap();
        assert_eq!(log.get(a).unwrap(), "first-id");
        assert_eq!(log.get(c).unwrap(), "third");
        drop(log);
        assert!(!path.exists());
    }

    #[test]
    fn key_is_stable() {
        // Pinned so a change of hash or seed (which would change shard-independent dedup keys
        // users may have stored) is noticed.
        assert_eq!(key("hello"), key("hello"));
        assert_ne!(key("hello"), key("hello "));
    }
}
