"""Shell completion in a real bash: the script from `matlog --show-completion`, TAB pressed.

The installed `matlog` is on PATH; bash starts without rc files (or, for the installed
script, with the ~/.bashrc that `--install-completion` wrote in a temporary HOME).
"""

from __future__ import annotations

import os
import sys
from datetime import datetime
from pathlib import Path

import pexpect
import pytest
from conftest import CET, make_session

from matlog.journal import Journal

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BIN = str(Path(sys.executable).parent)


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    journal = tmp_path / "journal.toml"
    Journal(journal).append(
        [
            make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET), tags=["bedtime"]),
            make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), tags=["bedtime", "sore"]),
        ]
    )
    return {
        **os.environ,
        "MATLOG_JOURNAL": str(journal),
        "PATH": f"{BIN}:/usr/bin:/bin",
        "TERM": "dumb",
        "PS1": "$ ",
        "INPUTRC": "/dev/null",
    }


def bash(env: dict[str, str], *args: str, cwd: Path | None = None) -> pexpect.spawn:
    child = pexpect.spawn(
        "bash", list(args), env=env, encoding="utf-8", timeout=15, dimensions=(30, 200), cwd=cwd
    )
    child.sendline("PS1='$ '")
    child.expect_exact("$ ")
    return child


def typed_line(child: pexpect.spawn) -> str:
    """The command line as completion left it (run as the arguments of an `echo`)."""
    child.sendcontrol("a")
    child.send("echo LINE: ")
    child.sendline("")
    child.expect(r"\nLINE: (.*?)\r\n")
    line: str = child.match.group(1)
    child.expect_exact("$ ")
    return line


def clear(child: pexpect.spawn) -> None:
    child.sendcontrol("u")
    child.sendline("")
    child.expect_exact("$ ")


def test_tab_in_bash_offers_commands_metrics_and_tags(env: dict[str, str]) -> None:
    child = bash(env, "--norc", "--noprofile")
    child.sendline("source <(matlog --show-completion)")  # shellingham finds bash: its script
    child.expect_exact("$ ")

    child.send("matlog \t\t")
    child.expect(
        r"check\s+edit\s+export\s+import\s+log\s+paths\s+plan\s+rate\s+sleep\s+start\s+stats\s+trial\s+undo"
    )
    clear(child)

    child.send("matlog rate pa\t")  # the name and its `=`, no space: the value comes next
    child.expect_exact("in=")
    child.send("\t\t")
    child.expect(r"0\s+1\s+10\s+2\s+3\s+4\s+5\s+6\s+7\s+8\s+9")
    child.send("3 st\t")
    assert typed_line(child) == "matlog rate pain=3 stress="

    child.send("matlog start -t \t\t")
    child.expect(r"bedtime\s+sore")
    clear(child)

    child.send("matlog start -b mo\t")
    assert typed_line(child) == "matlog start -b mood="
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_file_names_only_where_a_file_is_asked_for(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    (folder / "rescued-1.toml").write_text("", encoding="utf-8")
    (folder / "sore-notes.txt").write_text("", encoding="utf-8")
    child = bash(env, "--norc", "--noprofile", cwd=folder)
    child.sendline("source <(matlog --show-completion)")
    child.expect_exact("$ ")

    child.send("matlog import res\t")
    assert typed_line(child) == "matlog import rescued-1.toml"
    child.send("matlog --journal res\t")
    assert typed_line(child) == "matlog --journal rescued-1.toml"
    child.send("matlog export -o so\t")
    assert typed_line(child) == "matlog export -o sore-notes.txt"
    # A tag that no session has (yet): nothing, not the folder's file names.
    child.send("matlog start -t so\t")
    assert typed_line(child) == "matlog start -t sore"  # the journal's tag
    child.send("matlog start -t res\t")
    assert typed_line(child) == "matlog start -t res"
    child.send("matlog rate pain=3 res\t")
    assert typed_line(child) == "matlog rate pain=3 res"
    child.sendline("exit")
    child.expect(pexpect.EOF)


def test_install_completion_then_a_new_bash_completes(
    env: dict[str, str], isolated_home: Path
) -> None:
    (isolated_home / ".bashrc").write_text("alias ll='ls -l'\n", encoding="utf-8")
    child = bash(env, "--norc", "--noprofile")
    for _ in range(3):  # again and again: the line goes in once, nothing else piles up
        child.sendline("matlog --install-completion")
        child.expect("bash completion installed in")
        child.expect_exact("$ ")
    child.sendline("exit")
    child.expect(pexpect.EOF)
    assert (isolated_home / ".bash_completions" / "matlog.sh").is_file()
    script = isolated_home / ".bash_completions" / "matlog.sh"
    assert (isolated_home / ".bashrc").read_text(encoding="utf-8") == (
        f"alias ll='ls -l'\nsource '{script}'\n"
    )

    child = bash(env, "-i")  # reads the ~/.bashrc just written
    child.send("matlog start -t \t\t")
    child.expect(r"bedtime\s+sore")
    clear(child)
    child.sendline("exit")
    child.expect(pexpect.EOF)
