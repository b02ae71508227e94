"""SIGKILL in the middle of a 50,000-row import: the database holds none or all of it."""

from __future__ import annotations

import csv
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


def write_import(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.DictWriter(fh, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        out.writeheader()
        for i in range(ROWS):
            out.writerow(
                {
                    "article": "trainium3-silicon-sovereignty",
                    "claim": f"Imported claim {i}",
                    "quote": "Trainium 3",
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
    )
    # wait until the import is writing (the WAL grows), then kill it without warning
    wal = Path(f"{path}-wal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if wal.exists() and wal.stat().st_size > 1024 * 1024:
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
