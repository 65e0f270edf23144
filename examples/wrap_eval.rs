//! Cleaning evaluation on the shapes real news dumps come in besides one paragraph per line:
//! hard-wrapped articles, short wire stories and earnings notices, and articles whose agency
//! re-sent a paragraph. Built deterministically from the BBC corpus:
//!
//! * **wrapped** — each body re-wrapped at 60–75 columns (greedy, like wire archives), new
//!   paragraphs marked by an indented first line or a blank line, a sign-off line ("Reuter",
//!   "AP") on half of them; one in five gets a list or a table of figures (kept as lines in the
//!   truth); 70% sit inside the boilerplate of the eight invented sites of `clean_eval`, the
//!   rest are bare.
//! * **short** — wire stories of the first 1–4 sentences of an article, and earnings notices
//!   written in sentences, bare or inside site boilerplate, wrapped or not.
//! * **resent** — articles inside site boilerplate with one paragraph sent twice; the truth
//!   holds it once.
//!
//! For each set it prints articles kept, shingle precision / recall / F1 against the true
//! paragraphs (the `clean_eval` scorer), and the share of output lines that end inside a true
//! paragraph (wraps left in place), for the default config (news profile), the web profile,
//! and the pre-profile behaviour (web profile without paragraph reconstruction, distrust or
//! paragraph dedup). With `--fixtures DIR` it also writes the small fixtures of
//! `tests/clean_shapes.rs`.
//!
//! ```text
//! cargo run --release --example wrap_eval -- [bbc.jsonl.zst] [--fixtures tests/data]
//! ```

use std::io::{Read, Write};

use corpusmill::clean::profile::Profile;
use corpusmill::config::Config;
use corpusmill::doc::Doc;
use corpusmill::harness::clean::{build_set, c4_line_filter, Score};
use corpusmill::stage::{Counters, Stage, Verdict};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// One evaluation case: the page as published and its true paragraphs.
#[derive(Clone)]
struct Case {
    set: &'static str,
    site: String,
    text: String,
    truth: String,
}

/// Greedy wrap of one paragraph at `width` columns, the first line indented by `indent`.
fn wrap_para(p: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let mut line = " ".repeat(indent);
    let mut cols = indent;
    let mut fresh = true;
    for w in p.split(' ').filter(|w| !w.is_empty()) {
        let n = w.chars().count();
        if !fresh && cols + 1 + n > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
            cols = 0;
            fresh = true;
        }
        if !fresh {
            line.push(' ');
            cols += 1;
        }
        line.push_str(w);
        cols += n;
        fresh = false;
    }
    out.push_str(&line);
    out
}

const LIST: &str = "The main points of the plan are:\n- a cut in the basic rate of tax\n- more money for schools and hospitals\n- a review of pension rules";
const TABLE: &str = "                 2004      2003\nSales (bn)       12.4      11.9\nProfit (m)        640       585\nStaff          23,400    22,100";
const FIRMS: &[&str] = &[
    "Halden Industries",
    "Brookfield Mining Corp",
    "Westmere Foods Inc",
    "Carrick Shipping",
    "Orland Software",
    "Tamsin Chemicals",
    "Pell Brothers Ltd",
    "Norcott Energy",
];
const SIGNOFFS: &[&str] = &["Reuter", "REUTER", "AP", "(c) 2005 Wire Service"];

/// Wrapped body (text, truth): paragraphs wrapped at `width`, maybe with a list or table.
fn wrapped_body(paras: &[&str], rng: &mut Rng, width: usize, indent: usize) -> (String, String) {
    let extra = match rng.below(10) {
        0 => Some(LIST),
        1 => Some(TABLE),
        _ => None,
    };
    let at = 1 + rng.below(paras.len().max(2) - 1);
    let (mut text, mut truth) = (Vec::new(), Vec::new());
    for (i, p) in paras.iter().enumerate() {
        if i == at {
            if let Some(x) = extra {
                text.push(x.to_string());
                truth.push(x.to_string());
            }
        }
        text.push(wrap_para(p, width, indent));
        truth.push(p.to_string());
    }
    let sep = if indent > 0 { "\n" } else { "\n\n" };
    (text.join(sep), truth.join("\n\n"))
}

/// Puts a body inside site boilerplate (the `clean_eval` sites), or leaves it bare.
fn dress(
    body: &str,
    title: &str,
    titles: &[(String, String)],
    i: usize,
    seed: u64,
) -> (String, String) {
    // build_set deals article k to site k % 8: pick the slot for this article's site.
    let site = i % 8;
    let mut arts: Vec<(String, String)> = titles[..8.min(titles.len())].to_vec();
    arts[site] = (title.to_string(), body.to_string());
    let set = build_set(&arts, seed ^ i as u64);
    let d = &set[site];
    (d.text.clone(), d.site.to_string())
}

