//! `corpusmill ner tag` on plain text and JSONL: one JSON line of entities per input document.
//!
//! CoNLL files keep their own layout ([`super::conll::tag_file`]); [`InputFormat::detect`]
//! tells the three apart from the first non-empty line. Inputs may be zstd or gzip
//! compressed (detected from the bytes).

use std::io::{BufRead, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{Buffers, EntityStage};
use crate::io::source;
use crate::Error;

/// What `ner tag` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputFormat {
    /// Decide from the first non-empty line: `{` → JSONL, a token line ending in an IOB tag
    /// (or `-DOCSTART-`) → CoNLL, anything else → text.
    Auto,
    /// CoNLL columns, one token per line; writes CoNLL with a predicted last column.
    Conll,
    /// Plain text, one document per line; writes `{"line", "text", "entities"}` per line.
    Text,
    /// JSON objects with a `text` field; writes each record with `entities` added.
    Jsonl,
}

impl InputFormat {
    /// Parses `auto`, `conll`, `text` or `jsonl`.
    pub fn parse(name: &str) -> crate::Result<InputFormat> {
        Ok(match name {
            "auto" => InputFormat::Auto,
            "conll" => InputFormat::Conll,
            "text" => InputFormat::Text,
            "jsonl" => InputFormat::Jsonl,
            other => {
                return Err(Error::Config(format!(
                    "input format `{other}`: use auto, conll, text or jsonl"
                )))
            }
        })
    }

    /// The format of a file whose first non-empty line is `line`.
    pub fn detect(line: &str) -> InputFormat {
        let t = line.trim();
        if t.starts_with('{') {
            return InputFormat::Jsonl;
        }
        let cols: Vec<&str> = t.split_whitespace().collect();
        let iob = |c: &str| {
            c == "O"
                || ["B-", "I-", "E-", "S-", "L-", "U-"]
                    .iter()
                    .any(|p| c.strip_prefix(p).is_some_and(|r| !r.is_empty()))
        };
        if cols.first() == Some(&"-DOCSTART-")
            || (cols.len() >= 2 && cols.last().is_some_and(|c| iob(c)))
        {
            InputFormat::Conll
        } else {
            InputFormat::Text
        }
    }
}

/// Opens `path` (any codec) as lines.
fn lines(path: &Path) -> crate::Result<Box<dyn BufRead + Send>> {
    let input = source::resolve(&[path.display().to_string()])?
        .into_iter()
        .next()
        .ok_or_else(|| Error::Input(format!("{}: no such file", path.display())))?;
    Ok(source::open(&input, Arc::default())?.0)
}

/// The format of `path` from its first non-empty line.
pub fn detect_file(path: &Path) -> crate::Result<InputFormat> {
    let mut r = lines(path)?;
    let mut line = String::new();
    loop {
        line.clear();
        let n = r.read_line(&mut line).map_err(|e| Error::io(path, e))?;
        if n == 0 || !line.trim().is_empty() {
            return Ok(InputFormat::detect(&line));
        }
    }
}

/// Tags every document of a text or JSONL file (`format` is [`InputFormat::Text`] or
/// [`InputFormat::Jsonl`]) into JSON lines at `output`; `text_key` is the JSONL text field.
/// Returns the number of documents tagged.
pub fn tag_documents(
    stage: &EntityStage,
    input: &Path,
    format: InputFormat,
    text_key: &str,
    output: &Path,
) -> crate::Result<u64> {
    let mut r = lines(input)?;
    let file = std::fs::File::create(output).map_err(|e| Error::io(output, e))?;
    let mut out = BufWriter::new(file);
    let mut buf = Buffers::default();
    let mut line = String::new();
    let (mut n, mut docs) = (0u64, 0u64);
    loop {
        line.clear();
        if r.read_line(&mut line).map_err(|e| Error::io(input, e))? == 0 {
            break;
        }
        n += 1;
        let body = line.trim_end_matches(['\n', '\r']);
        let rec = match format {
            InputFormat::Jsonl => {
                if body.trim().is_empty() {
                    continue;
                }
                let mut rec: Map<String, Value> = serde_json::from_str(body).map_err(|e| {
                    Error::Input(format!("{}:{n}: not a JSON object: {e}", input.display()))
                })?;
                let Some(Value::String(text)) = rec.get(text_key) else {
                    return Err(Error::Input(format!(
                        "{}:{n}: field `{text_key}` missing or not a string (--text-key names \
                         the field that holds the text)",
                        input.display()
                    )));
                };
                let ents = stage.extract(text, &mut buf);
                rec.insert(
                    "entities".into(),
                    serde_json::to_value(ents).unwrap_or_default(),
                );
                rec
            }
            _ => {
                let ents = stage.extract(body, &mut buf);
                let mut rec = Map::new();
                rec.insert("line".into(), n.into());
                rec.insert("text".into(), body.into());
                rec.insert(
                    "entities".into(),
                    serde_json::to_value(ents).unwrap_or_default(),
                );
                rec
            }
        };
        serde_json::to_writer(&mut out, &rec)
            .map_err(|e| Error::Internal(format!("writing {}: {e}", output.display())))?;
        out.write_all(b"\n").map_err(|e| Error::io(output, e))?;
        docs += 1;
    }
    out.flush().map_err(|e| Error::io(output, e))?;
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_apart() {
        assert_eq!(InputFormat::detect(r#"{"text": "x"}"#), InputFormat::Jsonl);
        assert_eq!(
            InputFormat::detect("-DOCSTART- -X- -X- O"),
            InputFormat::Conll
        );
        assert_eq!(InputFormat::detect("EU NNP B-NP B-ORG"), InputFormat::Conll);
        assert_eq!(InputFormat::detect("Peter NNP O"), InputFormat::Conll);
        assert_eq!(
            InputFormat::detect("Angela Merkel met Elon Musk in Berlin."),
            InputFormat::Text
        );
        assert_eq!(InputFormat::detect("Say O"), InputFormat::Conll);
        assert_eq!(InputFormat::detect("Oh"), InputFormat::Text);
    }

    #[test]
    fn text_and_jsonl_get_entities_with_code_point_offsets() {
        let stage = EntityStage::new_default().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let txt = dir.path().join("a.txt");
        std::fs::write(
            &txt,
            "Ça coûte 5 % de plus à Zürich, said Angela Merkel.\n\nBerlin\n",
        )
        .unwrap();
        assert_eq!(detect_file(&txt).unwrap(), InputFormat::Text);
        let out = dir.path().join("a.jsonl");
        assert_eq!(
            tag_documents(&stage, &txt, InputFormat::Text, "text", &out).unwrap(),
            3
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let first: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        let s: Vec<char> = first["text"].as_str().unwrap().chars().collect();
        let ents = first["entities"].as_array().unwrap();
        assert!(ents.iter().any(|e| e["label"] == "PER"), "{first}");
        for e in ents {
            let (a, b) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            assert_eq!(
                s[a..b].iter().collect::<String>(),
                e["text"].as_str().unwrap()
            );
        }
        let jl = dir.path().join("b.jsonl");
        std::fs::write(&jl, "{\"id\":7,\"text\":\"Elon Musk visited Paris.\"}\n").unwrap();
        assert_eq!(detect_file(&jl).unwrap(), InputFormat::Jsonl);
        tag_documents(&stage, &jl, InputFormat::Jsonl, "text", &out).unwrap();
        let rec: Value =
            serde_json::from_str(std::fs::read_to_string(&out).unwrap().trim()).unwrap();
        assert_eq!(rec["id"], 7);
        assert!(
            rec["entities"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["text"] == "Paris"),
            "{rec}"
        );
    }
}
