"""A record's fields both ways, for every format: validated from plain values, and back.

Also the types every layer of the journal shares: `Problem` (a located error), `Contents`
(what a file holds) and `ParseFacts` (what a parse learned about a TOML file, used by the
cache and the writer). Each record is judged on its own, never against the others: the
cache relies on it to add an appended tail's records to those of the prefix.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from matlog.errors import JournalError
from matlog.lightclass import dataclass, field
from matlog.records import (
    CONDITIONS,
    CONTROL_KINDS,
    ENDINGS,
    LAYERS,
    MAX_PAIRS,
    MIN_PAIRS,
    MIN_WORTHWHILE,
    RATING_MAX,
    RATING_MIN,
    SURFACES,
    Record,
    Session,
    Sleep,
    Trial,
)

FORMAT_VERSION = 1
Kind = Literal["toml", "jsonl"]

_SESSION_FIELDS = (
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
    "trial",
    "condition",
)


_SLEEP_FIELDS = ("id", "night", "rating", "note")

TRIAL_FIELDS = (
    "id",
    "created",
    "first_night",
    "schedule",
    "seed",
    "outcome",
    "worthwhile",
    "control",
    "seconds",
    "unblinded",
    "stopped",
)
KINDS = ("session", "sleep", "trial")  # the record tables, in the order a parse reads them
# A trial's outcome is a metric name (config.py's rule: a lower-case identifier) or "sleep".
# Whether the config knows it is for the `trial` commands to say: a journal is read without
# the config, and a metric dropped from it later must not make the journal unreadable.
_METRIC_NAME = re.compile(r"[a-z_][a-z0-9_]*")

# How deep an unknown field's value may nest (lists and tables). Far beyond any real use,
# and far below what either format's reader and writer, and the cache, can take.
MAX_NESTING = 100


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class Contents:
    sessions: list[Session] = field(default_factory=list)
    sleeps: list[Sleep] = field(default_factory=list)
    exists: bool = False
    size: int = 0
    trials: list[Trial] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return sorted([*self.sessions, *self.sleeps, *self.trials], key=lambda r: r.line)

    def add(self, record: Record) -> None:
        if isinstance(record, Session):
            self.sessions.append(record)
        elif isinstance(record, Sleep):
            self.sleeps.append(record)
        else:
            self.trials.append(record)

    @property
    def blank(self) -> bool:
        """The file exists but holds nothing at all: worth telling the user, never ignoring."""
        return (
            self.exists
            and not self.sessions
            and not self.sleeps
            and not self.trials
            and self.size == 0
        )


@dataclass
class ParseFacts:
    """What parsing a TOML text learned beyond its records (JSON Lines needs none of it).

    `keys`: the document's top-level keys. `aligned`: every `[[...]]` header line found is
    one of the tables, so records' lines are right. `appendable`: `[[session]]` and
    `[[sleep]]` headers may follow the text (it ends between statements, and neither name
    is a static array or a plain table).
    """

    keys: list[str] = field(default_factory=list)
    aligned: bool = False
    appendable: bool = False


def kind_of(path: Path) -> Kind:
    return "jsonl" if path.suffix.lower() == ".jsonl" else "toml"


def kind_name(record: Record) -> str:
    if isinstance(record, Session):
        return "session"
    return "sleep" if isinstance(record, Sleep) else "trial"


# ---------------------------------------------------------------------------------------
# Bytes to text


def decode(data: bytes, path: Path, problems: list[Problem]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(
            Problem(path, 1, "the file starts with a byte-order mark; save it as UTF-8 without BOM")
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.append(Problem(path, line, "not UTF-8 text (a stray byte); save it as UTF-8"))
        return None


PATHOLOGICAL = "a number too long or brackets nested too deeply to be a journal"


_LONG_NUMBER = re.compile(r"\d[\d_]{4000,}")


def pathological_line(text: str) -> int:
    """Where tomllib or json gave up without saying: a huge number, else deep nesting."""
    if match := _LONG_NUMBER.search(text):
        return text.count("\n", 0, match.start()) + 1
    depth, line = 0, 1
    for char in text:
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > 100:
                return line
        elif char in "]}":
            depth -= 1
    return 1


# ---------------------------------------------------------------------------------------
# Plain values to records


class _Invalid(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def record_from_dict(
    kind: str,
    item: dict[str, Any],
    line: int,
    locate: Callable[[str], int],
    path: Path,
    problems: list[Problem],
) -> Record | None:
    try:
        record: Record
        if kind == "session":
            record = _session(item, line)
        elif kind == "sleep":
            record = _sleep(item, line)
        else:
            record = _trial(item, line)
    except _Invalid as exc:
        where = locate(exc.key) if exc.key else line
        problems.append(Problem(path, where, f"{kind}: {exc}"))
        return None
    return record


def _require(item: dict[str, Any], key: str) -> Any:
    if key not in item:
        raise _Invalid("", f"`{key}` is missing")
    return item[key]


# TOML holds 64-bit integers only (other tools refuse bigger ones): the most a field may be.
_INT_MAX = 2**63 - 1
# The longest session or trial night: SPEC's DURATION limit, three hours.
_MAX_SECONDS = 3 * 3600


def _int(item: dict[str, Any], key: str, low: int, high: int | None = None) -> int:
    value = _require(item, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(key, f"`{key}` must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise _Invalid(key, f"`{key}` must be {span}, got {value}")
    if value > _INT_MAX:
        raise _Invalid(key, f"`{key}` is too large for a journal (TOML holds up to 2^63 − 1)")
    return value


def _optional_str(item: dict[str, Any], key: str, allowed: Sequence[str] = ()) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(key, f"`{key}` must be text, got {value!r}")
    if allowed and value not in allowed:
        raise _Invalid(key, f"`{key}` must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _ratings(item: dict[str, Any], key: str) -> dict[str, int]:
    value = item.get(key, {})
    if not isinstance(value, dict):
        raise _Invalid(key, f"`{key}` must be a table of ratings, e.g. {{ pain = 6 }}")
    for name, rating in value.items():
        if not name.strip():
            raise _Invalid(key, f"`{key}` has a rating without a name ({name!r} = {rating!r})")
        if not isinstance(rating, int) or isinstance(rating, bool):
            raise _Invalid(key, f"`{key}.{name}` must be a whole number 0–10, got {rating!r}")
        if not RATING_MIN <= rating <= RATING_MAX:
            raise _Invalid(key, f"`{key}.{name}` must be from 0 to 10, got {rating}")
    return dict(value)


def _datetime(item: dict[str, Any], key: str) -> datetime:
    value = _require(item, key)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise _Invalid(key, f"`{key}` is not an ISO 8601 date-time: {value!r}") from None
    if not isinstance(value, datetime):
        raise _Invalid(key, f"`{key}` must be a date-time, got {value!r}")
    if value.tzinfo is None:
        raise _Invalid(key, f"`{key}` has no UTC offset; add one, e.g. {value.isoformat()}+01:00")
    offset = value.utcoffset()
    if offset is not None and offset.total_seconds() % 60:
        # TOML cannot write an offset with seconds (old LMT zones); never accept what
        # the journal could not hold.
        raise _Invalid(key, f"`{key}` has a UTC offset with seconds ({offset}); use whole minutes")
    if not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        # Days, streaks and UTC need a day of room either side: year 1 or 9999 overflows.
        raise _Invalid(
            key, f"`{key}` must be from year {_FIRST_YEAR} to {_LAST_YEAR}, got year {value.year}"
        )
    return value


def _optional_datetime(item: dict[str, Any], key: str) -> datetime | None:
    return None if item.get(key) is None else _datetime(item, key)


def _date(item: dict[str, Any], key: str) -> date:
    value = _require(item, key)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _Invalid(key, f"`{key}` must be a date YYYY-MM-DD, got {value!r}") from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise _Invalid(key, f"`{key}` must be a date YYYY-MM-DD, got {value!r}")
    return value


def _extra(item: dict[str, Any], known: Sequence[str]) -> dict[str, Any]:
    """The unknown fields, kept untouched; refused if they could change what a record is."""
    if "type" in item:
        # JSON Lines keeps the record's kind under "type": a field of that name would be
        # written over the kind (or the kind over it), so it cannot be kept untouched.
        raise _Invalid(
            "type",
            "`type` is reserved: it says what a record is (JSON Lines writes it); "
            "rename this field, e.g. `kind`, or delete it",
        )
    extra = {k: v for k, v in item.items() if k not in known}
    for key, value in extra.items():
        if nesting(value) > MAX_NESTING:
            raise _Invalid(
                key,
                f"`{key}` is nested too deeply (more than {MAX_NESTING} levels of lists or "
                "tables) to be a journal field; flatten it or delete it",
            )
    return extra


def nesting(value: Any) -> int:
    """How many lists and tables deep `value` goes (0 for a plain value); without recursion."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list | tuple):
            children = item
        else:
            deepest = max(deepest, depth)
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


