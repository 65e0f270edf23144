//! JSON records: parsing a raw line into a [`Doc`] and writing a [`Doc`] back out.
//!
//! All fields of the input record pass through untouched and in their original order; only the
//! text field is replaced by the cleaned text, and `lang`, `lang_score` and `entities` are added
//! when the stages that fill them ran.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::errors::{Action, ErrorKind, InputError};
use crate::config::{InputConfig, InvalidUtf8, OutputConfig};
use crate::doc::{Doc, Origin, Passthrough};

/// How records map to fields, built from the `[input]` and `[output]` config.
#[derive(Clone, Debug)]
pub struct RecordFormat {
    text_key: String,
    id_key: String,
    url_key: String,
    title_key: String,
    date_key: String,
    author_key: String,
    html_key: String,
    source_key: String,
    keep_original_key: Option<String>,
    invalid_utf8: InvalidUtf8,
    max_body: usize,
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
            author_key: input.author_key.clone(),
            html_key: input.html_key.clone(),
            source_key: input.source_key.clone(),
            keep_original_key: Some(output.keep_original_text_key.clone())
                .filter(|k| !k.is_empty()),
            invalid_utf8: input.invalid_utf8,
            max_body: input.max_line_bytes,
            with_lang: false,
            with_entities: false,
        }
    }

    /// Parses one batch entry: a JSON line, or a WARC response when `warc` is set.
    pub fn parse_entry(
        &self,
        warc: bool,
        bytes: &[u8],
        file: &Arc<str>,
        line: u64,
        seq: u64,
    ) -> Parsed {
        if warc {
            self.parse_warc(bytes, file, line, seq)
        } else {
            self.parse(bytes, file, line, seq)
        }
    }

    /// Parses a WARC response entry (see [`super::warc`]) into a document whose page the
    /// `html` stage extracts: `id` from WARC-Record-ID, `url` from WARC-Target-URI, `date`
    /// from WARC-Date; `line` is the record's number in the file.
    pub fn parse_warc(&self, bytes: &[u8], file: &Arc<str>, line: u64, seq: u64) -> Parsed {
        let resp = super::warc::decode(bytes, self.max_body).map_err(|reason| InputError {
            file: file.clone(),
            line,
            kind: ErrorKind::BadWarcRecord,
            reason: format!("WARC record {line}: {reason}"),
            action: Action::Skipped,
        })?;
        let charset = Some(resp.charset).filter(|c| !c.is_empty());
        let (page, _) = crate::clean::html::meta::decode(&resp.body, charset);
        let id = if resp.id.is_empty() {
            format!("{file}:{line}")
        } else {
            resp.id.to_string()
        };
        let nonempty = |s: &str| Some(s.to_string()).filter(|s| !s.is_empty());
        let url = nonempty(resp.uri);
        let date = nonempty(resp.date);
        let mut record = Passthrough::with_capacity(id.len() + resp.uri.len() + 64);
        record.push_string(&self.id_key, &id);
        for (k, v) in [(&self.url_key, &url), (&self.date_key, &date)] {
            if let (false, Some(v)) = (k.is_empty(), v) {
                record.push_string(k, v);
            }
        }
        record.mark_text();
        let mut doc = Doc::from_text(id, String::new());
        doc.seq = seq;
        doc.site = url.as_deref().and_then(host);
        doc.url = url;
        doc.date = date;
        doc.record = record;
        doc.original_text = self.keep_original_key.as_ref().map(|_| page.clone());
        doc.html = Some(page);
        doc.origin = Origin {
            file: file.clone(),
            line,
        };
        Ok((doc, None))
    }

    /// Parses one line. Errors say what is wrong and which config key may fix it.
    ///
    /// Only the fields the stages use are decoded; every other field is kept as its original
    /// JSON text (numbers keep their digits, strings their escapes) and written back as is.
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
        let mut de = serde_json::Deserializer::from_str(&text);
        let mut entries = match Fields::deserialize(&mut de).and_then(|f| de.end().map(|()| f)) {
            Ok(Fields(f)) => f,
            Err(e) => {
                let reason = if e.is_data() {
                    "not a JSON object".to_string()
                } else {
                    format!("invalid JSON: {e}")
                };
                return Err(err(ErrorKind::InvalidJson, reason, Action::Skipped));
            }
        };
        dedup_keys(&mut entries);
        let find = |key: &str| {
            entries
                .iter()
                .find(|(k, v)| k == key && v.is_some())
                .and_then(|(_, v)| *v)
        };
        // A record with a page in `html_key` gets its text from the page (the html stage).
        let html_raw = find(&self.html_key)
            .filter(|r| !self.html_key.is_empty() && r.get().starts_with('"'))
            .map(RawValue::get);
        let is_html = html_raw.is_some();
        let field: &str = if is_html {
            &self.html_key
        } else {
            &self.text_key
        };
        let raw_text = html_raw.or_else(|| find(&self.text_key).map(RawValue::get));
        let body = match raw_text {
            Some(raw) if raw.starts_with('"') => match unescape(raw) {
                Ok((s, None)) => s,
                Ok((s, Some(bad))) => {
                    let reason = format!("field `{field}` has a lone surrogate escape {bad}");
                    match self.invalid_utf8 {
                        InvalidUtf8::Skip => {
                            return Err(err(
                                ErrorKind::InvalidUtf8,
                                format!("{reason} (set input.invalid_utf8 = \"replace\" to keep such records)"),
                                Action::Skipped,
                            ))
                        }
                        InvalidUtf8::Replace => {
                            warning = warning.or(Some(err(
                                ErrorKind::InvalidUtf8,
                                format!("{reason}, replaced with U+FFFD"),
                                Action::Repaired,
                            )));
                            s
                        }
                    }
                }
                Err(e) => return Err(err(ErrorKind::InvalidJson, e, Action::Skipped)),
            },
            Some(other) => {
                let kind = match other.as_bytes().first() {
                    Some(b't' | b'f') => "a boolean",
                    Some(b'n') => "null",
                    Some(b'[') => "an array",
                    Some(b'{') => "an object",
                    _ => "a number",
                };
                return Err(err(
                    ErrorKind::TextNotString,
                    format!(
                        "field `{field}` is {kind}, not a string (set input.text_key in the config if your dumps use another field)",
                    ),
                    Action::Skipped,
                ));
            }
            None => {
                let reason = if self.html_key.is_empty() {
                    format!(
                        "field `{}` missing (set input.text_key in the config if your dumps use another name)",
                        self.text_key
                    )
                } else {
                    format!(
                        "fields `{}` and `{}` missing (set input.html_key or input.text_key in the config if your dumps use other names)",
                        self.html_key, self.text_key
                    )
                };
                return Err(err(ErrorKind::MissingText, reason, Action::Skipped));
            }
        };
        let get = |key: &str| match find(key) {
            Some(raw) if !key.is_empty() && raw.get().starts_with('"') => {
                serde_json::from_str::<String>(raw.get()).ok()
            }
            _ => None,
        };
        let (id, derived) = match find(&self.id_key).map(|raw| raw.get()) {
            Some(raw) if raw.starts_with('"') && raw != "\"\"" => {
                match serde_json::from_str::<String>(raw) {
                    Ok(s) => (s, false),
                    Err(_) => (format!("{file}:{line}"), true),
                }
            }
            Some(raw) if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => {
                match serde_json::from_str::<Value>(raw) {
                    Ok(Value::Number(n)) => (n.to_string(), false),
                    _ => (format!("{file}:{line}"), true),
                }
            }
            _ => (format!("{file}:{line}"), true),
        };
        let url = get(&self.url_key);
        let site = get(&self.source_key).or_else(|| url.as_deref().and_then(host));
        let title = get(&self.title_key);
        let date = get(&self.date_key);
        let author = get(&self.author_key);

        // Keys that output replaces are left out of the passthrough.
        let dropped = |k: &str| {
            k == self.text_key
                || (is_html && k == self.html_key)
                || (self.with_lang && (k == "lang" || k == "lang_score"))
                || (self.with_entities && k == "entities")
                || self.keep_original_key.as_deref() == Some(k)
        };
        let mut record = Passthrough::with_capacity(bytes.len().saturating_sub(body.len()) + 16);
        let mut id_written = false;
        let mut marked = false;
        for (k, v) in &entries {
            let Some(v) = v else { continue };
            if *k == self.text_key || (is_html && *k == self.html_key) {
                if !marked {
                    record.mark_text();
                    marked = true;
                }
                continue;
            }
            if dropped(k) {
                continue;
            }
            if derived && *k == self.id_key {
                record.push_string(k, &id);
                id_written = true;
            } else {
                record.push_raw(k, v.get());
            }
        }
        if derived && !id_written {
            record.push_string(&self.id_key, &id);
        }
        let original_text = self.keep_original_key.as_ref().map(|_| body.clone());
        let (text, html) = if is_html {
            (String::new(), Some(body))
        } else {
            (body, None)
        };
        let doc = Doc {
            seq,
            id,
            original_text,
            text,
            html,
            from_html: false,
            data_lines: Vec::new(),
            title,
            date,
            author,
            url,
            site,
            record,
            lang: None,
            entities: Vec::new(),
            exact_key: None,
            minhash: None,
            annotations: Vec::new(),
            origin: Origin {
                file: file.clone(),
                line,
            },
        };
        Ok((doc, warning))
    }

    /// Serializes the output record for a kept document into `out` (no trailing newline): the
    /// input's fields in their order with the cleaned text in place of the original, then
    /// `lang`, `lang_score` and `entities` when those stages ran.
    pub fn write(&self, doc: &mut Doc, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.reserve(doc.record.len() + doc.text.len() + doc.text.len() / 8 + 64);
        out.push(b'{');
        let (head, tail) = doc.record.parts();
        out.extend_from_slice(head);
        write_json_str(out, &self.text_key);
        out.push(b':');
        write_json_str(out, &doc.text);
        out.extend_from_slice(tail);
        if let (Some(k), Some(orig)) = (&self.keep_original_key, &doc.original_text) {
            out.push(b',');
            write_json_str(out, k);
            out.push(b':');
            write_json_str(out, orig);
        }
        if self.with_lang {
            match &doc.lang {
                Some(l) => {
                    out.extend_from_slice(b",\"lang\":");
                    write_json_str(out, l.code);
                    out.extend_from_slice(b",\"lang_score\":");
                    serde_json::to_writer(&mut *out, &((l.score * 1e4).round() / 1e4))?;
                }
                None => out.extend_from_slice(b",\"lang\":null,\"lang_score\":null"),
            }
        }
        if self.with_entities {
            out.extend_from_slice(b",\"entities\":");
            serde_json::to_writer(&mut *out, &doc.entities)?;
        }
        for (key, value) in &doc.annotations {
            out.push(b',');
            write_json_str(out, key);
            out.push(b':');
            write_json_str(out, value);
        }
        out.push(b'}');
        Ok(())
    }
}

