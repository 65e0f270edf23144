//! Main-content extraction from a parsed page ([`Dom`]).
//!
//! Three passes over the node arena, each linear in the page:
//! 1. **Boilerplate removal.** Elements that never hold article text (scripts, form controls,
//!    navigation, asides, hidden elements, short forms: login, newsletter and poll boxes) and
//!    elements whose `class`/`id` (or custom element name) names site furniture
//!    (comments, share bars, related links, cookie banners, ads, newsletter boxes) are dropped
//!    with their subtrees, unless they hold a large share of the page's text (a wrapper named
//!    `comments-enabled` around the whole article must not take the article with it).
//! 2. **Scoring.** Every paragraph-like block (a `<p>`, `<pre>`, `<td>`, `<li>`, or any block
//!    with its own running text) of at least 25 characters scores by its length and commas,
//!    discounted by its link density, and passes the score to its parent, grandparent and
//!    great-grandparent with decay; containers gain or lose by tag and by `class`/`id` names
//!    (the readability family's method). The best container wins, unless it lies away from
//!    the page's headline (the heading the `<title>` repeats) and a candidate near the
//!    headline scores at least a fifth of it (a short article beside a longer comment list);
//!    an ancestor that holds most of the other strong containers replaces it (articles split
//!    in several columns), and siblings that score near it or are plain prose paragraphs
//!    join it.
//! 3. **Rendering.** The chosen subtrees are written as text: blocks on their own lines,
//!    `<br>` as a line break, entities decoded, whitespace collapsed; blocks that are mostly
//!    link text (link lists, "read more" teasers) are left out.
//!
//! When the winner holds little text (no article structure), the whole page body is rendered
//! with the same filters instead.
//!
//! A page that states its own text (JSON-LD `articleBody`, [`super::claimed`]) has the result
//! checked against the statement: the element holding most of the stated text replaces a
//! choice that holds little of it, and a page where no element gives the text (rendered or
//! unhidden by scripts) gives the stated text instead of a meagre extraction. Last, a line
//! that only repeats lines after it (a caption made of the lead paragraphs) is left out.

use super::claimed::{visible_chars, Claimed};
use super::parse::{Dom, Kind, Tag, NONE};

/// Class or id fragments of reader discussion: removed however long.
const DISCUSSION: &[&str] = &["comment", "disqus", "replies", "respond"];

// Classes are chosen by the site's designers and name furniture reliably; ids are often made
// from headings (`#sharing-with-a-single-developer`), so a long element with few links is
// kept whatever its id says.

/// Class or id fragments of elements that are furniture even inside an article.
const STRONG_JUNK: &[&str] = &[
    "comment",
    "share",
    "sharing",
    "social",
    "related",
    "cookie",
    "consent",
    "gdpr",
    "newsletter",
    "subscribe",
    "signup",
    "sign-up",
    "outbrain",
    "taboola",
    "breakpoint",
    "breadcrumb",
    "advert",
    "promo",
    "popup",
    "modal",
    "popover",
    "owner-content",
    "messenger",
    "disqus",
    "recirc",
    "most-popular",
    "mostpopular",
    "trending",
    "paywall",
    "skip-link",
    "skiplink",
    "print-only",
    "screen-reader",
    "sr-only",
    "visually-hidden",
    "visuallyhidden",
    "tags",
    "tag-list",
    "taglist",
    "keywords",
    "rating",
    "pager",
    "pagination",
    "gallery",
    "slideshow",
    "carousel",
    "author-bio",
    "authorbio",
    "author-box",
    "authorbox",
    "about-author",
    "about-the-author",
    "author-info",
    "author-profile",
    "author-card",
    "post-author",
    "asset-author",
    "wpautbox",
    "saboxplugin",
];

/// Name parts (split at `-` and `_`) that, beside a part naming an author, make a class
/// token the writer's biography box (`author-bio`, `author_info`, `authorsblock_about`,
/// `single-content-author__about`) rather than a byline or a post's own class
/// (`author-jane`). Joined forms (`authorinfo`) count too.
const AUTHOR_BOX: &[&str] = &[
    "bio",
    "about",
    "info",
    "description",
    "desc",
    "profile",
    "box",
    "block",
    "card",
];

/// Whether a class token names an author's biography box ([`AUTHOR_BOX`]).
fn author_box(names: &str) -> bool {
    names.split_ascii_whitespace().any(|token| {
        let mut author = false;
        let mut bio = false;
        for part in token.split(['-', '_']) {
            if let Some(i) = part.find("author") {
                author = true;
                let rest = &part[i + "author".len()..];
                let rest = rest.strip_prefix('s').unwrap_or(rest);
                bio |= AUTHOR_BOX.contains(&rest);
            }
            bio |= AUTHOR_BOX.contains(&part);
        }
        author && bio
    })
}

/// Class fragments of posts embedded from social networks (a tweet, an Instagram post): the
/// article quotes them as media, like a photo.
const EMBEDS: &[&str] = &["twitter-tweet", "instagram-media", "tiktok-embed"];

/// Visible characters under which an element named for a video or audio player is the
/// player's furniture (titles of the clip and of the next ones, its length, "Replay").
const PLAYER_MAX: u32 = 300;

/// Visible characters under which an element named for a caption is one; a longer one is a
/// gallery's text or an article in a template that names its blocks so.
const CAPTION_MAX: u32 = 500;

/// Visible characters under which a figure's text outside any block is its credit line.
const CREDIT_MAX: u32 = 200;

/// Name fragments of an image's caption or credit line ("Getty Images", "AFP PHOTO").
const CAPTION_NAMES: &[&str] = &["caption", "credit"];

/// Whole name tokens (split at spaces, `-` and `_`) of furniture too short to match as
/// fragments: a call-to-action box (`cta`, `cta-global`), not "contact" or "octave"; a
/// promotional tout (`terminal-tout`), not "stout".
const JUNK_TOKENS: &[&str] = &["cta", "tout"];

/// Fragments of furniture that a content name (`article`, `content`, ...) on the same element
/// overrides.
const WEAK_JUNK: &[&str] = &[
    "sidebar",
    "footer",
    "nav",
    "menu",
    "banner",
    "widget",
    "sponsor",
    "header",
    "masthead",
    "recommend",
    "more-",
    "toolbar",
    "skyscraper",
    "extra",
    "supplemental",
    "community",
    "rss",
    "remark",
    "shoutbox",
    "agegate",
    "combx",
    "hidden",
];

/// Fragments that mark article content.
const CONTENT: &[&str] = &[
    "article", "content", "main", "post", "entry", "story", "body", "text", "column", "blog",
];

/// Name tokens (split at spaces, `-` and `_`) of bylines, datelines and post metadata: a short
/// element so named is furniture.
const BYLINE: &[&str] = &[
    "byline",
    "author",
    "authors",
    "date",
    "dateline",
    "timestamp",
    "published",
    "posted",
    "meta",
    "pubdate",
    "readtime",
    "credit",
    "credits",
];

fn has_token(names: &str, list: &[&str]) -> bool {
    names.split([' ', '-', '_', '#']).any(|t| list.contains(&t))
}

fn has_any(names: &str, list: &[&str]) -> bool {
    list.iter().any(|p| names.contains(p))
}

/// Whether link `i` sits in a paragraph that holds text besides it: a word of the running
/// text linked to a tag or search page (`<a class="storyTags">Xiaomi</a>`) is text
/// whatever its name says. `raw` is each subtree's visible text.
fn in_running_text(dom: &Dom, raw: &[u32], i: usize) -> bool {
    let mut a = dom.nodes[i].parent;
    while a != NONE {
        match dom.tag(a) {
            Some(Tag::P) => return raw[a as usize] > raw[i],
            Some(t) if t.is_block() => return false,
            _ => a = dom.nodes[a as usize].parent,
        }
    }
    false
}

/// `ad`, `ads` or an `ad-`/`ads-` prefixed token: a word match, since "ad" is inside many
/// ordinary names (`header`, `shadow`, `load`).
fn is_ad_name(names: &str) -> bool {
    names.split([' ', '_', '#']).any(|t| {
        t == "ad"
            || t == "ads"
            || t.starts_with("ad-")
            || t.starts_with("ads-")
            || t.ends_with("-ad")
            || t.ends_with("-ads")
            || t == "advertisement"
    })
}

/// Tags whose subtrees never hold article text.
fn junk_tag(t: Tag) -> bool {
    matches!(
        t,
        Tag::Head
            | Tag::Title
            | Tag::Script
            | Tag::Style
            | Tag::Noscript
            | Tag::Template
            | Tag::Rt
            | Tag::Svg
            | Tag::Math
            | Tag::Iframe
            | Tag::Object
            | Tag::Embed
            | Tag::Canvas
            | Tag::Button
            | Tag::Select
            | Tag::Input
            | Tag::Textarea
            | Tag::Nav
            | Tag::Aside
            | Tag::Footer
            | Tag::Dialog
            | Tag::Meta
            | Tag::Link
    )
}

/// `names` without "commentar" ("commentary", "commentaries"): an opinion piece, which the
/// fragment "comment" of reader discussion must not match; without "subscriber": text for
/// subscribers (`subscriber-preview`, `subscriber-only` around a local paper's paragraphs),
/// which the fragment "subscribe" of sign-up boxes must not match; without state flags ending in
/// "promoted" (Drupal's `node--promoted` on every article promoted to the front page), which
/// the fragment "promo" must not match (`promoted-stories` still does); and without the
/// part of a name from a `has-`, `with-` or `no-` word on (`o-section--has-ads`,
/// `layout-with-sidebar`, `no-comments`): such a flag says what the element holds or lacks
/// beside its text, not what it is; without `overflow-*` utility classes (`overflow-hidden`
/// clips, it does not hide); and with a page builder's names read by [`builder_token`].
fn editorial(names: &str) -> std::borrow::Cow<'_, str> {
    let mut out = std::borrow::Cow::Borrowed(names);
    let tokens_to_read = STATE_FLAGS.iter().any(|f| names.contains(f))
        || names.contains("overflow")
        || names.contains(BUILDER)
        || names.contains("promoted");
    if tokens_to_read {
        out = names
            .split(' ')
            .filter_map(editorial_token)
            .collect::<Vec<_>>()
            .join(" ")
            .into();
    }
    if out.contains("commentar") {
        out = out.replace("commentar", " ").into();
    }
    if out.contains("subscriber") {
        out = without_subscriber(&out).into();
    }
    out
}

/// `names` with every word "subscriber" or "subscribers" blanked: the word ends at a
/// separator or the end of the name, so `subscriberect` (a lowercased `subscribeRect` box)
/// keeps its "subscribe".
fn without_subscriber(names: &str) -> String {
    let mut out = names.to_string();
    let mut from = 0;
    while let Some(at) = out[from..].find("subscriber").map(|k| from + k) {
        let mut end = at + "subscriber".len();
        if out.as_bytes().get(end) == Some(&b's') {
            end += 1;
        }
        if matches!(
            out.as_bytes().get(end),
            None | Some(b'-' | b'_' | b' ' | b'#')
        ) {
            out.replace_range(at..end, " ");
            from = at + 1;
        } else {
            from = end;
        }
    }
    out
}

/// One name token as [`editorial`] reads it, `None` when it names nothing: cut at its state
/// flag; gone when it is an `overflow-*` utility class (`overflow-hidden` clips content at
/// the box's edge, it hides nothing) or a state ending in "promoted"; a page builder's token
/// read by [`builder_token`].
fn editorial_token(t: &str) -> Option<&str> {
    let t = &t[..state_flag(t).unwrap_or(t.len())];
    if t.starts_with("overflow") || t.ends_with("promoted") {
        return None;
    }
    builder_token(t)
}

/// Prefix of the names a page builder (Elementor) gives every element it lays out.
const BUILDER: &str = "elementor-";

/// A name token of a page builder as the furniture rules should read it: its generic layout
/// wrappers (`elementor-widget-wrap`, `elementor-widget-container`, `elementor-element-1b3a137`)
/// name nothing and go; a widget's type (`elementor-widget-text-editor`,
/// `elementor-widget-nav-menu`) is what the element is and stays, without the prefix.
fn builder_token(t: &str) -> Option<&str> {
    let Some(rest) = t.strip_prefix(BUILDER) else {
        return Some(t);
    };
    match rest.strip_prefix("widget-") {
        Some("wrap" | "container") | None => None,
        Some(kind) => Some(kind),
    }
}

/// Words that start a state flag in a name.
const STATE_FLAGS: &[&str] = &["has-", "with-", "no-"];

/// Where a state flag starts in a name token: a [`STATE_FLAGS`] word at the start or after a
/// `-` or `_` (`o-section--has-ads` at 11; not the "no-" of `piano-bar`).
fn state_flag(token: &str) -> Option<usize> {
    let b = token.as_bytes();
    STATE_FLAGS
        .iter()
        .flat_map(|f| token.match_indices(f).map(|(at, _)| at))
        .filter(|&at| at == 0 || matches!(b[at - 1], b'-' | b'_' | b'#'))
        .min()
}

/// Name fragments of slideshows and galleries, whose captions can outweigh a short article.
const MEDIA: &[&str] = &["slideshow", "gallery", "carousel"];

/// `names` without the [`MEDIA`] fragments: for an element that holds the page's `<h1>`, a
/// "photogallery" class names the article's layout, not a gallery beside it.
fn without_media(names: &str) -> String {
    let mut out = names.to_string();
    for w in MEDIA {
        out = out.replace(w, " ");
    }
    out
}

/// Class weight of a container, as in readability: +25 for content names, -25 for furniture.
fn class_weight(names: &str) -> f64 {
    if names.is_empty() {
        return 0.0;
    }
    let names = &*editorial(names);
    let mut w = 0.0;
    if has_any(names, STRONG_JUNK) || has_any(names, WEAK_JUNK) || is_ad_name(names) {
        w -= 25.0;
    }
    if has_any(names, CONTENT) {
        w += 25.0;
    }
    w
}

/// Name fragments of dialogs drawn over the page.
const DIALOG: &[&str] = &["popup", "modal", "popover"];

/// Form fields from which an element named for a dialog is a sign-up or log-in box, however
/// much of the page's paragraph text it holds (its terms and conditions).
const DIALOG_FIELDS: u32 = 3;

/// Visible characters under which a `<form>` is a box of controls, not content.
const SHORT_FORM: u32 = 800;

/// Per-node measurements.
struct Stats {
    /// Visible text bytes (whitespace excluded) in the subtree, removed parts excluded.
    len: Vec<u32>,
    /// Of which inside links.
    link: Vec<u32>,
    /// Text bytes of the node's own running text: text children and inline elements.
    own: Vec<u32>,
    /// Commas in the own running text.
    commas: Vec<u32>,
    /// Removed as boilerplate (with its subtree).
    removed: Vec<bool>,
}

fn visible_len(s: &str) -> (u32, u32) {
    let mut n = 0u32;
    let mut commas = 0u32;
    for b in s.bytes() {
        if !b.is_ascii_whitespace() {
            n += 1;
        }
        if b == b',' {
            commas += 1;
        }
    }
    (n, commas)
}

/// How much of the furniture removal a later attempt on a page that gave no text leaves out.
#[derive(Clone, Copy, Default)]
struct Relax {
    /// `<aside>` elements are not dropped by their tag: some templates put the post in one.
    asides: bool,
    /// Elements are not dropped for furniture names, only for discussion ones: feature flags
    /// and layout names on the article's own containers (`enable-pin-share`,
    /// `kb-overflow-hidden`, `elementor-widget-container`) name no furniture.
    names: bool,
    /// Photo captions (`<figcaption>`, short elements named for a caption) stay
    /// ([`Options::captions`], and the retry of a page whose text is mostly captions).
    captions: bool,
    /// Embedded social posts stay ([`Options::captions`]).
    embeds: bool,
    /// The short text of elements named for a video or audio player stays
    /// ([`Options::captions`], and the retry of a page whose text is mostly media).
    players: bool,
}

/// How the html stage extracts a page.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Keep photo captions and credits (`<figcaption>`, short elements named for a caption
    /// or a credit, a figure's short text outside any block), posts
    /// embedded from social networks (tweets, Instagram) and the short text of elements
    /// named for a video or audio player (the clip's title, "Just watched"). Off by
    /// default: they describe media beside the article rather than tell it, and
    /// article-body gold standards leave them out. A page whose text is mostly such media
    /// (a photo gallery, a video page) keeps them either way.
    pub captions: bool,
}

