//! Drives NER training and evaluation during development:
//! `cargo run --release --example ner -- train OUT` / `eval MODEL FILE`.
use std::path::PathBuf;

use corpusmill::entities::{conll, train};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("train") => {
            let mut o = train::TrainOptions::new(
                "../shared/data/conll/train.conll".into(),
                "../shared/data/conll/dev.conll".into(),
            );
            o.verbose = true;
            o.cluster_text = vec!["../shared/data/bbc/articles.jsonl.zst".into()];
            if let Ok(e) = std::env::var("EPOCHS") { o.epochs = e.parse()?; }
            if let Ok(e) = std::env::var("BITS") { o.hash_bits = e.parse()?; }
            if std::env::var("ONEPASS").is_ok() { o.two_pass = false; }
            if std::env::var("NOCLUSTERS").is_ok() { o.cluster_text.clear(); }
            let (m, r) = train::train(&o)?;
            println!("{}\nbest epochs {:?}, {:.1}s, pass1 dev F1 {:.4}", r.dev, r.best_epochs, r.seconds, r.dev_pass1.f1());
            let out = PathBuf::from(&args[2]);
            m.save(&out)?;
            println!("saved {} bytes", std::fs::metadata(&out)?.len());
        }
        Some("eval") => {
            let t = std::time::Instant::now();
            let m = corpusmill::entities::Model::load(args[2].as_ref())?;
            println!("load {:.3}s", t.elapsed().as_secs_f64());
            let t = std::time::Instant::now();
            let r = conll::evaluate(&m, args[3].as_ref())?;
            let s = t.elapsed().as_secs_f64();
            println!("{r}{} tokens in {s:.3}s = {:.0} tok/s", r.tokens, r.tokens as f64 / s);
        }
        _ => anyhow::bail!("usage: ner train OUT | eval MODEL FILE"),
    }
    Ok(())
}
