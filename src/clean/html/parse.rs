//! A lenient HTML tokenizer and tree builder for main-content extraction.
//!
//! Crawled pages are often broken: unclosed paragraphs and list items, stray end tags,
//! `<script>` bodies holding markup, comments that never end. This parser never fails: it
//! reads tags, attributes, comments and raw-text elements, applies the implied end tags that
//! matter for text layout (`<p>`, `<li>`, `<td>`, `<tr>`, `<dt>`/`<dd>`, `<option>`, headings),
//! ignores end tags with no open element (custom elements such as `<amp-social-share>` and
//! the elements it does not distinguish, `<span>` or `<font>`, close at their own end tag;
//! `<source>` and the other empty ones are void), and caps nesting depth, so time and memory
//! grow linearly with the page. It keeps only what extraction reads: element tags, the
//! `class`/`id` names (a custom element's tag name instead), visibility, the attributes of
//! metadata elements, and text (entities left encoded until a block is rendered).

/// Element kinds the extractor distinguishes; everything else is [`Tag::Other`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Tag {
    Root,
    Html,
    Head,
    Body,
    Title,
    Meta,
    Link,
    Script,
    Style,
    Noscript,
    Template,
    Svg,
    Math,
    Iframe,
    Object,
    Embed,
    Canvas,
    Button,
    Select,
    Option,
    Input,
    Textarea,
    Label,
    Form,
    Nav,
    Header,
    Footer,
    Aside,
    Main,
    Article,
    Section,
    Div,
    P,
    Br,
    Hr,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    Table,
    Thead,
    Tbody,
    Tfoot,
    Tr,
    Td,
    Th,
    Caption,
    Pre,
    Blockquote,
    Figure,
    Figcaption,
    A,
    Img,
    Time,
    Address,
    Details,
    Summary,
    Dialog,
    Menu,
    Ruby,
    /// `<rt>` or `<rp>`: a ruby annotation (the reading printed above Japanese characters),
    /// not running text.
    Rt,
    /// A custom element (`<amp-social-share>`, `<cookie-banner>`): a name with a hyphen. Its
    /// tag name, which says what it is, is its only name (its `class` and `id` are not read);
    /// it is closed by its own end tag and rendered inline, as browsers do.
    Custom,
    Other,
}

impl Tag {
    fn from_name(name: &[u8]) -> Tag {
        if name.contains(&b'-') {
            return Tag::Custom;
        }
        let mut buf = [0u8; 12];
        if name.len() > buf.len() {
            return Tag::Other;
        }
        for (b, c) in buf.iter_mut().zip(name) {
            *b = c.to_ascii_lowercase();
        }
        match &buf[..name.len()] {
            b"html" => Tag::Html,
            b"head" => Tag::Head,
            b"body" => Tag::Body,
            b"title" => Tag::Title,
            b"meta" => Tag::Meta,
            b"link" => Tag::Link,
            b"script" => Tag::Script,
            b"style" => Tag::Style,
            b"noscript" => Tag::Noscript,
            b"template" => Tag::Template,
            b"svg" => Tag::Svg,
            b"math" => Tag::Math,
            b"iframe" => Tag::Iframe,
            b"object" => Tag::Object,
            b"embed" => Tag::Embed,
            b"canvas" => Tag::Canvas,
            b"button" => Tag::Button,
            b"select" => Tag::Select,
            b"option" => Tag::Option,
            b"input" => Tag::Input,
            b"textarea" => Tag::Textarea,
            b"label" => Tag::Label,
            b"form" => Tag::Form,
            b"nav" => Tag::Nav,
            b"header" => Tag::Header,
            b"footer" => Tag::Footer,
            b"aside" => Tag::Aside,
            b"main" => Tag::Main,
            b"article" => Tag::Article,
            b"section" => Tag::Section,
            b"div" => Tag::Div,
            b"p" => Tag::P,
            b"br" => Tag::Br,
            b"hr" => Tag::Hr,
            b"h1" => Tag::H1,
            b"h2" => Tag::H2,
            b"h3" => Tag::H3,
            b"h4" => Tag::H4,
            b"h5" => Tag::H5,
            b"h6" => Tag::H6,
            b"ul" => Tag::Ul,
            b"ol" => Tag::Ol,
            b"li" => Tag::Li,
            b"dl" => Tag::Dl,
            b"dt" => Tag::Dt,
            b"dd" => Tag::Dd,
            b"table" => Tag::Table,
            b"thead" => Tag::Thead,
            b"tbody" => Tag::Tbody,
            b"tfoot" => Tag::Tfoot,
            b"tr" => Tag::Tr,
            b"td" => Tag::Td,
            b"th" => Tag::Th,
            b"caption" => Tag::Caption,
            b"pre" => Tag::Pre,
            b"blockquote" => Tag::Blockquote,
            b"figure" => Tag::Figure,
            b"figcaption" => Tag::Figcaption,
            b"a" => Tag::A,
            b"img" => Tag::Img,
            b"time" => Tag::Time,
            b"address" => Tag::Address,
            b"details" => Tag::Details,
            b"summary" => Tag::Summary,
            b"dialog" => Tag::Dialog,
            b"menu" => Tag::Menu,
            b"ruby" => Tag::Ruby,
            b"rt" | b"rp" => Tag::Rt,
            _ => Tag::Other,
        }
    }