fn measure(dom: &Dom, page: &str, relax: Relax) -> Stats {
    let junk_tag = |t: Tag| {
        (junk_tag(t) && !(relax.asides && t == Tag::Aside))
            || (t == Tag::Figcaption && !relax.captions)
    };
    let n = dom.nodes.len();
    // Pass 1: raw text per subtree, hard junk excluded, to size the class-based removal.
    let mut raw = vec![0u32; n];
    let mut raw_link = vec![0u32; n];
    // Text inside `<p>` elements: where a page keeps its prose.
    let mut para = vec![0u32; n];
    // Whether the subtree holds an `<h1>`.
    let mut h1 = vec![false; n];
    // Form fields (`<input>`, `<select>`, `<textarea>`) in the subtree.
    let mut fields = vec![0u32; n];
    // Whether the subtree holds a paragraph, list, table, quote or code block.
    let mut blocks = vec![false; n];
    for i in (0..n).rev() {
        let node = &dom.nodes[i];
        if node.kind == Kind::Element(Tag::H1) {
            h1[i] = true;
        }
        if matches!(
            node.kind,
            Kind::Element(
                Tag::P | Tag::Ul | Tag::Ol | Tag::Dl | Tag::Table | Tag::Pre | Tag::Blockquote
            )
        ) {
            blocks[i] = true;
        }
        if matches!(
            node.kind,
            Kind::Element(Tag::Input | Tag::Select | Tag::Textarea)
        ) {
            fields[i] += 1;
        }
        if node.parent != NONE {
            h1[node.parent as usize] |= h1[i];
            blocks[node.parent as usize] |= blocks[i];
            fields[node.parent as usize] += fields[i];
        }
        let (v, l, p) = match node.kind {
            Kind::Text(s, e) => (visible_len(&page[s..e]).0, 0, 0),
            Kind::Element(t) if junk_tag(t) || node.hidden => (0, 0, 0),
            Kind::Element(Tag::A) => (raw[i], raw[i], para[i]),
            Kind::Element(Tag::P) => (raw[i], raw_link[i], raw[i] - raw_link[i].min(raw[i])),
            Kind::Element(_) => (raw[i], raw_link[i], para[i]),
        };
        raw[i] = v;
        raw_link[i] = l;
        para[i] = p;
        if node.parent != NONE {
            raw[node.parent as usize] += v;
            raw_link[node.parent as usize] += l;
            para[node.parent as usize] += p;
        }
    }
    let total = raw[0].max(1);
    let total_para = para[0];
    // Pass 2: removal, top down.
    let mut removed = vec![false; n];
    for i in 1..n {
        let node = &dom.nodes[i];
        if removed[node.parent as usize] {
            removed[i] = true;
            continue;
        }
        if let Kind::Element(t) = node.kind {
            if junk_tag(t) || node.hidden {
                removed[i] = true;
                continue;
            }
            if t == Tag::A && !node.names.is_empty() && in_running_text(dom, &raw, i) {
                continue;
            }
            let names = editorial(&node.names);
            let names = if h1[i] && has_any(&names, MEDIA) {
                std::borrow::Cow::Owned(without_media(&names))
            } else {
                names
            };
            let names = &*names;
            // Junk by its tag and size: a short header, and a figure's short text outside its
            // caption and out of any block (a table, a quote, a list), the image's credit
            // ("Warner Bros.", "Getty Images").
            let tag_junk = (t == Tag::Header && raw[i] < 400)
                || (t == Tag::Figure && !relax.captions && raw[i] < CREDIT_MAX && !blocks[i]);
            // A short form in a page is a login, search, newsletter or poll box; a long one
            // holds content (ASP.NET wraps whole pages in one, and an unclosed search form
            // can hold the article).
            let form = t == Tag::Form && raw[i] < SHORT_FORM;
            if names.is_empty() && !tag_junk && !form {
                continue;
            }
            let (class, id) = names.split_once('#').unwrap_or((names, ""));
            let long_prose = raw[i] >= 1000 && (raw_link[i] as f64) < 0.3 * raw[i] as f64;
            // A content name in the class or the id overrides weak furniture in either
            // (`class="single-article-content" id="nav-single"`).
            let content = || has_any(names, CONTENT);
            // An ad name on a long run of prose that also carries a content name is the
            // layout beside an ad column (`ad-sidebar--wrapper article--single`).
            let furniture = |part: &str| {
                has_any(part, STRONG_JUNK)
                    || author_box(part)
                    || has_token(part, JUNK_TOKENS)
                    || (is_ad_name(part) && !(long_prose && content()))
                    || (has_any(part, WEAK_JUNK) && !content())
            };
            let discussion = has_any(names, DISCUSSION);
            if relax.names && !discussion && !tag_junk && !form {
                continue;
            }
            let junk_name = !names.is_empty()
                && (discussion
                    || furniture(class)
                    || (!long_prose && furniture(id))
                    || (raw[i] < 200 && has_token(names, BYLINE))
                    || (!relax.captions && raw[i] < CAPTION_MAX && has_any(names, CAPTION_NAMES))
                    || (!relax.embeds && has_any(names, EMBEDS))
                    || (!relax.players && !h1[i] && raw[i] < PLAYER_MAX && player_name(class)));
            if !junk_name && !tag_junk && !form {
                continue;
            }
            // Slideshows and galleries too: their captions can outweigh a short article.
            let media = has_any(names, MEDIA);
            // An element holding nearly all the page's text is the page: its names say how
            // the page is built (`has-comments`), not what the element is.
            // So is one holding most of the page's paragraph text (`render-target-modal`
            // around an article), unless it is named for discussion or a slideshow and not
            // for content: a long comment thread or a captioned gallery next to a short post
            // holds most of the paragraphs too. And a dialog with a form (a sign-up box
            // whose terms and conditions outweigh the article) is no page either.
            let big = (raw[i] as f64 > 0.4 * total as f64 && total - raw[i] < 1500)
                || ((!(discussion || media) || content())
                    && !(fields[i] >= DIALOG_FIELDS && has_any(names, DIALOG))
                    && total_para >= 500
                    && para[i] as f64 > 0.6 * total_para as f64);
            removed[i] = !big;
        }
    }
    // Pass 3: text, links and own running text with removal applied.
    let mut len = vec![0u32; n];
    let mut link = vec![0u32; n];
    let mut own = vec![0u32; n];
    let mut commas = vec![0u32; n];
    for i in (0..n).rev() {
        if removed[i] {
            continue;
        }
        let node = &dom.nodes[i];
        let p = node.parent;
        match node.kind {
            Kind::Text(s, e) => {
                let (l, c) = visible_len(&page[s..e]);
                len[i] = l;
                if p != NONE {
                    len[p as usize] += l;
                    own[p as usize] += l;
                    commas[p as usize] += c;
                }
            }
            Kind::Element(t) => {
                if t == Tag::A {
                    link[i] = len[i];
                }
                if p != NONE {
                    len[p as usize] += len[i];
                    link[p as usize] += link[i];
                    if !t.is_block() {
                        own[p as usize] += own[i];
                        commas[p as usize] += commas[i];
                    }
                }
            }
        }
    }
    Stats {
        len,
        link,
        own,
        commas,
        removed,
    }
}

fn density(st: &Stats, i: usize) -> f64 {
    if st.len[i] == 0 {
        0.0
    } else {
        st.link[i] as f64 / st.len[i] as f64
    }
}

fn tag_bonus(t: Tag) -> f64 {
    match t {
        Tag::Div | Tag::Article | Tag::Main | Tag::Section => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        t if t.is_heading() || t == Tag::Th => -5.0,
        _ => 0.0,
    }
}

/// What extraction found: the text and whether the page looked like an article.
#[derive(Debug, Default)]
pub struct Extracted {
    /// The main text, blocks separated by newlines.
    pub text: String,
    /// True when a content container was found (false: the whole body was rendered).
    pub article: bool,
    /// How the page's own statement of its text changed the result.
    pub claim: ClaimUse,
    /// Keys ([`super::line_key`]) of the lines written from data-table rows and preformatted
    /// text: figures and code rather than prose. Sorted, without repeats; filled by
    /// [`extract`].
    pub data_lines: Vec<u64>,
}

/// What the page's JSON-LD `articleBody` did to an extraction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClaimUse {
    /// Nothing: no such statement, or the extraction already held it.
    #[default]
    Unused,
    /// The element holding the stated text was extracted instead of the scorer's choice.
    Holder,
    /// No element of the page gives the stated text (scripts render or unhide it) and the
    /// extraction was meagre: the statement is the text.
    Text,
}

/// Extracts the main text of a parsed page. A heading that repeats `title` (the page's
/// headline) is left out: it is metadata, not body text. `title` may hold more lines: the
/// other headlines the page states (`og:title`, JSON-LD `headline`), and a heading of three
/// or more words equal to one of them is left out too.
///
/// When nothing is left and the page has `<aside>` elements, they are kept in a second
/// attempt: a page with its post in an `<aside>` gives its text rather than nothing. When
/// that leaves nothing either, a last attempt ignores furniture names (not discussion ones):
/// a class on the article's own container (`enable-pin-share`, `is-paywall`) named it
/// furniture.
///
/// A page that states its article text (JSON-LD `articleBody`, [`Claimed`]) has the result
/// checked against it: when the extracted text holds under half of the claimed text's word
/// pairs and one element of the page holds most of them, that element is extracted instead,
/// if that covers the claim much better and is not much longer than it; when no element
/// gives the claimed text and the extraction is meagre, the claimed text is the result.
/// Last, lines that only repeat the lines after them go (`near_copies`), and so does a closing
/// run of short lines asking the reader to subscribe or sign up.
pub fn extract(dom: &Dom, page: &str, title: Option<&str>, claimed: Option<&Claimed>) -> Extracted {
    extract_opts(dom, page, title, claimed, Options::default())
}

/// [`extract`] with the stage's [`Options`].
pub fn extract_opts(
    dom: &Dom,
    page: &str,
    title: Option<&str>,
    claimed: Option<&Claimed>,
    opts: Options,
) -> Extracted {
    let base = Relax {
        captions: opts.captions,
        embeds: opts.captions,
        players: opts.captions,
        ..Relax::default()
    };
    let ex = extract_plain(dom, page, title, base);
    let mut ex = match claimed {
        Some(claim) => check_claim(dom, page, title, claim, ex, base),
        None => ex,
    };
    (ex.text, ex.data_lines) = final_text(&ex.text);
    ex
}

/// The extracted text holds at least this share of the claimed word pairs: it stands.
const CLAIM_KEEP: f64 = 0.5;
/// The page shows at least this share of the claimed word pairs, or the claim is not about
/// what the page shows (another article, a body rendered by scripts).
const CLAIM_ON_PAGE: f64 = 0.5;
/// A claim no element of the page gives replaces an extraction covering less than this of
/// it (and under half its length).
const CLAIM_SCRIPTED: f64 = 0.3;
/// The element taken instead holds at least this share of the claimed word pairs found.
const CLAIM_HOLDER: f64 = 0.8;
/// ... and its text covers at least this much more of the claim than the first result.
const CLAIM_GAIN: f64 = 0.2;

fn check_claim(
    dom: &Dom,
    page: &str,
    title: Option<&str>,
    claim: &Claimed,
    ex: Extracted,
    base: Relax,
) -> Extracted {
    let cov = claim.coverage(&ex.text);
    if cov >= CLAIM_KEEP {
        return ex;
    }
    // Little text that is not the claim either: when no element of the page gives the
    // claimed text (a body rendered by scripts from data in the page, or hidden until they
    // run), the claimed text is the article a browser shows.
    let chars = visible_chars(&ex.text);
    let meagre = cov < CLAIM_SCRIPTED && chars * 2 < claim.chars;
    let stated = || Extracted {
        text: finish(claim.text.clone()),
        article: true,
        claim: ClaimUse::Text,
        data_lines: Vec::new(),
    };
    let (hits, distinct) = claim.hits(dom, page);
    if (distinct as f64) < CLAIM_ON_PAGE * claim.distinct_pairs() as f64 {
        return if meagre { stated() } else { ex };
    }
    let holder = claim.holder(dom, &hits, CLAIM_HOLDER);
    if holder != 0 {
        // Captions and subheadings make the page's text somewhat longer than the claim; a
        // holder far longer is a whole column of teasers or the page.
        let limit = 2 * claim.chars + 300;
        let relaxed = Relax {
            asides: true,
            names: true,
            ..base
        };
        for relax in [base, relaxed] {
            let cand = extract_with(dom, page, title, relax, holder);
            let chars = visible_chars(&cand.text);
            if claim.coverage(&cand.text) >= cov + CLAIM_GAIN && chars <= limit {
                return Extracted {
                    claim: ClaimUse::Holder,
                    data_lines: Vec::new(),
                    ..cand
                };
            }
        }
    }
    if meagre {
        stated()
    } else {
        ex
    }
}

/// Visible characters under which an extraction without captions and player text is tried
/// again with them: a photo gallery's text is its captions, a video page's its player's.
const SHORT_WITHOUT_CAPTIONS: usize = 1000;

fn extract_plain(dom: &Dom, page: &str, title: Option<&str>, base: Relax) -> Extracted {
    let ex = extract_relaxed(dom, page, title, base);
    if base.captions || visible_chars(&ex.text) >= SHORT_WITHOUT_CAPTIONS || !has_captions(dom) {
        return ex;
    }
    let with = extract_relaxed(
        dom,
        page,
        title,
        Relax {
            captions: true,
            players: true,
            ..base
        },
    );
    if visible_chars(&with.text) > 2 * visible_chars(&ex.text) {
        with
    } else {
        ex
    }
}

/// Whether the page has an element the caption or player rules remove.
fn has_captions(dom: &Dom) -> bool {
    dom.nodes.iter().any(|n| {
        matches!(n.kind, Kind::Element(Tag::Figcaption))
            || n.names.contains("caption")
            || player_name(&n.names)
    })
}

/// The first attempt, then, on a page that gave no text, attempts that remove less.
fn extract_relaxed(dom: &Dom, page: &str, title: Option<&str>, base: Relax) -> Extracted {
    let ex = extract_with(dom, page, title, base, NONE);
    if !ex.text.is_empty() {
        return ex;
    }
    let has_aside = dom
        .nodes
        .iter()
        .any(|n| matches!(n.kind, Kind::Element(Tag::Aside)));
    if has_aside {
        let relax = Relax {
            asides: true,
            ..base
        };
        let ex = extract_with(dom, page, title, relax, NONE);
        if !ex.text.is_empty() {
            return ex;
        }
    }
    let relax = Relax {
        names: true,
        ..base
    };
    extract_with(dom, page, title, relax, NONE)
}

