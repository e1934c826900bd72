"""Each journal command through the CLI: invoke, exit code, output, then the journal."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import CET, make_session
from typer.testing import CliRunner

from matlog import journal
from matlog.cli import app
from matlog.clock import FakeClock
from matlog.env import Env
from matlog.journal import Journal
from matlog.lightclass import replace


def one_error_line(result, code: int) -> str:
    """The run failed with `code` and said so in one line on stderr, without a traceback."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("matlog: "), result.stderr
    return lines[0]


def write_sessions(path: Path, count: int = 3) -> list:
    sessions = [
        make_session(datetime(2026, 11, 20 + i, 22, 0, tzinfo=CET), note=f"n{i}")
        for i in range(count)
    ]
    Journal(path).append(sessions)
    return sessions


BROKEN = "format = 1\n\n[[session]]\nstarted = 2026-11-20T22:00:00+01:00\nplanned_seconds = 600\n"


# -- log --------------------------------------------------------------------------------


def test_log_without_a_journal_says_none_yet(invoke, journal_path: Path) -> None:
    result = invoke("log")
    assert result.exit_code == 0
    assert "No sessions yet" in result.stdout
    assert not journal_path.exists()


def test_log_lists_newest_first_and_n_limits(invoke, journal_path: Path) -> None:
    write_sessions(journal_path, 3)
    result = invoke("log", "-n", "2", "--json")
    assert result.exit_code == 0
    assert [s["note"] for s in json.loads(result.stdout)] == ["n2", "n1"]
    table = invoke("log")
    assert table.exit_code == 0
    assert table.stdout.index("n2") < table.stdout.index("n1") < table.stdout.index("n0")


def test_log_rejects_a_count_below_one(invoke) -> None:
    one_error_line(invoke("log", "-n", "0"), 2)


def test_log_of_a_broken_journal_names_the_line(invoke, journal_path: Path) -> None:
    journal_path.write_text(BROKEN)
    line = one_error_line(invoke("log"), 1)
    assert line.startswith(f"matlog: {journal_path}:3: session: `ended` is missing")
    assert journal_path.read_text() == BROKEN


# -- check ------------------------------------------------------------------------------


def test_check_a_valid_journal(invoke, journal_path: Path) -> None:
    write_sessions(journal_path, 2)
    result = invoke("check")
    assert result.exit_code == 0
    assert result.stdout == f"{journal_path}: 2 sessions, 0 nights, no problems\n"


def test_check_a_missing_journal(invoke, journal_path: Path) -> None:
    result = invoke("check")
    assert result.exit_code == 0
    assert "(the file does not exist yet)" in result.stdout
    assert not journal_path.exists()


def test_check_lists_every_problem(invoke, tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    path.write_text(
        '{"type": "sleep", "night": "2026-11-20", "rating": 7}\n'
        '{"type": "sleep", "night": "2026-11-21", "rating": 11}\n'
        "not json\n"
        '{"type": "nap"}\n'
    )
    before = path.read_bytes()
    result = invoke("--journal", str(path), "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:2: sleep: `rating` must be from 0 to 10, got 11",
        f"{path}:3: not valid JSON: Expecting value (column 1)",
        f"""{path}:4: "type" must be "session", "sleep" or "trial", got 'nap'""",
    ]
    assert path.read_bytes() == before


def test_a_rating_without_a_name_is_a_located_problem(invoke, tmp_path: Path) -> None:
    path = tmp_path / "j.toml"
    path.write_text(
        "[[session]]\nstarted = 2026-11-01T22:00:00+01:00\nplanned_seconds = 600\n"
        'actual_seconds = 600\nended = "finished"\nbefore = { "" = 3, pain = 4 }\n'
        'after = { " " = 2 }\n'
    )
    result = invoke("--journal", str(path), "check")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"{path}:6: session: `before` has a rating without a name ('' = 3)"
    ]
    imported = invoke("import", str(path))  # nor does import take one into the journal
    assert imported.exit_code == 1 and "without a name" in imported.stderr


# -- undo -------------------------------------------------------------------------------


