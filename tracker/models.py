"""Tables and the models around them.

Enumerations are stored as plain strings (no database enum types) so that a
new value is a code change, not a schema migration; the service layer checks
every value against these enums before it is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from pydantic import computed_field, field_validator
from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel

from . import counters


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything tracker stores is UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class ClaimStatus(StrEnum):
    unreviewed = "unreviewed"
    in_review = "in_review"
    verified = "verified"
    flagged = "flagged"
    dismissed = "dismissed"


class FlagReason(StrEnum):
    false = "false"
    misleading = "misleading"
    unverifiable = "unverifiable"
    outdated = "outdated"
    needs_editor = "needs_editor"


class ClaimType(StrEnum):
    statistic = "statistic"
    comparison = "comparison"
    attribution = "attribution"
    event = "event"
    capability = "capability"
    prediction = "prediction"
    definition = "definition"
    other = "other"


class Stance(StrEnum):
    supports = "supports"
    refutes = "refutes"
    context = "context"


class Role(StrEnum):
    viewer = "viewer"
    reviewer = "reviewer"
    editor = "editor"
    admin = "admin"


class Origin(StrEnum):
    curated = "curated"
    extracted = "extracted"
    imported = "imported"


def one_of(values: type[StrEnum], **column: Any) -> dict[str, Any]:
    """Column keywords declaring the enumeration a text column holds (read by dump restores)."""
    return {**column, "info": {"one_of": values}}


def _ts(*, nullable: bool) -> Any:
    return Field(
        default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=nullable)
    )


# --- Article ---------------------------------------------------------------


class ArticleKind(StrEnum):
    article = "article"  # a text its claims quote
    collection = "collection"  # no text: claims imported from elsewhere, without quotes


class ArticleBase(SQLModel):
    slug: str = Field(max_length=120)
    title: str = Field(max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    url: str | None = Field(default=None, max_length=2000)
    published: date | None = None


class Article(ArticleBase, table=True):
    __table_args__ = (UniqueConstraint("slug", name="uq_article_slug"),)

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    revision: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = _ts(nullable=False)
    # A collection has an empty text; its claims have an empty quote at 0:0.
    kind: str = Field(
        default=ArticleKind.article.value,
        max_length=20,
        sa_column_kwargs=one_of(ArticleKind, server_default=ArticleKind.article.value),
    )


class ArticleCreate(ArticleBase):
    text: str


class ArticlePublic(ArticleBase):
    id: int
    sha256: str
    claim_count: int = 0


class ArticleRevision(SQLModel, table=True):
    """Every text an article has had: revision 1 when imported, then each revision."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "revision", name="uq_article_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    revision: int
    text: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str = Field(max_length=64)
    created_by: str = Field(max_length=100)
    created_at: datetime = _ts(nullable=False)


# --- Claim -----------------------------------------------------------------


class ClaimBase(SQLModel):
    claim: str = Field(sa_column=Column(Text, nullable=False), max_length=2000)
    quote: str = Field(sa_column=Column(Text, nullable=False), max_length=10_000)
    quote_start: int
    quote_end: int
    section: str | None = Field(default=None, max_length=300)
    claim_type: str = Field(
        default=ClaimType.other.value, max_length=20, sa_column_kwargs=one_of(ClaimType)
    )
    score: float | None = None