/// One extraction attempt; `forced` (unless `NONE`) is the winning container, chosen by the
/// caller, instead of the best-scoring one.
fn extract_with(
    dom: &Dom,
    page: &str,
    title: Option<&str>,
    relax: Relax,
    forced: u32,
) -> Extracted {
    let st = measure(dom, page, relax);
    // The first line is the page title; the others are the other headlines the page states.
    let mut lines = title.unwrap_or_default().lines().map(words);
    let title = lines.next().unwrap_or_default();
    let others = lines.filter(|w| w.split(' ').count() >= 3).collect();
    let mut r = Render {
        dom,
        page,
        st: &st,
        title,
        others,
        before: None,
    };
    let n = dom.nodes.len();
    let mut score = vec![0f64; n];
    let mut scored = vec![false; n];
    for i in 1..n {
        if st.removed[i] || st.own[i] < 25 {
            continue;
        }
        let Some(t) = dom.tag(i as u32) else { continue };
        if !t.is_block() || t.is_heading() {
            continue;
        }
        let own_ld = density(&st, i);
        let chars = st.own[i] as f64;
        let s = (1.0 + st.commas[i] as f64 + (chars / 100.0).floor().min(3.0)) * (1.0 - own_ld);
        let mut a = dom.nodes[i].parent;
        // Running text directly inside a container counts for the container itself.
        let mut level = if matches!(t, Tag::P | Tag::Pre | Tag::Li | Tag::Dd | Tag::Td) {
            0
        } else {
            a = i as u32;
            0
        };
        while a != NONE && a != 0 && level < 4 {
            let ai = a as usize;
            if !scored[ai] {
                scored[ai] = true;
                let names = &*dom.nodes[ai].names;
                score[ai] += tag_bonus(dom.tag(a).unwrap_or(Tag::Other)) + class_weight(names);
            }
            score[ai] += match level {
                0 => s,
                1 => s / 2.0,
                l => s / (l as f64 * 3.0),
            };
            a = dom.nodes[ai].parent;
            level += 1;
        }
    }
    let mut best = NONE;
    let mut best_score = 0.0;
    let mut finals: Vec<(f64, u32)> = Vec::new();
    for i in 1..n {
        if !scored[i] {
            continue;
        }
        let s = score[i] * (1.0 - density(&st, i));
        score[i] = s;
        finals.push((s, i as u32));
        if s > best_score {
            best_score = s;
            best = i as u32;
        }
    }
    if forced != NONE {
        best = forced;
        best_score = score[forced as usize];
    }
    // The winner it replaces must not come back as a sibling of the new one.
    let mut displaced = NONE;
    if best != NONE && forced == NONE {
        if let Some((c, s)) = headline_candidate(dom, page, &st, &r.title, best, &finals) {
            // A block by the headline holding a tenth of the winner's text or less is its
            // standfirst and photo, not an article the winner stands beside; nor is a winner
            // the page marks as its article body (`itemprop="articleBody"`) replaced.
            let long_enough = st.len[c as usize] * 10 >= st.len[best as usize];
            if s >= HEADLINE_SHARE * best_score && long_enough && !marked_body(dom, best) {
                displaced = best;
                best = c;
                best_score = s;
            }
        }
    }
    let mut out = String::new();
    let article = best != NONE;
    if best == NONE {
        r.render(0, &mut out);
        return Extracted {
            text: finish(out),
            article,
            claim: ClaimUse::Unused,
            data_lines: Vec::new(),
        };
    }
    // An ancestor holding several strong alternatives is the real container (not after the
    // headline rule: the alternatives are then the winner it displaced).
    finals.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let alts: Vec<u32> = finals
        .iter()
        .skip(1)
        .take(5)
        .filter(|(s, _)| *s >= 0.75 * best_score)
        .map(|(_, i)| *i)
        .collect();
    if alts.len() >= 2 && displaced == NONE && forced == NONE {
        let mut a = dom.nodes[best as usize].parent;
        while a != NONE && a != 0 {
            let holds = alts.iter().filter(|&&c| is_ancestor(dom, a, c)).count();
            if holds >= 2 {
                best = a;
                break;
            }
            a = dom.nodes[a as usize].parent;
        }
    }
    // A parent whose text is almost all the winner's is the same container, one level up:
    // climbing lets the sibling pass see the article's real neighbours.
    loop {
        let p = dom.nodes[best as usize].parent;
        if p == NONE || p == 0 {
            break;
        }
        if st.len[best as usize] as f64 >= 0.85 * st.len[p as usize] as f64 {
            best = p;
        } else {
            break;
        }
    }
    let best_s = score[best as usize].max(best_score);
    let threshold = (best_s * 0.2).max(10.0);
    // Siblings of the winner's class are more of it (a page builder's blocks, each with an id
    // of its own).
    let class_of = |n: u32| {
        let names = &*dom.nodes[n as usize].names;
        names.split_once('#').map_or(names, |(c, _)| c).trim_end()
    };
    let best_names = class_of(best);
    let parent = dom.nodes[best as usize].parent;
    let mut parts = Vec::new();
    // A forced container is the element holding the page's own statement of its text: its
    // neighbours are what the statement leaves out.
    if parent != NONE && forced == NONE {
        for c in dom.children(parent) {
            let ci = c as usize;
            if st.removed[ci] {
                continue;
            }
            if c == best {
                parts.push(c);
                continue;
            }
            if displaced != NONE && is_ancestor(dom, c, displaced) {
                continue;
            }
            let mut s = if scored[ci] { score[ci] } else { 0.0 };
            if !best_names.is_empty() && class_of(c) == best_names {
                s += best_s * 0.2;
            }
            let ld = density(&st, ci);
            let take = s >= threshold
                || (dom.tag(c) == Some(Tag::P) && st.len[ci] > 80 && ld < 0.25)
                || (dom.tag(c) == Some(Tag::P)
                    && st.len[ci] > 0
                    && ld == 0.0
                    && ends_sentence(dom, page, c));
            if take {
                parts.push(c);
            }
        }
    } else {
        parts.push(best);
    }
    for p in parts {
        r.render(p, &mut out);
        out.push('\n');
    }
    let mut text = finish(out);
    let body_len = st.len[0] as usize;
    if forced == NONE && text.len() < 200 && body_len > 2 * text.len() {
        let mut all = String::new();
        r.render(0, &mut all);
        text = finish(all);
        return Extracted {
            text,
            article: false,
            claim: ClaimUse::Unused,
            data_lines: Vec::new(),
        };
    }
    Extracted {
        text,
        article,
        claim: ClaimUse::Unused,
        data_lines: Vec::new(),
    }
}

/// True when `n` or one of its ancestors carries `itemprop="articleBody"` (schema.org
/// microdata: the page's own mark on its article text).
fn marked_body(dom: &Dom, mut n: u32) -> bool {
    while n != NONE {
        if dom
            .attr(n, "itemprop")
            .is_some_and(|v| v.split_ascii_whitespace().any(|p| p == "articleBody"))
        {
            return true;
        }
        n = dom.nodes[n as usize].parent;
    }
    false
}

/// A candidate near the headline replaces a winner elsewhere on the page when it scores at
/// least this share of the winner.
const HEADLINE_SHARE: f64 = 0.2;

/// The page's headline: the first heading without a link, of three or more words, that the
/// page title contains (a heading that only contains the title, "About The Daily News", is
/// site furniture named after it). It may sit in a removed page header.
fn headline(dom: &Dom, page: &str, title: &str) -> Option<u32> {
    if title.is_empty() {
        return None;
    }
    let mut s = String::new();
    (1..dom.nodes.len() as u32).find(|&i| {
        dom.tag(i).is_some_and(Tag::is_heading)
            && heading_text(dom, page, i, 2 * title.len() + 64, &mut s)
            && {
                let h = words(&s);
                h.split(' ').count() >= 3 && title.contains(&h)
            }
    })
}

/// Collects the text of heading `n` into `out`; false when the heading holds a link, or more
/// than `limit` bytes of text or 256 nodes (an unclosed heading that swallowed the page is
/// not a headline, and each heading costs bounded work).
fn heading_text(dom: &Dom, page: &str, n: u32, limit: usize, out: &mut String) -> bool {
    out.clear();
    let mut stack = vec![n];
    let mut seen = 0;
    while let Some(m) = stack.pop() {
        seen += 1;
        if seen > 256 || out.len() > limit {
            return false;
        }
        match dom.nodes[m as usize].kind {
            Kind::Text(s, e) => out.push_str(&page[s..e]),
            Kind::Element(Tag::A) => return false,
            Kind::Element(_) => {
                // Children in reverse, so the text comes out in document order.
                let first = stack.len();
                stack.extend(dom.children(m));
                stack[first..].reverse();
            }
        }
    }
    true
}

/// When the winner lies away from the page's headline (a short article beside a long comment
/// thread, footer or teaser column), the best-scoring candidate with some text in the nearest
/// of the headline's block ancestors (up to the fourth) that holds one: `(node, score)`. None
/// when the winner holds the headline or sits in one of those ancestors first, or when there
/// is no headline.
fn headline_candidate(
    dom: &Dom,
    page: &str,
    st: &Stats,
    title: &str,
    best: u32,
    finals: &[(f64, u32)],
) -> Option<(u32, f64)> {
    let h = headline(dom, page, title)?;
    if is_ancestor(dom, best, h) {
        return None;
    }
    // A winner inside the headline's own `<article>` is that article's body, however deep
    // the template nests it; the lead paragraph beside the headline must not replace it.
    let mut a = dom.nodes[h as usize].parent;
    while a != NONE && a != 0 {
        if dom.tag(a) == Some(Tag::Article) && is_ancestor(dom, a, best) {
            return None;
        }
        a = dom.nodes[a as usize].parent;
    }
    let players = player_text(dom, st);
    let mut a = dom.nodes[h as usize].parent;
    let mut blocks = 0;
    while a != NONE && a != 0 && blocks < 4 {
        if is_ancestor(dom, a, best) {
            return None;
        }
        if dom.tag(a).is_some_and(Tag::is_block) {
            blocks += 1;
            let found = finals
                .iter()
                .filter(|&&(_, c)| {
                    st.len[c as usize] >= 250
                        && density(st, c as usize) < 0.5
                        && is_ancestor(dom, a, c)
                        && !in_player(dom, st, &players, c, a)
                })
                .max_by(|x, y| x.0.total_cmp(&y.0).then(y.1.cmp(&x.1)));
            if let Some(&(s, c)) = found {
                // The element right after the headline's own block is the story that
                // block introduces (a header with the headline, byline and standfirst, then
                // the body in its own container): a winner there, longer than the
                // candidate, stays. A shorter one is a box in the next column; after an
                // outer block, the next element is a column beside the story.
                if blocks == 1
                    && st.len[best as usize] > st.len[c as usize]
                    && next_element(dom, a).is_some_and(|b| is_ancestor(dom, b, best))
                {
                    return None;
                }
                return Some((c, s));
            }
        }
        a = dom.nodes[a as usize].parent;
    }
    None
}

/// The first element after `n` among its siblings, past text between them.
fn next_element(dom: &Dom, n: u32) -> Option<u32> {
    let mut m = dom.nodes[n as usize].next;
    while m != NONE {
        if dom.tag(m).is_some() {
            return Some(m);
        }
        m = dom.nodes[m as usize].next;
    }
    None
}

/// Whether an element is named for a video or audio player.
fn is_player(dom: &Dom, i: u32) -> bool {
    player_name(&dom.nodes[i as usize].names)
}

/// Whether names (a `class` value, or an element's class and id names) name a video or
/// audio player.
fn player_name(names: &str) -> bool {
    names.contains("video") || names.contains("player")
}

/// Visible text inside elements named for a player, per node (counted once, at the
/// outermost player): one bottom-up pass. Empty when the page names no player.
fn player_text(dom: &Dom, st: &Stats) -> Vec<u32> {
    let n = dom.nodes.len();
    let player: Vec<bool> = (0..n as u32).map(|i| is_player(dom, i)).collect();
    if !player.contains(&true) {
        return Vec::new();
    }
    let mut inside = vec![0u32; n];
    for i in (1..n).rev() {
        if player[i] {
            inside[i] = st.len[i];
        }
        let p = dom.nodes[i].parent;
        if p != NONE && !player[p as usize] {
            inside[p as usize] += inside[i];
        }
    }
    inside
}

/// True when `n` or one of its ancestors below `top` is named for a video or audio player,
/// or when players inside `n` hold most of its text (`inside`, from [`player_text`]): the
/// long description a player shows beside the headline is not the article.
fn in_player(dom: &Dom, st: &Stats, inside: &[u32], n: u32, top: u32) -> bool {
    if inside.is_empty() {
        return false;
    }
    let mut a = n;
    while a != NONE && a != top {
        if is_player(dom, a) {
            return true;
        }
        a = dom.nodes[a as usize].parent;
    }
    2 * inside[n as usize] > st.len[n as usize]
}

fn ends_sentence(dom: &Dom, page: &str, n: u32) -> bool {
    let mut s = String::new();
    inline_text(dom, page, n, &mut s);
    let t = s.trim_end();
    t.ends_with('.') || t.ends_with(". ")
}

/// True when `n` is a list, or a wrapper holding only a list (AsciiDoc's `<div
/// class="ulist">`).
fn list_like(dom: &Dom, n: u32, t: Tag) -> bool {
    let list = |t: Option<Tag>| matches!(t, Some(Tag::Ul | Tag::Ol));
    match t {
        Tag::Ul | Tag::Ol => true,
        Tag::Div => {
            let mut kids = dom
                .children(n)
                .filter(|&c| matches!(dom.nodes[c as usize].kind, Kind::Element(_)));
            list(kids.next().and_then(|c| dom.tag(c))) && kids.next().is_none()
        }
        _ => false,
    }
}

/// True when the element before `n` (its previous sibling with text, from `before`) ends
/// with a colon: the text introduces the list `n`.
fn introduced_list(dom: &Dom, page: &str, before: &[u32], n: u32) -> bool {
    let prev = before[n as usize];
    if prev == NONE {
        return false;
    }
    let mut s = String::new();
    inline_text(dom, page, prev, &mut s);
    s.trim_end().ends_with(':')
}

/// For each node, its previous sibling element with only blank text between them (`NONE`
/// for a first child, or when running text comes between): one pass over the page.
fn siblings_before(dom: &Dom, page: &str) -> Vec<u32> {
    let mut before = vec![NONE; dom.nodes.len()];
    for p in 0..dom.nodes.len() {
        if !matches!(dom.nodes[p].kind, Kind::Element(_)) {
            continue;
        }
        let mut last = NONE;
        for c in dom.children(p as u32) {
            before[c as usize] = last;
            match dom.nodes[c as usize].kind {
                Kind::Element(_) => last = c,
                Kind::Text(s, e) if !page[s..e].trim().is_empty() => last = NONE,
                Kind::Text(..) => {}
            }
        }
    }
    before
}

fn inline_text(dom: &Dom, page: &str, n: u32, out: &mut String) {
    for c in dom.children(n) {
        match dom.nodes[c as usize].kind {
            Kind::Text(s, e) => out.push_str(&page[s..e]),
            Kind::Element(_) => inline_text(dom, page, c, out),
        }
    }
}

fn is_ancestor(dom: &Dom, a: u32, mut c: u32) -> bool {
    while c != NONE {
        if c == a {
            return true;
        }
        c = dom.nodes[c as usize].parent;
    }
    false
}

/// Lowercased alphanumeric words joined by single spaces, for comparing headings to titles.
fn words(s: &str) -> String {
    let decoded = super::charref::decode(s);
    let mut out = String::new();
    for w in decoded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(w.chars().flat_map(char::to_lowercase));
    }
    out
}

/// The rendering pass: what it reads, and the headline still to be left out.
struct Render<'a> {
    dom: &'a Dom,
    page: &'a str,
    st: &'a Stats,
    /// The page title's words; emptied once a heading matching it was skipped.
    title: String,
    /// The words of the page's other stated headlines (`og:title`, JSON-LD `headline`, of
    /// three or more words): a heading equal to one is the headline too. Emptied with `title`.
    others: Vec<String>,
    /// Each node's previous sibling element, `NONE` when running text or nothing comes
    /// between ([`siblings_before`]); computed when the first list is met.
    before: Option<Vec<u32>>,
}