def test_undo_yes_removes_the_last_session_and_prints_it(invoke, journal_path: Path) -> None:
    sessions = write_sessions(journal_path, 3)
    result = invoke("undo", "--yes")
    assert result.exit_code == 0, result.output
    assert "Removed the session of 2026-11-22 22:00" in result.stdout
    assert f'id = "{sessions[2].id}"' in result.stdout  # so it can be added back
    assert [s.note for s in Journal(journal_path).read().sessions] == ["n0", "n1"]


@pytest.mark.parametrize(("answer", "kept"), [("y\n", 2), ("n\n", 3), ("\n", 3)])
def test_undo_at_a_terminal_asks_first(invoke, journal_path: Path, answer: str, kept: int):
    write_sessions(journal_path, 3)
    result = invoke("undo", input=answer, interactive=True)
    assert result.exit_code == 0, result.output
    assert "Remove this session? [y/N]" in result.stderr
    assert len(Journal(journal_path).read().sessions) == kept
    assert ("Kept." in result.stdout) == (kept == 3)


def test_undo_without_yes_off_a_terminal_is_a_usage_error(invoke, journal_path: Path) -> None:
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    line = one_error_line(invoke("undo"), 2)
    assert "--yes" in line
    assert journal_path.read_bytes() == before


def test_undo_with_nothing_to_undo(invoke, journal_path: Path) -> None:
    one_error_line(invoke("undo", "--yes"), 2)
    assert not journal_path.exists()


def test_undo_of_a_broken_journal_writes_nothing(invoke, journal_path: Path) -> None:
    journal_path.write_text(BROKEN)
    one_error_line(invoke("undo", "--yes"), 1)
    assert journal_path.read_text() == BROKEN


# -- export -----------------------------------------------------------------------------


def test_export_an_unknown_format_is_a_usage_error(invoke) -> None:
    line = one_error_line(invoke("export", "--format", "xml"), 2)
    assert "csv, jsonl or toml" in line


def test_export_to_a_folder_that_is_not_there(invoke, journal_path: Path, tmp_path) -> None:
    write_sessions(journal_path, 1)
    line = one_error_line(invoke("export", "-o", str(tmp_path / "no" / "such.csv")), 1)
    assert "cannot write" in line


def test_export_reports_the_count_on_stderr(invoke, journal_path: Path, tmp_path) -> None:
    write_sessions(journal_path, 2)
    out = tmp_path / "out.csv"
    result = invoke("export", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == f"Wrote 2 records to {out}\n"
    assert len(out.read_text().splitlines()) == 3


def test_export_of_a_broken_journal_writes_nothing(invoke, journal_path: Path, tmp_path) -> None:
    journal_path.write_text(BROKEN)
    out = tmp_path / "out.csv"
    one_error_line(invoke("export", "-o", str(out)), 1)
    assert not out.exists()


# -- import -----------------------------------------------------------------------------


def test_import_a_missing_file(invoke, journal_path: Path, tmp_path: Path) -> None:
    line = one_error_line(invoke("import", str(tmp_path / "nope.toml")), 1)
    assert "cannot read" in line and "nope.toml" in line
    assert not journal_path.exists()


def test_import_a_broken_file_names_its_line(invoke, journal_path: Path, tmp_path) -> None:
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    other = tmp_path / "other.toml"
    other.write_text(BROKEN)
    line = one_error_line(invoke("import", str(other)), 1)
    assert line.startswith(f"matlog: {other}:3: ")
    assert journal_path.read_bytes() == before


def test_import_into_a_broken_journal_writes_nothing(invoke, journal_path, tmp_path) -> None:
    journal_path.write_text(BROKEN)
    other = tmp_path / "other.jsonl"
    write_sessions(other, 2)
    line = one_error_line(invoke("import", str(other)), 1)
    assert line.startswith(f"matlog: {journal_path}:3: ")
    assert journal_path.read_text() == BROKEN


# -- edit -------------------------------------------------------------------------------


def fake_editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a Python script that changes the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text("import sys\nfrom pathlib import Path\np = Path(sys.argv[1])\n" + body)
    return f"{sys.executable} {script}"


def test_edit_saves_a_valid_change(invoke, journal_path, tmp_path, monkeypatch) -> None:
    write_sessions(journal_path, 1)
    journal_path.chmod(0o640)
    body = "p.write_text(p.read_text().replace('note = \"n0\"', 'note = \"edited\"'))\n"
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, body))
    result = invoke("edit")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Saved {journal_path}: no problems.\n"
    assert Journal(journal_path).read().sessions[0].note == "edited"
    assert oct(journal_path.stat().st_mode & 0o777) == oct(0o640)
    assert not list(tmp_path.glob(".journal.edit-*"))


