"""Load the curated seed articles and claims from ``seeds/``. Idempotent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..errors import ValidationFailed
from ..localfiles import read_file
from ..models import Article, ArticleCreate, Claim, ClaimCreate, Origin
from ..permissions import Action, authorize
from ..validation import build
from .articles import _insert_article, sha256_text
from .claims import _insert_claim, _insert_note
from .uow import unit_of_work

SEED_ACTOR = "seed"  # a system actor: may only seed (see tracker.permissions)
REPO_SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@dataclass
class SeedReport:
    articles_created: int = 0
    claims_created: int = 0
    claims_present: int = 0

    def __str__(self) -> str:
        return (
            f"articles created: {self.articles_created}, claims created: {self.claims_created}, "
            f"already present: {self.claims_present}"
        )


def default_seeds_dir() -> Path:
    for candidate in (Path.cwd() / "seeds", REPO_SEEDS):
        if candidate.is_dir():
            return candidate
    raise ValidationFailed("no seeds/ folder found; pass --seeds DIR")


MAX_SEED_BYTES = 16 * 1024**2  # a seed file, or the article text it names


def load_seed_file(path: Path) -> tuple[dict[str, Any], str, list[dict[str, Any]]]:
    try:
        doc = json.loads(read_file(str(path), MAX_SEED_BYTES))
        meta = doc["article"]
        text = read_file(str(path.parent / meta["text_file"]), MAX_SEED_BYTES).decode("utf-8")
        return meta, text, list(doc["claims"])
    except (OSError, KeyError, ValueError, TypeError, RecursionError) as exc:
        raise ValidationFailed(f"{path}: not a valid seed file ({exc})") from exc


def seed(*, session: Session, seeds_dir: Path | None = None) -> SeedReport:
    """Create the seed articles and their claims; running it again changes nothing."""
    report = SeedReport()
    files = sorted((seeds_dir or default_seeds_dir()).glob("*.claims.json"))
    if not files:
        raise ValidationFailed(f"no *.claims.json files in {seeds_dir or default_seeds_dir()}")
    with unit_of_work(session):
        authorize(session, SEED_ACTOR, Action.seed)
        for path in files:
            meta, text, claims = load_seed_file(path)
            article = session.exec(select(Article).where(Article.slug == meta["slug"])).first()
            if article is None:
                article = _insert_article(
                    session,
                    build(
                        ArticleCreate,
                        slug=meta["slug"],
                        title=meta["title"],
                        publisher=meta.get("publisher"),
                        url=meta.get("url"),
                        published=date.fromisoformat(meta["published"])
                        if meta.get("published")
                        else None,
                        text=text,
                    ),
                    SEED_ACTOR,
                )
                report.articles_created += 1
            elif article.sha256 != sha256_text(text):
                raise ValidationFailed(
                    f"{path}: article {article.slug!r} is in the database with different text; "
                    "import the new text as a revision instead of seeding"
                )
            existing = {
                (c.quote_start, c.quote_end, c.claim)
                for c in session.exec(select(Claim).where(Claim.article_id == article.id))
            }
            for index, item in enumerate(claims, start=1):
                key = (item["quote_start"], item["quote_end"], item["claim"])
                if key in existing:
                    report.claims_present += 1
                    continue
                try:
                    claim = _insert_claim(
                        session,
                        build(
                            ClaimCreate,
                            article=article.slug,
                            claim=item["claim"],
                            quote=item["quote"],
                            quote_start=item["quote_start"],
                            quote_end=item["quote_end"],
                            section=item.get("section"),
                            claim_type=item.get("claim_type", "other"),
                            score=item.get("score"),
                        ),
                        actor=SEED_ACTOR,
                        origin=Origin.curated,
                        article=article,
                    )
                except ValidationFailed as exc:
                    raise ValidationFailed(f"{path}: claim #{index}: {exc}") from exc
                for body in item.get("notes", []):
                    _insert_note(session, claim.id or 0, body, SEED_ACTOR)
                existing.add(key)
                report.claims_created += 1
    return report
