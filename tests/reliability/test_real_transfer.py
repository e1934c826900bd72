"""Import and export through the installed `matlog`, in real processes, as a user runs them.

The data-safety cases of issue #10 (items 6, 7, 9) and #12 (item 7): edits made on another
device, several files at once, leftovers, and export onto another name of the journal.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

MATLOG = Path(sys.executable).parent / "matlog"


@pytest.fixture
def run(tmp_path: Path, isolated_home: Path):  # type: ignore[no-untyped-def]
    """run("import", "x.toml", journal=...) -> CompletedProcess, in `tmp_path`."""
    if not MATLOG.exists():
        pytest.skip("needs the installed matlog script (pip install -e .)")

    def go(*args: str, journal: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MATLOG_JOURNAL": str(journal or tmp_path / "journal.toml")}
        return subprocess.run(
            [str(MATLOG), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            check=False,
            timeout=60,
        )

    return go


def one_line_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("matlog: "), done.stderr
    return lines[0]


def a_session(run, journal: Path) -> None:  # type: ignore[no-untyped-def]
    done = run("start", "1s", "--settle", "0", "--no-ratings", "--rate-later", journal=journal)
    assert done.returncode == 0, done.stderr


# -- export onto another name of the journal -------------------------------------------


def test_export_onto_a_hard_link_of_the_journal_is_refused(run, tmp_path: Path) -> None:
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    before = journal.read_bytes()
    os.link(journal, tmp_path / "backup.csv")
    line = one_line_error(run("export", "-o", "backup.csv"), 2)
    assert "is the journal itself" in line
    assert journal.read_bytes() == before
    assert run("check").returncode == 0


# -- unknown fields: a field named `type`, a JSON null, deep nesting -----------------------


def test_a_type_field_and_a_null_through_the_installed_matlog(run, tmp_path: Path) -> None:
    typed = tmp_path / "typed.toml"
    typed.write_text(
        'format = 1\n\n[[session]]\nid = "T1"\nstarted = 2026-11-20T22:00:00+01:00\n'
        'planned_seconds = 600\nactual_seconds = 600\nended = "finished"\ntype = "evening"\n'
    )
    line = one_line_error(run("export", "-f", "jsonl", journal=typed), 1)
    assert line.startswith(f"matlog: {typed}:9: session: `type` is reserved")
    journal = tmp_path / "journal.toml"
    a_session(run, journal)
    before = journal.read_bytes()
    nulls = tmp_path / "nulls.jsonl"
    nulls.write_text(
        '{"type": "session", "id": "N1", "started": "2026-11-20T22:00:00+01:00", '
        '"planned_seconds": 600, "actual_seconds": 600, "ended": "finished", "gone": null}\n'
    )
    line = one_line_error(run("import", str(nulls), journal=journal), 1)
    assert line.startswith(f"matlog: {nulls}:1: session: `gone` is null")
    assert journal.read_bytes() == before
    fresh = tmp_path / "fresh.jsonl"  # JSON Lines keeps it, untouched
    assert run("import", str(nulls), journal=fresh).returncode == 0
    assert '"gone": null' in fresh.read_text()
