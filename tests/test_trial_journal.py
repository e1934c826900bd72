"""The `[[trial]]` record and the trial fields of sessions in the journal: read, checked
with located errors, written both ways, cached exactly as a full parse reads them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import make_session
from test_cache import same_as_full

from matlog import journal
from matlog.journal import Journal, parse, serialise
from matlog.lightclass import replace
from matlog.records import Trial

CET = timezone(timedelta(hours=1))

TRIAL_TOML = """\
format = 1

[[trial]]
id = "T1"
created = 2026-12-02T21:04:00+01:00
first_night = 2026-12-03
schedule = ["mat", "control", "control", "mat", "mat", "control", "control", "mat"]
seed = 90210
outcome = "stress"
worthwhile = 1.0
control = "rest"
seconds = 1200
colour = "green"
"""


def make_trial(**changes: object) -> Trial:
    trial = Trial(
        id="T1",
        created=datetime(2026, 12, 2, 21, 4, tzinfo=CET),
        first_night=date(2026, 12, 3),
        schedule=("mat", "control", "control", "mat") * 2,
        seed=90210,
        outcome="stress",
        worthwhile=1.0,
        control="rest",
        seconds=1200,
    )
    return replace(trial, **changes)


def problems_of(text: str, kind: str = "toml") -> list[str]:
    path = Path("j." + kind)
    return [str(p) for p in parse(text.encode(), path, kind)[1]]  # type: ignore[arg-type]


def test_a_trial_record_is_read_with_every_field_and_unknown_ones_kept() -> None:
    contents, problems = parse(TRIAL_TOML.encode(), Path("j.toml"), "toml")
    assert problems == []
    (trial,) = contents.trials
    assert trial == make_trial(extra={"colour": "green"}, line=3)
    assert trial.pairs == 4 and contents.records == [trial]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ('"control", "mat", "mat"', '"control", "nap", "mat"', 7, "night 4 must be mat or control"),
        (', "control", "mat"]', ', "control"]', 7, "must hold pairs of nights, got 7 nights"),
        (
            '["mat", "control", "control", "mat", "mat", "control", "control", "mat"]',
            '["mat", "control", "control", "mat"]',
            7,
            "must hold 4 to 60 pairs, got 2",
        ),
        ('["mat", "control",', '["mat", "mat",', 7, "pair 1 (nights 1-2) must be one mat"),
        ('outcome = "stress"', 'outcome = "Stress level"', 9, "`outcome` must be a metric name"),
        ("worthwhile = 1.0", "worthwhile = 0", 10, "`worthwhile` must be a number of points"),
        ("worthwhile = 1.0", "worthwhile = 1e-300", 10, "from 0.1 to 10, got 1e-300"),
        ("worthwhile = 1.0", 'worthwhile = "1"', 10, "`worthwhile` must be a number"),
        ('control = "rest"', 'control = "nothing"', 11, "`control` must be one of rest, none"),
        ('control = "rest"', 'control = "none"', 9, '`control = "none"` needs outcome = "sleep"'),
        ("seconds = 1200", "seconds = 0", 12, "`seconds` must be from 1 to 10800"),
        ("seconds = 1200", "seconds = 12.5", 12, "`seconds` must be a whole number"),
        ("first_night = 2026-12-03", 'first_night = "soon"', 6, "`first_night` must be a date"),
        (
            "created = 2026-12-02T21:04:00+01:00",
            "created = 2026-12-02T21:04:00",
            5,
            "no UTC offset",
        ),
        ('id = "T1"\n', "", 3, "`id` is missing"),
    ],
)
def test_check_locates_each_problem_of_a_trial(old: str, new: str, line: int, message: str) -> None:
    assert old in TRIAL_TOML
    (problem,) = problems_of(TRIAL_TOML.replace(old, new))
    assert problem.startswith(f"j.toml:{line}: trial: ")
    assert message in problem


def test_sessions_record_their_trial_and_condition_both_or_neither() -> None:
    session = make_session(trial="T1", condition="control")
    text = serialise([session], "toml", whole_file=True)
    assert 'trial = "T1"\ncondition = "control"\n' in text
    (read,) = parse(text.encode(), Path("j.toml"), "toml")[0].sessions
    assert (read.trial, read.condition, read.extra) == ("T1", "control", {})
    bad = text.replace('"control"', '"couch"')
    (problem,) = problems_of(bad)
    assert "session: `condition` must be one of mat, control, got 'couch'" in problem
    line = text.splitlines().index('condition = "control"') + 1
    assert problem.startswith(f"j.toml:{line}:")
    alone = text.replace('trial = "T1"\n', "")
    assert "`condition` needs `trial` too" in problems_of(alone)[0]


@pytest.mark.parametrize("kind", ["toml", "jsonl"])
def test_trials_round_trip_through_both_formats(kind: str) -> None:
    trial = make_trial(unblinded=datetime(2026, 12, 8, 8, 2, tzinfo=CET), stopped=date(2026, 12, 9))
    records = [make_session(trial="T1", condition="mat"), trial]
    text = serialise(records, kind, whole_file=True)  # type: ignore[arg-type]
    if kind == "jsonl":
        assert '"type": "trial"' in text.splitlines()[1]
    contents, problems = parse(text.encode(), Path(f"j.{kind}"), kind)  # type: ignore[arg-type]
    assert problems == []
    (back,) = contents.trials
    assert replace(back, line=0) == trial
    assert journal.json_line(back) == journal.json_line(trial)


@pytest.mark.parametrize("suffix", [".toml", ".jsonl"])
def test_cache_gives_what_a_full_parse_gives_with_trials(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"journal{suffix}"
    store = Journal(path)
    start = datetime(2026, 12, 3, 22, 0, tzinfo=CET)
    store.append([make_session(start - timedelta(days=3))])
    store.read()  # cached without trials
    store.append([make_trial(extra={"when": date(2026, 12, 1)})])  # a tail holding a trial
    same_as_full(path)
    store.read()
    store.append([make_session(start, trial="T1", condition="control")])
    got = same_as_full(path)
    assert [kind for kind, *_ in got[1]] == ["Session", "Trial", "Session"]
    # Updated in place by identity, as `trial report --unblind` and `trial stop` do.
    peek = datetime(2026, 12, 5, 8, 0, tzinfo=CET)

    def unblind(contents: journal.Contents):  # type: ignore[no-untyped-def]
        (old,) = contents.trials
        new = replace(old, unblinded=peek)
        return replace(contents, trials=[new]), old, new

    store.rewrite(unblind)
    got = same_as_full(path)
    assert store.read().trials[0].unblinded == peek
    when = date(2026, 12, 1) if suffix == ".toml" else "2026-12-01"  # JSON has no dates
    assert store.read().trials[0].extra == {"when": when}
    assert len(got[1]) == 3


def test_a_trial_hand_added_in_the_middle_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "journal.toml"
    store = Journal(path)
    store.append([make_session()])
    store.read()
    text = path.read_text()
    path.write_text(text + "\n" + TRIAL_TOML.replace("format = 1\n", ""))
    assert same_as_full(path)[0] == "ok"
    assert len(store.read().trials) == 1


def test_csv_export_has_trial_columns_only_with_trials() -> None:
    plain = journal.Contents(sessions=[make_session()])
    assert "schedule" not in journal.export_csv(plain).splitlines()[0]
    assert "condition" not in journal.export_csv(plain).splitlines()[0]
    contents = journal.Contents(
        sessions=[make_session(trial="T1", condition="mat", line=1)], trials=[make_trial(line=9)]
    )
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(journal.export_csv(contents))))
    assert rows[0]["type"] == "session" and rows[0]["condition"] == "mat"
    assert rows[1]["type"] == "trial" and rows[1]["schedule"].startswith("mat;control;control")
    assert rows[1]["outcome"] == "stress" and rows[1]["seconds"] == "1200"


def test_import_and_export_carry_trials(invoke, journal_path: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    other = tmp_path / "other.jsonl"
    Journal(other).append([make_trial(), make_session(trial="T1", condition="mat")])
    first = invoke("import", str(other))
    assert first.exit_code == 0, first.output
    assert "Imported 2 records" in first.stdout
    again = invoke("import", str(other))
    assert "Imported 0 records" in again.stdout and "(2 already present," in again.stdout
    (trial,) = Journal(journal_path).read().trials
    assert replace(trial, line=0) == make_trial()
    checked = invoke("check")
    assert "1 session, 0 nights, 1 trial, no problems" in checked.stdout
    for fmt in ("toml", "jsonl"):
        out = tmp_path / f"back.{fmt}"
        assert invoke("export", "--format", fmt, "-o", str(out)).exit_code == 0
        back = journal.load_file(out)
        assert [journal.json_line(r) for r in back.records] == [
            journal.json_line(r) for r in Journal(journal_path).read().records
        ]