    /// Elements without content or end tag.
    fn is_void(self) -> bool {
        matches!(
            self,
            Tag::Meta | Tag::Link | Tag::Br | Tag::Hr | Tag::Img | Tag::Input | Tag::Embed
        )
    }

    /// Elements whose content is raw text up to their end tag.
    fn is_raw_text(self) -> bool {
        matches!(
            self,
            Tag::Script | Tag::Style | Tag::Title | Tag::Textarea | Tag::Iframe | Tag::Noscript
        )
    }

    /// Block elements: they start a new line of output text.
    pub fn is_block(self) -> bool {
        !matches!(
            self,
            Tag::A
                | Tag::Time
                | Tag::Label
                | Tag::Other
                | Tag::Custom
                | Tag::Img
                | Tag::Option
                | Tag::Ruby
                | Tag::Rt
        )
    }

    /// Headings.
    pub fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }

    /// Elements whose start closes an open `<p>` (HTML's "close a p element").
    fn closes_p(self) -> bool {
        matches!(
            self,
            Tag::Address
                | Tag::Article
                | Tag::Aside
                | Tag::Blockquote
                | Tag::Details
                | Tag::Div
                | Tag::Dl
                | Tag::Figcaption
                | Tag::Figure
                | Tag::Footer
                | Tag::Form
                | Tag::Header
                | Tag::Hr
                | Tag::Main
                | Tag::Menu
                | Tag::Nav
                | Tag::Ol
                | Tag::P
                | Tag::Pre
                | Tag::Section
                | Tag::Table
                | Tag::Ul
                | Tag::H1
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
        )
    }
}

/// What a node is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An element.
    Element(Tag),
    /// Text (entities still encoded): `start..end` in the page.
    Text(usize, usize),
}

/// Sentinel for "no node".
pub const NONE: u32 = u32::MAX;

/// A node of the tree, linked to its parent, first child and next sibling by index.
#[derive(Clone, Debug)]
pub struct Node {
    /// Element or text.
    pub kind: Kind,
    /// Parent index (`NONE` for the root).
    pub parent: u32,
    /// First child (`NONE` when none).
    pub first_child: u32,
    /// Last child (`NONE` when none).
    pub last_child: u32,
    /// Next sibling (`NONE` when none).
    pub next: u32,
    /// Lowercased `class` value, then ` #` and the lowercased `id` when there is one
    /// (elements only).
    pub names: Box<str>,
    /// `hidden`, `aria-hidden="true"` or an inline `display:none` / `visibility:hidden`.
    pub hidden: bool,
    /// Index into [`Dom::attrs`] for metadata elements (`meta`, `html`, `time`, `script`,
    /// `link`, elements with `itemprop`), else `NONE`.
    pub attrs: u32,
}

/// A parsed page.
#[derive(Debug, Default)]
pub struct Dom {
    /// Nodes; index 0 is the root. Children always come after their parent.
    pub nodes: Vec<Node>,
    /// Attribute lists of metadata elements, `(lowercased name, raw value)`.
    pub attrs: Vec<Vec<(String, String)>>,
    /// Raw text of `<script type="application/ld+json">` elements.
    pub json_ld: Vec<String>,
    /// True when the node cap was reached and the rest of the page was not parsed.
    pub truncated: bool,
}

/// Limits that keep parsing bounded.
const MAX_DEPTH: usize = 256;

impl Dom {
    /// Children of `n`.
    pub fn children(&self, n: u32) -> Children<'_> {
        Children {
            dom: self,
            next: self.nodes[n as usize].first_child,
        }
    }

    /// The tag of `n`, or `None` for text.
    pub fn tag(&self, n: u32) -> Option<Tag> {
        match self.nodes[n as usize].kind {
            Kind::Element(t) => Some(t),
            Kind::Text(..) => None,
        }
    }

    /// The value of attribute `name` on `n`, when kept.
    pub fn attr(&self, n: u32, name: &str) -> Option<&str> {
        let a = self.nodes[n as usize].attrs;
        if a == NONE {
            return None;
        }
        self.attrs[a as usize]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Parses `page`, stopping (and setting `truncated`) after `max_nodes` nodes.
    pub fn parse(page: &str, max_nodes: usize) -> Dom {
        let mut b = Builder {
            dom: Dom::default(),
            stack: vec![0],
            max_nodes,
            other_names: vec![0],
        };
        b.dom.nodes.push(Node {
            kind: Kind::Element(Tag::Root),
            parent: NONE,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            names: "".into(),
            hidden: false,
            attrs: NONE,
        });
        b.run(page);
        b.dom
    }
}

