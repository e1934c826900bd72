"""`matlog import FILE...`: edits made on another device are merged, never dropped; a change
on both sides is a conflict with both versions kept; several files; matlog's own leftovers
(rescue files, abandoned edit copies) are cleaned up once nothing in them can be lost.
(Issue #10 item 6, issue #12 item 7.)"""

from __future__ import annotations

import fcntl
import os
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import paths
from matlog.journal import Journal, json_line, load_file, serialise
from matlog.lightclass import replace
from matlog.records import Sleep


def copy_of(journal_path: Path, tmp_path: Path, name: str = "sync-conflict.toml") -> Path:
    copy = tmp_path / name
    copy.write_bytes(journal_path.read_bytes())
    return copy


def rate_in(path: Path, **after: int) -> None:
    """What `matlog rate` does on the other device: the latest session gets after-ratings."""
    from matlog.ratings import add_after_ratings

    add_after_ratings(Journal(path), None, after)


def lines(records) -> list[str]:  # type: ignore[no-untyped-def]
    return [json_line(r) for r in records]


@pytest.fixture(params=["toml", "jsonl"])
def suffix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# -- merged: one side only adds to the other ----------------------------------------------


def test_ratings_given_in_a_sync_conflict_copy_are_merged(invoke, tmp_path, suffix) -> None:
    journal = tmp_path / f"journal.{suffix}"
    Journal(journal).append(
        [make_session(note="mine"), make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET))]
    )
    copy = copy_of(journal, tmp_path, f"journal.sync-conflict.{suffix}")
    rate_in(copy, pain=3, stress=2)

    result = invoke("--journal", str(journal), "import", str(copy))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"Imported 0 records from {copy} (1 already present, 1 merged, 0 conflicts).\n"
    )
    assert lines(Journal(journal).read().records) == lines(Journal(copy).read().records)
    before = journal.read_bytes()
    again = invoke("--journal", str(journal), "import", str(copy))
    assert again.exit_code == 0
    assert "(2 already present, 0 merged, 0 conflicts)" in again.stdout
    assert journal.read_bytes() == before


def test_a_merge_keeps_the_rest_of_a_hand_edited_journal_byte_for_byte(
    invoke, journal_path, tmp_path
):
    first, second = (
        make_session(note="one"),
        make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), note="two"),
    )
    Journal(journal_path).append([first, second])
    text = journal_path.read_text().replace('note = "one"', 'note = "one"  # my comment')
    journal_path.write_text(text)
    copy = copy_of(journal_path, tmp_path)
    rate_in(copy, mood=8)
    result = invoke("import", str(copy))
    assert result.exit_code == 0, result.output
    after = journal_path.read_text()
    assert after.startswith(text[: text.index('note = "two"')])  # the first block untouched
    assert "# my comment" in after
    [one, two] = Journal(journal_path).read().sessions
    assert two.after == {"mood": 8} and one.after == {}


def test_the_journal_having_more_than_the_copy_is_already_present(invoke, journal_path, tmp_path):
    Journal(journal_path).append([make_session()])
    old_copy = copy_of(journal_path, tmp_path)
    rate_in(journal_path, pain=2)
    before = journal_path.read_bytes()
    result = invoke("import", str(old_copy))
    assert result.exit_code == 0, result.output
    assert "(1 already present, 0 merged, 0 conflicts)" in result.stdout
    assert journal_path.read_bytes() == before


def test_hand_written_records_rated_on_one_side_are_merged_not_duplicated(
    invoke, journal_path, tmp_path
):
    hand = make_session(id=None, note="by hand", before={"pain": 6})
    night = Sleep(night=date(2026, 11, 20), rating=7)
    Journal(journal_path).append([hand, night])
    copy = copy_of(journal_path, tmp_path)
    rate_in(copy, pain=3)
    text = copy.read_text().replace("rating = 7", 'rating = 7\nnote = "slept through"')
    copy.write_text(text)
    result = invoke("import", str(copy))
    assert result.exit_code == 0, result.output
    assert "(0 already present, 2 merged, 0 conflicts)" in result.stdout
    contents = Journal(journal_path).read()
    [session] = contents.sessions
    [sleep] = contents.sleeps
    assert session.after == {"pain": 3} and session.id is None
    assert sleep.note == "slept through" and sleep.rating == 7


