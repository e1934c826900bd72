"""A journal matlog creates is said once, with where: a typo in --journal or MATLOG_JOURNAL
would otherwise start a second journal in silence."""

from __future__ import annotations

from pathlib import Path

from conftest import make_session
from typer.testing import CliRunner

from matlog.cli import app
from matlog.journal import Journal


def test_a_journal_in_a_folder_that_did_not_exist_says_where_once(invoke, tmp_path: Path) -> None:
    typo = tmp_path / "Dropbx" / "mat" / "journal.toml"
    first = invoke("--journal", str(typo), "sleep", "7")
    assert first.exit_code == 0, first.output
    assert first.stderr == (
        f"Created a new journal at {typo} (the folder {tmp_path / 'Dropbx'} did not exist).\n"
    )
    assert typo.exists()
    again = invoke("--journal", str(typo), "sleep", "6", "--night", "2026-11-01")
    assert again.exit_code == 0 and again.stderr == ""


def test_matlog_journal_names_it_too_and_the_path_is_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MATLOG_JOURNAL", "jounral/mat.jsonl")
    result = CliRunner().invoke(app, ["sleep", "7"])  # no Env handed in: the real lookup
    assert result.exit_code == 0, result.output
    where = tmp_path / "jounral"
    assert result.stderr == (
        f"Created a new journal at {where / 'mat.jsonl'} (the folder {where} did not exist).\n"
    )


def test_the_first_journal_in_the_usual_place_is_said_without_the_folder(
    isolated_home: Path,
) -> None:
    result = CliRunner().invoke(app, ["sleep", "7"])
    assert result.exit_code == 0, result.output
    default = isolated_home / ".local/share/matlog/journal.toml"
    assert result.stderr == f"Created a new journal at {default}.\n"


def test_a_session_that_creates_the_journal_says_so_after_its_summary(
    invoke, journal_path: Path
) -> None:
    first = invoke("start", "1m", "--settle", "0", "--yes")
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[-1] == f"Created a new journal at {journal_path}."
    assert first.output.rstrip().endswith(f"Created a new journal at {journal_path}.")
    second = invoke("start", "1m", "--settle", "0", "--yes")
    assert "Created a new journal" not in second.output


def test_import_into_a_new_journal_says_so(invoke, tmp_path: Path, journal_path: Path) -> None:
    other = tmp_path / "other.toml"
    Journal(other).append([make_session()])
    result = invoke("import", str(other))
    assert result.exit_code == 0, result.output
    assert f"Created a new journal at {journal_path}." in result.stderr


def test_commands_that_only_change_records_make_no_folder(invoke, tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "journal.toml"
    for args in (["rate", "pain=3"], ["undo", "--yes"]):
        result = invoke("--journal", str(typo), *args)
        assert result.exit_code == 2
        assert "Created" not in result.output
    assert not (tmp_path / "typo").exists()


def test_append_flags_the_file_and_the_folder_it_made(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "a" / "b" / "journal.toml")
    assert journal.created is None
    journal.append([make_session()])
    assert journal.created is not None and journal.created.folder == tmp_path / "a"
    again = Journal(journal.path)
    again.append([make_session(minutes=5)])
    assert again.created is None
    fresh = Journal(tmp_path / "journal.toml")
    fresh.append([make_session()])
    assert fresh.created is not None and fresh.created.folder is None
