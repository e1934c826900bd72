"""Shell completion: what one value may be (`matlog.completion`), and Typer's protocol.

The protocol tests run the app the way a shell does: `_MATLOG_COMPLETE=complete_bash` with
COMP_WORDS and COMP_CWORD as bash sets them (split at `=`), `_TYPER_COMPLETE_ARGS` for zsh
and fish. A real bash is driven in tests/test_e2e_completion.py.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CET, make_session
from typer.testing import CliRunner

from matlog import completion
from matlog.cli import app
from matlog.env import Env
from matlog.journal import Journal

# -- the values ---------------------------------------------------------------------------

METRICS = ["pain", "stress", "mood"]
RATINGS = [str(v) for v in range(11)]


def test_several_names_fit_each_is_offered_with_its_equals_sign() -> None:
    assert completion.rating_words(METRICS, "") == ["pain=", "stress=", "mood="]


def test_one_name_fits_its_ratings_are_offered_so_the_shell_fills_in_the_name() -> None:
    assert completion.rating_words(METRICS, "pa") == [f"pain={v}" for v in RATINGS]
    assert completion.rating_words(METRICS, "s") == [f"stress={v}" for v in RATINGS]


def test_after_the_equals_sign_the_ratings_that_fit() -> None:
    assert completion.rating_words(METRICS, "pain=") == [f"pain={v}" for v in RATINGS]
    assert completion.rating_words(METRICS, "pain=1") == ["pain=1", "pain=10"]
    assert completion.rating_words(METRICS, "pain=x") == []


def test_unknown_names_complete_nothing() -> None:
    assert completion.rating_words(METRICS, "sleep") == []
    assert completion.rating_words(METRICS, "sleep=") == []


def write_journal(path: Path) -> None:
    Journal(path).append(
        [
            make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET), tags=["bedtime"]),
            make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), tags=["bedtime", "sore"]),
            make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), area="calves"),
        ]
    )


def test_tags_come_from_the_journal_most_used_first(journal_path: Path) -> None:
    write_journal(journal_path)
    env = Env(journal_path=journal_path)
    assert completion.tags(env, "") == ["bedtime", "sore"]
    assert completion.tags(env, "s") == ["sore"]


def test_tags_follow_an_appended_session(journal_path: Path) -> None:
    write_journal(journal_path)
    assert completion.tags(Env(journal_path=journal_path), "") == ["bedtime", "sore"]
    Journal(journal_path).append(
        [make_session(tags=["sore", "morning"]), make_session(tags=["sore"], area="neck")]
    )
    assert completion.tags(Env(journal_path=journal_path), "") == ["sore", "bedtime", "morning"]


def test_areas_are_the_usual_ones_and_the_journals(journal_path: Path) -> None:
    write_journal(journal_path)
    env = Env(journal_path=journal_path)
    assert completion.areas(env, "") == ["back", "calves", "feet", "hands", "neck"]
    assert completion.areas(env, "c") == ["calves"]


def test_no_journal_completes_the_usual_areas_and_no_tags(journal_path: Path) -> None:
    env = Env(journal_path=journal_path)
    assert completion.tags(env, "") == []
    assert completion.areas(env, "") == ["back", "feet", "hands", "neck"]
    assert not journal_path.exists()


@pytest.mark.parametrize(
    "text",
    [
        "format = 1\n\n[[session]]\nstarted = 2026-11-20T22:00:00+01:00\n",  # broken
        "format = 1\n\n[[session]\n",  # not TOML
    ],
)
def test_a_broken_journal_completes_nothing_from_it_and_stays_as_it_was(
    journal_path: Path, text: str
) -> None:
    journal_path.write_text(text, encoding="utf-8")
    before = journal_path.stat()
    env = Env(journal_path=journal_path)
    assert completion.tags(env, "") == []
    assert completion.areas(env, "") == ["back", "feet", "hands", "neck"]
    after = journal_path.stat()
    assert journal_path.read_text(encoding="utf-8") == text
    assert (after.st_mtime_ns, after.st_size) == (before.st_mtime_ns, before.st_size)


def test_an_unreadable_journal_completes_nothing(journal_path: Path) -> None:
    journal_path.mkdir()  # a folder where the file should be
    assert completion.tags(Env(journal_path=journal_path), "") == []


def test_the_configured_metrics_are_completed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[metrics]\nfatigue = "lower"\n', encoding="utf-8")
    monkeypatch.setenv("MATLOG_CONFIG", str(config))
    assert completion.metric_names(Env(journal_path=tmp_path / "j.toml")) == ["fatigue"]
    config.write_text("[metrics\n", encoding="utf-8")  # broken: the built-in ones
    assert completion.metric_names(Env(journal_path=tmp_path / "j.toml")) == METRICS


# -- Typer's protocol -----------------------------------------------------------------------


def complete(env: dict[str, str]) -> list[str]:
    result = CliRunner().invoke(app, [], env=env, prog_name="matlog")
    assert result.exit_code == 0, result.output
    return result.stdout.split()


def bash_answers(line: str) -> list[tuple[str, str]]:
    """What bash's completion function gets for `line` (cursor at its end), as bash splits
    words (at blanks and around `=`): (type, value) pairs, one a line as TYPE,VALUE."""
    words = line.replace("=", " = ").split()
    if line.endswith(" "):
        words.append("")
    env = {
        "_MATLOG_COMPLETE": "complete_bash",
        "COMP_WORDS": " ".join(words),
        "COMP_CWORD": str(len(words) - 1),
    }
    result = CliRunner().invoke(app, [], env=env, prog_name="matlog")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line]  # "": no answer at all
    return [tuple(line.split(",", 1)) for line in lines]  # type: ignore[misc]


def bash(line: str) -> list[str]:
    """The words bash would offer for `line` (plain answers; see `bash_answers`)."""
    answers = bash_answers(line)
    assert {kind for kind, _ in answers} <= {"plain"}, answers
    return [value for _, value in answers]


def test_bash_offers_file_names_only_where_a_file_is_asked_for(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_journal(journal_path)
    monkeypatch.setenv("MATLOG_JOURNAL", str(journal_path))
    for line in (
        "matlog import ",
        "matlog import a.toml re",
        "matlog --journal ",
        "matlog export -o x",
    ):
        assert bash_answers(line) == [("file", "")], line
    # No tag, metric or command matches: no answer at all, and bash offers nothing.
    for line in ("matlog start -t zz", "matlog rate zz", "matlog zz", "matlog log -n "):
        assert bash_answers(line) == [], line


def test_zsh_offers_file_names_only_where_a_file_is_asked_for(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_journal(journal_path)
    monkeypatch.setenv("MATLOG_JOURNAL", str(journal_path))

    def zsh(line: str) -> str:
        env = {"_MATLOG_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": line}
        return str(CliRunner().invoke(app, [], env=env, prog_name="matlog").stdout.strip())

    assert zsh("matlog import re") == "_files"
    assert zsh("matlog --journal ") == "_files"
    assert zsh("matlog start -t zz") == ""
    assert zsh("matlog start -t s").startswith("_arguments")


def test_bash_commands_and_options() -> None:
    assert bash("matlog ") == [
        "start", "plan", "rate", "sleep", "log", "check", "edit", "undo", "export", "import",
        "paths", "stats", "trial",
    ]  # fmt: skip
    assert "--install-completion" in bash("matlog --")
    assert bash("matlog st") == ["start", "stats"]
    # (click keeps the help option's names in a set: their order varies; bash sorts anyway)
    assert sorted(bash("matlog log -")) == ["--count", "--help", "--json", "-h", "-n"]


def test_bash_metric_names_and_values_across_the_equals_sign() -> None:
    assert bash("matlog rate ") == ["pain=", "stress=", "mood="]
    assert bash("matlog rate pa") == [f"pain={v}" for v in RATINGS]
    # Bash replaces only what follows the `=`: the values alone.
    assert bash("matlog rate pain=") == RATINGS
    assert bash("matlog rate pain=1") == ["1", "10"]
    assert bash("matlog rate pain=3 st") == [f"stress={v}" for v in RATINGS]
    assert bash("matlog start -b pain=") == RATINGS
    assert bash("matlog start -a mo") == [f"mood={v}" for v in RATINGS]
    assert bash("matlog start --before=pa") == [f"pain={v}" for v in RATINGS]
    assert bash("matlog start --before=pain=1") == ["1", "10"]


def test_bash_tags_and_areas_from_the_journal(
    journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_journal(journal_path)
    monkeypatch.setenv("MATLOG_JOURNAL", str(journal_path))
    assert bash("matlog start -t ") == ["bedtime", "sore"]
    assert bash("matlog stats --tag b") == ["bedtime"]
    assert bash("matlog start --area ") == ["back", "calves", "feet", "hands", "neck"]
    assert bash("matlog stats --area ca") == ["calves"]
    assert bash("matlog start --layer ") == ["bare", "shirt", "sheet"]
    assert bash("matlog export -f ") == ["csv", "jsonl", "toml"]


def test_bash_follows_the_journal_option_as_typed(tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    write_journal(other)
    assert bash(f"matlog --journal {other} start -t ") == ["bedtime", "sore"]
    assert bash(f"matlog --journal={other} stats -t s") == ["sore"]


def test_zsh_and_fish_get_whole_words(journal_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_journal(journal_path)
    monkeypatch.setenv("MATLOG_JOURNAL", str(journal_path))
    zsh = complete(
        {"_MATLOG_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "matlog rate pain="}
    )
    assert zsh[0].startswith("_arguments") and '"pain=10"' in " ".join(zsh)
    fish = complete(
        {
            "_MATLOG_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
            "_TYPER_COMPLETE_ARGS": "matlog start -t ",
        }
    )
    assert fish == ["bedtime", "sore"]


def test_the_scripts_for_each_shell_call_matlog_back() -> None:
    for shell in ("bash", "zsh", "fish"):
        result = CliRunner().invoke(
            app, [], env={"_MATLOG_COMPLETE": f"source_{shell}"}, prog_name="matlog"
        )
        assert result.exit_code == 0
        assert "_MATLOG_COMPLETE=complete_" + shell in result.stdout


def test_completion_is_not_a_command_line_for_anything_else() -> None:
    # Without the variable, nothing is completed: the command runs (here: its help).
    assert "_MATLOG_COMPLETE" not in os.environ
    result = CliRunner().invoke(app, ["--help"], prog_name="matlog")
    assert "--install-completion" in result.stdout and "--show-completion" in result.stdout