_FIRST_YEAR, _LAST_YEAR = 2, 9998


def _session(item: dict[str, Any], line: int) -> Session:
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _Invalid("tags", '`tags` must be a list of text, e.g. ["bedtime"]')
    ended = _require(item, "ended")
    if ended not in ENDINGS:
        raise _Invalid("ended", f"`ended` must be one of {', '.join(ENDINGS)}, got {ended!r}")
    trial = _optional_str(item, "trial")
    condition = _optional_str(item, "condition", CONDITIONS)
    if trial is not None and not trial:
        raise _Invalid("trial", "`trial` must be a trial's id, got an empty text")
    if (trial is None) != (condition is None):
        key, other = ("trial", "condition") if trial is not None else ("condition", "trial")
        raise _Invalid(key, f"`{key}` needs `{other}` too: a trial session records both")
    return Session(
        id=_optional_str(item, "id"),
        started=_datetime(item, "started"),
        planned_seconds=_int(item, "planned_seconds", 1),
        actual_seconds=_int(item, "actual_seconds", 0),
        ended=ended,
        area=_optional_str(item, "area"),
        layer=_optional_str(item, "layer", LAYERS),
        surface=_optional_str(item, "surface", SURFACES),
        tags=list(tags),
        before=_ratings(item, "before"),
        after=_ratings(item, "after"),
        note=_optional_str(item, "note"),
        trial=trial,
        condition=condition,  # type: ignore[arg-type]  # checked against CONDITIONS
        extra=_extra(item, _SESSION_FIELDS),
        line=line,
    )


