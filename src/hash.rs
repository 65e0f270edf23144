//! Hashing for maps keyed by values that already are uniform hashes (line hashes, exact-dedup
//! keys): hashing them again would only cost time.

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// A fixed-seed xxh3 hasher for maps keyed by already-hashed u64 values.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildXx;

impl std::hash::BuildHasher for BuildXx {
    type Hasher = IdHasher;
    fn build_hasher(&self) -> IdHasher {
        IdHasher(0)
    }
}

/// Hasher for keys that are already xxh3 hashes: mixes the 64 bits once (128-bit keys are
/// folded to 64 first).
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        // The keys are uniform already; a multiply spreads the site tag's bits too.
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u32(&mut self, n: u32) {
        self.0 ^= n as u64;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= (n as u64) ^ ((n >> 64) as u64);
    }
}