def test_edit_without_changes(invoke, journal_path, tmp_path, monkeypatch) -> None:
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "pass\n"))
    result = invoke("edit")
    assert result.exit_code == 0 and result.stdout == "No changes.\n"
    assert journal_path.read_bytes() == before


def test_edit_that_breaks_the_journal_is_not_saved(invoke, journal_path, tmp_path, monkeypatch):
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    body = "p.write_text(p.read_text().replace('ended = \"finished\"', 'ended = \"napped\"'))\n"
    monkeypatch.setenv("VISUAL", fake_editor(tmp_path, body))
    result = invoke("edit")
    assert result.exit_code == 1
    assert "ended` must be one of" in result.stdout  # the problem, in the copy
    line = one_error_line(result, 1)
    assert "the journal is unchanged" in line and "your edits are kept in" in line
    assert journal_path.read_bytes() == before
    [copy] = tmp_path.glob(".journal.edit-*.toml")
    assert b"napped" in copy.read_bytes()


def test_edit_when_the_editor_fails(invoke, journal_path, tmp_path, monkeypatch) -> None:
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "p.write_text('junk')\nsys.exit(3)\n"))
    line = one_error_line(invoke("edit"), 2)
    assert "exited with 3" in line
    assert journal_path.read_bytes() == before
    assert not list(tmp_path.glob(".journal.edit-*"))


@pytest.mark.parametrize(
    "editor",
    ["true; touch {marker}", "true $(touch {marker})", "true `touch {marker}`", "touch{marker}"],
)
def test_the_editor_runs_without_a_shell(invoke, journal_path, tmp_path, monkeypatch, editor):
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    marker = tmp_path / "pwned"
    monkeypatch.setenv("EDITOR", editor.format(marker=marker))
    result = invoke("edit")
    assert "Traceback" not in result.output
    assert not marker.exists()
    assert journal_path.read_bytes() == before
    assert not list(tmp_path.glob(".journal.edit-*"))


def test_an_editor_that_does_not_exist(invoke, journal_path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EDITOR", "no-such-editor-xyz --wait")
    line = one_error_line(invoke("edit"), 2)
    assert "cannot run the editor 'no-such-editor-xyz'" in line
    assert not journal_path.exists()


def test_an_editor_variable_that_does_not_split(invoke, journal_path, monkeypatch) -> None:
    monkeypatch.setenv("VISUAL", "vim 'unclosed")
    line = one_error_line(invoke("edit"), 2)
    assert "VISUAL" in line


# -- paths, usage -----------------------------------------------------------------------


def test_paths_lists_every_place(invoke, journal_path: Path, isolated_home: Path) -> None:
    result = invoke("paths")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["journal", "config", "state", "cache"]
    assert str(journal_path) in result.stdout and str(isolated_home) in result.stdout
    assert "(not created yet)" in result.stdout


@pytest.mark.parametrize(
    "args", [["nonsense"], ["log", "--bogus"], ["log", "-n", "x"], ["import"], ["--journal"]]
)
def test_usage_errors_are_one_line_exit_2(invoke, args) -> None:
    one_error_line(invoke(*args), 2)


def test_the_installed_script_reports_errors_without_a_traceback(tmp_path: Path) -> None:
    import subprocess

    path = tmp_path / "j.toml"
    path.write_text(BROKEN)
    script = Path(sys.executable).parent / "matlog"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "matlog"]
    env = {**os.environ, "MATLOG_JOURNAL": str(path)}
    done = subprocess.run([*command, "log"], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 1
    assert done.stdout == "" and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"matlog: {path}:3: ") and done.stderr.count("\n") == 1
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, check=False)
    assert version.returncode == 0 and version.stdout.startswith("matlog ")


