//! Typed library errors. The binary wraps them with `anyhow` context.

use std::path::PathBuf;

/// Everything that can stop a run (as opposed to a bad record, which is counted and reported).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a named path.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory being read or written.
        path: PathBuf,
        /// The underlying error. Part of the message, not a separate `source`, so an error
        /// chain does not print it twice.
        error: std::io::Error,
    },
    /// The configuration is invalid; the message says which key and what to do.
    #[error("invalid config: {0}")]
    Config(String),
    /// The inputs could not be resolved (no such file, glob matched nothing, ...).
    #[error("input: {0}")]
    Input(String),
    /// A model file could not be loaded or trained.
    #[error("model: {0}")]
    Model(String),
    /// A configured memory budget would be exceeded; the message says what to change.
    #[error("memory budget exceeded: {0}")]
    MemoryBudget(String),
    /// `--strict` was given and a bad record was found.
    #[error("{0} (stopping because of --strict)")]
    Strict(String),
    /// The output folder is in use by another run, or holds another run's output.
    #[error("{0}")]
    Busy(String),
    /// The run was stopped by a signal (SIGINT or SIGTERM) after saving a checkpoint.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A task of the distributed plan failed; the message names its log and how to rerun it.
    #[error("{0}")]
    Task(String),
    /// A worker thread panicked or a channel closed unexpectedly.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error: source,
        }
    }
}

/// Library result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
