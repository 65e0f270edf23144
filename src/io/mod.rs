//! Input and output.
//!
//! [`source`] resolves inputs and opens them (codec by magic bytes, line framing with a cap);
//! [`reader`] turns an input into batches of raw lines for the workers; [`record`] parses a raw
//! line into a [`Doc`](crate::doc::Doc) and serializes it back; [`writer`] writes the shards
//! (atomically: `.tmp`, fsync, rename) and the side outputs; [`errors`] describes bad input; [`pool`] recycles
//! the large buffers; [`articles`] loads a small article set into memory (generator, evaluation
//! harnesses, benches).

pub mod articles;
pub mod errors;
pub mod parquet;
pub mod pool;
pub mod reader;
pub mod record;
pub mod source;
pub mod warc;
pub mod writer;
