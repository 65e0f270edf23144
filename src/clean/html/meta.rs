//! Page metadata and character decoding for the `html` stage.
//!
//! Metadata comes, in order of preference, from OpenGraph and article `<meta>` tags, JSON-LD
//! (`headline`, `datePublished`, `author`), microdata (`itemprop`), `<time datetime>`, and the
//! `<title>` element; the stage uses it only for fields the record lacks. Bytes (from WARC
//! responses) are decoded by: a byte order mark, else valid UTF-8, else the charset the HTTP
//! header or a `<meta>` in the first 4 KiB declares, else windows-1252; a declaration that the
//! bytes contradict (a page served as Latin-1 that is really UTF-8) is overruled by the bytes.

use super::parse::{Dom, Kind, Tag};

/// Metadata found in a page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Headline or page title.
    pub title: Option<String>,
    /// Every headline the page states (`og:title`, `twitter:title`, JSON-LD `headline`,
    /// `<title>`), each once, `title` first: sites shorten one for search results or social
    /// cards and keep the displayed headline in another.
    pub headlines: Vec<String>,
    /// Publication date as written in the page (usually ISO 8601).
    pub date: Option<String>,
    /// Author name(s).
    pub author: Option<String>,
    /// Declared language (`<html lang>`, `content-language`, `og:locale`).
    pub lang: Option<String>,
}

fn clean(s: &str) -> Option<String> {
    let t: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty() && t.len() < 1000).then_some(t)
}

/// Reads the metadata of a parsed page.
pub fn read(dom: &Dom, page: &str) -> Meta {
    read_with(dom, page, &json_ld_values(dom))
}

/// [`read`] with the page's JSON-LD already parsed ([`json_ld_values`]).
pub fn read_with(dom: &Dom, page: &str, scripts: &[serde_json::Value]) -> Meta {
    let mut m = Meta::default();
    let (mut title_el, mut time_el, mut meta_date, mut meta_author) = (None, None, None, None);
    let mut ld = Meta::default();
    // The `og:title` and `twitter:title` values (the first four); the first is the title.
    let mut metas: Vec<String> = Vec::new();
    for doc in scripts {
        json_ld(doc, &mut ld);
    }
    for (i, node) in dom.nodes.iter().enumerate() {
        let Kind::Element(t) = node.kind else {
            continue;
        };
        let i = i as u32;
        match t {
            Tag::Meta => {
                let key = dom
                    .attr(i, "property")
                    .or_else(|| dom.attr(i, "name"))
                    .or_else(|| dom.attr(i, "itemprop"))
                    .or_else(|| dom.attr(i, "http-equiv"))
                    .unwrap_or("")
                    .to_ascii_lowercase();
                let Some(content) = dom.attr(i, "content").and_then(clean) else {
                    continue;
                };
                match key.as_str() {
                    "og:title" | "twitter:title" if metas.len() < 4 => metas.push(content),
                    "article:published_time"
                    | "datepublished"
                    | "date"
                    | "pubdate"
                    | "publishdate"
                    | "dc.date"
                    | "dc.date.issued"
                    | "dcterms.date"
                    | "sailthru.date"
                    | "parsely-pub-date"
                    | "og:published_time"
                        if meta_date.is_none() =>
                    {
                        meta_date = Some(content)
                    }
                    "author" | "article:author" | "dc.creator" | "parsely-author"
                    | "sailthru.author"
                        if meta_author.is_none() && !content.starts_with("http") =>
                    {
                        meta_author = Some(content)
                    }
                    "content-language" | "og:locale" if m.lang.is_none() => {
                        m.lang = Some(content.replace('_', "-"))
                    }
                    _ => {}
                }
            }
            Tag::Html => {
                if let Some(l) = dom.attr(i, "lang").and_then(clean) {
                    m.lang = Some(l);
                }
            }
            Tag::Title if title_el.is_none() => {
                let mut s = String::new();
                for c in dom.children(i) {
                    if let Kind::Text(a, b) = dom.nodes[c as usize].kind {
                        s.push_str(&page[a..b]);
                    }
                }
                title_el = clean(&super::charref::decode(&s));
            }
            Tag::Time if time_el.is_none() => {
                time_el = dom.attr(i, "datetime").and_then(clean);
            }
            _ => {
                if meta_date.is_none() && dom.attr(i, "itemprop") == Some("datePublished") {
                    meta_date = dom
                        .attr(i, "datetime")
                        .or_else(|| dom.attr(i, "content"))
                        .and_then(clean);
                }
            }
        }
    }
    m.headlines = metas
        .iter()
        .chain(&ld.title)
        .chain(&title_el)
        .fold(Vec::new(), |mut all, t| {
            if !all.contains(t) {
                all.push(t.clone());
            }
            all
        });
    m.title = metas.into_iter().next().or(ld.title).or(title_el);
    m.date = meta_date.or(ld.date).or(time_el);
    m.author = meta_author.or(ld.author);
    m
}

