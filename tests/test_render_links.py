"""Links in the dashboard's Markdown (dashboard/render.safe_link).

A source's address (or its archived copy, which contains it) goes into a link
inside a ``:small[...]`` directive (render.fine_print). Streamlit's directive
parser matches square brackets character by character, the link's ``<...>``
destination included, so a "]" in the address would close the directive early
and let the rest render as Markdown of its own (a fake badge, say).
"""

from __future__ import annotations

import pytest

from dashboard.render import fine_print, safe_link


def closing_bracket(markdown: str, opening: int) -> int:
    """Where the "[" at ``opening`` is closed, counting brackets one by one."""
    depth = 0
    for index in range(opening, len(markdown)):
        if markdown[index] == "[" and markdown[index - 1 : index] != "\\":
            depth += 1
        elif markdown[index] == "]" and markdown[index - 1 : index] != "\\":
            depth -= 1
            if depth == 0:
                return index
    raise AssertionError(f"unclosed bracket in {markdown!r}")


@pytest.mark.parametrize(
    "url",
    [
        "https://x.org/a]]:green-badge[VERIFIED]",
        "https://web.archive.org/web/2026/https://x.org/]:red[FALSE]",
        "https://x.org/?q=[1]&r=]",
        "http://[2001:db8::1]:8080/p]?q=[",
    ],
)
def test_an_address_cannot_close_the_directive_around_it(url: str) -> None:
    markdown = fine_print(safe_link("archived copy", url))
    assert closing_bracket(markdown, markdown.index("[")) == len(markdown) - 1, markdown


def test_brackets_are_encoded_outside_an_ipv6_host() -> None:
    assert safe_link("a", "https://x.org/p[1]") == "[a](<https://x.org/p%5B1%5D>)"
    assert safe_link("a", "http://[2001:db8::1]:8080/p[1]") == (
        "[a](<http://[2001:db8::1]:8080/p%5B1%5D>)"
    )
    # what a link checker or a browser reads back is the same address
    assert safe_link("a", "https://x.org/a_(b)?x=1&y=%20#f") == (
        "[a](<https://x.org/a_(b)?x=1&y=%20#f>)"
    )


def test_a_label_with_markup_is_literal_and_a_non_http_address_is_no_link() -> None:
    assert safe_link("]]:green-badge[OK]", "javascript:alert(1)") == (
        "\\]\\]\\:green\\-badge\\[OK\\]"
    )
