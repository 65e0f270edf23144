//! WARC input: framing records (reader side) and turning an HTML response into a [`Doc`]
//! (worker side).
//!
//! A WARC file (`.warc`, `.warc.gz` with one gzip member per record, `.warc.zst`) is detected
//! after decompression by its first bytes, `WARC/1.`. The reader thread only frames records
//! by `Content-Length` and keeps `response` records whose HTTP `Content-Type` is HTML (or
//! absent); every other record (requests, metadata, images, PDFs) is counted and skipped. A
//! kept record travels in the batch as a compact entry ([`encode`]): the WARC fields the
//! document needs, the HTTP transfer and content encodings and charset, then the raw HTTP
//! body. The workers undo chunked transfer encoding and gzip, deflate, brotli and zstd compression and decode
//! the charset ([`RecordFormat::parse_warc`](super::record::RecordFormat::parse_warc)), so
//! the single reader thread does no per-byte work beyond copying.
//!
//! A record larger than `input.max_line_bytes` is skipped and reported; a file that ends
//! inside a record behaves like a truncated `.gz`: the records before the cut are kept and
//! the error is reported (exit code 2).

use std::io::{self, BufRead, Read};

/// The prefix of every WARC file.
pub const MAGIC: &[u8] = b"WARC/1.";

/// Longest WARC or HTTP header block accepted.
const MAX_HEADER: usize = 64 << 10;

/// A framed WARC record's header fields.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// `WARC-Type`.
    pub kind: String,
    /// `WARC-Record-ID`.
    pub id: String,
    /// `WARC-Target-URI`.
    pub uri: String,
    /// `WARC-Date`.
    pub date: String,
    /// `Content-Type` of the record block.
    pub content_type: String,
    /// `Content-Length` of the record block.
    pub length: u64,
}

/// Reads header lines up to the blank line. `Ok(None)` at a clean end of input.
pub fn read_header<R: BufRead>(r: &mut R) -> io::Result<Option<Header>> {
    let mut h = Header::default();
    let mut line = Vec::new();
    let mut total = 0usize;
    let mut started = false;
    let mut has_length = false;
    loop {
        line.clear();
        let n = r
            .by_ref()
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            if started {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "file ends inside a WARC header",
                ));
            }
            return Ok(None);
        }
        total += n;
        if total > MAX_HEADER {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "WARC header over 64 KiB",
            ));
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if !started {
            if text.is_empty() {
                continue; // blank lines between records
            }
            if !text.starts_with("WARC/") {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("expected a WARC record, found {:?}", truncate(text, 40)),
                ));
            }
            started = true;
            continue;
        }
        if text.is_empty() {
            break;
        }
        if let Some((k, v)) = text.split_once(':') {
            let v = v.trim();
            match k.trim().to_ascii_lowercase().as_str() {
                "warc-type" => h.kind = v.to_string(),
                "warc-record-id" => h.id = v.trim_matches(['<', '>']).to_string(),
                "warc-target-uri" => h.uri = v.trim_matches(['<', '>']).to_string(),
                "warc-date" => h.date = v.to_string(),
                "content-type" => h.content_type = v.to_string(),
                "content-length" => {
                    h.length = v.parse().map_err(|_| {
                        io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("bad Content-Length {v:?}"),
                        )
                    })?;
                    has_length = true;
                }
                _ => {}
            }
        }
    }
    if !has_length {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "WARC record without Content-Length",
        ));
    }
    Ok(Some(h))
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Reads exactly `len` bytes of a record block into `out`, or fails with `UnexpectedEof`.
pub fn read_block<R: BufRead>(r: &mut R, len: u64, out: &mut Vec<u8>) -> io::Result<()> {
    let got = r.by_ref().take(len).read_to_end(out)?;
    if (got as u64) < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file ends inside a WARC record",
        ));
    }
    Ok(())
}

/// Skips `len` bytes of a record block.
pub fn skip_block<R: BufRead>(r: &mut R, len: u64) -> io::Result<()> {
    let got = io::copy(&mut r.by_ref().take(len), &mut io::sink())?;
    if got < len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file ends inside a WARC record",
        ));
    }
    Ok(())
}

/// An HTTP response's head.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct HttpHead {
    /// `Content-Type`, lowercased.
    pub content_type: String,
    /// `Transfer-Encoding`, lowercased.
    pub transfer_encoding: String,
    /// `Content-Encoding`, lowercased.
    pub content_encoding: String,
    /// Where the body starts in the block.
    pub body: usize,
}

