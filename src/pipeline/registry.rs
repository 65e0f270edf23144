//! The stage registry: every stage of `corpusmill run` declared once, in pipeline order.
//!
//! An entry names the stage (its config section and its key in `stats.json`), says which side
//! of the duplicate decision it runs on, how to switch it on and off, and how to build it.
//! `--disable`, [`stage_names`], the `corpusmill stages` listing, the order of the worker
//! chain and the `stages` table of `stats.json` all derive from [`STAGES`]; adding a stage is
//! one entry here plus its config section in [`Config`].

use std::path::Path;

use crate::config::Config;
use crate::stage::{OrderedStage, Prescan, Stage};
use crate::{Error, Result};

/// Where a stage runs relative to the duplicate decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// On the workers, for every document, before duplicates are decided: cleaning and
    /// filters, cheap and needed to decide.
    Before,
    /// A key computed on the workers, then a decision made in input order on one thread.
    Dedup,
    /// On the workers, only for documents kept after the decision: expensive enrichment.
    After,
}

impl Side {
    /// How `corpusmill stages` names the side.
    pub fn label(self) -> &'static str {
        match self {
            Side::Before => "before dedup",
            Side::Dedup => "dedup",
            Side::After => "after dedup",
        }
    }
}

/// What the ordered half of a dedup stage is built with.
#[derive(Clone, Copy, Debug)]
pub struct IndexContext<'a> {
    /// The output folder, for the index's scratch files.
    pub dir: &'a Path,
    /// The number of input documents, when a pre-scan counted them.
    pub docs: Option<u64>,
}

/// Builds a per-document stage.
pub type BuildStage = fn(&Config) -> Result<Box<dyn Stage>>;
/// Builds the pre-scan half of a stage that needs corpus statistics.
pub type BuildPrescan = fn(&Config) -> Result<Box<dyn Prescan>>;
/// Builds the ordered half of a dedup stage.
pub type BuildIndex = fn(&Config, IndexContext<'_>) -> Result<Box<dyn OrderedStage>>;

/// How a stage is built; the variant also fixes its [`Side`].
#[derive(Clone, Copy)]
pub enum Builder {
    /// A per-document stage before the decision.
    Before(BuildStage),
    /// A per-document stage before the decision that is built from a pre-scan of the input
    /// through the stages before it.
    Prescanned(BuildPrescan),
    /// A worker-side key (`key`) and an ordered index that decides on it (`index`).
    Dedup {
        /// The worker side.
        key: BuildStage,
        /// The ordered side.
        index: BuildIndex,
    },
    /// A per-document stage after the decision, for kept documents only.
    After(BuildStage),
}

/// One stage of the registry.
pub struct StageDef {
    /// The stage's name: its config section, its `--disable` value, its `stats.json` key.
    pub name: &'static str,
    /// One line for `corpusmill stages` and the `--disable` help.
    pub about: &'static str,
    /// Whether the config switches it on.
    pub enabled: fn(&Config) -> bool,
    /// Switches it on or off.
    pub set_enabled: fn(&mut Config, bool),
    /// How it is built.
    pub builder: Builder,
}

impl StageDef {
    /// Which side of the duplicate decision the stage runs on.
    pub fn side(&self) -> Side {
        match self.builder {
            Builder::Before(_) | Builder::Prescanned(_) => Side::Before,
            Builder::Dedup { .. } => Side::Dedup,
            Builder::After(_) => Side::After,
        }
    }
}

impl std::fmt::Debug for StageDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StageDef")
            .field("name", &self.name)
            .field("side", &self.side())
            .finish()
    }
}

fn boxed<S: Stage + 'static>(s: Result<S>) -> Result<Box<dyn Stage>> {
    Ok(Box::new(s?))
}

/// `enabled` and `set_enabled` for a config section with an `enabled` key.
macro_rules! switch {
    ($section:ident) => {
        (
            |c: &Config| c.$section.enabled,
            |c: &mut Config, on: bool| c.$section.enabled = on,
        )
    };
}

macro_rules! stage {
    ($name:ident, $about:expr, $builder:expr) => {{
        let (enabled, set_enabled) = switch!($name);
        StageDef {
            name: stringify!($name),
            about: $about,
            enabled,
            set_enabled,
            builder: $builder,
        }
    }};
}

