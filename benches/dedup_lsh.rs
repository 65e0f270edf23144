//! LSH index throughput on the ordered stage: insert + query per document, with one document in
//! ten a near copy of an earlier one (`corpusmill::harness::near::SyntheticRecords`: 30% of its
//! signature values and 18% of its sketch changed). Throughput is in documents (criterion
//! prints elements/s). The index keeps ids, band hashes and sketches in files in a temporary
//! directory, as in the pipeline, and each document is announced (`OrderedStage::prepare`)
//! before the previous one is decided, as the pipeline's ordered stage does. Cases: 200K and
//! 1M documents with the table growing as needed (no pre-scan: stdin input, or the
//! repeated-lines stage off), 1M with `expected_docs` = 1M (the table sized up front, as
//! `corpusmill run` does by default from the pre-scan's document count), and 1M without
//! sketches (`sketch_size = 0`, fingerprint verification only).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use corpusmill::dedup::near::NearDedupConfig;
use corpusmill::harness::near::SyntheticRecords;

fn run(config: &NearDedupConfig, recs: &SyntheticRecords, ids: &[String]) -> f64 {
    let dir = std::env::temp_dir().join(format!("dedup-lsh-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut index = config.build_index_in(&dir).expect("config");
    black_box(recs.decide_all(&mut index, ids).expect("within budget"));
    index.bytes_per_doc()
}

fn bench(c: &mut Criterion) {
    let ids: Vec<String> = (0..1_000_000)
        .map(|i| format!("bbc-business-{i:07}"))
        .collect();
    let default = NearDedupConfig::default();
    let cases = [
        ("insert_query_200k", 200_000, default.clone()),
        ("insert_query_1m", 1_000_000, default.clone()),
        (
            "insert_query_1m_expected_docs",
            1_000_000,
            NearDedupConfig {
                expected_docs: 1_000_000,
                ..default.clone()
            },
        ),
        (
            "insert_query_1m_no_sketch",
            1_000_000,
            NearDedupConfig {
                sketch_size: 0,
                verify_threshold: 0.65,
                ..default.clone()
            },
        ),
    ];
    let mut g = c.benchmark_group("dedup::lsh");
    g.sample_size(10);
    for (name, n, config) in cases {
        let recs = SyntheticRecords::new(n, config.signature_len(), config.sketch_size);
        eprintln!(
            "dedup::lsh/{name}: {:.0} index bytes per kept document after {n} documents",
            run(&config, &recs, &ids)
        );
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(name, |b| b.iter(|| run(&config, &recs, &ids)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
