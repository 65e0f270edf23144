//! Shared input for the criterion benches: the real BBC articles, decompressed once.
//!
//! Included with `#[path]` from each bench file (criterion benches are separate crates).

use std::io::BufRead;
use std::path::{Path, PathBuf};

/// The full BBC set (2,225 articles) next to the repository; benches run on no input without it.
fn path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc/articles.jsonl.zst")
}

/// Uncompressed JSONL lines of the BBC set (empty when the shared data is not there).
#[allow(dead_code)]
pub fn lines() -> Vec<String> {
    let p = path();
    let Ok(f) = std::fs::File::open(&p) else {
        eprintln!("{}: missing; benches run on no input", p.display());
        return Vec::new();
    };
    let Ok(dec) = zstd::stream::read::Decoder::new(f) else {
        return Vec::new();
    };
    std::io::BufReader::new(dec)
        .lines()
        .map_while(Result::ok)
        .filter(|l| !l.trim().is_empty())
        .collect()
}

/// The `text` fields of the BBC set, read by the library's article loader (empty when the
/// shared data is not there).
#[allow(dead_code)]
pub fn texts() -> Vec<String> {
    match corpusmill::io::articles::load(&[path()]) {
        Ok(a) => a.articles.into_iter().map(|a| a.text).collect(),
        Err(e) => {
            eprintln!("{e}; benches run on no input");
            Vec::new()
        }
    }
}