def test_new_records_and_merges_in_one_import(invoke, tmp_path, suffix) -> None:
    journal = tmp_path / f"journal.{suffix}"
    mine = make_session(note="mine")
    Journal(journal).append([mine])
    other = tmp_path / "other.jsonl"
    theirs = make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), note="theirs")
    rated = replace(mine, after={"pain": 1})
    Journal(other).append([theirs, rated, theirs])
    result = invoke("--journal", str(journal), "import", str(other))
    assert result.exit_code == 0, result.output
    assert "Imported 1 record from" in result.stdout
    assert "(1 already present, 1 merged, 0 conflicts)" in result.stdout
    assert lines(Journal(journal).read().records) == lines([rated, theirs])


# -- conflicts: both sides changed --------------------------------------------------------


def test_a_conflict_is_reported_by_id_and_both_versions_are_kept(invoke, journal_path, tmp_path):
    mine = make_session(note="calm")
    Journal(journal_path).append([mine])
    before = journal_path.read_bytes()
    other = tmp_path / "laptop.toml"
    theirs = replace(mine, note="tense", after={"pain": 4})
    Journal(other).append([theirs])

    result = invoke("import", str(other))
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout == (
        f"Imported 0 records from {other} (0 already present, 0 merged, 1 conflict).\n"
    )
    first, last = result.stderr.splitlines()
    line = load_file(other).records[0].line
    assert first.startswith(f"matlog: {other}:{line}: session {mine.id} ")
    assert "note" in first and "the journal kept its own" in first
    assert journal_path.read_bytes() == before
    [kept] = (paths.state_dir() / "rescued").glob("conflicts-*.toml")
    assert str(kept) in last and last.startswith("matlog: 1 conflict")
    assert oct(kept.stat().st_mode & 0o777) == oct(0o600)
    assert lines(load_file(kept).records) == lines([theirs])
    assert 'note = "calm"' in kept.read_text()  # the journal's version, shown in a comment

    # The user picks: keep the journal's note, take the other side's rating; import again.
    kept.write_text(kept.read_text().replace('note = "tense"', 'note = "calm"'))
    again = invoke("import", str(kept))
    assert again.exit_code == 0, again.output
    assert "(0 already present, 1 merged, 0 conflicts)" in again.stdout
    assert f"Removed {kept}" in again.stdout
    assert not kept.exists()
    [session] = Journal(journal_path).read().sessions
    assert (session.note, session.after) == ("calm", {"pain": 4})


def test_a_sleep_rated_differently_on_each_side_is_a_conflict(invoke, journal_path, tmp_path):
    Journal(journal_path).append([Sleep(night=date(2026, 11, 20), rating=7, id="S1")])
    other = tmp_path / "other.jsonl"
    Journal(other).append([Sleep(night=date(2026, 11, 20), rating=5, id="S1")])
    result = invoke("import", str(other))
    assert result.exit_code == 1
    assert "sleep S1" in result.stderr and "rating" in result.stderr
    assert [s.rating for s in Journal(journal_path).read().sleeps] == [7]


def test_a_night_rated_under_another_id_is_never_a_second_rating(invoke, journal_path, tmp_path):
    # Another device's record of a night rated here, or a rescued re-rating: same rating
    # is already present; another rating is a conflict. The night keeps one rating.
    Journal(journal_path).append([Sleep(night=date(2026, 11, 20), rating=6, id="HERE")])
    same, other = tmp_path / "same.toml", tmp_path / "other.toml"
    Journal(same).append([Sleep(night=date(2026, 11, 20), rating=6, id="THERE")])
    Journal(other).append([Sleep(night=date(2026, 11, 20), rating=7, id="RESCUED")])
    result = invoke("import", str(same))
    assert result.exit_code == 0 and "1 already present" in result.stdout
    result = invoke("import", str(other))
    assert result.exit_code == 1
    assert "sleep RESCUED" in result.stderr and "rating" in result.stderr
    assert [(s.night, s.rating) for s in Journal(journal_path).read().sleeps] == [
        (date(2026, 11, 20), 6)
    ]
    assert invoke("check").stdout.endswith("1 night, no problems\n")


def test_hand_written_sessions_changed_on_both_sides_conflict(invoke, journal_path, tmp_path):
    hand = make_session(id=None, note="by hand")
    Journal(journal_path).append([replace(hand, after={"pain": 2})])
    other = tmp_path / "other.toml"
    Journal(other).append([replace(hand, after={"pain": 5})])
    result = invoke("import", str(other))
    assert result.exit_code == 1
    assert "session (no id) started 2026-11-20T22:15:00+01:00" in result.stderr
    assert len(Journal(journal_path).read().sessions) == 1


