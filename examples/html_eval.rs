//! Scores the `html` stage's extraction on a dev set: a JSONL file whose records hold a page
//! (`html`) and its gold article text (`gold`). Prints per-page and overall shingle
//! precision / recall / F1 (the article-extraction benchmark's scorer) and pages per second
//! on one core.
//!
//! `cargo run --release --example html_eval -- dev.jsonl [min_page_bytes]`
//! (environment: VERBOSE, SHOW, DUMP and OUTS, described where they are read)

use std::io::BufRead;
use std::time::Instant;

use corpusmill::clean::html::HtmlConfig;
use corpusmill::config::InputConfig;
use corpusmill::harness::clean::{shingle_pr, Score};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: html_eval DEV.jsonl [MIN_PAGE_BYTES]")?;
    let min: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(0);
    let verbose = std::env::var_os("VERBOSE").is_some();
    // SHOW=<id> prints that page's extracted text and gold text.
    let show = std::env::var("SHOW").unwrap_or_default();
    let stage = HtmlConfig::default().build(&InputConfig::default())?;
    let mut pages = Vec::new();
    for line in std::io::BufReader::new(std::fs::File::open(&path)?).lines() {
        let v: serde_json::Value = serde_json::from_str(&line?)?;
        let html = v["html"].as_str().unwrap_or_default().to_string();
        if html.len() < min {
            continue;
        }
        let gold = v["gold"].as_str().unwrap_or_default().to_string();
        let id = v["id"].as_str().unwrap_or_default().to_string();
        pages.push((id, html, gold));
    }
    let mut score = Score::default();
    // DUMP=<path> writes each page's extracted text as JSONL (`id`, `out`).
    let mut dump = match std::env::var("DUMP") {
        Ok(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        Err(_) => None,
    };
    // OUTS=<path> scores another extractor's outputs (JSONL with `id` and `out`, as DUMP
    // writes them) on the same pages instead of running the stage; pages/s is then not
    // measured.
    let t0 = Instant::now();
    let outs: Vec<String> = match std::env::var("OUTS") {
        Ok(p) => {
            let mut by_id = std::collections::HashMap::new();
            for line in std::io::BufReader::new(std::fs::File::open(&p)?).lines() {
                let v: serde_json::Value = serde_json::from_str(&line?)?;
                let id = v["id"].as_str().unwrap_or_default().to_string();
                by_id.insert(id, v["out"].as_str().unwrap_or_default().to_string());
            }
            pages
                .iter()
                .map(|(id, _, _)| by_id.get(id).cloned().unwrap_or_default())
                .collect()
        }
        Err(_) => pages.iter().map(|(_, h, _)| stage.page(h).text).collect(),
    };
    let secs = t0.elapsed().as_secs_f64();
    for ((id, _, gold), out) in pages.iter().zip(&outs) {
        score.add(out, gold);
        if let Some(d) = dump.as_mut() {
            use std::io::Write;
            writeln!(d, "{}", serde_json::json!({"id": id, "out": out}))?;
        }
        if *id == show {
            println!("--- extracted\n{out}\n--- gold\n{gold}\n---");
        }
        if verbose {
            let (p, r) = shingle_pr(out, gold);
            println!("{id:40} P {p:.3} R {r:.3}");
        }
    }
    println!(
        "pages {}  P {:.4}  R {:.4}  F1 {:.4}  {:.0} pages/s",
        pages.len(),
        score.precision(),
        score.recall(),
        score.f1(),
        pages.len() as f64 / secs
    );
    Ok(())
}
