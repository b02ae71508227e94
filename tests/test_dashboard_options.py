"""Users see the dashboard without Streamlit's developer toolbar (#11)."""

from __future__ import annotations

import tomllib

from tracker.cli import STREAMLIT_OPTIONS, streamlit_command

from .conftest import ROOT


def test_the_developer_toolbar_is_hidden_however_the_dashboard_starts() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "viewer"
    assert STREAMLIT_OPTIONS["client.toolbarMode"] == "viewer"
    cmd = streamlit_command(port=8600, address="0.0.0.0")
    assert cmd[cmd.index("--client.toolbarMode") + 1] == "viewer"
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.fileWatcherType") + 1] == "none"  # no "File change" prompt


def test_run_sh_passes_its_arguments_to_the_dashboard_command() -> None:
    script = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    assert 'tracker dashboard "$@"' in script
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "bash scripts/run.sh --port 8600" in readme
