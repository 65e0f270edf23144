//! Bottom-k sketches of a document's shingle set, for a sharp Jaccard estimate when a near
//! duplicate is verified.
//!
//! The worker-side [`super::minhash::MinHashSigner`] ranks every word-n-gram hash with a fixed
//! 32-bit bijection ([`rank`]) and keeps the `k` smallest distinct ranks, ascending, after the
//! MinHash signature in `doc.minhash` (padded with [`EMPTY`] when the document has fewer than
//! `k` distinct shingles, so the sketch is then the whole set). The ordered LSH index appends
//! each kept document's sketch to a fixed-size-record scratch file ([`super::lsh`]) and, when a
//! candidate passes the fingerprint pre-check, reads it back and calls [`estimate`].
//!
//! The estimate ([`estimate`]) is the share of shingles present in both sets among the union's
//! shingles ranked up to the smaller of the two sketches' largest ranks: a uniform sample of
//! the union of `k` to `2k` shingles drawn without replacement, so its standard deviation is
//! at most about `sqrt(J (1 - J) / k × (N - k) / (N - 1))` for a union of `N` shingles, and it
//! is exact when both documents have fewer than `k` shingles (short documents).

/// Padding of a sketch whose document has fewer than `k` distinct shingles; never a rank.
pub const EMPTY: u32 = u32::MAX;

/// The sketch rank of a 64-bit shingle hash: a fixed bijective mix of its two halves (so the
/// smallest ranks are a uniform sample of the set), never [`EMPTY`].
#[inline]
pub fn rank(h: u64) -> u32 {
    let mut x = (h >> 32) as u32 ^ h as u32;
    x ^= x >> 16;
    x = x.wrapping_mul(0x85eb_ca6b);
    x ^= x >> 13;
    x = x.wrapping_mul(0xc2b2_ae35);
    x ^= x >> 16;
    x.min(EMPTY - 1)
}

/// Writes the `out.len()` smallest distinct values of `ranks` into `out`, ascending, padded
/// with [`EMPTY`]. `ranks` is reordered (a selection, not a full sort, when it is large).
pub fn bottom_k(ranks: &mut [u32], out: &mut [u32]) {
    let k = out.len();
    out.fill(EMPTY);
    if k == 0 {
        return;
    }
    // Select a prefix of the smallest `m` values, sort and deduplicate it; repeated shingles
    // can leave fewer than `k` distinct values, in which case the prefix doubles.
    let mut m = (k + k / 8 + 8).min(ranks.len());
    loop {
        if m < ranks.len() {
            ranks.select_nth_unstable(m);
        }
        let head = &mut ranks[..m];
        head.sort_unstable();
        let mut n = 0usize;
        let mut last = None;
        for &v in head.iter() {
            if last != Some(v) {
                if n == k {
                    break;
                }
                out[n] = v;
                n += 1;
                last = Some(v);
            }
        }
        if n == k || m == ranks.len() {
            return;
        }
        out.fill(EMPTY);
        m = (m * 2).min(ranks.len());
    }
}

/// Number of distinct shingles a sketch holds (its values before the [`EMPTY`] padding).
pub fn filled(sketch: &[u32]) -> usize {
    sketch.partition_point(|&v| v != EMPTY)
}