class Claim(ClaimBase, table=True):
    __table_args__ = (
        Index("ix_claim_article_status", "article_id", "status"),
        Index("ix_claim_status_id", "status", "id"),
        # Queue sorts, counts and overview groupings (#10, migration 0011; status
        # appended to the type, assignee and origin ones by 0019: the unreviewed count).
        Index("ix_claim_source_count_id", "source_count", "id", "below_threshold"),
        Index("ix_claim_updated_at_id", "updated_at", "id"),
        Index("ix_claim_score_id", "score", "id"),
        Index("ix_claim_claim_type_id", "claim_type", "id", "below_threshold", "status"),
        Index("ix_claim_section_id", "section", "id"),
        Index("ix_claim_assignee_id", "assignee", "id", "below_threshold", "status"),
        Index("ix_claim_origin_id", "origin", "id", "below_threshold", "status"),
        Index("ix_claim_last_reviewed_by", "last_reviewed_by", "below_threshold"),
        Index("ix_claim_flag_reason", "flag_reason", "below_threshold"),
        Index("ix_claim_queue", "below_threshold", "status", "id"),
        # The overview's pace (#11, migration 0012).
        Index("ix_claim_pending", "status", "confirmed_by", "below_threshold"),
        Index("ix_claim_confirmed_at", "confirmed_at"),
        # The queue's "Quote lost" filter (migration 0020).
        Index("ix_claim_quote_lost_in", "quote_lost_in"),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    status: str = Field(
        default=ClaimStatus.unreviewed.value, max_length=20, sa_column_kwargs=one_of(ClaimStatus)
    )
    flag_reason: str | None = Field(
        default=None, max_length=20, sa_column_kwargs=one_of(FlagReason)
    )
    assignee: str | None = Field(default=None, max_length=100, index=True)
    origin: str = Field(
        default=Origin.curated.value, max_length=20, sa_column_kwargs=one_of(Origin)
    )
    # Extraction: why the candidate scored as it did (JSON list of strings), and
    # whether it scored under the threshold (kept for reviewers to promote).
    reasons: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    below_threshold: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})
    last_reviewed_by: str | None = Field(default=None, max_length=100)
    last_reviewed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # Second review: an editor other than the reviewer confirms a verdict.
    confirmed_by: str | None = Field(default=None, max_length=100)
    confirmed_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    # The published fact-check (#13): a label of the desk's rating scale (or
    # Unverifiable) and the verdict summary readers see. Notes stay internal.
    rating: str | None = Field(default=None, max_length=60)
    verdict_summary: str | None = Field(
        default=None, sa_column=Column(Text, nullable=True), max_length=600
    )
    rated_by: str | None = Field(default=None, max_length=100)
    rated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    created_at: datetime = _ts(nullable=False)
    updated_at: datetime = _ts(nullable=False)
    version: int = Field(default=1)
    # Imported from another tracker (``tracker import csv --map``): who said it,
    # when, around what, and that tracker's own verdict label as it was.
    claimant: str | None = Field(default=None, max_length=300)
    claim_date: date | None = None
    context: str | None = Field(
        default=None, sa_column=Column(Text, nullable=True), max_length=10_000
    )
    foreign_label: str | None = Field(default=None, max_length=100)
    # How many sources the claim has; kept by triggers on source (tracker.counters).
    source_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # A lost quote (migration 0020): the article revision whose text no longer has
    # the quote, None while it is in the current text. The offsets then belong to
    # the revision before it, never to the current text. ``quote_replacement`` is
    # the new candidate the import proposed in its place, if any. Set by the
    # article import, cleared only by moving the claim (see tracker.services.lost).
    quote_lost_in: int | None = None
    quote_replacement: int | None = None


class QuoteState(StrEnum):
    """Where a claim's quote stands against its article's current text."""

    found = "found"  # in the current text, at the claim's offsets
    lost = "lost"  # not in the current text: move or dismiss the claim
    dismissed = "dismissed"  # lost, and dismissed: out of the published record


def quote_state_of(lost_in: int | None, status: str) -> str:
    if lost_in is None:
        return QuoteState.found.value
    return (QuoteState.dismissed if status == "dismissed" else QuoteState.lost).value


class ClaimCreate(ClaimBase):
    article: str  # slug


class ClaimUpdate(SQLModel):
    """Fields an editor may change directly; all optional for partial updates."""

    claim: str | None = Field(default=None, max_length=2000)
    section: str | None = Field(default=None, max_length=300)
    claim_type: str | None = Field(default=None, max_length=20)
    quote: str | None = Field(default=None, max_length=10_000)
    quote_start: int | None = None
    quote_end: int | None = None


class RatingUpdate(SQLModel):
    """An editor's change to the published fact-check; unset fields stay as they are.

    ``rating`` is a label of the desk's scale (or Unverifiable), None to clear it;
    ``verdict_summary`` is the one or two sentences readers see, None to clear it.
    """

    # Limits are Claim's, checked by the use case (so an overlong text is the project's error).
    rating: str | None = None
    verdict_summary: str | None = None


