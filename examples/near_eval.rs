//! Near-duplicate quality on the BBC set with planted copies and quoting documents.
//!
//! ```text
//! cargo run --release --example near_eval -- [articles.jsonl.zst] [bands rows threshold]...
//! ```
//!
//! Prints recall of planted copies, the share of removals that are justified (true word-5-gram
//! Jaccard ≥ 0.6 with `duplicate_of`), the share of quoting documents kept and the index size,
//! for the default config and for each extra `bands rows threshold` triple given.

use corpusmill::dedup::eval::{build_corpus, evaluate, load_articles, CorpusSpec};
use corpusmill::dedup::near::NearDedupConfig;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "../shared/data/bbc/articles.jsonl.zst".into());
    let rest: Vec<String> = args.collect();
    let articles = load_articles(std::path::Path::new(&path))?;
    let mut configs = vec![NearDedupConfig::default()];
    for t in rest.chunks(3) {
        if let [b, r, th] = t {
            let th: f64 = th.parse()?;
            configs.push(NearDedupConfig {
                bands: b.parse()?,
                rows: r.parse()?,
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
                "seed {seed} bands {} rows {} verify {}: docs {} pairs {} recall {:.4} \
                 (pairs with J>=0.6: {} recall {:.4}) removals {} justified {:.4} \
                 quoting kept {}/{} = {:.4} sim MAE {:.3} index {:.0} B/doc",
                c.bands,
                c.rows,
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
