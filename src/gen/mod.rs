//! Benchmark corpus generator: builds a realistic corpus of a requested size from real articles.
//!
//! Seed articles come from JSONL files ([`GenConfig::inputs`], e.g. the BBC set). The output is
//! a folder of `part-NNNNN.jsonl.zst` shards of records `{"id","url","title","text","source",
//! "category"}` published on a handful of invented sites, plus `truth.jsonl`, one line per planted
//! duplicate:
//!
//! - **originals**: each seed article once, then *synthetic originals* with a seed article's
//!   paragraph shape filled with sentences drawn from all seed articles of its category (real
//!   English, no long runs shared with any single article, so not near-duplicates);
//! - **exact** copies of an earlier original (same text, half of them with whitespace noise
//!   that normalization removes), under another URL;
//! - **near** copies: word inserts, deletes and re-casings on 1% up to
//!   [`GenConfig::near_copy_max_edit`] of the words, sometimes one sentence dropped;
//! - **wrapped** copies: an original's body republished on another site inside that site's
//!   boilerplate (exact duplicates once boilerplate lines are removed);
//! - **mix**: the first half of one original's paragraphs and the second half of another's.
//!
//! Any document may carry its site's header and footer lines ([`GenConfig::boilerplate_rate`]).
//! Output is a pure function of the config: the same seed gives byte-identical shards. Copies
//! are drawn from the most recent [`GenConfig::recent_originals`] originals, so memory stays
//! bounded whatever the target size; shards are filled in order, so an original always comes
//! before its copies when shards are read in name order.
//!
//! It is a module of the `corpusmill` binary, not of the library: only `corpusmill gen` uses it.
//! Reading the seed articles, the RNG and the atomic shard writes are the library's
//! ([`corpusmill::io::articles`], [`corpusmill::rng`], [`corpusmill::io::writer`]).

mod mutate;
mod sites;
mod source;
mod writer;

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};

use corpusmill::io::writer::JsonlWriter;
use corpusmill::rng::SplitMix64;
use corpusmill::{Error, Result};
use serde::{Deserialize, Serialize};

use mutate::sentences;
use sites::{Site, SITES};

/// Config of the corpus generator (`corpusmill gen`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GenConfig {
    /// JSONL files or folders of seed articles (plain, .zst or .gz; `text` required,
    /// `title`, `category` used when present). Default: none; must be set.
    pub inputs: Vec<PathBuf>,
    /// Uncompressed JSONL bytes to write (default 200,000,000). Generation stops at the first
    /// record that reaches it.
    pub target_bytes: u64,
    /// Number of output shards (default 8).
    pub shards: usize,
    /// RNG seed; equal seeds give byte-identical output (default 42).
    pub seed: u64,
    /// Fraction of documents that are exact copies of an earlier original (default 0.05).
    pub exact_copy_rate: f64,
    /// Fraction of documents that are near copies of an earlier original (default 0.08).
    pub near_copy_rate: f64,
    /// Fraction of documents that republish an earlier original's body on another site inside
    /// that site's boilerplate (default 0.03).
    pub wrapped_copy_rate: f64,
    /// Fraction of documents that mix paragraphs of two earlier originals (default 0.02).
    pub mix_rate: f64,
    /// Fraction of documents that carry their site's header and footer lines (default 0.6).
    pub boilerplate_rate: f64,
    /// Largest fraction of words a near copy changes; each copy draws uniformly from 0.01 to
    /// this (default 0.08).
    pub near_copy_max_edit: f64,
    /// Probability that a near copy also loses one sentence (default 0.3).
    pub sentence_drop_rate: f64,
    /// Copies are drawn from this many most recent originals, which bounds memory
    /// (default 10,000).
    pub recent_originals: usize,
    /// zstd level of the shards (default 3).
    pub zstd_level: i32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            inputs: Vec::new(),
            target_bytes: 200_000_000,
            shards: 8,
            seed: 42,
            exact_copy_rate: 0.05,
            near_copy_rate: 0.08,
            wrapped_copy_rate: 0.03,
            mix_rate: 0.02,
            boilerplate_rate: 0.6,
            near_copy_max_edit: 0.08,
            sentence_drop_rate: 0.3,
            recent_originals: 10_000,
            zstd_level: 3,
        }
    }
}

