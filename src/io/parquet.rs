//! Parquet output (`output.format = "parquet"`): fixed schemas for the shards and the side
//! outputs, and the conversion of a finished JSONL spool file into a Parquet file.
//!
//! A run in Parquet format writes the same resumable zstd JSONL files as a JSONL run, under
//! their `.tmp` names (the spool): a Parquet file cannot be cut back to a checkpoint and
//! continued, a JSONL file can. When a spool file is complete it is converted here, row group
//! by row group (memory stays flat whatever the file's size), into `NAME.parquet.tmp`, which is
//! fsynced and renamed to `NAME.parquet`. The spool files are removed once the manifest is
//! written, so a run stopped before that can still be resumed from its checkpoint.
//!
//! Every file carries its schema, also when it holds no row. Columns:
//! - shards (`part-NNNNN.parquet`): see [`Table::Kept`];
//! - `rejected.parquet`: `id`, `reason`, `stage`, `rule` (strings), `value`, `threshold`
//!   (float64), `source` (string, `file:line` of the input record);
//! - `duplicates.parquet`: `id`, `duplicate_of`, `kind` (strings), `similarity` (float64: 1.0
//!   for exact ones), `source`.

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, Int64Builder, StringBuilder};
use arrow_array::{ArrayRef, ListArray, RecordBatch, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::writer::{commit, hex, FileSummary, Hashing};
use crate::Error;

/// Rows per record batch handed to the Parquet writer.
const BATCH_ROWS: usize = 4096;
/// Bytes of text per record batch: a batch of long articles is cut earlier.
const BATCH_BYTES: usize = 16 << 20;
/// Encoded bytes buffered for a row group before it is written out: bounds memory.
const ROW_GROUP_BYTES: usize = 64 << 20;
/// Rows per row group at most.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// Which output a Parquet file holds, with what its columns are read from.
#[derive(Clone, Debug)]
pub enum Table {
    /// Kept documents: `id` (string), `text` (string, cleaned), `url`, `title`, `date`,
    /// `source` (strings, null when the record lacks the field or the config names no key),
    /// `lang` (string) and `lang_score` (float64), null when the language stage is off,
    /// `entities` (`list<struct<text: string, label: string, start: int64, end: int64>>`,
    /// code-point offsets into `text`; null when the entity stage is off) and `metadata`: every
    /// other field of the output record (pass-through fields, `keep_original_text_key`, dedup
    /// annotations) as one JSON object string, in record order (`"{}"` when there is none).
    Kept(KeptKeys),
    /// `rejected.parquet`.
    Rejected,
    /// `duplicates.parquet`.
    Duplicates,
}

/// The record keys a kept document's columns come from (the `[input]` keys of the config).
#[derive(Clone, Debug, Default)]
pub struct KeptKeys {
    /// `input.id_key`.
    pub id: String,
    /// `input.text_key`.
    pub text: String,
    /// `input.url_key`.
    pub url: String,
    /// `input.title_key`.
    pub title: String,
    /// `input.date_key`.
    pub date: String,
    /// `input.source_key`.
    pub source: String,
    /// The language stage ran: `lang` and `lang_score` are its output.
    pub lang: bool,
    /// The entity stage ran: `entities` is its output.
    pub entities: bool,
}

impl KeptKeys {
    /// The keys of `config`, with the stages that add fields.
    pub fn of(config: &crate::config::Config) -> KeptKeys {
        let i = &config.input;
        KeptKeys {
            id: i.id_key.clone(),
            text: i.text_key.clone(),
            url: i.url_key.clone(),
            title: i.title_key.clone(),
            date: i.date_key.clone(),
            source: i.source_key.clone(),
            lang: config.lang.enabled,
            entities: config.entities.enabled,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Str,
    F64,
    Entities,
}

/// One column: its name, type, nullability and the record key it is read from (`None`: always
/// null).
struct Col {
    name: &'static str,
    kind: Kind,
    nullable: bool,
    key: Option<String>,
}

fn col(name: &'static str, kind: Kind, nullable: bool, key: Option<&str>) -> Col {
    Col {
        name,
        kind,
        nullable,
        key: key.filter(|k| !k.is_empty()).map(str::to_string),
    }
}

/// The struct of one entity.
fn entity_fields() -> Fields {
    Fields::from(vec![
        Field::new("text", DataType::Utf8, false),
        Field::new("label", DataType::Utf8, false),
        Field::new("start", DataType::Int64, false),
        Field::new("end", DataType::Int64, false),
    ])
}

fn entity_item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Struct(entity_fields()), false))
}

