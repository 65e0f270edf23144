//! MinHash signatures over word n-grams ("shingles") of normalized text, computed on the rayon
//! workers: the [`MinHashSigner`] stage reads `doc.text` and stores the signature in
//! `doc.minhash`, which the ordered LSH index ([`super::lsh`]) consults.
//!
//! Normalization happens on the fly while tokenizing, without allocating: a token is a maximal
//! run of letters and digits; ASCII is lowercased, digits become `0` (or are kept, with
//! [`MinHashSigner::with_digits`]), and non-ASCII letters are lowercased with their diacritics
//! removed (canonical decomposition, combining marks dropped).
//! Everything else (punctuation, spaces, symbols) separates tokens. Each token is hashed once
//! (XXH3, fixed seed); a shingle's hash combines the last `n` token hashes; each of the
//! signature's permutations is the bijection `x -> ((x ^ r) * a) ^ (... >> 15)` on `u32`, whose
//! minimum over the shingles is kept. The permutation loop runs over plain `u32` slices, so it
//! compiles to SIMD (8 or 16 lanes with AVX2 / AVX-512, chosen at run time).
//!
//! With a sketch size `k` ([`MinHashSigner::with_sketch`]), the signer also keeps the bottom-k
//! sketch of the shingle set ([`super::sketch`]) and appends it after the signature, so
//! `doc.minhash` holds `num_perm + k` values.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

use crate::doc::Doc;
use crate::rng::SplitMix64;
use crate::stage::{Counters, Stage, Verdict};

/// Longest token prefix (in bytes of normalized UTF-8) that identifies a token; longer tokens
/// (URLs, base64 junk) are truncated, deterministically.
const MAX_TOKEN: usize = 64;

/// Seed of the token hash.
const TOKEN_SEED: u64 = 0x6e65_6172_5f74_6f6b;

/// Seed of the permutation parameters.
const PERM_SEED: u64 = 0x6d69_6e68_6173_6831;

/// Largest supported shingle size.
pub const MAX_SHINGLE: usize = 16;

/// ASCII byte classes: 0 separates tokens, otherwise the normalized byte (lowercase, digits
/// `0`); non-ASCII bytes map to 0xff and take the slow path.
const ASCII_MAP: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = match b {
            b'a'..=b'z' => b,
            b'A'..=b'Z' => b | 0x20,
            b'0'..=b'9' => b'0',
            0x80..=0xff => 0xff,
            _ => 0,
        };
        i += 1;
    }
    t
};

/// [`ASCII_MAP`] with digits kept as they are.
const ASCII_MAP_DIGITS: [u8; 256] = {
    let mut t = ASCII_MAP;
    let mut d = b'0';
    while d <= b'9' {
        t[d as usize] = d;
        d += 1;
    }
    t
};

/// Calls `f` with the 64-bit hash of every normalized token of `text`, in order.
///
/// See the module docs for the normalization. No allocation: tokens are assembled in a
/// fixed-size stack buffer.
#[inline]
pub fn for_each_token_hash(text: &str, f: impl FnMut(u64)) {
    for_each_token_hash_with(text, false, f)
}

/// [`for_each_token_hash`], keeping ASCII digits as they are when `keep_digits` is set.
#[inline]
pub fn for_each_token_hash_with(text: &str, keep_digits: bool, mut f: impl FnMut(u64)) {
    let map = if keep_digits {
        &ASCII_MAP_DIGITS
    } else {
        &ASCII_MAP
    };
    let bytes = text.as_bytes();
    let mut buf = [0u8; MAX_TOKEN];
    let mut len = 0usize;
    let mut i = 0usize;
    macro_rules! flush {
        () => {
            if len > 0 {
                f(xxhash_rust::xxh3::xxh3_64_with_seed(
                    &buf[..len],
                    TOKEN_SEED,
                ));
                len = 0;
            }
        };
    }
    macro_rules! push {
        ($b:expr) => {
            if len < MAX_TOKEN {
                buf[len] = $b;
                len += 1;
            }
        };
    }
    while i < bytes.len() {
        let m = map[bytes[i] as usize];
        if m == 0 {
            i += 1;
            flush!();
            continue;
        }
        if m != 0xff {
            i += 1;
            push!(m);
            continue;
        }
        // Non-ASCII: decode one char (the text is valid UTF-8, so this always succeeds).
        let Some(c) = text.get(i..).and_then(|s| s.chars().next()) else {
            break;
        };
        i += c.len_utf8();
        if is_combining_mark(c) {
            // A stray mark in decomposed text belongs to the current token and is folded away.
            continue;
        }
        if !c.is_alphanumeric() {
            flush!();
            continue;
        }
        if c.is_numeric() {
            if keep_digits {
                let mut tmp = [0u8; 4];
                for &x in c.encode_utf8(&mut tmp).as_bytes() {
                    push!(x);
                }
            } else {
                push!(b'0');
            }
            continue;
        }
        decompose_canonical(c, |d| {
            if is_combining_mark(d) {
                return;
            }
            for l in d.to_lowercase() {
                let mut tmp = [0u8; 4];
                for &x in l.encode_utf8(&mut tmp).as_bytes() {
                    push!(x);
                }
            }
        });
    }
    if len > 0 {
        f(xxhash_rust::xxh3::xxh3_64_with_seed(
            &buf[..len],
            TOKEN_SEED,
        ));
    }
}

