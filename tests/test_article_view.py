"""The article view shows Markdown headings as headings, without their '#' markers."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tracker.intake.loading import LoadedArticle
from tracker.services import import_article

from .test_dashboard_apptest import app, empty_db, texts

__all__ = ["empty_db"]  # the fixture, imported for use here

MARKDOWN = (
    "# Chip story\nBy Jane Doe | 14 March 2025\n\n"
    "AWS said Trainium 3 is 40% cheaper than Trainium 2, according to a statement.\n"
    "## Part 1: Costs ##\n"
    "NVIDIA reportedly sold 2 million chips in 2025, analysts said.\n"
)


def test_markdown_headings_show_without_their_markers(empty_db: Engine) -> None:
    with Session(empty_db) as s:
        import_article(
            session=s, source=LoadedArticle(MARKDOWN, None, None, "story.md"), actor="editor"
        )
    lines = texts(app("views/article.py")).splitlines()
    body = "\n".join(lines)
    assert "## Chip story" in lines
    assert "#### Chip story" in lines and "#### Part 1\\: Costs" in lines
    assert "\\#" not in body.replace("**\\#", "")  # no literal '#' outside claim markers
    assert "#### By Jane Doe" not in body  # a byline is not a heading