/// Iterator over a node's children.
pub struct Children<'a> {
    dom: &'a Dom,
    next: u32,
}

impl Iterator for Children<'_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let n = self.next;
        self.next = self.dom.nodes[n as usize].next;
        Some(n)
    }
}

struct Builder {
    dom: Dom,
    stack: Vec<u32>,
    max_nodes: usize,
    /// By node: the tag name (hashed, see [`name_hash`]) of an element the extractor does not
    /// distinguish (`span`, `b`, `font`), whose end tag closes it; 0 for other nodes.
    other_names: Vec<u64>,
}

/// A hash of a tag name, case folded.
fn name_hash(name: &[u8]) -> u64 {
    name.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Void elements among those the extractor does not distinguish: they have no content and
/// no end tag, so they never stay open.
fn other_is_void(name: &[u8]) -> bool {
    [
        &b"wbr"[..],
        b"source",
        b"area",
        b"col",
        b"param",
        b"track",
        b"base",
        b"keygen",
        b"frame",
        b"basefont",
        b"bgsound",
    ]
    .iter()
    .any(|v| v.eq_ignore_ascii_case(name))
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        let j = memchr::memchr2(first, first.to_ascii_uppercase(), &hay[i..])? + i;
        if j + needle.len() > hay.len() {
            return None;
        }
        if hay[j..j + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(j);
        }
        i = j + 1;
    }
    None
}

/// Where the `</script` that ends a script starting at `from` begins, as HTML tokenizes
/// script data: after `<!--` a `<script` opens a nested one whose `</script>` ends only it,
/// until `-->` (`<!-- document.write("<script>...</script>") -->`, and data blobs that hold
/// markup in that form). A plain script ends at its first `</script`.
fn script_end(s: &[u8], from: usize) -> Option<usize> {
    let tag_at = |i: usize, name: &[u8]| {
        s.len() > i + name.len()
            && s[i..i + name.len()].eq_ignore_ascii_case(name)
            && matches!(
                s[i + name.len()],
                b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>'
            )
    };
    // 0: script data, 1: escaped (after `<!--`), 2: double escaped (a `<script` in 1).
    let mut state = 0;
    let mut i = from;
    while let Some(k) = memchr::memchr2(b'<', b'-', &s[i..]) {
        let j = i + k;
        if s[j] == b'-' {
            if state != 0 && s[j..].starts_with(b"-->") {
                state = 0;
                i = j + 3;
            } else {
                i = j + 1;
            }
            continue;
        }
        if state == 0 && s[j..].starts_with(b"<!--") {
            state = 1;
            // The dashes of `<!--` may also begin `-->` (`<!-->`).
            i = j + 2;
        } else if tag_at(j, b"</script") {
            if state == 2 {
                state = 1;
                i = j + 8;
            } else {
                return Some(j);
            }
        } else if state == 1 && tag_at(j, b"<script") {
            state = 2;
            i = j + 7;
        } else {
            i = j + 1;
        }
    }
    None
}

impl Builder {
    /// Closes an unclosed `<head>` when it is the innermost open element but for unknown
    /// ones: a stray `<mbox>` without its end tag stays open, and the body after it must not
    /// end up inside the head.
    fn leave_head(&mut self) {
        let known = self
            .stack
            .iter()
            .rposition(|&n| self.dom.tag(n) != Some(Tag::Other));
        if let Some(i) = known {
            if self.dom.tag(self.stack[i]) == Some(Tag::Head) {
                self.stack.truncate(i);
            }
        }
    }