/// Appends `s` as a JSON string literal, escaped as serde_json escapes it (`\"`, `\\`, `\n`,
/// `\r`, `\t`, `\b`, `\f`, other control characters as `\u00XX`).
///
/// Text fields are most of every record, so the scan for characters to escape looks at 16 or
/// 8 bytes at a time and the runs between them are copied in one piece.
pub fn write_json_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let i = next_escape(bytes, start);
        out.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => &[],
        };
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(esc);
        }
        start = i + 1;
    }
    out.push(b'"');
}

/// Index of the first byte at or after `from` that JSON requires escaping (`"`, `\\` or a
/// control character), or `bytes.len()`.
fn next_escape(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    #[cfg(target_arch = "x86_64")]
    {
        // SSE2 is part of x86_64, so no runtime check is needed.
        use std::arch::x86_64::*;
        while i + 16 <= bytes.len() {
            // SAFETY: `i + 16 <= len`, so the unaligned 16-byte load stays inside `bytes`; the
            // intrinsics only need SSE2, which every x86_64 CPU has.
            let mask = unsafe {
                let v = _mm_loadu_si128(bytes.as_ptr().add(i).cast::<__m128i>());
                let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
                let bslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
                // Unsigned v <= 0x1f exactly when min(v, 0x1f) == v.
                let ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, bslash), ctl))
            };
            if mask != 0 {
                return i + mask.trailing_zeros() as usize;
            }
            i += 16;
        }
    }
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `w` that is zero.
    let zero = |w: u64| w.wrapping_sub(LO) & !w & HI;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Bytes < 0x20, '"' or '\\'. The lowest flagged byte is always a true match.
        let mask = (w.wrapping_sub(LO * 0x20) & !w & HI)
            | zero(w ^ (LO * u64::from(b'"')))
            | zero(w ^ (LO * u64::from(b'\\')));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !matches!(bytes[i], b'"' | b'\\' | 0x00..=0x1f) {
        i += 1;
    }
    i
}