/// Estimated Jaccard similarity of the sets behind two bottom-k sketches of the same `k`.
///
/// Every shingle of either set ranked at most `τ = min(max a, max b)` is in its sketch (a
/// sketch that is not full holds its whole set: `τ` is then unbounded on its side), so the
/// shingles of the union up to `τ` are a uniform sample of it, of between `k` and `2k`
/// values ("conditional random sampling", Li, Church & Hastie 2006); the estimate is the share
/// of that sample found in both. It uses more of the sketches than the classic bottom-k of the
/// union (exactly `k` values) and is exact when both sets have fewer than `k` shingles.
/// 1 when both are empty.
pub fn estimate(a: &[u32], b: &[u32]) -> f64 {
    let cap = |s: &[u32]| match s.last() {
        Some(&v) if v != EMPTY => v,
        _ => EMPTY,
    };
    let tau = cap(a).min(cap(b));
    let (mut i, mut j, mut union, mut both) = (0usize, 0usize, 0usize, 0usize);
    loop {
        let x = a.get(i).copied().unwrap_or(EMPTY);
        let y = b.get(j).copied().unwrap_or(EMPTY);
        let m = x.min(y);
        if m == EMPTY || m > tau {
            break;
        }
        match x.cmp(&y) {
            std::cmp::Ordering::Equal => {
                both += 1;
                i += 1;
                j += 1;
            }
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
        union += 1;
    }
    if union == 0 {
        1.0
    } else {
        both as f64 / union as f64
    }
}

/// Bytes of a packed sketch record of `k` values: an 8-byte header (largest rank, count of
/// values) and `k` 16-bit quantized ranks.
pub fn packed_len(k: usize) -> usize {
    8 + 2 * k
}

/// The multiplier that quantizes the ranks of a sketch whose largest rank is `scale` into 16
/// bits with [`quantize`] (one division per sketch, not per value).
#[inline]
fn quantizer(scale: u32) -> u64 {
    (1u64 << 48) / (u64::from(scale) + 1)
}

/// Quantizes rank `v <= scale` to 16 bits: `v × 2^16 / (scale + 1)`, rounded down (monotone;
/// equal ranks give equal values).
#[inline]
fn quantize(v: u32, mul: u64) -> u32 {
    ((u64::from(v) * mul) >> 32) as u32
}

/// Packs a sketch (ascending ranks padded with [`EMPTY`]) into `out` ([`packed_len`] bytes):
/// its largest rank and number of ranks, then each rank quantized to 16 bits relative to the
/// largest. Half the bytes of the ranks themselves; a shingle present in both documents keeps
/// matching, and a chance match of two different shingles (same 16-bit bucket of the stored
/// sketch's range) happens about `k / 65536` times per shingle, so the estimate moves by a few
/// thousandths at most.
pub fn pack(sketch: &[u32], out: &mut [u8]) {
    let n = filled(sketch);
    let scale = if n == 0 { 0 } else { sketch[n - 1] };
    out.fill(0);
    out[..4].copy_from_slice(&scale.to_le_bytes());
    out[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    let mul = quantizer(scale);
    for (d, &v) in out[8..].chunks_exact_mut(2).zip(&sketch[..n]) {
        d.copy_from_slice(&(quantize(v, mul) as u16).to_le_bytes());
    }
}

/// [`estimate`] between a sketch (`a`, full ranks) and a packed one (`b`, from [`pack`] with
/// the same `k`): `a`'s ranks are quantized with `b`'s scale and the two merged the same way.
pub fn estimate_packed(a: &[u32], b: &[u8]) -> f64 {
    let k = a.len();
    let word = |i: usize| {
        b.get(i..i + 4)
            .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
    };
    let scale = word(0);
    let nb = (word(4) as usize).min(k).min(b.len().saturating_sub(8) / 2);
    let na = filled(a);
    let b_full = nb == k;
    let a_full = na == k;
    // Shingles ranked up to tau are in both sketches (see `estimate`).
    let tau = match (a_full, b_full) {
        (true, true) => a[na - 1].min(scale),
        (true, false) => a[na - 1],
        (false, true) => scale,
        (false, false) => EMPTY,
    };
    let qb = |j: usize| u32::from(u16::from_le_bytes([b[8 + 2 * j], b[9 + 2 * j]]));
    // Ranks above `scale` are not in `b`; compare in `b`'s 16-bit domain below it.
    let mul = quantizer(scale);
    let qa = |v: u32| {
        if v > scale {
            u32::MAX
        } else {
            quantize(v, mul)
        }
    };
    let tau_b = if tau >= scale {
        u32::MAX - 1
    } else {
        quantize(tau, mul)
    };
    // Shingles of each side ranked up to tau (both lists are ascending).
    let na = a[..na].partition_point(|&v| v <= tau);
    let (mut lo, mut hi) = (0usize, nb);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if qb(mid) <= tau_b {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let nb = lo;
    // Branch-free merge: the comparisons are unpredictable.
    let (mut i, mut j, mut union, mut both) = (0usize, 0usize, 0usize, 0usize);
    while i < na && j < nb {
        let (x, y) = (qa(a[i]), qb(j));
        both += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
        union += 1;
    }
    union += (na - i) + (nb - j);
    if union == 0 {
        1.0
    } else {
        both as f64 / union as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedup::minhash::{for_each_shingle_hash, jaccard, shingle_set};
    use crate::rng::SplitMix64;

    fn sketch(text: &str, k: usize) -> Vec<u32> {
        let mut ranks = Vec::new();
        for_each_shingle_hash(text, 5, |h| ranks.push(rank(h)));
        let mut out = vec![0u32; k];
        bottom_k(&mut ranks, &mut out);
        out
    }

    const BBC: &str =
        "Ad sales boost Time Warner profit. Quarterly profits at US media giant TimeWarner \
        jumped 76% to $1.13bn (£600m) for the three months to December, from $639m \
        year-earlier. The firm, which is now one of the biggest investors in Google, benefited \
        from sales of high-speed internet connections and higher advert sales. TimeWarner said \
        fourth quarter sales rose 2% to $11.1bn from $10.9bn. Its profits were buoyed by \
        one-off gains which offset a profit dip at Warner Bros, and less users for AOL.";

    #[test]
    fn bottom_k_is_the_smallest_distinct_values_sorted_and_padded() {
        let mut rng = SplitMix64::new(3);
        let mut v: Vec<u32> = (0..2000).map(|_| rng.next_u64() as u32 % 900).collect();
        let mut want = v.clone();
        want.sort_unstable();
        want.dedup();
        // Heavy repetition forces the prefix to double.
        let mut out = vec![0u32; 256];
        bottom_k(&mut v, &mut out);
        assert_eq!(out, want[..256]);
        // Fewer distinct values than k: the whole set, then padding.
        let mut small = vec![9, 3, 3, 7];
        let mut out = vec![0u32; 6];
        bottom_k(&mut small, &mut out);
        assert_eq!(out, [3, 7, 9, EMPTY, EMPTY, EMPTY]);
        assert_eq!(filled(&out), 3);
        assert!((0..1000u64)
            .map(|h| rank(h.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
            .all(|r| r < EMPTY));
    }

    #[test]
    fn estimate_is_exact_for_sets_smaller_than_k() {
        // A real short text and an edited copy: their union has fewer than 256 shingles.
        let copy = BBC
            .replace("jumped 76%", "rose 76%")
            .replace("Google", "Yahoo");
        let truth = jaccard(&shingle_set(BBC, 5), &shingle_set(&copy, 5));
        assert!(truth > 0.5 && truth < 0.9, "{truth}");
        let est = estimate(&sketch(BBC, 256), &sketch(&copy, 256));
        assert!((est - truth).abs() < 1e-12, "{est} {truth}");
        // A text that shares nothing gives 0; a text with itself gives 1.
        let other = "The dollar has hit its highest level against the euro in almost three \
            months after the Federal Reserve head said the US trade deficit is set to stabilise.";
        assert_eq!(estimate(&sketch(BBC, 256), &sketch(other, 256)), 0.0);
        assert_eq!(estimate(&sketch(BBC, 256), &sketch(BBC, 256)), 1.0);
        assert_eq!(estimate(&[EMPTY; 4], &[EMPTY; 4]), 1.0);
    }

    #[test]
    fn estimate_tracks_jaccard_on_large_sets() {
        // Sets far larger than k: the estimate must be within a few standard deviations.
        let mut rng = SplitMix64::new(11);
        let shared: Vec<u64> = (0..3000).map(|_| rng.next_u64()).collect();
        let only_a: Vec<u64> = (0..1000).map(|_| rng.next_u64()).collect();
        let only_b: Vec<u64> = (0..1000).map(|_| rng.next_u64()).collect();
        let sk = |parts: [&[u64]; 2]| {
            let mut r: Vec<u32> = parts
                .iter()
                .flat_map(|p| p.iter().map(|&h| rank(h)))
                .collect();
            let mut out = vec![0u32; 256];
            bottom_k(&mut r, &mut out);
            out
        };
        let est = estimate(&sk([&shared, &only_a]), &sk([&shared, &only_b]));
        // True Jaccard 3000 / 5000 = 0.6; SD about 0.03.
        assert!((est - 0.6).abs() < 0.1, "{est}");
    }
}
