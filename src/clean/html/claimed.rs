//! The article text a page states about itself: the JSON-LD `articleBody` of news and blog
//! templates.
//!
//! The field is not trusted as output: it is often a teaser, holds markup or doubly escaped
//! entities, or is stale. It serves as a check on the extraction: word pairs of the claimed
//! text that the extracted text lacks point to the element that holds them (see
//! [`super::extract::extract`]).

use super::parse::{Dom, Kind, NONE};
use crate::hash::BuildXx;
use std::collections::HashMap;

/// A claimed text shorter than this (characters) is a teaser, and says nothing about where
/// the article is.
pub const MIN_CHARS: usize = 400;

/// Characters of `s` that are not whitespace: how long a text is, however it is laid out.
pub fn visible_chars(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// The longest `articleBody` of the page's parsed JSON-LD scripts
/// ([`super::meta::json_ld_values`]), entities decoded and markup removed; `None` when
/// there is none.
pub fn article_body(json_ld: &[serde_json::Value]) -> Option<String> {
    let mut best: Option<&str> = None;
    for v in json_ld {
        super::meta::ld_objects(v, true, 256, |o| {
            if let Some(serde_json::Value::String(s)) = o.get("articleBody") {
                if best.is_none_or(|b| b.len() < s.len()) {
                    best = Some(s);
                }
            }
        });
    }
    best.map(plain)
}

/// Markup and entities out: `&lt;p&gt;` (escaped twice in some templates) and `<p>` alike.
fn plain(s: &str) -> String {
    let mut s = html_escape::decode_html_entities(s).into_owned();
    if s.contains('&') {
        s = html_escape::decode_html_entities(&s).into_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let tag = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match after.find('>') {
            Some(j) if tag => {
                // A tag boundary separates words (`<br>`, `</p><p>`).
                out.push(' ');
                rest = &after[j + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Calls `f` with a hash of each lowercased alphanumeric word of `s`, in order.
pub(super) fn word_hashes(s: &str, mut f: impl FnMut(u64)) {
    for w in s.split(|c: char| !c.is_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        // FNV-1a over the lowercased characters.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        if w.is_ascii() {
            for b in w.bytes() {
                h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3);
            }
        } else {
            for c in w.chars().flat_map(char::to_lowercase) {
                h = (h ^ c as u64).wrapping_mul(0x0100_0000_01b3);
            }
        }
        f(h);
    }
}

/// Hashes of the consecutive word pairs of `s`, continuing from `prev` (the previous word's
/// hash, 0 at the start).
fn pairs(s: &str, prev: &mut u64, mut f: impl FnMut(u64)) {
    word_hashes(s, |h| {
        if *prev != 0 {
            f(prev.rotate_left(23) ^ h.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        }
        *prev = h;
    });
}

/// The word pairs of a claimed article text.
pub struct Claimed {
    /// Pair hash to its index in `seen` vectors.
    index: HashMap<u64, u32, BuildXx>,
    /// Characters of the claimed text.
    pub chars: usize,
    /// The claimed text itself, entities decoded and markup removed.
    pub text: String,
}

impl Claimed {
    /// `None` when the text is too short to say where the article is.
    pub fn new(text: String) -> Option<Claimed> {
        let chars = visible_chars(&text);
        if chars < MIN_CHARS {
            return None;
        }
        let mut index = HashMap::with_hasher(BuildXx);
        let mut prev = 0;
        pairs(&text, &mut prev, |h| {
            let n = index.len() as u32;
            index.entry(h).or_insert(n);
        });
        (index.len() >= 40).then_some(Claimed { index, chars, text })
    }

    /// Share of the claimed text's distinct word pairs that `text` holds.
    pub fn coverage(&self, text: &str) -> f64 {
        let mut seen = vec![false; self.index.len()];
        let mut prev = 0;
        pairs(text, &mut prev, |h| {
            if let Some(&i) = self.index.get(&h) {
                seen[i as usize] = true;
            }
        });
        seen.iter().filter(|&&s| s).count() as f64 / self.index.len().max(1) as f64
    }

    /// Word pairs of the claimed text in each subtree of the page (text in document order,
    /// entities decoded), and the distinct ones on the whole page.
    pub fn hits(&self, dom: &Dom, page: &str) -> (Vec<u32>, usize) {
        let n = dom.nodes.len();
        let mut hits = vec![0u32; n];
        let mut seen = vec![false; self.index.len()];
        let mut prev = 0;
        for (i, node) in dom.nodes.iter().enumerate() {
            let Kind::Text(s, e) = node.kind else {
                continue;
            };
            // Borrowed unless the text holds an entity.
            let text = super::charref::decode(&page[s..e]);
            let mut k = 0;
            pairs(&text, &mut prev, |h| {
                if let Some(&j) = self.index.get(&h) {
                    k += 1;
                    seen[j as usize] = true;
                }
            });
            hits[i] = k;
        }
        for i in (1..n).rev() {
            let p = dom.nodes[i].parent;
            if p != NONE {
                hits[p as usize] += hits[i];
            }
        }
        (hits, seen.iter().filter(|&&s| s).count())
    }

    /// The smallest element holding `share` of the claimed word pairs found on the page
    /// (`hits` from [`Claimed::hits`]); the root when no single child holds that much.
    pub fn holder(&self, dom: &Dom, hits: &[u32], share: f64) -> u32 {
        let need = (hits[0] as f64 * share).ceil() as u32;
        let mut a = 0u32;
        loop {
            let next = dom.children(a).find(|&c| {
                matches!(dom.nodes[c as usize].kind, Kind::Element(_))
                    && hits[c as usize] >= need.max(1)
            });
            match next {
                Some(c) => a = c,
                None => return a,
            }
        }
    }

    /// Number of distinct word pairs in the claimed text.
    pub fn distinct_pairs(&self) -> usize {
        self.index.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_read_from_nested_json_ld_without_markup_or_entities() {
        let page = r#"<html><head><script type="application/ld+json">{"@graph":[{"@type":"WebPage"},{"@type":"NewsArticle","articleBody":"&lt;p&gt;Tom &amp;amp; Ann&lt;/p&gt;&lt;p&gt;met.</p>"}]}</script></head><body></body></html>"#;
        let dom = Dom::parse(page, 1 << 20);
        let ld = super::super::meta::json_ld_values(&dom);
        assert_eq!(article_body(&ld).as_deref(), Some(" Tom & Ann  met. "));
        let page = "<html><body><p>No data.</p></body></html>";
        let ld = super::super::meta::json_ld_values(&Dom::parse(page, 1 << 20));
        assert_eq!(article_body(&ld), None);
    }

    #[test]
    fn coverage_counts_distinct_pairs_of_the_claim() {
        let words: Vec<String> = (0..150).map(|i| format!("w{i}")).collect();
        let claim = Claimed::new(words.join(" ")).expect("long enough");
        assert_eq!(claim.distinct_pairs(), 149);
        assert!((claim.coverage(&words.join(" ").to_uppercase()) - 1.0).abs() < 1e-9);
        let half = claim.coverage(&words[..75].join(" "));
        assert!((half - 74.0 / 149.0).abs() < 1e-9, "{half}");
        assert!(Claimed::new("too short".into()).is_none());
    }
}
