"""A lived-in database: a desk's record after weeks of use, made only through the use cases.

``build_lived_in(engine)`` fills a migrated, empty database the way the CLI and
the dashboard would: accounts of every role with passwords (one disabled),
failed sign-ins and web sessions; the seed article; three more articles
imported and then revised (a figure changed, a sentence replaced, one deleted,
a paragraph inserted so the rest move); curated and extracted claims, a
promoted candidate; claims in every status; sources of every stance, their
links checked against a real HTTP server on 127.0.0.1 and archived; notes,
confirmations, reopenings, ratings, edits; assignments and bulk updates; a
reference library from a ClaimReview JSON-LD feed and a TSV; claim vectors and
stored matches; another desk's verdicts imported into a collection. It is
deterministic: each build holds the same rows, ids and texts, on SQLite and on
PostgreSQL, but for timestamps, salted password hashes, request times and the
clock in the matches' stamp (tests/test_lived_in_templates.py checks it).

The returned :class:`LivedIn` names the rows other tests look for.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tracker import services
from tracker.errors import PermissionDenied
from tracker.intake.loading import LoadedArticle
from tracker.interchange.mapping import parse_map
from tracker.linkcheck.netguard import LinkPolicy
from tracker.models import Article, Claim, ClaimCreate, ClaimUpdate, Origin, RatingUpdate
from tracker.services import accounts

from .linkserver import Served, serve

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
DATA = Path(__file__).resolve().parent / "data"
FEED = DATA / "claimreview_feed.json"
FACTCHECKS_TSV = DATA / "livedin_factchecks.tsv"

# Every account signs in with "<name>-password!" (at least ten characters).
ROLES = {
    "admin": "admin",
    "ana": "reviewer",
    "bob": "reviewer",
    "carol": "reviewer",
    "editor": "editor",
    "eve": "editor",
    "victor": "viewer",
    "dora": "reviewer",  # disabled
}
DISABLED = "dora"


def password(name: str) -> str:
    return f"{name}-password!"


def session_token(name: str) -> str:
    """A fixed token of the shape new_token() makes, so every build stores the same hash."""
    return f"livedin-{name}".ljust(43, "0")


# --- articles: (slug, title, first text, revised text) ----------------------------------

CHIPS_V1 = """\
# Chip makers report record quarter

Revenue dipped 1.4% in the third quarter, the company said on Tuesday.
The firm shipped 2 million accelerators in 2025, according to its annual report.
Analysts at three banks expect margins of 61% next year.
The chief executive said the new fab in Arizona will open in 2027.
Memory prices rose 18% since January, traders said.
Shares closed 3% higher on Wednesday after the results.
"""

# A paragraph inserted at the top moves every quote; 1.4% becomes 2.4% (the verdict's
# quote is lost); the fab sentence is replaced; the memory sentence is deleted.
CHIPS_V2 = """\
# Chip makers report record quarter

Updated on Thursday with comments from the company.

Revenue dipped 2.4% in the third quarter, the company said on Tuesday.
The firm shipped 2 million accelerators in 2025, according to its annual report.
Analysts at three banks expect margins of 61% next year.
The chief executive said the Arizona plant is delayed until 2029, citing permits.
Shares closed 3% higher on Wednesday after the results.
"""

GRID_V1 = """\
# Grid operators brace for a hot summer

Peak demand reached 48 gigawatts last July, the grid operator said.
Solar output grew by 35% in 2025, according to the national statistics office.
About 1.2 million homes were without power during the June storm.
The regulator approved 900 million euros for new transmission lines.
"""

GRID_V2 = """\
# Grid operators brace for a hot summer

Peak demand reached 51 gigawatts last July, the grid operator said.
Solar output grew by 35% in 2025, according to the national statistics office.
About 1.2 million homes were without power during the June storm.
The regulator approved 900 million euros for new transmission lines.
Battery storage capacity doubled to 4 gigawatts in a year, the operator said.
"""

RAIL_V1 = """\
# Rail ridership recovers

