//! MinHash signature throughput (bytes of text per second, one thread) on the BBC articles:
//! the default signer (128 values and a 256-value bottom-k sketch), the signature alone, and
//! the shingle hashing alone.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use corpusmill::dedup::minhash::for_each_shingle_hash;
use corpusmill::dedup::near::NearDedupConfig;

#[path = "support/bbc.rs"]
mod support;

fn bench(c: &mut Criterion) {
    let texts = support::texts();
    let bytes: usize = texts.iter().map(String::len).sum();
    let signer = NearDedupConfig::default()
        .build_signer()
        .expect("default config");
    let plain = NearDedupConfig {
        sketch_size: 0,
        ..NearDedupConfig::default()
    }
    .build_signer()
    .expect("config without sketch");
    let mut g = c.benchmark_group("dedup::minhash");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("signature_128_sketch_256", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(signer.signature(black_box(t)));
            }
        })
    });
    g.bench_function("signature_128", |b| {
        b.iter(|| {
            for t in &texts {
                black_box(plain.signature(black_box(t)));
            }
        })
    });
    g.bench_function("shingles_only", |b| {
        b.iter(|| {
            let mut acc = 0u64;
            for t in &texts {
                for_each_shingle_hash(black_box(t), 5, |h| acc ^= h);
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