class ClaimPublic(SQLModel):
    id: int
    article: str
    claim: str
    quote: str
    quote_start: int
    quote_end: int
    section: str | None
    claim_type: str
    score: float | None
    status: str
    flag_reason: str | None
    assignee: str | None
    origin: str
    source_count: int
    version: int
    reasons: list[str] = []
    below_threshold: bool = False
    last_reviewed_by: str | None
    last_reviewed_at: datetime | None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None
    rating: str | None = None
    verdict_summary: str | None = None
    rated_by: str | None = None
    rated_at: datetime | None = None
    quote_lost_in: int | None = None
    quote_replacement: int | None = None
    created_at: datetime
    updated_at: datetime

    @field_validator("rated_at")
    @classmethod
    def _rated_at_utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value)

    @property
    def pending_confirmation(self) -> bool:
        return self.status in ("verified", "flagged") and self.confirmed_by is None

    @property
    def quote_lost(self) -> bool:
        """The quote is not in the article's current text (offsets: revision before)."""
        return self.quote_lost_in is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def quote_revision(self) -> int | None:
        """The revision of the article whose text the offsets point into, if not the current."""
        return None if self.quote_lost_in is None else self.quote_lost_in - 1

    @computed_field  # type: ignore[prop-decorator]
    @property
    def quote_state(self) -> str:
        """``found``; ``lost`` (unresolved); ``dismissed`` (lost, then dismissed)."""
        return quote_state_of(self.quote_lost_in, self.status)


# --- Source ----------------------------------------------------------------


class SourceBase(SQLModel):
    url: str = Field(max_length=2000)
    title: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    stance: str = Field(max_length=20, sa_column_kwargs=one_of(Stance))


class Source(SourceBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    added_by: str = Field(max_length=100)
    added_at: datetime = _ts(nullable=False)
    # Filled in by link checking.
    last_checked_at: datetime | None = Field(
        default=None,
        sa_column=Column(DateTime(timezone=True), nullable=True, index=True),
    )
    http_status: int | None = None
    final_url: str | None = Field(default=None, max_length=2000)
    link_state: str | None = Field(default=None, max_length=20)
    archived_url: str | None = Field(default=None, max_length=2000)
    archived_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    page_title: str | None = Field(default=None, max_length=500)
    content_type: str | None = Field(default=None, max_length=100)
    last_error_class: str | None = Field(default=None, max_length=30)
    fail_count: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    failing_since: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class LinkCheck(SQLModel, table=True):
    """One check of one source's URL: the link's history, append-only."""

    __tablename__ = "link_check"

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    url: str = Field(max_length=2000)
    checked_at: datetime = _ts(nullable=False)
    http_status: int | None = None
    final_url: str | None = Field(default=None, max_length=2000)
    content_type: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=500)
    response_ms: int | None = None
    error_class: str | None = Field(default=None, max_length=30)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    state: str = Field(max_length=20)


class SourcePublic(SourceBase):
    id: int
    claim_id: int
    added_by: str
    added_at: datetime
    last_checked_at: datetime | None
    http_status: int | None
    final_url: str | None
    link_state: str | None
    archived_url: str | None
    archived_at: datetime | None = None
    page_title: str | None = None
    last_error_class: str | None = None
    fail_count: int = 0


# --- Note ------------------------------------------------------------------


