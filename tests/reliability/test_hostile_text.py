"""Any text a user types (notes, tags, areas, metric names, unknown fields) round-trips
through both formats and export/import, and never adds or alters another record."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rel_util import SOAK, figure

from matlog.journal import Journal, export_csv, json_line, load_file, parse, serialise
from matlog.records import Session, Sleep

EXAMPLES = 1000 if SOAK else 60
RUNS: dict[str, int] = {}

# Everything, plus the strings most likely to break a hand-rolled writer.
NASTY = st.sampled_from(
    [
        '"',
        "'",
        '"""',
        "'''",
        "\\",
        "\\u0041",
        '\n[[session]]\nid = "forged"\n',
        '\n{"type": "session"}\n',
        "\r",
        "\r\n",
        "\u2028",
        "\u0085",
        "\x00",
        "\x1b[2J",
        "# not a comment",
        "=======",
        "<<<<<<< HEAD",
        "\ufeff",
        "😀",
        "\U0010ffff",
        " ",
        "",
    ]
)
TEXT = st.one_of(st.text(), NASTY, st.lists(st.one_of(st.text(max_size=5), NASTY)).map("".join))
KEY = st.one_of(st.text(min_size=1, max_size=12), NASTY.filter(bool))
# A rating needs a name: a blank one is a located problem (test_cli_journal.py).
METRIC = KEY.filter(str.strip)
RESERVED = {
    "type",
    "id",
    "started",
    "planned_seconds",
    "actual_seconds",
    "ended",
    "area",
    "layer",
    "surface",
    "tags",
    "before",
    "after",
    "note",
    "night",
    "rating",
}


@st.composite
def hostile_session(draw: st.DrawFn) -> Session:
    offset = timezone(timedelta(minutes=draw(st.integers(-14 * 60, 14 * 60))))
    return Session(
        id=draw(st.one_of(st.none(), TEXT.filter(bool))),
        started=datetime(2026, 11, 20, 22, 15, draw(st.integers(0, 59)), tzinfo=offset),
        planned_seconds=draw(st.integers(1, 10_800)),
        actual_seconds=draw(st.integers(0, 10_800)),
        ended=draw(st.sampled_from(["finished", "stopped", "discomfort", "interrupted"])),
        area=draw(st.one_of(st.none(), TEXT)),
        tags=draw(st.lists(TEXT, max_size=4)),
        before=draw(st.dictionaries(METRIC, st.integers(0, 10), max_size=3)),
        after=draw(st.dictionaries(METRIC, st.integers(0, 10), max_size=3)),
        note=draw(st.one_of(st.none(), TEXT)),
        extra=draw(
            st.dictionaries(
                KEY.filter(lambda k: k not in RESERVED),
                st.one_of(TEXT, st.integers(-(2**63), 2**63 - 1), st.lists(TEXT, max_size=3)),
                max_size=2,
            )
        ),
    )


NEIGHBOURS = [
    Session(
        started=datetime(2026, 11, 19, 22, 0, tzinfo=UTC),
        planned_seconds=600,
        actual_seconds=600,
        ended="finished",
        id="01NEIGHBOUR0000000000000A",
        note="before",
    ),
    Sleep(night=datetime(2026, 11, 19).date(), rating=6, id="01NEIGHBOUR0000000000000S"),
]


def _same(a: list, b: list) -> bool:
    return [json_line(r) for r in a] == [json_line(r) for r in b]


def _count(name: str) -> None:
    RUNS[name] = RUNS.get(name, 0) + 1


COMMON = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("suffix", ["toml", "jsonl"])
@COMMON
@given(record=hostile_session())
def test_any_text_round_trips_and_forges_nothing(tmp_path: Path, suffix: str, record) -> None:
    _count(f"append-{suffix}")
    path = tmp_path / f"hostile-{suffix}"  # hypothesis reuses tmp_path: a fresh file each time
    path.mkdir(exist_ok=True)
    journal = Journal(path / f"journal.{suffix}")
    journal.path.unlink(missing_ok=True)
    journal.append(NEIGHBOURS)
    before = journal.path.read_bytes()
    journal.append([record])
    after = journal.path.read_bytes()
    assert after.startswith(before)
    assert journal.check() == []
    records = journal.read().records
    assert _same(records, [*NEIGHBOURS, record])
    [read] = records[2:]
    assert (read.note, read.tags, read.area, read.extra) == (
        record.note,
        record.tags,
        record.area,
        record.extra,
    )
    assert read.started == record.started and read.started.utcoffset() == record.started.utcoffset()
    # One more append after the hostile one still lands as its own record.
    journal.append([NEIGHBOURS[0]])
    assert _same(journal.read().records, [*NEIGHBOURS, record, NEIGHBOURS[0]])


@COMMON
@given(records=st.lists(hostile_session(), min_size=1, max_size=4))
def test_any_text_survives_export_and_import(records) -> None:
    _count("export-import")
    everything = [*NEIGHBOURS, *records]
    for fmt in ("toml", "jsonl"):
        text = serialise(everything, fmt, whole_file=True)  # what `export` writes
        contents, problems = parse(text.encode(), Path(f"export.{fmt}"), fmt)
        assert problems == []
        assert _same(contents.records, everything)
    rows = list(
        csv.DictReader(
            io.StringIO(
                export_csv(
                    parse(serialise(everything, "jsonl").encode(), Path("x.jsonl"), "jsonl")[0]
                ),
                newline="",
            )
        )
    )
    assert len(rows) == len(everything)
    assert [row["note"] for row in rows[2:]] == [r.note or "" for r in records]
    assert [row["tags"] for row in rows[2:]] == [";".join(r.tags) for r in records]


@COMMON
@given(record=hostile_session())
def test_import_takes_a_hostile_file_whole(tmp_path: Path, record) -> None:
    _count("import")
    folder = tmp_path / "import"
    folder.mkdir(exist_ok=True)
    source = folder / "theirs.jsonl"
    source.write_bytes(serialise([record], "jsonl").encode())
    mine = Journal(folder / "journal.toml")
    mine.path.unlink(missing_ok=True)
    mine.append(NEIGHBOURS)
    incoming = load_file(source).records
    assert mine.append(incoming, skip_present=True) == incoming
    assert mine.append(incoming, skip_present=True) == []  # idempotent
    assert _same(mine.read().records, [*NEIGHBOURS, record])


def test_lone_surrogates_cost_a_character_never_the_record(tmp_path: Path) -> None:
    """argv that is not UTF-8 reaches Python as lone surrogates ("caf\\udce9")."""
    for suffix in ("toml", "jsonl"):
        journal = Journal(tmp_path / f"journal.{suffix}")
        record = Session(
            started=datetime(2026, 11, 20, 22, 0, tzinfo=UTC),
            planned_seconds=60,
            actual_seconds=60,
            ended="finished",
            id="X",
            note="caf\udce9",
            tags=["\ud800"],
        )
        journal.append([record])
        [read] = journal.read().sessions
        assert (read.note, read.tags) == ("caf\ufffd", ["\ufffd"])


def test_zz_figure() -> None:
    figure(f"hypothesis: {sum(RUNS.values())} examples run ({RUNS}), max {EXAMPLES} per test")
