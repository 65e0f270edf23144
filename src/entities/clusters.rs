//! Word clusters learned from unlabeled text, used as tagger features.
//!
//! A cheap stand-in for Brown clusters: every frequent lowercase word is described by the
//! counts of its left and right neighbours among the most frequent words, the vectors are
//! normalized and grouped with k-means (fine clusters), and the fine centroids are grouped
//! again (coarse clusters). A word's cluster code is `1 << 16 | coarse << 8 | fine`, so the
//! tagger can use both levels. Words that share contexts ("Monday"/"Tuesday",
//! "Ministry"/"Department") share codes, which helps on words the labeled data lacks.
//! The same pass records how often each word is capitalized away from the sentence start
//! (bucketed, stored above [`CAP_SHIFT`]): names are, common words are not, which tells a
//! sentence-initial or headline name from an ordinary word.
//! Deterministic: no random initialization, fixed iteration counts.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::conll::ConllDoc;
use super::features::{hash_str, HashedMap};
use super::tokenize::tokenize;
use crate::Error;

const VOCAB: usize = 20_000;
const CONTEXT: usize = 150;
const FINE: usize = 256;
const COARSE: usize = 24;
const MIN_COUNT: u32 = 3;
/// Bit position of the capitalization bucket in a word's code (below it: the cluster code).
pub const CAP_SHIFT: u32 = 20;

fn lower(w: &str) -> String {
    w.to_lowercase()
}

/// Opens `path` for reading, decompressing it when its name ends in `.zst`.
fn open_text(path: &Path) -> crate::Result<Box<dyn Read>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(if path.to_string_lossy().ends_with(".zst") {
        Box::new(zstd::Decoder::new(file).map_err(|e| Error::io(path, e))?)
    } else {
        Box::new(file)
    })
}

/// Reads plain text, or the `text` field of JSONL records; `.zst` files are decompressed.
fn read_texts(path: &Path, out: &mut Vec<Vec<String>>) -> crate::Result<()> {
    let reader = open_text(path)?;
    let name = path.to_string_lossy();
    let json = name.contains(".jsonl") || name.contains(".json");
    let mut toks = Vec::new();
    for line in BufReader::new(reader).lines() {
        let line = line.map_err(|e| Error::io(path, e))?;
        let text = if json {
            match serde_json::from_str::<serde_json::Value>(&line) {
                Ok(v) => v
                    .get("text")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_string(),
                Err(_) => continue,
            }
        } else {
            line
        };
        for para in text.split('\n') {
            tokenize(para, &mut toks);
            if !toks.is_empty() {
                out.push(
                    toks.iter()
                        .map(|t| para[t.start..t.end].to_string())
                        .collect(),
                );
            }
        }
    }
    Ok(())
}

fn kmeans(vecs: &[Vec<f32>], k: usize, iters: usize) -> (Vec<usize>, Vec<Vec<f32>>) {
    let dim = vecs.first().map_or(0, Vec::len);
    let k = k.min(vecs.len()).max(1);
    // Deterministic spread initialization over the frequency-sorted items.
    let mut cent: Vec<Vec<f32>> = (0..k).map(|c| vecs[c * vecs.len() / k].clone()).collect();
    let mut assign = vec![0usize; vecs.len()];
    for _ in 0..iters {
        for (v, a) in vecs.iter().zip(assign.iter_mut()) {
            let mut best = (f32::NEG_INFINITY, 0);
            for (c, cv) in cent.iter().enumerate() {
                let dot: f32 = v.iter().zip(cv).map(|(x, y)| x * y).sum();
                if dot > best.0 {
                    best = (dot, c);
                }
            }
            *a = best.1;
        }
        let mut sums = vec![vec![0f32; dim]; k];
        for (v, &a) in vecs.iter().zip(&assign) {
            for (s, x) in sums[a].iter_mut().zip(v) {
                *s += x;
            }
        }
        for (c, s) in cent.iter_mut().zip(sums) {
            let norm = s.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > 0.0 {
                *c = s.iter().map(|x| x / norm).collect();
            }
        }
    }
    (assign, cent)
}