/// The page's JSON-LD scripts, parsed; a script that is not JSON is left out. Raw line
/// breaks and tabs inside strings are invalid JSON, and common in templates' `articleBody`:
/// such a script is read with them as spaces.
pub fn json_ld_values(dom: &Dom) -> Vec<serde_json::Value> {
    dom.json_ld
        .iter()
        .filter_map(|raw| match serde_json::from_str(raw.trim()) {
            Ok(v) => Some(v),
            Err(_) if raw.chars().any(char::is_control) => {
                let spaced: String = raw
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                serde_json::from_str(spaced.trim()).ok()
            }
            Err(_) => None,
        })
        .collect()
}

/// Calls `f` on each object of a parsed JSON-LD script (an object, an array, or an
/// `@graph`; with `deep`, also the objects nested in any value), in document order, at most
/// `limit` values.
pub(super) fn ld_objects<'a>(
    v: &'a serde_json::Value,
    deep: bool,
    limit: usize,
    mut f: impl FnMut(&'a serde_json::Map<String, serde_json::Value>),
) {
    let mut queue = vec![v];
    let mut seen = 0;
    while let Some(v) = queue.pop() {
        seen += 1;
        if seen > limit {
            return;
        }
        match v {
            serde_json::Value::Array(a) => queue.extend(a.iter().rev()),
            serde_json::Value::Object(o) => {
                f(o);
                if deep {
                    queue.extend(o.values().rev().filter(|x| x.is_array() || x.is_object()));
                } else if let Some(g) = o.get("@graph") {
                    queue.push(g);
                }
            }
            _ => {}
        }
    }
}

/// Fills `m` from one JSON-LD script (an object, an array, or an `@graph`), first value wins.
fn json_ld(v: &serde_json::Value, m: &mut Meta) {
    ld_objects(v, false, 64, |o| {
        let s = |k: &str| o.get(k).and_then(|x| x.as_str()).and_then(clean);
        if m.title.is_none() {
            m.title = s("headline");
        }
        if m.date.is_none() {
            m.date = s("datePublished");
        }
        if m.author.is_none() {
            m.author = o.get("author").and_then(author_names);
        }
    });
}

fn author_names(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => clean(s),
        serde_json::Value::Object(o) => o.get("name").and_then(|n| n.as_str()).and_then(clean),
        serde_json::Value::Array(a) => {
            let names: Vec<String> = a.iter().take(8).filter_map(author_names).collect();
            (!names.is_empty()).then(|| names.join(", "))
        }
        _ => None,
    }
}

/// Finds `charset=` in a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<&str> {
    let lower = content_type.to_ascii_lowercase();
    let at = lower.find("charset=")? + 8;
    let rest = &content_type[at..];
    let rest = rest.trim_start_matches(['"', '\'']);
    let end = rest
        .find(|c: char| c == ';' || c == '"' || c == '\'' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end]).filter(|s| !s.is_empty())
}

