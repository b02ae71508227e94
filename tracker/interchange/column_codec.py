"""Database values as JSON and back, decided by each column's SQLAlchemy type.

One :class:`Codec` per kind of column, chosen from the column's declared type
(never by looking at a value), so a dump's encoding of a column is the same for
every row and the reader checks each value against what the column holds:

=================  =========================================  ===========================
column type        in a dump                                  refused on reading
=================  =========================================  ===========================
String, Text       the text (UTF-8)                           not a string, longer than the
                                                              column's length, a lone surrogate,
                                                              not one of the column's values
Integer family     a JSON integer                             not an integer, outside 64 bits
                                                              (16 for SmallInteger)
Float              a JSON number; ``{"float": "nan"}``,       not a number, a marker other
                   ``"inf"`` or ``"-inf"`` for the others     than those three
Boolean            true / false                               anything else
DateTime           ISO 8601 in UTC with ``+00:00``            no time zone, out of range
Date               ``YYYY-MM-DD``                             anything else
LargeBinary        ``{"base64": "..."}``                      another shape, bad base64
JSON               the value as it is                         (anything JSON is accepted)
=================  =========================================  ===========================

A column's allowed values (an enumeration stored as text) are declared on the
model as ``Column.info["one_of"]``; the reader refuses any other value.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

_SURROGATE = re.compile("[\ud800-\udfff]")
_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@dataclass(frozen=True)
class Codec:
    """How one kind of column is written to JSON and checked when read back."""

    kind: str
    encode: Callable[[Any], Any]
    decode: Callable[[Column[Any], Any], Any]


# --- each kind --------------------------------------------------------------------------


def _enc_text(value: Any) -> Any:
    return value


def _dec_text(column: Column[Any], value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    length = getattr(column.type, "length", None)
    if length is not None and len(value) > length:
        raise ValueError(f"is {len(value):,} characters long; the limit is {length:,}")
    if _SURROGATE.search(value):
        raise ValueError("is not valid Unicode (a lone surrogate)")
    allowed: type[Enum] | None = column.info.get("one_of")
    if allowed is not None and value not in {m.value for m in allowed}:
        values = ", ".join(str(m.value) for m in allowed)
        raise ValueError(f"is not one of {values}")
    return value


def _dec_integer(bits: int) -> Callable[[Column[Any], Any], Any]:
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1

    def decode(_column: Column[Any], value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"is outside the {bits}-bit range of the column")
        return value

    return decode


def _enc_float(value: Any) -> Any:
    number = float(value)
    if math.isfinite(number):
        return number
    return {"float": "nan" if math.isnan(number) else ("inf" if number > 0 else "-inf")}


def _dec_float(_column: Column[Any], value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"float"} or value["float"] not in _NON_FINITE:
            raise ValueError('must be a number or {"float": "nan" | "inf" | "-inf"}')
        return _NON_FINITE[value["float"]]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError("is too large for a floating-point number") from None
    if not math.isfinite(number):
        raise ValueError("must be a finite number")
    return number


def _enc_bool(value: Any) -> Any:
    return bool(value)


def _dec_bool(_column: Column[Any], value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _enc_datetime(value: Any) -> Any:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


def _dec_datetime(_column: Column[Any], value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError("timestamp needs a time zone (+00:00)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError("timestamp is out of range in UTC") from None


def _enc_date(value: Any) -> Any:
    return value.isoformat()


def _dec_date(_column: Column[Any], value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be a date YYYY-MM-DD")
    return date.fromisoformat(value)


def _enc_binary(value: Any) -> Any:
    return {"base64": base64.b64encode(bytes(value)).decode("ascii")}


def _dec_binary(_column: Column[Any], value: Any) -> Any:
    if (
        not isinstance(value, dict)
        or set(value) != {"base64"}
        or not isinstance(value["base64"], str)
    ):
        raise ValueError('binary data must be {"base64": "..."}')
    try:
        return base64.b64decode(value["base64"], validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("is not valid base64") from None


def _enc_json(value: Any) -> Any:
    return value


def _dec_json(_column: Column[Any], value: Any) -> Any:
    return value


# Most specific first: BigInteger and SmallInteger are Integers, Text is a String.
_CODECS: tuple[tuple[type[TypeEngine[Any]], Codec], ...] = (
    (LargeBinary, Codec("binary", _enc_binary, _dec_binary)),
    (JSON, Codec("json", _enc_json, _dec_json)),
    (Boolean, Codec("boolean", _enc_bool, _dec_bool)),
    (DateTime, Codec("timestamp", _enc_datetime, _dec_datetime)),
    (Date, Codec("date", _enc_date, _dec_date)),
    (SmallInteger, Codec("integer16", _enc_text, _dec_integer(16))),
    (BigInteger, Codec("integer64", _enc_text, _dec_integer(64))),
    (Integer, Codec("integer64", _enc_text, _dec_integer(64))),
    (Float, Codec("float", _enc_float, _dec_float)),
    (String, Codec("text", _enc_text, _dec_text)),
)


def codec_for(column: Column[Any]) -> Codec:
    """The codec of ``column``'s declared type; a type without one is a programming error."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    for base, codec in _CODECS:
        if isinstance(kind, base):
            return codec
    raise TypeError(  # a new column type needs its codec here before it can be dumped
        f"{column.table.name}.{column.name}: no JSON codec for column type {kind!r}"
    )


def encode(column: Column[Any], value: Any) -> Any:
    """A database value of ``column`` as JSON."""
    return None if value is None else codec_for(column).encode(value)


def decode(column: Column[Any], value: Any) -> Any:
    """A JSON value back to what ``column`` stores; ValueError says why not."""
    if value is None:
        if not column.nullable:
            raise ValueError("must not be null")
        return None
    return codec_for(column).decode(column, value)


__all__ = ["Codec", "codec_for", "decode", "encode"]