/// Learns cluster codes (keyed by the hash of the lowercase word) from the training words and
/// the given unlabeled text files.
pub fn learn(docs: &[ConllDoc], texts: &[PathBuf], verbose: bool) -> crate::Result<HashedMap<u64>> {
    let mut sents: Vec<Vec<String>> = Vec::new();
    for d in docs {
        for s in &d.sentences {
            sents.push(d.words[s.clone()].to_vec());
        }
    }
    for t in texts {
        read_texts(t, &mut sents)?;
    }
    // Capitalization statistics over non-initial positions, then lowercase everything.
    let mut caps: HashMap<String, (u32, u32)> = HashMap::new();
    for s in sents.iter_mut() {
        let upper_sentence = s.iter().all(|w| !w.chars().any(char::is_lowercase));
        for (i, w) in s.iter_mut().enumerate() {
            let l = lower(w);
            if i > 0 && !upper_sentence && w.chars().any(char::is_alphabetic) {
                let c = caps.entry(l.clone()).or_insert((0, 0));
                c.0 += 1;
                c.1 += u32::from(w.starts_with(char::is_uppercase));
            }
            *w = l;
        }
    }
    let mut freq: HashMap<&str, u32> = HashMap::new();
    for s in &sents {
        for w in s {
            *freq.entry(w.as_str()).or_insert(0) += 1;
        }
    }
    let mut vocab: Vec<(&str, u32)> = freq.into_iter().filter(|x| x.1 >= MIN_COUNT).collect();
    vocab.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    vocab.truncate(VOCAB);
    if vocab.len() < 2 * FINE {
        return Ok(HashedMap::default());
    }
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, w)| (w.0, i)).collect();
    let dim = 2 * (CONTEXT + 1);
    let mut counts = vec![0f32; vocab.len() * dim];
    for s in &sents {
        for (i, w) in s.iter().enumerate() {
            let Some(&wi) = index.get(w.as_str()) else {
                continue;
            };
            let ctx = |j: Option<usize>| {
                j.and_then(|j| s.get(j))
                    .and_then(|c| index.get(c.as_str()))
                    .map_or(CONTEXT, |&c| c.min(CONTEXT))
            };
            counts[wi * dim + ctx(i.checked_sub(1))] += 1.0;
            counts[wi * dim + CONTEXT + 1 + ctx(Some(i + 1))] += 1.0;
        }
    }
    let vecs: Vec<Vec<f32>> = counts
        .chunks_exact(dim)
        .map(|c| {
            let v: Vec<f32> = c.iter().map(|x| x.sqrt()).collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
            v.iter().map(|x| x / n).collect()
        })
        .collect();
    let (fine, cent) = kmeans(&vecs, FINE, 12);
    let (coarse, _) = kmeans(&cent, COARSE, 12);
    if verbose {
        eprintln!(
            "clusters: {} words from {} sentences",
            vocab.len(),
            sents.len()
        );
    }
    Ok(vocab
        .iter()
        .zip(&fine)
        .map(|((w, _), &f)| {
            let bucket = match caps.get(*w) {
                None | Some((0, _)) => 5,
                Some(&(n, c)) => {
                    let r = f64::from(c) / f64::from(n);
                    if r < 0.1 {
                        1
                    } else if r < 0.5 {
                        2
                    } else if r < 0.9 {
                        3
                    } else {
                        4
                    }
                }
            };
            let code = 1 << 16 | (coarse[f] as u64) << 8 | f as u64;
            (hash_str(w), bucket << CAP_SHIFT | code)
        })
        .collect())
}

/// Reads the embedding features of words (plain or `.zst`): `word<TAB>fine<TAB>coarse` lines,
/// optionally with a fourth column `bits`, keyed by the hash of the word's lowercase form.
/// Returns the clusters (`fine + 1 | (coarse + 1) << 16`; fine and coarse cluster numbers under
/// 65,535) and the non-zero bit sets: the word's binarized vector in hexadecimal (bit `2d` when
/// dimension `d` is high, `2d + 1` when low). A malformed line is an error naming the file
/// and line.
pub fn read_embeddings(path: &Path) -> crate::Result<(HashedMap<u32>, HashedMap<u128>)> {
    let reader = open_text(path)?;
    let mut map = HashedMap::default();
    let mut bits_map = HashedMap::default();
    for (n, line) in BufReader::new(reader).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split('\t');
        let (Some(word), Some(fine), Some(coarse), bits, None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(Error::Input(format!(
                "{}:{}: expected `word<TAB>fine<TAB>coarse[<TAB>bits]`",
                path.display(),
                n + 1
            )));
        };
        let num = |s: &str| s.parse::<u32>().ok().filter(|&v| v < 0xffff);
        let (Some(fine), Some(coarse)) = (num(fine), num(coarse)) else {
            return Err(Error::Input(format!(
                "{}:{}: cluster numbers must be integers under 65535",
                path.display(),
                n + 1
            )));
        };
        let key = hash_str(&lower(word));
        if let Some(b) = bits {
            let Ok(b) = u128::from_str_radix(b, 16) else {
                return Err(Error::Input(format!(
                    "{}:{}: the fourth column must be a hexadecimal bit set",
                    path.display(),
                    n + 1
                )));
            };
            if b != 0 {
                bits_map.insert(key, b);
            }
        }
        map.insert(key, (fine + 1) | (coarse + 1) << 16);
    }
    Ok((map, bits_map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_clusters_are_read_by_lowercase_form_and_bad_lines_named() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("c.tsv");
        std::fs::write(&good, "london\t3\t0\nParis\t7\t2\t0\nrome\t1\t1\t1a\n").unwrap();
        let (m, bits) = read_embeddings(&good).unwrap();
        assert_eq!(m.get(&hash_str("london")), Some(&(4 | 1 << 16)));
        assert_eq!(m.get(&hash_str("paris")), Some(&(8 | 3 << 16)));
        // The bit sets are optional, and an empty one is not stored.
        assert_eq!(bits.len(), 1);
        assert_eq!(bits.get(&hash_str("rome")), Some(&0x1a));
        for (name, text, what) in [
            ("bad.tsv", "london\t3\t0\nrome\tx\t1\n", "integers"),
            (
                "bits.tsv",
                "london\t3\t0\t0\nrome\t1\t1\tzz\n",
                "hexadecimal",
            ),
            ("cols.tsv", "london\t3\t0\t0\t9\n", "expected"),
        ] {
            let bad = dir.path().join(name);
            std::fs::write(&bad, text).unwrap();
            let e = read_embeddings(&bad).unwrap_err().to_string();
            let line = if name == "cols.tsv" { 1 } else { 2 };
            assert!(
                e.contains(&format!("{name}:{line}")) && e.contains(what),
                "{e}"
            );
        }
    }
}
