"""benchmarks/dashboard_e2e.py cannot rot: its smoke mode drives the seeded dashboard
in Chromium and prints a figure for every page and action (no time is asserted)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from benchmarks import dashboard_e2e

from .conftest import missing

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_smoke_prints_a_row_per_page_and_action() -> None:
    if not Path(dashboard_e2e.CHROMIUM).exists() and not shutil.which("chromium"):
        missing(f"Chromium is not installed at {dashboard_e2e.CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing("playwright is not installed (pip install -e '.[dev]')")
    lines = dashboard_e2e.main(["--smoke"])
    # every figure was read from the page's clock (each checked against when Playwright noticed)
    assert len(dashboard_e2e.NOTICED_LATE) >= len(dashboard_e2e.steps())
    rows = {line.split("  ")[0].strip(): line for line in lines[1:]}
    for step in dashboard_e2e.steps():
        assert step in rows, (step, lines)
        optional = step in dashboard_e2e.ACTIONS and dashboard_e2e.ACTIONS[step].optional
        figure = r"\d+\.\d\d" if not optional else r"(\d+\.\d\d|n/a)"
        assert re.match(rf"{re.escape(step)}\s+{figure}\s", rows[step]), rows[step]
    # Streamlit alone, opened the same way, next to the first pages (seeded s, bare s)
    for step in (dashboard_e2e.FIRST_VISIT, "sign-in"):
        assert re.match(rf"{re.escape(step)}\s+\d+\.\d\d\s+\d+\.\d\d\s", rows[step]), rows[step]
    # no bare figure for the other steps
    assert re.match(r"claim\s+\d+\.\d\d\s+(ok|MISSED)$", rows["claim"]), rows["claim"]
