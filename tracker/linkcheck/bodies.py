"""Reading response bodies within bounds: decoded size, content encodings, charsets.

httpx decodes a whole raw chunk at once, so 64 KiB of gzip can become 64 MB
before any size check sees it. :func:`read_capped` reads the raw stream and
inflates it with zlib's ``max_length``, so no more than the cap (plus one
piece) is ever held, however well the body compresses. Only ``gzip`` and
``deflate`` are asked for (:data:`ACCEPT_ENCODING`) and understood.

:func:`sniff_charset` and :func:`decode_text` turn the bytes into text the way
browsers do: byte-order mark, then the Content-Type charset, then a
``<meta>`` declaration near the top of an HTML page, then UTF-8.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import zlib
from collections.abc import Iterator

import httpx

ACCEPT_ENCODING = "gzip, deflate"
PIECE = 64 * 1024  # most decoded bytes produced per inflate step
META_SCAN = 4096  # how far into an HTML page a <meta> charset is looked for

_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE | re.DOTALL
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers read these labels as windows-1252 (WHATWG Encoding Standard).
_WINDOWS_1252_LABELS = frozenset({"iso8859_1", "latin_1", "ascii", "cp1252"})


class UnsupportedEncoding(Exception):
    """The response uses a Content-Encoding tracker did not ask for."""


class BadBody(Exception):
    """The response body is not valid for its Content-Encoding."""


class _Inflater:
    """One gzip or deflate layer, producing at most :data:`PIECE` bytes per step."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw = False  # deflate without its zlib wrapper
        self._settled = encoding == "gzip"  # the framing is known once bytes decode
        self._d = self._new()

    def _new(self) -> zlib._Decompress:
        if self.encoding == "gzip":
            return zlib.decompressobj(zlib.MAX_WBITS | 16)
        # "deflate" is meant to be zlib-wrapped; some servers send it raw.
        return zlib.decompressobj(-zlib.MAX_WBITS if self._raw else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while pending and not self._d.eof:
            try:
                out = self._d.decompress(pending, PIECE)
            except zlib.error as exc:
                if not self._settled:  # as httpx does: retry the first bytes as raw deflate
                    self._raw = self._settled = True
                    self._d = self._new()
                    continue
                raise BadBody(f"the {self.encoding} body is corrupt ({exc})") from None
            self._settled = True
            if out:
                yield out
            elif self._d.unconsumed_tail == pending:
                return  # no progress (cannot happen with zlib; never spin)
            pending = self._d.unconsumed_tail


class BodyDecoder:
    """Decodes a body's Content-Encoding layers lazily, piece by piece."""

    def __init__(self, content_encoding: str | None) -> None:
        layers = [e.strip().lower() for e in (content_encoding or "").split(",")]
        layers = [e for e in layers if e and e != "identity"]
        unknown = [e for e in layers if e not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise UnsupportedEncoding(f"unsupported Content-Encoding {unknown[0]!r}")
        # Applied last, undone first.
        self._layers = [_Inflater("gzip" if e == "x-gzip" else e) for e in reversed(layers)]

    def feed(self, raw: bytes) -> Iterator[bytes]:
        return self._through(raw, 0)

    def _through(self, data: bytes, level: int) -> Iterator[bytes]:
        if level == len(self._layers):
            if data:
                yield data
            return
        for piece in self._layers[level].feed(data):
            yield from self._through(piece, level + 1)


async def read_capped(response: httpx.Response, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` decoded bytes of ``response`` and whether there was more.

    Reads the raw stream and stops as soon as ``limit`` is passed, so memory
    stays at the cap whatever the compression ratio.
    """
    decoder = BodyDecoder(response.headers.get("content-encoding"))
    body = bytearray()
    try:
        async for raw in response.aiter_raw():
            for piece in decoder.feed(raw):
                body += piece
                if len(body) > limit:
                    del body[limit:]
                    return bytes(body), True
    except httpx.StreamConsumed:  # raised before any chunk
        # A response made from bytes (httpx.MockTransport) was read and decoded then.
        return response.content[:limit], len(response.content) > limit
    return bytes(body), False


async def drain_raw(response: httpx.Response, limit: int) -> None:
    """Read and drop up to ``limit`` raw bytes (lets a small body's connection be reused)."""
    seen = 0
    with contextlib.suppress(httpx.StreamConsumed):  # made from bytes: nothing to drain
        async for raw in response.aiter_raw():
            seen += len(raw)
            if seen >= limit:
                return


def _codec(label: str) -> str | None:
    """Python's codec name for a charset label, or None when it is not a text encoding."""
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name.replace("-", "_")


def header_charset(content_type: str | None) -> str | None:
    m = _HEADER_CHARSET.search(content_type or "")
    return m.group(1) if m else None


def meta_charset(head: bytes) -> str | None:
    m = _META_CHARSET.search(head[:META_SCAN])
    return m.group(1).decode("ascii", "replace") if m else None


def sniff_charset(
    data: bytes, content_type: str | None = None, *, html: bool = False
) -> tuple[str, str]:
    """(label, where it came from): BOM, header, ``<meta>`` (HTML only), else UTF-8."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name, "byte-order mark"
    if label := header_charset(content_type):
        return label, "Content-Type header"
    if html and (label := meta_charset(data)):
        # A page that could declare itself in ASCII is not UTF-16 (WHATWG prescan rule).
        if (_codec(label) or "").startswith("utf_16"):
            return "utf-8", "<meta> charset (utf-16 read as utf-8)"
        return label, "<meta> charset"
    return "utf-8", "default"


def decode_text(data: bytes, label: str) -> str:
    """Decode ``data`` as ``label``; raises LookupError or UnicodeDecodeError."""
    codec = _codec(label)
    if codec is None:
        raise LookupError(label)
    for bom, name in _BOMS:
        if data.startswith(bom) and _codec(name) == codec:
            data = data[len(bom) :]
            break
    if codec in _WINDOWS_1252_LABELS:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return data.decode("latin-1")  # the five bytes cp1252 leaves undefined
    return data.decode(codec)
