//! Near-duplicate quality on the BBC set with planted copies and quoting documents.
//!
//! ```text
//! cargo run --release --example near_eval -- [articles.jsonl.zst] [bands rows fps sketch threshold]...
//! cargo run --release --example near_eval -- [articles.jsonl.zst] --speed [bands rows fps sketch]
//! cargo run --release --example near_eval -- [articles.jsonl.zst] --curve
//! ```
//!
//! Prints recall of planted copies, the share of removals that are justified (true word-5-gram
//! Jaccard ≥ 0.6 with `duplicate_of`), the share of quoting documents kept and the index size,
//! for the default config and for each extra `bands rows fingerprints sketch_size threshold` given
//! (threshold 0 turns verification off). `--speed` measures signature MB/s and LSH
//! decisions/s on one core (CPU time of the thread, minus the time to build the synthetic records) instead, with and
//! without `expected_docs`, with the index's id and band-hash
//! logs in a temporary directory as in the pipeline; `--curve` prints the default S-curve.

use corpusmill::dedup::near::NearDedupConfig;
use corpusmill::harness::near::{build_corpus, evaluate, CorpusSpec, SyntheticRecords};

/// CPU time of this thread in seconds (Linux), so speed is measured per core even on a busy
/// machine; falls back to wall time elsewhere.
fn cpu_seconds(wall: std::time::Instant) -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or_else(|| wall.elapsed().as_secs_f64(), |ns| ns / 1e9)
}

/// Signature MB/s per core and LSH decisions per second, single-threaded.
fn speed(
    articles: &[(String, String)],
    config: &NearDedupConfig,
) -> Result<(), Box<dyn std::error::Error>> {
    let signer = config.build_signer()?;
    let bytes: usize = articles.iter().map(|(_, t)| t.len()).sum();
    let rounds = 20;
    let start = std::time::Instant::now();
    let t0 = cpu_seconds(start);
    let mut sigs = Vec::new();
    for _ in 0..rounds {
        sigs.clear();
        sigs.extend(articles.iter().map(|(_, t)| signer.signature(t)));
    }
    let cpu = cpu_seconds(start) - t0;
    println!(
        "signature: {:.1} MB/s per core (CPU time; {:.1} MB/s wall), {} MB signed",
        (bytes * rounds) as f64 / 1e6 / cpu,
        (bytes * rounds) as f64 / 1e6 / start.elapsed().as_secs_f64(),
        bytes * rounds / 1_000_000
    );
    // LSH: 1M synthetic records, one in ten a near copy (see `SyntheticRecords`).
    let n = 1_000_000usize;
    let recs = SyntheticRecords::new(n, config.signature_len(), config.sketch_size);
    let ids: Vec<String> = (0..n).map(|i| format!("bbc-business-{i:07}")).collect();
    // The cost of materializing the records, subtracted from the index's time below.
    let start = std::time::Instant::now();
    let t0 = cpu_seconds(start);
    let mut acc = 0u32;
    let mut buf = Vec::new();
    for i in 0..n {
        recs.record_into(i, &mut buf);
        acc ^= buf[0];
    }
    let gen = cpu_seconds(start) - t0;
    std::hint::black_box(acc);
    for expected in [0, n] {
        let config = NearDedupConfig {
            expected_docs: expected as u64,
            ..config.clone()
        };
        let dir = std::env::temp_dir().join(format!("near-eval-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let mut index = config.build_index_in(&dir)?;
        let start = std::time::Instant::now();
        let t0 = cpu_seconds(start);
        let removed = recs.decide_all(&mut index, &ids)?;
        let cpu = cpu_seconds(start) - t0 - gen;
        println!(
            "lsh (expected_docs {expected}): {:.0}K documents/s (CPU time; {:.0}K/s wall), {n} \
             documents, {removed} removed, {} kept, {:.0} index bytes per kept document, {:.0} MB; {} bytes per kept document on disk",
            n as f64 / cpu / 1e3,
            n as f64 / start.elapsed().as_secs_f64() / 1e3,
            index.len(),
            index.bytes_per_doc(),
            index.memory_bytes() as f64 / 1e6,
            index.disk_bytes_per_doc()
        );
        drop(index);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/bbc/articles.jsonl.zst".into());
    let rest: Vec<String> = args.collect();
    let articles: Vec<(String, String)> = corpusmill::io::articles::load(&[&path])?
        .articles
        .into_iter()
        .map(|a| (a.id, a.text))
        .collect();
    if rest.first().map(String::as_str) == Some("--speed") {
        let mut config = NearDedupConfig::default();
        if let [_, b, r, f, k] = &rest[..] {
            config.bands = b.parse()?;
            config.rows = r.parse()?;
            config.fingerprints = f.parse()?;
            config.sketch_size = k.parse()?;
        }
        return speed(&articles, &config);
    }
    if rest.first().map(String::as_str) == Some("--curve") {
        let c = NearDedupConfig::default();
        for s in [0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9] {
            println!(
                "J {s:.2}: candidate {:.4} removed {:.4}",
                corpusmill::dedup::near::candidate_probability(s, c.bands, c.rows),
                corpusmill::dedup::near::removal_probability(
                    s,
                    c.bands,
                    c.rows,
                    c.fingerprints,
                    c.sketch_size,
                    Some(c.verify_threshold)
                )
            );
        }
        return Ok(());
    }
    let mut configs = vec![NearDedupConfig::default()];
    for t in rest.chunks(5) {
        if let [b, r, f, k, th] = t {
            let th: f64 = th.parse()?;
            configs.push(NearDedupConfig {
                bands: b.parse()?,
                rows: r.parse()?,
                fingerprints: f.parse()?,
                sketch_size: k.parse()?,
                verify: th > 0.0,
                verify_threshold: th,
                ..NearDedupConfig::default()
            });
        }
    }
    for seed in [42u64, 7] {
        let docs = build_corpus(
            &articles,
            &CorpusSpec {
                seed,
                ..CorpusSpec::default()
            },
        );
        for c in &configs {
            let r = evaluate(&docs, c)?;
            println!(
                "seed {seed} bands {} rows {} fps {} sketch {} verify {}: docs {} pairs {} recall {:.4} \
                 (pairs with J>=0.6: {} recall {:.4}) removals {} justified {:.4} \
                 quoting kept {}/{} = {:.4} sim MAE {:.3} index {:.0} B/doc",
                c.bands,
                c.rows,
                c.fingerprints,
                c.sketch_size,
                if c.verify { c.verify_threshold } else { 0.0 },
                r.docs,
                r.pairs,
                r.recall,
                r.pairs_similar,
                r.recall_similar,
                r.removals,
                r.justified,
                (r.quoting_kept * r.quoting as f64).round(),
                r.quoting,
                r.quoting_kept,
                r.similarity_mae,
                r.bytes_per_doc
            );
            let buckets: Vec<String> = r
                .recall_by_change
                .iter()
                .map(|(lo, n, rec)| format!("{:.0}%:{n}/{rec:.3}", lo * 100.0))
                .collect();
            println!("  recall by words changed: {}", buckets.join(" "));
            println!(
                "  unjustified removals by true Jaccard (0.0-0.1 .. 0.5-0.6): {:?}",
                r.unjustified_by_similarity
            );
        }
    }
    Ok(())
}
