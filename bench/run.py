"""matlog's performance table: every figure next to this machine's bare `python -c pass`.

    python bench/run.py            # the full table (about two minutes)
    python bench/run.py --quick    # fewer repetitions, one countdown (about 40 s)
    python bench/run.py --only typed   # one section: start-up, typed, append, countdown, huge

Run it with the Python that has matlog installed (the `matlog` script beside it is what is
timed). Everything happens in a temporary folder: HOME, the XDG folders and MATLOG_JOURNAL
point there, so your own journal, config and cache are never read or touched.

Figures are whole-process wall times, medians of several runs. "x py" is a multiple of
`python -c pass` timed in the same run, interleaved with the figure's own runs, so a busy
machine slows both sides and the ratio stays honest.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
COUNTDOWN_SECONDS = 20
# What the commands people type are built on: their floor, timed beside them.
FLOOR = "import typer, rich.console, rich.table"
# The same, with the garbage-collector setting matlog's entry point uses (see
# matlog/__main__.py): shown beside each ×floor figure, so that part of the gain is not
# mistaken for matlog doing less work than the frameworks.
TUNED_FLOOR = f"import gc; gc.set_threshold(50_000); {FLOOR}; gc.freeze()"
SECTIONS = ("start-up", "typed", "append", "countdown", "huge")


@dataclass
class Run:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child
    maxrss_kib: int
    returncode: int


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    ok: bool | None  # None: could not be measured


# ---------------------------------------------------------------------------------------
# Journals: what `matlog` itself writes, with realistic variety, built fast from templates


def _ulid(rng: random.Random, when: datetime) -> str:
    value = (int(when.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def _records(count: int, seed: int = 7) -> list[dict[str, object]]:
    """`count` sessions, one a day back from 2026-11-23, and a sleep rating most nights."""
    rng = random.Random(seed)
    offsets = [timezone(timedelta(hours=1)), timezone(timedelta(hours=2))]
    first = date(2026, 11, 23) - timedelta(days=count)
    out: list[dict[str, object]] = []
    for index in range(count):
        day = first + timedelta(days=index)
        started = datetime(
            day.year,
            day.month,
            day.day,
            rng.choice([21, 22, 23]),
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=offsets[(day.month in (4, 5, 6, 7, 8, 9, 10))],
        )
        planned = rng.choice([300, 600, 900, 1200])
        ended = rng.choices(["finished", "stopped", "discomfort", "interrupted"], [85, 9, 3, 3])[0]
        session: dict[str, object] = {
            "type": "session",
            "id": _ulid(rng, started),
            "started": started,
            "planned_seconds": planned,
            "actual_seconds": planned if ended == "finished" else rng.randrange(60, planned),
            "ended": ended,
            "area": rng.choice(["back", "back", "back", "neck", "feet"]),
            "layer": rng.choice(["bare", "shirt", "sheet"]),
            "surface": rng.choice(["floor", "bed"]),
            "tags": rng.choice([[], ["bedtime"], ["bedtime", "sore"]]),
        }
        if rng.random() < 0.85:
            session["before"] = {"pain": rng.randrange(3, 9), "stress": rng.randrange(3, 9)}
            session["after"] = {"pain": rng.randrange(0, 7), "stress": rng.randrange(0, 7)}
        if rng.random() < 0.2:
            session["note"] = rng.choice(["calmer", "warm feet", "fell asleep", "sore neck"])
        out.append(session)
        if rng.random() < 0.8:
            out.append(
                {
                    "type": "sleep",
                    "id": _ulid(rng, started + timedelta(hours=9)),
                    "night": day,
                    "rating": rng.randrange(3, 10),
                }
            )
    return out


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return '"' + value + '"'  # plain ASCII words only: no escaping needed
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return str(value)


def _json_value(value: object) -> str:
    import json

    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    return json.dumps(value)


def toml_text(records: Sequence[dict[str, object]], *, preamble: bool = True) -> str:
    parts = ["# matlog journal\nformat = 1\n"] if preamble else []
    for record in records:
        lines = [f"[[{record['type']}]]"]
        lines += [
            f"{key} = {_toml_value(value)}"
            for key, value in record.items()
            if key != "type" and value != []
        ]
        parts.append("\n".join(lines) + "\n")
    return "\n".join(parts)


def jsonl_text(records: Sequence[dict[str, object]]) -> str:
    return "".join(
        "{" + ", ".join(f'"{k}": {_json_value(v)}' for k, v in r.items() if v != []) + "}\n"
        for r in records
    )


def one_more(kind: str, serial: int) -> str:
    """The text of one new session, as `matlog start` would append it: the newest one."""
    record = _records(1, seed=1000 + serial)[0]
    started = datetime(2026, 11, 24, 22, 0, tzinfo=timezone(timedelta(hours=1)))
    record["started"] = started + timedelta(minutes=serial)
    return ("\n" + toml_text([record], preamble=False)) if kind == "toml" else jsonl_text([record])


# ---------------------------------------------------------------------------------------
# Running and timing


class Bench:
    def __init__(self, root: Path, matlog: list[str], repeat: int) -> None:
        self.root = root
        self.matlog = matlog
        self.repeat = repeat
        self.py_samples: list[float] = []
        home = root / "home"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MATLOG_", "XDG_")) and key not in ("VISUAL", "EDITOR")
        }
        self.env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            XDG_STATE_HOME=str(home / "state"),
            XDG_CACHE_HOME=str(home / "cache"),
            NO_COLOR="1",
        )

    def spawn(
        self, argv: Sequence[str], journal: Path | None = None, extra: dict[str, str] | None = None
    ) -> Run:
        env = dict(self.env)
        env.update(extra or {})
        if journal is not None:
            env["MATLOG_JOURNAL"] = str(journal)
        with tempfile.TemporaryFile() as err:
            begin = time.perf_counter()
            child = subprocess.Popen(
                argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
            )
            # wait4: this child's own CPU time and peak memory, not all children's.
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - begin
            child.returncode = os.waitstatus_to_exitcode(status)
            if child.returncode != 0 and os.environ.get("BENCH_VERBOSE"):
                err.seek(0)
                sys.stderr.write(f"{' '.join(argv)}: exit {child.returncode}\n")
                sys.stderr.write(err.read().decode(errors="replace"))
        return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, child.returncode)

    def python(self) -> float:
        run = self.spawn([sys.executable, "-c", "pass"])
        self.py_samples.append(run.wall)
        return run.wall

    @property
    def py(self) -> float:
        return statistics.median(self.py_samples)

    def floored(
        self, args: Sequence[str], journal: Path | None = None, env: dict[str, str] | None = None
    ) -> tuple[list[Run], list[Run], list[Run]] | None:
        """Runs of `matlog args` interleaved with runs of the floor (`FLOOR`), of the floor
        with matlog's GC setting (`TUNED_FLOOR`) and of a bare Python; None if the command
        failed."""
        runs: list[Run] = []
        floors: list[Run] = []
        tuned: list[Run] = []
        self.spawn([*self.matlog, *args], journal, env)  # warm-up: disk cache, matlog's cache
        for _ in range(self.repeat):
            self.python()
            floors.append(self.spawn([sys.executable, "-c", FLOOR]))
            tuned.append(self.spawn([sys.executable, "-c", TUNED_FLOOR]))
            run = self.spawn([*self.matlog, *args], journal, env)
            if run.returncode != 0:
                return None
            runs.append(run)
        return runs, floors, tuned

    def timed(
        self,
        args: Sequence[str],
        journal: Path | None = None,
        before: Callable[[int], None] | None = None,
        repeat: int | None = None,
    ) -> list[Run] | None:
        """Runs of `matlog args` interleaved with bare Pythons; None if the command failed."""
        runs = []
        self.spawn([*self.matlog, *args], journal)  # warm-up: disk cache, matlog's cache
        for index in range(repeat or self.repeat):
            self.python()
            if before is not None:
                before(index)
            run = self.spawn([*self.matlog, *args], journal)
            if run.returncode != 0:
                return None
            runs.append(run)
        return runs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _median(runs: Sequence[Run], attr: str = "wall") -> float:
    return float(statistics.median(getattr(r, attr) for r in runs))


def measure(bench: Bench, quick: bool, sections: Sequence[str] = SECTIONS) -> list[Row]:
    rows: list[Row] = []
    for _ in range(3):
        bench.python()

    def ratio_row(figure: str, runs: list[Run] | None, limit: float, missing: str) -> None:
        if runs is None:
            rows.append(Row(figure, f"n/a ({missing})", f"≤ {limit:g} ×py", None))
            return
        wall = _median(runs)
        ratio = wall / bench.py
        rows.append(
            Row(figure, f"{_ms(wall)} = {ratio:.1f} ×py", f"≤ {limit:g} ×py", ratio <= limit)
        )

    if "start-up" in sections:
        start_up(bench, ratio_row)
    if "typed" in sections:
        rows.extend(typed(bench))
    if "append" in sections:
        rows.extend(appending(bench, ratio_row))
    if "countdown" in sections:
        rows.extend(countdown(bench, quick))
    if "huge" in sections:
        rows.extend(huge(bench, quick))
    return rows


RatioRow = Callable[[str, "list[Run] | None", float, str], None]


def start_up(bench: Bench, ratio_row: RatioRow) -> None:
    root = bench.root
    ratio_row("matlog --version", bench.timed(["--version"]), 5, "failed")
    small = root / "small.toml"
    small.write_text(toml_text(_records(30)), encoding="utf-8")
    plan_runs = bench.timed(["plan", "--json"], small)
    ratio_row("matlog plan --json, small journal", plan_runs, 6, "command missing")

    # Stats at 10,000 sessions, right after a session was appended (by matlog or by a sync:
    # the bytes land in the file, and the next reader must take them into account).
    for kind in ("toml", "jsonl"):
        path = root / f"10k.{kind}"
        records = _records(10_000)
        path.write_text(toml_text(records) if kind == "toml" else jsonl_text(records), "utf-8")

        def append_one(index: int, path: Path = path, kind: str = kind) -> None:
            with path.open("a", encoding="utf-8") as handle:
                handle.write(one_more(kind, index))

        runs = bench.timed(["stats", "--json"], path, before=append_one)
        label = "TOML" if kind == "toml" else "JSONL"
        ratio_row(f"stats --json, 10,000 sessions, {label}, after an append", runs, 6, "failed")


# What people type at a terminal, on 10,000 sessions: each against its floor, the import of
# the frameworks it is built on, timed in the same run and interleaved with it.
TYPED: tuple[tuple[list[str], float], ...] = (
    (["stats"], 1.5),
    (["stats", "--tag", "bedtime"], 2),
    (["stats", "--last", "30d"], 2),
    (["log", "-n", "5"], 1.5),
    (["plan"], 1.5),
)
# A TAB in bash after `matlog start -t `: the shell runs matlog with these (Typer's protocol).
COMPLETE_TAGS = {
    "_MATLOG_COMPLETE": "complete_bash",
    "COMP_WORDS": "matlog start -t ",
    "COMP_CWORD": "3",
}


def typed(bench: Bench) -> list[Row]:
    rows: list[Row] = []
    path = bench.root / "typed-10k.toml"
    path.write_text(toml_text(_records(10_000)), encoding="utf-8")
    cases: list[tuple[str, list[str], dict[str, str] | None, float]] = [
        (f"matlog {' '.join(args)}, 10,000 sessions", args, None, limit) for args, limit in TYPED
    ]
    cases.append(("TAB: `matlog start -t <TAB>`, 10,000 sessions", [], COMPLETE_TAGS, 1))
    for figure, args, env, limit in cases:
        timed = bench.floored(args, path, env)
        if timed is None:
            rows.append(Row(figure, "n/a (failed)", f"≤ {limit:g} ×floor", None))
            continue
        runs, floors, tuned = timed
        wall, floor, tuned_floor = _median(runs), _median(floors), _median(tuned)
        ratio = wall / floor
        rows.append(
            Row(
                figure,
                f"{_ms(wall)} = {ratio:.2f} ×floor ({_ms(floor)}); "
                f"{wall / tuned_floor:.2f} × tuned ({_ms(tuned_floor)})",
                f"≤ {limit:g} ×floor",
                ratio <= limit,
            )
        )
    # `trial report` on a finished 60-pair trial inside 10,000 sessions, next to `stats` on
    # the same journal, each right after an append, interleaved in one loop.
    rows.append(trial_report_row(bench, bench.root / "trial-10k.toml"))
    return rows


def appending(bench: Bench, ratio_row: RatioRow) -> list[Row]:
    # Appending one record (`matlog sleep`: one read, one append) to a journal of 10,000
    # sessions vs. to an empty one (a new file).
    rows: list[Row] = []
    root = bench.root
    big = root / "append-10k.toml"
    big.write_text(toml_text(_records(10_000)), encoding="utf-8")
    bench.spawn([*bench.matlog, "plan", "--json"], big)  # as after any earlier command

    def sleep_args(index: int) -> list[str]:
        night = date(1980, 1, 1) + timedelta(days=index)  # a night not in the journal yet
        return ["sleep", "7", "--night", night.isoformat()]

    empty_runs: list[Run] = []
    full_runs: list[Run] = []
    failed = False
    for index in range(bench.repeat):
        bench.python()
        fresh = root / f"empty-{index}" / "journal.toml"
        empty_runs.append(bench.spawn([*bench.matlog, *sleep_args(index)], fresh))
        full_runs.append(bench.spawn([*bench.matlog, *sleep_args(index)], big))
        failed = failed or any(r.returncode != 0 for r in (empty_runs[-1], full_runs[-1]))
    if failed:
        rows.append(Row("append one record at 10,000 sessions", "n/a (failed)", "≤ 1.5×", None))
    else:
        ratio = _median(full_runs) / _median(empty_runs)
        rows.append(
            Row(
                "append one record at 10,000 sessions (vs. empty)",
                f"{_ms(_median(full_runs))} vs. {_ms(_median(empty_runs))} = {ratio:.2f}×",
                "≤ 1.5×",
                ratio <= 1.5,
            )
        )

    return rows


def countdown(bench: Bench, quick: bool) -> list[Row]:
    rows: list[Row] = []
    root = bench.root

    # The countdown: overrun past 20 s plus start-up, and its own CPU. The start-up is that
    # of `start` itself (Typer, the session code, the journal), taken from 1-second sessions:
    # a 20 s session's wall and CPU less a 1 s session's are the countdown's own, for 19 s.
    def countdown_runs(seconds: int, repeat: int) -> list[Run] | None:
        return bench.timed(
            ["start", f"{seconds}s", "--settle", "0", "--no-ratings", "--yes"],
            root / f"countdown-{seconds}.toml",
            repeat=repeat,
        )

    short = countdown_runs(1, 3 if quick else 5)
    countdown = countdown_runs(COUNTDOWN_SECONDS, 1 if quick else 3)
    if countdown is None or short is None:
        rows.append(Row("20 s countdown: wall beyond 20 s + start-up", "n/a", "≤ 100 ms", None))
        rows.append(Row("countdown CPU per minute", "n/a (command missing)", "≤ 200 ms", None))
    else:
        span = COUNTDOWN_SECONDS - 1
        overrun = _median(countdown) - _median(short) - span
        cpu = max(0.0, _median(countdown, "cpu") - _median(short, "cpu")) * 60 / span
        rows.append(
            Row(
                "20 s countdown: wall beyond 20 s + start-up",
                _ms(overrun),
                "≤ 100 ms",
                overrun <= 0.1,
            )
        )
        rows.append(Row("countdown CPU per minute", _ms(cpu), "≤ 200 ms", cpu <= 0.2))

    return rows


def huge(bench: Bench, quick: bool) -> list[Row]:
    rows: list[Row] = []
    root = bench.root
    # 100,000 sessions: time and peak memory of `stats --json` right after an append.
    huge = root / "100k.toml"
    # Written by a child process: building 100,000 records here would leave this process
    # large, and a child's peak memory (ru_maxrss) counts its parent's pages until it execs.
    subprocess.run([sys.executable, __file__, "--write-journal", str(huge), "100000"], check=True)

    def append_huge(index: int) -> None:
        with huge.open("a", encoding="utf-8") as handle:
            handle.write(one_more("toml", 9000 + index))

    runs = bench.timed(["stats", "--json"], huge, before=append_huge, repeat=3 if quick else 5)
    if runs is None:
        rows.append(Row("stats --json, 100,000 sessions", "n/a (failed)", "≤ 1 s", None))
        rows.append(Row("  peak memory", "n/a", "≤ 150 MiB", None))
    else:
        wall = _median(runs)
        rss = max(r.maxrss_kib for r in runs) / 1024
        rows.append(
            Row("stats --json, 100,000 sessions, after an append", _ms(wall), "≤ 1 s", wall <= 1)
        )
        rows.append(Row("  peak memory (max RSS)", f"{rss:.0f} MiB", "≤ 150 MiB", rss <= 150))
    return rows


def trial_records(count: int, pairs: int = 60) -> list[dict[str, object]]:
    """`_records(count)` whose last `2 × pairs` nights are a finished trial's nights."""
    records = _records(count)
    sessions = [r for r in records if r["type"] == "session"]
    nights = sessions[-2 * pairs :]
    rng = random.Random(60)
    schedule: list[str] = []
    for _ in range(pairs):
        schedule += ["mat", "control"] if rng.random() < 0.5 else ["control", "mat"]
    first = nights[0]["started"]
    assert isinstance(first, datetime)
    created = first - timedelta(hours=2)
    trial: dict[str, object] = {
        "type": "trial",
        "id": _ulid(rng, created),
        "created": created,
        "first_night": first.date(),
        "schedule": schedule,
        "seed": 60,
        "outcome": "stress",
        "worthwhile": 1.0,
        "control": "rest",
        "seconds": 1200,
    }
    for session, condition in zip(nights, schedule, strict=True):
        session["trial"] = trial["id"]
        session["condition"] = condition
    return [*records[: records.index(nights[0])], trial, *records[records.index(nights[0]) :]]