impl Render<'_> {
    /// True (once) for a heading that repeats the page title or equals another headline the
    /// page states.
    fn is_headline(&mut self, n: u32) -> bool {
        if self.title.is_empty() && self.others.is_empty() {
            return false;
        }
        let mut s = String::new();
        inline_text(self.dom, self.page, n, &mut s);
        let h = words(&s);
        let same = !h.is_empty()
            && (!self.title.is_empty()
                && (self.title.contains(&h) && h.len() * 2 >= self.title.len()
                    || h.contains(&self.title))
                || self.others.contains(&h));
        if same {
            self.title.clear();
            self.others.clear();
        }
        same
    }

    /// A table cell of a data table: short, and only text and inline elements inside. The
    /// cells of a row are written on one line, separated by spaces (a row of figures is one
    /// line, not a column of one-word lines); a layout cell holding paragraphs, line breaks
    /// or long running text stays a block of its own.
    fn data_cell(&self, i: u32, t: Tag) -> bool {
        if !matches!(t, Tag::Td | Tag::Th) || self.st.len[i as usize] >= 200 {
            return false;
        }
        let mut stack: Vec<u32> = self.dom.children(i).collect();
        while let Some(c) = stack.pop() {
            if let Some(ct) = self.dom.tag(c) {
                if ct.is_block() {
                    return false;
                }
                stack.extend(self.dom.children(c));
            }
        }
        true
    }

    /// A row of a data table: two or more data cells ([`Self::data_cell`]), written as one
    /// line of figures or names. (A row of one cell is a layout table's line: a menu entry,
    /// a caption.)
    fn data_row(&self, i: u32) -> bool {
        let mut cells = 0;
        for c in self.dom.children(i) {
            if let Some(t) = self.dom.tag(c) {
                if self.data_cell(c, t) {
                    cells += 1;
                }
            }
        }
        cells >= 2
    }

    /// Writes the text of `n`'s subtree: blocks on new lines, link-heavy blocks left out.
    fn render(&mut self, n: u32, out: &mut String) {
        let (dom, page, st) = (self.dom, self.page, self.st);
        // Iterative walk: (node, entering) pairs, so deep pages cannot overflow the stack.
        let mut stack: Vec<(u32, bool)> = vec![(n, true)];
        // Open `<pre>` elements: their text keeps its line breaks.
        let mut pre = 0usize;
        // Open lists the text introduces.
        let mut introduced: Vec<u32> = Vec::new();
        while let Some((i, enter)) = stack.pop() {
            let iu = i as usize;
            if st.removed[iu] {
                continue;
            }
            match dom.nodes[iu].kind {
                Kind::Text(s, e) => {
                    if enter && pre > 0 {
                        for (k, line) in page[s..e].split('\n').enumerate() {
                            if k > 0 {
                                out.push('\n');
                            }
                            if out.is_empty() || out.ends_with('\n') {
                                out.push(PRE_LINE);
                            }
                            push_text(out, line);
                        }
                    } else if enter {
                        push_text(out, &page[s..e]);
                    }
                }
                Kind::Element(t) => {
                    if !enter && t == Tag::Pre {
                        pre = pre.saturating_sub(1);
                    }
                    if !enter && introduced.last() == Some(&i) {
                        introduced.pop();
                    }
                    if !enter {
                        if t.is_block() && !self.data_cell(i, t) {
                            out.push('\n');
                        } else if t.is_block() && !out.ends_with([' ', '\n']) {
                            out.push(' ');
                        }
                        continue;
                    }
                    if t == Tag::Br {
                        out.push('\n');
                        continue;
                    }
                    let cell = self.data_cell(i, t);
                    // A list the text introduces ("Many patches were sent for review:") is
                    // part of it however many links it holds, and so is all inside it.
                    let opens_list = introduced.is_empty() && list_like(dom, i, t) && {
                        let before = self
                            .before
                            .get_or_insert_with(|| siblings_before(dom, page));
                        introduced_list(dom, page, before, i)
                    };
                    if opens_list {
                        introduced.push(i);
                    } else if t.is_block()
                        && i != n
                        && !cell
                        && introduced.is_empty()
                        && skip_block(dom, page, st, i, t)
                    {
                        continue;
                    }
                    if matches!(t, Tag::H1 | Tag::H2) && self.is_headline(i) {
                        continue;
                    }
                    if t.is_block() && !cell {
                        out.push('\n');
                    } else if t.is_block() && !out.ends_with([' ', '\n']) && !out.is_empty() {
                        out.push(' ');
                    }
                    if t == Tag::Tr && self.data_row(i) {
                        out.push(ROW_LINE);
                    }
                    if t == Tag::Pre {
                        pre += 1;
                    }
                    stack.push((i, false));
                    let first = stack.len();
                    for c in dom.children(i) {
                        stack.push((c, true));
                    }
                    stack[first..].reverse();
                }
            }
        }
    }
}

/// Blocks inside the content that are navigation rather than text: mostly link text, and
/// for containers little else (a section with linked photo captions around its paragraphs
/// stays).
/// A list whose items are linked sentences (a digest of announcements) is text, not a link
/// list: items and lists that end sentences stay.
fn skip_block(dom: &Dom, page: &str, st: &Stats, i: u32, t: Tag) -> bool {
    let iu = i as usize;
    let len = st.len[iu];
    if len == 0 {
        return false;
    }
    let ld = density(st, iu);
    let linky = ld > 0.5 && len - st.link[iu] < 200;
    match t {
        Tag::P | Tag::Pre | Tag::Blockquote | Tag::Td | Tag::Th => ld > 0.7 && len < 400,
        // A row of a data table with a linked name in it is data: link tables are judged as
        // a whole (the `<table>`).
        _ if t.is_heading() || t == Tag::Tr => false,
        Tag::Ul | Tag::Ol if linky => {
            let (mut items, mut sentences) = (0, 0);
            for c in dom.children(i) {
                if dom.tag(c) == Some(Tag::Li) {
                    items += 1;
                    sentences += usize::from(ends_sentence(dom, page, c));
                }
            }
            items == 0 || sentences * 2 < items
        }
        Tag::Li => linky && !ends_sentence(dom, page, i),
        _ => linky,
    }
}

/// Appends text with entities decoded and whitespace runs collapsed to one space.
fn push_text(out: &mut String, raw: &str) {
    let decoded;
    let s = if raw.contains('&') {
        decoded = super::charref::decode(raw);
        &*decoded
    } else {
        raw
    };
    for (k, word) in s.split(|c: char| c.is_whitespace()).enumerate() {
        if word.is_empty() {
            if k == 0 && !out.ends_with([' ', '\n']) && !out.is_empty() {
                out.push(' ');
            }
            continue;
        }
        if k > 0 && !out.ends_with([' ', '\n']) && !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if s.ends_with(char::is_whitespace) && !out.ends_with([' ', '\n']) && !out.is_empty() {
        out.push(' ');
    }
}

/// Lines at least this long are written once: a second copy is a duplicate block (a teaser
/// repeated for another audience, a mobile and a desktop copy), not more text.
const DEDUPE_LINE: usize = 50;

/// Whole lines that are page controls or ad labels, never article text (compared lowercased,
/// without trailing `:`, `»`, `.` and spaces).
const UI_LINES: &[&str] = &[
    "advertisement",
    "ads by google",
    "sponsored links",
    "report this comment",
    "post a comment",
    "leave a comment",
    "have your say",
    "comments",
    "share",
    "share this",
    "share this article",
    "share this article on",
    "share this story",
    "share this post",
    "share this page",
    "share on",
    "follow me",
    "follow us",
    "follow us on",
    "print",
    "email",
    "print email",
    "email article",
    "print article",
    "text size",
    "search",
    "loading",
    "working",
    "play video",
    "jump to",
    "read more",
    "skip to content",
    "you are here",
    "table of contents",
    "search this blog",
    "trackback url for this entry",
    "discussion about this post",
    "ready for more?",
    "scroll down for video",
    "was this article helpful?",
    "was this helpful?",
];

/// A post's reading time, alone or with its date and byline ("3 Min Read", "March 15,
/// 2022 · 3 min read · By ASU Online", "10-min read"): metadata, not a sentence of the post.
fn is_read_time_line(t: &str) -> bool {
    if t.len() > 80 || t.ends_with('.') {
        return false;
    }
    let lower = t.to_ascii_lowercase();
    if lower == "min read" {
        return true;
    }
    ["min read", "mins read", "minute read", "min. read"]
        .iter()
        .any(|unit| {
            lower.match_indices(unit).any(|(i, _)| {
                lower[..i]
                    .trim_end_matches([' ', '-'])
                    .ends_with(|c: char| c.is_ascii_digit())
            })
        })
}

/// A breadcrumb trail written as text: "Home > News > World", "HOME / RADIO", "Home »";
/// not a sentence ("Home / away: the team lost both.").
fn is_breadcrumb_line(t: &str) -> bool {
    t.len() <= 200
        && !t.ends_with(['.', '!', '?'])
        && t.get(..4).is_some_and(|w| w.eq_ignore_ascii_case("home"))
        && t[4..]
            .trim_start()
            .starts_with(['>', '\u{bb}', '\u{203a}', '/', '|'])
}

fn is_ui_line(t: &str) -> bool {
    // Accessibility skip links, alone or in a row: "Skip to main | Skip to sidebar" (a link
    // label of up to four words, not a sentence that starts so).
    if t.len() <= 80 {
        let skip = |p: &str| {
            let p = p.trim().to_lowercase();
            (p.starts_with("skip to ") || p.starts_with("jump to "))
                && p.split_whitespace().count() <= 4
        };
        if t.split('|').all(skip) {
            return true;
        }
    }
    if is_read_time_line(t) || is_breadcrumb_line(t) {
        return true;
    }
    // Disqus' link under its thread, or its notice without scripts.
    if t.len() <= 80 && {
        let k = t.trim_end_matches('.').to_lowercase();
        k.ends_with("comments powered by disqus")
    } {
        return true;
    }
    if t.len() > 32 {
        return false;
    }
    let k = t
        .trim_end_matches([':', '\u{bb}', '.', '!', ' ', '\u{2026}'])
        .to_lowercase();
    UI_LINES.contains(&k.as_str())
}

/// Starts a line of preformatted text in the rendered string (removed by [`final_text`]).
const PRE_LINE: char = '\0';
/// Starts a line written from the cells of a data-table row (removed by [`final_text`]).
const ROW_LINE: char = '\u{1}';

/// How a rendered line was written: as running text, from preformatted text or from a
/// data-table row.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mark {
    Text,
    Pre,
    Row,
}

impl Mark {
    /// Splits a line's mark from its text.
    fn of(line: &str) -> (&str, Mark) {
        if let Some(rest) = line.strip_prefix(PRE_LINE) {
            (rest, Mark::Pre)
        } else if let Some(rest) = line.strip_prefix(ROW_LINE) {
            (rest, Mark::Row)
        } else {
            (line, Mark::Text)
        }
    }

    fn char(self) -> Option<char> {
        match self {
            Mark::Text => None,
            Mark::Pre => Some(PRE_LINE),
            Mark::Row => Some(ROW_LINE),
        }
    }
}

/// Trims each line, drops empty lines, control labels, repeats of long lines and a line that
/// repeats the one just written ("Loading..." placeholders in a row, in any language); not in
/// preformatted text, where code repeats lines on purpose.
fn finish(s: String) -> String {
    let mut out = String::with_capacity(s.len());
    let mut seen = std::collections::HashSet::new();
    let mut last = 0..0;
    for line in s.lines() {
        let (line, mark) = Mark::of(line);
        let pre = mark == Mark::Pre;
        let t = line.trim_matches(|c: char| c.is_whitespace() || c == PRE_LINE || c == ROW_LINE);
        if t.is_empty() {
            continue;
        }
        if !pre && out.get(last.clone()) == Some(t) {
            continue;
        }
        if !pre
            && (t.len() >= DEDUPE_LINE && !seen.insert(xxhash_rust::xxh3::xxh3_64(t.as_bytes()))
                || is_ui_line(t)
                || is_url_line(t)
                || is_copyright_line(t)
                || is_disclosure_line(t)
                || is_placeholder_line(t))
        {
            // The lines on either side of a dropped one are not in a row.
            last = 0..0;
            continue;
        }
        if !pre && is_drop_cap(&out[last.clone()]) && t.starts_with(char::is_lowercase) {
            // A drop cap styled apart from its paragraph ("<span>T</span><p>urkey, ...").
            out.push_str(t);
            last = last.start..out.len();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        if let Some(c) = mark.char() {
            out.push(c);
        }
        last = out.len()..out.len() + t.len();
        out.push_str(t);
    }
    out
}

/// A line that is one capital letter, after an opening quote or not: the first letter of a
/// paragraph set as a drop cap.
fn is_drop_cap(line: &str) -> bool {
    let mut cs = line
        .trim_start_matches(['"', '\'', '\u{201c}', '\u{2018}', '\u{ab}'])
        .chars();
    cs.next().is_some_and(char::is_uppercase) && cs.next().is_none()
}

/// The final text: near copies ([`near_copies`]) out and the marks of preformatted lines and
/// table rows removed; with the keys of the lines that had those marks, sorted.
fn final_text(text: &str) -> (String, Vec<u64>) {
    let marked: Vec<(&str, Mark)> = text.lines().map(Mark::of).collect();
    let lines: Vec<(&str, bool)> = marked.iter().map(|&(t, m)| (t, m == Mark::Pre)).collect();
    let mut keep = near_copies(&lines);
    // A sign-up box after the article ("Subscribe to our newsletter", "Get the latest posts
    // in your inbox"): the closing run of short lines asking for an address goes.
    for (k, &(t, pre)) in lines.iter().enumerate().rev() {
        if !keep[k] {
            continue;
        }
        if pre || !is_signup_line(t) {
            break;
        }
        keep[k] = false;
    }
    teaser_tail(&marked, &mut keep);
    let mut out = String::with_capacity(text.len());
    let mut data = Vec::new();
    for (&(t, mark), keep) in marked.iter().zip(keep) {
        if keep {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(t);
            if mark != Mark::Text {
                data.extend(super::line_key(t));
            }
        }
    }
    data.sort_unstable();
    data.dedup();
    (out, data)
}

/// Openings of the headings over the teasers and tag lists a site sets under its articles
/// ("Related Articles", "More from The Globe and Mail", "You may also like", "Recent posts",
/// "Tags"), compared lowercased, as whole words.
const TEASER_HEADINGS: &[&str] = &[
    "related",
    "more from",
    "more in",
    "more on",
    "more stories",
    "more news",
    "more articles",
    "more posts",
    "also in",
    "also on",
    "also read",
    "latest from",
    "latest stories",
    "latest news",
    "latest articles",
    "latest posts",
    "our latest",
    "recent posts",
    "recent stories",
    "recent articles",
    "featured posts",
    "featured stories",
    "featured articles",
    "you may also",
    "you might also",
    "you may like",
    "you might like",
    "you may be interested",
    "you might be interested",
    "if you liked this",
    "if you enjoyed this",
    "we recommend",
    "recommended for you",
    "recommended reading",
    "recommended stories",
    "recommended articles",
    "recommended posts",
    "recommended videos",
    "read next",
    "up next",
    "what to read next",
    "next article",
    "previous article",
    "next post",
    "previous post",
    "most popular",
    "most read",
    "most viewed",
    "trending",
    "popular stories",
    "popular posts",
    "popular articles",
    "see also",
    "more about",
    "tags",
    "topics",
    "filed under",
    "explore more",
    "don't miss",
    "top stories",
    "editor's picks",
];

/// Words from which a line is a sentence or a title, not a teaser heading.
const TEASER_HEADING_WORDS: usize = 7;

/// Whether a line is a teaser heading: a few words opening with one of
/// [`TEASER_HEADINGS`].
fn is_teaser_heading(t: &str) -> bool {
    if t.len() > 80 {
        return false;
    }
    let k = t
        .trim_end_matches([':', '\u{bb}', '\u{203a}', '.', '!', ' ', '\u{2026}'])
        .to_lowercase()
        .replace('\u{2019}', "'");
    if k.split_whitespace().count() > TEASER_HEADING_WORDS || k.contains(['.', '?', '!']) {
        return false;
    }
    // "Recommended" alone; "Recommended approach" heads a table column.
    k == "recommended"
        || TEASER_HEADINGS.iter().any(|h| {
            k.strip_prefix(h)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', ':']))
        })
}

/// Characters from which a line that ends a sentence is prose, not a teaser's blurb.
const TEASER_BLURB_MAX: usize = 250;

/// Teasers after the article: a teaser heading in the last third of the text and the run
/// of teasers under it, up to the next paragraph of prose (a "See also" box set inside the
/// article's last paragraphs) or table row. Kept when the run is not titles (fewer than a
/// third of its lines end without a sentence's punctuation): a section of the article that
/// happens to be called "Related".
///
/// Linear in the lines: where each run ends, and how many titles it holds, are counted once
/// (a cut only removes lines before the end of its run, so later runs read the same).
fn teaser_tail(lines: &[(&str, Mark)], keep: &mut [bool]) {
    // Ends a sentence, a quote or a bracket, or introduces what follows: not a title. (The
    // line rules' `ends_terminal` asks for a stop before a closing quote or bracket; with it,
    // one page of the 2025 set went from 1.000 to 0.951 and two others up by 0.006-0.026.)
    let closes = |l: &str| l.ends_with(['.', '!', '?', '"', '\u{201d}', '\'', ')', ':']);
    let n = lines.len();
    // `stop[j]`: the first kept line from `j` on that ends a run (preformatted text and table
    // rows are data, not teasers; a long line ending a sentence is prose), else `n`.
    let mut stop = vec![n; n + 1];
    // Kept lines, and kept title lines, before each index.
    let mut kept = vec![0usize; n + 1];
    let mut titles = vec![0usize; n + 1];
    for (j, &(l, mark)) in lines.iter().enumerate().rev() {
        let l = l.trim();
        let ends_run = mark != Mark::Text || (l.len() >= TEASER_BLURB_MAX && closes(l));
        stop[j] = if keep[j] && ends_run { j } else { stop[j + 1] };
    }
    for (j, &(l, _)) in lines.iter().enumerate() {
        kept[j + 1] = kept[j] + usize::from(keep[j]);
        titles[j + 1] = titles[j] + usize::from(keep[j] && !closes(l.trim()));
    }
    let total: usize = lines
        .iter()
        .zip(&*keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| l.0.len())
        .sum();
    let mut before = 0usize;
    for (k, &(t, mark)) in lines.iter().enumerate() {
        if !keep[k] {
            continue;
        }
        let after = total - before - t.len();
        if mark != Mark::Pre && before >= 500 && before >= 2 * after && is_teaser_heading(t.trim())
        {
            let end = stop[k + 1];
            let run = kept[end] - kept[k + 1];
            if (titles[end] - titles[k + 1]) * 3 >= run {
                for j in k..end {
                    if keep[j] {
                        keep[j] = false;
                        before += lines[j].0.len();
                    }
                }
                continue;
            }
        }
        before += t.len();
    }
}

/// A short line asking the reader to subscribe or sign up (for a newsletter, alerts or
/// updates).
fn is_signup_line(t: &str) -> bool {
    if t.len() > 200 {
        return false;
    }
    let l = t.to_lowercase();
    SIGNUP.iter().any(|w| l.contains(w))
}

/// Words of a sign-up box.
const SIGNUP: &[&str] = &[
    "subscribe",
    "newsletter",
    "sign up",
    "signup",
    "inbox",
    "e-mail alerts",
    "email alerts",
];

/// A line of a theme's placeholder text ("Lorem ipsum dolor sit amet", left in a widget): on
/// a page, a line of furniture rather than a sign that the whole page is a template, which
/// the quality stage's `c4_lorem_ipsum` rule reads it as in plain text.
fn is_placeholder_line(t: &str) -> bool {
    crate::clean::quality::has_lorem_ipsum(t.as_bytes())
}

/// A copyright notice or a photo's credit ("© 2017 CBS Interactive Inc. All Rights
/// Reserved.", "Copyright © 2025 WABC-TV", "© 20th Century Fox"): the site's or the
/// photographer's, not the article's. Long lines that start so are kept.
fn is_copyright_line(t: &str) -> bool {
    const MAX_WORDS: usize = 30;
    // "(c)" alone also starts the third item of a list; after "Copyright" it is the sign.
    let notice = t.starts_with('\u{a9}')
        || t.get(..9)
            .is_some_and(|p| p.eq_ignore_ascii_case("copyright"))
            && {
                let rest = t[9..].trim_start();
                rest.starts_with('\u{a9}')
                    || rest.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("(c)"))
            };
    notice && t.split_whitespace().count() <= MAX_WORDS
}

