"""Dashboard addresses: every query parameter of every page is checked in one place before
the page reads it; a value the page cannot use is dropped with a short notice and the page
still renders. Search text with a control character never reaches SQL."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from dashboard import address, state
from tracker import queries
from tracker.errors import ValidationFailed
from tracker.models import User

from .conftest import make_accounts
from .test_dashboard_apptest import APP, empty_db, seeded_db  # noqa: F401
from .test_dashboard_apptest import texts as page_texts

NUMBERS = ["²", "٣", "1" * 5000, "-1", "0", "1.5", "1e3", "0x10", " 1", "a\x00"]
IDS = [*NUMBERS, "2147483648"]  # past the largest id: no claim can have it
TEXTS = ["a\x00b", "a\x1bb", "tab\there", "x" * 5000]
FLAGS = ["yes", "2", "¹", "-1", "a\x00"]
ENUMS = ["bogus", "ID", "²", "a\x00b", "x" * 5000]
BAD = {
    "queue": {
        "page": NUMBERS,
        "id": IDS,
        "q": TEXTS,
        "article": ["a\x00b", "x" * 5000],
        "assignee": ["a\x1bb", "x" * 5000],
        "status": ENUMS,
        "type": ["bogus", "a\x00b"],
        "origin": ["ID", "x" * 5000],
        "sort": ENUMS,
        "below": FLAGS,
        "match": ["yes", "¹"],
        "pending": ["2", "a\x00"],
        "desc": ["-1"],
        "zzz": ["1"],
    },
    "claim": {"id": IDS, "q": TEXTS, "page": NUMBERS, "status": ENUMS, "zzz": ["1"]},
    "article": {"claim": IDS, "slug": TEXTS, "zzz": ["1"]},
    "confirm": {"id": ["1"], "q": ["a\x00b"]},
    "overview": {"page": ["²"]},
    "export": {"q": ["a\x00b"]},
    "report": {"slug": ["a\x00b"]},
}
CASES = [
    pytest.param(page, name, value, id=f"{page}-{name}-{address.shown(value)[:12]}")
    for page, params in BAD.items()
    for name, values in params.items()
    for value in values
]


def open_page(view: str, user: str = "ana", /, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.session_state["signed_in"] = {
        "name": user,
        "role": "editor" if user == "editor" else "reviewer",
    }
    at.run()
    at.query_params.update(query)
    at.switch_page(f"views/{view}.py").run()
    return at


def shown(at: AppTest) -> str:
    return page_texts(at) + "\n" + "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize(("page", "name", "value"), CASES)
def test_a_bad_parameter_is_dropped_with_a_notice_and_the_page_renders(
    seeded_db: Engine,  # noqa: F811
    page: str,
    name: str,
    value: str,
) -> None:
    at = open_page(page, "editor", **{name: value})
    assert not at.exception, [e.message for e in at.exception]
    assert at.title  # the page itself, not an error instead of it
    notices = [w.value for w in at.warning if "Ignored in the link" in w.value]
    assert len(notices) == 1, shown(at)
    assert len(notices[0]) < 400  # short: a 5,000-character value is not repeated whole
    assert name not in dict(at.query_params)  # the address no longer carries it


@pytest.mark.parametrize(
    ("page", "query"),
    [
        ("queue", {"page": "2", "q": "HBM4", "status": "unreviewed", "sort": "score"}),
        ("queue", {"desc": "1", "below": "0", "assignee": "me", "article": "x-y"}),
        ("claim", {"id": "3", "status": "verified,flagged"}),
        ("article", {"claim": "3"}),
    ],
)
def test_good_parameters_pass_without_a_notice(
    seeded_db: Engine,  # noqa: F811
    page: str,
    query: dict[str, str],
) -> None:
    at = open_page(page, **query)
    assert not at.exception, [e.message for e in at.exception]
    assert not [w.value for w in at.warning if "Ignored in the link" in w.value]


def test_an_empty_parameter_is_simply_absent(seeded_db: Engine) -> None:  # noqa: F811
    at = open_page("queue", page="", q="")
    assert not at.exception
    assert not [w.value for w in at.warning if "Ignored" in w.value]
    assert "**110** claims match" in shown(at)


def test_a_list_keeps_its_known_values(seeded_db: Engine) -> None:  # noqa: F811
    at = open_page("queue", status="verified,²,unreviewed")
    assert dict(at.query_params)["status"] == "verified,unreviewed"
    assert at.multiselect(key="f_status").value == ["verified", "unreviewed"]
    assert "²" in "".join(w.value for w in at.warning)


@pytest.mark.parametrize("value", ["²", "٣", "1" * 5000, "99999999999999"])
def test_number_accepts_only_ascii_digits_in_range(value: str) -> None:
    with pytest.raises(address.BadValue):
        address.number(state.MAX_PAGE, "page number")(value)
    assert address.number(state.MAX_PAGE, "page number")("007") == "7"
    assert address.number(99, "page number", clamp=True)("100000") == "99"  # the last page


def test_a_control_character_typed_into_the_search_is_not_sent_to_sql(
    seeded_db: Engine,  # noqa: F811
) -> None:
    at = open_page("queue")
    at.text_input(key="f_search").input("HBM4\x00").run()
    assert not at.exception, [e.message for e in at.exception]
    assert "HBM4" in shown(at) and "0** claims" not in shown(at)


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "x" * 1001])
@pytest.mark.parametrize("field", ["search", "article", "assignee"])
def test_filter_text_that_sql_cannot_take_is_refused_on_both_databases(
    seeded: Session, field: str, text: str
) -> None:
    with pytest.raises(ValidationFailed, match=field):
        queries.count_claims(session=seeded, filters=queries.ClaimFilter(**{field: text}))
    with pytest.raises(ValidationFailed, match="search"):
        queries.list_references(session=seeded, search=text)


def test_the_queue_address_with_a_nul_renders_on_both_databases(
    seeded: Session, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = seeded.get_bind()
    if seeded.exec(select(User).where(User.name == "ana")).first() is None:
        make_accounts(engine)  # type: ignore[arg-type]
    monkeypatch.setenv("TRACKER_DATABASE_URL", db_url)
    at = open_page("queue", q="a\x00b", page="²")
    assert not at.exception, [e.message for e in at.exception]
    assert len([w for w in at.warning if "Ignored in the link" in w.value]) == 2
    assert "**110** claims match" in shown(at)