class Note(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: int = Field(foreign_key="claim.id", index=True)
    author: str = Field(max_length=100)
    body: str = Field(sa_column=Column(Text, nullable=False), max_length=10_000)
    created_at: datetime = _ts(nullable=False)


class NotePublic(SQLModel):
    id: int
    claim_id: int
    author: str
    body: str
    created_at: datetime


# --- Event (append-only audit trail) ----------------------------------------


class Event(SQLModel, table=True):
    """One change: to a claim (``claim_id``) or to an account (``account``)."""

    # The overview's verdicts per reviewer and day read a recent range of reviews (#11).
    __table_args__ = (Index("ix_event_action_at", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_id: int | None = Field(default=None, foreign_key="claim.id", index=True)
    account: str | None = Field(default=None, max_length=100, index=True)
    article_id: int | None = Field(default=None, foreign_key="article.id", index=True)
    actor: str = Field(max_length=100)
    action: str = Field(max_length=40)
    field: str | None = Field(default=None, max_length=40)
    old_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_value: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The claim's version after this change; null for changes that do not
    # bump it (notes and sources never conflict with a status change).
    claim_version: int | None = None
    at: datetime = _ts(nullable=False)


class EventPublic(SQLModel):
    id: int
    claim_id: int | None
    account: str | None = None
    article_id: int | None = None
    actor: str
    action: str
    field: str | None
    old_value: str | None
    new_value: str | None
    detail: str | None
    claim_version: int | None
    at: datetime


# --- Accounts --------------------------------------------------------------------


class User(SQLModel, table=True):
    __tablename__ = "account"
    __table_args__ = (UniqueConstraint("name", name="uq_account_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=320, index=True)
    role: str = Field(max_length=20, sa_column_kwargs=one_of(Role))
    password_hash: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True)
    # Bumped by a password change, a disable or a role change: dashboard
    # sessions signed in under an older epoch are signed out.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _ts(nullable=False)


class SignInAttempt(SQLModel, table=True):
    """Failed sign-ins per name, for every name typed (known or not).

    Keyed by the normalised name, never by the account, so an unknown name is
    counted and locked exactly like a known one and the sign-in page cannot be
    used to find out which names exist. Changed only by single atomic
    statements (see :func:`tracker.services.accounts.authenticate`).
    """

    __tablename__ = "signin_attempt"

    key: str = Field(primary_key=True, max_length=100)
    failures: int = Field(default=0)
    locked_until: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )
    updated_at: datetime = Field(
        default_factory=utcnow,
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True),
    )


class WebSession(SQLModel, table=True):
    """A signed-in dashboard session (#11), resumed from the browser's cookie.

    Only the SHA-256 of the token is stored: the database holds nothing a
    browser could present. ``epoch`` is the account's ``session_epoch`` when
    the session began; a password, role or access change moves the account on
    (and deletes its rows), so an older session cannot resume. A session ends
    after :attr:`tracker.config.Settings.session_idle` without a page view and
    at ``expires_at`` at the latest.
    """

    __tablename__ = "web_session"

    token_hash: str = Field(primary_key=True, max_length=64)
    account_id: int = Field(foreign_key="account.id", index=True)
    epoch: int
    created_at: datetime = _ts(nullable=False)
    last_seen: datetime = _ts(nullable=False)
    expires_at: datetime = Field(
        sa_column=Column(DateTime(timezone=True), nullable=False, index=True)
    )


class UserPublic(SQLModel):
    id: int
    name: str
    email: str | None
    role: str
    active: bool
    session_epoch: int = 0


# --- Matching: the reference library and the claims' vectors (#12) ------------


class Reference(SQLModel, table=True):
    """A published fact-check outside the review queue: the "reference library".

    ``key`` is the SHA-256 of the URL (or, without one, the publisher's id)
    and the claim, so importing the same feed twice changes nothing.
    ``rating_label`` is the publisher's own word; ``rating_value`` and
    ``rating_name`` its place on the desk's scale, when a label file gave one.
    ``embedding`` is the claim's sentence vector (float16 bytes), computed in
    the import's transaction. ``edited_at`` is stamped when an import changed a
    known fact-check, so the matching index re-reads only those rows.
    """

    __table_args__ = (
        UniqueConstraint("key", name="uq_reference_key"),
        Index("ix_reference_edited_at", "edited_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    url: str | None = Field(default=None, max_length=2000)
    external_id: str | None = Field(default=None, max_length=200)
    claim: str = Field(sa_column=Column(Text, nullable=False), max_length=5000)
    title: str | None = Field(default=None, max_length=500)
    publisher: str | None = Field(default=None, max_length=200)
    rating_label: str | None = Field(default=None, max_length=200)
    rating_value: float | None = None
    rating_name: str | None = Field(default=None, max_length=100)
    claimant: str | None = Field(default=None, max_length=300)
    appearance: str | None = Field(default=None, max_length=2000)
    published: date | None = None
    imported_by: str = Field(max_length=100)
    imported_at: datetime = _ts(nullable=False)
    embedding: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    edited_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=True)
    )


class ClaimVector(SQLModel, table=True):
    """A claim's sentence vector and its best earlier match (derived data, #12).

    ``text_sha`` is the hash of the claim text the vector was computed from: an
    edited claim gets a new vector the next time the index is refreshed. The
    best match (kind ``claim`` or ``reference``, id, score) is what the queue's
    "has a match" filter reads; ``generation`` names the index state it was
    computed against.
    """

    __tablename__ = "claim_vector"

    claim_id: int = Field(foreign_key="claim.id", primary_key=True)
    text_sha: str = Field(max_length=64)
    embedding: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    best_kind: str | None = Field(default=None, max_length=20)
    best_id: int | None = None
    best_score: float | None = Field(default=None, index=True)
    generation: str | None = Field(default=None, max_length=64, index=True)  # 0017
    updated_at: datetime = _ts(nullable=False)


# --- Counters kept with the writes, by the database's triggers (tracker.counters) ---


class ClaimTally(SQLModel, table=True):
    """Queued claims per article and status, flag reason, reviewer and assignee.

    ``dim`` names the column counted, ``key`` its value ('' for none); article 0
    holds the sums over every article. Kept by triggers (:mod:`tracker.counters`).
    """

    __tablename__ = "claim_tally"

    article_id: int = Field(primary_key=True)  # 0: every article
    dim: str = Field(primary_key=True, max_length=20)
    key: str = Field(primary_key=True)
    n: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SourceTally(SQLModel, table=True):
    """The queued claims' sources per article and stance; kept by triggers."""

    __tablename__ = "source_tally"

    article_id: int = Field(primary_key=True)  # 0: every article
    stance: str = Field(primary_key=True, max_length=20)
    n: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class VerdictDay(SQLModel, table=True):
    """Status changes per article, UTC day and new status; kept by a trigger on event.

    Article 0 holds the sums over every article, so the overview of the whole
    archive reads one row per day and status.
    """

    __tablename__ = "verdict_day"

    article_id: int = Field(primary_key=True)  # 0: every article
    day: str = Field(primary_key=True, max_length=10)
    status: str = Field(primary_key=True, max_length=20, sa_column_kwargs=one_of(ClaimStatus))
    n: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class ChangeTopic(StrEnum):
    """What a write changed, as far as cached reads are concerned."""

    claims = "claims"  # claims, their sources, notes and counters
    articles = "articles"
    accounts = "accounts"


def _when() -> Any:
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))