/// Multipliers of the window positions (odd, distinct), so shingles are order sensitive.
const POS_MUL: [u64; MAX_SHINGLE] = {
    let mut t = [0u64; MAX_SHINGLE];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut i = 0;
    while i < MAX_SHINGLE {
        x ^= x >> 31;
        x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x ^= x >> 29;
        t[i] = x | 1;
        i += 1;
    }
    t
};

/// Combines a window of token hashes (oldest first) into a 64-bit shingle hash: a sum of
/// products with per-position constants, whose multiplies are independent (no serial chain).
#[inline(always)]
fn combine(window: &[u64]) -> u64 {
    let mut acc = window.len() as u64;
    for (&h, &m) in window.iter().zip(&POS_MUL) {
        acc = acc.wrapping_add(h.wrapping_mul(m));
    }
    acc ^ (acc >> 32)
}

/// Calls `f` with the 64-bit hash of every word `n`-gram of `text` (one hash for the whole text
/// when it has fewer than `n` tokens; none when it has no token). Repeated shingles are reported
/// repeatedly. Used by the signer and, as exact sets, by the evaluation.
pub fn for_each_shingle_hash(text: &str, n: usize, f: impl FnMut(u64)) {
    for_each_shingle_hash_with(text, n, false, f)
}

/// [`for_each_shingle_hash`], keeping digits in tokens when `keep_digits` is set.
pub fn for_each_shingle_hash_with(text: &str, n: usize, keep_digits: bool, mut f: impl FnMut(u64)) {
    let n = n.clamp(1, MAX_SHINGLE);
    // The last `n` token hashes, oldest first.
    let mut window = [0u64; MAX_SHINGLE];
    let mut count = 0usize;
    for_each_token_hash_with(text, keep_digits, |h| {
        if count < n {
            window[count] = h;
            count += 1;
            if count == n {
                f(combine(&window[..n]));
            }
        } else {
            window.copy_within(1..n, 0);
            window[n - 1] = h;
            f(combine(&window[..n]));
        }
    });
    if count > 0 && count < n {
        f(combine(&window[..count]));
    }
}

/// The sorted, deduplicated set of shingle hashes of `text` (for exact Jaccard in evaluation
/// and tests).
pub fn shingle_set(text: &str, n: usize) -> Vec<u64> {
    shingle_set_with(text, n, false)
}

/// [`shingle_set`], keeping digits in tokens when `keep_digits` is set.
pub fn shingle_set_with(text: &str, n: usize, keep_digits: bool) -> Vec<u64> {
    let mut v = Vec::new();
    for_each_shingle_hash_with(text, n, keep_digits, |h| v.push(h));
    v.sort_unstable();
    v.dedup();
    v
}

/// Exact Jaccard similarity of two sorted, deduplicated sets.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// The MinHash signature stage (worker side).
#[derive(Clone, Debug)]
pub struct MinHashSigner {
    shingle: usize,
    num_perm: usize,
    /// Xor keys, padded to a multiple of [`LANES`].
    xor: Vec<u32>,
    /// Odd multipliers, padded like `xor`.
    mul: Vec<u32>,
    /// Bottom-k sketch size appended after the signature (0 = none).
    sketch: usize,
    /// Digits are kept in tokens instead of mapped to `0`.
    keep_digits: bool,
}

/// Permutations are processed in blocks of this many lanes.
const LANES: usize = 8;

