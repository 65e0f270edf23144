//! Throughput of the cleaning stages (`clean::unwrap`, `clean::lines`, `clean::repeated`,
//! `clean::quality`, `clean::lang`) on the BBC corpus: normalized article bodies, as the
//! pipeline hands them on (paragraph reconstruction runs before normalization, so it gets the
//! bodies as read, and the same bodies hard-wrapped at 60-75 columns).

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

/// Greedy wrap at `width` columns with indented paragraph starts, as wire archives store text.
fn hard_wrap(text: &str, width: usize) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for p in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        let mut cols = 4;
        out.push_str("    ");
        let mut fresh = true;
        for w in p.split_whitespace() {
            let n = w.chars().count();
            if !fresh && cols + 1 + n > width {
                out.push('\n');
                cols = 0;
                fresh = true;
            }
            if !fresh {
                out.push(' ');
                cols += 1;
            }
            out.push_str(w);
            cols += n;
            fresh = false;
        }
        out.push('\n');
    }
    out
}

fn unwrap(c: &mut Criterion) {
    let stage = Config::default().unwrap.build().unwrap();
    let raw: Vec<String> = support::texts();
    let wrapped: Vec<String> = raw
        .iter()
        .enumerate()
        .map(|(i, t)| hard_wrap(t, 60 + i % 16))
        .collect();
    let mut g = c.benchmark_group("clean::unwrap");
    g.sample_size(10);
    for (name, texts) in [("bbc", &raw), ("bbc_wrapped", &wrapped)] {
        let bytes: usize = texts.iter().map(String::len).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut s = corpusmill::clean::unwrap::UnwrapStats::default();
                for t in texts.iter() {
                    std::hint::black_box(stage.unwrap(t, &mut s));
                }
                s
            })
        });
    }
    g.finish();
}

fn bench(c: &mut Criterion) {
    unwrap(c);
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
