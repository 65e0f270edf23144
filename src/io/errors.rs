//! Bad input: what went wrong with a record or a file, where, and what was done about it.
//!
//! Readers and workers create [`InputError`]s; the ordered stage writes them, in input order, to
//! `errors.jsonl` and counts them by [`ErrorKind`] in `stats.json`.

use std::sync::Arc;

use serde::Serialize;

/// The kinds of bad input, as counted in `stats.json`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The line is not valid JSON, or not a JSON object.
    InvalidJson,
    /// The object has no text field.
    MissingText,
    /// The text field is not a string.
    TextNotString,
    /// The line is not valid UTF-8.
    InvalidUtf8,
    /// The line is empty or blank.
    EmptyLine,
    /// The line is longer than `input.max_line_bytes`.
    LineTooLong,
    /// The compressed stream ends early or is corrupt; records before the cut were kept.
    TruncatedInput,
    /// The file could not be opened or read.
    ReadError,
    /// A WARC response whose HTTP body could not be decoded.
    BadWarcRecord,
}

impl ErrorKind {
    /// The snake_case name used in `errors.jsonl` and `stats.json`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::InvalidJson => "invalid_json",
            ErrorKind::MissingText => "missing_text",
            ErrorKind::TextNotString => "text_not_string",
            ErrorKind::InvalidUtf8 => "invalid_utf8",
            ErrorKind::EmptyLine => "empty_line",
            ErrorKind::LineTooLong => "line_too_long",
            ErrorKind::TruncatedInput => "truncated_input",
            ErrorKind::ReadError => "read_error",
            ErrorKind::BadWarcRecord => "bad_warc_record",
        }
    }

    /// True when the whole file could not be read to its end (the run exits with code 2).
    pub fn is_file_level(self) -> bool {
        matches!(self, ErrorKind::TruncatedInput | ErrorKind::ReadError)
    }
}

/// What was done with the offending record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The record was not processed.
    Skipped,
    /// The record was repaired (invalid UTF-8 replaced) and processed.
    Repaired,
    /// Reading the file stopped here.
    Stopped,
}

/// One line of `errors.jsonl`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputError {
    /// Input file as named by the user (`-` for stdin).
    pub file: Arc<str>,
    /// 1-based line number (for file-level errors: the line where reading stopped).
    pub line: u64,
    /// What kind of problem.
    pub kind: ErrorKind,
    /// A human-readable explanation that says what to do.
    pub reason: String,
    /// What was done about it.
    pub action: Action,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}