def test_export_never_writes_over_the_journal(invoke, journal_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import make_session

    from matlog.journal import Journal

    Journal(journal_path).append([make_session()])
    before = journal_path.read_bytes()
    result = invoke("export", "-f", "csv", "-o", str(journal_path))
    assert result.exit_code == 2
    assert "is the journal itself" in result.stderr
    assert journal_path.read_bytes() == before


def test_importing_a_csv_export_says_what_import_takes(invoke, journal_path, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from conftest import make_session

    from matlog.journal import Journal

    Journal(journal_path).append([make_session()])
    csv_file = tmp_path / "out.csv"
    assert invoke("export", "-o", str(csv_file)).exit_code == 0
    result = invoke("import", str(csv_file))
    assert result.exit_code == 1
    assert "not a CSV export" in result.stderr and "matlog check" not in result.stderr


def test_a_usage_error_points_to_the_commands_own_help(invoke) -> None:  # type: ignore[no-untyped-def]
    result = invoke("log", "--bogus")
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("see `matlog log --help`")


def test_a_read_only_folder_is_named_when_undo_cannot_replace_the_file(
    invoke, journal_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import errno
    import os as real_os

    from conftest import make_session

    import matlog.privatefiles as jmod
    from matlog.journal import Journal

    Journal(journal_path).append([make_session(), make_session()])
    before = journal_path.read_bytes()

    class NoNewFiles:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real_os, name)

        def open(self, path, flags, mode=0o777):  # type: ignore[no-untyped-def]
            if ".tmp-" in str(path):
                raise PermissionError(errno.EACCES, "Permission denied", str(path))
            return real_os.open(path, flags, mode)

    monkeypatch.setattr(jmod, "os", NoNewFiles())
    result = invoke("undo", "--yes")
    assert result.exit_code == 1
    assert f"writes a new file in {journal_path.parent}" in result.stderr
    assert journal_path.read_bytes() == before


def test_edit_names_the_folder_it_cannot_write(invoke, journal_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import errno
    import os as real_os

    import matlog.privatefiles as editing

    journal_path.write_text("format = 1\n")
    monkeypatch.setenv("EDITOR", "true")

    class NoCopies:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real_os, name)

        def open(self, path, flags, mode=0o777):  # type: ignore[no-untyped-def]
            raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(editing, "os", NoCopies())
    result = invoke("edit")
    assert result.exit_code == 1
    assert f"cannot make a copy to edit in {journal_path.parent}" in result.stderr
    assert "must be writable" in result.stderr


# -- export onto another name of the journal (issue #10 item 7) --------------------------


def test_export_onto_a_hard_link_to_the_journal_is_refused(invoke, journal_path, tmp_path):
    write_sessions(journal_path, 2)
    before = journal_path.read_bytes()
    other_name = tmp_path / "backup.csv"
    os.link(journal_path, other_name)
    line = one_error_line(invoke("export", "-o", str(other_name)), 2)
    assert "is the journal itself" in line and "backup.csv" in line
    assert journal_path.read_bytes() == before
    assert os.path.samefile(journal_path, other_name)  # the link is as it was too


def test_export_onto_a_symlink_to_a_hard_link_is_refused(invoke, journal_path, tmp_path):
    write_sessions(journal_path, 1)
    before = journal_path.read_bytes()
    (tmp_path / "sub").mkdir()
    os.link(journal_path, tmp_path / "sub" / "linked.toml")
    pointer = tmp_path / "pointer.csv"
    pointer.symlink_to(tmp_path / "sub" / "linked.toml")
    one_error_line(invoke("export", "-f", "toml", "-o", str(pointer)), 2)
    assert journal_path.read_bytes() == before


def test_a_full_disk_during_export_leaves_the_old_backup_whole(
    invoke, journal_path, tmp_path, monkeypatch
):
    import errno

    import matlog.privatefiles as privatefiles

    write_sessions(journal_path, 3)
    backup = tmp_path / "backup.jsonl"
    backup.write_bytes(b'{"an": "old backup"}\n' * 50)
    before = backup.read_bytes()
    real_os = privatefiles.os

    class FullDisk:
        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(real_os, name)

        def write(self, fd, data):  # type: ignore[no-untyped-def]
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(privatefiles, "os", FullDisk())
    line = one_error_line(invoke("export", "-f", "jsonl", "-o", str(backup)), 1)
    assert "No space left on device" in line
    assert backup.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


# -- undo while the journal changes (issue #10, item 5) ---------------------------------


class _MeanwhileEnv(Env):
    """An Env whose confirmation prompt lets something else change the journal first."""

    meanwhile: Callable[[], None] = staticmethod(lambda: None)  # type: ignore[assignment]

    def prompter(self) -> Any:
        meanwhile = self.meanwhile

        class Answer:
            def confirm(self, question: str, *, default: bool) -> bool:
                meanwhile()  # another terminal or a sync tool, while the user reads
                return True

        return Answer()


def _undo_with(journal_path: Path, clock: FakeClock, meanwhile: Callable[[], None]) -> Any:
    env = _MeanwhileEnv(journal_path=journal_path, clock=clock, interactive=True)
    env.meanwhile = meanwhile  # type: ignore[method-assign]
    return CliRunner().invoke(app, ["undo"], obj=env)


def test_undo_removes_the_session_it_showed_not_one_appended_meanwhile(
    journal_path: Path, clock: FakeClock
) -> None:
    shown = write_sessions(journal_path, 2)[-1]
    newer = make_session(datetime(2026, 11, 23, 22, 0, tzinfo=CET), note="meanwhile")
    result = _undo_with(journal_path, clock, lambda: Journal(journal_path).append([newer]))
    assert result.exit_code == 0, result.output
    assert f'id = "{shown.id}"' in result.stderr  # the session shown at the prompt
    assert f'id = "{shown.id}"' in result.stdout  # is the one removed
    assert [s.note for s in Journal(journal_path).read().sessions] == ["n0", "meanwhile"]


def test_undo_removes_nothing_if_the_shown_session_was_rated_meanwhile(
    journal_path: Path, clock: FakeClock
) -> None:
    write_sessions(journal_path, 2)

    def rate_it() -> None:
        Journal(journal_path).rewrite(_rate_latest)

    result = _undo_with(journal_path, clock, rate_it)
    line = one_error_line_of(result, 2)
    assert "changed or was removed meanwhile; nothing was removed" in line
    sessions = Journal(journal_path).read().sessions
    assert [s.note for s in sessions] == ["n0", "n1"]
    assert sessions[1].after == {"pain": 2}


def test_undo_removes_nothing_if_the_shown_session_was_removed_meanwhile(
    journal_path: Path, clock: FakeClock
) -> None:
    write_sessions(journal_path, 2)
    newer = make_session(datetime(2026, 11, 23, 22, 0, tzinfo=CET), note="meanwhile")

    def undo_elsewhere_then_append() -> None:
        Journal(journal_path).rewrite(journal.remove_last_session)
        Journal(journal_path).append([newer])

    line = one_error_line_of(_undo_with(journal_path, clock, undo_elsewhere_then_append), 2)
    assert "nothing was removed" in line
    assert [s.note for s in Journal(journal_path).read().sessions] == ["n0", "meanwhile"]


def _rate_latest(contents: Any) -> Any:
    last = journal.latest_session(contents)
    rated = replace(last, after={"pain": 2})
    sessions = [rated if s is last else s for s in contents.sessions]
    return replace(contents, sessions=sessions), last, rated


def one_error_line_of(result: Any, code: int) -> str:
    """`one_error_line` for a run whose prompt wrote to stderr before the error."""
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("matlog: ")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_log_n_below_1_is_said_in_words(invoke, journal_path: Path) -> None:
    result = invoke("log", "-n", "0")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "matlog: -n must be at least 1, got 0 — e.g. matlog log -n 5"
    ]