fn sentences(body: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let b = body.as_bytes();
    for i in 0..b.len() {
        if b[i] == b'.' && (i + 1 == b.len() || b[i + 1] == b' ') && i > start + 20 {
            out.push(body[start..=i].trim());
            start = i + 1;
        }
    }
    out
}

fn build(articles: &[(String, String)]) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut rng = Rng(11);
    for (i, (title, body)) in articles.iter().enumerate() {
        let paras: Vec<&str> = body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if paras.len() < 2 {
            continue;
        }
        // Wrapped.
        let width = 60 + rng.below(16);
        let indent = if rng.chance(0.5) { 2 + rng.below(4) } else { 0 };
        let (mut text, truth) = wrapped_body(&paras, &mut rng, width, indent);
        if rng.chance(0.5) {
            text.push('\n');
            text.push_str(if indent > 0 { " " } else { "\n" });
            text.push_str(SIGNOFFS[rng.below(SIGNOFFS.len())]);
        }
        let (text, site) = if rng.chance(0.7) {
            dress(&text, title, articles, i, 77)
        } else {
            (text, "bare".into())
        };
        cases.push(Case {
            set: "wrapped",
            site,
            text,
            truth,
        });

        // Short wire story or earnings notice.
        if i % 3 == 0 {
            let truth = if i % 2 == 0 {
                let s = sentences(paras[0]);
                let more = sentences(paras[1]);
                let k = 1 + rng.below(4);
                let all: Vec<&str> = s.iter().chain(more.iter()).copied().take(k).collect();
                if all.is_empty() {
                    continue;
                }
                if all.len() > 2 {
                    format!("{}\n\n{}", all[..2].join(" "), all[2..].join(" "))
                } else {
                    all.join(" ")
                }
            } else {
                let f = FIRMS[rng.below(FIRMS.len())];
                let (a, b) = (10 + rng.below(90), 10 + rng.below(90));
                format!(
                    "{f} said its fourth quarter net profit rose to {a}.{} mln dlrs, or {} cts a share, from {b}.{} mln dlrs, or {} cts, a year earlier.\n\nRevenues for the quarter were {}.{} mln dlrs against {}.{} mln, the company said.",
                    rng.below(10), a / 3, rng.below(10), b / 3, a * 7, rng.below(10), b * 7, rng.below(10)
                )
            };
            let wrap = rng.chance(0.5);
            let text = if wrap {
                truth
                    .split("\n\n")
                    .map(|p| wrap_para(p, 62 + rng.below(12), 4))
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                truth.clone()
            };
            let (text, site) = if rng.chance(0.5) {
                dress(&text, title, articles, i, 91)
            } else {
                (text, "bare".into())
            };
            cases.push(Case {
                set: "short",
                site,
                text,
                truth,
            });
        }

        // A paragraph sent twice.
        if i % 4 == 1 && paras.len() >= 3 {
            let k = rng.below(paras.len());
            let mut v = paras.clone();
            v.insert((k + 1 + rng.below(2)).min(v.len()), paras[k]);
            let (text, site) = dress(&v.join("\n\n"), title, articles, i, 55);
            cases.push(Case {
                set: "resent",
                site,
                text,
                truth: paras.join("\n\n"),
            });
        }
    }
    cases
}

/// What the chain kept of each case (`None`: dropped) and its counters.
type Cleaned = (Vec<Option<String>>, Counters);

/// The cleaning chain of one config: unwrap → normalize → line rules → repeated lines → quality.
fn clean_all(cfg: &Config, cases: &[Case]) -> Result<Cleaned, Box<dyn std::error::Error>> {
    let unwrap = cfg.unwrap.build()?;
    let norm = cfg.normalize.build()?;
    let rules = cfg.line_rules.build()?;
    let quality = cfg.quality.build()?;
    let mut counters = Counters::default();
    let mut docs: Vec<Doc> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut d = Doc::from_text(format!("{i}"), c.text.clone());
            d.site = Some(c.site.clone());
            if cfg.unwrap.enabled {
                unwrap.process(&mut d, &mut counters);
            }
            norm.process(&mut d, &mut counters);
            rules.process(&mut d, &mut counters);
            d
        })
        .collect();
    let mut counter = cfg.repeated_lines.counter()?;
    for d in &docs {
        counter.observe(d);
    }
    let repeated = counter.finish()?;
    let mut out = Vec::with_capacity(docs.len());
    for d in &mut docs {
        repeated.process(d, &mut counters);
        match quality.process(d, &mut counters) {
            Verdict::Keep if d.text.chars().count() >= cfg.min_length.min_chars => {
                out.push(Some(d.text.clone()))
            }
            Verdict::Keep => {
                counters.add("eval", "min_length", 1);
                out.push(None)
            }
            Verdict::Drop(x) => {
                counters.add("eval_drop", x.rule, 1);
                out.push(None)
            }
        }
    }
    Ok((out, counters))
}

