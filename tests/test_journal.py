"""The journal file: round trips, what is kept byte for byte, modes, undo, import, export."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import journal as jmod
from matlog.errors import JournalError
from matlog.journal import Journal, identity, load_file, remove_last_session, serialise
from matlog.records import Session, Sleep, new_id


def _sample() -> list[Session | Sleep]:
    first = datetime(2026, 11, 20, 22, 15, 3, tzinfo=CET)
    return [
        make_session(
            first,
            tags=["bedtime", "after run"],
            before={"pain": 6, "stress": 7},
            after={"pain": 3, "stress": 2},
            note='calmer, "quoted" \\ and ünïcödé',
            layer="shirt",
            surface="bed",
        ),
        Sleep(night=date(2026, 11, 20), rating=7, id=new_id(first), note="slept well"),
        make_session(first + timedelta(days=1), minutes=12, ended="stopped"),
    ]


SAMPLE = _sample()


def sample_records() -> list[Session | Sleep]:
    return list(SAMPLE)


def comparable(records: list[Session | Sleep]) -> list[str]:
    return [jmod.json_line(r) for r in records]


@pytest.fixture(params=["toml", "jsonl"])
def kind_path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    return tmp_path / f"journal.{request.param}"


# -- round trips -----------------------------------------------------------------------


def test_append_then_read_gives_the_same_records(kind_path: Path) -> None:
    records = sample_records()
    j = Journal(kind_path)
    j.append(records[:1])
    j.append(records[1:])
    contents = j.read()
    assert comparable(contents.records) == comparable(records)
    assert contents.sessions[0].started == records[0].started
    assert contents.sessions[0].started.utcoffset() == timedelta(hours=1)
    assert Journal(kind_path).check() == []


def test_unknown_fields_survive_reading_and_appending(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(
        "format = 1\n\n[[session]]\n"
        "started = 2026-11-20T22:15:03+01:00\nplanned_seconds = 600\nactual_seconds = 600\n"
        'ended = "finished"\nheart_rate = 62\nmat = { brand = "x", spikes = 6210 }\n'
    )
    j = Journal(path)
    [session] = j.read().sessions
    assert session.extra == {"heart_rate": 62, "mat": {"brand": "x", "spikes": 6210}}
    out = tmp_path / "copy.jsonl"
    Journal(out).append([session])
    [copied] = Journal(out).read().sessions
    assert copied.extra == session.extra
    line = json.loads(out.read_text())
    assert line["heart_rate"] == 62 and line["mat"]["spikes"] == 6210


HAND_WRITTEN = """\
# My mat journal — I keep notes here.
format = 1

[[session]]
# the first one, at my parents' place
started = 2026-11-20T22:15:03+01:00   # after the long drive
planned_seconds = 300
actual_seconds   =   300
ended = 'finished'
before = {pain=6}
note = \"\"\"
two lines\"\"\"

# trailing comment, no newline at the end"""


def test_append_keeps_hand_written_toml_byte_for_byte(journal_path: Path) -> None:
    journal_path.write_text(HAND_WRITTEN)
    before = journal_path.read_bytes()
    Journal(journal_path).append([make_session(note="new")])
    after = journal_path.read_bytes()
    assert after.startswith(before)
    contents = Journal(journal_path).read()
    assert [s.note for s in contents.sessions] == ["two lines", "new"]


