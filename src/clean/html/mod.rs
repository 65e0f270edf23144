//! The `html` stage: main-content extraction from web pages, first in the chain.
//!
//! Documents arrive with a page in [`Doc::html`](crate::doc::Doc::html): from the JSONL field
//! that `input.html_key` names, or from an HTML response in a WARC file. The stage parses the
//! page with the lenient parser in [`parse`], reduces it to the article's text with
//! [`extract`] (paragraphs, headings, lists and tables as lines; navigation, comments, related
//! links, ads, share bars and cookie banners out), and fills `title`, `date`, `author` and
//! `html_lang` from the page's metadata ([`meta`]) when the record lacks them. Documents
//! without a page pass through untouched.
//!
//! Every page costs time and memory linear in its size, and the size is capped
//! (`html.max_page_bytes`, `html.max_nodes`): a larger page is rejected with the reason
//! `page_too_large`; one with more elements is extracted from its first `max_nodes` nodes and
//! counted (`node_cap`). A payload that is not HTML (binary bytes, no markup) is rejected as
//! `not_html`, and a page with no text left as `no_text`.

pub mod charref;
pub mod claimed;
pub mod extract;
pub mod meta;
pub mod parse;

use serde::{Deserialize, Serialize};

use crate::doc::Doc;
use crate::stage::{Counters, Drop, Stage, Verdict};

/// Config for the `[html]` section.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlConfig {
    /// Run this stage on documents that carry a page (default true). Pages come from the
    /// field named by `input.html_key` or from WARC input.
    pub enabled: bool,
    /// Largest page in bytes; larger pages are rejected as `page_too_large` (default 8 MiB).
    pub max_page_bytes: usize,
    /// Most parsed nodes per page; the rest of a larger page is ignored and counted as
    /// `node_cap` (default 400000).
    pub max_nodes: usize,
    /// Output key for the language the page declares (default `html_lang`; empty = not
    /// written).
    pub lang_key: String,
    /// Keep photo captions and credits (`<figcaption>`, short elements named for a caption
    /// or a credit, a figure's short text outside any block), posts embedded from social
    /// networks (tweets, Instagram) and the short text of video players in the text
    /// (default false: they describe media beside the article; a photo gallery or video
    /// page whose text is its media keeps them either way).
    pub captions: bool,
}

impl Default for HtmlConfig {
    fn default() -> Self {
        HtmlConfig {
            enabled: true,
            max_page_bytes: 8 << 20,
            max_nodes: 400_000,
            lang_key: "html_lang".into(),
            captions: false,
        }
    }
}

impl HtmlConfig {
    /// Validates the config and builds the stage; found metadata is written under the
    /// record's keys from `input` (`title_key`, `date_key`, `author_key`).
    pub fn build(&self, input: &crate::config::InputConfig) -> crate::Result<Html> {
        if self.max_page_bytes < 1024 || self.max_nodes < 100 {
            return Err(crate::Error::Config(format!(
                "html.max_page_bytes = {} and html.max_nodes = {}: need at least 1024 bytes and 100 nodes",
                self.max_page_bytes, self.max_nodes
            )));
        }
        Ok(Html {
            max_page_bytes: self.max_page_bytes,
            max_nodes: self.max_nodes,
            title_key: input.title_key.clone(),
            date_key: input.date_key.clone(),
            author_key: input.author_key.clone(),
            lang_key: self.lang_key.clone(),
            options: extract::Options {
                captions: self.captions,
            },
        })
    }
}

/// The main-content extraction stage.
#[derive(Clone, Debug)]
pub struct Html {
    max_page_bytes: usize,
    max_nodes: usize,
    title_key: String,
    date_key: String,
    author_key: String,
    lang_key: String,
    options: extract::Options,
}

const NAME: &str = "html";

