"""Reading an article from a file or a URL into text (pure of the database).

What is read is bounded: a file must be a regular file of at most
:data:`MAX_ARTICLE_BYTES` (checked on the open descriptor before reading, and
never more than that read); a URL gets the link checker's safety rules, its
decoded body the same cap, and the whole request one total deadline
(``TRACKER_HTTP_TIMEOUT``, or the caller's ``timeout``). Text
is decoded by its byte-order mark, declared charset (Content-Type header, then
an HTML ``<meta>``), else UTF-8.
"""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..config import get_settings
from ..errors import ValidationFailed
from ..linkcheck.bodies import decode_text, sniff_charset
from ..linkcheck.links import (
    FETCH_ERRORS,
    Deadline,
    FetchTooLarge,
    check_timeout,
    classify_exception,
    fetch,
)
from ..linkcheck.netguard import LinkPolicy, guarded_client, shown
from ..localfiles import read_file
from .text import heading_text, is_dateline

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_SUFFIXES = (".html", ".htm", ".xhtml")


@dataclass
class LoadedArticle:
    text: str
    title: str | None
    url: str | None
    source: str


def html_to_text(html: str) -> tuple[str, str | None]:
    """Main article text (Markdown, headings kept) and title, via trafilatura."""
    import trafilatura

    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_comments=False,
        include_tables=True,
        include_formatting=True,
        favor_recall=True,
    )
    if not text or not text.strip():
        raise ValidationFailed("no article text found in the HTML")
    meta = trafilatura.extract_metadata(html)
    return text, (meta.title if meta else None)


def decode_article(data: bytes, source: str, *, content_type: str = "", html: bool) -> str:
    """``data`` as text: by its BOM, declared charset (header, HTML ``<meta>``), else UTF-8."""
    label, where = sniff_charset(data, content_type, html=html)
    try:
        return decode_text(data, label)
    except LookupError:
        raise ValidationFailed(
            f"{source}: unknown charset {label!r} (from the {where}); "
            "save it as UTF-8 or declare a known charset"
        ) from None
    except UnicodeDecodeError as exc:
        hint = "" if where == "default" else f" (charset from the {where})"
        raise ValidationFailed(
            f"{source}: not valid {label} at byte {exc.start}{hint}; "
            "declare its charset or save it as UTF-8"
        ) from None


def _looks_like_html(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def load_article(
    source: str, *, policy: LinkPolicy | None = None, timeout: float | None = None
) -> LoadedArticle:
    """Read a local .txt/.md/.html file or fetch an http(s) URL.

    ``timeout`` is the total deadline of a fetch in seconds (default:
    ``TRACKER_HTTP_TIMEOUT``).
    """
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return _load_url(source, policy or LinkPolicy.from_env(), timeout)
    data = read_file(source, MAX_ARTICLE_BYTES)
    if Path(source).suffix.lower() in HTML_SUFFIXES:
        body, title = html_to_text(decode_article(data, source, html=True))
        return LoadedArticle(body, title, None, source)
    return LoadedArticle(decode_article(data, source, html=False), None, None, source)


def _load_url(url: str, policy: LinkPolicy, timeout: float | None) -> LoadedArticle:
    settings = get_settings()
    seconds = check_timeout(settings.http_timeout if timeout is None else timeout)
    where = shown(url)

    async def go() -> tuple[bytes, str, str]:
        async with guarded_client(
            policy, timeout=seconds, user_agent=settings.user_agent
        ) as client:
            return await fetch(client, url, policy, max_bytes=MAX_ARTICLE_BYTES, timeout=seconds)

    try:
        body, ctype, final = asyncio.run(go())
    except FetchTooLarge as exc:
        raise ValidationFailed(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        raise ValidationFailed(f"{where}: HTTP {exc.response.status_code}") from None
    except Deadline as exc:
        raise ValidationFailed(f"cannot fetch (timeout): {exc}") from None
    except FETCH_ERRORS as exc:
        kind, message = classify_exception(exc)
        message = message.removeprefix(f"{where}: ")  # the URL is named once
        raise ValidationFailed(f"{where}: cannot fetch ({kind}): {message}") from None
    is_html = any(t in ctype.lower() for t in HTML_TYPES) or _looks_like_html(body)
    text = decode_article(body, where, content_type=ctype, html=is_html)
    if is_html:
        text, title = html_to_text(text)
        return LoadedArticle(text, title, final, url)
    return LoadedArticle(text, None, final, url)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "article"


def first_title_line(text: str) -> str:
    """The first line that is neither blank nor a dateline or byline, without ``#``."""
    for line in text.splitlines():
        if line.strip() and not is_dateline(line):
            return heading_text(line.strip())[:200] or "Untitled"
    return "Untitled"