/// The charset a `<meta>` in the first 4 KiB declares.
fn meta_charset(head: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let head = &head[..head.len().min(4096)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(k) = memchr::memmem::find(&lower[from..], b"charset") {
        let at = from + k + 7;
        from = at;
        let rest = &lower[at..];
        let rest = rest.strip_prefix(b"=").or_else(|| {
            let t = rest.iter().position(|b| !b.is_ascii_whitespace())?;
            rest[t..].strip_prefix(b"=")
        });
        let Some(rest) = rest else { continue };
        let start = rest
            .iter()
            .position(|b| !matches!(b, b' ' | b'"' | b'\''))
            .unwrap_or(rest.len());
        let rest = &rest[start..];
        let end = rest
            .iter()
            .position(|b| matches!(b, b' ' | b'"' | b'\'' | b';' | b'>' | b'/'))
            .unwrap_or(rest.len());
        if let Some(e) = encoding_rs::Encoding::for_label(&rest[..end]) {
            return Some(e);
        }
    }
    None
}

/// Decodes page bytes to text (see the module docs for the order of evidence). Returns the
/// text and the name of the encoding used.
pub fn decode(bytes: &[u8], declared: Option<&str>) -> (String, &'static str) {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (s, _) = enc.decode_without_bom_handling(&bytes[bom..]);
        return (s.into_owned(), enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), "UTF-8");
    }
    let enc = declared
        .and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
        .or_else(|| meta_charset(bytes))
        .filter(|e| {
            *e != encoding_rs::UTF_8 && *e != encoding_rs::UTF_16LE && *e != encoding_rs::UTF_16BE
        })
        .unwrap_or(encoding_rs::WINDOWS_1252);
    let (s, _) = enc.decode_without_bom_handling(bytes);
    (s.into_owned(), enc.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_opengraph_json_ld_time_and_lang() {
        let page = r#"<html lang="de"><head><title>Site | Page</title>
            <meta property="og:title" content="The Headline">
            <script type="application/ld+json">{"@graph":[{"@type":"NewsArticle","datePublished":"2024-05-01T10:00:00Z","author":[{"name":"Ann Lee"},{"name":"Bo Chan"}]}]}</script>
            </head><body><time datetime="2023-01-01">x</time></body></html>"#;
        let dom = Dom::parse(page, 1000);
        let m = read(&dom, page);
        assert_eq!(m.title.as_deref(), Some("The Headline"));
        assert_eq!(m.date.as_deref(), Some("2024-05-01T10:00:00Z"));
        assert_eq!(m.author.as_deref(), Some("Ann Lee, Bo Chan"));
        assert_eq!(m.lang.as_deref(), Some("de"));
        assert_eq!(m.headlines, ["The Headline", "Site | Page"]);
    }

    #[test]
    fn every_stated_headline_is_kept_once() {
        let page = r#"<html><head><title>Robots Cost 6 Jobs Each | Fortune</title>
            <meta property="og:title" content="Robots Cost 6 Jobs Each">
            <meta name="twitter:title" content="Robots Cost 6 Jobs Each">
            <script type="application/ld+json">{"@type":"NewsArticle","headline":"Robots in the Workforce? Each 1 Costs 6 Jobs"}</script>
            </head><body></body></html>"#;
        let m = read(&Dom::parse(page, 1000), page);
        assert_eq!(m.title.as_deref(), Some("Robots Cost 6 Jobs Each"));
        assert_eq!(
            m.headlines,
            [
                "Robots Cost 6 Jobs Each",
                "Robots in the Workforce? Each 1 Costs 6 Jobs",
                "Robots Cost 6 Jobs Each | Fortune"
            ]
        );
        let page = "<html><head></head><body><p>No metadata.</p></body></html>";
        assert!(read(&Dom::parse(page, 1000), page).headlines.is_empty());
    }

    #[test]
    fn json_ld_with_raw_line_breaks_in_strings_is_read() {
        let page = "<html><head><script type=\"application/ld+json\">{\"@type\":\"NewsArticle\",\"headline\":\"Snow on\n the panels\",\"datePublished\":\"2021-02-08\"}</script></head><body></body></html>";
        let dom = Dom::parse(page, 1 << 20);
        let m = read(&dom, page);
        assert_eq!(m.title.as_deref(), Some("Snow on the panels"));
        assert_eq!(m.date.as_deref(), Some("2021-02-08"));
    }

    #[test]
    fn title_element_and_time_are_fallbacks() {
        let page = "<title>A &amp; B</title><p><time datetime='2020-02-02'>Feb</time></p>";
        let dom = Dom::parse(page, 1000);
        let m = read(&dom, page);
        assert_eq!(m.title.as_deref(), Some("A & B"));
        assert_eq!(m.date.as_deref(), Some("2020-02-02"));
        assert_eq!(m.author, None);
    }

    #[test]
    fn decodes_by_bom_bytes_declaration_and_fallback() {
        assert_eq!(decode("café".as_bytes(), Some("iso-8859-1")).0, "café");
        let latin1 = b"<meta charset=\"iso-8859-1\"><p>caf\xe9</p>";
        assert_eq!(
            decode(latin1, None),
            (
                "<meta charset=\"iso-8859-1\"><p>café</p>".into(),
                "windows-1252"
            )
        );
        let koi8 =
            b"<meta http-equiv=Content-Type content='text/html; charset=koi8-r'>\xf0\xd2\xc9";
        assert!(decode(koi8, None).0.ends_with("При"));
        assert_eq!(decode(b"\xff\xfeh\x00i\x00", None).0, "hi");
        assert_eq!(decode(b"caf\xe9", None).0, "café");
        assert_eq!(
            charset_param("text/html; charset=\"Shift_JIS\""),
            Some("Shift_JIS")
        );
    }
}
