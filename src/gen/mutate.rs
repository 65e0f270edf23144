//! Text mutations that turn seed articles into new originals and planted duplicates.
//!
//! All functions take paragraphs (one per output line) and a [`SplitMix64`], so the same seed
//! gives the same edits. Counts of changed words are returned so the truth file can say how far
//! each planted duplicate is from its original.

use corpusmill::rng::SplitMix64;

/// Words inserted by near-copy edits: common English words, so inserts look like light
/// copy-editing rather than noise.
const FILLER: &[&str] = &[
    "the",
    "also",
    "however",
    "now",
    "still",
    "reportedly",
    "said",
    "new",
    "more",
    "recently",
    "officially",
    "last",
    "year",
    "very",
    "just",
    "according",
    "to",
    "sources",
    "in",
    "early",
];

/// Splits a paragraph into sentences: a break follows `.`, `?` or `!` (and any closing quote)
/// when a space and an upper-case letter, digit or opening quote come next.
pub fn sentences(paragraph: &str) -> Vec<&str> {
    let b = paragraph.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if matches!(b[i], b'.' | b'?' | b'!') {
            let mut j = i + 1;
            while j < b.len() && matches!(b[j], b'"' | b'\'' | b')') {
                j += 1;
            }
            if j + 1 < b.len() && b[j] == b' ' {
                let next = b[j + 1];
                if next.is_ascii_uppercase()
                    || next.is_ascii_digit()
                    || next == b'"'
                    || next >= 0x80
                {
                    out.push(&paragraph[start..j]);
                    start = j + 1;
                    i = j + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    if start < b.len() {
        out.push(&paragraph[start..]);
    }
    out
}

/// Counts whitespace-separated words.
pub fn word_count(paragraphs: &[String]) -> usize {
    paragraphs
        .iter()
        .map(|p| p.split_whitespace().count())
        .sum()
}

/// Builds a new article with the paragraph shape of `shape`: paragraph `i` gets as many
/// sentences as `shape[i]` has, each drawn from `pool`. The result is real English on the
/// shape's topic mix but shares no long runs with any single seed article, so synthetic
/// originals are not near-duplicates of each other.
pub fn synthesize(shape: &[String], pool: &[&str], rng: &mut SplitMix64) -> Vec<String> {
    shape
        .iter()
        .map(|p| {
            let n = sentences(p).len().max(1);
            let mut para = String::with_capacity(p.len() + 16);
            for k in 0..n {
                if k > 0 {
                    para.push(' ');
                }
                para.push_str(rng.pick(pool).copied().unwrap_or(""));
            }
            para
        })
        .collect()
}

/// Applies light edits to a copy: word inserts, deletes and re-casings spread over the text
/// (about `frac` of the words), and with probability `drop_sentence` one sentence removed.
/// Returns the edited paragraphs and the number of words changed.
pub fn near_copy(
    paragraphs: &[String],
    frac: f64,
    drop_sentence: f64,
    rng: &mut SplitMix64,
) -> (Vec<String>, usize) {
    let mut paras: Vec<Vec<String>> = paragraphs
        .iter()
        .map(|p| p.split_whitespace().map(str::to_owned).collect())
        .collect();
    let total: usize = paras.iter().map(Vec::len).sum();
    let mut changed = 0;
    if drop_sentence > 0.0 && rng.chance(drop_sentence) {
        // Drop one sentence from a paragraph that has several.
        let multi: Vec<usize> = (0..paragraphs.len())
            .filter(|&i| sentences(&paragraphs[i]).len() > 1)
            .collect();
        if let Some(&pi) = rng.pick(&multi) {
            let sents = sentences(&paragraphs[pi]);
            let drop = rng.below(sents.len());
            changed += sents[drop].split_whitespace().count();
            let kept: Vec<&str> = sents
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != drop)
                .map(|(_, s)| *s)
                .collect();
            paras[pi] = kept
                .join(" ")
                .split_whitespace()
                .map(str::to_owned)
                .collect();
        }
    }
    let edits = ((total as f64 * frac).round() as usize).max(1);
    for _ in 0..edits {
        let lens: usize = paras.iter().map(Vec::len).sum();
        if lens == 0 {
            break;
        }
        // Find the paragraph and word at a uniform position.
        let mut pos = rng.below(lens);
        let Some(pi) = paras.iter().position(|p| {
            if pos < p.len() {
                true
            } else {
                pos -= p.len();
                false
            }
        }) else {
            break;
        };
        let words = &mut paras[pi];
        match rng.below(3) {
            0 => {
                let w = rng.pick(FILLER).copied().unwrap_or("the");
                words.insert(pos, w.to_owned());
            }
            1 if words.len() > 1 => {
                words.remove(pos);
            }
            _ => {
                let w = &words[pos];
                let recased = match w.chars().next() {
                    Some(c) if c.is_uppercase() => w.to_lowercase(),
                    Some(_) => {
                        let mut cs = w.chars();
                        cs.next()
                            .map(|c| c.to_uppercase().chain(cs).collect())
                            .unwrap_or_default()
                    }
                    None => String::new(),
                };
                words[pos] = if recased == *w {
                    w.to_uppercase()
                } else {
                    recased
                };
            }
        }
        changed += 1;
    }
    let out = paras
        .into_iter()
        .map(|p| p.join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    (out, changed.min(total))
}

/// Mixes two articles: the first half of `a`'s paragraphs, then the second half of `b`'s.
/// Returns the paragraphs and the number of words that came from `b`.
pub fn mix(a: &[String], b: &[String]) -> (Vec<String>, usize) {
    let head = a.len().div_ceil(2);
    let tail = b.len() / 2;
    let from_b = &b[tail..];
    let mut out: Vec<String> = a[..head].to_vec();
    out.extend(from_b.iter().cloned());
    (out, word_count(from_b))
}

/// Adds whitespace noise that normalization removes (doubled spaces, trailing spaces, CRLF),
/// so an "exact" copy differs in bytes but not after normalization.
pub fn whitespace_noise(text: &str, rng: &mut SplitMix64) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push_str(if rng.chance(0.5) { "\r\n" } else { "\n" });
        }
        for (k, w) in line.split(' ').enumerate() {
            if k > 0 {
                out.push_str(if rng.chance(0.05) { "  " } else { " " });
            }
            out.push_str(w);
        }
        if !line.is_empty() && rng.chance(0.2) {
            out.push(' ');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const BBC: &str = "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn (£600m) for the three months to December, from $639m year-earlier.";
    const BBC2: &str = "The firm, which is now one of the biggest investors in Google, benefited from sales of high-speed internet connections and higher advert sales. TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn. Its profits were buoyed by one-off gains which offset a profit dip at Warner Bros, and less users for AOL.";

    fn paras() -> Vec<String> {
        vec![BBC.to_owned(), BBC2.to_owned()]
    }

    #[test]
    fn splits_real_sentences_but_not_numbers() {
        let s = sentences(BBC2);
        assert_eq!(s.len(), 3, "{s:?}");
        assert!(s[1].starts_with("TimeWarner said") && s[1].ends_with("$10.9bn."));
        // "$1.13bn" and "$639m" do not split.
        assert_eq!(sentences(BBC).len(), 1);
        assert_eq!(sentences("“We regret it,” he said. “No.”").len(), 2);
    }

    #[test]
    fn near_copy_changes_about_the_requested_fraction() {
        let mut rng = SplitMix64::new(3);
        let p = paras();
        let total = word_count(&p);
        let (out, changed) = near_copy(&p, 0.05, 0.0, &mut rng);
        assert_ne!(out, p);
        assert_eq!(changed, (total as f64 * 0.05).round() as usize);
        // Most words survive in place: a near copy, not a rewrite.
        let same = out[1]
            .split_whitespace()
            .zip(BBC2.split_whitespace())
            .filter(|(a, b)| a == b)
            .count();
        assert!(same > 5, "{out:?}");
        let (dropped, changed) = near_copy(&p, 0.0, 1.0, &mut SplitMix64::new(9));
        assert_eq!(dropped[0], BBC);
        assert!(
            changed >= 10 && dropped[1].len() < BBC2.len(),
            "{dropped:?}"
        );
    }

    #[test]
    fn mix_takes_head_of_one_and_tail_of_other() {
        let a: Vec<String> = vec!["a1".into(), "a2".into(), "a3".into()];
        let b: Vec<String> = vec!["b1 x".into(), "b2 y".into(), "b3 z".into(), "b4 w".into()];
        let (m, from_b) = mix(&a, &b);
        assert_eq!(m, vec!["a1", "a2", "b3 z", "b4 w"]);
        assert_eq!(from_b, 4);
    }

    #[test]
    fn whitespace_noise_is_undone_by_collapsing_spaces() {
        let text = format!("{BBC}\n\n{BBC2}");
        let noisy = whitespace_noise(&text, &mut SplitMix64::new(1));
        assert_ne!(noisy, text);
        let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(squash(&noisy), squash(&text));
    }

    #[test]
    fn synthesize_keeps_shape_and_uses_pool() {
        let pool = sentences(BBC2);
        let out = synthesize(&paras(), &pool, &mut SplitMix64::new(5));
        assert_eq!(out.len(), 2);
        assert_eq!(sentences(&out[1]).len(), 3);
        assert!(pool.contains(&out[0].as_str()));
    }
}