def trial_report_row(bench: Bench, path: Path) -> Row:
    figure = "trial report, 60 pairs in 10,000 sessions, after an append (vs. stats)"
    path.write_text(toml_text(trial_records(10_000)), encoding="utf-8")
    stats_runs: list[Run] = []
    report_runs: list[Run] = []
    for args in (["stats"], ["trial", "report"]):
        bench.spawn([*bench.matlog, *args], path)  # warm-up: disk cache, matlog's cache
    serial = 20_000
    for _ in range(bench.repeat):
        bench.python()
        for args, runs in ((["stats"], stats_runs), (["trial", "report"], report_runs)):
            with path.open("a", encoding="utf-8") as handle:
                handle.write(one_more("toml", serial))
            serial += 1
            run = bench.spawn([*bench.matlog, *args], path)
            if run.returncode != 0:
                return Row(figure, "n/a (failed)", "≤ 1.5×", None)
            runs.append(run)
    report, stats = _median(report_runs), _median(stats_runs)
    ratio = report / stats
    return Row(
        figure,
        f"{_ms(report)} vs. {_ms(stats)} = {ratio:.2f}× ({report / bench.py:.1f} ×py)",
        "≤ 1.5×",
        ratio <= 1.5,
    )


def _matlog_command() -> list[str]:
    script = Path(sys.executable).with_name("matlog")
    if script.exists():
        return [str(script)]
    found = shutil.which("matlog")
    if found:
        return [found]
    return [sys.executable, "-m", "matlog"]


