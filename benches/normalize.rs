//! Throughput of `clean::normalize::Normalize::normalize` on the BBC article texts, and on the
//! same texts with HTML entities, CRLF and odd spaces planted so the slow paths run too.

use corpusmill::clean::normalize::Normalize;
use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

#[path = "support/bbc.rs"]
mod bbc;

fn bench(c: &mut Criterion) {
    let texts = bbc::texts();
    let dirty: Vec<String> = texts
        .iter()
        .map(|t| {
            t.replace("\n", "\r\n")
                .replacen(" the ", " the&nbsp;", 3)
                .replacen("'", "&#8217;", 2)
                .replacen(", ", ",\u{a0} ", 4)
        })
        .collect();
    let n = Normalize::default();
    let mut g = c.benchmark_group("clean::normalize");
    for (name, set) in [("bbc_clean", &texts), ("bbc_dirty", &dirty)] {
        g.throughput(Throughput::Bytes(set.iter().map(|t| t.len() as u64).sum()));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut total = 0;
                for t in set.iter() {
                    total += n.normalize(black_box(t)).len();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
