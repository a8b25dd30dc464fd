"""Lighter HTTP/1.1 parsing, for upstream responses and client requests.

``http.client`` (and gevent's pywsgi, which borrows it for requests) parses
headers with the email package's ``FeedParser``, which is built for MIME
messages and costs ~40 µs per message: a tenth of a whole proxied request
(bench/RESULTS.md).  ``parse_headers`` reads the header lines straight into
the same ``HTTPMessage``.  ``Response`` is ``http.client.HTTPResponse``
whose ``begin()`` uses it; everything after the head (length-delimited and
chunked bodies, keep-alive) is the stdlib's.

For the gateway's own upstream client (``proxy.providers.direct_transport``),
which has no ``http.client`` underneath: ``parse_response_head`` (a whole
head in one string pass), ``Headers`` (the cheap case-insensitive mapping it
returns) and ``ChunkedDecoder`` (the chunked coding, fed as bytes arrive).
"""
import http.client
import re

from proxy.errors import TooManyHeaders

# http.client's own limits
MAX_LINE = 65536
MAX_HEADERS = 100
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+").fullmatch     # RFC 9110 section 5.6.2
# a request head's field line: CRLF, token ":" value (no CR or LF in it), up to the next CRLF
_REQUEST_FIELDS = re.compile(r"\r\n([!#$%&'*+\-.^_`|~0-9A-Za-z]+):([^\r\n]*)(?=\r\n|\Z)").findall


def split_request_head(head):
    """``(request_line, fields)`` of a request head in its plain shape, or
    None.  ``head``: the head as ISO-8859-1 text, request line and field
    lines joined by CRLF, without the blank line's CRLF; ``fields``:
    ``(name, value)`` pairs, each value as it came after the colon (its
    surrounding whitespace kept).

    The plain shape is every line ended by CRLF, no bare CR or LF, and
    every field line ``token: value`` -- what clients send.  Anything else
    (obsolete line folding, a malformed field line, bare LF line ends) is
    None, for ``parse_headers`` to read line by line and refuse or accept
    exactly as it does.  One regular-expression pass over the whole head,
    instead of a readline, a decode and a partition per line.
    """
    line_end = head.find("\r\n")
    if line_end < 0:
        return (head, []) if "\n" not in head else None
    line = head[:line_end]
    fields = _REQUEST_FIELDS(head, line_end)
    if len(fields) != head.count("\r\n") or "\n" in line:
        return None
    return line, fields


def parse_headers(fp, message_class=http.client.HTTPMessage, *, strict=False,
                  max_headers=MAX_HEADERS, max_line=MAX_LINE):
    """The header block at ``fp`` (up to the blank line) as a ``message_class``
    (an ``http.client.HTTPMessage``).  More than ``max_headers`` fields
    raises ``TooManyHeaders``, a line over ``max_line`` bytes ``LineTooLong``.

    Field values lose surrounding whitespace; obsolete line folding becomes
    one space (RFC 9112 section 5.2).  A line that is not ``token: value``
    is skipped, or with ``strict`` (requests a server reads) refused with
    ``ValueError``: RFC 9112 section 5.1 has servers reject whitespace
    before the colon, a classic request-smuggling vector.  A
    ``message_class`` with a ``from_fields`` class method is built from the
    ``(name, value)`` list in one call instead of a ``set_raw`` per field.
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
    build = getattr(message_class, "from_fields", None)     # takes the list whole
    if build is not None:
        return build(fields)
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


class Headers:
    """A response's header fields, cheap to build: ``items()`` as they came
    (names in the sender's case, a repeated field repeated, as urllib3's
    ``HTTPHeaderDict`` gives them), lookups (``get``, ``[]``, ``in``) by any
    case, a repeated field's values joined with ", " (RFC 9110 section 5.3)."""
    __slots__ = ("_fields", "_by_name")

    def __init__(self, fields=()):
        self._fields = fields = list(fields)
        by_name = {}
        for name, value in fields:
            key = name.lower()
            by_name[key] = f"{by_name[key]}, {value}" if key in by_name else value
        self._by_name = by_name

    def get(self, name, default=None):
        return self._by_name.get(name.lower(), default)

    def __getitem__(self, name):
        return self._by_name[name.lower()]

    def __contains__(self, name):
        return isinstance(name, str) and name.lower() in self._by_name

    def __iter__(self):
        return iter(self._by_name)          # lower-case names, each once

    def __len__(self):
        return len(self._by_name)

    def keys(self):
        return self._by_name.keys()

    def items(self):
        return list(self._fields)

    def __repr__(self):
        return f"Headers({self._fields!r})"


