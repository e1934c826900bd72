from pathlib import Path

from conftest import make_session

from matlog.journal import Journal


def test_log_shows_appended_sessions_newest_first(invoke, journal_path: Path) -> None:
    Journal(journal_path).append([make_session(note="first")])
    result = invoke("log", "--json")
    assert result.exit_code == 0, result.output
    assert '"note": "first"' in result.stdout
