//! Generates a benchmark corpus: `cargo run --release --example gen -- INPUT OUT_DIR SIZE_MB [SEED] [SHARDS]`.
//!
//! The same generator is available as `corpusmill gen`; this example lets the bench scripts run
//! before (or without) the CLI.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        eprintln!("usage: gen INPUT OUT_DIR SIZE_MB [SEED] [SHARDS]");
        std::process::exit(2);
    }
    let mb: f64 = args[2].parse()?;
    let config = corpusmill::gen::GenConfig {
        inputs: vec![PathBuf::from(&args[0])],
        target_bytes: (mb * 1e6) as u64,
        seed: args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(42),
        shards: args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(8),
        ..Default::default()
    };
    let t = std::time::Instant::now();
    let report = corpusmill::gen::generate(&config, std::path::Path::new(&args[1]))?;
    eprintln!("generated in {:.2}s", t.elapsed().as_secs_f64());
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
