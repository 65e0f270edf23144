"""Writes an html dev set (JSONL with `id` and `html`, as build_dev.py and build_dev2.py write
them) as a WARC of HTTP responses, one gzip member per record: each page is a `response`
record (`Content-Type: text/html; charset=utf-8`, WARC-Target-URI
`http://dev.example/<id>`), preceded by its `request` record and followed by an image
`response` (a 1x1 PNG), which the reader must count and skip.

    python3 benches/html/to_warc.py DEV.jsonl OUT.warc.gz
"""

import gzip
import json
import sys
import uuid

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def record(kind, uri, block, n):
    rid = uuid.UUID(int=n)
    head = (
        "WARC/1.0\r\n"
        f"WARC-Type: {kind}\r\n"
        f"WARC-Record-ID: <urn:uuid:{rid}>\r\n"
        "WARC-Date: 2024-01-02T03:04:05Z\r\n"
        f"WARC-Target-URI: {uri}\r\n"
        f"Content-Type: application/http; msgtype={kind}\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    ).encode()
    return gzip.compress(head + block + b"\r\n\r\n", mtime=0)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    n = 0
    with open(src, encoding="utf-8") as f, open(dst, "wb") as out:
        for line in f:
            page = json.loads(line)
            uri = f"http://dev.example/{page['id']}"
            body = page["html"].encode("utf-8")
            n += 1
            out.write(record("request", uri, f"GET /{page['id']} HTTP/1.1\r\nHost: dev.example\r\n\r\n".encode(), n))
            n += 1
            http = f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {len(body)}\r\n\r\n"
            out.write(record("response", uri, http.encode() + body, n))
            n += 1
            img = f"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: {len(PNG)}\r\n\r\n"
            out.write(record("response", uri + ".png", img.encode() + PNG, n))


if __name__ == "__main__":
    main()