/// True when the page looks like markup rather than a binary or plain-text payload: some `<`
/// followed by a letter, `!` or `/` in the first 64 KiB, and few control bytes.
pub fn looks_like_html(page: &str) -> bool {
    let head = &page.as_bytes()[..page.len().min(64 << 10)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    let replacement = page[..floor_char(page, head.len())]
        .matches('\u{fffd}')
        .count();
    if controls * 50 > head.len() || replacement * 20 > head.len() {
        return false;
    }
    memchr::memchr_iter(b'<', head).any(|i| {
        head.get(i + 1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'!' || *b == b'/')
    })
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// What the stage makes of one page.
#[derive(Debug, Default)]
pub struct Page {
    /// The main text.
    pub text: String,
    /// The page's metadata.
    pub meta: meta::Meta,
    /// True when the node cap cut the page.
    pub truncated: bool,
    /// True when a content container was found.
    pub article: bool,
    /// How the page's JSON-LD `articleBody` changed the extraction.
    pub claim: extract::ClaimUse,
    /// True when the page was UTF-8 read as Latin-1 or windows-1252 and was decoded again
    /// ([`super::mojibake::repair`]).
    pub repaired: bool,
    /// Keys ([`line_key`]) of the lines of `text` written from data-table rows and
    /// preformatted text, sorted.
    pub data_lines: Vec<u64>,
}

/// The key of a line of extracted text in [`Page::data_lines`] and [`Doc::data_lines`]: a
/// hash of its letters and digits alone, so that the spacing, quotes and Unicode forms the
/// `normalize` stage changes do not change it; `None` for a line with neither.
pub fn line_key(line: &str) -> Option<u64> {
    let kept: String = line.chars().filter(|c| c.is_alphanumeric()).collect();
    (!kept.is_empty()).then(|| xxhash_rust::xxh3::xxh3_64(kept.as_bytes()))
}

/// True when `line` is one of the data lines whose sorted keys are `data`.
pub fn is_data_line(line: &str, data: &[u64]) -> bool {
    !data.is_empty() && line_key(line).is_some_and(|k| data.binary_search(&k).is_ok())
}

impl Html {
    /// Extracts text and metadata from a page (no size checks).
    pub fn page(&self, page: &str) -> Page {
        let fixed = super::mojibake::repair(page);
        let page = fixed.as_deref().unwrap_or(page);
        let dom = parse::Dom::parse(page, self.max_nodes);
        // Each JSON-LD script is parsed once, for the metadata and the stated article text.
        let json_ld = meta::json_ld_values(&dom);
        let meta = meta::read_with(&dom, page, &json_ld);
        let claim = claimed::article_body(&json_ld).and_then(claimed::Claimed::new);
        // The title first, then the page's other headlines, one per line.
        let titles = meta.headlines.join("\n");
        let ex = extract::extract_opts(
            &dom,
            page,
            (!titles.is_empty()).then_some(titles.as_str()),
            claim.as_ref(),
            self.options,
        );
        Page {
            text: ex.text,
            meta,
            truncated: dom.truncated,
            article: ex.article,
            claim: ex.claim,
            repaired: fixed.is_some(),
            data_lines: ex.data_lines,
        }
    }

    /// Replaces a document's page by its main text and fills missing metadata.
    pub fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        let Some(page) = doc.html.take() else {
            return Verdict::Keep;
        };
        let reject = |rule, value: f64, threshold: f64| {
            Verdict::Drop(Drop {
                stage: NAME,
                rule,
                value,
                threshold,
            })
        };
        counters.add(NAME, "pages", 1);
        if page.len() > self.max_page_bytes {
            return reject(
                "page_too_large",
                page.len() as f64,
                self.max_page_bytes as f64,
            );
        }
        if !looks_like_html(&page) {
            return reject("not_html", 0.0, 1.0);
        }
        let p = self.page(&page);
        drop(page);
        if p.truncated {
            counters.add(NAME, "node_cap", 1);
        }
        if p.repaired {
            counters.add(NAME, "mojibake_repaired", 1);
        }
        match p.claim {
            extract::ClaimUse::Unused => {}
            extract::ClaimUse::Holder => counters.add(NAME, "article_body_holder", 1),
            extract::ClaimUse::Text => counters.add(NAME, "article_body_text", 1),
        }
        if !p.article {
            counters.add(NAME, "no_article_container", 1);
        }
        if p.text.is_empty() {
            return reject("no_text", 0.0, 1.0);
        }
        doc.text = p.text;
        doc.from_html = true;
        doc.data_lines = p.data_lines;
        let m = p.meta;
        if doc.title.is_none() {
            if let Some(t) = m.title {
                push(doc, &self.title_key, &t);
                doc.title = Some(t);
            }
        }
        if doc.date.is_none() {
            if let Some(d) = m.date {
                push(doc, &self.date_key, &d);
                doc.date = Some(d);
            }
        }
        if doc.author.is_none() {
            if let Some(a) = m.author {
                push(doc, &self.author_key, &a);
                doc.author = Some(a);
            }
        }
        if let Some(l) = m.lang {
            push(doc, &self.lang_key, &l);
        }
        Verdict::Keep
    }
}

/// Adds a field to the output record unless the key is empty or already there.
fn push(doc: &mut Doc, key: &str, value: &str) {
    if key.is_empty() {
        return;
    }
    let mut quoted = Vec::with_capacity(key.len() + 3);
    crate::io::record::write_json_str(&mut quoted, key);
    quoted.push(b':');
    let (head, tail) = doc.record.parts();
    let has = |b: &[u8]| memchr::memmem::find(b, &quoted).is_some();
    if !has(head) && !has(tail) {
        doc.record.push_string(key, value);
    }
}

impl Stage for Html {
    fn name(&self) -> &'static str {
        NAME
    }

    fn process(&self, doc: &mut Doc, counters: &mut Counters) -> Verdict {
        Html::process(self, doc, counters)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage() -> Html {
        HtmlConfig::default()
            .build(&crate::config::InputConfig::default())
            .unwrap()
    }

    fn doc(page: &str) -> Doc {
        let mut d = Doc::from_text("x", "");
        d.html = Some(page.to_string());
        d.record.mark_text();
        d
    }

    #[test]
    fn fills_missing_metadata_only() {
        let page = r#"<html lang=en><title>T</title><meta name=author content="Ann Lee"><body><article><p>Some real text of the article, long enough to count as a paragraph.</p></article></body></html>"#;
        let mut d = doc(page);
        d.title = Some("Given".into());
        let mut c = Counters::default();
        assert_eq!(stage().process(&mut d, &mut c), Verdict::Keep);
        assert_eq!(d.title.as_deref(), Some("Given"));
        assert_eq!(d.author.as_deref(), Some("Ann Lee"));
        assert!(d.text.starts_with("Some real text"), "{}", d.text);
        let (_, tail) = d.record.parts();
        assert_eq!(
            String::from_utf8_lossy(tail),
            r#","author":"Ann Lee","html_lang":"en""#
        );
        assert!(d.html.is_none());
    }

    #[test]
    fn garbled_utf8_is_decoded_again() {
        // UTF-8 read as windows-1252 upstream: "It’s" arrives as "Itâ€™s".
        let page = "<html><body><article><p>It\u{e2}\u{20ac}\u{2122}s the caf\u{c3}\u{a9}\u{e2}\u{20ac}\u{2122}s best year, the owner said on Monday.</p></article></body></html>";
        let mut d = doc(page);
        let mut c = Counters::default();
        assert_eq!(stage().process(&mut d, &mut c), Verdict::Keep);
        assert!(
            d.text.starts_with("It\u{2019}s the caf\u{e9}\u{2019}s"),
            "{}",
            d.text
        );
        assert_eq!(c.get("html", "mojibake_repaired"), 1);
    }

    #[test]
    fn page_rendered_by_scripts_gives_its_json_ld_article_body() {
        let body: String = (0..12)
            .map(|i| format!("Paragraph {i} of the story tells what the council decided on bridge {i} on day {i}. "))
            .collect();
        let json = serde_json::json!({"@type": "NewsArticle", "articleBody": body});
        let page = format!(
            r#"<html><head><script type="application/ld+json">{json}</script></head><body><div id=app><p>Loading the story, please wait a moment.</p></div></body></html>"#
        );
        let mut d = doc(&page);
        let mut c = Counters::default();
        assert_eq!(stage().process(&mut d, &mut c), Verdict::Keep);
        assert!(d.text.starts_with("Paragraph 0 of the story"), "{}", d.text);
        assert!(d.text.ends_with("on bridge 11 on day 11."), "{}", d.text);
        assert_eq!(c.get("html", "article_body_text"), 1);
        assert_eq!(c.get("html", "article_body_holder"), 0);
    }

    #[test]
    fn hostile_pages_are_rejected_with_a_reason() {
        let mut c = Counters::default();
        let rule = |page: &str, c: &mut Counters| match stage().process(&mut doc(page), c) {
            Verdict::Drop(d) => d.rule,
            Verdict::Keep => "kept",
        };
        let binary: String = (0u8..=255).cycle().take(5000).map(char::from).collect();
        assert_eq!(rule(&binary.replace('<', ""), &mut c), "not_html");
        assert_eq!(rule("just words, no markup at all", &mut c), "not_html");
        assert_eq!(rule("<html><body></body></html>", &mut c), "no_text");
        let huge = format!("<p>{}</p>", "word ".repeat(2 << 20));
        assert_eq!(rule(&huge, &mut c), "page_too_large");
        assert_eq!(c.get("html", "pages"), 4);
    }

    #[test]
    fn documents_without_a_page_pass_untouched() {
        let mut d = Doc::from_text("x", "plain text");
        assert_eq!(
            stage().process(&mut d, &mut Counters::default()),
            Verdict::Keep
        );
        assert_eq!(d.text, "plain text");
    }

    #[test]
    fn config_is_validated() {
        let c = HtmlConfig {
            max_nodes: 1,
            ..HtmlConfig::default()
        };
        assert!(c
            .build(&crate::config::InputConfig::default())
            .unwrap_err()
            .to_string()
            .contains("max_nodes"));
    }
}
