//! Throughput of the `clean::repeated` stage on the BBC corpus (normalized article bodies).

use std::io::Read;

use corpusmill::config::Config;
use corpusmill::doc::Doc;
use corpusmill::stage::{Counters, Stage};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bbc() -> Vec<String> {
    let path = std::env::var("CORPUSMILL_BBC")
        .unwrap_or_else(|_| "../shared/data/bbc/articles.jsonl.zst".into());
    let mut raw = String::new();
    let Ok(f) = std::fs::File::open(&path) else {
        eprintln!("{path} not found: set CORPUSMILL_BBC");
        return Vec::new();
    };
    zstd::Decoder::new(f)
        .and_then(|mut d| d.read_to_string(&mut raw))
        .ok();
    let norm = Config::default().normalize.build().unwrap();
    raw.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| norm.normalize(v["text"].as_str().unwrap_or("")))
        .collect()
}

fn bench(c: &mut Criterion) {
    let texts = bbc();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let cfg = Config::default();
    let docs: Vec<Doc> = texts
        .iter()
        .map(|t| {
            let mut d = Doc::from_text("x", t.as_str());
            d.site = Some("bbc.co.uk".into());
            d
        })
        .collect();
    let mut g = c.benchmark_group("clean::repeated");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("prescan_observe", |b| {
        b.iter(|| {
            let mut counter = cfg.repeated_lines.counter().unwrap();
            for d in &docs {
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
        for d in &docs {
            counter.observe(d);
        }
    }
    let stage = counter.finish().unwrap();
    g.bench_function("process_all_removed", |b| {
        b.iter(|| {
            let mut counters = Counters::default();
            for d in &docs {
                let mut d = d.clone();
                stage.process(&mut d, &mut counters);
            }
            counters
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