Passenger numbers rose 12% in 2025 to 1.9 billion journeys, the ministry said.
Punctuality fell to 68% in December, the lowest in a decade.
The new line cut travel times between the two cities by 40 minutes.
Commuters said they hoped the trend would continue.
Some riders prefer the quiet carriages.
"""

ARTICLES = (
    ("chips-record-quarter", "Chip makers report record quarter", CHIPS_V1, CHIPS_V2),
    ("grid-hot-summer", "Grid operators brace for a hot summer", GRID_V1, GRID_V2),
    ("rail-ridership", "Rail ridership recovers", RAIL_V1, None),
)
REVISED = "chips-record-quarter"
COLLECTION = "other-desk"
OTHER_DESK = (
    "Ferry fares rose 9% in 2025.\tMostly True\n"
    'The mayor said "no new taxes" twice.\tPants on Fire\n'
    "Tram ridership doubled since 2020.\t\n"
)
LOST_QUOTE = "Revenue dipped 1.4% in the third quarter"


@dataclass
class LivedIn:
    """Ids and names of the rows other tests look for."""

    # every article slug: the seed's, the imported ones, the collection
    articles: list[str] = field(default_factory=list)
    revised_article: str = REVISED
    collection: str = COLLECTION  # claims imported from another desk, without text
    lost_quote_claim: int = 0  # verified, confirmed and rated on a quote a revision removed
    deleted_quote_claim: int = 0  # its sentence was deleted by the revision
    relocated_claim: int = 0  # its quote moved in the revision
    rated_claim: int = 0  # published: confirmed, rated, summarised, quote present
    confirmed_claim: int = 0
    reopened_claim: int = 0  # confirmed, then moved back to in review
    flagged_claim: int = 0
    dismissed_claim: int = 0
    in_review_claim: int = 0
    candidate_claim: int = 0  # a below-threshold candidate left as it is
    promoted_claim: int = 0
    curated_claim: int = 0  # created by an editor on an imported article
    edited_claim: int = 0  # edited after its confirmation (cleared)
    assigned: dict[int, str] = field(default_factory=dict)
    disabled_account: str = DISABLED
    passwords: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # account -> live session token
    link_base: str = ""  # the local server the sources point at
    references: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # one example claim per status


# --- the local web the sources live on ---------------------------------------------------

_server_lock = threading.Lock()
_server: Served | None = None
_server_stack = ExitStack()
# Stopped before the interpreter's shutdown, while its thread still runs.
atexit.register(_server_stack.close)


def link_server() -> Served:
    """One real HTTP server per test process, so every build stores the same URLs."""
    global _server
    with _server_lock:
        if _server is None:
            _server = _server_stack.enter_context(serve())
        return _server


def wayback_client() -> httpx.Client:
    """The Wayback availability API, answered in-process: a snapshot for every ``/ok`` page."""

    def handle(request: httpx.Request) -> httpx.Response:
        url = request.url.params.get("url", "")
        if "/ok" in url:
            return httpx.Response(
                200,
                json={
                    "archived_snapshots": {
                        "closest": {
                            "available": True,
                            "url": f"http://web.archive.org/web/20260301120000/{url}",
                            "timestamp": "20260301120000",
                            "status": "200",
                        }
                    }
                },
            )
        return httpx.Response(200, json={"archived_snapshots": {}})

    return httpx.Client(transport=httpx.MockTransport(handle))


# --- building ---------------------------------------------------------------------------


def _claim_quoting(s: Session, slug: str, words: str) -> int:
    article = s.exec(select(Article).where(Article.slug == slug)).one()
    ids = [
        c.id
        for c in s.exec(
            select(Claim).where(Claim.article_id == article.id).order_by(Claim.id)  # type: ignore[arg-type]
        )
        if words in c.quote
    ]
    assert ids, f"no claim of {slug} quotes {words!r}"
    return ids[0] or 0


def _version(s: Session, claim_id: int) -> int:
    s.expire_all()
    claim = s.get(Claim, claim_id)
    assert claim is not None
    return claim.version


def _source(s: Session, claim_id: int, url: str, stance: str, actor: str = "ana") -> None:
    services.add_source(
        session=s, claim_id=claim_id, url=url, stance=stance, actor=actor, title=f"{stance} page"
    )


def _review(
    s: Session,
    claim_id: int,
    status: str,
    actor: str,
    *,
    reason: str | None = None,
    note: str | None = None,
) -> None:
    services.review_claim(
        session=s,
        claim_id=claim_id,
        status=status,
        actor=actor,
        expected_version=_version(s, claim_id),
        reason=reason,
        note=note,
    )


def _confirm(s: Session, claim_id: int, actor: str) -> None:
    services.confirm_verdict(
        session=s, claim_id=claim_id, actor=actor, expected_version=_version(s, claim_id)
    )


def _rate(s: Session, claim_id: int, rating: str, summary: str, actor: str = "editor") -> None:
    services.rate_claim(
        session=s,
        claim_id=claim_id,
        changes=RatingUpdate(rating=rating, verdict_summary=summary),
        actor=actor,
        expected_version=_version(s, claim_id),
    )


@contextmanager
def quick_password_hashing() -> Iterator[None]:
    """Argon2 at its cheapest while building: real hashes (their parameters are in the
    hash, so sign-in verifies them as usual, and rehashes on the first sign-in), but
    milliseconds instead of a second each on a loaded machine."""
    real = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    try:
        yield
    finally:
        accounts._hasher = real


def _accounts(s: Session, out: LivedIn) -> None:
    for name, role in ROLES.items():
        services.create_user(
            session=s,
            name=name,
            role=role,
            actor=None if name == "admin" else "admin",
            password=password(name),
            email=f"{name}@desk.example",
        )
        out.passwords[name] = password(name)
    services.disable_user(session=s, name=DISABLED, actor="admin")
    # failed sign-ins: a wrong password for a known name, an unknown name, a disabled one
    for name, wrong in (("bob", "not-his-password"), ("mallory", "guess-guess"), (DISABLED, "x")):
        with pytest.raises(PermissionDenied):
            services.authenticate(session=s, name=name, password=wrong)
    user = services.authenticate(session=s, name="ana", password=password("ana"))
    assert user.session_epoch is not None
    for name in ("ana", "editor", "victor", "admin"):
        epoch = services.session_epoch(session=s, name=name)
        assert epoch is not None
        new = services.start_session(session=s, name=name, epoch=epoch, token=session_token(name))
        out.sessions[name] = new.token


def _import(s: Session, slug: str, title: str, text: str) -> services.ArticleImportReport:
    return services.import_article(
        session=s,
        source=LoadedArticle(text=text, title=title, url=None, source=f"{slug}.md"),
        actor="editor",
        slug=slug,
        publisher="Desk Wire",
        url=f"https://news.example/{slug}",
    )


def _seed_work(s: Session, base: str, out: LivedIn) -> None:
    """Reviews on the seed article's claims: every status, every stance, second reviews."""
    ok, gone, broken, moved = f"{base}/ok", f"{base}/404", f"{base}/500", f"{base}/r1"
    # (the server answers /404, /500 and /r1 exactly; any path under /ok)
    # 1: verified, confirmed, rated and summarised: published
    _source(s, 1, f"{ok}/aws-announcement", "supports")
    _source(s, 1, moved, "context", actor="bob")
    _review(s, 1, "verified", "ana")
    _confirm(s, 1, "editor")
    _rate(s, 1, "True", "The company's own announcement says so.")
    out.rated_claim = out.confirmed_claim = 1
    # 2: flagged false with a refuting source, confirmed, rated False
    _source(s, 2, f"{ok}/analyst-note", "refutes", actor="bob")
    _review(s, 2, "flagged", "bob", reason="false", note="The analyst note says otherwise.")
    _confirm(s, 2, "eve")
    _rate(s, 2, "False", "Analysts contradict the figure.", actor="eve")
    out.flagged_claim = 2
    # 3: in review, taken by carol
    services.assign_claim(
        session=s, claim_id=3, assignee="carol", actor="carol", expected_version=_version(s, 3)
    )
    _review(s, 3, "in_review", "carol")
    out.in_review_claim = 3
    out.assigned[3] = "carol"
    # 4: dismissed with a note
    _review(s, 4, "dismissed", "ana")
    services.add_note(session=s, claim_id=4, body="An opinion, not a checkable claim.", actor="ana")
    out.dismissed_claim = 4
    # 5: flagged misleading on a context source, left unconfirmed
    _source(s, 5, gone, "context")
    services.add_note(session=s, claim_id=5, body="The figure omits 2025.", actor="ana")
    _review(s, 5, "flagged", "ana", reason="misleading")
    # 6: verified, confirmed, then reopened by an editor, then verified again (unconfirmed)
    _source(s, 6, f"{ok}/filing", "supports")
    _review(s, 6, "verified", "ana")
    _confirm(s, 6, "eve")
    _review(s, 6, "in_review", "editor", note="Reopened: the filing was amended.")
    out.reopened_claim = 6
    # 7: flagged unverifiable, then the reason changed to needs_editor
    services.add_note(session=s, claim_id=7, body="No primary source found.", actor="bob")
    _review(s, 7, "flagged", "bob", reason="unverifiable")
    _review(s, 7, "flagged", "editor", reason="needs_editor", note="Needs the editor's call.")
    # 8: verified and confirmed, then its text edited (the confirmation is cleared)
    _source(s, 8, broken, "supports", actor="carol")
    _review(s, 8, "verified", "carol")
    _confirm(s, 8, "editor")
    claim8 = s.get(Claim, 8)
    assert claim8 is not None
    services.update_claim(
        session=s,
        claim_id=8,
        changes=ClaimUpdate(claim=claim8.claim + " (as reported)"),
        actor="eve",
        expected_version=_version(s, 8),
    )
    out.edited_claim = 8
    # 9: flagged outdated, rated Unverifiable without a summary; 10: unreviewed after a reopen
    services.add_note(session=s, claim_id=9, body="Superseded by the 2026 figures.", actor="ana")
    _review(s, 9, "flagged", "ana", reason="outdated")
    _rate(s, 9, "Unverifiable", "Too old to check.")
    _review(s, 10, "in_review", "bob")
    _review(s, 10, "unreviewed", "bob")
    # assignment: an editor assigns, then bulk assignment and a bulk dismissal
    services.assign_claim(
        session=s, claim_id=11, assignee="bob", actor="editor", expected_version=_version(s, 11)
    )
    out.assigned[11] = "bob"
    services.bulk_update(
        session=s,
        versions={cid: _version(s, cid) for cid in (12, 13, 14)},
        action="assign",
        assignee="ana",
        actor="editor",
    )
    out.assigned.update({12: "ana", 13: "ana", 14: "ana"})
    services.bulk_update(
        session=s,
        versions={cid: _version(s, cid) for cid in (15, 16)},
        action="start_review",
        actor="carol",
    )
    services.bulk_update(
        session=s,
        versions={cid: _version(s, cid) for cid in (17, 18, 1)},  # 1 is refused: a verdict
        action="dismiss",
        note="duplicate of claim 1",
        actor="editor",
    )
    for cid in (20, 21, 22):
        services.add_note(session=s, claim_id=cid, body=f"Looked at claim {cid}.", actor="carol")


