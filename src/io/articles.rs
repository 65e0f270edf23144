//! Loading a small article set into memory: the seed articles of `corpusmill gen`, the corpora
//! of the evaluation harnesses and the inputs of benches and tests.
//!
//! Inputs are resolved and opened like pipeline inputs ([`super::source`]: files, folders,
//! globs; codec by magic bytes; a cap on line length). Each line must be a JSON object with a
//! string `text`; `id`, `title` and `category` are used when present. Lines that do not qualify
//! are counted, not fatal. The pipeline itself streams its input and never calls this.

use std::path::Path;

use super::source::{self, Line, LineReader};
use crate::{Error, Result};

/// Longest line read; longer ones count as bad lines (the pipeline's default cap).
const MAX_LINE: usize = 64 << 20;

/// One article.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Article {
    /// The record's `id`, or `PATH:LINE` when it has none.
    pub id: String,
    /// The record's `title` (empty when it has none).
    pub title: String,
    /// The record's `category`, when it has one.
    pub category: Option<String>,
    /// The record's `text`.
    pub text: String,
}

/// What [`load`] read.
#[derive(Clone, Debug, Default)]
pub struct Articles {
    /// Articles in input order.
    pub articles: Vec<Article>,
    /// Lines that were not JSON objects with a string `text` field, or were too long.
    pub bad_lines: u64,
}

/// Loads every article of `inputs` (files, folders or globs, as for the pipeline's
/// `input.paths`), in input order. Blank lines are skipped; a missing input or a read error is
/// an error.
pub fn load<P: AsRef<Path>>(inputs: &[P]) -> Result<Articles> {
    let specs: Vec<String> = inputs
        .iter()
        .map(|p| p.as_ref().to_string_lossy().into_owned())
        .collect();
    let mut out = Articles::default();
    let mut buf = Vec::new();
    for input in source::resolve(&specs)? {
        let (reader, _) = source::open(&input, Default::default())?;
        let mut lines = LineReader::new(reader, MAX_LINE);
        loop {
            buf.clear();
            let line = lines
                .next_line(&mut buf)
                .map_err(|e| Error::io(&input.path, e))?;
            match line {
                Line::Eof => break,
                Line::TooLong { .. } => out.bad_lines += 1,
                Line::Ok { .. } if buf.iter().all(u8::is_ascii_whitespace) => {}
                Line::Ok { .. } => match parse(&buf) {
                    Some(mut a) => {
                        if a.id.is_empty() {
                            a.id = format!("{}:{}", input.display(), lines.line_no);
                        }
                        out.articles.push(a);
                    }
                    None => out.bad_lines += 1,
                },
            }
        }
    }
    Ok(out)
}

/// Parses one record; `None` unless it is an object with a string `text` (id empty if absent).
fn parse(line: &[u8]) -> Option<Article> {
    let serde_json::Value::Object(map) = serde_json::from_slice(line).ok()? else {
        return None;
    };
    let field = |k: &str| map.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    Some(Article {
        text: field("text")?,
        id: field("id").unwrap_or_default(),
        title: field("title").unwrap_or_default(),
        category: field("category"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loads_fields_counts_bad_lines_and_walks_folders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("a.jsonl"),
            "{\"id\":\"x\",\"title\":\"T\",\"category\":\"tech\",\"text\":\"One.\"}\nnot json\n\n{\"title\":\"no text\"}\n[1]\n",
        )
        .unwrap();
        let z = zstd::encode_all(&b"{\"text\":\"Two.\"}\n"[..], 3).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.jsonl.zst"), z).unwrap();
        let got = load(&[dir.path()]).unwrap();
        assert_eq!(got.bad_lines, 3);
        assert_eq!(got.articles.len(), 2);
        let a = &got.articles[0];
        assert_eq!(
            (a.id.as_str(), a.title.as_str(), a.text.as_str()),
            ("x", "T", "One.")
        );
        assert_eq!(a.category.as_deref(), Some("tech"));
        let b = &got.articles[1];
        assert_eq!(b.text, "Two.");
        assert!(b.id.ends_with("b.jsonl.zst:1"), "{}", b.id);
        assert!(b.category.is_none() && b.title.is_empty());
        assert!(load(&[dir.path().join("missing")]).is_err());
    }

    #[test]
    fn loads_the_committed_bbc_fixture() {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bbc-1000.jsonl.zst");
        let got = load(&[p]).unwrap();
        assert_eq!(got.bad_lines, 0);
        assert_eq!(got.articles.len(), 1000);
        assert_eq!(got.articles[0].id, "bbc-business-001");
        assert_eq!(got.articles[0].category.as_deref(), Some("business"));
    }
}