def _compile_matlog() -> None:
    """Byte-compile matlog as `pip install` does, so an editable checkout (or one run with
    PYTHONDONTWRITEBYTECODE set) is not timed compiling its own source at every start."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("matlog")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="only this section (repeatable)"
    )
    parser.add_argument("--write-journal", nargs=2, metavar=("PATH", "COUNT"), help="internal")
    args = parser.parse_args(argv)
    if args.write_journal:
        path, count = args.write_journal
        Path(path).write_text(toml_text(_records(int(count))), encoding="utf-8")
        return 0
    matlog = _matlog_command()
    _compile_matlog()
    repeat = 5 if args.quick else 15
    root = Path(tempfile.mkdtemp(prefix="matlog-bench-"))
    try:
        bench = Bench(root, matlog, repeat)
        rows = measure(bench, args.quick, args.only or SECTIONS)
    finally:
        if args.keep:
            print(f"(kept {root})", file=sys.stderr)
        else:
            shutil.rmtree(root, ignore_errors=True)
    print(f"matlog: {' '.join(matlog)}")
    print(
        f"python -c pass: {_ms(bench.py)} (median of {len(bench.py_samples)}, "
        f"interleaved with the figures); {os.cpu_count()} CPUs; Python {sys.version.split()[0]}"
    )
    print(f"floor: python -c {FLOOR!r}, interleaved with each ×floor figure's own runs")
    print(f"tuned: python -c {TUNED_FLOOR!r} (the floor with matlog's GC setting)")
    print()
    widths = [max(len(getattr(r, name)) for r in rows) for name in ("figure", "measured", "target")]
    head = ("figure", "measured", "target")
    print(f"| {head[0]:<{widths[0]}} | {head[1]:<{widths[1]}} | {head[2]:<{widths[2]}} | result |")
    print(f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 2)}|{'-' * (widths[2] + 2)}|--------|")
    for row in rows:
        result = "n/a" if row.ok is None else ("PASS" if row.ok else "FAIL")
        print(
            f"| {row.figure:<{widths[0]}} | {row.measured:<{widths[1]}} "
            f"| {row.target:<{widths[2]}} | {result:<6} |"
        )
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