def _article_work(s: Session, out: LivedIn) -> None:
    """Three imported articles, worked on, then two of them revised."""
    for slug, title, v1, _ in ARTICLES:
        _import(s, slug, title, v1)
        out.articles.append(slug)
    # the verdict the revision will orphan: verified, confirmed, rated True on 1.4%
    lost = _claim_quoting(s, REVISED, "Revenue dipped 1.4%")
    _source(s, lost, f"{link_server().base}/ok/earnings", "supports")
    _review(s, lost, "verified", "ana")
    _confirm(s, lost, "eve")
    _rate(s, lost, "True", "The quarterly filing shows a 1.4% dip.")
    out.lost_quote_claim = lost
    deleted = _claim_quoting(s, REVISED, "Memory prices rose 18%")
    services.add_note(session=s, claim_id=deleted, body="Which traders?", actor="bob")
    out.deleted_quote_claim = deleted
    moved = _claim_quoting(s, REVISED, "Shares closed 3% higher")
    _review(s, moved, "in_review", "bob")
    out.relocated_claim = moved
    # a curated claim an editor wrote on an imported article
    article = s.exec(select(Article).where(Article.slug == "grid-hot-summer")).one()
    quote = "About 1.2 million homes were without power"
    start, end = services.locate_quote(article, quote)
    curated = services.create_claim(
        session=s,
        data=ClaimCreate(
            article="grid-hot-summer",
            claim="1.2 million homes lost power in the June storm.",
            quote=quote,
            quote_start=start,
            quote_end=end,
            claim_type="statistic",
        ),
        actor="editor",
    )
    out.curated_claim = curated.id
    # candidates: one promoted, one left below the threshold
    below = list(
        s.exec(
            select(Claim.id)
            .where(Claim.origin == Origin.extracted.value, Claim.below_threshold)
            .order_by(Claim.id)  # type: ignore[arg-type]
        )
    )
    if len(below) >= 2:
        services.promote_candidate(session=s, claim_id=below[0] or 0, actor="carol")
        out.promoted_claim, out.candidate_claim = below[0] or 0, below[1] or 0
    # the revisions
    for slug, title, _, v2 in ARTICLES:
        if v2 is not None:
            _import(s, slug, title, v2)
    # another desk's verdicts, imported by position into a collection (claims without text)
    services.import_mapped_csv(
        session=s,
        actor="editor",
        mapping=parse_map(["claim=1", "label=2"]),
        article=COLLECTION,
        data=OTHER_DESK.encode("utf-8"),
        delimiter="\t",
        header=False,
    )
    out.articles.append(COLLECTION)


