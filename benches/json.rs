//! Throughput of parsing BBC JSONL lines into `serde_json::Map` (what the reader does per
//! record) and of serializing them back (what the shard writer does).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde_json::{Map, Value};

#[path = "support/bbc.rs"]
mod bbc;

fn bench(c: &mut Criterion) {
    let lines = bbc::lines();
    let bytes: u64 = lines.iter().map(|l| l.len() as u64 + 1).sum();
    let maps: Vec<Map<String, Value>> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let mut g = c.benchmark_group("io::json");
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("parse_map", |b| {
        b.iter(|| {
            let mut n = 0;
            for l in &lines {
                if let Ok(m) = serde_json::from_slice::<Map<String, Value>>(black_box(l.as_bytes()))
                {
                    n += m.len();
                }
            }
            n
        })
    });
    g.bench_function("serialize_map", |b| {
        let mut buf = Vec::with_capacity(1 << 16);
        b.iter(|| {
            let mut n = 0;
            for m in &maps {
                buf.clear();
                if serde_json::to_writer(&mut buf, black_box(m)).is_ok() {
                    n += buf.len();
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