def test_append_keeps_hand_written_jsonl_byte_for_byte(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    text = (
        '{"type": "sleep", "night": "2026-11-20", "rating": 7, "dreams": ["a"]}\n'
        "\n"
        '  {"rating":5,"night":"2026-11-21","type":"sleep"}'  # no newline at the end
    )
    path.write_text(text)
    Journal(path).append([make_session()])
    data = path.read_text()
    assert data.startswith(text + "\n")
    assert len(Journal(path).read().records) == 3


def test_append_to_a_crlf_journal_keeps_crlf(journal_path: Path) -> None:
    journal_path.write_bytes(b"format = 1\r\n")
    Journal(journal_path).append([make_session(), make_session()])
    data = journal_path.read_bytes()
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert len(Journal(journal_path).read().sessions) == 2


def test_new_toml_journal_starts_with_the_preamble(journal_path: Path) -> None:
    Journal(journal_path).append([make_session()])
    assert journal_path.read_text().startswith(jmod.TOML_PREAMBLE)


# -- modes and links --------------------------------------------------------------------


def test_new_journal_is_0600_in_a_new_0700_folder(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "journal.toml"
    old = os.umask(0o022)
    try:
        Journal(path).append([make_session()])
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    # Folders above matlog's own (~/.local/share) are shared ones: created as usual.


@pytest.mark.parametrize("mode", [0o640, 0o644, 0o600])
def test_existing_mode_is_kept_by_append_and_undo(journal_path: Path, mode: int) -> None:
    j = Journal(journal_path)
    j.append([make_session(), make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET))])
    journal_path.chmod(mode)
    j.append([make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))])
    assert stat.S_IMODE(journal_path.stat().st_mode) == mode
    assert j.rewrite(remove_last_session) is not None
    assert stat.S_IMODE(journal_path.stat().st_mode) == mode


def test_a_symlinked_journal_stays_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "sync" / "journal.toml"
    target.parent.mkdir()
    link = tmp_path / "journal.toml"
    link.symlink_to(target)
    j = Journal(link)
    j.append([make_session(), make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET))])
    assert j.rewrite(remove_last_session) is not None
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert len(Journal(target).read().sessions) == 1
    # the lock and temporary files live beside the target, not the link
    assert not list(tmp_path.glob(".journal.toml*"))


# -- empty, missing ---------------------------------------------------------------------


def test_missing_file_reads_as_empty_and_not_blank(journal_path: Path) -> None:
    contents = Journal(journal_path).read()
    assert (contents.exists, contents.blank, contents.records) == (False, False, [])


def test_empty_file_reads_as_empty_but_blank(journal_path: Path) -> None:
    journal_path.write_bytes(b"")
    contents = Journal(journal_path).read()
    assert contents.exists and contents.blank and contents.records == []


def test_a_file_of_comments_only_is_not_blank(journal_path: Path) -> None:
    journal_path.write_text("# nothing yet\n")
    contents = Journal(journal_path).read()
    assert contents.records == [] and not contents.blank


@pytest.mark.parametrize("command", [["log"], ["check"], ["export"]])
def test_the_cli_says_when_the_journal_is_empty(invoke, journal_path: Path, command) -> None:
    journal_path.write_bytes(b"")
    result = invoke(*command)
    assert result.exit_code == 0, result.output
    assert "is empty (0 bytes)" in result.stderr
    assert journal_path.read_bytes() == b""


# -- undo -------------------------------------------------------------------------------


def test_undo_removes_the_latest_started_session_and_nothing_else(kind_path: Path) -> None:
    early = make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET), note="early")
    late = make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), note="late")
    middle = make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), note="middle")
    sleep = Sleep(night=date(2026, 11, 22), rating=6, id="S1")
    j = Journal(kind_path)
    j.append([early, late, sleep, middle])  # appended out of order: undo goes by `started`
    removed = j.rewrite(remove_last_session)
    assert isinstance(removed, Session) and removed.note == "late"
    assert comparable(j.read().records) == comparable([early, sleep, middle])


def test_undo_keeps_comments_of_the_other_sessions(journal_path: Path) -> None:
    journal_path.write_text(HAND_WRITTEN + "\n")
    j = Journal(journal_path)
    j.append([make_session(datetime(2026, 11, 25, 22, 0, tzinfo=CET))])
    j.rewrite(remove_last_session)
    assert journal_path.read_text() == HAND_WRITTEN + "\n"


def test_undo_on_a_journal_without_sessions_changes_nothing(journal_path: Path) -> None:
    j = Journal(journal_path)
    j.append([Sleep(night=date(2026, 11, 22), rating=6, id="S1")])
    before = journal_path.read_bytes()
    assert j.rewrite(remove_last_session) is None
    assert journal_path.read_bytes() == before