/// Output lines that are part of a true paragraph but end before it does: wraps left in place.
fn wraps_left(out: &str, truth: &str) -> (usize, usize) {
    let paras: Vec<String> = truth
        .split('\n')
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let (mut body, mut inside) = (0, 0);
    for l in out.lines() {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        let mut found = false;
        let mut ends = false;
        for p in &paras {
            if let Some(pos) = p.find(l) {
                found = true;
                if pos + l.len() == p.len() {
                    ends = true;
                    break;
                }
            }
        }
        if found {
            body += 1;
            if !ends {
                inside += 1;
            }
        }
    }
    (body, inside)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let bbc = args
        .get(1)
        .filter(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "../shared/data/bbc/articles.jsonl.zst".into());
    let fixtures = args
        .iter()
        .position(|a| a == "--fixtures")
        .and_then(|i| args.get(i + 1));
    let mut raw = String::new();
    zstd::Decoder::new(std::fs::File::open(&bbc)?)?.read_to_string(&mut raw)?;
    let mut articles = Vec::new();
    for line in raw.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let t = v["title"].as_str().unwrap_or("").to_string();
        let b = v["text"].as_str().unwrap_or("").to_string();
        articles.push((t, b));
    }
    let mut cases = build(&articles);
    let norm = Config::default().normalize.build()?;
    for c in &mut cases {
        c.truth = norm.normalize(&c.truth);
    }
    if let Some(dir) = fixtures {
        write_fixtures(std::path::Path::new(dir), &cases)?;
    }
    if let Some(path) = args
        .iter()
        .position(|a| a == "--corpus")
        .and_then(|i| args.get(i + 1))
    {
        // The BBC articles hard-wrapped, as seed articles for `corpusmill gen`.
        let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut rng = Rng(5);
        for (line, (title, body)) in raw.lines().zip(&articles) {
            let v: serde_json::Value = serde_json::from_str(line)?;
            let width = 60 + rng.below(16);
            let indent = if rng.chance(0.5) { 2 + rng.below(4) } else { 0 };
            let paras: Vec<&str> = body
                .split("\n\n")
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            let text: Vec<String> = paras.iter().map(|p| wrap_para(p, width, indent)).collect();
            let mut text = text.join(if indent > 0 { "\n" } else { "\n\n" });
            text.push_str("\n REUTER");
            let rec = serde_json::json!({"id": v["id"], "title": title, "category": v["category"], "text": text});
            writeln!(f, "{rec}")?;
        }
    }

    let news = Config::default();
    let web = Config::for_profile(Profile::Web);
    let mut before = Config::for_profile(Profile::Web);
    before.unwrap.enabled = false;
    before.line_rules.max_prose_removed = 1.0;
    let configs = [
        ("news (default)", news),
        ("web", web),
        ("before (no unwrap, web)", before),
    ];
    println!("| set | config | docs | kept | P | R | F1 | lines ending inside a paragraph |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let sets = ["wrapped", "short", "resent"];
    for (name, cfg) in &configs {
        let (out, counters) = clean_all(cfg, &cases)?;
        for set in sets {
            let (mut score, mut kept, mut n, mut body, mut inside) = (Score::default(), 0, 0, 0, 0);
            for (c, o) in cases.iter().zip(&out) {
                if c.set != set {
                    continue;
                }
                n += 1;
                let text = o.as_deref().unwrap_or("");
                score.add(text, &c.truth);
                if o.is_some() {
                    kept += 1;
                    let (b, i) = wraps_left(text, &c.truth);
                    body += b;
                    inside += i;
                }
            }
            println!(
                "| {set} | {name} | {n} | {:.1}% | {:.3} | {:.3} | {:.3} | {:.1}% |",
                100.0 * kept as f64 / n.max(1) as f64,
                score.precision(),
                score.recall(),
                score.f1(),
                100.0 * inside as f64 / body.max(1) as f64
            );
        }
        let c: Vec<String> = counters
            .iter()
            .filter(|(s, r, _)| {
                matches!(*s, "unwrap" | "eval_drop" | "eval")
                    || *s == "line_rules" && matches!(*r, "distrusted" | "repeated_paragraph")
            })
            .map(|(s, r, v)| format!("{s}.{r}={v}"))
            .collect();
        println!("|  | {name}: {} |", c.join(" "));
    }
    for set in sets {
        let (mut u, mut c4) = (Score::default(), Score::default());
        for c in cases.iter().filter(|c| c.set == set) {
            u.add(&norm.normalize(&c.text), &c.truth);
            c4.add(&c4_line_filter(&norm.normalize(&c.text)), &c.truth);
        }
        println!(
            "| {set} | baselines: untouched F1 {:.3}, C4 line filter F1 {:.3} |",
            u.f1(),
            c4.f1()
        );
    }
    if args.iter().any(|a| a == "--speed") {
        speed(&articles, &cases)?;
    }
    if let Ok(set) = std::env::var("WRAP_EVAL_DEBUG") {
        // Shows dropped cases and lines left wrapped, for the set named.
        let (out, _) = clean_all(&Config::default(), &cases)?;
        let mut shown = 0;
        for (c, o) in cases.iter().zip(&out) {
            if c.set != set || shown >= 12 {
                continue;
            }
            match o {
                None => {
                    shown += 1;
                    println!("===== DROPPED {} =====\n{}\n", c.site, c.text);
                }
                Some(t) if wraps_left(t, &c.truth).1 > 0 => {
                    shown += 1;
                    println!(
                        "===== WRAPS LEFT {} =====\n{}\n----- cleaned -----\n{t}\n",
                        c.site, c.text
                    );
                }
                _ => {}
            }
        }
    }
    if let Ok(n) = std::env::var("WRAP_EVAL_SHOW") {
        let n: usize = n.parse().unwrap_or(0);
        let (out, _) = clean_all(&Config::default(), &cases)?;
        for (c, o) in cases.iter().zip(&out).skip(n).take(6) {
            println!(
                "===== {} {} =====\n{}\n----- cleaned -----\n{}\n",
                c.set,
                c.site,
                c.text,
                o.as_deref().unwrap_or("<dropped>")
            );
        }
    }
    Ok(())
}

