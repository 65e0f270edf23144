//! Read side (`io::source`: codec detection, zstd decode, line framing into a batch buffer) and
//! write side (`io::writer`: zstd shard writer with SHA-256) on the BBC JSONL. Throughput counts
//! uncompressed bytes.

use std::sync::Arc;

use corpusmill::io::source::{open_reader, Line, LineReader};
use corpusmill::io::writer::JsonlWriter;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/bbc.rs"]
mod bbc;

fn bench(c: &mut Criterion) {
    let mut raw = Vec::new();
    for l in bbc::lines() {
        raw.extend_from_slice(l.as_bytes());
        raw.push(b'\n');
    }
    let compressed = zstd::encode_all(raw.as_slice(), 3).unwrap_or_default();

    let mut g = c.benchmark_group("io::source");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function("read_zstd_lines", |b| {
        b.iter(|| {
            let cursor = std::io::Cursor::new(compressed.clone());
            let Ok((r, _)) = open_reader(Box::new(cursor), Arc::default()) else {
                return 0;
            };
            let mut lines = LineReader::new(r, 64 << 20);
            let mut buf = Vec::with_capacity(1 << 20);
            let mut n = 0u64;
            while let Ok(Line::Ok { .. } | Line::TooLong { .. }) = lines.next_line(&mut buf) {
                n += 1;
                if buf.len() > 1 << 20 {
                    buf.clear();
                }
            }
            black_box(n)
        })
    });
    g.finish();

    let dir = std::env::temp_dir().join(format!("corpusmill-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut g = c.benchmark_group("io::writer");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    for level in [1, 3] {
        // Times the writes only: the final fsync and rename happen once per shard in a run.
        g.bench_function(format!("shard_zstd_level_{level}"), |b| {
            b.iter_custom(|iters| {
                let Ok(mut w) = JsonlWriter::create(&dir, "bench.jsonl.zst", level) else {
                    return std::time::Duration::ZERO;
                };
                let start = std::time::Instant::now();
                for _ in 0..iters {
                    for chunk in raw.chunks(256 << 10) {
                        let _ = w.write_raw(black_box(chunk), 1);
                    }
                }
                let t = start.elapsed();
                w.abandon();
                t
            })
        });
    }
    g.finish();
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, bench);
criterion_main!(benches);