def _sleep(item: dict[str, Any], line: int) -> Sleep:
    return Sleep(
        id=_optional_str(item, "id"),
        night=_date(item, "night"),
        rating=_int(item, "rating", RATING_MIN, RATING_MAX),
        note=_optional_str(item, "note"),
        extra=_extra(item, _SLEEP_FIELDS),
        line=line,
    )


def _trial(item: dict[str, Any], line: int) -> Trial:
    """A `[[trial]]` record; each field judged on its own, as for the other records."""
    identity = _optional_str(item, "id")
    if not identity:
        raise _Invalid("id" if "id" in item else "", "`id` is missing: a trial needs its id")
    schedule = _require(item, "schedule")
    if not isinstance(schedule, list) or not schedule:
        raise _Invalid("schedule", '`schedule` must be a list like ["mat", "control", ...]')
    for night, condition in enumerate(schedule, 1):
        if condition not in CONDITIONS:
            raise _Invalid(
                "schedule", f"`schedule` night {night} must be mat or control, got {condition!r}"
            )
    if len(schedule) % 2:
        raise _Invalid(
            "schedule", f"`schedule` must hold pairs of nights, got {len(schedule)} nights"
        )
    pairs = len(schedule) // 2
    if not MIN_PAIRS <= pairs <= MAX_PAIRS:
        raise _Invalid(
            "schedule", f"`schedule` must hold {MIN_PAIRS} to {MAX_PAIRS} pairs, got {pairs}"
        )
    for pair in range(pairs):
        if schedule[2 * pair] == schedule[2 * pair + 1]:
            raise _Invalid(
                "schedule",
                f"`schedule` pair {pair + 1} (nights {2 * pair + 1}-{2 * pair + 2}) must be "
                "one mat and one control night",
            )
    outcome = _require(item, "outcome")
    if not isinstance(outcome, str) or not _METRIC_NAME.fullmatch(outcome):
        raise _Invalid(
            "outcome", f"`outcome` must be a metric name (e.g. stress) or sleep, got {outcome!r}"
        )
    worthwhile = _require(item, "worthwhile")
    if (
        not isinstance(worthwhile, int | float)
        or isinstance(worthwhile, bool)
        or not MIN_WORTHWHILE <= worthwhile <= RATING_MAX
    ):
        raise _Invalid(
            "worthwhile",
            f"`worthwhile` must be a number of points from {MIN_WORTHWHILE:g} to {RATING_MAX}, "
            f"got {worthwhile!r}",
        )
    control = _require(item, "control")
    if control not in CONTROL_KINDS:
        raise _Invalid(
            "control", f"`control` must be one of {', '.join(CONTROL_KINDS)}, got {control!r}"
        )
    if control == "none" and outcome != "sleep":
        raise _Invalid("outcome", f'`control = "none"` needs outcome = "sleep", got {outcome!r}')
    first_night = _date(item, "first_night")
    if first_night.year < _FIRST_YEAR or first_night.toordinal() + len(schedule) > (
        date(_LAST_YEAR, 12, 31).toordinal()
    ):
        raise _Invalid(
            "first_night",
            f"`first_night` must leave the trial's nights within the years {_FIRST_YEAR} to "
            f"{_LAST_YEAR}, got {first_night}",
        )
    return Trial(
        id=identity,
        created=_datetime(item, "created"),
        first_night=first_night,
        schedule=tuple(schedule),
        seed=_int(item, "seed", 0),
        outcome=outcome,
        worthwhile=float(worthwhile),
        control=control,
        seconds=_int(item, "seconds", 1, _MAX_SECONDS),
        unblinded=_optional_datetime(item, "unblinded"),
        stopped=None if item.get("stopped") is None else _date(item, "stopped"),
        extra=_extra(item, TRIAL_FIELDS),
        line=line,
    )