/// Keeps the last value of a repeated key at the key's first position (as a JSON object
/// parsed into a map would); earlier values become `None`.
fn dedup_keys(entries: &mut [(Cow<'_, str>, Option<&RawValue>)]) {
    if entries.len() <= 16 {
        for j in 1..entries.len() {
            if let Some(i) =
                (0..j).find(|&i| entries[i].0 == entries[j].0 && entries[i].1.is_some())
            {
                entries[i].1 = entries[j].1.take();
            }
        }
        return;
    }
    let mut first: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    for j in 0..entries.len() {
        match first.get(&*entries[j].0) {
            Some(&i) => entries[i].1 = entries[j].1.take(),
            None => {
                first.insert(entries[j].0.to_string(), j);
            }
        }
    }
}

/// A record's fields in input order, each value as its raw JSON text.
struct Fields<'a>(Vec<(Cow<'a, str>, Option<&'a RawValue>)>);

impl<'de> Deserialize<'de> for Fields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Fields<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Fields<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8).min(64));
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    let v: &'de RawValue = map.next_value()?;
                    entries.push((k, Some(v)));
                }
                Ok(Fields(entries))
            }
        }
        d.deserialize_map(V)
    }
}

/// Decodes a JSON string literal (quotes included) that the JSON parser has already checked.
/// Returns the string and, when the literal escaped a lone UTF-16 surrogate (valid JSON
/// syntax, but not a character), that escape: it is decoded as U+FFFD.
///
/// One exact-size allocation and no intermediate buffer: text fields are most of every record.
fn unescape(raw: &str) -> Result<(String, Option<String>), String> {
    let bad = || "invalid JSON: malformed string escape".to_string();
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .ok_or_else(bad)?;
    let mut out = String::with_capacity(inner.len());
    let mut lone = None;
    let mut rest = inner;
    while let Some(i) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(&rest[..i]);
        let esc = &rest[i + 1..];
        let c = esc.as_bytes().first().copied().ok_or_else(bad)?;
        rest = &esc[1..];
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hex4 = |s: &str| s.get(..4).and_then(|h| u16::from_str_radix(h, 16).ok());
                let hi = hex4(rest).ok_or_else(bad)?;
                rest = &rest[4..];
                match hi {
                    0xD800..=0xDBFF => {
                        let lo = rest.strip_prefix("\\u").and_then(hex4);
                        match lo {
                            Some(lo @ 0xDC00..=0xDFFF) => {
                                rest = &rest[6..];
                                let c = 0x10000
                                    + ((u32::from(hi) - 0xD800) << 10)
                                    + (u32::from(lo) - 0xDC00);
                                char::from_u32(c).ok_or_else(bad)?
                            }
                            _ => {
                                lone.get_or_insert_with(|| format!("\\u{hi:04x}"));
                                '\u{fffd}'
                            }
                        }
                    }
                    0xDC00..=0xDFFF => {
                        lone.get_or_insert_with(|| format!("\\u{hi:04x}"));
                        '\u{fffd}'
                    }
                    _ => char::from_u32(u32::from(hi)).ok_or_else(bad)?,
                }
            }
            _ => return Err(bad()),
        };
        out.push(ch);
    }
    out.push_str(rest);
    Ok((out, lone))
}

