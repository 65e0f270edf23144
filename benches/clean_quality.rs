//! Throughput of the `clean::quality` stage on the BBC corpus (normalized article bodies).

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
    let stage = cfg.quality.build().unwrap();
    let mut g = c.benchmark_group("clean::quality");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("bbc", |b| {
        b.iter(|| {
            let mut counters = Counters::default();
            for t in &texts {
                let mut d = Doc::from_text("x", t.as_str());
                d.site = Some("bbc.co.uk".into());
                stage.process(&mut d, &mut counters);
            }
            counters
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
