"""Where files live: the overrides, and on Linux the same folders platformdirs would give."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from matlog import paths

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG rules")


@linux_only
@pytest.mark.parametrize("kind", ["data", "config", "state", "cache"])
@pytest.mark.parametrize(
    "xdg", [None, "", "   ", "relative/dir", "/abs/dir", "/abs/dir/", " /abs/leading-space"]
)
@pytest.mark.parametrize("home", ["from fixture", "relative-home"])
def test_linux_folders_agree_with_platformdirs(
    kind: str, xdg: str | None, home: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, variable, _ = paths._XDG[kind]
    if xdg is None:
        monkeypatch.delenv(variable, raising=False)
    else:
        monkeypatch.setenv(variable, xdg)
    if home == "relative-home":
        monkeypatch.setenv("HOME", "relative-home")
    expected = getattr(platformdirs, method)("matlog", appauthor=False)
    assert paths.user_dir(kind) == expected


def test_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATLOG_JOURNAL", str(tmp_path / "j.jsonl"))
    monkeypatch.setenv("MATLOG_CONFIG", "~/c.toml")
    assert paths.journal_path() == tmp_path / "j.jsonl"
    assert paths.journal_path(tmp_path / "other.toml") == tmp_path / "other.toml"
    assert paths.config_path() == Path.home() / "c.toml"


def test_a_relative_journal_is_made_absolute_where_it_was_typed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # It is stored in the state folder and read back by commands run from other folders.
    monkeypatch.chdir(tmp_path)
    assert paths.journal_path("j.toml") == tmp_path / "j.toml"
    monkeypatch.setenv("MATLOG_JOURNAL", "sub/../j.jsonl")
    assert paths.journal_path() == tmp_path / "sub/../j.jsonl"  # `..` is the file system's
    assert paths.journal_path().is_absolute()


def test_defaults_are_in_the_user_folders(isolated_home: Path) -> None:
    assert paths.journal_path() == isolated_home / ".local/share/matlog/journal.toml"
    assert paths.config_path() == isolated_home / ".config/matlog/config.toml"
    assert paths.state_dir() == isolated_home / ".local/state/matlog"
    assert paths.cache_dir() == isolated_home / ".cache/matlog"


def test_missing_parent_folders_are_made_private_too(tmp_path: Path) -> None:
    import os

    old = os.umask(0)
    try:
        made = paths.ensure_private_dir(tmp_path / "a" / "b" / "matlog")
    finally:
        os.umask(old)
    for folder in (tmp_path / "a", tmp_path / "a" / "b", made):
        assert folder.stat().st_mode & 0o777 == 0o700
