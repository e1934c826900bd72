"""Crashes that became one line (issue #10, item 10): each through the installed matlog.

A number of days too large for a date, a journal that is not a regular file (a device, a
FIFO), and a standard output that cannot be written (a full disk): one line on stderr,
the documented exit code, no traceback, nothing written.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import make_session

from matlog.errors import JournalError, RecordRescued
from matlog.journal import Journal
from matlog.journal.rescue import append_or_rescue

MATLOG = str(Path(sys.executable).parent / "matlog")


def run(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    options: dict[str, object] = {
        "stdin": subprocess.DEVNULL,
        "stdout": subprocess.PIPE,
        "stderr": subprocess.PIPE,
    }
    options.update(kwargs)
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [MATLOG, *args], env=env, text=True, timeout=30, **options
    )


def one_line(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("matlog: "), result.stderr
    return lines[0]


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    path = tmp_path / "journal.toml"
    Journal(path).append([make_session(note="kept")])
    return {**os.environ, "MATLOG_JOURNAL": str(path)}


# -- --last too large for a date ---------------------------------------------------------


@pytest.mark.parametrize("last", ["1000000d", "999999999999w", "3000000"])
@pytest.mark.parametrize("json", [[], ["--json"]])
def test_a_last_beyond_the_calendar_is_a_usage_error(
    env: dict[str, str], last: str, json: list[str]
) -> None:
    line = one_line(run(["stats", *json, "--last", last], env), 2)
    assert "--last" in line


def test_the_largest_last_that_fits_still_works(env: dict[str, str]) -> None:
    result = run(["stats", "--json", "--last", "700000d"], env)
    assert result.returncode == 0, result.stderr


# -- a journal that is not a regular file ------------------------------------------------


@pytest.mark.parametrize("args", [["log"], ["stats", "--json"], ["check"], ["undo", "--yes"]])
def test_a_device_as_the_journal_is_refused_before_reading(
    env: dict[str, str], args: list[str]
) -> None:
    line = one_line(run(args, {**env, "MATLOG_JOURNAL": "/dev/zero"}), 1)
    assert "/dev/zero is not a regular file" in line
    assert not os.path.exists("/dev/.zero.lock")  # no lock file made beside a device


@pytest.mark.parametrize("args", [["log"], ["stats", "--json"], ["check"]])
def test_a_fifo_as_the_journal_is_refused_without_hanging(
    env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    fifo = tmp_path / "journal-fifo.toml"
    os.mkfifo(fifo)
    line = one_line(run(args, {**env, "MATLOG_JOURNAL": str(fifo)}), 1)
    assert "is not a regular file" in line


def test_a_sleep_rating_for_a_fifo_journal_is_rescued_without_hanging(
    env: dict[str, str], tmp_path: Path
) -> None:
    fifo = tmp_path / "journal-fifo.toml"
    os.mkfifo(fifo)
    result = run(["sleep", "7"], {**env, "MATLOG_JOURNAL": str(fifo)})
    assert result.returncode == 1 and "Traceback" not in result.stderr
    last = result.stderr.splitlines()[-1]
    assert "is not a regular file" in last and "The record was not lost" in last


def test_an_append_to_a_fifo_is_refused_and_the_record_rescued(tmp_path: Path) -> None:
    fifo = tmp_path / "journal.toml"
    os.mkfifo(fifo)
    with pytest.raises(JournalError, match="not a regular file"):
        Journal(fifo).append([make_session()])
    with pytest.raises(RecordRescued):
        append_or_rescue(Journal(fifo), [make_session()])


def test_a_symlink_to_a_regular_journal_is_fine(env: dict[str, str], tmp_path: Path) -> None:
    link = tmp_path / "link.toml"
    link.symlink_to(env["MATLOG_JOURNAL"])
    result = run(["log", "--json"], {**env, "MATLOG_JOURNAL": str(link)})
    assert result.returncode == 0, result.stderr
    assert '"kept"' in result.stdout


# -- a full standard output --------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args",
    [["log"], ["log", "--json"], ["stats"], ["stats", "--json"], ["export"], ["plan", "--json"],
     ["--version"], ["check"]],
)  # fmt: skip
def test_a_full_standard_output_is_one_line_and_exit_1(
    env: dict[str, str], args: list[str]
) -> None:
    before = Path(env["MATLOG_JOURNAL"]).read_bytes()
    with open("/dev/full", "w") as full:
        result = run(args, env, stdout=full, stderr=subprocess.PIPE)
    line = one_line(result, 1)
    assert "cannot write the output" in line and "No space left on device" in line
    assert Path(env["MATLOG_JOURNAL"]).read_bytes() == before
