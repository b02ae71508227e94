"""The rulebook holds by construction: one entry per use case, one permission table,
one event recorder, and nothing writing around them.

These read the source (ast), so a new module that skips a rule fails here
before it can skip it in production.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from tracker import audit, permissions, services
from tracker.audit import EventAction
from tracker.permissions import PERMISSIONS, Action

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("tracker", "dashboard", "benchmarks")


def python_files(*packages: str) -> Iterator[Path]:
    for package in packages:
        yield from (ROOT / package).rglob("*.py")


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_events_are_constructed_only_by_the_recorder() -> None:
    offenders = []
    for path in python_files(*PACKAGES):
        if rel(path) in ("tracker/audit.py", "tracker/models.py") or "migrations" in path.parts:
            continue
        for node in ast.walk(parsed(path)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "Event"
            ):
                offenders.append(f"{rel(path)}:{node.lineno}")
    assert offenders == [], "construct events with tracker.audit.record_event only"


def test_private_service_helpers_stay_in_the_service_layer() -> None:
    offenders = []
    for path in python_files(*PACKAGES, "tests"):
        if path.is_relative_to(ROOT / "tracker" / "services"):
            continue
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.ImportFrom) and "services" in (node.module or ""):
                offenders += [
                    f"{rel(path)}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name.startswith("_")
                ]
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("services", "link_service")
            ):
                offenders.append(f"{rel(path)}:{node.lineno} {node.attr}")
    assert offenders == []


def test_no_apply_helpers_exist() -> None:
    names = [
        f"{rel(path)}: {node.name}"
        for path in python_files("tracker")
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.FunctionDef) and node.name.lstrip("_").startswith("apply_")
    ]
    assert names == []


def test_only_the_service_layer_commits() -> None:
    """Writes commit in services/uow.py only; nothing else ends a write transaction."""
    allowed = {"tracker/services/uow.py", "tracker/db.py"}
    offenders = []
    for path in python_files("tracker", "dashboard"):
        if rel(path) in allowed or "migrations" in path.parts:
            continue
        for node in ast.walk(parsed(path)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "commit"
                and isinstance(node.value, ast.Name)
                and node.value.id in ("session", "s", "conn", "connection")
            ):
                offenders.append(f"{rel(path)}:{node.lineno}")
    assert offenders == []


def test_writes_from_entry_points_go_through_services() -> None:
    """The CLI and the dashboard never add, delete or update rows themselves."""
    offenders = []
    for path in [ROOT / "tracker" / "cli.py", *python_files("dashboard")]:
        for node in ast.walk(parsed(path)):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in ("add", "delete", "execute")
                and isinstance(node.value, ast.Name)
                and node.value.id in ("session", "s")
            ):
                offenders.append(f"{rel(path)}:{node.lineno} {node.attr}")
            if isinstance(node, ast.Name) and node.id in ("update", "insert", "delete"):
                offenders.append(f"{rel(path)}:{node.lineno} {node.id}")
    assert offenders == []


def _public_use_cases() -> list[tuple[str, object]]:
    return [
        (name, getattr(services, name))
        for name in services.__all__
        if inspect.isfunction(getattr(services, name))
        and name
        not in {
            "list_users",
            "new_password",
            "new_token",  # makes a random token; binds nothing
            "locate_quote",
            "sha256_text",
            "unit_of_work",
            "verdict_blocker",
            "user_by_email",
            "session_epoch",
            "authenticate",  # signs in: no actor yet; the rate limit is its rule
            "end_session",  # signs out: the token is the credential, given up by its holder
        }
    ]


@pytest.mark.parametrize(("name", "func"), _public_use_cases())
def test_every_use_case_checks_a_permission_and_opens_a_unit_of_work(
    name: str, func: object
) -> None:
    source = inspect.getsource(func)  # type: ignore[arg-type]
    assert "authorize(" in source, f"{name} never calls authorize()"
    assert "unit_of_work(" in source, f"{name} never opens a unit of work"


def test_authorize_is_called_only_with_actions_of_the_table() -> None:
    """Every authorize() call names an Action member; every Action is used somewhere."""
    used: set[str] = set()
    for path in python_files("tracker", "dashboard"):
        for node in ast.walk(parsed(path)):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None)) == "authorize"
                and len(node.args) >= 3
            ):
                arg = node.args[2]
                args = [arg.body, arg.orelse] if isinstance(arg, ast.IfExp) else [arg]
                for a in args:
                    assert (
                        isinstance(a, ast.Attribute) and getattr(a.value, "id", "") == "Action"
                    ), f"{rel(path)}:{node.lineno}: authorize() with {ast.unparse(a)}"
                    used.add(a.attr)
    assert set(Action.__members__) - used == {"change_own_password"} - used


def test_permission_table_is_complete_and_typed() -> None:
    assert set(PERMISSIONS) == set(Action)
    for action, permission in PERMISSIONS.items():
        assert permission.description, action
    assert permissions.can("viewer", Action.check_links) is False
    assert permissions.can("reviewer", Action.check_links) is True


def test_history_view_switches_on_the_event_enumeration() -> None:
    module = parsed(ROOT / "dashboard" / "views" / "claim.py")
    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    for name in ("history", "_describe"):
        strings = {
            node.value
            for node in ast.walk(functions[name])
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        }
        assert not strings & {a.value for a in EventAction}, f"{name} matches action strings"
    assert "EventAction" in ast.unparse(functions["_describe"])


def test_every_event_action_has_a_label() -> None:
    for action in EventAction:
        assert action.label and "_" not in action.label
    assert set(EventAction) >= audit.ACCOUNT_ACTIONS


def test_tracker_never_imports_streamlit() -> None:
    for path in python_files("tracker"):
        for node in ast.walk(parsed(path)):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] == "streamlit" for n in names), rel(path)


def test_readme_permission_table_matches_the_code() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [
        line
        for line in readme.splitlines()
        if line.startswith("| `") and line.count("|") == 4 and "` | " in line
    ]
    documented = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        documented[cells[0].strip("`")] = (cells[1], cells[2])
    expected = {a.value: (p.least.value, p.description) for a, p in PERMISSIONS.items()}
    assert {k: v for k, v in documented.items() if k in expected} == expected
    assert set(expected) <= set(documented)