impl Table {
    fn cols(&self) -> Vec<Col> {
        use Kind::*;
        match self {
            Table::Kept(k) => vec![
                col("id", Str, false, Some(&k.id)),
                col("text", Str, false, Some(&k.text)),
                col("url", Str, true, Some(&k.url)),
                col("title", Str, true, Some(&k.title)),
                col("date", Str, true, Some(&k.date)),
                col("source", Str, true, Some(&k.source)),
                col("lang", Str, true, k.lang.then_some("lang")),
                col("lang_score", F64, true, k.lang.then_some("lang_score")),
                col("entities", Entities, true, k.entities.then_some("entities")),
            ],
            Table::Rejected => vec![
                col("id", Str, false, Some("id")),
                col("reason", Str, false, Some("reason")),
                col("stage", Str, false, Some("stage")),
                col("rule", Str, false, Some("rule")),
                col("value", F64, false, Some("value")),
                col("threshold", F64, false, Some("threshold")),
                col("source", Str, false, Some("source")),
            ],
            Table::Duplicates => vec![
                col("id", Str, false, Some("id")),
                col("duplicate_of", Str, false, Some("duplicate_of")),
                col("kind", Str, false, Some("kind")),
                col("similarity", F64, true, Some("similarity")),
                col("source", Str, false, Some("source")),
            ],
        }
    }

    fn has_metadata(&self) -> bool {
        matches!(self, Table::Kept(_))
    }

    /// The Arrow schema of this table's Parquet files.
    pub fn schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .cols()
            .iter()
            .map(|c| {
                let t = match c.kind {
                    Kind::Str => DataType::Utf8,
                    Kind::F64 => DataType::Float64,
                    Kind::Entities => DataType::List(entity_item()),
                };
                Field::new(c.name, t, c.nullable)
            })
            .collect();
        if self.has_metadata() {
            fields.push(Field::new("metadata", DataType::Utf8, false));
        }
        Arc::new(Schema::new(fields))
    }
}

/// Column data of the batch being built.
enum Builder {
    Str(StringBuilder),
    F64(Float64Builder),
    Entities(Box<EntitiesBuilder>),
}

#[derive(Default)]
struct EntitiesBuilder {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    text: StringBuilder,
    label: StringBuilder,
    start: Int64Builder,
    end: Int64Builder,
}

impl EntitiesBuilder {
    fn new() -> Self {
        EntitiesBuilder {
            offsets: vec![0],
            ..Default::default()
        }
    }

    fn push(&mut self, v: Option<&Value>) -> Result<(), String> {
        let n = self.offsets.last().copied().unwrap_or(0);
        let Some(v) = v.filter(|v| !v.is_null()) else {
            self.offsets.push(n);
            self.valid.push(false);
            return Ok(());
        };
        let list = v.as_array().ok_or("`entities` is not a list")?;
        for e in list {
            let s = |k: &str| {
                e.get(k)
                    .and_then(Value::as_str)
                    .ok_or(format!("entity without `{k}`"))
            };
            let i = |k: &str| {
                e.get(k)
                    .and_then(Value::as_i64)
                    .ok_or(format!("entity without `{k}`"))
            };
            self.text.append_value(s("text")?);
            self.label.append_value(s("label")?);
            self.start.append_value(i("start")?);
            self.end.append_value(i("end")?);
        }
        let len = i32::try_from(list.len()).map_err(|_| "too many entities")?;
        self.offsets.push(n + len);
        self.valid.push(true);
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        let children: Vec<ArrayRef> = vec![
            Arc::new(self.text.finish()),
            Arc::new(self.label.finish()),
            Arc::new(self.start.finish()),
            Arc::new(self.end.finish()),
        ];
        let values = StructArray::new(entity_fields(), children, None);
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let valid = std::mem::take(&mut self.valid);
        Arc::new(ListArray::new(
            entity_item(),
            OffsetBuffer::new(ScalarBuffer::from(offsets)),
            Arc::new(values),
            Some(NullBuffer::from(valid)),
        ))
    }
}

/// Rows being collected into one record batch.
struct Rows {
    schema: SchemaRef,
    cols: Vec<Col>,
    builders: Vec<Builder>,
    metadata: Option<StringBuilder>,
    rows: usize,
    bytes: usize,
}

impl Rows {
    fn new(table: &Table) -> Rows {
        let cols = table.cols();
        let builders = cols
            .iter()
            .map(|c| match c.kind {
                Kind::Str => Builder::Str(StringBuilder::new()),
                Kind::F64 => Builder::F64(Float64Builder::new()),
                Kind::Entities => Builder::Entities(Box::new(EntitiesBuilder::new())),
            })
            .collect();
        Rows {
            schema: table.schema(),
            cols,
            builders,
            metadata: table.has_metadata().then(StringBuilder::new),
            rows: 0,
            bytes: 0,
        }
    }

