"""Random sequences of use cases on the lived-in database, each checked against a model.

A Hypothesis state machine starts from a copy of the lived-in database (SQLite)
and calls the services as the CLI and the dashboard do: reviews to every
status, sources, notes, assignments, confirmations, reopenings, ratings,
article revisions, reference imports, match refreshes, new and disabled
accounts, and attempts the actor's role does not allow. A small model of the
rules (who may do what, which status may follow which, what a verdict needs)
predicts whether each call is accepted; after each step the record must agree
with the model, every counter and tally must equal a recount from the rows, and
the audit trail must only have grown.

``TRACKER_STATEFUL=thorough`` runs many more and longer sequences than the
default (a few seconds).
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func
from sqlmodel import Session, col, select

from tracker import db, services
from tracker.config import DEFAULT_RATING_SCALE, UNVERIFIABLE
from tracker.errors import PermissionDenied, TrackerError
from tracker.intake.loading import LoadedArticle
from tracker.models import (
    Article,
    Claim,
    ClaimStatus,
    Event,
    RatingUpdate,
    Source,
    User,
    WebSession,
)
from tracker.services.claims import TRANSITIONS

from .conftest import Templates
from .livedin import ARTICLES, LivedIn
from .test_lived_in import check_derived

THOROUGH = os.environ.get("TRACKER_STATEFUL", "") == "thorough"
SETTINGS = settings(
    max_examples=30 if THOROUGH else 4,
    stateful_step_count=40 if THOROUGH else 12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
RANK = {"viewer": 0, "reviewer": 1, "editor": 2, "admin": 3}
VERDICTS = {"verified", "flagged"}
STATUSES = [s.value for s in ClaimStatus]
STANCES = ["supports", "refutes", "context"]
REASONS = ["false", "misleading", "unverifiable", "outdated", "needs_editor"]
RATINGS = [*DEFAULT_RATING_SCALE, UNVERIFIABLE, None]
IMPORTED = [slug for slug, *_ in ARTICLES]


@dataclass
class ClaimModel:
    status: str
    reason: str | None
    confirmed_by: str | None
    reviewer: str | None
    assignee: str | None
    stances: set[str]
    rating: str | None
    edited_by: set[str] = field(default_factory=set)  # judged-field edits since the verdict


@dataclass
class AccountModel:
    role: str
    active: bool


# How many calls were accepted and refused over a run: both must happen, or the
# machine tests only one side of the rules.
OUTCOMES: Counter[bool] = Counter()


def _may(accounts: dict[str, AccountModel], actor: str, least: str) -> bool:
    a = accounts.get(actor)
    return a is not None and a.active and RANK[a.role] >= RANK[least]


class Desk(RuleBasedStateMachine):
    def __init__(self, template: Path, folder: Path, counter: itertools.count[int]) -> None:
        super().__init__()
        self.n = next(counter)
        self.path = folder / f"desk-{self.n}.db"
        shutil.copyfile(template, self.path)
        self.engine = db.make_engine(f"sqlite:///{self.path}")
        self.s = Session(self.engine, expire_on_commit=False)
        self.folder = folder
        self.claims: dict[int, ClaimModel] = {}
        self.accounts: dict[str, AccountModel] = {
            u.name: AccountModel(u.role, u.active) for u in self.s.exec(select(User))
        }
        self.references = self._count("reference")
        self._load_new_claims()
        self.audit = self._audit()

    def teardown(self) -> None:
        self.s.close()
        self.engine.dispose()
        self.path.unlink(missing_ok=True)

    # --- reading the record -------------------------------------------------------------

    def _count(self, table: str) -> int:
        return int(
            self.s.connection().exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() or 0
        )

    def _quote_present(self, claim: Claim) -> bool:
        article = self.s.get(Article, claim.article_id)
        return article is not None and claim.quote in article.text

    def _load_new_claims(self) -> list[int]:
        """Claims the model does not know yet (the lived-in ones, a revision's candidates).

        Below-threshold candidates and claims whose quote the article lost stay out of
        the model: their rules are their own."""
        self.s.expire_all()
        new = []
        for c in self.s.exec(select(Claim).where(col(Claim.below_threshold).is_(False))):
            if c.id in self.claims or not self._quote_present(c):
                continue
            edited = set(
                self.s.exec(
                    select(Event.actor).where(
                        Event.claim_id == c.id,
                        Event.action == "edit",
                        col(Event.field).in_(["claim", "quote", "quote_start", "quote_end"]),
                        col(Event.at) >= c.last_reviewed_at
                        if c.last_reviewed_at
                        else col(Event.id).is_not(None),
                    )
                )
            )
            self.claims[c.id or 0] = ClaimModel(
                status=c.status,
                reason=c.flag_reason,
                confirmed_by=c.confirmed_by,
                reviewer=c.last_reviewed_by,
                assignee=c.assignee,
                stances={s.stance for s in self._sources(c.id or 0)},
                rating=c.rating,
                edited_by=edited,
            )
            new.append(c.id or 0)
        return new

    def _sources(self, claim_id: int) -> list[Source]:
        return list(self.s.exec(select(Source).where(Source.claim_id == claim_id)))

    def _audit(self) -> tuple[int, str]:
        """How many events there are, and a digest of them all."""
        rows = self.s.exec(
            select(Event.id, Event.actor, Event.action, Event.claim_id, Event.new_value).order_by(
                col(Event.id)
            )
        ).all()
        return len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()

    def _pick_claim(self, i: int) -> int:
        ids = sorted(self.claims)
        return ids[i % len(ids)]

    def _pick_account(self, i: int) -> str:
        names = sorted(self.accounts)
        return names[i % len(names)]

    def _version(self, claim_id: int) -> int:
        self.s.expire_all()
        claim = self.s.get(Claim, claim_id)
        assert claim is not None
        return claim.version

    def _expect(self, allowed: bool, call: Callable[[], object]) -> bool:
        """Run ``call``; it must succeed exactly when the model allows it."""
        before = self._audit()
        try:
            call()
        except TrackerError as exc:
            self.s.rollback()
            assert not allowed, f"refused although the rules allow it: {exc}"
            assert self._audit() == before, "a refused call changed the audit trail"
            OUTCOMES[False] += 1
            return False
        assert allowed, "accepted although the rules refuse it"
        OUTCOMES[True] += 1
        return True

    # --- rules ---------------------------------------------------------------------------

    @rule(c=st.integers(0), a=st.integers(0), status=st.sampled_from(STATUSES),
          reason=st.sampled_from(REASONS))  # fmt: skip
    def review(self, c: int, a: int, status: str, reason: str) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        m = self.claims[claim_id]
        flag = status == "flagged"
        allowed = (
            _may(self.accounts, actor, "reviewer")
            and (m.status not in VERDICTS or _may(self.accounts, actor, "editor"))
            and (
                ClaimStatus(status) in TRANSITIONS[ClaimStatus(m.status)]
                or (flag and m.status == "flagged" and m.reason != reason)
            )
            and (status != m.status or (flag and m.reason != reason))
            and (status != "verified" or "supports" in m.stances)
            and not (
                flag
                and reason in ("false", "misleading")
                and not m.stances & {"refutes", "context"}
            )
        )
        done = self._expect(
            allowed,
            lambda: services.review_claim(
                session=self.s,
                claim_id=claim_id,
                status=status,
                actor=actor,
                expected_version=self._version(claim_id),
                reason=reason if flag else None,
                note="What the flag is about." if flag else None,
            ),
        )
        if done:
            m.status, m.reason, m.reviewer = status, reason if flag else None, actor
            m.confirmed_by, m.edited_by = None, set()

    @rule(c=st.integers(0), a=st.integers(0), stance=st.sampled_from(STANCES))
    def add_source(self, c: int, a: int, stance: str) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        url = f"https://evidence.example/{self.n}/{claim_id}/{len(self._sources(claim_id))}"
        if self._expect(
            _may(self.accounts, actor, "reviewer"),
            lambda: services.add_source(
                session=self.s, claim_id=claim_id, url=url, stance=stance, actor=actor
            ),
        ):
            self.claims[claim_id].stances.add(stance)

    @rule(c=st.integers(0), a=st.integers(0))
    def add_note(self, c: int, a: int) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        self._expect(
            _may(self.accounts, actor, "reviewer"),
            lambda: services.add_note(
                session=self.s, claim_id=claim_id, body="Checked the filing.", actor=actor
            ),
        )

    @rule(c=st.integers(0), a=st.integers(0), who=st.integers(0) | st.none())
    def assign(self, c: int, a: int, who: int | None) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        assignee = None if who is None else self._pick_account(who)
        m = self.claims[claim_id]
        taking = assignee is not None and assignee == actor and m.assignee is None
        target = self.accounts.get(assignee) if assignee else None
        allowed = (
            _may(self.accounts, actor, "reviewer" if taking else "editor")
            and (assignee is None or (target is not None and target.active))
            and assignee != m.assignee
        )
        if self._expect(
            allowed,
            lambda: services.assign_claim(
                session=self.s,
                claim_id=claim_id,
                assignee=assignee,
                actor=actor,
                expected_version=self._version(claim_id),
            ),
        ):
            m.assignee = assignee

    @rule(c=st.integers(0), a=st.integers(0))
    def confirm(self, c: int, a: int) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        m = self.claims[claim_id]
        allowed = (
            _may(self.accounts, actor, "editor")
            and m.status in VERDICTS
            and m.confirmed_by is None
            and m.reviewer != actor
            and actor not in m.edited_by
        )
        if self._expect(
            allowed,
            lambda: services.confirm_verdict(
                session=self.s,
                claim_id=claim_id,
                actor=actor,
                expected_version=self._version(claim_id),
            ),
        ):
            m.confirmed_by = actor

    @rule(c=st.integers(0), a=st.integers(0), rating=st.sampled_from(RATINGS))
    def rate(self, c: int, a: int, rating: str | None) -> None:
        claim_id, actor = self._pick_claim(c), self._pick_account(a)
        m = self.claims[claim_id]
        allowed = _may(self.accounts, actor, "editor") and not (
            m.status == "dismissed" and rating is not None and rating != m.rating
        )
        if self._expect(
            allowed,
            lambda: services.rate_claim(
                session=self.s,
                claim_id=claim_id,
                changes=RatingUpdate(rating=rating),
                actor=actor,
                expected_version=self._version(claim_id),
            ),
        ):
            m.rating = rating

    @rule(which=st.sampled_from(IMPORTED), figure=st.integers(0), a=st.integers(0))
    def revise_article(self, which: str, figure: int, a: int) -> None:
        actor = self._pick_account(a)
        article = self.s.exec(select(Article).where(Article.slug == which)).one()
        head, _, body = article.text.partition("\n")
        numbers = list(re.finditer(r"\d+", body))
        hit = numbers[figure % len(numbers)]
        text = f"{head}\n{body[: hit.start()]}{int(hit.group()) + 1}{body[hit.end() :]}"
        in_article = [cid for cid in self.claims if self._article_of(cid) == article.id]
        if not self._expect(
            _may(self.accounts, actor, "editor"),
            lambda: services.import_article(
                session=self.s,
                source=LoadedArticle(text=text, title=None, url=None, source=f"{which}.md"),
                actor=actor,
                slug=which,
            ),
        ):
            return
        self.s.expire_all()
        for cid in in_article:
            claim = self.s.get(Claim, cid)
            assert claim is not None
            if claim.quote not in text:  # lost: its confirmation is cleared, it leaves the model
                assert claim.confirmed_by is None, cid
                del self.claims[cid]
            else:
                assert text[claim.quote_start : claim.quote_end] == claim.quote, cid
        for cid in self._load_new_claims():
            m = self.claims[cid]
            assert (m.status, m.confirmed_by, m.rating) == ("unreviewed", None, None), cid

    def _article_of(self, claim_id: int) -> int:
        claim = self.s.get(Claim, claim_id)
        assert claim is not None
        return claim.article_id

    @rule(a=st.integers(0))
    def import_references(self, a: int) -> None:
        actor = self._pick_account(a)
        k = self.references
        path = self.folder / f"refs-{self.n}-{k}.tsv"
        path.write_text(
            "claim\turl\trating\n"
            f"Ferry traffic rose {k}% last year\thttps://factcheck.example/ferry-{k}\tFalse\n",
            encoding="utf-8",
        )
        if self._expect(
            _may(self.accounts, actor, "editor"),
            lambda: services.import_references(session=self.s, path=path, actor=actor),
        ):
            self.references += 1

    @rule()
    def refresh_matches(self) -> None:
        while services.refresh_matches(session=self.s, limit=None).pending:
            pass
        assert self._count("claim_vector") == self._count("claim")

    @rule(a=st.integers(0), role=st.sampled_from(list(RANK)))
    def create_account(self, a: int, role: str) -> None:
        actor = self._pick_account(a)
        name = f"user{len(self.accounts)}"
        if self._expect(
            _may(self.accounts, actor, "admin"),
            lambda: services.create_user(session=self.s, name=name, role=role, actor=actor),
        ):
            self.accounts[name] = AccountModel(role, True)

    @rule(a=st.integers(0), t=st.integers(0))
    def disable_account(self, a: int, t: int) -> None:
        actor, name = self._pick_account(a), self._pick_account(t)
        account = self.accounts[name]
        other_admins = [
            n for n, x in self.accounts.items() if x.role == "admin" and x.active and n != name
        ]
        allowed = (
            _may(self.accounts, actor, "admin")
            and account.active
            and (account.role != "admin" or bool(other_admins))
        )
        if self._expect(
            allowed, lambda: services.disable_user(session=self.s, name=name, actor=actor)
        ):
            account.active = False

    @rule(a=st.integers(0), c=st.integers(0))
    def refused_by_role(self, a: int, c: int) -> None:
        """A viewer or a disabled account tries a change: refused, nothing written."""
        names = [n for n, x in self.accounts.items() if not x.active or x.role == "viewer"]
        actor, claim_id = names[a % len(names)], self._pick_claim(c)
        before = self._audit()
        with pytest.raises(PermissionDenied):
            services.add_note(session=self.s, claim_id=claim_id, body="x", actor=actor)
        self.s.rollback()
        assert self._audit() == before

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def record_agrees_with_the_model(self) -> None:
        self.s.expire_all()
        for claim_id, m in self.claims.items():
            c = self.s.get(Claim, claim_id)
            assert c is not None
            seen = (c.status, c.flag_reason, c.confirmed_by, c.assignee, c.rating)
            assert seen == (m.status, m.reason, m.confirmed_by, m.assignee, m.rating), claim_id
        for u in self.s.exec(select(User)):
            assert (u.role, u.active) == (self.accounts[u.name].role, self.accounts[u.name].active)
            if not u.active:
                sessions = self.s.exec(
                    select(func.count())
                    .select_from(WebSession)
                    .where(WebSession.account_id == u.id)
                ).one()
                assert sessions == 0, u.name
        assert self._count("reference") == self.references

    @invariant()
    def derived_data_equals_a_recount(self) -> None:
        check_derived(self.s)

    @invariant()
    def the_audit_trail_only_grows(self) -> None:
        count, _ = now = self._audit()
        rows = self.s.exec(
            select(Event.id, Event.actor, Event.action, Event.claim_id, Event.new_value)
            .order_by(col(Event.id))
            .limit(self.audit[0])
        ).all()
        assert count >= self.audit[0]
        assert hashlib.sha256(repr(rows).encode()).hexdigest() == self.audit[1]
        self.audit = now


def test_use_cases_follow_the_rules_on_a_lived_in_desk(
    templates: Templates, tmp_path: Path
) -> None:
    template = Path(templates.sqlite_template("lived_in").removeprefix("sqlite:///"))
    facts: LivedIn = templates.lived_in
    assert facts.lost_quote_claim  # the model leaves lost quotes out; there is one
    counter = itertools.count()
    OUTCOMES.clear()
    run_state_machine_as_test(lambda: Desk(template, tmp_path, counter), settings=SETTINGS)
    assert OUTCOMES[True] and OUTCOMES[False], OUTCOMES
