"""Shared fixtures. The autouse one keeps every test away from the real home directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from matlog.cli import app
from matlog.clock import FakeClock
from matlog.env import Env
from matlog.records import Session, new_id

CET = timezone(timedelta(hours=1))
# Whole files that are slow: the reliability suite, and the files whose every test runs
# the installed matlog as a real process.
_SLOW = ("reliability", "test_e2e.py", "test_crash_to_one_line.py")


def pytest_assertrepr_compare(op: str, left: Any, right: Any) -> list[str] | None:
    """A failing `==` between two light classes (records, stats) names the fields that differ,
    as pytest does for dataclasses; `_fields` is what `matlog.lightclass` gives them."""
    if op != "==" or type(left) is not type(right) or not hasattr(left, "_fields"):
        return None
    lines = [f"{type(left).__name__} instances differ in:"]
    for name in left._fields:
        mine, theirs = getattr(left, name), getattr(right, name)
        if mine != theirs:
            lines.append(f"  {name}: {mine!r} != {theirs!r}")
    return lines


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The reliability suite and the end-to-end tests are `slow` (and tests marked so one
    by one): `-m "not slow"` is the inner loop, CI runs everything."""
    for item in items:
        if any(part in _SLOW for part in item.path.parts):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True, scope="session")
def cli_built_once() -> Any:
    """Typer's CliRunner builds the whole click command from every function's signature on
    each `invoke` (a few milliseconds: 4 s of the inner loop over ~1,500 invokes). The
    command never changes, so it is built once per app."""
    import typer.testing

    built: dict[int, tuple[Any, Any]] = {}
    build = typer.testing._get_command

    def once(app: Any) -> Any:
        if id(app) not in built:
            built[id(app)] = (app, build(app))  # the app kept alive: its id stays its own
        return built[id(app)][1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(typer.testing, "_get_command", once)
        yield


@pytest.fixture(autouse=True)
def no_fsync(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsync matters only when the machine loses power, which no test here does; at about
    half a millisecond each (a session's heartbeat has one every 5 seconds of FakeClock
    time) it was a third of the inner loop. The reliability suite keeps the real one: it
    counts, breaks and kills at fsync on purpose."""
    if "reliability" not in request.node.path.parts:
        monkeypatch.setattr(os, "fsync", lambda fd: None)


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var, sub in [
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ]:
        monkeypatch.setenv(var, str(home / sub))
    for var in ("MATLOG_JOURNAL", "MATLOG_CONFIG", "VISUAL", "EDITOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    return home


@pytest.fixture
def journal_path(tmp_path: Path) -> Path:
    return tmp_path / "journal.toml"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=datetime(2026, 11, 23, 22, 0, tzinfo=CET))


def make_session(
    started: datetime | None = None,
    minutes: float = 10,
    ended: str = "finished",
    **fields: Any,
) -> Session:
    started = started or datetime(2026, 11, 20, 22, 15, tzinfo=CET)
    seconds = int(minutes * 60)
    values: dict[str, Any] = {
        "id": new_id(started),
        "planned_seconds": seconds,
        "actual_seconds": seconds,
        "area": "back",
    }
    values.update(fields)
    return Session(started=started, ended=ended, **values)  # type: ignore[arg-type]


Invoke = Callable[..., Any]


@pytest.fixture
def invoke(journal_path: Path, clock: FakeClock) -> Invoke:
    """Run the CLI in-process with a fake clock: invoke("log", "-n", "3")."""

    def run(*args: str, input: str | None = None, interactive: bool = False) -> Any:
        env = Env(journal_path=journal_path, clock=clock, interactive=interactive)
        return CliRunner().invoke(app, list(args), input=input, obj=env)

    return run


@pytest.fixture(autouse=True)
def no_session_locks_left() -> Any:
    """A test that plays a killed session leaves its heartbeat lock held in this process: let
    go of it afterwards, as the kernel would."""
    yield
    from matlog.session.recovery import let_go_of_locks

    let_go_of_locks()