def _library(s: Session, out: LivedIn) -> None:
    for path in (FEED, FACTCHECKS_TSV):
        report = services.import_references(session=s, path=path, actor="editor")
        out.references += report.added
    while services.refresh_matches(session=s, limit=None).pending:
        pass


def build_lived_in(engine: Engine) -> LivedIn:
    """Fill the migrated, empty database behind ``engine``; return what is where."""
    out = LivedIn()
    server = link_server()
    out.link_base = server.base
    with Session(engine, expire_on_commit=False) as s, quick_password_hashing():
        _accounts(s, out)
        services.seed(session=s, seeds_dir=SEEDS)
        out.articles.append("trainium3-silicon-sovereignty")
        _seed_work(s, server.base, out)
        _article_work(s, out)
        _library(s, out)
        services.check_sources(
            session=s,
            actor="ana",
            policy=LinkPolicy.parse("127.0.0.1"),
            concurrency=1,  # one at a time: the checks are recorded in the same order
            per_host=1,
            timeout=5,
            host_delay=0,
        )
        with wayback_client() as client:
            services.archive_sources(session=s, actor="bob", client=client)
        s.expire_all()
        for status in ("unreviewed", "in_review", "verified", "flagged", "dismissed"):
            first = s.exec(
                select(Claim.id).where(Claim.status == status).order_by(Claim.id)  # type: ignore[arg-type]
            ).first()
            assert first is not None, f"the lived-in database has no {status} claim"
            out.by_status[status] = first
    return out