    /// Adds one JSON record; the error says what is wrong with it.
    fn push(&mut self, mut rec: Map<String, Value>) -> Result<(), String> {
        for (c, b) in self.cols.iter().zip(&mut self.builders) {
            let v = c.key.as_deref().and_then(|k| rec.shift_remove(k));
            let v = v.filter(|v| !v.is_null());
            if v.is_none() && !c.nullable {
                return Err(format!("field for column `{}` missing", c.name));
            }
            match b {
                Builder::Str(b) => match v {
                    Some(Value::String(s)) => {
                        self.bytes += s.len();
                        b.append_value(s);
                    }
                    // A number or object where a string was expected: its JSON text.
                    Some(other) => b.append_value(other.to_string()),
                    None => b.append_null(),
                },
                Builder::F64(b) => match v {
                    Some(v) => b.append_value(
                        v.as_f64()
                            .ok_or(format!("column `{}`: {v} is not a number", c.name))?,
                    ),
                    None => b.append_null(),
                },
                Builder::Entities(b) => b.push(v.as_ref())?,
            }
        }
        if let Some(m) = &mut self.metadata {
            let text = serde_json::to_string(&rec).map_err(|e| e.to_string())?;
            self.bytes += text.len();
            m.append_value(text);
        }
        self.rows += 1;
        Ok(())
    }

    fn full(&self) -> bool {
        self.rows >= BATCH_ROWS || self.bytes >= BATCH_BYTES
    }

    fn take(&mut self) -> crate::Result<RecordBatch> {
        let mut arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    Builder::Str(b) => Arc::new(b.finish()),
                    Builder::F64(b) => Arc::new(b.finish()),
                    Builder::Entities(b) => b.finish(),
                }
            })
            .collect();
        if let Some(m) = &mut self.metadata {
            arrays.push(Arc::new(m.finish()));
        }
        self.rows = 0;
        self.bytes = 0;
        RecordBatch::try_new(self.schema.clone(), arrays)
            .map_err(|e| Error::Internal(format!("building a Parquet batch: {e}")))
    }
}

/// Writer properties: zstd at `zstd_level` (clamped to Parquet's 1-22), bounded row groups.
fn properties(zstd_level: i32) -> crate::Result<WriterProperties> {
    let level = ZstdLevel::try_new(zstd_level.clamp(1, 22))
        .map_err(|e| Error::Config(format!("output.zstd_level: {e}")))?;
    Ok(WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .build())
}

/// Converts the JSONL file `spool` (zstd or plain, by magic bytes) into `dir/name` (through
/// `name.tmp`, fsynced, renamed) with the schema of `table`. `raw_bytes` is the spool's
/// uncompressed size, recorded in the summary. The spool is left in place.
pub fn convert(
    spool: &Path,
    dir: &Path,
    name: &str,
    table: &Table,
    zstd_level: i32,
    raw_bytes: u64,
) -> crate::Result<FileSummary> {
    let tmp = dir.join(format!("{name}.tmp"));
    let dest = dir.join(name);
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |e: std::io::Error| Error::io(&p, e)
    };
    let pq_err =
        |e: parquet::errors::ParquetError| Error::Internal(format!("{}: {e}", tmp.display()));
    let file = File::create(&tmp).map_err(io_err(&tmp))?;
    let sink = Hashing {
        file: BufWriter::with_capacity(256 << 10, file),
        hasher: Sha256::new(),
        bytes: 0,
    };
    let mut w = ArrowWriter::try_new(sink, table.schema(), Some(properties(zstd_level)?))
        .map_err(pq_err)?;
    let reader = open_spool(spool)?;
    let mut rows = Rows::new(table);
    let mut records = 0u64;
    let mut line = Vec::new();
    let mut input = BufReader::with_capacity(1 << 20, reader);
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(io_err(spool))?;
        if n == 0 {
            break;
        }
        records += 1;
        let rec: Map<String, Value> = serde_json::from_slice(&line)
            .map_err(|e| Error::Internal(format!("{}:{records}: {e}", spool.display())))?;
        rows.push(rec)
            .map_err(|e| Error::Internal(format!("{}:{records}: {e}", spool.display())))?;
        if rows.full() {
            w.write(&rows.take()?).map_err(pq_err)?;
            if w.in_progress_size() >= ROW_GROUP_BYTES {
                w.flush().map_err(pq_err)?;
            }
        }
    }
    if rows.rows > 0 {
        w.write(&rows.take()?).map_err(pq_err)?;
    }
    let mut sink = w.into_inner().map_err(pq_err)?;
    sink.flush().map_err(io_err(&tmp))?;
    let Hashing {
        file,
        hasher,
        bytes,
    } = sink;
    let file = file
        .into_inner()
        .map_err(|e| Error::io(&tmp, e.into_error()))?;
    commit(file, &tmp, &dest)?;
    Ok(FileSummary {
        file: name.to_string(),
        records,
        bytes,
        bytes_uncompressed: raw_bytes,
        sha256: hex(&hasher.finalize()),
    })
}

/// Opens a spool file for reading, decompressing zstd.
fn open_spool(path: &Path) -> crate::Result<Box<dyn std::io::Read>> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    if path.to_string_lossy().contains(".zst") {
        let d = zstd::stream::read::Decoder::new(file).map_err(|e| Error::io(path, e))?;
        Ok(Box::new(d))
    } else {
        Ok(Box::new(file))
    }
}