    /// True for a `<script type="text/template">` (or `text/html`) opened directly inside an
    /// element with `itemprop="articleBody"`: the page says the template is its article text.
    fn template_body(&self, attrs: &[(String, String)]) -> bool {
        let top = *self.stack.last().unwrap_or(&0);
        attrs.iter().any(|(k, v)| {
            k == "type"
                && ["text/template", "text/html"]
                    .iter()
                    .any(|t| v.trim().eq_ignore_ascii_case(t))
        }) && self
            .dom
            .attr(top, "itemprop")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("articlebody"))
    }

    /// Closes the nearest open custom element of this name (its names are its tag name), with
    /// the elements opened inside it; an end tag with none open is ignored.
    fn close_custom(&mut self, name: &[u8]) {
        let found = self.stack.iter().rposition(|&n| {
            self.dom.tag(n) == Some(Tag::Custom)
                && self.dom.nodes[n as usize]
                    .names
                    .as_bytes()
                    .eq_ignore_ascii_case(name)
        });
        if let Some(i) = found {
            self.stack.truncate(i);
        }
    }

    /// The end tag of an element the extractor does not distinguish (`</span>`): closes the
    /// innermost open element of that name, as in browsers, unless a block element (a `<p>`,
    /// a `<div>`) is open inside it, in which case it closes nothing. Left open, a `<span>`
    /// around an image caption would take the paragraphs after it as its children, one level
    /// deeper for every such caption.
    fn close_other(&mut self, name: &[u8]) {
        let h = name_hash(name);
        for i in (1..self.stack.len()).rev() {
            let n = self.stack[i];
            match self.dom.tag(n) {
                Some(Tag::Other) if self.other_names.get(n as usize) == Some(&h) => {
                    self.stack.truncate(i);
                    return;
                }
                Some(t) if !t.is_block() => {}
                _ => return,
            }
        }
    }

    fn top_tag(&self) -> Tag {
        let top = *self.stack.last().unwrap_or(&0);
        self.dom.tag(top).unwrap_or(Tag::Root)
    }

    fn append(&mut self, kind: Kind, names: Box<str>, hidden: bool, attrs: u32) -> Option<u32> {
        if self.dom.nodes.len() >= self.max_nodes {
            self.dom.truncated = true;
            return None;
        }
        let parent = *self.stack.last().unwrap_or(&0);
        let id = self.dom.nodes.len() as u32;
        self.dom.nodes.push(Node {
            kind,
            parent,
            first_child: NONE,
            last_child: NONE,
            next: NONE,
            names,
            hidden,
            attrs,
        });
        self.other_names.push(0);
        let p = &mut self.dom.nodes[parent as usize];
        let last = p.last_child;
        p.last_child = id;
        if last == NONE {
            p.first_child = id;
        } else {
            self.dom.nodes[last as usize].next = id;
        }
        Some(id)
    }

    fn text(&mut self, s: &[u8], start: usize, end: usize) {
        if start < end {
            // Running text cannot be in the head: it starts the body.
            if s[start..end].iter().any(|b| !b.is_ascii_whitespace()) {
                self.leave_head();
            }
            self.append(Kind::Text(start, end), "".into(), false, NONE);
        }
    }

    /// Pops up to and including the nearest open `tag`, unless a `boundary` element comes
    /// first.
    fn close(&mut self, tags: &[Tag], boundary: &[Tag]) -> bool {
        for i in (1..self.stack.len()).rev() {
            let t = self.dom.tag(self.stack[i]).unwrap_or(Tag::Root);
            if tags.contains(&t) {
                self.stack.truncate(i);
                return true;
            }
            if boundary.contains(&t) {
                return false;
            }
        }
        false
    }

    /// Opens an element; `name` is the tag name as written (read for custom elements and
    /// those the extractor does not distinguish).
    fn start_tag(&mut self, tag: Tag, name: &[u8], attrs: Vec<(String, String)>) {
        use Tag::*;
        // Body content ends an unclosed head, as in browsers: a page whose `<head>` is never
        // closed (or is cut off by a broken tag) must not hide its body inside it. Unknown
        // tags (`<base>` among them) do not count.
        if !matches!(
            tag,
            Title | Meta | Link | Script | Style | Noscript | Template | Other
        ) {
            self.leave_head();
        }
        if tag.closes_p() {
            self.close(
                &[P],
                &[Table, Td, Th, Caption, Button, Object, Html, Template],
            );
        }
        match tag {
            Li => {
                self.close(&[Li], &[Ul, Ol, Menu, Table, Td]);
            }
            Dt | Dd => {
                self.close(&[Dt, Dd], &[Dl, Table, Td]);
            }
            Tr => {
                self.close(&[Tr], &[Table, Thead, Tbody, Tfoot]);
            }
            Td | Th => {
                self.close(&[Td, Th], &[Tr, Table]);
            }
            Thead | Tbody | Tfoot => {
                self.close(&[Thead, Tbody, Tfoot], &[Table]);
            }
            Option => {
                self.close(&[Option], &[Select]);
            }
            Rt => {
                // An unclosed `<rt>` ends at the next annotation (and at `</ruby>`).
                self.close(&[Rt], &[Ruby]);
            }
            Body => {
                // A body inside an unclosed head (or a second head) is the body.
                self.close(&[Head], &[]);
            }
            H1 | H2 | H3 | H4 | H5 | H6 if self.top_tag().is_heading() => {
                self.stack.pop();
            }
            _ => {}
        }
        let mut names = String::new();
        if tag == Custom {
            names.push_str(&String::from_utf8_lossy(name).to_ascii_lowercase());
        }
        let mut id = "";
        let mut hidden = false;
        let mut hidden_attr = false;
        let mut keep = false;
        for (k, v) in &attrs {
            match k.as_str() {
                "class" if tag != Custom => push_classes(&mut names, v),
                "id" if tag != Custom => id = v,
                "hidden" => hidden_attr = true,
                // Hidden from screen readers, not from view: a renderer's custom elements
                // (MathJax's formulas) say so of their visual copy.
                "aria-hidden" if tag != Custom => hidden |= v.eq_ignore_ascii_case("true"),
                // AMP's layout for elements shown only on demand (a login box).
                "layout" => hidden |= v.eq_ignore_ascii_case("nodisplay"),
                "style" => {
                    let s: String = v
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    hidden |= s.contains("display:none") || s.contains("visibility:hidden");
                }
                "itemprop" | "property" | "datetime" | "lang" | "rel" => keep = true,
                _ => {}
            }
        }
        // React's streamed segments (`<div hidden id="S:0">`) are shown once the page's
        // scripts move them into their placeholders: they hold the page.
        hidden |= hidden_attr && !streamed_segment(id);
        if !id.is_empty() {
            names.push_str(" #");
            names.push_str(&id.to_ascii_lowercase());
        }
        keep |= matches!(tag, Meta | Html | Time | Script | Link);
        let attrs_ix = if keep {
            self.dom.attrs.push(attrs);
            (self.dom.attrs.len() - 1) as u32
        } else {
            NONE
        };
        let Some(id) = self.append(Kind::Element(tag), names.into(), hidden, attrs_ix) else {
            return;
        };
        let void = tag.is_void() || (tag == Other && other_is_void(name));
        if !void && self.stack.len() < MAX_DEPTH {
            self.stack.push(id);
            if tag == Other {
                if let Some(slot) = self.other_names.get_mut(id as usize) {
                    *slot = name_hash(name);
                }
            }
        }
    }

    fn end_tag(&mut self, tag: Tag) {
        use Tag::*;
        match tag {
            Br => {
                // `</br>` is read as `<br>`, as browsers do.
                self.append(Kind::Element(Br), "".into(), false, NONE);
            }
            Other | Custom => {}
            Html | Body => {}
            P | Li | Dt | Dd | Td | Th | Tr | Option => {
                self.close(&[tag], &[Table, Ul, Ol, Dl, Div, Section, Article, Body]);
            }
            H1 | H2 | H3 | H4 | H5 | H6 => {
                self.close(&[H1, H2, H3, H4, H5, H6], &[]);
            }
            _ => {
                self.close(&[tag], &[]);
            }
        }
    }

    fn run(&mut self, page: &str) {
        let s = page.as_bytes();
        let mut i = 0;
        let mut text_start = 0;
        while let Some(off) = memchr::memchr(b'<', &s[i..]) {
            let lt = i + off;
            let next = s.get(lt + 1).copied().unwrap_or(0);
            if next == b'!' || next == b'?' {
                self.text(s, text_start, lt);
                let end = if s[lt..].starts_with(b"<!--") {
                    find_ci(s, lt + 4, b"-->").map_or(s.len(), |j| j + 3)
                } else {
                    memchr::memchr(b'>', &s[lt..]).map_or(s.len(), |j| lt + j + 1)
                };
                i = end;
                text_start = end;
                continue;
            }
            let closing = next == b'/';
            let name_start = lt + 1 + usize::from(closing);
            let mut j = name_start;
            while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'-' || s[j] == b':') {
                j += 1;
            }
            if j == name_start || !s[name_start].is_ascii_alphabetic() {
                // Not a tag: a literal `<`.
                i = lt + 1;
                continue;
            }
            self.text(s, text_start, lt);
            let tag = Tag::from_name(&s[name_start..j]);
            let (attrs, end) = parse_attrs(page, j, !closing && tag != Tag::Other);
            i = end;
            text_start = end;
            if closing {
                if tag == Tag::Custom {
                    self.close_custom(&s[name_start..j]);
                } else if tag == Tag::Other {
                    self.close_other(&s[name_start..j]);
                }
                self.end_tag(tag);
                continue;
            }
            if tag == Tag::Script && self.template_body(&attrs) {
                // The markup of a client-side template inside the element the page marks as
                // its article body (Blogger renders posts so): parsed as that element's
                // content; the `</script>` after it closes nothing.
                continue;
            }
            let ld_json = tag == Tag::Script
                && attrs.iter().any(|(k, v)| {
                    k == "type" && v.trim().eq_ignore_ascii_case("application/ld+json")
                });
            self.start_tag(tag, &s[name_start..j], attrs);
            if tag == Tag::Custom && s[..end].ends_with(b"/>") {
                // `<x-y/>`: HTML ignores the slash, but an element that never closes would
                // take what follows under its name.
                self.close_custom(&s[name_start..j]);
            }
            if tag.is_raw_text() {
                let name = &s[name_start..j];
                let mut close = Vec::with_capacity(name.len() + 2);
                close.extend_from_slice(b"</");
                close.extend_from_slice(name);
                // An unclosed title ends at the next tag rather than swallowing the page
                // (pages cut or spliced inside their head); other raw text runs to the end.
                let found = if tag == Tag::Script {
                    script_end(s, end)
                } else {
                    find_ci(s, end, &close)
                };
                let body_end = found.unwrap_or(if tag == Tag::Title {
                    memchr::memchr(b'<', &s[end..]).map_or(s.len(), |k| end + k)
                } else {
                    s.len()
                });
                if tag == Tag::Title || tag == Tag::Textarea {
                    self.text(s, end, body_end);
                } else if ld_json && self.dom.json_ld.len() < 16 {
                    self.dom.json_ld.push(page[end..body_end].to_string());
                }
                let after = match found {
                    Some(_) => {
                        memchr::memchr(b'>', &s[body_end..]).map_or(s.len(), |k| body_end + k + 1)
                    }
                    None => body_end,
                };
                if self.top_tag() == tag {
                    self.stack.pop();
                }
                i = after;
                text_start = after;
            }
        }
        self.text(s, text_start, s.len());
    }
}

