//! Deduplication: exact (128-bit hash of normalized text) and near (MinHash LSH).
//!
//! Keys and signatures are computed on the workers as ordinary stages; the decisions are made by
//! ordered stages that see documents in input order, so "first seen wins" is deterministic.

pub mod eval;
pub mod exact;
pub mod lsh;
pub mod minhash;
pub mod near;
