//! The document record that flows through every stage.
//!
//! Readers produce raw lines; workers parse each line into a [`Doc`], the per-document stages
//! mutate it (or drop it), and the writer serializes it back into the output record: the input
//! record with `text` replaced by the cleaned text, plus `lang`, `lang_score` and `entities`.

use std::sync::Arc;

use serde::Serialize;

/// Where a record came from: the input file as the user named it and its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Input path as given (or `-` for standard input).
    pub file: Arc<str>,
    /// 1-based line number within the decompressed file.
    pub line: u64,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A named entity or pattern entity found in the cleaned text.
///
/// `start` and `end` are offsets in Unicode code points, so `text[start:end]` in Python gives
/// the entity text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entity {
    /// The entity's surface text.
    pub text: String,
    /// `PER`, `ORG`, `LOC`, `MISC`, `DATE`, `MONEY` or `PERCENT`.
    pub label: &'static str,
    /// First code point of the entity in the cleaned text.
    pub start: usize,
    /// One past the last code point of the entity in the cleaned text.
    pub end: usize,
}

/// Language identified for a document.
#[derive(Clone, Debug, PartialEq)]
pub struct Lang {
    /// ISO 639-3 code (`eng`, `deu`, ...).
    pub code: &'static str,
    /// Confidence between 0 and 1.
    pub score: f64,
}

/// One article record on its way through the pipeline.
#[derive(Clone, Debug)]
pub struct Doc {
    /// Position in input order (files in sorted order, then line order); "first seen wins"
    /// decisions compare this.
    pub seq: u64,
    /// The record's id, or one derived from `origin` when the record has none.
    pub id: String,
    /// The (progressively cleaned) text.
    pub text: String,
    /// Value of the configured url field, when present and a string.
    pub url: Option<String>,
    /// Value of the configured title field, when present and a string.
    pub title: Option<String>,
    /// Value of the configured date field, when present and a string.
    pub date: Option<String>,
    /// Value of the configured author field, when present and a string.
    pub author: Option<String>,
    /// The web page to extract `text` from (the `input.html_key` field, or a WARC response),
    /// until the `html` stage replaces it by its main text.
    pub html: Option<String>,
    /// The `html` stage wrote `text` from a web page: its lines are the page's blocks
    /// (paragraphs, headings, list items, table cells, code lines), not lines of plain text, so
    /// the line rules and quality rules built for plain-text dumps judge it differently.
    pub from_html: bool,
    /// Keys ([`crate::clean::html::line_key`]) of the lines the `html` stage wrote from
    /// data-table rows and preformatted text (figures and code, not prose), sorted; empty for
    /// plain text. The quality rules judge an extracted page by its other lines.
    pub data_lines: Vec<u64>,
    /// Site grouping key: the configured source field, else the host of `url`.
    pub site: Option<String>,
    /// The input record's other fields, as their original JSON, written back untouched.
    pub record: Passthrough,
    /// The text as read, kept only when the config asks for the original text in the output.
    pub original_text: Option<String>,
    /// Identified language, when the language stage ran.
    pub lang: Option<Lang>,
    /// Entities, when the entity stage ran.
    pub entities: Vec<Entity>,
    /// 128-bit hash of the normalized text, when exact dedup is enabled.
    pub exact_key: Option<u128>,
    /// MinHash signature, when near-duplicate detection is enabled.
    pub minhash: Option<Box<[u32]>>,
    /// Fields the ordered stages add to the output record (near dedup in annotate mode adds
    /// `cluster`), written after every other field.
    pub annotations: Vec<(&'static str, String)>,
    /// Where the record came from.
    pub origin: Origin,
}

impl Doc {
    /// A document with the given text and defaults for everything else; handy in tests and for
    /// library users that do not read JSONL.
    pub fn from_text(id: impl Into<String>, text: impl Into<String>) -> Doc {
        Doc {
            seq: 0,
            id: id.into(),
            text: text.into(),
            url: None,
            title: None,
            date: None,
            author: None,
            html: None,
            from_html: false,
            data_lines: Vec::new(),
            site: None,
            record: Passthrough::default(),
            original_text: None,
            lang: None,
            entities: Vec::new(),
            exact_key: None,
            minhash: None,
            annotations: Vec::new(),
            origin: Origin {
                file: Arc::from("<memory>"),
                line: 0,
            },
        }
    }
}

/// The fields of an input record that the stages do not change, kept as the JSON text they
/// had in the input (`"key":value` entries in input order), with the place of the text field
/// marked. Writing a record back is then a copy, not a re-serialization: numbers keep their
/// digits and strings their escapes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Passthrough {
    /// Entries before the text field, each followed by `,`; then entries after it, each
    /// preceded by `,`.
    json: Vec<u8>,
    /// Where the text field goes in `json` (`None` until marked: everything is before it).
    split: Option<usize>,
}

impl Passthrough {
    /// An empty passthrough with room for `bytes` of entries.
    pub fn with_capacity(bytes: usize) -> Passthrough {
        Passthrough {
            json: Vec::with_capacity(bytes),
            split: None,
        }
    }

    /// Marks the text field's place: entries pushed from now on come after it.
    pub fn mark_text(&mut self) {
        self.split = Some(self.json.len());
    }

    /// Appends an entry whose value is raw JSON text (copied as is).
    pub fn push_raw(&mut self, key: &str, raw: &str) {
        self.push_with(key, |out| out.extend_from_slice(raw.as_bytes()));
    }

    /// Appends an entry whose value is a string.
    pub fn push_string(&mut self, key: &str, value: &str) {
        self.push_with(key, |out| crate::io::record::write_json_str(out, value));
    }

    fn push_with(&mut self, key: &str, value: impl FnOnce(&mut Vec<u8>)) {
        let after = self.split.is_some();
        if after {
            self.json.push(b',');
        }
        crate::io::record::write_json_str(&mut self.json, key);
        self.json.push(b':');
        value(&mut self.json);
        if !after {
            self.json.push(b',');
        }
    }

    /// The entries before the text field (each ending in `,`) and after it (each starting
    /// with `,`).
    pub fn parts(&self) -> (&[u8], &[u8]) {
        self.json.split_at(self.split.unwrap_or(self.json.len()))
    }

    /// Bytes of JSON held.
    pub fn len(&self) -> usize {
        self.json.len()
    }

    /// True when the record has no fields besides the text.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }
}
