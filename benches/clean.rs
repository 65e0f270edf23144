//! Throughput of the cleaning stages (`clean::lines`, `clean::repeated`, `clean::quality`,
//! `clean::lang`) on the BBC corpus: normalized article bodies, as the pipeline hands them on.

use corpusmill::config::Config;
use corpusmill::doc::Doc;
use corpusmill::stage::{Counters, Stage};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/bbc.rs"]
mod support;

/// One group timing a per-document stage over every document.
fn stage(c: &mut Criterion, group: &str, stage: &dyn Stage, docs: &[Doc], bytes: usize) {
    let mut g = c.benchmark_group(group);
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("bbc", |b| {
        b.iter(|| {
            let mut counters = Counters::default();
            for d in docs {
                let mut d = d.clone();
                stage.process(&mut d, &mut counters);
            }
            counters
        })
    });
    g.finish();
}

fn repeated(c: &mut Criterion, docs: &[Doc], bytes: usize) {
    let cfg = Config::default();
    let mut g = c.benchmark_group("clean::repeated");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("prescan_observe", |b| {
        b.iter(|| {
            let mut counter = cfg.repeated_lines.counter().unwrap();
            for d in docs {
                counter.observe(d);
            }
            counter.entries()
        })
    });
    // Every document observed 10 times with no fraction threshold, so every line is site
    // boilerplate and the main pass rebuilds every text (the slow path).
    let mut heavy = cfg.repeated_lines.clone();
    heavy.min_fraction = 0.0;
    let mut counter = heavy.counter().unwrap();
    for _ in 0..10 {
        for d in docs {
            counter.observe(d);
        }
    }
    let stage = counter.finish().unwrap();
    g.bench_function("process_all_removed", |b| {
        b.iter(|| {
            let mut counters = Counters::default();
            for d in docs {
                let mut d = d.clone();
                stage.process(&mut d, &mut counters);
            }
            counters
        })
    });
    g.finish();
}

fn bench(c: &mut Criterion) {
    let cfg = Config::default();
    let norm = cfg.normalize.build().unwrap();
    let docs: Vec<Doc> = support::texts()
        .iter()
        .map(|t| {
            let mut d = Doc::from_text("x", norm.normalize(t));
            d.site = Some("bbc.co.uk".into());
            d
        })
        .collect();
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    stage(
        c,
        "clean::lines",
        &cfg.line_rules.build().unwrap(),
        &docs,
        bytes,
    );
    repeated(c, &docs, bytes);
    stage(
        c,
        "clean::quality",
        &cfg.quality.build().unwrap(),
        &docs,
        bytes,
    );
    stage(c, "clean::lang", &cfg.lang.build().unwrap(), &docs, bytes);
}

criterion_group!(benches, bench);
criterion_main!(benches);