WORKER_JOB = "worker"  # the name of the background worker's lease row


class WorkerLease(SQLModel, table=True):
    """The background worker's lease and its record, one row per job (``worker``).

    A worker holds the lease while ``expires_at`` is ahead and renews it as it
    goes; another worker on the same database takes it only once it has expired
    (or was released). The rest is what the overview shows an admin: the last
    run, the last error, whether one is running. Not the record: no audit
    event, no change marker (the worker's heartbeats invalidate no cached read).
    """

    __tablename__ = "worker_lease"

    name: str = Field(primary_key=True, max_length=40)
    holder: str | None = Field(default=None, max_length=200)  # host, pid and a nonce
    expires_at: datetime | None = _when()
    started_at: datetime | None = _when()  # when the holder took the lease
    last_run_at: datetime | None = _when()  # when the last cycle finished
    last_run: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    last_error_at: datetime | None = _when()
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    runs: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # the claims change marker as of which every stored match was checked, when the
    # last refresh had nothing to write (its stamps name an older marker)
    matches_checked: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ChangeMarker(SQLModel, table=True):
    """A counter per topic, bumped by every unit of work that changed the topic.

    Readers key their caches by it, so a change made by any process (another
    dashboard replica, the CLI) is seen at the next read.
    """

    __tablename__ = "change_marker"

    topic: str = Field(primary_key=True, max_length=20)
    n: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


counters.attach(SQLModel.metadata)  # create_all installs the triggers that keep them
