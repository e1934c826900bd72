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
    ENDINGS,
    LAYERS,
    RATING_MAX,
    RATING_MIN,
    SURFACES,
    Record,
    Session,
    Sleep,
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
)


_SLEEP_FIELDS = ("id", "night", "rating", "note")


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

    @property
    def records(self) -> list[Record]:
        return sorted([*self.sessions, *self.sleeps], key=lambda r: r.line)

    @property
    def blank(self) -> bool:
        """The file exists but holds nothing at all: worth telling the user, never ignoring."""
        return self.exists and not self.sessions and not self.sleeps and self.size == 0


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
    return "session" if isinstance(record, Session) else "sleep"


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
        record: Record = _session(item, line) if kind == "session" else _sleep(item, line)
    except _Invalid as exc:
        where = locate(exc.key) if exc.key else line
        problems.append(Problem(path, where, f"{kind}: {exc}"))
        return None
    return record


def _require(item: dict[str, Any], key: str) -> Any:
    if key not in item:
        raise _Invalid("", f"`{key}` is missing")
    return item[key]


def _int(item: dict[str, Any], key: str, low: int, high: int | None = None) -> int:
    value = _require(item, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Invalid(key, f"`{key}` must be a whole number, got {value!r}")
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise _Invalid(key, f"`{key}` must be {span}, got {value}")
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


_FIRST_YEAR, _LAST_YEAR = 2, 9998


def _session(item: dict[str, Any], line: int) -> Session:
    tags = item.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _Invalid("tags", '`tags` must be a list of text, e.g. ["bedtime"]')
    ended = _require(item, "ended")
    if ended not in ENDINGS:
        raise _Invalid("ended", f"`ended` must be one of {', '.join(ENDINGS)}, got {ended!r}")
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
        extra={k: v for k, v in item.items() if k not in _SESSION_FIELDS},
        line=line,
    )


def _sleep(item: dict[str, Any], line: int) -> Sleep:
    night = _require(item, "night")
    if isinstance(night, str):
        try:
            night = date.fromisoformat(night)
        except ValueError:
            raise _Invalid("night", f"`night` must be a date YYYY-MM-DD, got {night!r}") from None
    if isinstance(night, datetime) or not isinstance(night, date):
        raise _Invalid("night", f"`night` must be a date YYYY-MM-DD, got {night!r}")
    return Sleep(
        id=_optional_str(item, "id"),
        night=night,
        rating=_int(item, "rating", RATING_MIN, RATING_MAX),
        note=_optional_str(item, "note"),
        extra={k: v for k, v in item.items() if k not in _SLEEP_FIELDS},
        line=line,
    )


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
        }
    else:
        values = {
            "id": record.id,
            "night": record.night,
            "rating": record.rating,
            "note": record.note,
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
