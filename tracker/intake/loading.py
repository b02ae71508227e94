"""Reading an article from a file or a URL into text (pure of the database)."""

from __future__ import annotations

import asyncio
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..config import get_settings
from ..errors import TrackerError, ValidationFailed
from ..linkcheck.links import FetchTooLarge, classify_exception, fetch
from ..linkcheck.netguard import LinkPolicy, guarded_client

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
HTML_TYPES = ("text/html", "application/xhtml+xml")


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


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{source}: not valid UTF-8 at byte {exc.start}") from None


def load_article(source: str, *, policy: LinkPolicy | None = None) -> LoadedArticle:
    """Read a local .txt/.md/.html file or fetch an http(s) URL."""
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.IGNORECASE):
        return _load_url(source, policy or LinkPolicy.from_env())
    path = Path(source)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationFailed(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_ARTICLE_BYTES:
        raise ValidationFailed(f"{source} is larger than {MAX_ARTICLE_BYTES:,} bytes")
    text = _decode(data, source)
    if path.suffix.lower() in (".html", ".htm"):
        body, title = html_to_text(text)
        return LoadedArticle(body, title, None, source)
    return LoadedArticle(text, None, None, source)


def _load_url(url: str, policy: LinkPolicy) -> LoadedArticle:
    settings = get_settings()

    async def go() -> tuple[bytes, str, str]:
        async with guarded_client(
            policy, timeout=settings.http_timeout, user_agent=settings.user_agent
        ) as client:
            return await fetch(client, url, policy, max_bytes=MAX_ARTICLE_BYTES)

    try:
        body, ctype, final = asyncio.run(go())
    except FetchTooLarge as exc:
        raise ValidationFailed(str(exc)) from None
    except httpx.HTTPStatusError as exc:
        raise ValidationFailed(f"{url}: HTTP {exc.response.status_code}") from None
    except (httpx.HTTPError, TrackerError, OSError) as exc:
        kind, message = classify_exception(exc)
        raise ValidationFailed(f"{url}: cannot fetch ({kind}): {message}") from None
    text = _decode(body, url)
    if any(t in ctype.lower() for t in HTML_TYPES) or text.lstrip().lower().startswith(
        "<!doctype html"
    ):
        text, title = html_to_text(text)
        return LoadedArticle(text, title, final, url)
    return LoadedArticle(text, None, final, url)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80] or "article"


def first_title_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().lstrip("#").strip()[:200]
    return "Untitled"
