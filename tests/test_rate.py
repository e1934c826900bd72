"""`matlog rate` and the owed-rating offer: which session is rated, and what is said."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import ratings
from matlog.config import Config
from matlog.journal import Journal, remove_session
from matlog.prompts import Prompter
from matlog.session import recovery

OLDER = make_session(datetime(2026, 11, 20, 22, 15, tzinfo=CET), before={"pain": 5})
LATEST = make_session(
    datetime(2026, 11, 22, 21, 40, tzinfo=CET), before={"pain": 6}, after={"pain": 4}
)


@pytest.fixture
def two_sessions(journal_path: Path) -> Journal:
    journal = Journal(journal_path)
    journal.append([OLDER, LATEST])
    return journal


def after_by_id(journal: Journal) -> dict[str | None, dict[str, int]]:
    return {s.id: s.after for s in journal.read().sessions}


def test_rate_names_the_session_and_the_value_it_replaced(invoke, two_sessions: Journal) -> None:
    result = invoke("rate", "pain=2", "mood=7")
    assert result.exit_code == 0, result.output
    assert result.stdout == "Rated the latest session (Sun 2026-11-22 21:40): pain 4 → 2, mood 7.\n"
    assert after_by_id(two_sessions) == {OLDER.id: {}, LATEST.id: {"pain": 2, "mood": 7}}


def test_rate_the_same_value_again_changes_nothing_and_says_so(
    invoke, two_sessions: Journal
) -> None:
    before = two_sessions.path.read_bytes()
    result = invoke("rate", "pain=4")
    assert result.exit_code == 0, result.output
    assert "pain 4 (as before)" in result.stdout
    assert two_sessions.path.read_bytes() == before


def test_rate_session_by_id_rates_that_one_and_names_it_with_its_id(
    invoke, two_sessions: Journal
) -> None:
    result = invoke("rate", "--session", str(OLDER.id), "pain=3")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Rated the session (Fri 2026-11-20 22:15, id {OLDER.id}): pain 3.\n"
    assert after_by_id(two_sessions) == {OLDER.id: {"pain": 3}, LATEST.id: {"pain": 4}}


def test_rate_session_naming_the_latest_says_latest(invoke, two_sessions: Journal) -> None:
    result = invoke("rate", "pain=1", "--session", str(LATEST.id))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Rated the latest session (Sun 2026-11-22 21:40): pain 4 → 1")


@pytest.mark.parametrize("session_id", ["01NOSUCHSESSION", ""])
def test_an_unknown_id_is_a_usage_error_with_a_hint(
    invoke, two_sessions: Journal, session_id: str
) -> None:
    before = two_sessions.path.read_bytes()
    result = invoke("rate", "--session", session_id, "pain=3")
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert f"no session has the id {session_id!r}" in line
    assert "`matlog log --json` shows each session's id" in line
    assert result.stdout == ""
    assert two_sessions.path.read_bytes() == before


def test_no_session_at_all_is_a_usage_error(invoke, journal_path: Path) -> None:
    journal_path.write_text("format = 1\n")
    result = invoke("rate", "pain=3")
    assert result.exit_code == 2
    assert "there is no session to rate" in result.stderr


def test_a_session_removed_meanwhile_is_never_replaced_by_another(two_sessions: Journal) -> None:
    [shown, _] = two_sessions.read().sessions  # OLDER: shown to the user, then ...
    two_sessions.rewrite(remove_session(shown))  # ... `matlog undo` elsewhere removes it
    with pytest.raises(ratings.NoSuchSession):
        ratings.add_after_ratings(two_sessions, shown.id, {"pain": 1})
    assert after_by_id(two_sessions) == {LATEST.id: {"pain": 4}}


def test_rate_clears_the_rating_owed_only_for_the_session_it_rated(
    invoke, two_sessions: Journal, isolated_home: Path
) -> None:
    state = isolated_home / ".local/state/matlog"
    recovery.write_json(
        recovery.pending_rating_path(state), {"journal": str(two_sessions.path), "id": OLDER.id}
    )
    assert invoke("rate", "pain=2").exit_code == 0  # the latest: the older is still owed
    assert recovery.pending_rating_path(state).exists()
    assert invoke("rate", "--session", str(OLDER.id), "pain=2").exit_code == 0
    assert not recovery.pending_rating_path(state).exists()


# ---------------------------------------------------------------------------------------
# The owed-rating offer ("Rate it now?") says what became of the answer


class AnsweringPrompter(Prompter):
    """Answers from a list; `meanwhile` runs when the first after-rating is asked."""

    def __init__(self, answers: list[str], meanwhile=None) -> None:  # type: ignore[no-untyped-def]
        super().__init__(interactive=True, stdin=io.StringIO(), stdout=io.StringIO())
        self.answers = answers
        self.meanwhile = meanwhile

    def ask(self, question: str, timeout: float | None = None) -> str:
        if question.startswith("After") and self.meanwhile is not None:
            self.meanwhile()
            self.meanwhile = None
        return self.answers.pop(0)


def offer(journal: Journal, state: Path, prompter: Prompter) -> list[str]:
    said: list[str] = []
    recovery.offer_owed_rating(state, journal, prompter, Config().metrics, said.append)
    return said


@pytest.fixture
def owed(two_sessions: Journal, tmp_path: Path) -> Path:
    state = tmp_path / "state"
    recovery.write_json(
        recovery.pending_rating_path(state), {"journal": str(two_sessions.path), "id": OLDER.id}
    )
    return state


def test_the_offer_says_which_session_it_saved_and_with_what(
    two_sessions: Journal, owed: Path
) -> None:
    said = offer(two_sessions, owed, AnsweringPrompter(["y", "2", "", "6"]))
    assert said == [
        f"Saved the after-ratings of the session (Fri 2026-11-20 22:15, id {OLDER.id}): "
        "pain 2, mood 6."
    ]
    assert after_by_id(two_sessions) == {OLDER.id: {"pain": 2, "mood": 6}, LATEST.id: {"pain": 4}}
    assert not recovery.pending_rating_path(owed).exists()


@pytest.mark.parametrize(
    ("answers", "words"),
    [(["n"], "Not rated: the session of Fri 22:15"), (["y", "", "", ""], "No ratings given")],
)
def test_the_offer_says_when_nothing_was_saved(
    two_sessions: Journal, owed: Path, answers: list[str], words: str
) -> None:
    said = offer(two_sessions, owed, AnsweringPrompter(answers))
    assert len(said) == 1 and said[0].startswith(words)
    assert "stays without after-ratings" in said[0]
    assert after_by_id(two_sessions) == {OLDER.id: {}, LATEST.id: {"pain": 4}}
    assert not recovery.pending_rating_path(owed).exists()


def test_the_offer_rates_the_owed_session_by_id_when_another_was_logged_meanwhile(
    two_sessions: Journal, owed: Path
) -> None:
    newest = make_session(datetime(2026, 11, 23, 21, 0, tzinfo=CET))
    prompter = AnsweringPrompter(
        ["y", "1", "", ""], meanwhile=lambda: two_sessions.append([newest])
    )
    said = offer(two_sessions, owed, prompter)
    assert said[0].startswith("Saved the after-ratings of the session (Fri 2026-11-20 22:15")
    assert after_by_id(two_sessions) == {
        OLDER.id: {"pain": 1},
        LATEST.id: {"pain": 4},
        newest.id: {},
    }


def test_the_offer_rates_nothing_when_the_session_was_removed_meanwhile(
    two_sessions: Journal, owed: Path
) -> None:
    def undo_elsewhere() -> None:
        [shown] = [s for s in two_sessions.read().sessions if s.id == OLDER.id]
        two_sessions.rewrite(remove_session(shown))

    said = offer(two_sessions, owed, AnsweringPrompter(["y", "1", "", ""], undo_elsewhere))
    assert said == ["Not saved: the session of Fri 22:15 is no longer in the journal."]
    assert after_by_id(two_sessions) == {LATEST.id: {"pain": 4}}
