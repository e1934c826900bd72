"""The cache of parsed records never makes matlog see anything a full parse would not.

Every test compares `Journal.read()` (which uses the cache) with a full `parse` of the file's
bytes as they are: the same records with the same line numbers and values, or the same
first problem. No timing here: `bench/run.py` measures speed.
"""

from __future__ import annotations

import os
import random
import stat
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import make_session

from matlog import journal
from matlog.errors import JournalError
from matlog.journal import Journal, cache, json_line, parse
from matlog.records import Sleep

CET = timezone(timedelta(hours=1))


def full(path: Path) -> Any:
    """What a full parse of the file says, in the form `outcome` gives."""
    data = path.read_bytes()
    contents, problems = parse(data, path, journal.kind_of(path))
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return ("problem", f"{problems[0]}{more}")
    return ("ok", _records(contents), contents.size)


def outcome(path: Path) -> Any:
    try:
        contents = Journal(path).read()
    except JournalError as exc:
        return ("problem", exc.message)
    return ("ok", _records(contents), contents.size)


def _records(contents: journal.Contents) -> list[Any]:
    return [(type(r).__name__, r.line, json_line(r), r.extra) for r in contents.records]


def same_as_full(path: Path) -> Any:
    got = outcome(path)
    assert got == full(path)
    return got


def cache_path(path: Path) -> Path:
    return cache.cache_file(Path(os.path.realpath(path)), journal.kind_of(path))


def cached_size(path: Path) -> int | None:
    entry = cache._load(cache_path(path), journal.kind_of(path))
    return None if entry is None else entry.size


def write_sessions(path: Path, count: int = 5) -> None:
    start = datetime(2026, 11, 1, 22, 0, tzinfo=CET)
    records: list[journal.Record] = [
        make_session(start + timedelta(days=i), minutes=5 + i, tags=["bedtime"])
        for i in range(count)
    ]
    records.append(Sleep(night=date(2026, 11, 1), rating=7, id="S1"))
    Journal(path).append(records)


