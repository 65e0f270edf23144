//! Input and output: codec detection, line framing, shard writers.