/// An affiliate disclosure: a short line that names the site's or writer's pay for links or
/// purchases ("Purchases made through our links may earn us a commission.", "This post
/// contains affiliate links. Read my full disclosure.", "FORTUNE may receive compensation
/// for some links to products"): a notice about the page's links, not the article's text.
/// A line about such programmes without the site speaking ("Streamers earn a commission
/// when viewers buy via affiliate links") stays.
fn is_disclosure_line(t: &str) -> bool {
    const MAX_WORDS: usize = 50;
    let lower = t.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    if words.len() > MAX_WORDS {
        return false;
    }
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    has(&["link", "links", "buy", "purchase", "purchases"])
        && has(&[
            "commission",
            "commissions",
            "compensation",
            "affiliate",
            "affiliates",
        ])
        && has(&["we", "us", "our", "i", "my", "may"])
}

/// A line of two or more web addresses that make up half its characters: structured data
/// a theme prints as text (image address, size, author, image address, date), not prose.
fn is_url_line(t: &str) -> bool {
    let (mut urls, mut url_chars, mut chars) = (0, 0, 0);
    for w in t.split_whitespace() {
        chars += w.len();
        if w.contains("://") || w.starts_with("www.") {
            urls += 1;
            url_chars += w.len();
        }
    }
    urls >= 2 && url_chars * 2 >= chars
}

/// A line with at least this many word 5-grams can be a near copy.
const NEAR_COPY_GRAMS: usize = 8;
/// Words at the end of a near copy that its source may lack: a photo credit, "(screen grab)".
const NEAR_COPY_TAIL: usize = 4;

