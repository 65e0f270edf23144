//! Throughput of the entity stage on real BBC articles: tokenizer alone, patterns + tokenizer,
//! and the full stage (tokenize, split, two-pass NER, patterns, code-point offsets).
//! Prints the token count so MB/s converts to tokens/s.

use corpusmill::entities::tokenize::tokenize;
use corpusmill::entities::{Buffers, EntitiesConfig};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/bbc.rs"]
mod support;

fn bench(c: &mut Criterion) {
    let texts: Vec<String> = support::texts().into_iter().take(400).collect();
    let bytes: usize = texts.iter().map(String::len).sum();
    let mut toks = Vec::new();
    let tokens: usize = texts
        .iter()
        .map(|t| {
            tokenize(t, &mut toks);
            toks.len()
        })
        .sum();
    eprintln!(
        "entities bench: {} docs, {bytes} bytes, {tokens} tokens",
        texts.len()
    );
    let full = EntitiesConfig::default().build().expect("stage");
    let patterns_only = EntitiesConfig {
        ner: false,
        ..EntitiesConfig::default()
    }
    .build()
    .expect("stage");
    let mut g = c.benchmark_group("entities");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("tokenize", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                tokenize(t, &mut toks);
                n += toks.len();
            }
            n
        })
    });
    let mut buf = Buffers::default();
    let mut out = Vec::new();
    g.bench_function("patterns", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                patterns_only.find(t, &mut buf, &mut out);
                n += out.len();
            }
            n
        })
    });
    g.bench_function("stage", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                n += full.extract(t, &mut buf).len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