# -- several files ------------------------------------------------------------------------


def test_several_files_each_reported(invoke, journal_path, tmp_path) -> None:
    Journal(journal_path).append([make_session(note="mine")])
    a, b = tmp_path / "a.toml", tmp_path / "b.jsonl"
    one = make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), note="one")
    two = make_session(datetime(2026, 11, 23, 22, 0, tzinfo=CET), note="two")
    Journal(a).append([one])
    Journal(b).append([one, two])
    result = invoke("import", str(a), str(b))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Imported 1 record from {a} (0 already present, 0 merged, 0 conflicts).",
        f"Imported 1 record from {b} (1 already present, 0 merged, 0 conflicts).",
    ]
    assert [s.note for s in Journal(journal_path).read().sessions] == ["mine", "one", "two"]


def test_one_broken_file_imports_nothing_from_any(invoke, journal_path, tmp_path) -> None:
    Journal(journal_path).append([make_session(note="mine")])
    before = journal_path.read_bytes()
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    Journal(good).append([make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))])
    bad.write_text("format = 1\n[[session]]\nstarted = nope\n")
    result = invoke("import", str(good), str(bad))
    assert result.exit_code == 1 and result.stdout == ""
    assert (
        result.stderr.startswith(f"matlog: {bad}:3: ") and "nothing was imported" in result.stderr
    )
    assert journal_path.read_bytes() == before


# -- matlog's own rescue files ------------------------------------------------------------


def rescue_file(name: str, records) -> Path:  # type: ignore[no-untyped-def]
    folder = paths.state_dir() / "rescued"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(serialise(records, "toml", whole_file=True))
    return path


def test_rescue_files_are_removed_once_all_their_records_are_in(invoke, journal_path) -> None:
    mine = make_session(note="mine")
    Journal(journal_path).append([mine])
    r1 = rescue_file(
        "rescued-A-0001.toml", [make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))]
    )
    r2 = rescue_file("rescued-B-0002.toml", [mine])  # already in: removed too
    r3 = rescue_file("rescued-C-0003.toml", [replace(mine, note="other")])  # a conflict: kept
    result = invoke("import", str(r1), str(r2), str(r3))
    assert result.exit_code == 1
    assert f"Removed {r1} (all its records are in the journal)." in result.stdout
    assert f"Removed {r2} (all its records are in the journal)." in result.stdout
    assert not r1.exists() and not r2.exists() and r3.exists()
    assert f"kept in {r3}" in result.stderr
    assert list((paths.state_dir() / "rescued").glob("conflicts-*")) == []


def test_files_that_are_not_matlogs_own_are_never_removed(invoke, journal_path, tmp_path):
    elsewhere = tmp_path / "rescued-X-0001.toml"  # the name, but not in a rescue folder
    elsewhere.write_text(serialise([make_session()], "toml", whole_file=True))
    other_name = rescue_file(
        "backup.toml", [make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))]
    )
    result = invoke("import", str(elsewhere), str(other_name))
    assert result.exit_code == 0, result.output
    assert elsewhere.exists() and other_name.exists() and "Removed" not in result.stdout


# -- abandoned `matlog edit` copies --------------------------------------------------------


def dead_pid() -> int:
    pid = 4_000_000  # above Linux's pid_max: never a live process
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    return pid


def test_edit_removes_abandoned_copies_without_unsaved_edits(
    invoke, journal_path, tmp_path, monkeypatch
):
    Journal(journal_path).append([make_session()])
    snapshot = journal_path.read_bytes()
    Journal(journal_path).append([make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))])
    pid = dead_pid()
    clean = tmp_path / f".journal.edit-{pid}.toml"
    clean.write_bytes(snapshot)  # an earlier journal, nothing changed in it: nothing to lose
    edited = tmp_path / f".journal.edit-{pid + 1}.toml"
    edited.write_bytes(snapshot.replace(b"back", b"neck"))  # unsaved work: kept
    live = tmp_path / f".journal.edit-{os.getppid()}.toml"
    live.write_bytes(snapshot)  # its matlog is alive: kept
    monkeypatch.setenv("EDITOR", "true")
    result = invoke("edit")
    assert result.exit_code == 0, result.output
    assert not clean.exists() and edited.exists() and live.exists()
    assert f"Removed {clean}" in result.stderr
    assert f"{edited} holds edits that were never saved" in result.stderr