impl MinHashSigner {
    /// A signer with `num_perm` permutations over word `shingle`-grams. Callers validate the
    /// parameters (see [`super::near::NearDedupConfig`]); out-of-range values are clamped.
    pub fn new(shingle: usize, num_perm: usize) -> MinHashSigner {
        let num_perm = num_perm.max(1);
        let padded = num_perm.div_ceil(LANES) * LANES;
        let mut rng = SplitMix64::new(PERM_SEED);
        let mut xor = Vec::with_capacity(padded);
        let mut mul = Vec::with_capacity(padded);
        for _ in 0..padded {
            let r = rng.next_u64();
            xor.push(r as u32);
            mul.push(((r >> 32) as u32) | 1);
        }
        MinHashSigner {
            shingle: shingle.clamp(1, MAX_SHINGLE),
            num_perm,
            xor,
            mul,
            sketch: 0,
            keep_digits: false,
        }
    }

    /// The same signer, keeping digits in tokens (`true`) or mapping them to `0` (`false`, the
    /// default), for the signature and the sketch alike.
    pub fn with_digits(mut self, keep: bool) -> MinHashSigner {
        self.keep_digits = keep;
        self
    }

    /// The same signer, also appending the bottom-`k` sketch of the shingle set after the
    /// signature (`k = 0`: none).
    pub fn with_sketch(mut self, k: usize) -> MinHashSigner {
        self.sketch = k;
        self
    }

    /// Sketch values appended after the signature.
    pub fn sketch_len(&self) -> usize {
        self.sketch
    }

    /// Number of values in a signature.
    pub fn num_perm(&self) -> usize {
        self.num_perm
    }

    /// Shingle size in words.
    pub fn shingle(&self) -> usize {
        self.shingle
    }

    /// The signature of `text` followed by its sketch (when the signer has one), or `None`
    /// when the text has no token.
    pub fn signature(&self, text: &str) -> Option<Box<[u32]>> {
        let mut mins = vec![u32::MAX; self.xor.len().max(self.num_perm + self.sketch)];
        let mut any = false;
        let xor = &self.xor[..];
        let mul = &self.mul[..];
        let lanes = xor.len();
        let simd = Simd::detect();
        if self.sketch == 0 {
            for_each_shingle_hash_with(text, self.shingle, self.keep_digits, |h| {
                any = true;
                let x = (h >> 32) as u32 ^ h as u32;
                simd.update(&mut mins[..lanes], xor, mul, x);
            });
        } else {
            // About one shingle per 6 bytes of text.
            let mut ranks = Vec::with_capacity(text.len() / 5 + 8);
            for_each_shingle_hash_with(text, self.shingle, self.keep_digits, |h| {
                let x = (h >> 32) as u32 ^ h as u32;
                simd.update(&mut mins[..lanes], xor, mul, x);
                ranks.push(super::sketch::rank(h));
            });
            any = !ranks.is_empty();
            let (_, tail) = mins.split_at_mut(self.num_perm);
            super::sketch::bottom_k(&mut ranks, &mut tail[..self.sketch]);
        }
        if !any {
            return None;
        }
        mins.truncate(self.num_perm + self.sketch);
        Some(mins.into_boxed_slice())
    }
}

/// The permutation-and-min kernel: portable and readable; compiled once per instruction set.
#[inline(always)]
fn update_portable(mins: &mut [u32], xor: &[u32], mul: &[u32], x: u32) {
    for ((m, &r), &a) in mins.iter_mut().zip(xor).zip(mul) {
        let mut v = (x ^ r).wrapping_mul(a);
        v ^= v >> 15;
        *m = (*m).min(v);
    }
}

/// Which compiled copy of the kernel to use; detected once per document (a cached CPUID read).
#[derive(Clone, Copy, Debug)]
enum Simd {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Simd {
    #[inline]
    fn detect() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                return Simd::Avx2;
            }
        }
        Simd::Baseline
    }

    #[inline(always)]
    fn update(self, mins: &mut [u32], xor: &[u32], mul: &[u32], x: u32) {
        match self {
            Simd::Baseline => update_portable(mins, xor, mul, x),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `Avx2` is only constructed after `is_x86_feature_detected!("avx2")`.
            Simd::Avx2 => unsafe { update_avx2(mins, xor, mul, x) },
        }
    }
}

