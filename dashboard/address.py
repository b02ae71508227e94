"""Checks on the query parameters of a page's address. Pure: no Streamlit.

An address is typed, pasted, bookmarked and shared, so a parameter can hold anything:
a Unicode digit (``str.isdigit()`` accepts "²", ``int()`` reads "٣" as 3), thousands of
digits (``int()`` refuses more than 4,300), a NUL (PostgreSQL refuses it in text) or a
megabyte of text. Each checker returns the value a page may use, in the form the page's
URL writes it, or raises :class:`BadValue` saying why not; :func:`check` applies one
checker per parameter, so :func:`dashboard.state.check_address` can drop what a page
cannot use before any page reads it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping

from tracker.errors import ValidationFailed
from tracker.validation import clean_text

Checker = Callable[[str], str]

MAX_TEXT = 200  # a search, an article slug, an account name in a link
SHOWN = 40  # characters of a refused value repeated in its notice
_NUMBER = re.compile(r"[0-9]{1,12}")  # ASCII digits only, and few enough to read cheaply


class BadValue(ValueError):
    """A parameter the page cannot use. ``keep`` is the usable part, if any (a list of
    statuses with one unknown among them keeps the others)."""

    def __init__(self, reason: str, keep: str | None = None) -> None:
        super().__init__(reason)
        self.keep = keep


def number(highest: int, what: str, *, clamp: bool = False) -> Checker:
    """A whole number from 1 to ``highest``, written in ASCII digits; with ``clamp``, a
    larger one (of at most 12 digits) counts as ``highest`` (a page past the last)."""

    def check(raw: str) -> str:
        if _NUMBER.fullmatch(raw) and clamp and int(raw) > highest:
            return str(highest)
        if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= highest:
            raise BadValue(f"not a {what} (1 to {highest:,})")
        return str(int(raw))

    return check


def text(raw: str) -> str:
    """One line of text: no control character, at most ``MAX_TEXT`` characters."""
    try:
        clean_text(raw, "the value", max_chars=MAX_TEXT, required=False, multiline=False)
    except ValidationFailed as exc:
        raise BadValue(str(exc).removesuffix("; remove it and try again")) from None
    return raw


def flag(raw: str) -> str:
    if raw not in ("0", "1"):
        raise BadValue("use 1 (on) or 0 (off)")
    return raw


def one_of(allowed: tuple[str, ...]) -> Checker:
    def check(raw: str) -> str:
        if raw not in allowed:
            raise BadValue(f"not one of {', '.join(allowed)}")
        return raw

    return check


def some_of(allowed: tuple[str, ...]) -> Checker:
    """A comma-separated list of allowed values; unknown ones are dropped, the rest kept."""

    def check(raw: str) -> str:
        items = [v.strip() for v in raw.split(",") if v.strip()]
        known = [v for v in items if v in allowed]
        if len(known) < len(items):
            bad = ", ".join(shown(v) for v in items if v not in allowed)
            raise BadValue(
                f"{bad} is not one of {', '.join(allowed)}", keep=",".join(known) or None
            )
        return ",".join(known)

    return check


def printable(typed: str) -> str:
    """Typed or pasted text with each control character (a NUL, an escape) replaced by a
    space: what a search box hands to the queries, which refuse them."""
    if typed.isprintable():
        return typed
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in typed)


def shown(raw: str) -> str:
    """A value as a notice repeats it: short, control characters visible."""
    cut = raw if len(raw) <= SHOWN else raw[: SHOWN - 1] + "…"
    return repr(cut)[1:-1]


def check(
    params: Mapping[str, str], checkers: Mapping[str, Checker]
) -> tuple[dict[str, str], list[str]]:
    """The parameters a page may use (``checkers`` names them), and one notice per
    parameter dropped or cut down. An empty value is simply absent."""
    kept: dict[str, str] = {}
    notices: list[str] = []
    for name, raw in params.items():
        checker = checkers.get(name)
        if checker is None:
            notices.append(f"{shown(name)}: not a setting of this page")
            continue
        if raw == "":
            continue
        try:
            kept[name] = checker(raw)
        except BadValue as exc:
            notices.append(f"{name}='{shown(raw)}': {exc}")
            if exc.keep is not None:
                kept[name] = exc.keep
    return kept, notices