/// An object key, borrowed from the line unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key<'de>, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
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

    fn skipping_invalid_utf8() -> RecordFormat {
        let cfg = InputConfig {
            invalid_utf8: InvalidUtf8::Skip,
            ..Default::default()
        };
        RecordFormat::new(&cfg, &OutputConfig::default())
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
        assert_eq!(
            doc.record.parts(),
            (&b""[..], &br#","id":"f.jsonl:12""#[..])
        );
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
        assert_eq!(
            skipping_invalid_utf8()
                .parse(line, &file(), 1, 0)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidUtf8
        );
    }

    #[test]
    fn passthrough_fields_keep_their_json_text() {
        let line = br#"{"n":12345678901234567890123,"f":1.0e5,"s":"caf\u00e9 \/","text":"x\u00e9","a":[1, {"b" : null}]}"#;
        let (mut doc, _) = fmt().parse(line, &file(), 1, 0).unwrap();
        assert_eq!(doc.text, "x\u{e9}");
        let mut out = Vec::new();
        fmt().write(&mut doc, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"n":12345678901234567890123,"f":1.0e5,"s":"caf\u00e9 \/","text":"xé","a":[1, {"b" : null}],"id":"f.jsonl:1"}"#
        );
    }

    #[test]
    fn repeated_keys_keep_the_last_value_at_the_first_place() {
        let line = br#"{"a":1,"text":"old","a":2,"id":"","text":"new","id":null}"#;
        let (mut doc, _) = fmt().parse(line, &file(), 4, 0).unwrap();
        assert_eq!(doc.text, "new");
        assert_eq!(doc.id, "f.jsonl:4");
        let mut out = Vec::new();
        fmt().write(&mut doc, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":2,"text":"new","id":"f.jsonl:4"}"#
        );
    }

    #[test]
    fn text_of_another_type_names_the_type() {
        for (v, kind) in [
            ("[1]", "an array"),
            ("{}", "an object"),
            ("null", "null"),
            ("true", "a boolean"),
            ("-2.5", "a number"),
        ] {
            let line = format!(r#"{{"text":{v}}}"#);
            let e = fmt().parse(line.as_bytes(), &file(), 1, 0).unwrap_err();
            assert_eq!(e.kind, ErrorKind::TextNotString);
            assert!(e.reason.contains(kind), "{v}: {}", e.reason);
        }
    }

    #[test]
    fn lone_surrogates_follow_the_invalid_utf8_policy() {
        let line = br#"{"text":"a\ud800b \ud83d\ude00 \udc00"}"#;
        let (doc, w) = fmt().parse(line, &file(), 1, 0).unwrap();
        assert_eq!(doc.text, "a\u{fffd}b \u{1f600} \u{fffd}");
        let w = w.unwrap();
        assert_eq!(
            (w.kind, w.action),
            (ErrorKind::InvalidUtf8, Action::Repaired)
        );
        assert!(w.reason.contains("\\ud800"), "{}", w.reason);
        assert_eq!(
            skipping_invalid_utf8()
                .parse(line, &file(), 1, 0)
                .unwrap_err()
                .kind,
            ErrorKind::InvalidUtf8
        );
    }

    proptest::proptest! {
        #[test]
        fn strings_escape_and_unescape_like_serde_json(s in "(?s).{0,40}", ctl in 0u8..0x20) {
            let s = format!("{s}{}{s}\"\\", char::from(ctl));
            let mut out = Vec::new();
            write_json_str(&mut out, &s);
            proptest::prop_assert_eq!(&out, &serde_json::to_vec(&s).unwrap());
            let raw = std::str::from_utf8(&out).unwrap();
            proptest::prop_assert_eq!(unescape(raw).unwrap(), (s.clone(), None));
            let ascii = serde_json::to_string(&s).unwrap().replace('é', "\\u00e9");
            proptest::prop_assert_eq!(unescape(&ascii).unwrap().0, s);
        }
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
