//! Throughput of zstd decode (read side: decompress + split lines) and encode (shard write side)
//! on the BBC JSONL, using the zstd crate the io module uses. Bytes are uncompressed bytes.

use std::io::{BufRead, Write};

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
    let mut g = c.benchmark_group("io::zstd");
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function("decode_lines", |b| {
        b.iter(|| {
            let Ok(dec) = zstd::stream::read::Decoder::new(black_box(compressed.as_slice())) else {
                return 0;
            };
            let mut r = std::io::BufReader::with_capacity(1 << 20, dec);
            let mut line = Vec::with_capacity(1 << 16);
            let mut n = 0;
            while r.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                n += 1;
                line.clear();
            }
            n
        })
    });
    for level in [1, 3] {
        g.bench_function(format!("encode_level{level}"), |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(raw.len() / 2);
                if let Ok(mut enc) = zstd::stream::write::Encoder::new(&mut out, level) {
                    let _ = enc.write_all(black_box(&raw));
                    let _ = enc.finish();
                }
                out.len()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