/// Appends the lowercased class tokens of `class` to `names`, less the taxonomy slugs that
/// blog engines add to a post's list of classes (`category-social-media`,
/// `entry-category-advertising`, `tag-cookies`): they name the post's topics, not what the
/// element is, and a topic named like furniture must not remove the post. Only a list of at
/// least three tokens is so read, so that a lone `tag-list` keeps its name.
fn push_classes(names: &mut String, class: &str) {
    let lower = class.to_ascii_lowercase();
    if !(lower.contains("category-") || lower.contains("tag-")) {
        if !names.is_empty() {
            names.push(' ');
        }
        names.push_str(&lower);
        return;
    }
    let slugs = lower.split_ascii_whitespace().nth(2).is_some();
    for t in lower.split_ascii_whitespace() {
        if slugs
            && ["category-", "tag-", "entry-category-", "entry-tag-"]
                .iter()
                .any(|p| t.starts_with(p))
        {
            continue;
        }
        if !names.is_empty() {
            names.push(' ');
        }
        names.push_str(t);
    }
}

/// Reads attributes from `from` (just after the tag name) to the closing `>`. Returns the
/// attributes (names lowercased; values raw, entities decoded for the few kept) and the index
/// after `>`. With `want` false the attributes are skipped.
/// An id React gives a segment of a page it streams (`S:` and a number): the server sends the
/// segment hidden, after the placeholder it fills.
fn streamed_segment(id: &str) -> bool {
    id.strip_prefix("S:")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn parse_attrs(page: &str, from: usize, want: bool) -> (Vec<(String, String)>, usize) {
    let s = page.as_bytes();
    let mut out = Vec::new();
    let mut i = from;
    loop {
        while i < s.len() && (s[i].is_ascii_whitespace() || s[i] == b'/') {
            i += 1;
        }
        if i >= s.len() {
            return (out, s.len());
        }
        if s[i] == b'>' {
            return (out, i + 1);
        }
        let name_start = i;
        while i < s.len() && !matches!(s[i], b'=' | b'>' | b'/') && !s[i].is_ascii_whitespace() {
            i += 1;
        }
        let name_end = i;
        while i < s.len() && s[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = (0, 0);
        if i < s.len() && s[i] == b'=' {
            i += 1;
            while i < s.len() && s[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < s.len() && (s[i] == b'"' || s[i] == b'\'') {
                let q = s[i];
                let vs = i + 1;
                let ve = memchr::memchr(q, &s[vs..]).map_or(s.len(), |k| vs + k);
                value = (vs, ve);
                i = (ve + 1).min(s.len());
            } else {
                let vs = i;
                while i < s.len() && s[i] != b'>' && !s[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = (vs, i);
            }
        }
        if want && name_end > name_start && out.len() < 32 {
            if let (Some(name), Some(v)) =
                (page.get(name_start..name_end), page.get(value.0..value.1))
            {
                let name = name.to_ascii_lowercase();
                if matches!(
                    name.as_str(),
                    "class"
                        | "id"
                        | "hidden"
                        | "aria-hidden"
                        | "layout"
                        | "style"
                        | "itemprop"
                        | "property"
                        | "name"
                        | "content"
                        | "datetime"
                        | "lang"
                        | "type"
                        | "charset"
                        | "http-equiv"
                        | "rel"
                        | "href"
                ) {
                    let v = super::charref::decode_attribute(v).into_owned();
                    out.push((name, v));
                }
            }
        }
        if i == name_start {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outline(dom: &Dom, n: u32, out: &mut String) {
        match dom.nodes[n as usize].kind {
            Kind::Element(t) => {
                out.push_str(&format!("{t:?}("));
                for c in dom.children(n) {
                    outline(dom, c, out);
                }
                out.push(')');
            }
            Kind::Text(..) => out.push('T'),
        }
    }

    fn shape(page: &str) -> String {
        let dom = Dom::parse(page, 1 << 20);
        let mut s = String::new();
        outline(&dom, 0, &mut s);
        s
    }

    /// React streams a page's segments hidden (`<div hidden id="S:0">`) after their
    /// placeholders and shows them from a script: they are not hidden content.
    #[test]
    fn streamed_segments_are_not_hidden() {
        let dom = Dom::parse(
            r#"<div hidden id="S:0"><p>x</p></div><div hidden id="S:x"></div><div hidden></div>"#,
            100,
        );
        assert!(!dom.nodes[1].hidden);
        assert!(dom.nodes[4].hidden, "not a segment id");
        assert!(dom.nodes[5].hidden);
    }

    #[test]
    fn custom_elements_close_at_their_end_tag_and_carry_their_name() {
        // A custom element closes at its own end tag (with what was left open inside it), so
        // its name covers only its content.
        assert_eq!(
            shape("<div><amp-img><b>a</amp-img>b</div>"),
            "Root(Div(Custom(Other(T))T))"
        );
        assert_eq!(
            shape("<x-a><x-b>a</x-b>b</x-a>c"),
            "Root(Custom(Custom(T)T)T)"
        );
        // A self-closed one (`<x-y/>`) is empty; a stray end tag closes nothing.
        assert_eq!(shape("<p><x-icon/>a</x-other>b</p>"), "Root(P(Custom()TT))");
        let dom = Dom::parse(
            r#"<amp-social-share class="big" id="s" aria-hidden="true"></amp-social-share><amp-lightbox layout="nodisplay">x</amp-lightbox>"#,
            1 << 20,
        );
        // Its name is read, its class and id are not (a renderer's classes are arbitrary),
        // and neither is `aria-hidden`, which hides from screen readers only.
        assert_eq!(&*dom.nodes[1].names, "amp-social-share");
        assert!(!dom.nodes[1].hidden);
        assert!(dom.nodes[2].hidden, "AMP's layout=nodisplay is hidden");
    }

    #[test]
    fn other_elements_close_at_their_end_tag_and_voids_stay_empty() {
        // A `<span>` around an image caption closes at `</span>`: the paragraphs after it are
        // the container's children, not the span's, however many captions come first.
        assert_eq!(
            shape("<div><span><span>c</span></span><p>a</p><span>d</span><p>b</p></div>"),
            "Root(Div(Other(Other(T))P(T)Other(T)P(T)))"
        );
        // `<picture>` closes, and its `<source>` elements have no content.
        assert_eq!(
            shape("<div><picture><source><source><img></picture><p>a</p></div>"),
            "Root(Div(Other(Other()Other()Img())P(T)))"
        );
        // The end tag closes what is open inside the element (`<b>` left open), matches its
        // name in any case, and closes nothing across a block element open inside it or
        // when no such element is open.
        assert_eq!(
            shape("<div><SPAN><b>a</span>b</div>"),
            "Root(Div(Other(Other(T))T))"
        );
        assert_eq!(shape("<span><p>a</span>b</p>c"), "Root(Other(P(TT)T))");
        assert_eq!(shape("<p>a</font>b</p>"), "Root(P(TT))");
    }

    #[test]
    fn implied_end_tags_close_paragraphs_items_and_cells() {
        assert_eq!(shape("<p>a<p>b<div>c</div>"), "Root(P(T)P(T)Div(T))");
        assert_eq!(shape("<ul><li>a<li>b</ul>"), "Root(Ul(Li(T)Li(T)))");
        assert_eq!(
            shape("<table><tr><td>a<td>b<tr><td>c</table>"),
            "Root(Table(Tr(Td(T)Td(T))Tr(Td(T))))"
        );
    }

    #[test]
    fn stray_end_tags_and_raw_text_do_not_derail() {
        assert_eq!(shape("</div><p>a</span></p>"), "Root(P(T))");
        assert_eq!(
            shape("<script>if (a<b) { x = '<div>' }</script><p>t</p>"),
            "Root(Script()P(T))"
        );
        assert_eq!(shape("<!-- <p>x</p> --><p>y"), "Root(P(T))");
        assert_eq!(shape("a < b <3 <p>c"), "Root(TP(T))");
        // An unterminated comment swallows the rest, as in browsers.
        assert_eq!(shape("<p>a<!-- never closed <p>b"), "Root(P(T))");
    }

    /// Script data as browsers tokenize it: after `<!--`, a `<script>` in the script's text
    /// opens a nested one whose `</script>` does not end the outer script (Bleacher Report's
    /// page state holds its articles' embedded players so, and the rest of the blob came out
    /// as the article).
    #[test]
    fn a_script_inside_an_escaped_script_does_not_end_it() {
        assert_eq!(
            shape("<script><!-- document.write('<script>x()</script>'); --></script><p>t</p>"),
            "Root(Script()P(T))"
        );
        assert_eq!(
            shape("<script><!-- a = {\"html\": \"<script src=v.js></script>\", \"n\": 1}</script><p>t"),
            "Root(Script()P(T))"
        );
        // After `<!--` alone, or after `-->`, the first `</script>` ends it.
        assert_eq!(
            shape("<script>var a = '<!--';</script><p>t</p>"),
            "Root(Script()P(T))"
        );
        assert_eq!(
            shape("<script><!-- x() --> '<script>'</script><p>t</p>"),
            "Root(Script()P(T))"
        );
        // `</scripts` is no end tag; an unclosed script runs to the end.
        assert_eq!(
            shape("<script>a</scripts></script><p>t"),
            "Root(Script()P(T))"
        );
        assert_eq!(
            shape("<script><!-- <script> never closed <p>x"),
            "Root(Script())"
        );
    }

    #[test]
    fn body_content_ends_an_unclosed_head() {
        // Pages whose head is never closed (or is cut by a broken tag) lost their whole body
        // to the head, which extraction skips.
        assert_eq!(
            shape("<html><head><title>t</title><meta charset=x><p>a<p>b"),
            "Root(Html(Head(Title(T)Meta())P(T)P(T)))"
        );
        assert_eq!(
            shape("<head><style>x</style>Loose text<div>c</div>"),
            "Root(Head(Style())TDiv(T))"
        );
        assert_eq!(
            shape("<head><link><script></script></head><body><p>a"),
            "Root(Head(Link()Script())Body(P(T)))"
        );
        // `<base>` (void) or a stray `<mbox>` never closed, in an unclosed head, took the body
        // with them.
        assert_eq!(
            shape("<head><title>t</title><base href=/><div><p>a"),
            "Root(Head(Title(T)Other())Div(P(T)))"
        );
        assert_eq!(
            shape("<head><mbox><table><tr><td>a"),
            "Root(Head(Other())Table(Tr(Td(T))))"
        );
        assert_eq!(shape("<head><base>Loose text"), "Root(Head(Other())T)");
    }

    #[test]
    fn unclosed_title_ends_at_the_next_tag() {
        // A page cut inside its title lost the whole body to the title's text.
        assert_eq!(
            shape("<head><title>Cut here<div><p>body</p></div>"),
            "Root(Head(Title(T))Div(P(T)))"
        );
        assert_eq!(shape("<script>never closed <p>x"), "Root(Script())");
    }

    #[test]
    fn taxonomy_slugs_in_long_class_lists_are_not_names() {
        // A blog post in the category "social media" was removed as a share bar.
        let dom = Dom::parse(
            r#"<div class="post type-post category-social-media tag-ads">x</div><div class="tag-list">y</div>"#,
            100,
        );
        assert_eq!(&*dom.nodes[1].names, "post type-post");
        assert_eq!(&*dom.nodes[3].names, "tag-list");
    }

    #[test]
    fn keeps_names_visibility_and_metadata_attributes() {
        let dom = Dom::parse(
            r#"<div class="Post Body" id=main style="display: none"><meta property="og:title" content="A &amp; B"></div>"#,
            100,
        );
        assert_eq!(&*dom.nodes[1].names, "post body #main");
        assert!(dom.nodes[1].hidden);
        assert_eq!(dom.attr(2, "content"), Some("A & B"));
    }

    #[test]
    fn depth_and_node_caps_bound_the_tree() {
        let deep = "<div>".repeat(10_000);
        let dom = Dom::parse(&deep, 1 << 20);
        assert_eq!(dom.nodes.len(), 10_001);
        let dom = Dom::parse(&deep, 500);
        assert!(dom.truncated);
        assert_eq!(dom.nodes.len(), 500);
    }
}
