//! Turns the seed articles into what the generator builds its corpus from.
//!
//! Reading is the library's ([`corpusmill::io::articles::load`]: files, folders or globs, any
//! codec, `text` required, `title` and `category` used when present). Here each text is split
//! into paragraphs, and articles whose text repeats an earlier one are skipped, so the only
//! duplicates in a generated corpus are the planted ones.

use std::collections::HashSet;
use std::path::PathBuf;

use corpusmill::io::articles;
use corpusmill::Result;

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
    /// Lines that were not JSON objects with a non-blank string `text` field.
    pub bad_lines: u64,
    /// Articles skipped because their text repeated an earlier article's.
    pub duplicate_texts: u64,
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
    let read = articles::load(inputs)?;
    let mut loaded = Loaded {
        bad_lines: read.bad_lines,
        ..Default::default()
    };
    let mut seen = HashSet::new();
    for a in read.articles {
        let paras = paragraphs(&a.text);
        if paras.is_empty() {
            loaded.bad_lines += 1;
            continue;
        }
        if !seen.insert(xxhash_rust::xxh3::xxh3_64(paras.join("\n").as_bytes())) {
            loaded.duplicate_texts += 1;
            continue;
        }
        loaded.articles.push(Article {
            title: a.title,
            category: a.category.unwrap_or_else(|| "news".into()),
            paragraphs: paras,
        });
    }
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn loads_the_bbc_fixture_and_skips_its_duplicate_texts() {
        let bbc = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bbc-1000.jsonl.zst");
        let l = load(&[bbc]).unwrap();
        assert_eq!(l.bad_lines, 0);
        // 1,000 records, 30 of them exact copies of earlier ones.
        assert_eq!(l.duplicate_texts, 30);
        assert_eq!(l.articles.len() as u64 + l.duplicate_texts, 1000);
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
            "{\"text\":\"One.\\n\\nTwo.\"}\nnot json\n{\"title\":\"no text\"}\n{\"text\":\" \\n\"}\n\n",
        )
        .unwrap();
        let l = load(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(l.bad_lines, 3);
        assert_eq!(l.articles.len(), 1);
        assert_eq!(l.articles[0].paragraphs, vec!["One.", "Two."]);
        assert_eq!(l.articles[0].category, "news");
        assert!(load(&[dir.path().join("missing")]).is_err());
    }
}
