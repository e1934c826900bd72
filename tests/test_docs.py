"""Every command has help, and the README documents it (after simonw/llm's test_docs)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from matlog.cli import app

README = (Path(__file__).parent.parent / "README.md").read_text()
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_the_commands_are_the_specs() -> None:
    assert set(COMMANDS) == {
        "start",
        "plan",
        "stats",
        "log",
        "rate",
        "sleep",
        "export",
        "import",
        "check",
        "edit",
        "undo",
        "paths",
        "trial",
    }


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert f"Usage: matlog {command}" in result.stdout or "Usage: " in result.stdout
    assert f"`matlog {command}" in README


def test_the_readme_has_its_two_fresh_machine_commands() -> None:
    assert "pip install -q . && .venv/bin/matlog start" in README
    assert '.venv/bin/pip install -q ".[test]" && .venv/bin/python -m pytest' in README


def test_the_ci_script_runs_the_readmes_test_command() -> None:
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert '-m pip install -q ".[dev]"' in ci  # dev includes the test extras
    assert "-m pytest" in ci


def test_the_command_list_is_not_cut_short() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    commands = result.stdout.split("Commands:", 1)[1]
    assert "..." not in commands