/// Every stage, in the order documents go through them.
pub static STAGES: &[StageDef] = &[
    stage!(
        html,
        "main text and metadata of web pages (input.html_key or WARC input); others pass",
        Builder::Before(|c| boxed(c.html.build(&c.input)))
    ),
    stage!(
        unwrap,
        "joins hard-wrapped lines back into paragraphs (before normalize, which trims indents)",
        Builder::Before(|c| boxed(c.unwrap.build()))
    ),
    stage!(
        normalize,
        "HTML entities, Unicode NFC, whitespace and control characters",
        Builder::Before(|c| boxed(c.normalize.build()))
    ),
    stage!(
        line_rules,
        "site furniture line by line: navigation, calls to action, bylines, cookie notices",
        Builder::Before(|c| boxed(c.line_rules.build()))
    ),
    stage!(
        repeated_lines,
        "lines repeated across many documents of one site (needs a pre-scan pass)",
        Builder::Prescanned(|c| Ok(Box::new(c.repeated_lines.counter()?)))
    ),
    stage!(
        quality,
        "C4, Gopher and FineWeb document quality filters",
        Builder::Before(|c| boxed(c.quality.build()))
    ),
    stage!(
        min_length,
        "documents shorter than a minimum number of words or characters",
        Builder::Before(|c| boxed(c.min_length.build()))
    ),
    stage!(
        lang,
        "language identification and the allowed-language filter",
        Builder::Before(|c| boxed(c.lang.build()))
    ),
    stage!(
        exact_dedup,
        "exact duplicates of the normalized text, first seen wins",
        Builder::Dedup {
            key: |_| Ok(Box::new(crate::dedup::exact::ExactKey)),
            index: |_, ctx| {
                use crate::dedup::exact::{ExactIndex, IdLog};
                // Kept ids go to disk so memory holds only the 16-byte keys and a handle.
                let log = IdLog::file(&ctx.dir.join(".exact-ids.tmp"))?;
                Ok(Box::new(ExactIndex::with_log(log)))
            },
        }
    ),
    stage!(
        near_dedup,
        "near duplicates by MinHash LSH, verified on sketches, first seen wins",
        Builder::Dedup {
            key: |c| boxed(c.near_dedup.build_signer()),
            index: |c, ctx| {
                // A counted input sizes the band table once instead of growing it.
                let near = match ctx.docs {
                    Some(n) => c.near_dedup.sized_for(n),
                    None => c.near_dedup.clone(),
                };
                Ok(Box::new(near.build_index_in(ctx.dir)?))
            },
        }
    ),
    stage!(
        entities,
        "named entities (PER, ORG, LOC, MISC) and DATE, MONEY, PERCENT patterns",
        Builder::After(|c| boxed(c.entities.build()))
    ),
];

/// The names of all stages, in pipeline order.
pub fn stage_names() -> Vec<&'static str> {
    STAGES.iter().map(|s| s.name).collect()
}

/// The registry entry of a stage.
pub fn find(name: &str) -> Result<&'static StageDef> {
    STAGES.iter().find(|s| s.name == name).ok_or_else(|| {
        Error::Config(format!(
            "unknown stage `{name}` (stages: {})",
            stage_names().join(", ")
        ))
    })
}

/// Switches a stage off by name (as `--disable` does).
pub fn disable_stage(c: &mut Config, name: &str) -> Result<()> {
    (find(name)?.set_enabled)(c, false);
    Ok(())
}

/// A table of the stages for `corpusmill stages`: name, side, on/off in `config`, summary.
pub fn describe(config: &Config) -> String {
    let w = STAGES.iter().map(|s| s.name.len()).max().unwrap_or(0);
    STAGES
        .iter()
        .map(|s| {
            format!(
                "{:<w$}  {:<12}  {:<3}  {}\n",
                s.name,
                s.side().label(),
                if (s.enabled)(config) { "on" } else { "off" },
                s.about
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_sides_ordered() {
        let mut names = stage_names();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "duplicate stage name");
        // Before-stages, then dedup, then after-stages: the flow the pipeline is built on.
        let sides: Vec<Side> = STAGES.iter().map(StageDef::side).collect();
        let rank = |s: &Side| match s {
            Side::Before => 0,
            Side::Dedup => 1,
            Side::After => 2,
        };
        assert!(
            sides.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
            "{sides:?}"
        );
    }

    #[test]
    fn every_stage_can_be_switched_off_and_on() {
        for s in STAGES {
            let mut c = Config::default();
            assert!((s.enabled)(&c), "{} is on by default", s.name);
            disable_stage(&mut c, s.name).unwrap();
            assert!(!(s.enabled)(&c), "{}", s.name);
            (s.set_enabled)(&mut c, true);
            assert_eq!(c, Config::default(), "{}", s.name);
        }
        let e = disable_stage(&mut Config::default(), "ner").unwrap_err();
        assert!(e.to_string().contains("entities"), "{e}");
    }

    #[test]
    fn every_stage_builds_from_the_defaults() {
        let c = Config::default();
        let dir = tempfile::tempdir().unwrap();
        for s in STAGES {
            match s.builder {
                Builder::Before(b) | Builder::After(b) => {
                    assert_eq!(b(&c).unwrap().name(), s.name)
                }
                Builder::Prescanned(b) => {
                    b(&c).unwrap().finish().unwrap();
                }
                Builder::Dedup { key, index } => {
                    key(&c).unwrap();
                    let ctx = IndexContext {
                        dir: dir.path(),
                        docs: Some(10),
                    };
                    assert_eq!(index(&c, ctx).unwrap().name(), s.name);
                }
            }
        }
    }
}
