//! Drives NER work during development (run from the repository root):
//! `train OUT` (the shipped model's exact recipe), `eval MODEL CONLL`, `text MODEL FILE`
//! (entities of a text file) and `speed [MODEL]` (tokens per CPU-second on the BBC corpus).
//! `train` variants come from environment switches: `EPOCHS=N`, `PATIENCE=N`, `BITS=N`,
//! `SEED=N`, `DROP=P`, `EMB=FILE` (other embedding clusters), `LIST_<kind>=FILE` (another
//! name list of that kind), `ONEPASS`, `NOGAZ`, `GREEDY`, `NOCLUSTERS` (no BBC-text
//! clusters), `NOEXTRA` (CoNLL train only, without `models/extra/wikigold.conll`), `NOCTX`
//! (no context rows of other mentions) and `PERCEPTRON` (perceptron updates of one instead
//! of margin steps).
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
            o.extra_train = vec!["models/extra/wikigold.conll".into()];
            o.cluster_text = vec!["../shared/data/bbc/articles.jsonl.zst".into()];
            o.embedding_clusters = Some("models/embeddings/glove-clusters.tsv.zst".into());
            for kind in ["loc", "per_first", "per_last"] {
                let path = format!("models/gazetteers/{kind}.txt");
                o.gazetteers.push((kind.to_string(), path.into()));
            }
            // `LIST_<kind>=FILE` replaces that shipped name list (e.g. `LIST_per_first`).
            for (kind, path) in o.gazetteers.iter_mut() {
                if let Ok(e) = std::env::var(format!("LIST_{kind}")) {
                    *path = e.into();
                }
            }
            if let Ok(e) = std::env::var("EMB") {
                o.embedding_clusters = Some(e.into());
            }
            if let Ok(e) = std::env::var("SEED") {
                o.seed = e.parse()?;
            }
            if let Ok(e) = std::env::var("EPOCHS") {
                o.epochs = e.parse()?;
            }
            if let Ok(e) = std::env::var("PATIENCE") {
                o.patience = e.parse()?;
            }
            if let Ok(e) = std::env::var("BITS") {
                o.hash_bits = e.parse()?;
            }
            if std::env::var("ONEPASS").is_ok() {
                o.two_pass = false;
            }
            if let Ok(e) = std::env::var("DROP") {
                o.word_dropout = e.parse()?;
            }
            if std::env::var("NOGAZ").is_ok() {
                o.gazetteers.clear();
            }
            if std::env::var("GREEDY").is_ok() {
                o.viterbi = false;
            }
            if std::env::var("NOEXTRA").is_ok() {
                o.extra_train.clear();
            }
            if std::env::var("NOCTX").is_ok() {
                o.contexts = false;
            }
            if std::env::var("PERCEPTRON").is_ok() {
                o.margin = false;
            }
            if std::env::var("NOCLUSTERS").is_ok() {
                o.cluster_text.clear();
            }
            let (m, r) = train::train(&o)?;
            println!(
                "{}\nbest epochs {:?}, {:.1}s, pass1 dev F1 {:.4}",
                r.dev,
                r.best_epochs,
                r.seconds,
                r.dev_pass1.f1()
            );
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
            println!(
                "{r}{} tokens in {s:.3}s = {:.0} tok/s",
                r.tokens,
                r.tokens as f64 / s
            );
        }
        Some("text") => {
            let stage = corpusmill::entities::EntitiesConfig {
                model: args[2].clone(),
                ..Default::default()
            }
            .build()?;
            let raw = std::fs::read_to_string(&args[3])?;
            let text = corpusmill::clean::normalize::Normalize::default().normalize(&raw);
            let mut buf = corpusmill::entities::Buffers::default();
            let e: Vec<String> = stage
                .extract(&text, &mut buf)
                .iter()
                .map(|e| format!("{}:{}", e.text, e.label))
                .collect();
            println!("{}", e.join(" | "));
        }
        Some("speed") => {
            use std::io::BufRead;
            let f = std::fs::File::open("../shared/data/bbc/articles.jsonl.zst")?;
            let texts: Vec<String> = std::io::BufReader::new(zstd::Decoder::new(f)?)
                .lines()
                .map(|l| {
                    serde_json::from_str::<serde_json::Value>(&l.unwrap()).unwrap()["text"]
                        .as_str()
                        .unwrap()
                        .to_string()
                })
                .collect();
            let mut cfg = corpusmill::entities::EntitiesConfig::default();
            if let Some(m) = args.get(2) {
                cfg.model = m.clone();
            }
            let stage = cfg.build()?;
            let mut buf = corpusmill::entities::Buffers::default();
            let mut toks = Vec::new();
            let tokens: usize = texts
                .iter()
                .map(|t| {
                    corpusmill::entities::tokenize::tokenize(t, &mut toks);
                    toks.len()
                })
                .sum();
            // On-CPU time of this thread (ns), so that a busy machine does not distort the rate.
            let cpu = || -> f64 {
                std::fs::read_to_string("/proc/thread-self/schedstat")
                    .ok()
                    .and_then(|s| {
                        s.split_whitespace()
                            .next()
                            .and_then(|x| x.parse::<f64>().ok())
                    })
                    .unwrap_or(0.0)
                    / 1e9
            };
            let bytes: usize = texts.iter().map(String::len).sum();
            for round in 0..5 {
                let (t, c) = (std::time::Instant::now(), cpu());
                let n: usize = texts.iter().map(|x| stage.extract(x, &mut buf).len()).sum();
                let (s, cs) = (t.elapsed().as_secs_f64(), cpu() - c);
                println!(
                    "round {round}: {} docs, {bytes} bytes, {tokens} tokens, {n} entities, wall {s:.3}s, cpu {cs:.3}s = {:.0} tok/s/core ({:.1} MB/s)",
                    texts.len(),
                    tokens as f64 / cs,
                    bytes as f64 / cs / 1e6
                );
            }
        }
        _ => anyhow::bail!("usage: ner train OUT | eval MODEL FILE"),
    }
    Ok(())
}