/// CPU seconds consumed by the calling thread (Linux `/proc/thread-self/schedstat`).
fn cpu_seconds() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns / 1e9)
}

/// Single-thread throughput of the unwrap stage, in MB of input per CPU second of this thread
/// (robust on a shared machine), on the BBC bodies as read and on the wrapped set.
fn speed(articles: &[(String, String)], cases: &[Case]) -> Result<(), Box<dyn std::error::Error>> {
    let unwrap = Config::default().unwrap.build()?;
    let raw: Vec<&str> = articles.iter().map(|a| a.1.as_str()).collect();
    let wrapped: Vec<&str> = cases
        .iter()
        .filter(|c| c.set == "wrapped")
        .map(|c| c.text.as_str())
        .collect();
    for (name, texts) in [("BBC bodies as read", &raw), ("wrapped set", &wrapped)] {
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let reps = 20;
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let (t0, c0) = (std::time::Instant::now(), cpu_seconds());
            let mut s = corpusmill::clean::unwrap::UnwrapStats::default();
            for _ in 0..reps {
                for t in texts.iter() {
                    std::hint::black_box(unwrap.unwrap(t, &mut s));
                }
            }
            let secs = match (c0, cpu_seconds()) {
                (Some(a), Some(b)) if b > a => b - a,
                _ => t0.elapsed().as_secs_f64(),
            };
            best = best.min(secs);
        }
        println!(
            "unwrap, one thread, {name} ({:.1} MB x {reps}): {:.0} MB/s per CPU second",
            bytes as f64 / 1e6,
            (bytes * reps) as f64 / 1e6 / best
        );
    }
    Ok(())
}

/// Writes small fixtures: the first cases of each set as JSONL `{"id","set","source","text","truth"}`.
fn write_fixtures(dir: &std::path::Path, cases: &[Case]) -> Result<(), Box<dyn std::error::Error>> {
    let mut f = std::fs::File::create(dir.join("clean_shapes.jsonl"))?;
    for (set, n) in [("wrapped", 30), ("short", 30), ("resent", 12)] {
        for (k, c) in cases.iter().filter(|c| c.set == set).take(n).enumerate() {
            let v = serde_json::json!({
                "id": format!("{set}-{k:03}"),
                "set": set,
                "source": c.site,
                "text": c.text,
                "truth": c.truth,
            });
            writeln!(f, "{v}")?;
        }
    }
    Ok(())
}
