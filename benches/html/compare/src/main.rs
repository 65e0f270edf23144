//! Scores HTML main-content extractors on the html dev set with corpusmill's shingle scorer
//! (`harness::clean`), one page at a time on one core, and prints a Markdown table row per
//! extractor: pages, precision, recall, F1, pages/s. `tl` and `scraper` rows time parsing
//! alone (the cost of a DOM before any extraction). Outputs computed elsewhere (trafilatura,
//! in Python) are scored from `NAME=OUTPUTS.jsonl@PAGES_PER_S` arguments.
//!
//! usage: html-compare DEV.jsonl MIN_PAGE_BYTES [NAME=OUT.jsonl@PAGES_PER_S ...]

use std::collections::HashMap;
use std::io::BufRead;
use std::time::Instant;

use corpusmill::clean::html::HtmlConfig;
use corpusmill::config::InputConfig;
use corpusmill::harness::clean::Score;

type Page = (String, String, String);

fn read_jsonl(path: &str) -> Vec<serde_json::Value> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    std::io::BufReader::new(f)
        .lines()
        .map(|l| serde_json::from_str(&l.expect("read")).expect("JSON line"))
        .collect()
}

fn row(name: &str, n: usize, s: Option<&Score>, pages_per_s: f64) {
    match s {
        Some(s) => println!(
            "| {name} | {n} | {:.3} | {:.3} | {:.3} | {pages_per_s:.1} |",
            s.precision(),
            s.recall(),
            s.f1()
        ),
        None => println!("| {name} (parse only) | {n} | | | | {pages_per_s:.1} |"),
    }
}

fn time(pages: &[Page], f: impl Fn(&str) -> String) -> (Score, f64) {
    let t = Instant::now();
    let outs: Vec<String> = pages.iter().map(|(_, h, _)| f(h)).collect();
    let secs = t.elapsed().as_secs_f64();
    let mut s = Score::default();
    for ((_, _, gold), out) in pages.iter().zip(&outs) {
        s.add(out, gold);
    }
    (s, pages.len() as f64 / secs)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let min: usize = args.get(2).map_or(0, |s| s.parse().expect("MIN_PAGE_BYTES"));
    let pages: Vec<Page> = read_jsonl(&args[1])
        .into_iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("id"), s("html"), s("gold"))
        })
        .filter(|p| p.1.len() >= min)
        .collect();
    let n = pages.len();
    println!("| extractor | pages | precision | recall | F1 | pages/s (one core) |");
    println!("|---|---:|---:|---:|---:|---:|");
    let html = HtmlConfig::default()
        .build(&InputConfig::default())
        .expect("default html config");
    let (s, r) = time(&pages, |h| html.page(h).text);
    row("corpusmill html stage", n, Some(&s), r);
    let (s, r) = time(&pages, |h| {
        rs_trafilatura::extract(h)
            .map(|x| x.content_text)
            .unwrap_or_default()
    });
    row("rs-trafilatura 0.2", n, Some(&s), r);
    let (s, r) = time(&pages, |h| {
        dom_smoothie::Readability::new(h, None, None)
            .ok()
            .and_then(|mut r| r.parse().ok())
            .map(|a| a.text_content.to_string())
            .unwrap_or_default()
    });
    row("dom_smoothie 0.19 (readability port)", n, Some(&s), r);
    for extra in &args[3..] {
        let (name, rest) = extra.split_once('=').expect("NAME=OUT.jsonl@PAGES_PER_S");
        let (path, rate) = rest.split_once('@').expect("NAME=OUT.jsonl@PAGES_PER_S");
        let outs: HashMap<String, String> = read_jsonl(path)
            .into_iter()
            .map(|v| {
                let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
                (s("id"), s("out"))
            })
            .collect();
        let mut s = Score::default();
        for (id, _, gold) in &pages {
            s.add(outs.get(id).map_or("", String::as_str), gold);
        }
        row(name, n, Some(&s), rate.parse().expect("pages/s"));
    }
    let (_, r) = time(&pages, |h| {
        tl::parse(h, tl::ParserOptions::default())
            .map(|d| d.nodes().len().to_string())
            .unwrap_or_default()
    });
    row("tl 0.7", n, None, r);
    let (_, r) = time(&pages, |h| {
        scraper::Html::parse_document(h).tree.nodes().count().to_string()
    });
    row("scraper 0.29 (html5ever)", n, None, r);
}
