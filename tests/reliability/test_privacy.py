"""Every file matlog creates is private (0600, folders 0700), whatever the umask; an
existing file keeps its mode; $EDITOR runs without a shell, on a private copy."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rel_util import sessions, write_journal

from matlog import paths
from matlog.env import Env
from matlog.errors import DataError
from matlog.journal import Journal, remove_last_session, save_rescue


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture(autouse=True)
def permissive_umask() -> Iterator[None]:
    old = os.umask(0)  # the worst case: nothing is masked
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_journal_its_folder_and_lock_are_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "matlog" / "journal.toml"
    Journal(path).append(sessions(1))
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700
    assert mode(path.parent / ".journal.toml.lock") == 0o600


def test_undo_keeps_the_mode_and_the_temporary_copy_was_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "journal.jsonl"
    write_journal(path, sessions(3))
    path.chmod(0o600)
    seen: list[int] = []
    real_replace = os.replace

    def spy(src, dst):  # the copy's mode at the moment it becomes the journal
        if Path(dst) == path:
            seen.append(mode(Path(src)))
        return real_replace(src, dst)

    monkeypatch.setattr("matlog.journal.store.os.replace", spy)
    Journal(path).rewrite(remove_last_session)
    assert seen == [0o600] and mode(path) == 0o600


def test_an_existing_journal_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    write_journal(path, sessions(3))
    path.chmod(0o640)
    Journal(path).append(sessions(1, tag="x"))
    Journal(path).rewrite(remove_last_session)
    assert mode(path) == 0o640


def test_rescue_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "state" / "rescued"
    saved = save_rescue(sessions(1), [folder])
    assert saved is not None and mode(saved) == 0o600 and mode(folder) == 0o700


def test_a_rescue_file_name_cannot_escape_its_folder(tmp_path: Path) -> None:
    record = sessions(1)[0]
    record.id = "../../escaped/evil"
    folder = tmp_path / "rescued"
    saved = save_rescue([record], [folder])
    assert saved is not None and saved.parent == folder
    assert not (tmp_path / "escaped").exists()


def test_the_rescue_after_a_broken_journal_is_private(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text("format = 1\n[[session]]\n")
    with pytest.raises(DataError):
        Env(journal_path=path).append(sessions(1))
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    assert mode(rescued) == 0o600 and mode(rescued.parent) == 0o700


def test_export_to_a_file_is_private(invoke, journal_path: Path, tmp_path: Path) -> None:
    write_journal(journal_path, sessions(2))
    out = tmp_path / "export.csv"
    assert invoke("export", "-o", str(out)).exit_code == 0
    assert mode(out) == 0o600


def test_the_editor_gets_a_private_copy_and_no_shell(
    invoke, journal_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_journal(journal_path, sessions(2))
    report = tmp_path / "report"
    script = tmp_path / "editor.py"
    script.write_text(
        "import os, stat, sys\n"
        "mode = stat.S_IMODE(os.stat(sys.argv[-1]).st_mode)\n"
        f"open({str(report)!r}, 'w').write(repr((sys.argv[1:-1], oct(mode))))\n"
    )
    # Shell syntax in $EDITOR is passed on as plain words, never interpreted.
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script} $HOME ';' '|' '>x'")
    result = invoke("edit")
    assert result.exit_code == 0, result.output
    assert report.read_text() == repr((["$HOME", ";", "|", ">x"], "0o600"))
    assert not (Path.cwd() / "x").exists()
