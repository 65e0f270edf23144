//! Entity extraction: the last per-document stage.
//!
//! Reads the cleaned `doc.text` and fills `doc.entities` with named entities (PER, ORG, LOC,
//! MISC) from a trained tagger and pattern entities (DATE, MONEY, PERCENT) from rules. Offsets
//! are Unicode code points of the cleaned text, so `text[start:end]` in Python is the entity.
//!
//! The pieces: [`tokenize`] (news tokenizer and sentence splitter with byte offsets),
//! [`features`] (hashed features), [`model`] (two-pass averaged-perceptron tagger and its
//! compressed format), [`viterbi`] (BILOU-constrained decoding), [`eval`] (scores, unseen-name
//! scores and type confusions), [`train`] (training from CoNLL-2003), [`conll`] (evaluation and
//! tagging of CoNLL files), [`clusters`] (word clusters from unlabeled text) and [`patterns`].
//! The shipped model (`models/ner-en.bin.zst`) is embedded in the binary, so the stage works
//! from any directory without a download.

pub mod clusters;
pub mod conll;
pub mod eval;
pub mod features;
pub mod model;
pub mod patterns;
pub mod tokenize;
pub mod train;
pub mod viterbi;

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use model::Model;

use crate::doc::{Doc, Entity};
use crate::stage::{Counters, Stage, StageWorker, Verdict};
use crate::Error;
use features::TYPES;
use tokenize::{split_sentences, tokenize, CharOffsets, Token};

/// The shipped English model, embedded at build time.
pub static EMBEDDED_MODEL: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/ner-en.bin.zst"
));

/// All labels the stage can produce.
pub const ALL_LABELS: [&str; 7] = ["PER", "ORG", "LOC", "MISC", "DATE", "MONEY", "PERCENT"];

/// Config for the `[entities]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EntitiesConfig {
    /// Run this stage (default true).
    pub enabled: bool,
    /// Run the statistical tagger for PER, ORG, LOC and MISC (default true).
    pub ner: bool,
    /// Run the rules for DATE, MONEY and PERCENT (default true).
    pub patterns: bool,
    /// Model file written by `corpusmill ner train`; empty (the default) uses the model
    /// embedded in the binary.
    pub model: String,
    /// Labels to keep in the output (default all: PER, ORG, LOC, MISC, DATE, MONEY, PERCENT).
    pub labels: Vec<String>,
    /// ISO 639-3 codes of the languages the tagger runs on (default `["eng"]`, what the
    /// shipped model was trained for). A document the `lang` stage identified as another
    /// language gets pattern entities only and is counted as `entities.ner_skipped_lang`;
    /// a document without an identified language (the `lang` stage disabled) is tagged.
    pub ner_languages: Vec<String>,
}

impl Default for EntitiesConfig {
    fn default() -> Self {
        EntitiesConfig {
            enabled: true,
            ner: true,
            patterns: true,
            model: String::new(),
            labels: ALL_LABELS.iter().map(|s| s.to_string()).collect(),
            ner_languages: vec!["eng".to_string()],
        }
    }
}

impl EntitiesConfig {
    /// Validates the config, loads the model and builds the stage.
    pub fn build(&self) -> crate::Result<EntityStage> {
        let mut keep = [false; 7];
        for l in &self.labels {
            match ALL_LABELS.iter().position(|a| a == l) {
                Some(i) => keep[i] = true,
                None => {
                    return Err(Error::Config(format!(
                        "entities.labels: unknown label `{l}` (use any of {})",
                        ALL_LABELS.join(", ")
                    )))
                }
            }
        }
        let model = if !self.ner {
            None
        } else if self.model.is_empty() {
            Some(Arc::new(Model::from_bytes(EMBEDDED_MODEL).map_err(
                |e| {
                    Error::Model(format!(
                        "embedded model: {e} (set entities.model to a model file)"
                    ))
                },
            )?))
        } else {
            let path = PathBuf::from(&self.model);
            Some(Arc::new(Model::load(&path).map_err(|e| {
                Error::Config(format!(
                    "entities.model: {e} (leave entities.model empty to use the built-in model)"
                ))
            })?))
        };
        for code in &self.ner_languages {
            if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_lowercase()) {
                return Err(Error::Config(format!(
                    "entities.ner_languages: `{code}` is not an ISO 639-3 code (use codes such as \"eng\")"
                )));
            }
        }
        Ok(EntityStage {
            model,
            patterns: self.patterns,
            keep,
            languages: self.ner_languages.clone(),
        })
    }
}

/// The entity-extraction stage.
#[derive(Clone, Debug)]
pub struct EntityStage {
    model: Option<Arc<Model>>,
    patterns: bool,
    keep: [bool; 7],
    languages: Vec<String>,
}

/// An entity found in a text, as byte offsets (see [`EntityStage::find`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteSpan {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
    /// Label, one of [`ALL_LABELS`].
    pub label: &'static str,
}

/// Reusable buffers for [`EntityStage::find`].
#[derive(Debug, Default)]
pub struct Buffers {
    tokens: Vec<Token>,
    sentences: Vec<Range<usize>>,
    tags: Vec<u8>,
    scratch: model::Scratch,
    spans: Vec<conll::Span>,
    patterns: Vec<ByteSpan>,
}