def test_undo_refuses_a_broken_journal(journal_path: Path) -> None:
    journal_path.write_text("format = 1\n[[session]]\nstarted = nope\n")
    with pytest.raises(JournalError, match=r"journal\.toml:3: "):
        Journal(journal_path).rewrite(remove_last_session)
    assert journal_path.read_text() == "format = 1\n[[session]]\nstarted = nope\n"


# -- import -----------------------------------------------------------------------------


def test_identity_is_the_id_or_else_the_content() -> None:
    a = make_session(id=None, note="x")
    b = make_session(id=None, note="x")
    c = make_session(id=None, note="y")
    assert identity(a) == identity(b) != identity(c)
    assert identity(make_session(id="A", note="x")) == identity(make_session(id="A", note="z"))


def test_import_skips_records_present_by_id_and_by_content(invoke, journal_path: Path, tmp_path):
    mine = make_session(note="mine")
    hand = make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), id=None, note="by hand")
    Journal(journal_path).append([mine, hand])
    other = tmp_path / "other.jsonl"
    theirs = make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), note="theirs")
    changed_copy = make_session(mine.started, id=mine.id, note="edited elsewhere")
    Journal(other).append([changed_copy, hand, theirs, theirs])

    result = invoke("import", str(other))
    assert result.exit_code == 1, result.output  # the note edited elsewhere: a conflict
    assert "Imported 1 record " in result.stdout and "2 already present" in result.stdout
    assert "1 conflict)" in result.stdout and mine.id in result.stderr
    notes = [s.note for s in Journal(journal_path).read().sessions]
    assert notes == ["mine", "by hand", "theirs"]

    before = journal_path.read_bytes()
    again = invoke("import", str(other))
    assert again.exit_code == 1 and "Imported 0 records" in again.stdout
    assert journal_path.read_bytes() == before


def test_append_skip_present_decides_under_the_lock(journal_path: Path) -> None:
    one, two = make_session(note="1"), make_session(note="2")
    j = Journal(journal_path)
    assert j.append([one]) == [one]
    assert j.append([one, two, two], skip_present=True) == [two]
    assert j.append([one, two], skip_present=True) == []
    assert [s.note for s in j.read().sessions] == ["1", "2"]


def test_load_file_sniffs_jsonl_by_content(tmp_path: Path) -> None:
    path = tmp_path / "backup.txt"
    path.write_text(serialise(sample_records(), "jsonl"))
    assert comparable(load_file(path).records) == comparable(sample_records())


# -- export -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "toml"])
def test_export_then_import_into_an_empty_journal_round_trips(
    invoke, journal_path: Path, tmp_path: Path, fmt: str
) -> None:
    Journal(journal_path).append(sample_records())
    out = tmp_path / f"export.{fmt}"
    result = invoke("export", "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert comparable(load_file(out).records) == comparable(sample_records())
    fresh = tmp_path / "fresh.jsonl"
    result = invoke("--journal", str(fresh), "import", str(out))
    assert result.exit_code == 0, result.output
    assert comparable(Journal(fresh).read().records) == comparable(sample_records())


def test_export_to_stdout_is_the_whole_journal(invoke, journal_path: Path) -> None:
    Journal(journal_path).append(sample_records())
    result = invoke("export", "--format", "jsonl")
    assert result.exit_code == 0
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["type"] for line in lines] == ["session", "sleep", "session"]
    assert lines[0]["note"] == sample_records()[0].note


def test_export_csv_has_one_row_per_record_and_a_column_per_metric(
    invoke, journal_path: Path
) -> None:
    records = sample_records()
    Journal(journal_path).append(records)
    result = invoke("export")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["type"] for r in rows] == ["session", "sleep", "session"]
    first = rows[0]
    assert first["started"] == "2026-11-20T22:15:03+01:00"
    assert (first["before_pain"], first["after_pain"]) == ("6", "3")
    assert (first["before_stress"], first["after_stress"]) == ("7", "2")
    assert first["tags"] == "bedtime;after run"
    assert first["note"] == records[0].note
    assert (rows[1]["night"], rows[1]["rating"]) == ("2026-11-20", "7")
    assert rows[2]["before_pain"] == ""
