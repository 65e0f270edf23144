//! Scores a `corpusmill run` on a corpus made by `corpusmill gen` against the corpus's
//! `truth.jsonl`: how many planted near-copy pairs reach the dedup stage (neither document
//! rejected by cleaning), near-duplicate recall among those, and how many near removals are
//! justified (true word-5-gram Jaccard, digits kept, of the two documents' texts, at least 0.6).
//!
//! The texts are compared as cleaned. With a third argument, a run of the same corpus with
//! `--disable near_dedup`, they are that run's output texts: the pipeline's full cleaning,
//! including the per-site boilerplate that `repeated_lines` removes (planted copies sit on
//! other sites, with other headers and footers, than their originals). Without it they are
//! cleaned here by unwrap → normalize → line rules only, which leaves that boilerplate in and
//! so understates the similarity of copies on different sites.
//!
//! ```text
//! corpusmill gen --input SEED.jsonl --size 106MB --output corpus
//! corpusmill run --input corpus --output out --disable entities
//! corpusmill run --input corpus --output reference --disable entities --disable near_dedup
//! cargo run --release --example planted_eval -- corpus out reference
//! ```

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};

use corpusmill::config::Config;
use corpusmill::dedup::minhash::{jaccard, shingle_set_with};

fn lines(path: &std::path::Path) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let f = std::fs::File::open(path)?;
    let r: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "zst") {
        Box::new(zstd::Decoder::new(f)?)
    } else {
        Box::new(f)
    };
    Ok(BufReader::new(r).lines().collect::<Result<_, _>>()?)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(corpus), Some(out)) = (args.get(1), args.get(2)) else {
        return Err("usage: planted_eval CORPUS_DIR OUTPUT_DIR [REFERENCE_DIR]".into());
    };
    // Texts as the pipeline cleaned them, from a run without near dedup (its shards hold every
    // document that was neither rejected nor an exact copy).
    let mut reference: HashMap<String, String> = HashMap::new();
    if let Some(dir) = args.get(3) {
        let mut parts: Vec<_> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                let n = p.file_name().unwrap_or_default().to_string_lossy();
                n.starts_with("part-") && n.ends_with(".jsonl.zst")
            })
            .collect();
        parts.sort();
        if parts.is_empty() {
            return Err(format!("no part-*.jsonl.zst in reference {dir}").into());
        }
        for p in &parts {
            for l in lines(p)? {
                let v: serde_json::Value = serde_json::from_str(&l)?;
                let id = v["id"].as_str().unwrap_or_default().to_string();
                reference.insert(id, v["text"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    let corpus = std::path::Path::new(corpus);
    let out = std::path::Path::new(out);
    let mut texts: HashMap<String, String> = HashMap::new();
    let mut shards: Vec<_> = std::fs::read_dir(corpus)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".jsonl.zst"))
        .collect();
    shards.sort();
    for s in &shards {
        for l in lines(s)? {
            let v: serde_json::Value = serde_json::from_str(&l)?;
            let id = v["id"].as_str().unwrap_or_default().to_string();
            texts.insert(id, v["text"].as_str().unwrap_or_default().to_string());
        }
    }
    let mut pairs = Vec::new();
    for l in lines(&corpus.join("truth.jsonl"))? {
        let v: serde_json::Value = serde_json::from_str(&l)?;
        if v["kind"] == "near" {
            let id = v["id"].as_str().unwrap_or_default().to_string();
            let of = v["of"].as_str().unwrap_or_default().to_string();
            pairs.push((id, of));
        }
    }
    let rejected: HashSet<String> = lines(&out.join("rejected.jsonl.zst"))?
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect();
    let mut dups: HashMap<String, (String, String)> = HashMap::new();
    for l in lines(&out.join("duplicates.jsonl.zst"))? {
        let v: serde_json::Value = serde_json::from_str(&l)?;
        let id = v["id"].as_str().unwrap_or_default().to_string();
        let of = v["duplicate_of"].as_str().unwrap_or_default().to_string();
        let kind = v["kind"].as_str().unwrap_or_default().to_string();
        dups.insert(id, (of, kind));
    }

    let cfg = Config::default();
    let unwrap = cfg.unwrap.build()?;
    let norm = cfg.normalize.build()?;
    let rules = cfg.line_rules.build()?;
    let cleaned = |id: &str| -> String {
        if let Some(t) = reference.get(id) {
            return t.clone();
        }
        let t = texts.get(id).map(String::as_str).unwrap_or("");
        let mut s = Default::default();
        let t = unwrap.unwrap(t, &mut s).unwrap_or_else(|| t.to_string());
        let t = norm.normalize(&t);
        let mut counts = [0u64; corpusmill::clean::lines::RULES.len()];
        rules.clean(&t, &mut counts).unwrap_or(t)
    };
    let sim = |a: &str, b: &str| {
        jaccard(
            &shingle_set_with(&cleaned(a), 5, true),
            &shingle_set_with(&cleaned(b), 5, true),
        )
    };

    let (mut reach, mut found, mut reach06, mut found06) = (0, 0, 0, 0);
    for (id, of) in &pairs {
        if rejected.contains(id) || rejected.contains(of) {
            continue;
        }
        reach += 1;
        let hit = dups.contains_key(id) || dups.contains_key(of);
        found += usize::from(hit);
        if sim(id, of) >= 0.6 {
            reach06 += 1;
            found06 += usize::from(hit);
        }
    }
    let (mut near, mut justified) = (0, 0);
    for (id, (of, kind)) in &dups {
        if kind == "near" {
            near += 1;
            justified += usize::from(sim(id, of) >= 0.6);
        }
    }
    println!(
        "planted near pairs {}: reach dedup {} ({:.1}%); recall {:.4}; among true J>=0.6 ({}): recall {:.4}; near removals {} justified {:.4}; rejected docs {}; texts {}",
        pairs.len(),
        reach,
        100.0 * reach as f64 / pairs.len().max(1) as f64,
        found as f64 / reach.max(1) as f64,
        reach06,
        found06 as f64 / reach06.max(1) as f64,
        near,
        justified as f64 / near.max(1) as f64,
        rejected.len(),
        if reference.is_empty() {
            "line-cleaned here"
        } else {
            "from the reference run"
        }
    );
    Ok(())
}
