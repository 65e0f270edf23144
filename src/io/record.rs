//! JSON records: parsing a raw line into a [`Doc`] and writing a [`Doc`] back out.
//!
//! All fields of the input record pass through untouched and in their original order; only the
//! text field is replaced by the cleaned text, and `lang`, `lang_score` and `entities` are added
//! when the stages that fill them ran.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::errors::{Action, ErrorKind, InputError};
use crate::config::{InputConfig, InvalidUtf8, OutputConfig};
use crate::doc::{Doc, Entity, Origin};

/// How records map to fields, built from the `[input]` and `[output]` config.
#[derive(Clone, Debug)]
pub struct RecordFormat {
    text_key: String,
    id_key: String,
    url_key: String,
    title_key: String,
    date_key: String,
    source_key: String,
    keep_original_key: Option<String>,
    invalid_utf8: InvalidUtf8,
    /// Add `lang` and `lang_score` on output.
    pub with_lang: bool,
    /// Add `entities` on output.
    pub with_entities: bool,
}

/// The result of parsing one line: a document, possibly with a warning (repaired UTF-8).
pub type Parsed = Result<(Doc, Option<InputError>), InputError>;

impl RecordFormat {
    /// Builds the format from the config sections.
    pub fn new(input: &InputConfig, output: &OutputConfig) -> RecordFormat {
        RecordFormat {
            text_key: input.text_key.clone(),
            id_key: input.id_key.clone(),
            url_key: input.url_key.clone(),
            title_key: input.title_key.clone(),
            date_key: input.date_key.clone(),
            source_key: input.source_key.clone(),
            keep_original_key: Some(output.keep_original_text_key.clone())
                .filter(|k| !k.is_empty()),
            invalid_utf8: input.invalid_utf8,
            with_lang: false,
            with_entities: false,
        }
    }

    /// Parses one line. Errors say what is wrong and which config key may fix it.
    pub fn parse(&self, bytes: &[u8], file: &Arc<str>, line: u64, seq: u64) -> Parsed {
        let err = |kind, reason: String, action| InputError {
            file: file.clone(),
            line,
            kind,
            reason,
            action,
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(err(
                ErrorKind::EmptyLine,
                "empty line".into(),
                Action::Skipped,
            ));
        }
        let mut warning = None;
        let text: Cow<'_, str> = match std::str::from_utf8(bytes) {
            Ok(s) => Cow::Borrowed(s),
            Err(e) => {
                let reason = format!("invalid UTF-8 at byte {}", e.valid_up_to());
                match self.invalid_utf8 {
                    InvalidUtf8::Skip => {
                        return Err(err(
                            ErrorKind::InvalidUtf8,
                            format!(
                            "{reason} (set input.invalid_utf8 = \"replace\" to keep such records)"
                        ),
                            Action::Skipped,
                        ))
                    }
                    InvalidUtf8::Replace => {
                        warning = Some(err(
                            ErrorKind::InvalidUtf8,
                            format!("{reason}; invalid bytes replaced with U+FFFD"),
                            Action::Repaired,
                        ));
                        String::from_utf8_lossy(bytes)
                    }
                }
            }
        };
        let mut record: Map<String, Value> = match serde_json::from_str(&text) {
            Ok(m) => m,
            Err(e) => {
                let reason = if e.is_data() {
                    "not a JSON object".to_string()
                } else {
                    format!("invalid JSON: {e}")
                };
                return Err(err(ErrorKind::InvalidJson, reason, Action::Skipped));
            }
        };
        let body = match record.get_mut(&self.text_key) {
            Some(Value::String(s)) => std::mem::take(s),
            Some(other) => {
                return Err(err(
                    ErrorKind::TextNotString,
                    format!(
                        "field `{}` is {}, not a string (set input.text_key in the config if your dumps use another field)",
                        self.text_key,
                        type_name(other)
                    ),
                    Action::Skipped,
                ))
            }
            None => {
                return Err(err(
                    ErrorKind::MissingText,
                    format!(
                        "field `{}` missing (set input.text_key in the config if your dumps use another name)",
                        self.text_key
                    ),
                    Action::Skipped,
                ))
            }
        };
        let id = match record.get(&self.id_key) {
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => {
                let id = format!("{file}:{line}");
                record.insert(self.id_key.clone(), Value::String(id.clone()));
                id
            }
        };
        let get = |key: &str| match record.get(key) {
            Some(Value::String(s)) if !key.is_empty() => Some(s.clone()),
            _ => None,
        };
        let url = get(&self.url_key);
        let site = get(&self.source_key).or_else(|| url.as_deref().and_then(host));
        let doc = Doc {
            seq,
            id,
            original_text: self.keep_original_key.as_ref().map(|_| body.clone()),
            text: body,
            title: get(&self.title_key),
            date: get(&self.date_key),
            url,
            site,
            record,
            lang: None,
            entities: Vec::new(),
            exact_key: None,
            minhash: None,
            origin: Origin {
                file: file.clone(),
                line,
            },
        };
        Ok((doc, warning))
    }

    /// Serializes the output record for a kept document into `out` (no trailing newline).
    pub fn write(&self, doc: &mut Doc, out: &mut Vec<u8>) -> serde_json::Result<()> {
        let mut record = std::mem::take(&mut doc.record);
        record.insert(
            self.text_key.clone(),
            Value::String(std::mem::take(&mut doc.text)),
        );
        if let (Some(k), Some(orig)) = (&self.keep_original_key, doc.original_text.take()) {
            record.insert(k.clone(), Value::String(orig));
        }
        let lang = if self.with_lang {
            record.shift_remove("lang");
            record.shift_remove("lang_score");
            Some(doc.lang.as_ref())
        } else {
            None
        };
        let entities = if self.with_entities {
            record.shift_remove("entities");
            Some(doc.entities.as_slice())
        } else {
            None
        };
        let out_rec = OutRecord {
            record: &record,
            lang: lang.map(|l| l.map(|l| l.code)),
            lang_score: lang.map(|l| l.map(|l| (l.score * 1e4).round() / 1e4)),
            entities,
        };
        serde_json::to_writer(&mut *out, &out_rec)
    }
}

