"""Finding 18 (#9): no table in the dashboard offers an unescaped CSV download.

Streamlit's tables (st.dataframe, st.data_editor, chart table views) have a
built-in "Download as CSV" and clipboard copy that write cells as they are, so
a claim text such as ``=HYPERLINK(...)`` would reach a spreadsheet as a formula.
There is no per-table switch; the supported one is the ``client.disableDataExport``
option, which the dashboard is served with. The Export page's download is the
escaped CSV of :mod:`tracker.interchange.csv_export`.
"""

from __future__ import annotations

import ast

from streamlit import config

from tracker.cli import STREAMLIT_OPTIONS, streamlit_command

from .conftest import ROOT

TABLES = {"dataframe", "data_editor", "table"}


def test_the_dashboard_is_served_with_table_data_export_off() -> None:
    assert config._config_options_template["client.disableDataExport"].type is bool
    cmd = streamlit_command(port=8599, address="127.0.0.1")
    flag = cmd.index("--client.disableDataExport")
    assert cmd[flag + 1] == "true" == STREAMLIT_OPTIONS["client.disableDataExport"]


def test_tables_are_shown_only_by_views_served_that_way() -> None:
    """Every table call is in a page of dashboard/app.py, which the CLI serves."""
    found = []
    for path in (ROOT / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in TABLES
                and getattr(node.value, "id", None) == "st"
            ):
                found.append(path.relative_to(ROOT).as_posix())
    assert found, "the test must see the dashboard's tables"
    assert all(p.startswith("dashboard/views/") for p in found), found