impl GenConfig {
    /// Checks the config and returns a generator.
    pub fn build(&self) -> Result<Generator> {
        let bad = |m: String| Err(Error::Config(m));
        if self.inputs.is_empty() {
            return bad("gen.inputs is empty: give at least one JSONL file or folder of articles (e.g. --input data/sample/bbc-sample.jsonl.zst)".into());
        }
        if self.target_bytes == 0 {
            return bad("gen.target_bytes must be above 0 (e.g. 200MB)".into());
        }
        if self.shards == 0 || self.shards > 100_000 {
            return bad(format!(
                "gen.shards = {} must be from 1 to 100000",
                self.shards
            ));
        }
        if self.recent_originals == 0 {
            return bad("gen.recent_originals must be at least 1".into());
        }
        if !(1..=19).contains(&self.zstd_level) {
            return bad(format!(
                "gen.zstd_level = {} must be from 1 to 19",
                self.zstd_level
            ));
        }
        for (key, v) in [
            ("exact_copy_rate", self.exact_copy_rate),
            ("near_copy_rate", self.near_copy_rate),
            ("wrapped_copy_rate", self.wrapped_copy_rate),
            ("mix_rate", self.mix_rate),
            ("boilerplate_rate", self.boilerplate_rate),
            ("sentence_drop_rate", self.sentence_drop_rate),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return bad(format!("gen.{key} = {v} must be from 0 to 1"));
            }
        }
        let copies =
            self.exact_copy_rate + self.near_copy_rate + self.wrapped_copy_rate + self.mix_rate;
        if copies > 0.9 {
            return bad(format!(
                "gen copy rates add up to {copies}; keep exact + near + wrapped + mix at most 0.9 so there are originals to copy"
            ));
        }
        if !(self.near_copy_max_edit >= 0.01 && self.near_copy_max_edit <= 0.5) {
            return bad(format!(
                "gen.near_copy_max_edit = {} must be from 0.01 to 0.5",
                self.near_copy_max_edit
            ));
        }
        Ok(Generator {
            config: self.clone(),
        })
    }
}

/// Kind of a generated document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A seed article or a synthetic original.
    Original,
    /// Same text as an earlier original (modulo whitespace).
    Exact,
    /// An earlier original with a few words changed.
    Near,
    /// An earlier original's body inside another site's boilerplate.
    Wrapped,
    /// Halves of two earlier originals.
    Mix,
}

/// What [`generate`] wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct GenReport {
    /// Documents written.
    pub docs: u64,
    /// Uncompressed JSONL bytes written (newlines included).
    pub bytes: u64,
    /// Shard paths, in order.
    pub shards: Vec<PathBuf>,
    /// Path of the truth file.
    pub truth: PathBuf,
    /// Seed articles used as they are.
    pub originals: u64,
    /// Synthetic originals.
    pub synthetic_originals: u64,
    /// Planted exact copies.
    pub exact: u64,
    /// Planted near copies.
    pub near: u64,
    /// Planted boilerplate-wrapped copies.
    pub wrapped: u64,
    /// Planted paragraph mixes.
    pub mix: u64,
    /// Documents carrying site boilerplate lines.
    pub with_boilerplate: u64,
    /// Usable seed articles read.
    pub seed_articles: u64,
    /// Seed records skipped because their text repeated an earlier one.
    pub seed_duplicates_skipped: u64,
    /// Seed lines that were not usable records.
    pub seed_bad_lines: u64,
}

/// One output record.
#[derive(Serialize)]
struct Record<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    text: &'a str,
    source: &'a str,
    category: &'a str,
}

/// One truth line.
#[derive(Serialize)]
struct Truth<'a> {
    id: &'a str,
    kind: Kind,
    of: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    and: Option<&'a str>,
    changed_words_frac: f64,
}

/// An original kept for copying.
struct Emitted {
    id: String,
    title: String,
    category: String,
    body: Vec<String>,
    text: String,
    site: usize,
    wrapped: bool,
}

/// A validated generator.
#[derive(Clone, Debug)]
pub struct Generator {
    config: GenConfig,
}

