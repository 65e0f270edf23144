//! Loads the seed articles the generator builds its corpus from.
//!
//! Reads JSONL (plain, zstd or gzip, detected by magic bytes) with at least a `text` field;
//! `title` and `category` are used when present. Articles whose text repeats an earlier
//! one are skipped, so the only duplicates in a generated corpus are the planted ones.

use std::collections::HashSet;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use crate::io::source::{self, Input};
use crate::{Error, Result};

/// One seed article.
#[derive(Clone, Debug)]
pub struct Article {
    /// Title (empty when the record has none).
    pub title: String,
    /// Category (`news` when the record has none).
    pub category: String,
    /// Paragraphs of the text, blank lines removed.
    pub paragraphs: Vec<String>,
}

/// What loading found.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    /// Usable articles, in input order.
    pub articles: Vec<Article>,
    /// Lines that were not JSON objects with a string `text` field.
    pub bad_lines: u64,
    /// Articles skipped because their text repeated an earlier article's.
    pub duplicate_texts: u64,
}

/// Opens `path` through the crate's one decompression entry point (codec by magic bytes).
fn open(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let input = Input {
        path: path.to_path_buf(),
        size: None,
    };
    Ok(source::open(&input, Default::default())?.0)
}

/// Expands directories (their `*.jsonl*` files, sorted) and keeps files as given.
fn expand(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in inputs {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| Error::io(p, e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| {
                    f.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.contains(".jsonl") || n.ends_with(".json"))
                })
                .collect();
            files.sort();
            out.extend(files);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            return Err(Error::Input(format!(
                "{}: no such file or directory (gen.inputs must name JSONL files or folders)",
                p.display()
            )));
        }
    }
    if out.is_empty() {
        return Err(Error::Input(
            "no JSONL files found in gen.inputs (give .jsonl, .jsonl.zst or .jsonl.gz files)"
                .into(),
        ));
    }
    Ok(out)
}

/// Splits text into non-empty paragraphs (one per line; blank lines only separate).
fn paragraphs(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Loads every article from `inputs`.
pub fn load(inputs: &[PathBuf]) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    let mut seen = HashSet::new();
    for path in expand(inputs)? {
        let reader = open(&path)?;
        for line in reader.split(b'\n') {
            let line = line.map_err(|e| Error::io(&path, e))?;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let Ok(serde_json::Value::Object(map)) =
                serde_json::from_slice::<serde_json::Value>(&line)
            else {
                loaded.bad_lines += 1;
                continue;
            };
            let Some(text) = map.get("text").and_then(|v| v.as_str()) else {
                loaded.bad_lines += 1;
                continue;
            };
            let paras = paragraphs(text);
            if paras.is_empty() {
                loaded.bad_lines += 1;
                continue;
            }
            if !seen.insert(xxhash_rust::xxh3::xxh3_64(paras.join("\n").as_bytes())) {
                loaded.duplicate_texts += 1;
                continue;
            }
            let field = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            loaded.articles.push(Article {
                title: field("title").unwrap_or_default(),
                category: field("category").unwrap_or_else(|| "news".into()),
                paragraphs: paras,
            });
        }
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_bbc_and_skips_its_duplicate_texts() {
        let bbc =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc/articles.jsonl.zst");
        if !bbc.exists() {
            return;
        }
        let l = load(&[bbc]).unwrap();
        assert_eq!(l.bad_lines, 0);
        // 2,225 records, about 100 of them exact copies of others.
        assert!(
            l.duplicate_texts > 50 && l.duplicate_texts < 200,
            "{}",
            l.duplicate_texts
        );
        assert_eq!(l.articles.len() as u64 + l.duplicate_texts, 2225);
        let first = &l.articles[0];
        assert_eq!(first.category, "business");
        assert!(first.paragraphs[0].starts_with("Quarterly profits at US media giant"));
    }

    #[test]
    fn counts_bad_lines_and_reads_plain_jsonl() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.jsonl");
        std::fs::write(
            &p,
            "{\"text\":\"One.\\n\\nTwo.\"}\nnot json\n{\"title\":\"no text\"}\n\n",
        )
        .unwrap();
        let l = load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(l.bad_lines, 2);
        assert_eq!(l.articles.len(), 1);
        assert_eq!(l.articles[0].paragraphs, vec!["One.", "Two."]);
        assert!(load(&[dir.path().join("missing")]).is_err());
    }
}
