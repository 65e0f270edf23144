//! Viterbi decoding over BILOU tags: the best-scoring tag sequence of a sentence that obeys
//! the BILOU constraints, given per-token tag scores from the weight table ([`super::model`])
//! and tag-transition scores. Used both to tag and, in training, by the structured perceptron
//! ([`super::train`]).

use super::features::{allowed, transition_row, N_TAGS};
use super::model::Table;

/// Tag-transition scores with the BILOU constraints applied: `masked[last][p][t]` scores tag
/// `t` after tag `p` (`last`: `t` ends the sentence), `-inf` where the move is not allowed.
#[derive(Clone, Debug)]
pub(crate) struct Transitions {
    pub(crate) masked: [[[f32; N_TAGS]; N_TAGS]; 2],
}

/// The transition scores of a table (the rows of [`transition_row`]).
pub(crate) fn transitions<T: Table>(table: &T, bits: u32) -> Transitions {
    let mut masked = [[[f32::NEG_INFINITY; N_TAGS]; N_TAGS]; 2];
    for p in 0..N_TAGS {
        let mut row = [0f32; N_TAGS];
        table.add_hashed_rows(&[transition_row(p as u8, bits)], &mut row);
        for (last, m) in masked.iter_mut().enumerate() {
            for (t, (d, &x)) in m[p].iter_mut().zip(&row).enumerate() {
                if allowed(p as u8, t as u8, last == 1) {
                    *d = x;
                }
            }
        }
    }
    Transitions { masked }
}

/// The best tag sequence of a sentence whose `k`-th token scores `scores[k][t]` for tag `t`,
/// under BILOU constraints (a sentence starts after `O` and cannot end inside an entity), with
/// the transition score added for each pair of neighbouring tags. Writes one tag per token to `out`.
/// Ties go to the lower tag index, so the result is deterministic.
///
/// The forward pass keeps only the best score per tag (dense 17-wide max-plus steps that the
/// compiler vectorizes); the path is recovered afterwards by re-deriving each back pointer
/// along it, which costs one tag's predecessors per token instead of all of them.
pub(crate) fn viterbi_path(
    scores: &[[f32; N_TAGS]],
    trans: &Transitions,
    alpha: &mut Vec<[f32; N_TAGS]>,
    out: &mut [u8],
) {
    let n = scores.len().min(out.len());
    if n == 0 {
        return;
    }
    let masked = &trans.masked;
    alpha.clear();
    let first = &masked[usize::from(n == 1)][0];
    let mut a: [f32; N_TAGS] = std::array::from_fn(|t| first[t] + scores[0][t]);
    alpha.push(a);
    for (k, sc) in scores.iter().enumerate().take(n).skip(1) {
        let m = &masked[usize::from(k + 1 == n)];
        let prev = a;
        let mut cur = [f32::NEG_INFINITY; N_TAGS];
        for (&pp, row) in prev.iter().zip(m) {
            for (c, &x) in cur.iter_mut().zip(row) {
                // A plain compare-and-select (not `f32::max`, whose NaN rules block `maxps`).
                let v = pp + x;
                *c = if v > *c { v } else { *c };
            }
        }
        a = std::array::from_fn(|t| cur[t] + sc[t]);
        alpha.push(a);
    }
    let argmax = |v: &[f32; N_TAGS]| {
        let mut best = 0;
        for (t, &x) in v.iter().enumerate() {
            if x > v[best] {
                best = t;
            }
        }
        best
    };
    let mut t = argmax(&alpha[n - 1]);
    out[n - 1] = t as u8;
    for k in (1..n).rev() {
        let m = &masked[usize::from(k + 1 == n)];
        let via: [f32; N_TAGS] = std::array::from_fn(|p| alpha[k - 1][p] + m[p][t]);
        t = argmax(&via);
        out[k - 1] = t as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::features::{split_tag, Pos};

    /// Deterministic pseudo-random scores in [-1, 1).
    fn rng(state: &mut u64) -> f32 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        (*state % 2000) as f32 / 1000.0 - 1.0
    }

    fn random_transitions(state: &mut u64) -> Transitions {
        let mut masked = [[[f32::NEG_INFINITY; N_TAGS]; N_TAGS]; 2];
        for p in 0..N_TAGS as u8 {
            for t in 0..N_TAGS as u8 {
                let x = rng(state);
                for (last, m) in masked.iter_mut().enumerate() {
                    if allowed(p, t, last == 1) {
                        m[p as usize][t as usize] = x;
                    }
                }
            }
        }
        Transitions { masked }
    }

    fn score(tags: &[u8], scores: &[[f32; N_TAGS]], tr: &Transitions) -> f32 {
        let mut prev = 0u8;
        let mut s = 0.0;
        for (k, &t) in tags.iter().enumerate() {
            let last = usize::from(k + 1 == tags.len());
            s += tr.masked[last][prev as usize][t as usize] + scores[k][t as usize];
            prev = t;
        }
        s
    }

    fn valid(tags: &[u8]) -> bool {
        let mut prev = 0u8;
        for (k, &t) in tags.iter().enumerate() {
            if !allowed(prev, t, k + 1 == tags.len()) {
                return false;
            }
            prev = t;
        }
        true
    }

    /// The decoder never produces an illegal BILOU sequence (an I or L without its B, a type
    /// change inside an entity, a sentence ending inside an entity), and its path is the best
    /// legal one: checked against exhaustive search on short sentences.
    #[test]
    fn viterbi_is_legal_and_optimal() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut alpha = Vec::new();
        for n in 1..=3usize {
            for _ in 0..20 {
                let tr = random_transitions(&mut state);
                let scores: Vec<[f32; N_TAGS]> = (0..n)
                    .map(|_| std::array::from_fn(|_| rng(&mut state) * 3.0))
                    .collect();
                let mut out = vec![0u8; n];
                viterbi_path(&scores, &tr, &mut alpha, &mut out);
                assert!(valid(&out), "illegal sequence {out:?}");
                let mut best = f32::NEG_INFINITY;
                let mut seq = vec![0u8; n];
                for code in 0..N_TAGS.pow(n as u32) {
                    let mut c = code;
                    for x in seq.iter_mut() {
                        *x = (c % N_TAGS) as u8;
                        c /= N_TAGS;
                    }
                    if valid(&seq) {
                        best = best.max(score(&seq, &scores, &tr));
                    }
                }
                let got = score(&out, &scores, &tr);
                assert!((got - best).abs() < 1e-4, "{got} vs best {best}");
            }
        }
        // Long sentences with scores that strongly favour illegal moves stay legal.
        for _ in 0..50 {
            let tr = random_transitions(&mut state);
            let scores: Vec<[f32; N_TAGS]> = (0..40)
                .map(|k| {
                    std::array::from_fn(|t| {
                        if t == 2 + k % 3 {
                            50.0
                        } else {
                            rng(&mut state)
                        }
                    })
                })
                .collect();
            let mut out = vec![0u8; 40];
            viterbi_path(&scores, &tr, &mut alpha, &mut out);
            assert!(valid(&out), "illegal sequence {out:?}");
            let (_, pos) = split_tag(out[39]);
            assert!(matches!(pos, Pos::O | Pos::L | Pos::U));
        }
    }
}