/// Generates a corpus into `out_dir` (see the module docs). Same as
/// `config.build()?.generate(out_dir)`.
pub fn generate(config: &GenConfig, out_dir: &Path) -> Result<GenReport> {
    config.build()?.generate(out_dir)
}

/// Makes a URL path segment from a title.
fn slug(title: &str) -> String {
    let mut s = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('-') && !s.is_empty() {
            s.push('-');
        }
        if s.len() >= 60 {
            break;
        }
    }
    let s = s.trim_end_matches('-');
    if s.is_empty() {
        "article".into()
    } else {
        s.into()
    }
}

/// Rounds to 4 decimals for the truth file.
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

impl Generator {
    /// Picks header and footer lines of `site`: each line with probability 0.7, at least one.
    fn boilerplate(site: &Site, rng: &mut SplitMix64) -> (Vec<&'static str>, Vec<&'static str>) {
        let mut pick = |lines: &'static [&'static str]| {
            let mut out: Vec<&'static str> =
                lines.iter().copied().filter(|_| rng.chance(0.7)).collect();
            if out.is_empty() {
                out.extend(rng.pick(lines).copied());
            }
            out
        };
        let header = pick(site.header);
        let footer = pick(site.footer);
        (header, footer)
    }

    /// Joins paragraphs (and optional boilerplate) into a text with blank lines between.
    fn assemble(body: &[String], wrap: Option<(Vec<&str>, Vec<&str>)>) -> String {
        let mut parts: Vec<&str> = Vec::with_capacity(body.len() + 8);
        let (header, footer) = wrap.unwrap_or_default();
        parts.extend(header);
        parts.extend(body.iter().map(String::as_str));
        parts.extend(footer);
        parts.join("\n\n")
    }

    /// Writes the corpus into `out_dir`, which must not already hold shards.
    pub fn generate(&self, out_dir: &Path) -> Result<GenReport> {
        let c = &self.config;
        let loaded = source::load(&c.inputs)?;
        if loaded.articles.is_empty() {
            return Err(Error::Input(
                "gen.inputs hold no usable articles (records need a non-empty string `text`)"
                    .into(),
            ));
        }
        std::fs::create_dir_all(out_dir).map_err(|e| Error::io(out_dir, e))?;
        let stale = std::fs::read_dir(out_dir)
            .map_err(|e| Error::io(out_dir, e))?
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().starts_with("part-"));
        if stale {
            return Err(Error::Input(format!(
                "{}: already holds part-* shards; remove them or choose another output folder",
                out_dir.display()
            )));
        }

        // Sentence pools per category, for synthetic originals.
        let mut pools: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for a in &loaded.articles {
            let pool = pools.entry(a.category.as_str()).or_default();
            for p in &a.paragraphs {
                pool.extend(sentences(p));
            }
        }

        let mut rng = SplitMix64::new(c.seed);
        let mut order: Vec<usize> = (0..loaded.articles.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.below(i + 1));
        }

        let mut truth = JsonlWriter::create(out_dir, "truth.jsonl", c.zstd_level)?;
        let mut shards = writer::ShardWriter::new(out_dir, c.shards, c.target_bytes, c.zstd_level);
        let mut report = GenReport {
            truth: out_dir.join("truth.jsonl"),
            seed_articles: loaded.articles.len() as u64,
            seed_duplicates_skipped: loaded.duplicate_texts,
            seed_bad_lines: loaded.bad_lines,
            ..Default::default()
        };
        let mut recent: VecDeque<Emitted> =
            VecDeque::with_capacity(c.recent_originals.min(1 << 16));
        let mut line = Vec::with_capacity(1 << 16);
        let mut next_original = 0usize;
        let t_exact = c.exact_copy_rate;
        let t_near = t_exact + c.near_copy_rate;
        let t_wrapped = t_near + c.wrapped_copy_rate;
        let t_mix = t_wrapped + c.mix_rate;

        while report.bytes < c.target_bytes {
            let n = report.docs;
            let id = format!("gen-{n:09}");
            let r = rng.unit();
            let kind = if recent.len() < 2 || r >= t_mix {
                Kind::Original
            } else if r < t_exact {
                Kind::Exact
            } else if r < t_near {
                Kind::Near
            } else if r < t_wrapped {
                Kind::Wrapped
            } else {
                Kind::Mix
            };
            let mut site = rng.below(SITES.len());
            let mut wrap = rng.chance(c.boilerplate_rate);
            let o = rng.below(recent.len());
            let (title, category, body, text, of, and, changed) = match kind {
                Kind::Original => {
                    let a = &loaded.articles[order[next_original % order.len()]];
                    let epoch = next_original / order.len();
                    next_original += 1;
                    let body = if epoch == 0 {
                        report.originals += 1;
                        a.paragraphs.clone()
                    } else {
                        report.synthetic_originals += 1;
                        let pool = pools
                            .get(a.category.as_str())
                            .map(Vec::as_slice)
                            .unwrap_or(&[]);
                        mutate::synthesize(&a.paragraphs, pool, &mut rng)
                    };
                    (
                        a.title.clone(),
                        a.category.clone(),
                        body,
                        None,
                        None,
                        None,
                        0.0,
                    )
                }
                Kind::Exact => {
                    report.exact += 1;
                    let e = &recent[o];
                    site = e.site;
                    wrap = e.wrapped;
                    let text = if rng.chance(0.5) {
                        mutate::whitespace_noise(&e.text, &mut rng)
                    } else {
                        e.text.clone()
                    };
                    (
                        e.title.clone(),
                        e.category.clone(),
                        Vec::new(),
                        Some(text),
                        Some(o),
                        None,
                        0.0,
                    )
                }
                Kind::Near => {
                    report.near += 1;
                    let e = &recent[o];
                    let frac = 0.01 + rng.unit() * (c.near_copy_max_edit - 0.01);
                    let (body, changed) =
                        mutate::near_copy(&e.body, frac, c.sentence_drop_rate, &mut rng);
                    let total = mutate::word_count(&e.body).max(1);
                    (
                        e.title.clone(),
                        e.category.clone(),
                        body,
                        None,
                        Some(o),
                        None,
                        changed as f64 / total as f64,
                    )
                }
                Kind::Wrapped => {
                    report.wrapped += 1;
                    let e = &recent[o];
                    site = (e.site + 1 + rng.below(SITES.len() - 1)) % SITES.len();
                    wrap = true;
                    (
                        e.title.clone(),
                        e.category.clone(),
                        e.body.clone(),
                        None,
                        Some(o),
                        None,
                        0.0,
                    )
                }
                Kind::Mix => {
                    report.mix += 1;
                    let mut o2 = rng.below(recent.len() - 1);
                    if o2 >= o {
                        o2 += 1;
                    }
                    let (a, b) = (&recent[o], &recent[o2]);
                    let (body, from_b) = mutate::mix(&a.body, &b.body);
                    let total = mutate::word_count(&body).max(1);
                    (
                        a.title.clone(),
                        a.category.clone(),
                        body,
                        None,
                        Some(o),
                        Some(o2),
                        from_b as f64 / total as f64,
                    )
                }
            };
            let text = match text {
                Some(t) => t,
                None => {
                    let bp = wrap.then(|| Self::boilerplate(&SITES[site], &mut rng));
                    Self::assemble(&body, bp)
                }
            };
            report.with_boilerplate += u64::from(wrap);
            let s = &SITES[site];
            let url = format!("https://{}/{}/{}-{}", s.host, category, slug(&title), n);
            line.clear();
            serde_json::to_writer(
                &mut line,
                &Record {
                    id: &id,
                    url: &url,
                    title: &title,
                    text: &text,
                    source: s.name,
                    category: &category,
                },
            )
            .map_err(|e| Error::Internal(format!("gen: serializing a record: {e}")))?;
            shards.write_line(&line)?;
            report.docs += 1;
            report.bytes += line.len() as u64 + 1;

            if let Some(o) = of {
                let t = Truth {
                    id: &id,
                    kind,
                    of: &recent[o].id,
                    and: and.map(|o2: usize| recent[o2].id.as_str()),
                    changed_words_frac: round4(changed),
                };
                truth.write_json(&t)?;
            } else {
                if recent.len() == c.recent_originals {
                    recent.pop_front();
                }
                recent.push_back(Emitted {
                    id,
                    title,
                    category,
                    body,
                    text,
                    site,
                    wrapped: wrap,
                });
            }
        }
        report.shards = shards.finish()?;
        truth.finish()?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests;
