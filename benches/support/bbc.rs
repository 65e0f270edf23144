//! Shared input for the criterion benches: the real BBC articles, decompressed once.
//!
//! Included with `#[path]` from each bench file (criterion benches are separate crates).

use std::io::BufRead;
use std::path::Path;

/// Uncompressed JSONL lines of the BBC set (empty when the shared data is not there).
pub fn lines() -> Vec<String> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/bbc/articles.jsonl.zst");
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

/// The `text` fields of the BBC set.
#[allow(dead_code)]
pub fn texts() -> Vec<String> {
    lines()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .collect()
}
