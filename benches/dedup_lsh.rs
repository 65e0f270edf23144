//! LSH index throughput on the ordered stage: insert + query per document, with one document in
//! ten a near copy (30% of its signature values changed) of an earlier one. Throughput is in
//! documents (criterion prints elements/s). The index keeps ids and band hashes in files in a
//! temporary directory, as in the pipeline.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use corpusmill::dedup::minhash::SplitMix64;
use corpusmill::dedup::near::NearDedupConfig;
use corpusmill::stage::{Candidate, OrderedStage};

const DOCS: usize = 200_000;

fn signatures(n: usize, len: usize) -> Vec<Vec<u32>> {
    let mut rng = SplitMix64(5);
    let mut sigs: Vec<Vec<u32>> = Vec::with_capacity(n);
    for i in 0..n {
        let s = if i > 0 && rng.next_u64() % 10 == 0 {
            let mut s = sigs[(rng.next_u64() % i as u64) as usize].clone();
            for v in s.iter_mut() {
                if rng.next_u64() % 10 < 3 {
                    *v = rng.next_u64() as u32;
                }
            }
            s
        } else {
            (0..len).map(|_| rng.next_u64() as u32).collect()
        };
        sigs.push(s);
    }
    sigs
}

fn run(config: &NearDedupConfig, sigs: &[Vec<u32>], ids: &[String]) -> f64 {
    let dir = std::env::temp_dir().join(format!("dedup-lsh-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut index = config.build_index_in(&dir).expect("config");
    for (seq, (s, id)) in sigs.iter().zip(ids).enumerate() {
        black_box(
            index
                .decide(&Candidate {
                    seq: seq as u64,
                    id,
                    exact_key: None,
                    minhash: Some(s),
                })
                .expect("within budget"),
        );
    }
    index.bytes_per_doc()
}

fn bench(c: &mut Criterion) {
    let config = NearDedupConfig::default();
    let sigs = signatures(DOCS, config.signature_len());
    let ids: Vec<String> = (0..DOCS).map(|i| format!("bbc-business-{i:06}")).collect();
    eprintln!(
        "dedup::lsh: {:.0} index bytes per kept document after {DOCS} documents",
        run(&config, &sigs, &ids)
    );
    let mut g = c.benchmark_group("dedup::lsh");
    g.throughput(Throughput::Elements(DOCS as u64));
    g.sample_size(10);
    g.bench_function("insert_query_200k", |b| {
        b.iter(|| run(&config, &sigs, &ids))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