def parse_response_head(head):
    """``(version, status, reason, Headers)`` of a response head: the bytes
    before the blank line (status line and field lines, CRLF or bare LF
    line ends).  ``ValueError`` if the status line is not ``HTTP/1.x NNN``
    or there are more than ``MAX_HEADERS`` fields; a field line that is not
    ``token: value`` is skipped, obsolete line folding becomes one space
    (RFC 9112 sections 4 and 5.2), as ``parse_headers`` does."""
    lines = head.decode("iso-8859-1").replace("\r\n", "\n").split("\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise ValueError(f"malformed status line {lines[0][:100]!r}")
    if len(lines) > MAX_HEADERS + 1:
        raise ValueError(f"got more than {MAX_HEADERS} headers")
    fields = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if fields and line.strip():
                name, value = fields[-1]
                fields[-1] = (name, f"{value} {line.strip()}")
            continue
        name, colon, value = line.partition(":")
        if colon and _TOKEN(name):
            fields.append((name, value.strip(" \t")))
    return version, int(code), reason.strip(), Headers(fields)


_HEX = re.compile(rb"[0-9A-Fa-f]{1,16}").fullmatch
_SIZE, _DATA, _DATA_END, _TRAILER, _DONE = range(5)


class ChunkedDecoder:
    """RFC 9112 section 7.1 chunked transfer coding, decoded as bytes come:
    ``feed(data)`` returns the chunk data it completes or continues (a chunk
    split across reads comes out piece by piece, never held back), ``done``
    once the last chunk and the trailer section (skipped) are in;
    ``leftover`` is what came after.  A malformed chunk size or a chunk not
    followed by CRLF raises ``ValueError``."""
    __slots__ = ("_buf", "_state", "_left", "leftover")

    def __init__(self):
        self._buf, self._state, self._left, self.leftover = b"", _SIZE, 0, b""

    @property
    def done(self):
        return self._state == _DONE

    def feed(self, data):
        buf = self._buf + data if self._buf else data
        out, pos, end, state = [], 0, len(buf), self._state
        while pos < end and state != _DONE:
            if state == _DATA:
                take = min(self._left, end - pos)
                out.append(buf[pos:pos + take])
                pos += take
                self._left -= take
                if not self._left:
                    state = _DATA_END
            elif state == _DATA_END:
                if buf.startswith(b"\r\n", pos):
                    pos += 2
                elif buf.startswith(b"\n", pos):
                    pos += 1
                elif buf.endswith(b"\r") and pos == end - 1:
                    break                                   # the LF is still on its way
                else:
                    raise ValueError("chunk data not followed by CRLF")
                state = _SIZE
            else:                                           # a size or trailer line
                eol = buf.find(b"\n", pos)
                if eol < 0:
                    if end - pos > MAX_LINE:
                        raise ValueError("chunk size line too long")
                    break
                line = buf[pos:eol].rstrip(b"\r")
                pos = eol + 1
                if state == _TRAILER:
                    if not line:
                        state = _DONE
                    continue
                size = line.split(b";", 1)[0].rstrip(b" \t")    # chunk extensions ignored
                if not _HEX(size):
                    raise ValueError(f"malformed chunk size {line[:40]!r}")
                self._left = int(size, 16)
                state = _DATA if self._left else _TRAILER
        self._state = state
        if state == _DONE:
            self._buf, self.leftover = b"", buf[pos:]
        else:
            self._buf = buf[pos:] if pos < end else b""
        return out[0] if len(out) == 1 else b"".join(out)