@pytest.fixture(params=["toml", "jsonl"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def path(tmp_path: Path, kind: str) -> Path:
    p = tmp_path / f"journal.{kind}"
    write_sessions(p)
    return p


@pytest.fixture
def toml_path(tmp_path: Path) -> Path:
    p = tmp_path / "journal.toml"
    write_sessions(p)
    return p


class ParseSpy:
    """Counts how many bytes `parse` was given, to tell a tail parse from a full one."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        real = cache.parse

        def spy(data: bytes, *args: Any, **kwargs: Any) -> Any:
            self.sizes.append(len(data))
            return real(data, *args, **kwargs)

        monkeypatch.setattr(cache, "parse", spy)


# ---------------------------------------------------------------------------------------
# The cache is made, used and kept private


def test_a_read_makes_a_private_cache_that_the_next_read_uses(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    same_as_full(path)
    file = cache_path(path)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert cached_size(path) == path.stat().st_size
    spy = ParseSpy(monkeypatch)
    same_as_full(path)
    assert spy.sizes == []  # nothing parsed: all from the cache


def test_the_cache_lives_in_the_cache_folder(path: Path, isolated_home: Path) -> None:
    Journal(path).read()
    assert cache_path(path).parent == isolated_home / ".cache" / "matlog"


def test_an_append_by_matlog_extends_the_cache_without_a_full_parse(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(path).read()
    size_before = path.stat().st_size
    spy = ParseSpy(monkeypatch)
    new = make_session(datetime(2026, 11, 20, 22, 0, tzinfo=CET), note='a "quoted" note')
    Journal(path).append([new])
    # The append proved the journal parses from the small prefix file; it left the records
    # cache alone (rewriting it would make appends slower as the journal grows).
    assert cached_size(path) == size_before
    assert spy.sizes == [] or max(spy.sizes) < 400  # at most the appended record
    spy.sizes.clear()
    got = same_as_full(path)
    assert spy.sizes and max(spy.sizes) < 400  # the next read parses only the new record
    assert cached_size(path) == path.stat().st_size
    assert got[1][-1][2] == json_line(new)


def test_bytes_appended_by_another_writer_are_parsed_alone(
    path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(path).read()
    other = Journal(path.with_name(f"other.{kind}"))
    other.append([make_session(datetime(2026, 11, 21, 22, 0, tzinfo=CET))])
    tail = other.path.read_bytes()
    if kind == "toml":
        tail = b"\n" + tail[tail.index(b"\n[[session]]") + 1 :]
    spy = ParseSpy(monkeypatch)
    with path.open("ab") as handle:  # a sync tool, or matlog on another device
        handle.write(tail)
    same_as_full(path)
    assert spy.sizes == [len(tail)]
    assert cached_size(path) == path.stat().st_size


# ---------------------------------------------------------------------------------------
# Changes the cache must notice


def test_an_edit_in_the_middle_that_keeps_size_and_mtime_is_seen(path: Path) -> None:
    same_as_full(path)
    before = path.stat()
    data = path.read_bytes()
    at = data.index(b"360")  # planned_seconds of the second session (6 minutes)
    path.write_bytes(data[:at] + b"420" + data[at + 3 :])
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size
    got = same_as_full(path)
    assert '"planned_seconds": 420' in got[1][1][2]


def test_an_edit_that_breaks_a_record_is_reported_with_its_line(path: Path, kind: str) -> None:
    same_as_full(path)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"finished"', b'"finishd"', 1))
    got = same_as_full(path)
    assert got[0] == "problem" and "finishd" in got[1]
    assert (":1:" if kind == "jsonl" else ":10:") in got[1]


@pytest.mark.parametrize("keep", [0.3, 0.5, 0.9])
def test_a_truncated_journal_is_parsed_again(path: Path, keep: float) -> None:
    same_as_full(path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    same_as_full(path)


def test_truncation_back_to_a_record_boundary(path: Path, kind: str) -> None:
    data = path.read_bytes()
    Journal(path).append([make_session(datetime(2026, 11, 22, 22, 0, tzinfo=CET))])
    same_as_full(path)
    path.write_bytes(data)  # e.g. `undo` by hand, or a sync tool bringing back the old one
    got = same_as_full(path)
    assert len(got[1]) == 6


@pytest.mark.parametrize("change", [False, True])
def test_replacement_by_a_sync_tool(path: Path, kind: str, change: bool) -> None:
    same_as_full(path)
    data = path.read_bytes()
    if change:
        data = data.replace(b"back", b"neck")
    tmp = path.with_name(".syncthing.tmp")
    tmp.write_bytes(data)
    inode = path.stat().st_ino
    os.replace(tmp, path)
    assert path.stat().st_ino != inode
    got = same_as_full(path)
    assert ("neck" in got[1][0][2]) is change


def test_a_deleted_cache_is_rebuilt(path: Path) -> None:
    same_as_full(path)
    cache_path(path).unlink()
    same_as_full(path)
    assert cache_path(path).exists()


def test_the_cache_folder_deleted_or_unwritable(path: Path) -> None:
    same_as_full(path)
    folder = cache_path(path).parent
    for file in folder.iterdir():
        file.unlink()
    folder.rmdir()
    folder.parent.mkdir(exist_ok=True)
    folder.write_text("not a folder")  # nothing can be written there now
    same_as_full(path)
    same_as_full(path)


@pytest.mark.parametrize(
    "damage",
    ["empty", "garbage", "truncated", "flipped", "other-version", "other-records"],
)
def test_a_damaged_or_foreign_cache_is_ignored(
    path: Path, damage: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    same_as_full(path)
    file = cache_path(path)
    blob = file.read_bytes()
    if damage == "empty":
        blob = b""
    elif damage == "garbage":
        blob = bytes(random.Random(1).randrange(256) for _ in range(len(blob)))
    elif damage == "truncated":
        blob = blob[: len(blob) // 2]
    elif damage == "flipped":
        middle = len(blob) // 2
        blob = blob[:middle] + bytes([blob[middle] ^ 1]) + blob[middle + 1 :]
    elif damage == "other-version":
        monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    else:  # a cache that claims other records for these very bytes: only a bug could do that
        entry = cache._load(file, journal.kind_of(path))
        assert entry is not None
        entry.sessions[0] = (1, *entry.sessions[0][1:])
        cache._save(file, journal.kind_of(path), entry)
    if damage != "other-records":
        file.write_bytes(blob)
        same_as_full(path)
        assert cached_size(path) == path.stat().st_size  # and it was made anew
    else:
        # The digest of the journal's bytes is the key; it is the cache's content that lies.
        got = outcome(path)
        assert got[1][0][2] != full(path)[1][0][2]


def test_a_cache_for_another_journal_is_never_used(tmp_path: Path) -> None:
    one, two = tmp_path / "one.toml", tmp_path / "two.toml"
    write_sessions(one, 3)
    write_sessions(two, 4)
    assert cache_path(one) != cache_path(two)
    same_as_full(one)
    same_as_full(two)
    assert len(outcome(one)[1]) == 4 and len(outcome(two)[1]) == 5


def test_a_symlinked_journal_shares_its_targets_cache(tmp_path: Path) -> None:
    target = tmp_path / "real.toml"
    write_sessions(target)
    link = tmp_path / "link.toml"
    link.symlink_to(target)
    same_as_full(target)
    assert cache_path(link) == cache_path(target)
    same_as_full(link)


# ---------------------------------------------------------------------------------------
# Tails that are not a clean block of records (TOML)

TAILS = {
    "a key added to the last table": 'note = "x"\n',
    "a key that is already in the last table": 'area = "neck"\n',
    "a sub-table of the last session": "[session.before]\npain = 3\n",
    "a new session then a sub-table of it": (
        "\n[[session]]\nstarted = 2026-11-25T22:00:00+01:00\nplanned_seconds = 60\n"
        'actual_seconds = 60\nended = "finished"\n[session.after]\npain = 2\n'
    ),
    "a sleep then a sub-table of the last session": (
        "\n[[sleep]]\nnight = 2026-11-25\nrating = 5\n[session.after]\npain = 2\n"
    ),
    "a comment then a sleep": "# later\n[[sleep]]\nnight = 2026-11-26\nrating = 6\n",
    "blank lines only": "\n\n",
    "a header with spaces and a comment": "[[ sleep ]] # x\nnight = 2026-11-27\nrating = 6\n",
    "a quoted header": '[["sleep"]]\nnight = 2026-11-28\nrating = 6\n',
    "a dotted key": "session.note = 1\n",
    "another table": "[settings]\nx = 1\n",
    "a format line": "format = 2\n",
    "a conflict marker": "<<<<<<< HEAD\n",
    "an invalid record": "\n[[sleep]]\nnight = 2026-11-29\nrating = 11\n",
    "invalid TOML": "\n[[sleep]]\nnight = \n",
    "no final newline": "\n[[sleep]]\nnight = 2026-11-30\nrating = 4",
    "a byte-order mark": "\ufeff[[sleep]]\nnight = 2026-11-30\nrating = 4\n",
    "not UTF-8": "\n[[sleep]]\nnight = 2026-11-30\nrating = 4\nnote = \udcff\n",
    "a multi-line string that hides a header": (
        '\n[[sleep]]\nnight = 2026-12-01\nrating = 4\nnote = """\n[[sleep]]\n"""\n'
    ),
    "CRLF lines": "\r\n[[sleep]]\r\nnight = 2026-12-02\r\nrating = 4\r\n",
    "an unknown field with dates": (
        "\n[[sleep]]\nnight = 2026-12-03\nrating = 4\nwoke = 07:30:00\n"
        "[sleep.device]\nsynced = 2026-12-04T08:00:00Z\nlog = [2026-12-04, 1.5, true]\n"
    ),
}


@pytest.mark.parametrize("name", list(TAILS))
def test_a_tail_gives_what_a_full_parse_gives(toml_path: Path, name: str) -> None:
    same_as_full(toml_path)
    with toml_path.open("ab") as handle:
        handle.write(TAILS[name].encode("utf-8", "surrogateescape"))
    same_as_full(toml_path)
    # ... and again, with the cache as that read left it, and after one more append.
    same_as_full(toml_path)
    with toml_path.open("ab") as handle:
        handle.write(b"\n[[sleep]]\nnight = 2026-12-31\nrating = 8\n")
    same_as_full(toml_path)


def test_a_key_added_to_the_last_session_belongs_to_it(toml_path: Path) -> None:
    same_as_full(toml_path)
    data = toml_path.read_bytes()
    # Make the session the last table, then add a line to it as a hand edit would.
    head, _, _ = data.rpartition(b"\n[[sleep]]")
    toml_path.write_bytes(head + b"\n")
    same_as_full(toml_path)
    with toml_path.open("ab") as handle:
        handle.write(b'note = "x"\n')
    got = same_as_full(toml_path)
    assert '"note": "x"' in got[1][-1][2]


@pytest.mark.parametrize(
    "prefix",
    [
        # `session` as a static array: [[session]] cannot be appended to it.
        "format = 1\nsession = [{ started = 2026-11-01T22:00:00+01:00, planned_seconds = 60, "
        'actual_seconds = 60, ended = "finished" }]\n',
        # No final newline in the prefix.
        "format = 1\n[[sleep]]\nnight = 2026-11-01\nrating = 5",
        # A header line inside a multi-line string: header lines and tables do not match.
        'format = 1\n[[sleep]]\nnight = 2026-11-01\nrating = 5\nnote = """\n[[sleep]]\n"""\n',
        # A quoted header the line scan does not see.
        'format = 1\n[["sleep"]]\nnight = 2026-11-01\nrating = 5\n',
        # A `sleep` table (not an array of tables) that a [[sleep]] cannot extend... which
        # the journal already refuses: still the same answer as a full parse.
        "format = 1\n[sleep]\nnight = 2026-11-01\n",
    ],
)
def test_prefixes_that_a_tail_cannot_safely_follow(tmp_path: Path, prefix: str) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(prefix, encoding="utf-8")
    same_as_full(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n[[sleep]]\nnight = 2026-11-02\nrating = 6\n")
    same_as_full(path)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n[[session]]\nstarted = 2026-11-02T22:00:00+01:00\nplanned_seconds = 60\n")
        handle.write('actual_seconds = 60\nended = "finished"\n')
    same_as_full(path)


def test_random_sequences_of_tails(tmp_path: Path) -> None:
    rng = random.Random(5)
    fragments = [t.encode("utf-8", "surrogateescape") for t in TAILS.values()]
    fragments += [
        b"\n[[session]]\nstarted = 2026-11-25T22:00:00+01:00\nplanned_seconds = 60\n"
        b'actual_seconds = 60\nended = "finished"\n',
        b"\n[[sleep]]\nnight = 2026-11-25\nrating = 3\n",
        b"[[session.before]]\n",
        b'\n[["session"]]\nstarted = 2026-11-25T22:00:00+01:00\nplanned_seconds = 60\n',
        b'actual_seconds = 60\nended = "finished"\n',
    ] * 4
    for trial in range(150):
        path = tmp_path / f"j{trial}.toml"
        write_sessions(path, 2)
        same_as_full(path)
        for _ in range(rng.randrange(1, 5)):
            with path.open("ab") as handle:
                handle.write(rng.choice(fragments))
            if rng.random() < 0.7:
                same_as_full(path)
        same_as_full(path)


# ---------------------------------------------------------------------------------------
# JSON Lines


@pytest.mark.parametrize(
    "tail",
    [
        b'{"type": "sleep", "night": "2026-11-25", "rating": 4}\n',
        b'{"type": "sleep", "night": "2026-11-25", "rating": 11}\n',
        b'{"type": "sleep", "night": "2026-11-25", "rating": 4}',
        b"\n\n",
        b"not json\n",
        b'{"type": "sleep", "night": "2026-11-25", "rating": 4, "rating": 5}\n',
        b"\xff\n",
    ],
)
def test_jsonl_tails(tmp_path: Path, tail: bytes) -> None:
    path = tmp_path / "journal.jsonl"
    write_sessions(path, 3)
    same_as_full(path)
    with path.open("ab") as handle:
        handle.write(tail)
    same_as_full(path)
    with path.open("ab") as handle:
        handle.write(b'{"type": "sleep", "night": "2026-11-26", "rating": 6}\n')
    same_as_full(path)


def test_jsonl_prefix_without_final_newline(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    write_sessions(path, 2)
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    same_as_full(path)
    with path.open("ab") as handle:  # glued to the last line: that line is now broken
        handle.write(b'{"type": "sleep", "night": "2026-11-26", "rating": 6}\n')
    assert same_as_full(path)[0] == "problem"


# ---------------------------------------------------------------------------------------
# Values the cache must give back exactly


def test_unknown_fields_of_every_kind_come_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    path.write_text(
        "format = 1\n\n[[session]]\nstarted = 2026-11-01T22:00:00.123456-03:30\n"
        'planned_seconds = 60\nactual_seconds = 0\nended = "stopped"\n'
        "local = 2026-11-01T22:00:00\nday = 2026-11-01\nat = 22:00:00.5\nz = 1979-05-27T07:32:00Z\n"
        "big = 12345678901234567890\nf = -0.0\ninf = inf\nyes = true\n"
        'nested = { a = [1, { b = 2026-01-01 }], "k e y" = "v\\u00e9" }\n'
        "[session.table]\nwhen = 2026-11-02T01:02:03+05:45\n",
        encoding="utf-8",
    )
    first = same_as_full(path)
    again = outcome(path)
    assert again == first
    extra = Journal(path).read().sessions[0].extra
    assert extra["table"]["when"].utcoffset() == timedelta(hours=5, minutes=45)
    assert isinstance(extra["day"], date) and not isinstance(extra["day"], datetime)
    assert str(extra["f"]) == "-0.0"


def test_a_journal_of_many_records_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    start = datetime(2020, 1, 1, 21, 0, tzinfo=CET)
    Journal(path).append(
        [
            make_session(
                start + timedelta(days=i, minutes=i % 50),
                minutes=5 + i % 15,
                ended=["finished", "stopped", "discomfort", "interrupted"][i % 4],
                tags=[["bedtime"], [], ["a", "b"]][i % 3],
                before={"pain": i % 11} if i % 2 else {},
                after={"pain": (i + 3) % 11, "mood": 5} if i % 2 else {},
                note=None if i % 5 else f"note {i} ✓",
                layer=[None, "bare", "shirt"][i % 3],
            )
            for i in range(300)
        ]
    )
    same_as_full(path)
    same_as_full(path)


def test_contents_from_the_cache_are_fresh_objects(toml_path: Path) -> None:
    first = Journal(toml_path).read()
    first.sessions[0].tags.append("changed")
    first.sessions[0].before["pain"] = 9
    assert outcome(toml_path) == full(toml_path)


def test_an_empty_file_and_a_missing_one(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    assert not Journal(path).read().exists
    path.write_bytes(b"")
    assert same_as_full(path) == ("ok", [], 0)


def test_an_append_is_refused_when_the_tail_is_broken(path: Path) -> None:
    Journal(path).read()
    with path.open("ab") as handle:
        handle.write(b"[[sleep]]\nnight = 2026-11-25\nrating = 12\n")
    data = path.read_bytes()
    expected = full(path)
    assert expected[0] == "problem"
    with pytest.raises(JournalError) as caught:
        Journal(path).append([make_session(datetime(2026, 11, 26, 22, 0, tzinfo=CET))])
    assert caught.value.message == expected[1]
    assert path.read_bytes() == data