def trial_from_dict(item: dict[str, Any], line: int) -> Trial:
    """A trial from values this module validated before (the cache); ValueError if invalid."""
    try:
        return _trial(dict(item), line)
    except _Invalid as exc:
        raise ValueError(str(exc)) from None


def same_line(line: int, _key: str) -> int:
    return line


def parse_record_dict(kind: str, item: dict[str, Any]) -> Record:
    """One record from plain values (e.g. the running-session file); ValueError if invalid."""
    problems: list[Problem] = []
    record = record_from_dict(
        kind, dict(item), 0, functools.partial(same_line, 0), Path("record"), problems
    )
    if record is None:
        raise ValueError(problems[0].message if problems else "invalid record")
    return record


# ---------------------------------------------------------------------------------------
# Records to plain values


def record_to_dict(record: Record) -> dict[str, Any]:
    """The record's fields in file order, without empty optional ones; extras last."""
    if isinstance(record, Session):
        values: dict[str, Any] = {
            "id": record.id,
            "started": record.started,
            "planned_seconds": record.planned_seconds,
            "actual_seconds": record.actual_seconds,
            "ended": record.ended,
            "area": record.area,
            "layer": record.layer,
            "surface": record.surface,
            "tags": record.tags,
            "before": record.before,
            "after": record.after,
            "note": record.note,
            "trial": record.trial,
            "condition": record.condition,
        }
    elif isinstance(record, Sleep):
        values = {
            "id": record.id,
            "night": record.night,
            "rating": record.rating,
            "note": record.note,
        }
    else:
        values = {
            "id": record.id,
            "created": record.created,
            "first_night": record.first_night,
            "schedule": list(record.schedule),
            "seed": record.seed,
            "outcome": record.outcome,
            "worthwhile": record.worthwhile,
            "control": record.control,
            "seconds": record.seconds,
            "unblinded": record.unblinded,
            "stopped": record.stopped,
        }
    out = {k: v for k, v in values.items() if v is not None and v != [] and v != {}}
    out.update(record.extra)
    return out


def raise_first(problems: list[Problem]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JournalError(
            f"{problems[0]}{more}",
            hint="nothing was written; `matlog check` lists every problem, `matlog edit` fixes",
        )
