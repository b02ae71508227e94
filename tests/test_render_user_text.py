"""md_escape leaves nothing in user text that GitHub-flavoured Markdown turns into a link."""

from __future__ import annotations

import re

import pytest

from dashboard.render import WORD_JOINER, md_escape, safe_link

# The patterns remark-gfm's autolink literals look for in parsed text (escapes resolved).
GFM_AUTOLINKS = [
    re.compile(r"(https?://|www(?=\.))[-.\w]+", re.IGNORECASE | re.ASCII),
    re.compile(r"[-.\w+]+@[-\w]+(?:\.[-\w]+)+", re.ASCII),
]
UNESCAPE = re.compile(r"\\(.)")


@pytest.mark.parametrize(
    "text",
    [
        "https://evil.example/x",
        "see HTTP://EVIL.example",
        "www.evil.example",
        "WWW.evil.example",
        "a@b.example",
        "mailto:a@b.example",
        "ftp://evil.example",
    ],
)
def test_addresses_in_user_text_are_not_autolinks(text: str) -> None:
    parsed = UNESCAPE.sub(r"\1", md_escape(text))  # what the Markdown parser sees
    assert not any(p.search(parsed) for p in GFM_AUTOLINKS), parsed
    assert parsed.replace(WORD_JOINER, "") == text  # and it reads as written


def test_markdown_links_and_html_stay_text_and_sources_stay_links() -> None:
    assert "](" not in md_escape("[x](javascript:alert(1))")
    assert "<" not in md_escape("<b>x</b>").replace("\\<", "")
    link = safe_link("https://source.example/r", "https://source.example/r")
    assert link.endswith("(<https://source.example/r>)")  # the target is untouched