#[derive(Serialize)]
struct OutRecord<'a> {
    #[serde(flatten)]
    record: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang: Option<Option<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lang_score: Option<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entities: Option<&'a [Entity]>,
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The host of a URL, lowercased, without `www.`, port or credentials (`None` if there is none).
pub fn host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    let hostport = auth.rsplit_once('@').map_or(auth, |(_, h)| h);
    let h = hostport
        .split(':')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let h = h.strip_prefix("www.").unwrap_or(&h);
    if h.is_empty() {
        None
    } else {
        Some(h.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt() -> RecordFormat {
        RecordFormat::new(&InputConfig::default(), &OutputConfig::default())
    }

    fn file() -> Arc<str> {
        Arc::from("f.jsonl")
    }

    #[test]
    fn parses_and_round_trips_passthrough_fields() {
        let line = br#"{"id":"a1","title":"T","extra":{"k":[1,2]},"text":"Body","url":"https://www.Example.com:8080/x"}"#;
        let (mut doc, w) = fmt().parse(line, &file(), 3, 7).unwrap();
        assert!(w.is_none());
        assert_eq!(doc.id, "a1");
        assert_eq!(doc.text, "Body");
        assert_eq!(doc.title.as_deref(), Some("T"));
        assert_eq!(doc.site.as_deref(), Some("example.com"));
        doc.text = "Clean".into();
        let mut out = Vec::new();
        fmt().write(&mut doc, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"id":"a1","title":"T","extra":{"k":[1,2]},"text":"Clean","url":"https://www.Example.com:8080/x"}"#
        );
    }

    #[test]
    fn derives_missing_id_from_file_and_line() {
        let (doc, _) = fmt().parse(br#"{"text":"x"}"#, &file(), 12, 0).unwrap();
        assert_eq!(doc.id, "f.jsonl:12");
        assert_eq!(doc.record["id"], "f.jsonl:12");
        let (doc, _) = fmt()
            .parse(br#"{"text":"x","id":42}"#, &file(), 12, 0)
            .unwrap();
        assert_eq!(doc.id, "42");
    }

    #[test]
    fn bad_records_say_what_to_do() {
        let e = fmt().parse(br#"{"body":"x"}"#, &file(), 5, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::MissingText);
        assert!(e.reason.contains("input.text_key"), "{}", e.reason);
        assert_eq!(
            e.to_string().split(':').take(2).collect::<Vec<_>>(),
            ["f.jsonl", "5"]
        );
        let e = fmt().parse(br#"{"text":3}"#, &file(), 5, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::TextNotString);
        let e = fmt().parse(br#"{"text":"x""#, &file(), 5, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidJson);
        let e = fmt().parse(br#"["text"]"#, &file(), 5, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidJson);
        let e = fmt().parse(b"  \t", &file(), 5, 0).unwrap_err();
        assert_eq!(e.kind, ErrorKind::EmptyLine);
    }

    #[test]
    fn invalid_utf8_is_repaired_or_skipped() {
        let line = b"{\"text\":\"caf\xe9 ok\"}";
        let (doc, w) = fmt().parse(line, &file(), 1, 0).unwrap();
        assert_eq!(doc.text, "caf\u{fffd} ok");
        assert_eq!(w.unwrap().kind, ErrorKind::InvalidUtf8);
        let cfg = InputConfig {
            invalid_utf8: InvalidUtf8::Skip,
            ..Default::default()
        };
        let f = RecordFormat::new(&cfg, &OutputConfig::default());
        assert_eq!(
            f.parse(line, &file(), 1, 0).unwrap_err().kind,
            ErrorKind::InvalidUtf8
        );
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host("https://www.BBC.co.uk/news/1").as_deref(),
            Some("bbc.co.uk")
        );
        assert_eq!(
            host("http://user:pw@site.org:80?q").as_deref(),
            Some("site.org")
        );
        assert_eq!(host("site.org/path").as_deref(), Some("site.org"));
        assert_eq!(host(""), None);
    }
}