/// Which lines to keep: a line (not preformatted) whose every word, but for the last four,
/// lies in a word 5-gram of the lines after it (the four only where the copied words end one
/// of those lines) is a near copy of them, and goes: a photo
/// caption or a standfirst repeating the lead paragraphs ("S1 S2 (screen grab)" before S1
/// and S2), a teaser before its article. The later copy, in the running text, stays. Lines
/// built on one template ("X is streaming on Netflix and ...") differ in their first words
/// and stay.
fn near_copies(lines: &[(&str, bool)]) -> Vec<bool> {
    let mut later = std::collections::HashSet::with_hasher(crate::hash::BuildXx);
    // The last 5-gram of each of those lines.
    let mut ends = std::collections::HashSet::with_hasher(crate::hash::BuildXx);
    let mut keep = vec![true; lines.len()];
    let mut grams = Vec::new();
    for (k, &(t, pre)) in lines.iter().enumerate().rev() {
        grams.clear();
        let mut last = [0u64; 5];
        let mut n = 0usize;
        super::claimed::word_hashes(t, |h| {
            last.rotate_left(1);
            last[4] = h;
            n += 1;
            if n >= 5 {
                let g = last
                    .iter()
                    .fold(0u64, |g, &w| g.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ w);
                grams.push(g);
            }
        });
        if !pre && grams.len() >= NEAR_COPY_GRAMS {
            // Words covered by a 5-gram found later: gram i covers words i..i + 5.
            let mut covered_to = 0usize;
            let mut last_found = 0u64;
            let mut copy = true;
            for (i, g) in grams.iter().enumerate() {
                if later.contains(g) {
                    covered_to = i + 5;
                    last_found = *g;
                } else if covered_to <= i {
                    // Word i is in no found gram so far, and later grams start after it.
                    copy = false;
                    break;
                }
            }
            // Uncovered last words are a credit only where the copied text ends a line of its
            // own: "PROSE Body 0." before "PROSE Body 2." is another line, not a copy.
            let tail_ok = covered_to >= n || ends.contains(&last_found);
            if copy && covered_to + NEAR_COPY_TAIL >= n && tail_ok {
                keep[k] = false;
                continue;
            }
        }
        if let Some(&g) = grams.last() {
            ends.insert(g);
        }
        later.extend(grams.iter().copied());
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(page: &str) -> String {
        let dom = Dom::parse(page, 1 << 20);
        extract(&dom, page, Some("Budget news | Example"), None).text
    }

    const PROSE: &str = "The committee met on Tuesday, and after a long debate, it agreed to fund the new library wing, which will open next spring.";

    /// A column of 30 teasers for other stories: enough text beside an article that the
    /// article is not the whole page.
    fn teasers() -> String {
        "<div class=\"views-row\"><h2><a href=\"/x\">Another story</a></h2><p>A teaser for another story of the site, two lines long, with a few words more.</p></div>".repeat(30)
    }

    /// Photo captions, embedded tweets and a player's titles are media beside the article:
    /// left out by default, kept with `captions`; a gallery whose text is its captions, and
    /// a video page whose text is its player's, keep them either way.
    #[test]
    fn captions_and_embedded_posts_are_left_out_unless_asked_for() {
        let body: String = (0..4)
            .map(|k| format!("<p>{PROSE} Part {k}.</p>"))
            .collect();
        let page = format!(
            "<html><body><article><h1>Budget news</h1>{body}<figure><img src=\"/a.jpg\"><figcaption>The reading room of the old library, in 1962.</figcaption></figure><div class=\"wp-caption-text\">The new wing, as the architects drew it.</div><figure><img src=\"/b.jpg\"><span class=\"image-meta\"><cite>Example Photo Agency</cite></span></figure><figure class=\"wp-block-table\"><table><tr><td>Reading rooms</td><td>4</td></tr></table></figure><div class=\"photocredit\">Jane Roe / Example Images</div><blockquote class=\"twitter-tweet\"><p>What a day for the library! The vote is in.</p>&mdash; A Reader (@reader) May 1, 2017</blockquote><div class=\"media__video\"><div class=\"video__end-slate\"><h3>JUST WATCHED</h3><h2>The mayor on the vote</h2><h4>MUST WATCH</h4></div></div><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p></article><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let read = |captions: bool| {
            let dom = Dom::parse(&page, 1 << 20);
            extract_opts(
                &dom,
                &page,
                Some("Budget news | Example"),
                None,
                Options { captions },
            )
            .text
        };
        let text = read(false);
        assert!(
            text.contains("Part 3.") && text.contains("the architects."),
            "{text}"
        );
        // A table set in a figure is text.
        assert!(text.contains("Reading rooms 4"), "{text}");
        let media = [
            "reading room",
            "as the architects drew it",
            "Example Photo Agency",
            "Example Images",
            "What a day",
            "JUST WATCHED",
        ];
        for media in media {
            assert!(!text.contains(media), "{media}: {text}");
        }
        let text = read(true);
        for media in media {
            assert!(text.contains(media), "{media}: {text}");
        }
        // A gallery: the captions are the text.
        let caption = |k: usize| {
            format!("<figure><img src=\"/{k}.jpg\"><figcaption>Photo {k}: the council's vote on the new library wing, with the mayor, the architects and the readers who came to hear it.</figcaption></figure>")
        };
        let gallery = format!(
            "<html><body><article><h1>Budget news</h1>{}</article></body></html>",
            (0..8).map(caption).collect::<String>()
        );
        let dom = Dom::parse(&gallery, 1 << 20);
        let text = extract(&dom, &gallery, Some("Budget news | Example"), None).text;
        assert!(
            text.contains("Photo 0:") && text.contains("Photo 7:"),
            "{text}"
        );
        // A video page: the player's description is the text.
        let video = "<html><body><div class=\"main\"><h1>Budget news</h1><div class=\"video-player\"><h2>The mayor on the vote</h2><p>The mayor speaks after the vote on the new library wing.</p></div></div><div class=\"view-content\"><p>A teaser.</p></div></body></html>";
        let dom = Dom::parse(video, 1 << 20);
        let text = extract(&dom, video, Some("Budget news | Example"), None).text;
        assert!(text.contains("The mayor speaks"), "{text}");
    }

    /// A local paper's template (TownNews) shows the first paragraphs as `subscriber-preview`
    /// and the rest as `subscriber-only`: text for subscribers, not a sign-up box; a box
    /// named `subscribeRect` (lowercased `subscriberect`) still is one.
    #[test]
    fn text_for_subscribers_is_the_article() {
        let page = format!(
            "<html><body><div itemprop=\"articleBody\" class=\"asset-content p402_premium subscriber-premium\"><div class=\"subscriber-preview\"><p>{PROSE}</p></div><div class=\"subscriber-only\"><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p><p>{PROSE} Again.</p></div><div id=\"subscribeRect\"><h4>Get our top stories delivered to your inbox every single morning</h4></div></div><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(text.contains("the wing and its books"), "{text}");
        assert!(text.contains("Again."), "{text}");
        assert!(!text.contains("Get our top stories"), "{text}");
        assert_eq!(
            without_subscriber("subscriber-only subscribers_box"),
            " -only  _box"
        );
        assert_eq!(without_subscriber("subscriberect"), "subscriberect");
    }

    /// A layout named for the ad column beside the article (`ad-sidebar--wrapper`) that also
    /// carries a content name and holds a long run of prose is the article; an ad box is
    /// still removed.
    #[test]
    fn an_article_in_an_ad_column_layout_stays() {
        let body: String = (0..8).map(|k| format!("<p>{PROSE} Part {k}.</p><p>The second paragraph of part {k} says more about the wing and its books, and about the architects.</p>")).collect();
        let page = format!(
            "<html><body><div class=\"row ad-sidebar--wrapper article--single\"><article><h1>Budget news</h1>{body}</article><div class=\"ad-box\"><p>Advertisement for a new car with a long sentence of selling copy in it.</p></div></div><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(!text.contains("Advertisement"), "{text}");
        // Without the content name the ad layout is still furniture.
        let bare = page.replace(" article--single", "");
        assert!(!run(&bare).contains(PROSE));
    }

    /// The long description of a video player beside the headline does not replace the
    /// article body that follows the page's header.
    #[test]
    fn a_video_description_by_the_headline_is_not_the_article() {
        let description = "The council voted on the budget on Tuesday, in a long session that ran late into the night, and the mayor spoke after the vote about what it means for the city and its readers. Credit: the city's video desk, with footage from the session and interviews with the councillors, the librarians and the readers who came to hear the debate.";
        let body: String = (0..4).map(|k| format!("<p>{PROSE} Part {k}.</p><p>The second paragraph of part {k} says more about the wing and its books, and about the architects.</p>")).collect();
        let page = format!(
            "<html><head><title>Budget news for the city library | Example</title></head><body><section class=\"layout\"><div class=\"storyheader\"><div class=\"story-lead\"><div class=\"atom-videoplayer\"><div class=\"description\"><p>{description}</p></div></div><div class=\"titlewrapper\"><h1>Budget news for the city library</h1></div></div></div><div class=\"w_tlc\">{body}</div></section></body></html>"
        );
        let dom = Dom::parse(&page, 1 << 20);
        let text = extract(
            &dom,
            &page,
            Some("Budget news for the city library | Example"),
            None,
        )
        .text;
        assert!(text.contains(PROSE), "{text}");
        // Named as anything but a player, the block by the headline is a short article
        // beside longer prose and wins, as before.
        let plain = page.replace("atom-videoplayer", "atom-lead");
        let dom = Dom::parse(&plain, 1 << 20);
        let text = extract(
            &dom,
            &plain,
            Some("Budget news for the city library | Example"),
            None,
        )
        .text;
        assert!(!text.contains(PROSE), "{text}");
    }

    /// A header block with the headline, byline, standfirst and share bar, then the body in
    /// the next container (dailytrust.com): the body stays, though the standfirst is a
    /// candidate by the headline.
    #[test]
    fn the_body_right_after_the_headline_block_stays() {
        let standfirst = "The city's librarians say that some readers have had enough of the long wait for the wing, and that the council should have acted years ago; the mayor, who opened the debate, said the vote was the end of a long road for everyone.";
        let body: String = (0..6)
            .map(|k| format!("<p>{PROSE} Part {k} of the story says more about the wing, its books and the architects who drew it.</p>"))
            .collect();
        let page = format!(
            r#"<html><head><title>Budget news for the city library | Example</title></head><body><div class="full-width"><div class="left-sidebar"><div class="story"><div class="cathead">Books</div><h1>Budget news for the city library</h1><span class="storydate">By Ann Lee | Apr 8 2017</span><span class="subhead">{standfirst}</span><div class="icon"><ul><li><a href="/fb">Facebook</a></li><li><a href="/tw">Twitter</a></li></ul></div></div><div class="fleft"><span class="fullstory">{body}</span></div></div></div></body></html>"#
        );
        let dom = Dom::parse(&page, 1 << 20);
        let title = Some("Budget news for the city library | Example");
        let text = extract(&dom, &page, title, None).text;
        assert!(text.contains("Part 0 of the story"), "{text}");
        assert!(text.contains("Part 5 of the story"), "{text}");
    }

    /// Drupal marks every article promoted to the front page `node--promoted`: a state, not
    /// a promotion box, while a `promoted-stories` block still is one.
    #[test]
    fn a_promoted_article_is_not_a_promo() {
        let page = format!(
            "<html><body><article class=\"node node--type-article node--promoted\"><h1>Budget news</h1><div class=\"node__content\"><p>{PROSE}</p><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p></div></article><div class=\"promoted-stories\"><p>Ten things you never knew about libraries, and the one that will surprise you most of all.</p></div><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(!text.contains("Ten things"), "{text}");
    }

    /// Paragraphs after an image whose caption is wrapped in `<span>` elements belong to the
    /// same container as those before it (msn.com hosts syndicated stories so): the lead
    /// paragraphs before the first image stay.
    #[test]
    fn the_lead_before_a_captioned_image_stays() {
        let image = "<span class=\"storyimage\"><span class=\"image\"><img src=\"/a.jpg\"></span><span class=\"caption\"><span class=\"attribution\">© Agency</span> A photo of the reading room</span></span>";
        let rest = format!("<p>{PROSE} More of the story follows here.</p>").repeat(8);
        let lead = format!("<p>{PROSE} The lead goes on.</p>").repeat(4);
        let middle = format!("<p>{PROSE} The middle of the story.</p>").repeat(6);
        let page = format!(
            "<html><body><div class=\"articlecontent\"><h1>Budget news</h1><div class=\"richtext\"><p>The lead paragraph tells the story of the library in one long sentence, with the budget, the wing and the date.</p><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p>{lead}{image}{middle}{image}{rest}{rest}</div></div><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("The lead paragraph"), "{text}");
        assert!(text.contains("The second paragraph"), "{text}");
        assert!(text.contains("More of the story"), "{text}");
    }

    /// The block around the headline (section label, standfirst, photo) does not replace an
    /// article body ten times its length in the next block (clarin.com's layout), nor one the
    /// page marks as its article body: the headline rule is for a short article beside a long
    /// column of something else.
    #[test]
    fn a_standfirst_by_the_headline_does_not_replace_a_long_body() {
        let para = "The story goes on with more about the wing and its books and the architects who drew it. ";
        let body = format!("<p>{}</p>", para.repeat(6)).repeat(8);
        let page = format!(
            "<html><head><title>Budget news for the city library</title></head><body><div class=\"news\"><div class=\"contentflex\"><div class=\"entry-title\"><p class=\"volanta\">City hall</p><h1>Budget news for the city library</h1><p class=\"summary\">The council agreed on Tuesday, after a long debate, to fund the new wing of the city library, which opens in the spring, and to keep the old reading room, as readers had asked. The mayor said the vote was the best news the library had had in years.</p></div><div class=\"entry-media\"><figure><img src=\"/a.jpg\"><figcaption>The reading room, in 1962, by a visitor.</figcaption></figure></div></div><div class=\"notas-content\"><div class=\"entry-body\"><div class=\"body-nota\">{body}</div></div></div></div></body></html>"
        );
        // With the photo's caption kept, as the layout was measured: the caption is part of
        // the block by the headline.
        let read = |page: &str| {
            let dom = Dom::parse(page, 1 << 20);
            let opts = Options { captions: true };
            extract_opts(
                &dom,
                page,
                Some("Budget news for the city library"),
                None,
                opts,
            )
            .text
        };
        let text = read(&page);
        assert!(text.contains("The story goes on"), "{text}");
        // A shorter body is replaced, unless the page marks it as its article body
        // (golfpost.de's layout).
        let short = page.replace(&body, &format!("<p>{}</p>", para.repeat(6)).repeat(3));
        let text = read(&short);
        assert!(!text.contains("The story goes on"), "{text}");
        let marked = short.replace(
            "class=\"body-nota\"",
            "class=\"body-nota\" itemprop=\"articleBody\"",
        );
        let text = read(&marked);
        assert!(text.contains("The story goes on"), "{text}");
    }

    /// A name that flags what an element holds (`o-section--has-ads`, as coresites templates
    /// mark every section with an ad slot in it) does not make the element an ad; the ad slot
    /// itself still goes.
    #[test]
    fn a_section_flagged_as_holding_ads_is_not_an_ad() {
        let page = format!(
            "<html><body><section class=\"o-section o-section--has-ads\"><h1>Budget news</h1><div class=\"c-article-copy\"><p>{PROSE}</p><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p><div class=\"o-ads\"><p>Advertisement for a new car with a long sentence of selling copy in it.</p></div></div></section><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(text.contains("The second paragraph"), "{text}");
        assert!(!text.contains("Advertisement for"), "{text}");
        assert_eq!(state_flag("o-section--has-ads"), Some(11));
        assert_eq!(state_flag("piano-bar"), None);
        assert_eq!(state_flag("no-comments"), Some(0));
    }

    /// Elementor lays a post out in sections of widgets, each wrapped in
    /// `elementor-widget-wrap` and `elementor-widget-container`: generic wrappers, not
    /// sidebar widgets, while a widget's type (`elementor-widget-nav-menu`) still counts.
    #[test]
    fn page_builder_wrappers_are_not_widgets() {
        let part = |text: &str| {
            format!("<section class=\"elementor-section elementor-top-section\"><div class=\"elementor-column elementor-col-100\"><div class=\"elementor-widget-wrap elementor-element-populated\"><div class=\"elementor-element elementor-widget elementor-widget-text-editor\"><div class=\"elementor-widget-container\"><p>{text}</p><p>{PROSE}</p><p>{PROSE}</p><p>{PROSE}</p></div></div></div></div></section>")
        };
        let page = format!(
            "<html><body><div class=\"elementor elementor-21\">{}</div><div class=\"elementor-widget-wrap\"><div class=\"elementor-widget elementor-widget-nav-menu\"><p>Home, About, Contact, Shop, Blog, Careers, and a long list of further menu entries.</p></div></div><div class=\"view-content\">{}</div></body></html>",
            part("The first part of the post explains the plan."),
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("The first part"), "{text}");
        assert!(text.contains(PROSE), "{text}");
        assert!(!text.contains("menu entries"), "{text}");
        assert_eq!(builder_token("elementor-widget-wrap"), None);
        assert_eq!(builder_token("elementor-widget-nav-menu"), Some("nav-menu"));
        assert_eq!(builder_token("sidebar-widget"), Some("sidebar-widget"));
    }

    /// Squarespace gives each block of a post the same class and an id of its own: the
    /// winner's siblings of its class are more of the post.
    #[test]
    fn blocks_of_the_winners_class_with_ids_of_their_own_stay() {
        let block = |id: usize, text: &str| {
            format!("<div class=\"sqs-block html-block\" id=\"block-{id}\"><div class=\"sqs-block-content\"><p>{text}</p></div></div>")
        };
        let page = format!(
            "<html><body><div class=\"col sqs-col-12\">{}{}{}{}</div></body></html>",
            block(
                1,
                &(1..=4)
                    .map(|k| format!("{k}. {PROSE}"))
                    .collect::<Vec<_>>()
                    .join("</p><p>")
            ),
            block(2, "Short aside of the post, set apart by the author."),
            block(3, "A closing line of the post, with one comma."),
            block(4, "A postscript of the post, with thanks to readers."),
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(text.contains("Short aside of the post"), "{text}");
        assert!(text.contains("A postscript"), "{text}");
        assert!(text.contains("A closing line"), "{text}");
    }

    /// A list of links the text introduces with a colon is part of the text; a link list
    /// without such an introduction is still navigation.
    #[test]
    fn a_link_list_the_text_introduces_stays() {
        let page = format!(
            "<html><body><article><h1>Budget news</h1><p>{PROSE}</p><p>1. {PROSE}</p><p>2. {PROSE}</p><p>Several patches were sent for review:</p><ul><li><a href=\"/a\">libfoo: add support for packed structs</a></li><li><a href=\"/b\">libfoo: fix volatile loads</a></li><li><a href=\"/c\">libfoo: fix undefined behaviour</a></li></ul><div class=\"paragraph\"><p>And a few were merged:</p></div><div class=\"ulist\"><ul><li><p><a href=\"/f\">libfoo: add function attributes</a></p></li><li><p><a href=\"/g\">libfoo: add a cold attribute</a></p></li></ul></div><p>{PROSE}</p><ul><li><a href=\"/d\">Home page of the site</a></li><li><a href=\"/e\">Archive of old posts</a></li></ul></article><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("add support for packed structs"), "{text}");
        assert!(text.contains("fix undefined behaviour"), "{text}");
        assert!(text.contains("add a cold attribute"), "{text}");
        assert!(!text.contains("Archive of old posts"), "{text}");
    }

    #[test]
    fn teasers_under_a_related_heading_go_and_a_related_section_stays() {
        let story: String = (1..=7).map(|k| format!("<p>{PROSE} ({k})</p>")).collect();
        // Titles under "Related Articles" after the story go, and so do those of a "See
        // also" box set between its last paragraphs, up to the next paragraph of prose.
        let page = format!(
            "<html><body><article><h1>Budget news</h1>{story}<p>{PROSE} Again.</p><div><h3>See also:</h3><p><a href=\"/a\">Council sets the rates for next year</a></p><p>Schools ask for a bigger share</p></div><p>{PROSE} {PROSE} Last.</p><h2>Related Articles</h2><p>Mayor opens the new bridge</p><p>Rates rise again in the spring</p></article></body></html>"
        );
        let text = run(&page);
        assert!(text.contains("Again.\nThe committee"), "{text}");
        assert!(text.ends_with("Last."), "{text}");
        assert!(!text.contains("Schools ask"), "{text}");
        assert!(!text.contains("Mayor opens"), "{text}");
        // A section of the text called "Related", written in sentences, stays.
        let page = format!(
            "<html><body><article><h1>Budget news</h1>{story}<h2>Related</h2><p>An earlier vote set the rates for two years.</p><p>The schools asked for a bigger share in 2019.</p></article></body></html>"
        );
        let text = run(&page);
        assert!(text.contains("Related\nAn earlier vote"), "{text}");
        assert!(text.ends_with("share in 2019."), "{text}");
    }

    #[test]
    fn teaser_headings_are_a_few_words_opening_with_a_teaser_phrase() {
        for t in [
            "Related Articles",
            "RELATED STORIES:",
            "More from The Globe and Mail",
            "Recent posts:",
            "You may also like\u{2026}",
            "Don\u{2019}t miss",
            "Recommended",
            "Related News & Resources",
            "Tags:",
            "More about:",
            "Filed under",
        ] {
            assert!(is_teaser_heading(t), "{t}");
        }
        for t in [
            "Recommended Approach",
            "See also[edit]",
            "Relatedness of the two species",
            "Related: the mayor said the rates would rise again. Then she left.",
            "More from the study suggests that the rates will rise again next spring",
            "Trendy cafes",
            "Tagsets of the survey",
        ] {
            assert!(!is_teaser_heading(t), "{t}");
        }
    }

    /// A sign-up box closing the article goes, line by line from the end; a mention of a
    /// newsletter inside the text stays.
    #[test]
    fn a_closing_signup_box_goes() {
        let page = format!(
            "<html><body><article><h1>Budget news</h1><p>{PROSE}</p><p>The council's newsletter will report on the vote next week, with the figures.</p><p>{PROSE} Again.</p><div class=\"esub\"><h2>Subscribe to the Example newsletter and stay updated.</h2><p>Get all the latest posts delivered straight to your inbox.</p></div></article></body></html>"
        );
        let text = run(&page);
        assert!(text.contains("newsletter will report"), "{text}");
        assert!(text.ends_with("Again."), "{text}");
    }

    /// `overflow-hidden` (Tailwind's clipping utility) names a box whose text shows; a
    /// `hidden` name still reads as furniture.
    #[test]
    fn overflow_hidden_is_not_hidden() {
        let page = format!(
            "<html><body><article><h1>Budget news</h1><div class=\"grid overflow-hidden transition-all\"><p>{PROSE}</p><p>The ranked school offers four certificates online, in marketing, nursing and design.</p></div><div class=\"hidden-note\"><p>A note the template keeps out of sight, with a sentence.</p></div><p>1. {PROSE}</p><p>2. {PROSE}</p></article><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("four certificates online"), "{text}");
        assert!(!text.contains("out of sight"), "{text}");
    }

    /// An element named for a photo gallery that holds the page's `<h1>` is the article's
    /// frame (thw.de wraps its news so); a gallery without the headline is still furniture.
    #[test]
    fn a_gallery_holding_the_headline_is_the_article() {
        let page = format!(
            "<html><body><div id=\"main\"><div class=\"photogallery\"><h1>Budget news</h1><div class=\"abstract\"><p>{PROSE}</p></div><p>The second paragraph of the story says more about the wing and its books, and about the architects.</p></div><div class=\"gallery\"><p>A photo of the old reading room, taken in the spring of 1962 by a visitor from abroad.</p></div></div><div class=\"view-content\">{}</div></body></html>",
            teasers()
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(text.contains("The second paragraph"), "{text}");
        assert!(!text.contains("old reading room"), "{text}");
    }

    /// Ruby annotations (the readings printed above Japanese characters) are not running
    /// text, closed or not.
    #[test]
    fn ruby_annotations_are_left_out() {
        let body = "<ruby>\u{6cd5}\u{5f8b}<rt>\u{307b}\u{3046}\u{308a}\u{3064}</rt></ruby>\u{304c}<ruby>\u{89aa}<rp>(</rp><rt>\u{304a}\u{3084}<rp>)</rp></ruby>\u{3002}";
        let page = format!(
            "<html><body><div class=\"article-body\"><p>{PROSE}</p><p>{body}</p><p>{PROSE} Last.</p></div></body></html>"
        );
        let text = run(&page);
        assert!(
            text.contains("\u{6cd5}\u{5f8b}\u{304c}\u{89aa}\u{3002}"),
            "{text}"
        );
        assert!(text.contains("Last."), "{text}");
    }

    /// A placeholder line left in a widget goes with the widget's other furniture; the
    /// article stays.
    #[test]
    fn placeholder_lines_go_and_the_article_stays() {
        let page = format!(
            "<html><body><div class=\"article-body\"><p>Lorem ipsum dolor sit amet, consectetuer adipiscing elit.</p><p>{PROSE}</p><p>The second paragraph of the story says more about the wing and its books.</p></div></body></html>"
        );
        let text = run(&page);
        assert!(!text.contains("ipsum"), "{text}");
        assert!(text.contains(PROSE), "{text}");
    }

    /// A line repeating the line just before it is a placeholder or a doubled label, written
    /// once; the same line further on stays.
    #[test]
    fn a_line_repeated_in_a_row_is_written_once() {
        let page = format!(
            "<html><body><div class=\"article-body\"><p>{PROSE}</p><p>Obteniendo...</p><p>Obteniendo...</p><p>Obteniendo...</p><p>The second paragraph of the story says more about the wing and its books.</p><p>Yes</p><p>No</p><p>Yes</p></div></body></html>"
        );
        let text = run(&page);
        assert_eq!(text.matches("Obteniendo...").count(), 1, "{text}");
        assert_eq!(text.matches("Yes").count(), 2, "{text}");
    }

    /// A post held as a client-side template inside the element marked `itemprop=
    /// "articleBody"` (Blogger) is the article; a template anywhere else stays unread.
    #[test]
    fn template_inside_the_article_body_is_read() {
        let page = format!(
            "<html><body><div class=\"post\"><h2>Budget news</h2><div class=\"post-body\"><div class=\"post-content\" itemprop=\"articleBody\">\n<script type=\"text/template\">\n<span class=\"byline\">Posted by A. Writer</span><p>{PROSE}</p><p>The second paragraph of the post says more about the wing and its books.</p>\n</script>\n</div></div></div><script type=\"text/template\"><p>{{{{comment.body}}}} was said by {{{{comment.author}}}} about the post above, at length and with feeling.</p></script><div class=\"footer\">Footer text</div></body></html>"
        );
        let text = run(&page);
        assert!(text.contains(PROSE), "{text}");
        assert!(text.contains("The second paragraph"), "{text}");
        assert!(!text.contains("comment.body"), "{text}");
        // Without the article-body mark the template is script, not text.
        let bare = page.replace(" itemprop=\"articleBody\"", "");
        assert!(!run(&bare).contains(PROSE));
    }

    /// Preformatted text (a plain-text RFC, a poem, code) keeps its line breaks; the unwrap
    /// stage later joins hard-wrapped prose.
    #[test]
    fn pre_keeps_its_lines() {
        let page = format!(
            "<html><body><div class=\"article-body\"><p>{PROSE}</p><pre>Abstract\n\n    This draft describes a protocol by which  <a href=/x>client-side</a>\n    applications can talk.\n</pre><p>{PROSE} Last.</p></div></body></html>"
        );
        let text = run(&page);
        let lines: Vec<&str> = text.lines().collect();
        for l in [
            "Abstract",
            "This draft describes a protocol by which client-side",
            "applications can talk.",
        ] {
            assert!(lines.contains(&l), "{l:?} not a line of {text}");
        }
        // Code repeats long lines on purpose: they are not deduplicated inside <pre>.
        let code = "    data-cover-adapter=\"vendor/mocha-blanket.js\"&gt;&lt;/script&gt;";
        let page = format!(
            "<html><body><div class=\"article-body\"><p>{PROSE}</p><pre>a\n{code}\nb\n{code}</pre><p>{PROSE} Last.</p></div></body></html>"
        );
        let text = run(&page);
        assert_eq!(text.matches("mocha-blanket").count(), 2, "{text}");
        assert!(!text.contains(PRE_LINE), "{text:?}");
    }

    /// A data table is written a row per line; a layout table's prose cell stays a block.
    #[test]
    fn table_rows_are_lines() {
        let page = format!(
            r#"<html><body><div class="article-body"><p>{PROSE}</p>
            <table><tr><th>Team</th><th>Won</th><th>Points</th></tr>
            <tr><td><a href=/t/1>Arsenal</a></td><td>12</td><td>38</td></tr>
            <tr><td>Chelsea</td><td><b>11</b></td><td>35</td></tr></table>
            <table><tr><td><p>{PROSE} In a layout cell.</p></td><td>Tel. 0123<br>Fax 0456</td></tr></table>
            <p>{PROSE} Last.</p></div></body></html>"#
        );
        let text = run(&page);
        let lines: Vec<&str> = text.lines().collect();
        for row in ["Team Won Points", "Arsenal 12 38", "Chelsea 11 35"] {
            assert!(lines.contains(&row), "{row:?} not a line of {text}");
        }
        assert!(
            lines.contains(&format!("{PROSE} In a layout cell.").as_str()),
            "{text}"
        );
        assert!(
            lines.contains(&"Tel. 0123") && lines.contains(&"Fax 0456"),
            "{text}"
        );
    }

    /// The lines written from data-table rows and preformatted text are listed as data lines
    /// (by key); prose, headings and a layout table's cells are not.
    #[test]
    fn table_rows_and_code_lines_are_data_lines() {
        let page = format!(
            r#"<html><body><div class="article-body"><h2>Standings</h2><p>{PROSE}</p>
            <table><tr><th>Team</th><th>Won</th></tr>
            <tr> <td><a href=/t/1>Arsenal</a></td><td>12</td></tr></table>
            <table><tr><td><p>{PROSE} In a layout cell.</p></td></tr></table>
            <pre>let x = 1;
            x += 2;</pre><p>{PROSE} Last.</p></div></body></html>"#
        );
        let dom = Dom::parse(&page, 1 << 20);
        let ex = extract(&dom, &page, None, None);
        let key = |l: &str| super::super::line_key(l).unwrap();
        let mut want: Vec<u64> = ["Team Won", "Arsenal 12", "let x = 1;", "x += 2;"]
            .into_iter()
            .map(key)
            .collect();
        want.sort_unstable();
        assert_eq!(ex.data_lines, want, "{}", ex.text);
        for l in ex.text.lines() {
            assert!(!l.contains([PRE_LINE, ROW_LINE]), "{l:?}");
        }
        assert!(ex.text.lines().any(|l| l == "Arsenal 12"), "{}", ex.text);
    }

    /// A template that puts the post in an `<aside>` (seen on blogs of the Dragnet set) gives
    /// the post rather than nothing; an `<aside>` next to an article is still dropped.
    #[test]
    fn post_inside_an_aside_is_kept_when_nothing_else_is_left() {
        let page = format!(
            r#"<html><body><nav><a href=/>Home</a> <a href=/a>About</a></nav>
            <section id="leftColumn"><aside class="blogPost"><h1>Budget news</h1>
            <div class="blogContent"><p>{PROSE}</p><p>{PROSE} Second.</p></div></aside></section>
            <footer>Copyright 2024 Example News</footer></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains(PROSE) && text.contains("Second."), "{text}");
        assert!(
            !text.contains("Copyright") && !text.contains("About"),
            "{text}"
        );
        let page = format!(
            r#"<html><body><article><p>{PROSE}</p></article>
            <aside><p>{PROSE} From the sidebar.</p></aside></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains(PROSE) && !text.contains("sidebar"), "{text}");
    }

    /// A class that flags a feature on the article's own container (`enable-pin-share`) or
    /// its layout (`kb-overflow-hidden`) removed the whole article, which held under half of
    /// the page's paragraphs (a long comment thread beside it): the page now gives the
    /// article, with the comments and the navigation still out; a page whose article is
    /// found anyway still loses its share bar.
    #[test]
    fn article_named_like_furniture_is_kept_when_nothing_else_is_left() {
        let comments: String = (0..4)
            .map(|i| format!("<li><p>{PROSE} Reader comment {i}.</p></li>"))
            .collect();
        let links: String = (0..40)
            .map(|i| {
                format!("<li><a href=/s{i}>Another story from the same site, number {i}</a></li>")
            })
            .collect();
        for class in ["enable-pin-share", "kb-overflow-hidden"] {
            let page = format!(
                r#"<html><body><div><ul>{links}</ul></div>
                <div class="{class}"><h1>Budget news</h1><p>{PROSE}</p><p>{PROSE} Second.</p></div>
                <ol class="comment-list">{comments}</ol></body></html>"#
            );
            let text = run(&page);
            assert!(
                text.contains(PROSE) && text.contains("Second."),
                "{class}: {text}"
            );
            assert!(
                !text.contains("Reader comment") && !text.contains("Another story"),
                "{class}: {text}"
            );
        }
        let page = format!(
            r#"<html><body><article><p>{PROSE}</p><p>{PROSE} Second.</p>
            <div class="share-bar"><p>{PROSE} Share this story.</p></div></article></body></html>"#
        );
        let text = run(&page);
        assert!(
            text.contains("Second.") && !text.contains("Share this"),
            "{text}"
        );
    }

    /// A template that nests the article's body far from its headline, in the same
    /// `<article>`: the lead paragraph beside the headline does not replace the body.
    #[test]
    fn body_in_the_headlines_article_is_not_replaced_by_the_lead() {
        let lead = format!("{PROSE} {PROSE} {PROSE} Lead.");
        let body: String = (0..3)
            .map(|i| format!("<p>{PROSE} Body {i}.</p>"))
            .collect();
        let page = format!(
            r#"<html><body><article><div class="top"><div><div><div><div>
            <h1>Council agrees library funding</h1><p class="teaser">{lead}</p>
            </div></div></div></div></div>
            <div class="con"><div><div><div><div>{body}</div></div></div></div></div>
            </article></body></html>"#
        );
        let dom = Dom::parse(&page, 1 << 20);
        let text = extract(
            &dom,
            &page,
            Some("Council agrees library funding - Example"),
            None,
        )
        .text;
        assert!(
            text.contains("Body 0.") && text.contains("Body 2."),
            "{text}"
        );
    }

    /// An opinion piece (`class="commentary"`) is not a reader discussion.
    #[test]
    fn commentary_is_an_article_not_reader_comments() {
        let comments: String = (0..4)
            .map(|i| format!("<li><p>{PROSE} Reader comment {i}.</p></li>"))
            .collect();
        let page = format!(
            r#"<html><body><div class="news commentary article"><p>{PROSE}</p>
            <p>{PROSE} Second.</p></div><ol class="comment-list">{comments}</ol></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("Second."), "{text}");
        assert!(!text.contains("Reader comment"), "{text}");
    }

    /// A short article beside a longer block of prose elsewhere on the page (an author
    /// profile, an unnamed comment list): the candidate under the headline wins, unless the
    /// page has no heading matching its title.
    /// Extraction with the page's JSON-LD `articleBody`, as the stage runs it.
    fn run_claimed(page: &str) -> String {
        let dom = Dom::parse(page, 1 << 20);
        let ld = super::super::meta::json_ld_values(&dom);
        let claim = super::super::claimed::article_body(&ld).and_then(Claimed::new);
        extract(&dom, page, Some("Budget news | Example"), claim.as_ref()).text
    }

    fn ld(body: &str) -> String {
        let json = serde_json::json!({"@type": "NewsArticle", "articleBody": body});
        format!(r#"<script type="application/ld+json">{json}</script>"#)
    }

    const STORY: &str = "The harbour bridge, long debated, will link the old port district with the new housing estates to the north, officials said, and work starts in May. Residents of the estates have waited for a direct crossing since the ferry was cut, and shop owners in the port district expect more trade.";

    #[test]
    fn claimed_body_moves_the_extraction_to_the_element_that_holds_it() {
        // A long block of prose without a telling name outscores the short story.
        let profile: String = (0..12)
            .map(|i| format!("<p>Our columnist has written about city politics, schools and the harbour for {i} years, and before that she covered courts, councils and elections across the region.</p>"))
            .collect();
        // Two long paragraphs with few commas: they score below the profile's many short ones.
        let para = |k: usize| {
            (0..8)
                .map(|i| format!("Part {k}.{i} of the report says the bridge will carry {i} thousand cars a day to the port."))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let (p1, p2) = (para(1), para(2));
        let body = format!(
            r#"<div id="a"><div class="x1"><p>{p1}</p><p>{p2}</p></div></div><div id="b"><div class="x2">{profile}</div></div>"#
        );
        // Without the claim the block of short paragraphs is the article.
        let text = run(&format!("<html><body>{body}</body></html>"));
        assert!(text.contains("Our columnist"), "{text}");
        assert!(!text.contains("Part 1.0"), "{text}");
        let claim = format!("{p1}\n\n{p2}");
        let with = format!(
            "<html><head>{}</head><body>{body}</body></html>",
            ld(&claim)
        );
        let text = run_claimed(&with);
        assert_eq!(text, format!("{p1}\n{p2}"));
    }

    #[test]
    fn claim_the_page_does_not_show_replaces_only_a_meagre_extraction() {
        let story = format!("{STORY} {PROSE} {STORY}");
        // The body is rendered by scripts: the markup holds a teaser line and menus.
        let scripted = format!(
            "<html><head>{}</head><body><nav><a href=/>Home</a></nav><div class=teaser><p>Bridge approved, with work to start in May.</p></div></body></html>",
            ld(&story)
        );
        let text = run_claimed(&scripted);
        assert!(
            text.starts_with("The harbour bridge, long debated"),
            "{text}"
        );
        // A page showing an article of its own keeps it, whatever another claim says.
        let other = format!(
            r#"<html><head>{}</head><body><div class="story"><p>{PROSE}</p><p>{PROSE} Again, the committee met.</p><p>{PROSE} And once more.</p><p>{PROSE} Finally.</p></div></body></html>"#,
            ld(&story)
        );
        let text = run_claimed(&other);
        assert!(text.contains("Finally."), "{text}");
        assert!(!text.contains("harbour bridge"), "{text}");
        // A claim the extraction already covers changes nothing.
        let same = format!(
            r#"<html><head>{}</head><body><div class="story"><p>{STORY}</p><p>{PROSE}</p><p>{STORY}</p></div><div class=x><p>{PROSE} Aside.</p></div></body></html>"#,
            ld(&story)
        );
        let dom = Dom::parse(&same, 1 << 20);
        assert_eq!(
            run_claimed(&same),
            extract(&dom, &same, Some("Budget news | Example"), None).text
        );
    }

    #[test]
    fn short_article_under_its_headline_beats_longer_prose_elsewhere() {
        let profile = "Our columnist has written about city politics, schools and the harbour for thirty years, and before that she covered courts, councils and elections across the region.";
        let page = |h1: &str| {
            format!(
                r#"<html><body><div id="main"><div class="head"><h1>{h1}</h1><p>By Ann Lee</p></div>
                <div class="body"><p>{PROSE} The harbour bridge, long debated, will link the old port district with the new housing estates to the north, officials said, and work starts in May.</p></div></div>
                <div id="side"><div class="about">{}</div></div></body></html>"#,
                format!("<p>{profile}</p>").repeat(12)
            )
        };
        let title = Some("Council approves harbour bridge | Daily Post");
        let with = page("Council approves harbour bridge");
        let text = extract(&Dom::parse(&with, 1 << 20), &with, title, None).text;
        assert!(text.contains("harbour bridge, long debated"), "{text}");
        assert!(!text.contains("Our columnist"), "{text}");
        // Without a matching heading the longer block wins, as it did before; a linked
        // heading is a teaser, not the headline.
        for h1 in ["Latest", "<a href=/x>Council approves harbour bridge</a>"] {
            let without = page(h1);
            let text = extract(&Dom::parse(&without, 1 << 20), &without, title, None).text;
            assert!(text.contains("Our columnist"), "{text}");
        }
    }

    #[test]
    fn short_forms_go_and_a_form_holding_the_article_stays() {
        // A newsletter box inside the article (Evening Standard) and a login box: controls.
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p>
            <form action="/newsletter"><p>Essential news, delivered daily</p><input type=email>
            <p>Tick the box if you would like to be contacted</p></form>
            <p>{PROSE} Second.</p></div>
            <amp-lightbox layout="nodisplay"><form><p>Log in with Example News</p></form></amp-lightbox>
            <amp-social-share type="email"><span>Share by email</span></amp-social-share>
            </body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("Second."), "{text}");
        for junk in ["Essential news", "Tick the box", "Log in", "Share by"] {
            assert!(!text.contains(junk), "{junk} in {text}");
        }
        // A search form left unclosed in a sidebar holds the article after it.
        let body = format!("<p>{PROSE} Body.</p>").repeat(8);
        let page = format!(
            r#"<html><body>{}<div class="side"><form name="search"><input name=q>
            <div class="story">{body}</div></body></html>"#,
            teasers()
        );
        assert!(run(&page).contains("Body."), "{}", run(&page));
    }

    #[test]
    fn call_to_action_and_author_boxes_go() {
        // Both inside the article's container, and longer than a byline, on a page with
        // more text than they hold.
        let page = format!(
            r#"<html><body><div class="entry-content"><p>{PROSE}</p><p>{PROSE} Second.</p>
            <div class="cta-global"><p>Missed the main event? Watch every talk on demand, with
            the slides and the questions from the floor.</p></div>
            <div class="terminal-tout"><span>Before it's here, it's on the Example Terminal.</span></div>
            <section class="post-author clearfix"><p>Jane Doe writes about libraries, budgets
            and the people who fund them, and has done so for twenty years, first for a weekly
            paper and then for this site, where she also edits the letters page and the
            weekend supplement's books section. Before that she taught history at a school
            in the north of the county and wrote two books on its mills.</p></section>
            </div>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("Second."), "{text}");
        for junk in ["Jane Doe", "Missed the main event", "Example Terminal"] {
            assert!(!text.contains(junk), "{junk} in {text}");
        }
    }

    /// Biography boxes come in many spellings (`author_info`, `authorsblock_about__x`,
    /// `single-content-author__about`); a post's own class naming its author
    /// (`author-fabio`) and a byline are not one.
    #[test]
    fn author_biography_boxes_go_in_any_spelling() {
        for names in [
            "author_bio",
            "authorinfo",
            "author-section-bio",
            "authorsblock_about__brgmm",
            "single-content-author__about",
            "mntl-author-tooltip__bio",
            "blog_author_description",
        ] {
            assert!(author_box(names), "{names}");
        }
        for names in [
            "post author-fabio",
            "author vcard",
            "byline-author",
            "authored",
        ] {
            assert!(!author_box(names), "{names}");
        }
        let bio = "Jane Doe writes about libraries, budgets and the people who fund them, and has done so for twenty years, first for a weekly paper and then for this site.";
        let page = format!(
            r#"<html><body><article class="post author-fabio"><div class="entry"><p>{PROSE}</p><p>{PROSE} Second.</p></div><div class="author_info"><h4>About Jane Doe</h4><p>{bio}</p></div></article>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("Second."), "{text}");
        assert!(!text.contains("Jane Doe"), "{text}");
        // The same box under a name that says nothing of a biography stays.
        let plain = page.replace("author_info", "sidebox");
        assert!(run(&plain).contains("Jane Doe writes"));
    }

    /// Copyright notices and photo credits, Disqus' "powered by" link, a layout's list of
    /// breakpoint names and reading times are no part of the article; a list item "(c)"
    /// and sentences about copyright or minutes are.
    #[test]
    fn copyright_notices_disqus_links_breakpoint_lists_and_reading_times_go() {
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p><p>{PROSE} Second.</p><p>&copy; 20th Century Fox</p><p>Copyright &copy; 2017 CBS Interactive Inc. All Rights Reserved.</p><p>copyright (c) 2017 Example Media</p><ol><li>(a) the first option of three;</li><li>(c) the third option, which the council chose.</li></ol><p>Copyright law was the subject of the second debate, on Wednesday.</p><p>March 15, 2022 &middot; 3 min read &middot; By Ann Lee</p><p>The clock after the 20 minutes read 16 to 5.</p><a href="http://disqus.com" class="dsq-brlink">blog comments powered by <span>Disqus</span></a><div class="BreakpointDetector_container_2HXR4"><ul><li>narrow-browser-and-phone</li><li>medium-wide-browser</li></ul></div></div>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        for kept in [
            "Second.",
            "(c) the third option",
            "Copyright law was",
            "20 minutes read",
        ] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
        for junk in [
            "Century Fox",
            "CBS Interactive",
            "Example Media",
            "powered by",
            "narrow-browser",
            "3 min read",
        ] {
            assert!(!text.contains(junk), "{junk}: {text}");
        }
        let long = format!("\u{a9} {}", "word ".repeat(40));
        assert!(!is_copyright_line(&long));
    }

    /// A site's note on paid links goes in any wording; a sentence about such programmes
    /// that is not the site speaking, and a long paragraph that mentions them, stay.
    #[test]
    fn affiliate_disclosures_go() {
        let page = format!(
            r#"<html><body><div class="article"><p>Products are chosen independently by our editors. Purchases made through our links may earn us a commission.</p><p>{PROSE}</p><p>Streamers earn a commission when viewers buy games, gear or software via affiliate links.</p><p>{PROSE} Second.</p><p>This post contains affiliate links. Read my full disclosure.</p><p>All products and services featured are based solely on editorial selection. FORTUNE may receive compensation for some links to products and services on this website.</p></div>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        for kept in ["Streamers earn a commission", "Second."] {
            assert!(text.contains(kept), "{kept}: {text}");
        }
        for junk in ["chosen independently", "my full disclosure", "FORTUNE may"] {
            assert!(!text.contains(junk), "{junk}: {text}");
        }
        let long = format!(
            "We may earn a commission on purchases made through our links, {}",
            "and the paragraph goes on about other things ".repeat(6)
        );
        assert!(!is_disclosure_line(&long));
        assert!(is_disclosure_line(
            "When you buy through links on our site, we may earn an affiliate commission."
        ));
    }

    /// A heading equal to another headline the page states (JSON-LD, `og:title`) is the
    /// headline too, when the page title words it differently; a heading equal to none stays.
    #[test]
    fn a_heading_equal_to_a_stated_headline_is_left_out() {
        let page = format!(
            r#"<html><body><div class="article"><h1>Robots in the Workforce? Each 1 Costs 6 Jobs</h1><p>{PROSE}</p><h2>What the study found</h2><p>{PROSE} Second.</p></div>{}</body></html>"#,
            teasers()
        );
        let dom = Dom::parse(&page, 1 << 20);
        let titles = "Robots Cost 6 Jobs Each\nRobots in the Workforce? Each 1 Costs 6 Jobs";
        let text = extract(&dom, &page, Some(titles), None).text;
        assert!(!text.contains("Robots in the Workforce"), "{text}");
        assert!(text.contains("What the study found"), "{text}");
        let text = extract(&dom, &page, Some("Robots Cost 6 Jobs Each"), None).text;
        assert!(text.contains("Robots in the Workforce"), "{text}");
    }

    /// Text and the title decode character references as browsers do, legacy names without
    /// `;` and Windows-1252 numbers included.
    #[test]
    fn text_references_decode_as_in_a_browser() {
        let page = format!(
            r#"<html><head><title>Budget&nbsp;&#150; Example</title></head><body><div class="article"><p>{PROSE}</p><p>Council staff&nbsp|&nbspit&#146s the 1&#150;2 vote &copy 2017</p></div></body></html>"#
        );
        let text = run(&page);
        assert!(
            text.contains("Council staff | it\u{2019}s the 1\u{2013}2 vote © 2017"),
            "{text}"
        );
    }

    /// A sign-up dialog's form with its terms and conditions, longer than the article, is not
    /// the page; an article drawn in a dialog without a form is. Nor are the edit tools shown
    /// to an article's owner.
    #[test]
    fn a_sign_up_dialog_is_not_the_article() {
        let terms = "<p>You may use the Website but are required to register as a user if you wish to read the full text of the content, and you may not modify, publish or sell the content.</p>".repeat(12);
        let page = format!(
            r#"<html><body><div id="main"><h1>Franchise agreements</h1><div id="articlebody"><p>{PROSE}</p><p>{PROSE} Second.</p><p>{PROSE} Third.</p></div></div><div id="pop2" class="popover2"><form><p>Register for access</p><input name="email"><input name="password" type="password"><input name="company"><div class="terms">{terms}</div></form></div><ul class="sections">{}</ul></body></html>"#,
            "<li><a href=\"/s\">A section of the site</a></li>".repeat(80)
        );
        let text = run(&page);
        assert!(text.contains("Third."), "{text}");
        assert!(!text.contains("register as a user"), "{text}");
        // TownNews shows its edit tools to the article's owner only.
        let page = format!(
            r#"<html><body><div class="article"><div class="asset-owner-content asset-edit-container"><p>You are the owner of this article.</p><a href="/edit">Edit Article</a></div><p>{PROSE}</p><p>{PROSE} Second.</p></div>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        assert!(text.contains("Second."), "{text}");
        assert!(!text.contains("owner of this article"), "{text}");
        let page = format!(
            r#"<html><body><div class="render-target-modal"><h2>Budget</h2><p>{PROSE}</p><p>{PROSE} Second.</p><p>{PROSE} Third.</p><input name="q"></div><div class="menu"><a href="/a">Home</a></div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("Third."), "{text}");
    }

    /// A word of a paragraph linked to a tag or search page is text, whatever the link's
    /// name; a paragraph that is only such a link, and a tag list, are not.
    #[test]
    fn linked_words_in_a_paragraph_stay_whatever_their_names() {
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p><p>Shops selling <a class="storyTags" href="/search?q=Xiaomi">Xiaomi</a> phones in India say the <a class="storyTags" href="/search?q=China">China</a> label no longer fits.</p><p><a class="share-link" href="/share">Share this story with a friend</a></p><div class="tags"><a class="tag" href="/t/budget">budget</a> <a class="tag" href="/t/library">library news</a></div></div>{}</body></html>"#,
            teasers()
        );
        let text = run(&page);
        assert!(
            text.contains("Shops selling Xiaomi phones in India say the China label"),
            "{text}"
        );
        for junk in ["Share this story", "library news"] {
            assert!(!text.contains(junk), "{junk}: {text}");
        }
    }

    #[test]
    fn a_drop_cap_set_apart_joins_its_paragraph() {
        let page = format!(
            r#"<html><body><div class="article"><div><span class="cap">T</span><p>urkey and
            Poland were removed from the list.</p></div><p>{PROSE}</p>
            <ul><li>A</li><li>Second item</li></ul></div></body></html>"#
        );
        let text = run(&page);
        assert!(
            text.starts_with("Turkey and Poland were removed from the list."),
            "{text}"
        );
        // A one-letter line before a capitalized one stays a line of its own.
        assert!(text.contains("\nA\nSecond item"), "{text}");
    }

    #[test]
    fn keeps_article_paragraphs_and_drops_furniture() {
        let page = format!(
            r#"<html><body><nav><a href=/>Home</a> <a href=/n>News</a></nav>
            <div class="sidebar"><ul><li><a href=/1>Top story one</a><li><a href=/2>Top story two</a></ul></div>
            <div class="article-body"><h2>Budget news</h2><p>{PROSE}</p><p>{PROSE} Second &amp; last.</p>
            <div class="share-bar">Share on Facebook</div>
            <div class="fb-send-to-messenger-container"><p>Chat with us in Facebook Messenger. Find out what's happening in the world as it unfolds.</p></div></div>
            <div class="comments"><p>{PROSE} A reader comment.</p></div>
            <footer>Copyright 2024 Example News</footer></body></html>"#
        );
        let text = run(&page);
        assert!(
            text.starts_with("The committee met"),
            "the headline is metadata: {text}"
        );
        assert!(text.contains("Second & last."), "{text}");
        for junk in [
            "Home",
            "Top story",
            "Share on",
            "Chat with us",
            "reader comment",
            "Copyright",
        ] {
            assert!(!text.contains(junk), "{junk} in {text}");
        }
    }

    #[test]
    fn container_with_running_text_is_kept_despite_linked_captions() {
        // An article whose photo captions are links has a link density over one half as a
        // whole; it was left out of the rendering, emptying the page.
        let caption = "<li><a href=/p>President greets students in the Blue Room of the White House before a statement</a></li>";
        let page = format!(
            r#"<html><body><div class="main"><div><p>{PROSE}</p><p>{PROSE} Again.</p>
            <ul>{}</ul></div></div>
            <div class="links"><a href=/1>Top story number one today</a> <a href=/2>Top story number two today</a> <a href=/3>Top story three</a></div>
            </body></html>"#,
            caption.repeat(6)
        );
        let text = run(&page);
        assert!(text.contains("spring. Again."), "{text}");
        assert!(!text.contains("Top story"), "{text}");
    }

    #[test]
    fn content_class_overrides_weak_furniture_in_the_id() {
        let page = format!(
            r#"<html><body><div class="site-links"><p>{PROSE} Elsewhere.</p><p>{PROSE} Still elsewhere.</p></div>
            <div class="single-article-content" id="nav-single"><p>{PROSE} Here.</p></div>
            <div id="nav"><p>{PROSE} Menu.</p></div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("spring. Here."), "{text}");
        assert!(!text.contains("Menu."), "{text}");
    }

    #[test]
    fn repeated_long_lines_are_written_once() {
        // A teaser printed twice for two audiences (one copy in a class-hidden twin) halved
        // precision.
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p><p>Short.</p></div>
            <div class="article"><p>{PROSE}</p><p>Short.</p></div></body></html>"#
        );
        let text = run(&page);
        assert_eq!(text.matches("The committee met").count(), 1, "{text}");
        assert_eq!(text.matches("Short.").count(), 2, "{text}");
    }

    #[test]
    fn caption_repeating_the_lead_goes_and_template_lines_stay() {
        let s1 = "St. Louis Park appears to be the first city in the state to have elected a mayor this young.";
        let s2 = "Nadia Mohamed, 27, won with 58% of the vote in Tuesday's municipal election, defeating the other candidate.";
        let page = format!(
            r#"<html><body><div class="article"><figure><img src=a.jpg><figcaption>{s1} {s2} (screen grab)</figcaption></figure>
            <p>{s1}</p><p>{s2}</p><p>{PROSE}</p>
            <p>Faces Places is currently streaming on Netflix and available to rent on Google Play and YouTube.</p>
            <p>Lady Bird is currently streaming on Netflix and available to rent on Google Play and YouTube.</p></div></body></html>"#
        );
        let text = run(&page);
        assert!(!text.contains("(screen grab)"), "{text}");
        assert!(text.starts_with(s1), "{text}");
        assert_eq!(text.matches("Nadia Mohamed").count(), 1, "{text}");
        assert!(text.contains("Faces Places is"), "{text}");
        assert!(text.contains("Lady Bird is"), "{text}");
    }

    #[test]
    fn lines_of_web_addresses_go_and_a_cited_address_stays() {
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p><p>The full report is at https://example.org/report.pdf for readers.</p>
            <span>https://example.org/img/a.jpg 890 1484 Ann Lee https://example.org/logo.png Ann Lee2022-11-24 09:17</span></div></body></html>"#
        );
        let text = run(&page);
        assert!(
            text.contains("The full report is at https://example.org/report.pdf"),
            "{text}"
        );
        assert!(!text.contains("logo.png"), "{text}");
    }

    #[test]
    fn long_comment_thread_goes_even_when_it_holds_most_paragraphs() {
        let comments: String = (0..30)
            .map(|k| format!("<dt>Reader {k}</dt><dd><p>Comment {k}: I really liked this one, thanks, and more of it, please, soon.</p></dd>"))
            .collect();
        let side = "<div>Other site text that is not the article at all.</div>".repeat(40);
        let page = format!(
            r#"<html><body><div id="main"><div class="entry"><p>{PROSE}</p><p>{PROSE} Two.</p></div>
            <div id="comments"><dl>{comments}</dl></div></div><div class="sidebar">{side}</div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("The committee met"), "{text}");
        assert!(!text.contains("really liked"), "{text}");
        // A post named for its comments (`commented`) is still the post.
        let page = format!(
            r#"<html><body><article class="post commented"><p>{PROSE}</p><p>{PROSE} Two.</p></article>
            <div class="more"><p>{PROSE} Other.</p></div></body></html>"#
        );
        assert!(run(&page).contains("spring. Two."));
    }

    #[test]
    fn control_and_ad_label_lines_are_dropped() {
        let page = format!(
            r#"<html><body><div class="article"><p>{PROSE}</p><div>Advertisement</div>
            <p>{PROSE} Two.</p><div>Print Email</div><div>Report this comment</div><p>Search: a phrase</p>
            <div>Skip to main | Skip to sidebar</div><p>Skip to the end: they won.</p>
            <div>Share this article on</div><div>Follow us!</div><p>Follow us to the coast, the guide said.</p>
            <div>Home &gt; News &gt; Budget</div><p>Home / away: the team lost both.</p>
            <div>Scroll down for video</div><div>TrackBack URL for this entry:</div><div>Was this article helpful?</div></div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("spring. Two."), "{text}");
        assert!(text.contains("Search: a phrase"), "{text}");
        assert!(text.contains("Skip to the end: they won."), "{text}");
        assert!(text.contains("Follow us to the coast"), "{text}");
        assert!(text.contains("Home / away: the team"), "{text}");
        for junk in [
            "Advertisement",
            "Print Email",
            "Report this",
            "Skip to main",
            "Share this",
            "Follow us!",
            "Scroll down",
            "Home > News",
            "TrackBack",
            "helpful",
        ] {
            assert!(!text.contains(junk), "{junk} in {text}");
        }
    }

    #[test]
    fn list_of_linked_sentences_stays_and_headline_links_go() {
        // A digest whose items are linked announcements lost its items as a link list.
        let page = format!(
            r#"<html><body><div class="post"><p>{PROSE}</p><p>{PROSE} Two.</p>
            <ul><li><a href=/a>We released version 2 of the toolkit for everyone.</a></li>
            <li><a href=/b>We added support for four more services.</a></li></ul>
            <ul><li><a href=/c>Top story about the weather today</a></li>
            <li><a href=/d>Another headline about the game</a></li></ul></div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("four more services."), "{text}");
        assert!(!text.contains("Top story"), "{text}");
    }

    #[test]
    fn captioned_slideshow_goes_even_when_it_holds_most_paragraphs() {
        let slides: String = (0..30)
            .map(|k| format!("<li><p>Slide {k}: the team celebrates after the final whistle, with fans, in the rain.</p></li>"))
            .collect();
        let side = "<div>Other site text that is not the article at all.</div>".repeat(40);
        let page = format!(
            r#"<html><body><div id="main"><div class="entry"><p>{PROSE}</p><p>{PROSE} Two.</p></div>
            <ul class="hp-slideshow">{slides}</ul></div><div class="sidebar">{side}</div></body></html>"#
        );
        let text = run(&page);
        assert!(text.contains("spring. Two."), "{text}");
        assert!(!text.contains("Slide 3"), "{text}");
    }

    #[test]
    fn page_without_article_structure_renders_body() {
        let text = run("<p>Short note.</p><div>Just a line</div>");
        assert_eq!(text, "Short note.\nJust a line");
    }

    #[test]
    fn br_breaks_lines_and_whitespace_collapses() {
        let text = run(&format!(
            "<div class=post><p>{PROSE}<br>Next   line\n here.</p></div>"
        ));
        assert!(text.ends_with("spring.\nNext line here."), "{text}");
    }
}
