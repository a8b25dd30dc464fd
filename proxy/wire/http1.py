"""Lighter HTTP/1.1 header parsing, for upstream responses and client requests.

``http.client`` (and gevent's pywsgi, which borrows it for requests) parses
headers with the email package's ``FeedParser``, which is built for MIME
messages and costs ~40 µs per message: a tenth of a whole proxied request
(bench/RESULTS.md).  ``parse_headers`` reads the header lines straight into
the same ``HTTPMessage``.  ``Response`` is ``http.client.HTTPResponse``
whose ``begin()`` uses it; everything after the head (length-delimited and
chunked bodies, keep-alive) is the stdlib's.
"""
import http.client
import re

from proxy.errors import TooManyHeaders

# http.client's own limits
MAX_LINE = 65536
MAX_HEADERS = 100
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch     # RFC 9110 section 5.6.2




def parse_headers(fp, message_class=http.client.HTTPMessage, *, strict=False,
                  max_headers=MAX_HEADERS, max_line=MAX_LINE):
    """The header block at ``fp`` (up to the blank line) as a ``message_class``
    (an ``http.client.HTTPMessage``).  More than ``max_headers`` fields
    raises ``TooManyHeaders``, a line over ``max_line`` bytes ``LineTooLong``.

    Field values lose surrounding whitespace; obsolete line folding becomes
    one space (RFC 9112 section 5.2).  A line that is not ``token: value``
    is skipped, or with ``strict`` (requests a server reads) refused with
    ``ValueError``: RFC 9112 section 5.1 has servers reject whitespace
    before the colon, a classic request-smuggling vector.
    """
    fields = []
    while True:
        line = fp.readline(max_line + 1)
        if len(line) > max_line:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        if len(fields) >= max_headers:
            raise TooManyHeaders(f"got more than {max_headers} headers")
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if text[:1] in (" ", "\t"):
            if fields:
                name, value = fields[-1]
                fields[-1] = (name, f"{value} {text.strip()}")
            continue
        name, colon, value = text.partition(":")
        if colon and _TOKEN(name):
            fields.append((name, value.strip(" \t")))
        elif strict:
            raise ValueError(f"malformed header line {text[:100]!r}")
    message = message_class()
    for name, value in fields:
        message.set_raw(name, value)
    return message


class Response(http.client.HTTPResponse):
    """``http.client.HTTPResponse`` with ``parse_headers`` above; ``begin``
    otherwise follows the stdlib's line by line (Python 3.11-3.13)."""

    def begin(self):
        if self.headers is not None:
            return
        while True:                        # skip interim 100 Continue heads
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            parse_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = parse_headers(self.fp)
        self._frame_body(status)

    def _frame_body(self, status):
        """Chunked, a Content-Length, or read to close (RFC 9112 section 6.3)."""
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding) and encoding.lower() == "chunked"
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
                or 100 <= status < 200 or self._method == "HEAD"):
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True