/// The kernel compiled with AVX2 enabled (8 × u32 lanes, native 32-bit multiply).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn update_avx2(mins: &mut [u32], xor: &[u32], mul: &[u32], x: u32) {
    update_portable(mins, xor, mul, x)
}

impl Stage for MinHashSigner {
    fn name(&self) -> &'static str {
        "minhash"
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        doc.minhash = self.signature(&doc.text);
        if doc.minhash.is_none() {
            counters.add("minhash", "no_tokens", 1);
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BBC: &str =
        "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) \
        for the three months to December, from $639m year-earlier. The firm, which is now one of \
        the biggest investors in Google, benefited from sales of high-speed internet connections \
        and higher advert sales.";

    fn tokens(text: &str) -> Vec<u64> {
        let mut v = Vec::new();
        for_each_token_hash(text, |h| v.push(h));
        v
    }

    /// Templated items that differ only in their figures are different news when digits are
    /// kept, and identical shingle sets when they are mapped to 0.
    #[test]
    fn digits_kept_on_request() {
        let a = "Shr 40 cts vs 31 cts\nNet 1,234,000 vs 987,000\nRevs 12.3 mln vs 10.1 mln";
        let b = "Shr 52 cts vs 47 cts\nNet 2,345,000 vs 876,000\nRevs 15.8 mln vs 14.2 mln";
        assert_eq!(jaccard(&shingle_set(a, 5), &shingle_set(b, 5)), 1.0);
        assert!(jaccard(&shingle_set_with(a, 5, true), &shingle_set_with(b, 5, true)) < 0.1);
        let s = MinHashSigner::new(5, 64).with_digits(true);
        assert_ne!(s.signature(a), s.signature(b));
        let s = MinHashSigner::new(5, 64);
        assert_eq!(s.signature(a), s.signature(b));
        // Non-ASCII digits are kept too.
        assert_ne!(
            shingle_set_with("\u{0661}\u{0662} cts", 5, true),
            shingle_set_with("\u{0663}\u{0664} cts", 5, true)
        );
    }

    #[test]
    fn normalization_folds_case_punctuation_diacritics_numbers() {
        assert_eq!(tokens("Café, RÉSUMÉ!"), tokens("cafe resume"));
        assert_eq!(tokens("Cafe\u{301}"), tokens("cafe"));
        assert_eq!(
            tokens("jumped 76% to $1.13bn"),
            tokens("jumped 00 to 0 00bn")
        );
        assert_eq!(tokens("“Wire” — story"), tokens("wire story"));
        assert_ne!(tokens("profit"), tokens("profits"));
        assert_eq!(tokens("  \n ,;"), Vec::<u64>::new());
    }

    #[test]
    fn shingles_are_order_sensitive_and_short_texts_get_one() {
        assert_ne!(shingle_set("a b c d e", 5), shingle_set("e d c b a", 5));
        assert_eq!(shingle_set("a b c", 5).len(), 1);
        assert_eq!(shingle_set("a b c d e f", 5).len(), 2);
        assert!(shingle_set("", 5).is_empty());
    }

    #[test]
    fn signature_estimates_jaccard() {
        let signer = MinHashSigner::new(5, 112);
        let a = signer.signature(BBC).unwrap();
        assert_eq!(a.len(), 112);
        // Recasing and punctuation do not change the signature.
        let b = signer
            .signature(&BBC.to_uppercase().replace([',', '.'], " "))
            .unwrap();
        assert_eq!(a, b);
        // Dropping the second sentence leaves about half the shingles.
        let first = &BBC[..BBC.find("The firm").unwrap()];
        let c = signer.signature(first).unwrap();
        let truth = jaccard(&shingle_set(BBC, 5), &shingle_set(first, 5));
        let est = a.iter().zip(&*c).filter(|(x, y)| x == y).count() as f64 / 112.0;
        assert!((est - truth).abs() < 0.2, "est {est} truth {truth}");
        assert!(signer.signature(" ... ").is_none());
    }

    #[test]
    fn simd_and_portable_kernels_agree() {
        let signer = MinHashSigner::new(5, 112);
        let mut a = vec![u32::MAX; signer.xor.len()];
        let mut b = a.clone();
        for x in [1u32, 77, 0xdead_beef, u32::MAX] {
            update_portable(&mut a, &signer.xor, &signer.mul, x);
            Simd::detect().update(&mut b, &signer.xor, &signer.mul, x);
        }
        assert_eq!(a, b);
    }
}
