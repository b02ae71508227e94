"""Checks on values coming from people and files. Pure: no database, no network."""

from __future__ import annotations

import functools
import unicodedata
from enum import StrEnum
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pydantic
from annotated_types import MaxLen

from .errors import UnsafeURL, ValidationFailed
from .models import Source

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound=pydantic.BaseModel)

_ALLOWED_CONTROLS = {"\n", "\t"}


def parse_enum(enum_cls: type[E], value: object, field: str) -> E:
    """``value`` as a member of ``enum_cls``, or an error listing the allowed values."""
    text = str(value).strip() if value is not None else ""
    try:
        return enum_cls(text)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationFailed(f"unknown {field} {text!r}; allowed: {allowed}") from None


def clean_text(
    value: str | None,
    field: str,
    *,
    max_chars: int,
    required: bool = True,
    multiline: bool = True,
) -> str | None:
    """Normalise line endings, trim, and refuse control characters and oversize text."""
    if value is None:
        if required:
            raise ValidationFailed(f"{field} is required")
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{field} must be text, got {type(value).__name__}")
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        if required:
            raise ValidationFailed(f"{field} is required and may not be blank")
        return None
    # isprintable(): no control (Cc) or surrogate (Cs) character at all, the common case
    for index, char in enumerate("" if text.isprintable() else text):
        if (multiline and char in _ALLOWED_CONTROLS) or char == " ":
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (not multiline and char in _ALLOWED_CONTROLS):
            raise ValidationFailed(
                f"{field} contains control character U+{ord(char):04X} at position {index}; "
                "remove it and try again"
            )
    if len(text) > max_chars:
        raise ValidationFailed(
            f"{field} is {len(text):,} characters long; the limit is {max_chars:,}"
        )
    return text


def validate_url(url: str | None, field: str = "url") -> str:
    """An absolute http(s) URL without credentials, or :class:`UnsafeURL`."""
    text = clean_text(url, field, max_chars=max_length(Source, "url"), multiline=False)
    assert text is not None
    if any(ch.isspace() for ch in text):
        raise UnsafeURL(f"{field} {text!r} contains white space")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"the scheme {scheme}:" if scheme else "no scheme (start it with https://)"
        raise UnsafeURL(f"{field} {text!r} has {shown}; only http and https links are allowed")
    if not parts.hostname:
        raise UnsafeURL(f"{field} {text!r} has no host name")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL(f"{field} {text!r} carries credentials; remove the user:password@ part")
    try:
        _ = parts.port
    except ValueError:
        raise UnsafeURL(f"{field} {text!r} has an invalid port") from None
    return text


def is_http_url(url: str | None) -> bool:
    """True when ``url`` may be shown as a link."""
    try:
        validate_url(url)
    except ValidationFailed:
        return False
    return True


@functools.cache
def max_length(model: type[pydantic.BaseModel], field: str) -> int:
    """The limit declared on ``model.field`` with ``Field(max_length=...)``."""
    for item in model.model_fields[field].metadata:
        if isinstance(item, MaxLen):
            return int(item.max_length)
    raise LookupError(f"{model.__name__}.{field} declares no max_length")


def clean_field(
    model: type[pydantic.BaseModel],
    field: str,
    value: str | None,
    *,
    label: str | None = None,
    required: bool = True,
    multiline: bool = True,
) -> str | None:
    """:func:`clean_text` with the limit declared on the model's field."""
    return clean_text(
        value,
        label or field,
        max_chars=max_length(model, field),
        required=required,
        multiline=multiline,
    )


def build(model: type[M], **data: Any) -> M:
    """``model(**data)``, with pydantic's error turned into :class:`ValidationFailed`.

    The message names the field and the limit or rule, never a traceback.
    """
    try:
        return model(**data)
    except pydantic.ValidationError as exc:
        raise ValidationFailed(describe_validation_error(exc)) from None


def describe_validation_error(exc: pydantic.ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err.get("loc", ())) or "value"
        ctx = err.get("ctx") or {}
        if err.get("type") == "string_too_long" and "max_length" in ctx:
            value = err.get("input")
            length = f"{len(value):,} characters long" if isinstance(value, str) else "too long"
            parts.append(f"{field} is {length}; the limit is {int(ctx['max_length']):,}")
        else:
            parts.append(f"{field}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)