impl EntityStage {
    /// A stage with the embedded model and all labels.
    pub fn new_default() -> crate::Result<EntityStage> {
        EntitiesConfig::default().build()
    }

    /// The stage that uses `model` for named entities (and patterns when `patterns`).
    pub fn with_model(model: Model, patterns: bool) -> EntityStage {
        EntityStage {
            model: Some(Arc::new(model)),
            patterns,
            keep: [true; 7],
            languages: vec!["eng".to_string()],
        }
    }

    /// Whether the tagger runs on a document identified as `lang` (`None`: not identified).
    pub fn tags_language(&self, lang: Option<&str>) -> bool {
        match lang {
            None => true,
            Some(l) => self.languages.iter().any(|x| x == l),
        }
    }

    /// Finds entities in `text` as byte spans, sorted by start, without overlaps. Pattern
    /// entities win over overlapping named entities.
    pub fn find(&self, text: &str, buf: &mut Buffers, out: &mut Vec<ByteSpan>) {
        self.find_in(text, true, buf, out);
    }

    /// [`EntityStage::find`], with the tagger only when `ner` (patterns always, if enabled).
    fn find_in(&self, text: &str, ner: bool, buf: &mut Buffers, out: &mut Vec<ByteSpan>) {
        out.clear();
        tokenize(text, &mut buf.tokens);
        buf.patterns.clear();
        if self.patterns {
            patterns::find(text, &buf.tokens, &mut buf.patterns);
            buf.patterns.retain(|s| self.keep[label_index(s.label)]);
        }
        if let Some(model) = self.model.as_ref().filter(|_| ner) {
            split_sentences(text, &buf.tokens, &mut buf.sentences);
            let words: Vec<&str> = buf.tokens.iter().map(|t| &text[t.start..t.end]).collect();
            model.tag(&words, &buf.sentences, &mut buf.scratch, &mut buf.tags);
            buf.spans.clear();
            for s in &buf.sentences {
                conll::spans_from_bilou(&buf.tags, s.clone(), &mut buf.spans);
            }
            let mut p = 0;
            for &(a, b, ty) in &buf.spans {
                if !self.keep[ty] {
                    continue;
                }
                let (start, end) = (buf.tokens[a].start, buf.tokens[b - 1].end);
                while p < buf.patterns.len() && buf.patterns[p].end <= start {
                    out.push(buf.patterns[p]);
                    p += 1;
                }
                if p < buf.patterns.len() && buf.patterns[p].start < end {
                    continue;
                }
                out.push(ByteSpan {
                    start,
                    end,
                    label: TYPES[ty],
                });
            }
            out.extend_from_slice(&buf.patterns[p..]);
        } else {
            out.extend_from_slice(&buf.patterns);
        }
    }

    /// Extracts the entities of `text` with code-point offsets.
    pub fn extract(&self, text: &str, buf: &mut Buffers) -> Vec<Entity> {
        self.extract_in(text, true, buf)
    }

    /// Extracts the entities of a document identified as language `lang`: the tagger runs
    /// only when [`EntityStage::tags_language`] says so, pattern entities always.
    pub fn extract_lang(&self, text: &str, lang: Option<&str>, buf: &mut Buffers) -> Vec<Entity> {
        self.extract_in(text, self.tags_language(lang), buf)
    }

    fn extract_in(&self, text: &str, ner: bool, buf: &mut Buffers) -> Vec<Entity> {
        let mut spans = Vec::new();
        self.find_in(text, ner, buf, &mut spans);
        let mut conv = CharOffsets::new(text);
        spans
            .iter()
            .map(|s| Entity {
                text: text[s.start..s.end].to_string(),
                label: s.label,
                start: conv.to_chars(s.start),
                end: conv.to_chars(s.end),
            })
            .collect()
    }
}

fn label_index(label: &str) -> usize {
    ALL_LABELS.iter().position(|l| *l == label).unwrap_or(0)
}

impl Stage for EntityStage {
    fn name(&self) -> &'static str {
        "entities"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        self.tag_doc(doc, &mut Buffers::default(), counters)
    }

    fn worker(&self) -> Option<Box<dyn StageWorker + '_>> {
        Some(Box::new(EntityWorker {
            stage: self,
            buf: Buffers::default(),
        }))
    }
}

impl EntityStage {
    fn tag_doc(&self, doc: &mut Doc, buf: &mut Buffers, counters: &mut Counters) -> Verdict {
        let lang = doc.lang.as_ref().map(|l| l.code);
        let ner = self.tags_language(lang);
        doc.entities = self.extract_in(&doc.text, ner, buf);
        counters.add("entities", "docs", 1);
        if self.model.is_some() && !ner {
            counters.add("entities", "ner_skipped_lang", 1);
        }
        counters.add("entities", "tokens", buf.tokens.len() as u64);
        counters.add("entities", "entities", doc.entities.len() as u64);
        Verdict::Keep
    }
}

/// The entity stage on one worker thread: its tokenizer and tagger buffers are reused from one
/// document to the next.
struct EntityWorker<'a> {
    stage: &'a EntityStage,
    buf: Buffers,
}

impl StageWorker for EntityWorker<'_> {
    fn process(&mut self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        self.stage.tag_doc(doc, &mut self.buf, counters)
    }
}