def test_edit_never_removes_a_copy_while_another_edit_is_open(
    invoke, journal_path, tmp_path, monkeypatch
):
    Journal(journal_path).append([make_session()])
    copy = tmp_path / f".journal.edit-{dead_pid()}.toml"
    copy.write_bytes(journal_path.read_bytes())
    lock = os.open(tmp_path / ".journal.toml.editing", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_SH)  # another `matlog edit` (its editor) is open
        monkeypatch.setenv("EDITOR", "true")
        result = invoke("edit")
        assert result.exit_code == 0, result.output
        assert copy.exists()
    finally:
        os.close(lock)
    assert invoke("edit").exit_code == 0
    assert not copy.exists()


# -- an import that cannot be written -----------------------------------------------------


@pytest.mark.parametrize("merging", [False, True])
def test_a_full_disk_during_import_leaves_everything_as_it_was(
    invoke, journal_path, monkeypatch, merging: bool
) -> None:
    import errno

    import matlog.journal.store as store
    import matlog.privatefiles as privatefiles

    mine = make_session(note="mine")
    Journal(journal_path).append([mine])
    before = journal_path.read_bytes()
    incoming = [make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET), note="new")]
    if merging:
        incoming.append(replace(mine, after={"pain": 2}))
    leftover = rescue_file("rescued-F-0001.toml", incoming)
    leftover_bytes = leftover.read_bytes()

    class FullDisk:
        def __init__(self, real):  # type: ignore[no-untyped-def]
            self.real = real

        def __getattr__(self, name):  # type: ignore[no-untyped-def]
            return getattr(self.real, name)

        def write(self, fd, data):  # type: ignore[no-untyped-def]
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store, "os", FullDisk(os))
    monkeypatch.setattr(privatefiles, "os", FullDisk(os))
    result = invoke("import", str(leftover))
    assert result.exit_code == 1 and "Traceback" not in result.output
    [line] = result.stderr.splitlines()
    assert "No space left on device" in line and f"nothing was imported from {leftover}" in line
    assert journal_path.read_bytes() == before
    assert leftover.read_bytes() == leftover_bytes  # kept, to import again
    assert list((paths.state_dir() / "rescued").iterdir()) == [leftover]


def test_importing_the_journal_itself_is_refused_not_counted(invoke, journal_path, tmp_path):
    Journal(journal_path).append([make_session()])
    before = journal_path.read_bytes()
    link = tmp_path / "same.toml"
    os.link(journal_path, link)
    for name in (journal_path, link):
        result = invoke("import", str(name))
        assert result.exit_code == 2, result.output
        assert "is the journal itself: nothing to import" in result.stderr
    assert journal_path.read_bytes() == before


def test_a_folder_is_refused_with_the_way_to_import_its_files(invoke, journal_path, tmp_path):
    folder = tmp_path / "rescued"
    folder.mkdir()
    (folder / "rescued-1.jsonl").write_text("")
    result = invoke("import", str(folder))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "is a folder, not a journal file" in line
    assert f"matlog import {folder}/*.jsonl" in line and "*.toml" not in line
    assert "MATLOG_JOURNAL" not in line


def test_a_glob_that_names_the_journal_too_skips_it_and_imports_the_rest(
    invoke, journal_path, tmp_path
):
    Journal(journal_path).append([make_session(note="mine")])
    other = tmp_path / "other.toml"
    Journal(other).append([make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET), note="theirs")])
    result = invoke("import", str(journal_path), str(other))
    assert result.exit_code == 0, result.output
    assert f"{journal_path} is the journal itself: skipped" in result.stderr
    assert "Imported 1 record" in result.stdout
    assert [s.note for s in Journal(journal_path).read().sessions] == ["mine", "theirs"]


def test_a_file_with_no_records_says_so(invoke, journal_path, tmp_path):
    Journal(journal_path).append([make_session()])
    before = journal_path.read_bytes()
    empty = tmp_path / "notes.toml"
    empty.write_text("pain = 3\n")
    result = invoke("import", str(empty))
    assert result.exit_code == 0, result.output
    assert "holds no sessions, nights or trials: nothing imported" in result.stderr
    assert "Imported" not in result.stdout
    assert journal_path.read_bytes() == before
