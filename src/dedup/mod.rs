//! Deduplication: exact (128-bit hash of normalized text) and near (MinHash LSH).
//!
//! Keys and signatures are computed on the workers as ordinary stages; the decisions are made by
//! ordered stages that see documents in input order, so "first seen wins" is deterministic.

pub mod exact;
pub mod lsh;
pub mod minhash;
pub mod near;
pub mod sketch;

/// Creates (or truncates) a scratch file for reading and writing: the on-disk logs of kept ids
/// and band keys live in such files in the output folder.
pub(crate) fn scratch_file(path: &std::path::Path) -> crate::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| crate::Error::io(path, e))
}
