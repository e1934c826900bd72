"""A realistic journal for stats tests and demos, the same every time for a given seed.

60 sessions over about ten weeks in Berlin (so the offsets change at the end of DST):
mostly bedtime, a few after midnight, durations that climb the plan's ladder, a handful
stopped early, one for discomfort, one interrupted; ratings before and after on most
sessions, with a modest, noisy fall in pain and stress; sleep on most mornings.

    python tests/journal_factory.py /tmp/stats60.toml [--end 2026-11-23] [--seed 7]
    python tests/journal_factory.py /tmp/trial.toml --trial [--end 2026-11-23]

`--trial` adds a finished self-experiment after those sessions: a `[[trial]]` of 14 pairs
whose last night is `--end`, a trial session on each night (one night missed, one done the
other way round) with a planted effect — stress falls about 1 point more on mat nights than
on control nights, sleep is rated about half a point higher after them — and sleep each
night.

From the repository root, with any Python 3.11+: run as a script it imports matlog from
this checkout's src/ and needs no third-party package (it writes the TOML itself). `--end`
is the evening of the last session, yesterday (in Berlin) by default, so that every
session has started and ended before now; an `--end` of today or later is refused.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

if __name__ == "__main__":  # a script: this checkout's matlog, installed or not
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from matlog.journal import TOML_PREAMBLE, kind_name, record_to_dict
from matlog.records import Record, Session, Sleep, Trial
from matlog.trial import draw_schedule

BERLIN = ZoneInfo("Europe/Berlin")
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

# The top-level keys SPEC.md lists for `matlog stats --json`.
SPEC_KEYS = {
    "sessions",
    "total_seconds",
    "mean_seconds",
    "ended",
    "first",
    "last",
    "streak",
    "per_week",
    "metrics",
    "sleep",
    "plan",
}


def _ulid(when: datetime, rng: random.Random) -> str:
    """Like records.new_id, but from the seeded generator, so the journal is reproducible."""
    value = (int(when.timestamp() * 1000) << 80) | rng.getrandbits(80)
    return "".join(CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


def _clamp(value: float) -> int:
    return max(0, min(10, round(value)))


def realistic_journal(
    sessions: int = 60, *, end: date = date(2026, 11, 23), seed: int = 7
) -> list[Record]:
    rng = random.Random(seed)
    # Spread the sessions over more days than there are sessions: some days are skipped.
    span = sessions + sessions // 5
    days = [*sorted(rng.sample(range(span - 1), sessions - 1)), span - 1]
    start_day = end - timedelta(days=span - 1)
    records: list[Record] = []
    level = 5 * 60  # the plan's ladder: +1 min after each finished session, up to 20
    for index, offset in enumerate(days):
        day = start_day + timedelta(days=offset)
        hour, minute = rng.choice([(21, 30), (22, 0), (22, 15), (22, 45), (23, 10)])
        local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)
        late = rng.random() < 0.1 and index < sessions - 1  # the last one is not tomorrow
        if late:  # late nights: after midnight, still the evening's session
            local = local.replace(hour=0, minute=rng.choice([15, 30, 50])) + timedelta(days=1)
        elif rng.random() < 0.1:
            local = local.replace(hour=rng.choice([7, 13, 17]))
        # Journals store a fixed offset in whole minutes (TOML has no seconds there; they
        # matter only for the local mean time a 100,000-session journal reaches back to).
        offset = timedelta(minutes=round((local.utcoffset() or timedelta()).total_seconds() / 60))
        started = local.replace(tzinfo=timezone(offset))

        ended = "finished"
        roll = rng.random()
        if index == 9:
            ended = "discomfort"
        elif index == 33:
            ended = "interrupted"
        elif roll < 0.1:
            ended = "stopped"
        planned = level
        actual = planned if ended == "finished" else int(planned * rng.uniform(0.3, 0.9))
        if ended == "finished":
            level = min(20 * 60, level + 60)
        elif ended == "discomfort":
            level = max(5 * 60, level - 120)

        layer = "shirt" if index < 20 else rng.choice(["shirt", "bare", "bare"])
        surface = "bed" if index < 12 else rng.choice(["bed", "floor"])
        area = rng.choices(["back", "neck", "feet"], weights=[8, 2, 1])[0]
        tags = ["bedtime"] if local.hour >= 21 or local.hour == 0 else []
        if rng.random() < 0.15:
            tags.append("sore")

        before: dict[str, int] = {}
        after: dict[str, int] = {}
        if rng.random() < 0.85:
            pain = rng.gauss(5.5 if "sore" in tags else 4, 1.5)
            stress = rng.gauss(6, 1.6)
            mood = rng.gauss(5, 1.5)
            before = {"pain": _clamp(pain), "stress": _clamp(stress), "mood": _clamp(mood)}
            # Modest, noisy changes: stress falls most, pain a little, mood barely moves.
            after = {
                "pain": _clamp(pain + rng.gauss(-0.6, 1.3)),
                "stress": _clamp(stress + rng.gauss(-1.4, 1.2)),
                "mood": _clamp(mood + rng.gauss(0.2, 1.1)),
            }
            if rng.random() < 0.1:  # sometimes one rating is skipped
                del after["mood"]
        records.append(
            Session(
                id=_ulid(started, rng),
                started=started,
                planned_seconds=planned,
                actual_seconds=max(actual, 1),
                ended=ended,  # type: ignore[arg-type]
                area=area,
                layer=layer,
                surface=surface,
                tags=tags,
                before=before,
                after=after,
            )
        )
    session_days = {start_day + timedelta(days=d) for d in days}
    for offset in range(span - 1):
        night = start_day + timedelta(days=offset)
        if rng.random() < 0.8:
            base = 6.6 if night in session_days else 6.2
            morning = datetime(night.year, night.month, night.day, 8, tzinfo=BERLIN)
            rating = _clamp(rng.gauss(base, 1.4))
            records.append(Sleep(night=night, rating=rating, id=_ulid(morning, rng)))
    return records


TRIAL_PAIRS = 14
# The planted effect: the mean after − before change of stress (and pain, mood) on each kind
# of night, and the mean sleep rating after it. Mat minus control: stress −1, sleep +0.5.
PLANTED = {
    "mat": {"stress": -1.6, "pain": -0.6, "mood": 0.2, "sleep": 6.8},
    "control": {"stress": -0.6, "pain": -0.4, "mood": 0.1, "sleep": 6.3},
}


def trial_journal(
    sessions: int = 60, *, end: date = date(2026, 11, 23), seed: int = 7
) -> list[Record]:
    """`realistic_journal` up to the trial, then a finished 14-pair trial ending on `end`."""
    nights = 2 * TRIAL_PAIRS
    first = end - timedelta(days=nights - 1)
    records = realistic_journal(sessions, end=first - timedelta(days=2), seed=seed)
    rng = random.Random(seed + 1)
    created = datetime(first.year, first.month, first.day, 20, 30, tzinfo=BERLIN)
    created = created.replace(tzinfo=timezone(created.utcoffset() or timedelta()))
    trial = Trial(
        id=_ulid(created, rng),
        created=created,
        first_night=first,
        schedule=draw_schedule(TRIAL_PAIRS, seed),
        seed=seed,
        outcome="stress",
        worthwhile=1.0,
        control="rest",
        seconds=20 * 60,
    )
    records.append(trial)
    missed, swapped = 9, 16  # one night without its session, one done the other way round
    for index, drawn in enumerate(trial.schedule):
        night = first + timedelta(days=index)
        local = datetime(night.year, night.month, night.day, 22, rng.choice([0, 10, 20, 30]))
        local = local.replace(tzinfo=BERLIN)
        started = local.replace(tzinfo=timezone(local.utcoffset() or timedelta()))
        done = drawn if index != swapped else ("mat" if drawn == "control" else "control")
        if index != missed:
            base = {
                "stress": rng.gauss(6, 1.4),
                "pain": rng.gauss(4, 1.4),
                "mood": rng.gauss(5, 1.3),
            }
            before = {name: _clamp(value) for name, value in base.items()}
            after = {
                name: _clamp(value + rng.gauss(PLANTED[drawn][name], 0.9))
                for name, value in base.items()
            }
            records.append(
                Session(
                    id=_ulid(started, rng),
                    started=started,
                    planned_seconds=trial.seconds,
                    actual_seconds=trial.seconds,
                    ended="finished",
                    area="back",
                    layer="shirt",
                    surface="floor",
                    tags=["bedtime"],
                    before=before,
                    after=after,
                    trial=trial.id,
                    condition=done,
                )
            )
        morning = local + timedelta(hours=10)
        rating = _clamp(rng.gauss(PLANTED[drawn]["sleep"], 0.9))
        records.append(Sleep(night=night, rating=rating, id=_ulid(morning, rng)))
    return records


def journal_text(records: list[Record]) -> str:
    """The journal file, as matlog writes it, without matlog's tomli-w (not in every Python):
    matlog's own field order, and the few value types this factory makes."""
    blocks = []
    for record in records:
        lines = [f"[[{kind_name(record)}]]"]
        lines += [f"{key} = {_toml(value)}" for key, value in record_to_dict(record).items()]
        blocks.append("\n".join(lines) + "\n")
    return TOML_PREAMBLE + "\n" + "\n".join(blocks)


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        raise TypeError("the factory makes no booleans")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9 _.,-]*", value):
        return f'"{value}"'  # nothing to escape
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"the factory cannot write {value!r} to TOML")


def write_journal(path: Path, records: list[Record]) -> None:
    with path.open("x", encoding="utf-8") as out:
        out.write(journal_text(records))


def main(argv: list[str] | None = None) -> int:
    yesterday = datetime.now(BERLIN).date() - timedelta(days=1)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--end", type=date.fromisoformat, default=yesterday)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--trial", action="store_true", help="a finished 14-pair trial too")
    args = parser.parse_args(argv)
    if args.end > yesterday:
        # The last session is that evening (up to 23:30 in Berlin): it would not be over.
        parser.error(f"--end {args.end} has not passed yet; the latest is {yesterday}")
    if args.path.exists():
        print(f"{args.path} exists; not overwriting it", file=sys.stderr)
        return 1
    if args.trial:
        records = trial_journal(args.sessions, end=args.end, seed=args.seed)
        write_journal(args.path, records)
        print(f"wrote {args.sessions} sessions and a finished 14-pair trial to {args.path}")
        return 0
    write_journal(args.path, realistic_journal(args.sessions, end=args.end, seed=args.seed))
    print(f"wrote {args.sessions} sessions to {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
