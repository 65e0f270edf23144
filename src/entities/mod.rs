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
pub mod tagfile;
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
    /// Tokens of the last text (all its windows).
    token_count: usize,
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
    ///
    /// A text longer than [`WINDOW_BYTES`] is tagged window by window, each window ending at a
    /// paragraph, line or word boundary, so the tokenizer and tagger buffers (about 500 bytes
    /// per token) stay bounded by the window instead of growing with the document: one 60 MB
    /// document would otherwise need 5 GB. Entities never cross a window boundary.
    fn find_in(&self, text: &str, ner: bool, buf: &mut Buffers, out: &mut Vec<ByteSpan>) {
        out.clear();
        let mut window = Vec::new();
        let mut offset = 0;
        buf.token_count = 0;
        for piece in windows(text, WINDOW_BYTES) {
            self.find_window(piece, ner, buf, &mut window);
            buf.token_count += buf.tokens.len();
            out.extend(window.iter().map(|s| ByteSpan {
                start: s.start + offset,
                end: s.end + offset,
                label: s.label,
            }));
            offset += piece.len();
        }
    }

    /// Whether `text` is tagged in more than one window (see [`EntityStage::find`]).
    pub fn is_windowed(text: &str) -> bool {
        text.len() > WINDOW_BYTES
    }

    fn find_window(&self, text: &str, ner: bool, buf: &mut Buffers, out: &mut Vec<ByteSpan>) {
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

/// The longest text the tagger sees at once (bytes).
pub const WINDOW_BYTES: usize = 256 << 10;

/// Splits `text` into consecutive pieces of at most `max` bytes (one piece when it fits), each
/// ending after the last paragraph break, else line break, else space of its range, else at a
/// character boundary. The pieces concatenate to `text`.
fn windows(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = if rest.len() <= max {
            rest.len()
        } else {
            let mut limit = max;
            while !rest.is_char_boundary(limit) {
                limit -= 1;
            }
            let head = &rest[..limit];
            let at = |pat: &str| {
                head.rfind(pat)
                    .map(|i| i + pat.len())
                    .filter(|&i| i > max / 2)
            };
            at("\n\n")
                .or_else(|| at("\n"))
                .or_else(|| at(" "))
                .unwrap_or(limit)
                .max(1)
        };
        let mut cut = cut;
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        let (piece, tail) = rest.split_at(cut);
        rest = tail;
        Some(piece)
    })
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
        if EntityStage::is_windowed(&doc.text) {
            counters.add("entities", "windowed_docs", 1);
        }
        counters.add("entities", "tokens", buf.token_count as u64);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_text_at_boundaries() {
        let para = "Angela Merkel met the press in Berlin on Monday.";
        let text = vec![para; 40].join("\n\n") + " " + &"x".repeat(300) + "é".repeat(200).as_str();
        let pieces: Vec<&str> = windows(&text, 256).collect();
        assert!(pieces.len() > 5);
        assert_eq!(pieces.concat(), text);
        for p in &pieces {
            assert!(p.len() <= 257, "{} bytes", p.len());
        }
        // Paragraph breaks are preferred: every piece but the unbreakable tail ends after one.
        let ends_at_para = pieces.iter().filter(|p| p.ends_with("\n\n")).count();
        assert!(ends_at_para >= pieces.len() - 4, "{pieces:?}");
        assert_eq!(windows("short", 256).collect::<Vec<_>>(), vec!["short"]);
        assert_eq!(windows("", 256).count(), 0);
    }

    // Pins the 5 GB entity stage on one 60 MB document: a text longer than a window is tagged
    // window by window, with offsets into the whole text.
    #[test]
    fn long_text_is_tagged_in_windows_with_whole_text_offsets() {
        let stage = EntityStage::new_default().unwrap();
        let para = "Prime Minister Tony Blair flew to Washington on Monday to meet George Bush.";
        let short = stage.extract(para, &mut Buffers::default());
        let copies = WINDOW_BYTES / para.len() * 3;
        let text = vec![para; copies].join("\n\n");
        assert!(EntityStage::is_windowed(&text));
        let mut buf = Buffers::default();
        let all = stage.extract(&text, &mut buf);
        assert_eq!(all.len(), short.len() * copies);
        let chars: Vec<char> = text.chars().collect();
        for e in &all {
            let got: String = chars[e.start..e.end].iter().collect();
            assert_eq!(got, e.text);
        }
        // The buffers hold one window's tokens, not the document's.
        assert!(
            buf.tokens.capacity() < WINDOW_BYTES / 2,
            "{}",
            buf.tokens.capacity()
        );
        assert!(buf.token_count > copies * 10);
    }
}