/// Parses the status line and headers of an HTTP response block.
pub fn http_head(block: &[u8]) -> Option<HttpHead> {
    let end = memchr::memmem::find(&block[..block.len().min(MAX_HEADER)], b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| {
            memchr::memmem::find(&block[..block.len().min(MAX_HEADER)], b"\n\n").map(|i| i + 2)
        })?;
    let head = String::from_utf8_lossy(&block[..end]);
    let mut lines = head.lines();
    if !lines.next()?.starts_with("HTTP/") {
        return None;
    }
    let mut h = HttpHead {
        body: end,
        ..HttpHead::default()
    };
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let v = v.trim().to_ascii_lowercase();
            match k.trim().to_ascii_lowercase().as_str() {
                "content-type" => h.content_type = v,
                "transfer-encoding" => h.transfer_encoding = v,
                "content-encoding" => h.content_encoding = v,
                _ => {}
            }
        }
    }
    Some(h)
}

/// True when a response with this HTTP content type is a web page (a missing type counts:
/// the html stage rejects non-HTML payloads itself).
pub fn is_html_type(ct: &str) -> bool {
    ct.is_empty() || ct.contains("html")
}

/// Appends a kept response as a batch entry: header fields one per line, then the HTTP body.
pub fn encode(out: &mut Vec<u8>, h: &Header, http: &HttpHead, block: &[u8]) {
    for f in [
        h.id.as_str(),
        h.uri.as_str(),
        h.date.as_str(),
        http.transfer_encoding.as_str(),
        http.content_encoding.as_str(),
        super::super::clean::html::meta::charset_param(&http.content_type).unwrap_or(""),
    ] {
        out.extend(f.bytes().filter(|&b| b != b'\n'));
        out.push(b'\n');
    }
    out.extend_from_slice(&block[http.body..]);
}

/// A decoded batch entry.
#[derive(Debug, PartialEq, Eq)]
pub struct Response<'a> {
    /// `WARC-Record-ID`.
    pub id: &'a str,
    /// `WARC-Target-URI`.
    pub uri: &'a str,
    /// `WARC-Date`.
    pub date: &'a str,
    /// HTTP charset, when declared.
    pub charset: &'a str,
    /// The body with transfer and content encodings undone.
    pub body: Vec<u8>,
}

/// Reverses [`encode`] and decodes the body; `cap` bounds the decompressed size.
pub fn decode(entry: &[u8], cap: usize) -> Result<Response<'_>, String> {
    let mut fields = [""; 6];
    let mut rest = entry;
    for f in &mut fields {
        let i = memchr::memchr(b'\n', rest).ok_or("malformed entry")?;
        *f = std::str::from_utf8(&rest[..i]).map_err(|_| "header field is not UTF-8")?;
        rest = &rest[i + 1..];
    }
    let [id, uri, date, te, ce, charset] = fields;
    let body = if te.contains("chunked") {
        dechunk(rest).unwrap_or_else(|| rest.to_vec())
    } else {
        rest.to_vec()
    };
    // Codings are listed in the order they were applied ("gzip, br"): undo the last first.
    let mut body = body;
    for coding in ce.rsplit(',').map(str::trim) {
        body = match coding.to_ascii_lowercase().as_str() {
            "gzip" | "x-gzip" => inflate(flate2::read::MultiGzDecoder::new(&body[..]), cap)?,
            "deflate" => {
                // Servers send both zlib-wrapped and raw deflate under this name.
                inflate(flate2::read::ZlibDecoder::new(&body[..]), cap)
                    .or_else(|_| inflate(flate2::read::DeflateDecoder::new(&body[..]), cap))?
            }
            "br" => inflate(brotli_decompressor::Decompressor::new(&body[..], 4096), cap)?,
            "zstd" => inflate(
                zstd::stream::read::Decoder::new(&body[..])
                    .map_err(|e| format!("zstd HTTP body: {e}"))?,
                cap,
            )?,
            "" | "identity" | "none" => body,
            other => {
                return Err(format!(
                    "HTTP body in unsupported Content-Encoding {other:?} (supported: gzip, deflate, br, zstd)"
                ))
            }
        };
    }
    Ok(Response {
        id,
        uri,
        date,
        charset,
        body,
    })
}

fn inflate(r: impl Read, cap: usize) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    r.take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("compressed HTTP body is corrupt ({e})"))?;
    if out.len() > cap {
        return Err(format!(
            "HTTP body decompresses to over {cap} bytes (raise input.max_line_bytes to accept it)"
        ));
    }
    Ok(out)
}

