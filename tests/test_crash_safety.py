"""SIGKILL in the middle of a 50,000-row import: the database holds none or all of it."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from tracker import db
from tracker.interchange.csv_export import CSV_COLUMNS
from tracker.models import Claim
from tracker.services.seeding import seed

from .conftest import SEEDS, make_accounts

pytestmark = pytest.mark.slow
ROWS = 50_000


SLUG = "crash-article"


WORDS = [f"{a}{b}" for a in ("ka", "lo", "mu", "ne", "pi", "ru", "so", "ta") for b in range(125)]


def sentence(i: int) -> str:
    """Distinct wording per line, so no new row reads like another (duplicate check)."""
    words = [WORDS[(i * 7919 + k * 104_729) % len(WORDS)] for k in range(6)]
    return f"{' '.join(words).capitalize()} reported {i} units."


def write_seeds(folder: Path) -> Path:
    """A seed article with ROWS distinct sentences (new claims must not repeat a quote)."""
    folder.mkdir()
    (folder / "crash.txt").write_text("\n".join(sentence(i) for i in range(ROWS)) + "\n")
    (folder / "crash.claims.json").write_text(
        json.dumps(
            {
                "article": {"slug": SLUG, "title": "Crash article", "text_file": "crash.txt"},
                "claims": [],
            }
        )
    )
    return folder


def write_import(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        out.writeheader()
        for i in range(ROWS):
            out.writerow(
                {
                    "article": SLUG,
                    "claim": f"Imported claim {i}",
                    "quote": sentence(i),
                    "claim_type": "other",
                    "status": "unreviewed",
                }
            )


def claim_count(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with Session(engine) as s:
            return int(s.exec(select(func.count()).select_from(Claim)).one())
    finally:
        engine.dispose()


def test_sigkill_mid_import_leaves_none_or_all(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade(engine)
    make_accounts(engine)
    with Session(engine) as s:
        seed(session=s, seeds_dir=SEEDS)
        seed(session=s, seeds_dir=write_seeds(tmp_path / "seeds"))
    engine.dispose()
    before = claim_count(url)
    data = tmp_path / "big.csv"
    write_import(data)

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tracker.cli",
            "--db",
            url,
            "import",
            "csv",
            str(data),
            "--by",
            "editor",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a small page cache spills the import's pages to the WAL early: killed then,
        # the transaction has written but not committed
        env={**os.environ, "TRACKER_SQLITE_CACHE_KIB": "64"},
    )
    # wait until the import is writing (the WAL grows), then kill it without warning
    wal = Path(f"{path}-wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 256 * 1024:
            break
        time.sleep(0.05)
    was_running = proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert was_running, "the import finished before it could be killed; raise ROWS"

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    after = claim_count(url)
    assert after in (before, before + ROWS)
    assert after == before  # killed mid-transaction: nothing of it was committed
