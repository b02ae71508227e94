"""KeySet: the mapped import's memory of keys it has seen, 16 bytes a key (#10)."""

from __future__ import annotations

from datetime import date

from tracker.interchange import keyset
from tracker.interchange.keyset import KeySet, digest


def test_membership_across_merges_and_the_recent_set(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(keyset, "MERGE_EVERY", 7)  # several merges in a few hundred keys
    keys = [
        (f"claim {i}", None if i % 3 else "someone", date(2026, 1, 1 + i % 28)) for i in range(300)
    ]
    seen = KeySet(keys[:100])
    for key in keys[100:]:
        assert key not in seen
        seen.add(key)
        assert key in seen
    assert len(seen) == 300
    assert all(key in seen for key in keys)  # merged and recent alike
    assert seen.add(keys[0]) is False  # already there: no second entry
    assert len(seen) == 300
    assert seen.add(("claim 300", None, None)) is True
    for other in [
        ("claim 1", "someone", date(2026, 1, 2)),
        ("claim 301", None, None),
        ("", None, None),
    ]:
        assert (other in seen) == (other in set(keys))


def test_keys_that_differ_only_in_type_or_none_are_different() -> None:
    seen = KeySet([("42", None, None)])
    assert ("42", "None", None) not in seen
    assert ("42", None, "2026-01-01") not in seen
    assert ("42", None, None) in seen
    # the same in every process (not Python's salted hash()): blake2b of the repr
    assert digest(("a", None)).hex() == "ece3c2bc454d5ae060212815ed0d5390"