/// Undoes chunked transfer encoding; `None` when the body is not validly chunked (some
/// archivers store the body already de-chunked but keep the header).
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    loop {
        let nl = memchr::memchr(b'\n', b)?;
        let line = std::str::from_utf8(&b[..nl]).ok()?.trim();
        let size = usize::from_str_radix(line.split(';').next()?.trim(), 16).ok()?;
        b = &b[nl + 1..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = &b[size..];
        b = b
            .strip_prefix(b"\r\n")
            .or_else(|| b.strip_prefix(b"\n"))
            .unwrap_or(b);
        if b.is_empty() {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_headers_and_blocks() {
        let data = b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: http://e.com/a\r\nContent-Length: 5\r\n\r\nhello\r\n\r\n";
        let mut r = &data[..];
        let h = read_header(&mut r).unwrap().unwrap();
        assert_eq!(
            (h.kind.as_str(), h.id.as_str(), h.uri.as_str(), h.length),
            ("response", "urn:uuid:1", "http://e.com/a", 5)
        );
        let mut block = Vec::new();
        read_block(&mut r, h.length, &mut block).unwrap();
        assert_eq!(block, b"hello");
        assert_eq!(read_header(&mut r).unwrap(), None);
        let mut cut = &data[..data.len() - 8];
        let h = read_header(&mut cut).unwrap().unwrap();
        assert!(read_block(&mut cut, h.length, &mut Vec::new()).is_err());
    }

    #[test]
    fn decodes_chunked_gzip_bodies() {
        use std::io::Write;
        let page = b"<p>caf\xc3\xa9</p>";
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(page).unwrap();
        let gz = g.finish().unwrap();
        let mut chunked = format!("{:x}\r\n", 7).into_bytes();
        chunked.extend_from_slice(&gz[..7]);
        chunked.extend_from_slice(format!("\r\n{:x}\r\n", gz.len() - 7).as_bytes());
        chunked.extend_from_slice(&gz[7..]);
        chunked.extend_from_slice(b"\r\n0\r\n\r\n");
        let mut block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n".to_vec();
        block.extend_from_slice(&chunked);
        let http = http_head(&block).unwrap();
        assert!(is_html_type(&http.content_type));
        let h = Header {
            id: "r1".into(),
            uri: "http://e.com/".into(),
            ..Header::default()
        };
        let mut entry = Vec::new();
        encode(&mut entry, &h, &http, &block);
        let resp = decode(&entry, 1 << 20).unwrap();
        assert_eq!(resp.body, page);
        assert_eq!(
            (resp.id, resp.uri, resp.charset),
            ("r1", "http://e.com/", "utf-8")
        );
        assert!(decode(&entry, 4).unwrap_err().contains("over 4 bytes"));
    }

    /// An entry for `body` sent with `Content-Encoding: coding`.
    fn entry_with(coding: &str, body: &[u8]) -> Vec<u8> {
        let mut block = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: {coding}\r\n\r\n"
        )
        .into_bytes();
        block.extend_from_slice(body);
        let http = http_head(&block).unwrap();
        let mut entry = Vec::new();
        encode(&mut entry, &Header::default(), &http, &block);
        entry
    }

    #[test]
    fn decodes_brotli_zstd_and_stacked_codings() {
        use std::io::Write;
        let page = "<p>caf\u{e9} au lait</p>".repeat(8);
        // brotli.compress(page, quality=5), from the reference implementation (Brotli 1.2.1).
        let br: [u8; 36] = [
            0x1b, 0x9f, 0x00, 0x00, 0x44, 0x27, 0x47, 0x7a, 0x82, 0x2f, 0xf2, 0xaf, 0xad, 0xad,
            0x2d, 0x08, 0x4a, 0x21, 0xe1, 0x0a, 0x29, 0xc1, 0x8a, 0x5a, 0x89, 0x6d, 0xae, 0xf8,
            0x83, 0x16, 0xa5, 0x9c, 0xc8, 0xfc, 0xc2, 0x01,
        ];
        let e = entry_with("br", &br);
        assert_eq!(decode(&e, 1 << 20).unwrap().body, page.as_bytes());
        assert!(decode(&e, 20).unwrap_err().contains("over 20 bytes"));
        let e = entry_with("br", &br[..20]);
        assert!(decode(&e, 1 << 20).unwrap_err().contains("corrupt"));

        let zst = zstd::encode_all(page.as_bytes(), 3).unwrap();
        assert_eq!(
            decode(&entry_with("zstd", &zst), 1 << 20).unwrap().body,
            page.as_bytes()
        );
        // "gzip, zstd": gzipped first, then zstd-compressed; undone in reverse.
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        g.write_all(page.as_bytes()).unwrap();
        let both = zstd::encode_all(&g.finish().unwrap()[..], 3).unwrap();
        assert_eq!(
            decode(&entry_with("gzip, zstd", &both), 1 << 20)
                .unwrap()
                .body,
            page.as_bytes()
        );
        let err = decode(&entry_with("compress", b"x"), 1 << 20).unwrap_err();
        assert!(
            err.contains("\"compress\"") && err.contains("br, zstd"),
            "{err}"
        );
    }
}
