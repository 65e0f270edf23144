//! Cleaning evaluation and single-core throughput harness.
//!
//! Builds the evaluation set deterministically from the BBC corpus (bodies wrapped in the
//! boilerplate of invented sites, see `corpusmill::harness::clean`), adds the seed article, runs
//! normalize → line rules → repeated lines (pre-scan: observe, merge, finish) → quality with the
//! default config, and prints shingle precision/recall/F1 overall, per site, on held-out sites,
//! and for two baselines (untouched text, the C4 line filter). Then measures what the stages
//! remove from and drop on the raw BBC articles, and single-thread throughput per stage.
//!
//! ```text
//! cargo run --release --example clean_eval -- [bbc.jsonl.zst] [seed.txt]
//! ```

use std::time::Instant;

use corpusmill::config::Config;
use corpusmill::doc::Doc;
use corpusmill::harness::clean::{build_set, c4_line_filter, EvalDoc, Score, SITES};
use corpusmill::stage::{Counters, Stage, Verdict};

/// A named subset of the evaluation set.
type Filter = Box<dyn Fn(&EvalDoc) -> bool>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let bbc = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "../shared/data/bbc/articles.jsonl.zst".into());
    let seed_path = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "../shared/data/seed/000_d2376bb0422849ae.txt".into());
    let articles: Vec<(String, String)> = corpusmill::io::articles::load(&[&bbc])?
        .articles
        .into_iter()
        .map(|a| (a.title, a.text))
        .collect();
    let cfg = Config::default();
    let norm = cfg.normalize.build()?;
    let rules = cfg.line_rules.build()?;
    let quality = cfg.quality.build()?;
    let lang = cfg.lang.build()?;

    let mut set = build_set(&articles, 2005);
    let seed = std::fs::read_to_string(&seed_path)?;
    let seed_n = norm.normalize(&seed);
    let start = seed_n.find("Russia's Ministry").unwrap_or(0);
    let end = seed_n
        .find("Oct.3.")
        .map_or(seed_n.len(), |i| i + "Oct.3.".len());
    set.push(EvalDoc {
        site: "seed",
        held_out: false,
        text: seed.clone(),
        truth: seed_n[start..end].to_string(),
    });
    for d in &mut set {
        d.text = norm.normalize(&d.text);
        d.truth = norm.normalize(&d.truth);
    }

    // Line rules, then the pre-scan for repeated lines on their output.
    let mut counters = Counters::default();
    let mut docs: Vec<Doc> = set
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let mut doc = Doc::from_text(format!("eval-{i}"), d.text.clone());
            doc.site = Some(d.site.to_string());
            rules.process(&mut doc, &mut counters);
            doc
        })
        .collect();
    let line_only: Vec<String> = docs.iter().map(|d| d.text.clone()).collect();
    let mut counter = cfg.repeated_lines.counter()?;
    for chunk in docs.chunks(700) {
        let mut c = cfg.repeated_lines.counter()?;
        for d in chunk {
            c.observe(d);
        }
        counter.merge(c);
    }
    let repeated = counter.finish()?;
    let mut final_text = Vec::with_capacity(docs.len());
    let mut dropped = 0;
    for d in &mut docs {
        repeated.process(d, &mut counters);
        match quality.process(d, &mut counters) {
            Verdict::Keep => final_text.push(d.text.clone()),
            Verdict::Drop(x) => {
                dropped += 1;
                eprintln!(
                    "eval drop {} ({}): {} {:.3} vs {}",
                    d.id,
                    set[d.id[5..].parse::<usize>().unwrap_or(0)].site,
                    x.rule,
                    x.value,
                    x.threshold
                );
                final_text.push(String::new());
            }
        }
    }
    println!(
        "eval set: {} documents, {} dropped by quality",
        set.len(),
        dropped
    );
    println!("\n| subset | docs | untouched F1 | C4 line filter F1 | line rules only F1 | all stages P | R | F1 |");
    println!("|---|---|---|---|---|---|---|---|");
    let subsets: Vec<(String, Filter)> = {
        let mut v: Vec<(String, Filter)> = vec![
            ("all".into(), Box::new(|_: &EvalDoc| true)),
            (
                "tuning sites".into(),
                Box::new(|d: &EvalDoc| !d.held_out && d.site != "seed"),
            ),
            ("held-out sites".into(), Box::new(|d: &EvalDoc| d.held_out)),
        ];
        for (s, h) in SITES {
            let name = format!("{s}{}", if *h { " (held out)" } else { "" });
            v.push((name, Box::new(move |d: &EvalDoc| d.site == *s)));
        }
        v.push(("seed".into(), Box::new(|d: &EvalDoc| d.site == "seed")));
        v
    };
    for (name, f) in &subsets {
        let (mut u, mut c4, mut lo, mut all) = (
            Score::default(),
            Score::default(),
            Score::default(),
            Score::default(),
        );
        for (i, d) in set.iter().enumerate() {
            if !f(d) {
                continue;
            }
            u.add(&d.text, &d.truth);
            c4.add(&c4_line_filter(&d.text), &d.truth);
            lo.add(&line_only[i], &d.truth);
            all.add(&final_text[i], &d.truth);
        }
        println!(
            "| {name} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
            all.docs,
            u.f1(),
            c4.f1(),
            lo.f1(),
            all.precision(),
            all.recall(),
            all.f1()
        );
    }
    if std::env::var_os("CLEAN_EVAL_SHOW").is_some() {
        for (i, d) in set.iter().enumerate() {
            if d.site == "seed" || i < 16 {
                println!("----- {} -----\n{}\n", d.site, final_text[i]);
            }
        }
    }
    println!("\nlines removed on the eval set:");
    for (s, r, n) in counters.iter() {
        println!("  {s}.{r}: {n}");
    }

    // What the stages do to the raw BBC articles (no boilerplate).
    let mut c = Counters::default();
    let mut removed_examples = Vec::new();
    let mut qdrops: std::collections::BTreeMap<&str, usize> = Default::default();
    let mut bbc_docs: Vec<Doc> = articles
        .iter()
        .enumerate()
        .map(|(i, (_, b))| {
            let mut d = Doc::from_text(format!("bbc-{i}"), norm.normalize(b));
            d.site = Some("bbc.co.uk".into());
            d
        })
        .collect();
    let mut bbc_counter = cfg.repeated_lines.counter()?;
    for d in &mut bbc_docs {
        let before = d.text.clone();
        rules.process(d, &mut c);
        if before != d.text && removed_examples.len() < 400 {
            let kept: std::collections::HashSet<&str> = d.text.lines().collect();
            for l in before.lines() {
                if !l.is_empty() && !kept.contains(l) {
                    removed_examples.push(l.to_string());
                }
            }
        }
        bbc_counter.observe(d);
    }
    let bbc_rep = bbc_counter.finish()?;
    let mut kept_score = Score::default();
    for (d, (_, b)) in bbc_docs.iter().zip(&articles) {
        let mut t = d.clone();
        bbc_rep.process(&mut t, &mut Counters::default());
        kept_score.add(&t.text, &norm.normalize(b));
    }
    println!(
        "\nraw BBC after line rules + repeated lines vs the original: P {:.4} R {:.4} F1 {:.4}",
        kept_score.precision(),
        kept_score.recall(),
        kept_score.f1()
    );
    let mut bbc_dropped = 0;
    let mut langs: std::collections::BTreeMap<&str, usize> = Default::default();
    for d in &mut bbc_docs {
        bbc_rep.process(d, &mut c);
        if let Verdict::Drop(x) = quality.process(d, &mut c) {
            bbc_dropped += 1;
            *qdrops.entry(x.rule).or_insert(0) += 1;
        }
        lang.process(d, &mut c);
        *langs
            .entry(d.lang.as_ref().map_or("none", |l| l.code))
            .or_insert(0) += 1;
    }
    println!(
        "\nraw BBC: {} articles, quality dropped {} ({:.2}%): {:?}; languages {:?}",
        bbc_docs.len(),
        bbc_dropped,
        100.0 * bbc_dropped as f64 / bbc_docs.len() as f64,
        qdrops,
        langs
    );
    for (s, r, n) in c.iter() {
        println!("  raw BBC {s}.{r}: {n}");
    }
    println!("  lines removed from raw BBC (sample):");
    for l in removed_examples.iter().take(60) {
        println!("    {l}");
    }

    // Single-thread throughput per stage.
    let raw_texts: Vec<String> = articles.iter().map(|(_, b)| norm.normalize(b)).collect();
    let wrapped: Vec<String> = set.iter().map(|d| d.text.clone()).collect();
    for (label, texts) in [("BBC articles", &raw_texts), ("eval pages", &wrapped)] {
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let reps = 5;
        let mb = (bytes * reps) as f64 / 1e6;
        let mut c = Counters::default();
        let timed = |name: &str, f: &mut dyn FnMut(&mut Doc)| {
            let mut docs: Vec<Vec<Doc>> = (0..reps)
                .map(|_| {
                    texts
                        .iter()
                        .map(|t| {
                            let mut d = Doc::from_text("x", t.clone());
                            d.site = Some("s".into());
                            d
                        })
                        .collect()
                })
                .collect();
            let (t0, c0) = (Instant::now(), cpu_seconds());
            for round in &mut docs {
                for d in round.iter_mut() {
                    f(d);
                }
            }
            // CPU time of this thread where the OS reports it (robust on a shared machine).
            let secs = match (c0, cpu_seconds()) {
                (Some(a), Some(b)) if b > a => b - a,
                _ => t0.elapsed().as_secs_f64(),
            };
            println!("  {label}: {name:<28} {:>8.1} MB/s", mb / secs);
            secs
        };
        println!(
            "\nthroughput, one thread, {label} ({:.1} MB x {reps}):",
            bytes as f64 / 1e6
        );
        let mut total = 0.0;
        total += timed("line_rules", &mut |d| {
            rules.process(d, &mut c);
        });
        let mut counter = cfg.repeated_lines.counter()?;
        total += timed("repeated_lines pre-scan", &mut |d| counter.observe(d));
        let rep = counter.finish()?;
        total += timed("repeated_lines", &mut |d| {
            rep.process(d, &mut c);
        });
        total += timed("quality", &mut |d| {
            quality.process(d, &mut c);
        });
        total += timed("lang", &mut |d| {
            lang.process(d, &mut c);
        });
        for (part, q) in [
            ("quality: gopher_quality only", {
                let mut q = cfg.quality.clone();
                q.gopher_repetition.enabled = false;
                q.c4.enabled = false;
                q.fineweb.enabled = false;
                q
            }),
            ("quality: gopher_repetition only", {
                let mut q = cfg.quality.clone();
                q.gopher_quality.enabled = false;
                q.c4.enabled = false;
                q.fineweb.enabled = false;
                q
            }),
        ] {
            let q = q.build()?;
            timed(part, &mut |d| {
                q.process(d, &mut c);
            });
        }
        println!(
            "  {label}: {:<28} {:>8.1} MB/s",
            "sum of the stages above",
            mb / total
        );
        // The pipeline's two passes, stages chained per document (lang sees cleaned text):
        // pre-scan = line rules + observe; main = line rules + repeated + quality + lang.
        let mut counter = cfg.repeated_lines.counter()?;
        let scan = timed("pass 1: rules + observe", &mut |d| {
            rules.process(d, &mut c);
            counter.observe(d);
        });
        let rep = counter.finish()?;
        let main = timed("pass 2: rules+rep+qual+lang", &mut |d| {
            rules.process(d, &mut c);
            rep.process(d, &mut c);
            if let Verdict::Keep = quality.process(d, &mut c) {
                lang.process(d, &mut c);
            }
        });
        println!(
            "  {label}: {:<28} {:>8.1} MB/s",
            "END-TO-END (both passes)",
            mb / (scan + main)
        );
    }
    Ok(())
}

/// CPU seconds consumed by the calling thread (Linux `/proc/thread-self/schedstat`).
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}
