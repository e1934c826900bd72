"""The journal file: the only code that reads or writes its bytes.

Two formats share one set of records: TOML (the default, hand-editable) and JSON Lines
(chosen by a `.jsonl` suffix). Writing keeps the promises in SPEC.md:

* a new record is appended as one `write()` on an `O_APPEND` descriptor, under an exclusive
  `flock` on a side file, after checking that what is already there parses; a short or
  failed write is truncated back, so the file is either as it was or has the whole record;
* the rare edits in place (`undo`, `rate`) write a temporary file beside the real one and
  `os.replace` it, after checking that the result parses to exactly what was intended;
* values are serialised by tomli-w / json, so user text can never break the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import glob
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import tomllib

    from matlog.cache import Folder

from matlog import paths
from matlog.errors import JournalError, JournalWriteError
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
from matlog.struct import dataclass, field, replace

T = TypeVar("T")

__all__ = ["Contents", "Journal", "Problem", "Record", "Session", "Sleep"]

FORMAT_VERSION = 1
Kind = Literal["toml", "jsonl"]

TOML_PREAMBLE = """\
# matlog journal: one [[session]] per mat session, one [[sleep]] per night.
# You may edit it by hand (`matlog edit` checks it afterwards). Keep `format = 1`.
format = 1
"""

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
_HEADER = re.compile(rb"^[ \t]*\[\[[ \t]*(session|sleep)[ \t]*\]\]", re.MULTILINE)
_ANY_HEADER = re.compile(r"^[ \t]*\[")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


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


def kind_of(path: Path) -> Kind:
    return "jsonl" if path.suffix.lower() == ".jsonl" else "toml"


# ---------------------------------------------------------------------------------------
# Reading and validating


def parse(
    data: bytes, path: Path, kind: Kind, facts: dict[str, Any] | None = None
) -> tuple[Contents, list[Problem]]:
    """Every record in `data`, and every problem found (empty when the file is valid).

    Each record is judged on its own, never against the others: `cache` relies on it to add
    an appended tail's records to those of the prefix. `facts`, if given, receives what the
    cache needs to know about a TOML document (see `_load_toml`).
    """
    contents = Contents(exists=True, size=len(data))
    problems: list[Problem] = []
    text = _decode(data, path, problems)
    if text is None:
        return contents, problems
    if kind == "jsonl":
        records = _parse_jsonl(text, path, problems)
    else:
        records = _parse_toml(text, data, path, problems, facts)
    for record in records:
        if isinstance(record, Session):
            contents.sessions.append(record)
        else:
            contents.sleeps.append(record)
    return contents, problems


def _decode(data: bytes, path: Path, problems: list[Problem]) -> str | None:
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


def _conflict_marker(text: str, path: Path, problems: list[Problem]) -> bool:
    for number, line in enumerate(text.split("\n"), 1):
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line.rstrip("\r") == "=======":
            problems.append(
                Problem(
                    path,
                    number,
                    "an unresolved merge conflict marker; keep both sides' "
                    "records and delete the marker lines",
                )
            )
            return True
    return False


def _parse_toml(
    text: str,
    data: bytes,
    path: Path,
    problems: list[Problem],
    facts: dict[str, Any] | None = None,
) -> list[Record]:
    import tomllib  # imported here: a read from the cache never needs it

    if _conflict_marker(text, path, problems):
        return []
    try:
        doc = _load_toml(text, facts)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error_position(exc, text)
        problems.append(Problem(path, line, f"not valid TOML: {message}"))
        return []
    except (ValueError, RecursionError):  # a number of 4300+ digits, or nesting 1000 deep
        problems.append(Problem(path, _pathological_line(text), _PATHOLOGICAL))
        return []
    lines = text.split("\n")
    headers: dict[str, list[int]] = {"session": [], "sleep": []}
    # Count newlines from one header to the next: counting from the start each time is
    # quadratic (seconds for a journal of 10,000 sessions).
    line, counted = 1, 0
    for match in _HEADER.finditer(data):
        line += data.count(b"\n", counted, match.start())
        counted = match.start()
        headers[match[1].decode()].append(line)
    if facts is not None:
        facts["keys"] = sorted(doc)
        # Every [[...]] header line found is one of the tables: records' lines are right.
        facts["aligned"] = all(
            isinstance(doc.get(n, []), list) and len(doc.get(n, [])) == len(headers[n])
            for n in headers
        )

    fmt = doc.get("format", FORMAT_VERSION)
    if fmt != FORMAT_VERSION or isinstance(fmt, bool):
        where = _key_line(lines, 0, "format")
        problems.append(
            Problem(
                path,
                where,
                f"format = {fmt!r} is not one this matlog reads (format = 1); "
                "a newer matlog may have written it",
            )
        )
        return []

    records: list[Record] = []
    for name in ("session", "sleep"):
        items = doc.get(name, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            where = _key_line(lines, 0, name)
            single = re.compile(rf"^\s*\[\s*{name}\s*\]")  # [session] for [[session]]
            where = next((n for n, t in enumerate(lines, 1) if single.match(t)), where)
            problems.append(Problem(path, where, f"`{name}` must be [[{name}]] tables"))
            continue
        for index, item in enumerate(items):
            header = headers[name][index] if index < len(headers[name]) else 1

            def locate(key: str, header: int = header) -> int:
                return _key_line(lines, header, key)

            record = _record_from_dict(name, item, header, locate, path, problems)
            if record is not None:
                records.append(record)
    return records


_PROBE = "[[session]]\n[[sleep]]\n"


def _load_toml(text: str, facts: dict[str, Any] | None) -> dict[str, Any]:
    """`tomllib.loads(text)`; with `facts`, also whether [[session]] and [[sleep]] can follow.

    The text is parsed with those two headers added at its end. That parses if and only if
    the text alone parses (it ends with a newline, so the headers can only be read as two
    headers, which needs the text to have ended between statements) and `session` and
    `sleep` are absent or arrays of tables (not `session = [...]`, nor a `[session]` table).
    The two empty tables the headers made are then removed, which leaves the text's own
    document. Otherwise the text is parsed alone, which also gives the real error.
    """
    import tomllib

    if facts is not None:
        facts["appendable"] = False
        if text.endswith("\n"):
            try:
                doc = tomllib.loads(text + _PROBE)
            except (tomllib.TOMLDecodeError, ValueError, RecursionError):
                pass
            else:
                for name in ("session", "sleep"):
                    doc[name].pop()
                    if not doc[name]:
                        del doc[name]
                facts["appendable"] = True
                return doc
    return tomllib.loads(text)


_PATHOLOGICAL = "a number too long or brackets nested too deeply to be a journal"
_LONG_NUMBER = re.compile(r"\d[\d_]{4000,}")


def _pathological_line(text: str) -> int:
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


def _toml_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int, str]:
    message = str(exc)
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        return int(match[1]), f"{message[: match.start()]} (column {match[2]})"
    match = re.search(r"\s*\(at end of document\)$", message)
    if match:
        # A file cut short: name its last line, not the first.
        last = text.rstrip("\n").count("\n") + 1
        return last, f"{message[: match.start()]} at the end of the file"
    return 1, message


def _key_line(lines: list[str], header: int, key: str) -> int:
    """The line of `key = ...` in the table whose header is on line `header` (0: top level)."""
    pattern = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    kind = "session" if header and "session" in lines[header - 1] else "sleep"
    for index in range(header, _block_end(lines, header - 1, kind) if header else len(lines)):
        if pattern.match(lines[index]):
            return index + 1
        if not header and _ANY_HEADER.match(lines[index]):
            break
    return max(header, 1)


def _block_end(lines: Sequence[str | bytes], start: int, kind: str) -> int:
    """Index of the first line after the table whose header is at index `start`.

    The table's own sub-tables (`[session.before]`) belong to it; any other header ends it.
    """
    own = f"[{kind}."
    end = start + 1
    while end < len(lines):
        line = lines[end]
        text = (line.decode("utf-8", "replace") if isinstance(line, bytes) else line).lstrip()
        if text.startswith("[") and not text.startswith(own):
            break
        end += 1
    return end


def _parse_jsonl(text: str, path: Path, problems: list[Problem]) -> list[Record]:
    records: list[Record] = []
    # Split on "\n" only: json.dumps leaves U+2028 and friends unescaped inside strings.
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "=======":
            problems.append(Problem(path, number, "an unresolved merge conflict marker"))
            continue
        try:
            item = json.loads(line, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            problems.append(
                Problem(path, number, f"not valid JSON: {exc.msg} (column {exc.colno})")
            )
            continue
        except _DuplicateKey as exc:
            problems.append(Problem(path, number, f"`{exc}` appears twice; keep one"))
            continue
        except (ValueError, RecursionError):  # a number of 4300+ digits, or nesting 1000 deep
            problems.append(Problem(path, number, _PATHOLOGICAL))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(path, number, "each line must be a JSON object"))
            continue
        kind = item.pop("type", None)
        if kind not in ("session", "sleep"):
            problems.append(
                Problem(path, number, f'"type" must be "session" or "sleep", got {kind!r}')
            )
            continue
        record = _record_from_dict(
            kind, item, number, functools.partial(_same_line, number), path, problems
        )
        if record is not None:
            records.append(record)
    return records


def _same_line(line: int, _key: str) -> int:
    return line


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads keeps the last of two equal keys in silence; matlog never guesses."""
    item: dict[str, Any] = {}
    for key, value in pairs:
        if key in item:
            raise _DuplicateKey(key)
        item[key] = value
    return item


class _Invalid(Exception):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _record_from_dict(
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
    return value


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


# ---------------------------------------------------------------------------------------
# Serialising


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


def kind_name(record: Record) -> str:
    return "session" if isinstance(record, Session) else "sleep"


def toml_block(record: Record) -> str:
    """`[[session]]` (or `[[sleep]]`) and one `key = value` line per field."""
    lines = [f"[[{kind_name(record)}]]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in record_to_dict(record).items()]
    return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    if _BARE_KEY.fullmatch(key):
        return key
    import tomli_w

    return tomli_w.dumps({key: 0}).rsplit(" = ", 1)[0]


def _toml_value(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return (
            "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
        )
    import tomli_w

    return tomli_w.dumps({"v": value})[len("v = ") : -1]


def json_line(record: Record) -> str:
    item: dict[str, Any] = {"type": kind_name(record)}
    item.update(record_to_dict(record))
    return json.dumps(item, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")


def serialise(records: Iterable[Record], kind: Kind, *, whole_file: bool = False) -> str:
    if kind == "jsonl":
        return "".join(json_line(r) for r in records)
    blocks = [toml_block(r) for r in records]
    body = "\n".join(blocks)
    return TOML_PREAMBLE + ("\n" + body if body else "") if whole_file else body


def export_csv(contents: Contents) -> str:
    metrics = sorted({m for s in contents.sessions for m in (*s.before, *s.after)})
    # A session's fields (ratings get a column per metric), then the sleep-only ones.
    columns = ["type", *(f for f in _SESSION_FIELDS if f not in ("before", "after"))]
    columns += ["night", "rating"]
    columns += [f"before_{m}" for m in metrics] + [f"after_{m}" for m in metrics]
    out = io.StringIO()
    # RFC 4180 line ends. With "\n" alone, Python 3.11's writer leaves a "\r" in a note
    # unquoted, and every reader then splits the row there.
    import csv

    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    for record in contents.records:
        row: dict[str, Any] = {
            "type": kind_name(record),
            "id": record.id or "",
            "note": record.note or "",
        }
        if isinstance(record, Session):
            row |= {
                "started": record.started.isoformat(),
                "planned_seconds": record.planned_seconds,
                "actual_seconds": record.actual_seconds,
                "ended": record.ended,
                "area": record.area or "",
                "layer": record.layer or "",
                "surface": record.surface or "",
                "tags": ";".join(record.tags),
            }
            row |= {f"before_{m}": v for m, v in record.before.items()}
            row |= {f"after_{m}": v for m, v in record.after.items()}
        else:
            row |= {"night": record.night.isoformat(), "rating": record.rating}
        writer.writerow(row)
    return out.getvalue()


def identity(record: Record) -> tuple[str, str]:
    """What makes two records the same one: the id, or for hand-written ones the content."""
    if record.id:
        return ("id", record.id)
    return ("content", json_line(record))


# ---------------------------------------------------------------------------------------
# The file


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind: Kind = kind_of(path)

    # -- reading --------------------------------------------------------------------

    def read(self) -> Contents:
        """All records; a JournalError naming the first problem if the file is not valid."""
        data = self._read_bytes()
        if data is None:
            return Contents()
        contents, problems = self._parse(data)
        _raise_first(problems)
        return contents

    def is_blank(self) -> bool:
        """The file exists and holds nothing at all (see `Contents.blank`)."""
        try:
            return self.path.stat().st_size == 0
        except OSError:
            return False

    def fold(self, folder: Folder[T]) -> T | None:
        """`folder`'s summary of every record (None: no journal yet), kept in the cache.

        The same promise as `read`: a journal that does not parse raises its first problem.
        """
        from matlog import cache

        data = self._read_bytes()
        if not data:
            return None
        result = cache.fold(data, self.path, self.real_path, self.kind, folder)
        _raise_first(result[1])
        return result[0]

    def _parse(self, data: bytes) -> tuple[Contents, list[Problem]]:
        """`parse(data)`, re-using the cache of what was parsed before (see `cache`)."""
        from matlog import cache

        contents, problems, _ = cache.read(data, self.path, self.real_path, self.kind)
        return contents, problems

    def check(self) -> list[Problem]:
        data = self._read_bytes()
        if data is None:
            return []
        return parse(data, self.path, self.kind)[1]

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise JournalError(
                f"{self.path} is a folder, not a journal file",
                hint="point MATLOG_JOURNAL or --journal at a file",
            ) from None
        except OSError as exc:
            raise JournalError(f"cannot read {self.path}: {exc.strerror}") from None

    # -- writing --------------------------------------------------------------------

    @property
    def real_path(self) -> Path:
        # A symlinked journal stays a symlink: we write to (and lock beside) its target.
        return Path(os.path.realpath(self.path))

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """An exclusive lock shared by every matlog writing this journal.

        flock is released by the kernel when its holder dies, so a killed writer never
        blocks the next one; the lock file itself is empty and harmless.
        """
        target = self.real_path
        try:
            paths.ensure_private_dir(target.parent)
            fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise JournalWriteError(
                f"cannot write beside {self.path}: {exc.strerror}", record_text=""
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:  # e.g. ENOLCK on a network filesystem
                raise JournalWriteError(
                    f"cannot lock {self.path}: {exc.strerror}", record_text=""
                ) from None
            # Only the lock's holder writes a temporary copy, so any there now was left by
            # a writer that was killed mid-rewrite: remove it.
            for stale in target.parent.glob(f".{glob.escape(target.name)}.tmp-*"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield
        finally:
            os.close(fd)

    def append(self, records: Sequence[Record], *, skip_present: bool = False) -> list[Record]:
        """Add `records` at the end, keeping everything already there byte for byte.

        With `skip_present`, records already in the journal (same `identity`) are left out,
        decided under the lock so two imports of one file at once add it once. Returns the
        records appended.
        """
        if not records:
            return []
        record_text = serialise(records, self.kind)
        try:
            with self.locked():
                return self._append_locked(records, record_text, skip_present)
        except JournalWriteError as exc:
            raise JournalWriteError(exc.message, record_text, exc.hint) from None

    def _append_locked(
        self, records: Sequence[Record], record_text: str, skip_present: bool
    ) -> list[Record]:
        target = self.real_path
        existed = os.path.lexists(target)
        try:
            fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        done = False
        try:
            try:
                data = _read_fd(fd)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            from matlog import cache

            if skip_present:
                contents, problems, known = cache.read(data, self.path, target, self.kind)
            else:  # only whether it parses: the cache knows without building every record
                problems, known = cache.check(data, self.path, target, self.kind)
            _raise_first(problems)
            if skip_present:
                records = _not_present(records, contents)
                if not records:
                    return []
            chunk = _encode(self._chunk_to_append(data, records))
            try:
                written = os.write(fd, chunk)
                if written != len(chunk):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            except OSError as exc:
                # Leave the file exactly as it was: drop whatever part of the record landed.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, len(data))
                    os.fsync(fd)
                raise _write_error(self.path, exc) from None
            done = True
            if not data:
                _fsync_dir(target.parent)
            cache.after_append(known, data + chunk, self.path, self.kind)
        finally:
            os.close(fd)
            if not done and not existed:  # no empty journal left behind to puzzle over
                with contextlib.suppress(OSError):
                    target.unlink()
        return list(records)

    def _chunk_to_append(self, data: bytes, records: Sequence[Record]) -> str:
        newline = "\r\n" if b"\r\n" in data[:4096] else "\n"
        if self.kind == "jsonl":
            text = serialise(records, "jsonl")
            lead = "" if not data or data.endswith(b"\n") else "\n"
        elif not data.strip():
            text = serialise(records, "toml", whole_file=True)
            lead = ""
        else:
            text = "\n" + serialise(records, "toml")
            lead = "" if data.endswith(b"\n") else "\n"
        text = lead + text
        return text.replace("\n", newline) if newline != "\n" else text

    def rewrite(
        self, change: Callable[[Contents], tuple[Contents, Record | None, Record | None]]
    ) -> Record | None:
        """Replace one record (or remove it, when the new one is None) in place.

        `change` gets the current contents and returns (expected contents after, old record,
        new record). The new bytes are parsed and compared with the expectation before they
        replace the file, atomically.
        """
        with self.locked():
            data = self._read_bytes()
            if data is None:
                return None
            contents, problems = self._parse(data)
            _raise_first(problems)
            expected, old, new = change(contents)
            if old is None:
                return None
            new_data = self._splice(data, old, new)
            after, problems = parse(new_data, self.path, self.kind)
            if problems or _comparable(after) != _comparable(expected):
                raise JournalError(
                    f"could not change {self.path} safely; nothing was written",
                    hint="edit it by hand with `matlog edit`",
                )
            self._replace_bytes(new_data)
            return old

    def _splice(self, data: bytes, old: Record, new: Record | None) -> bytes:
        lines = data.split(b"\n")
        start = old.line - 1
        if self.kind == "jsonl":
            end = start + 1
        else:
            end = _block_end(lines, start, kind_name(old))
            # Comments and blank lines just above the next header belong to it.
            while end - 1 > start and (
                not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(b"#")
            ):
                end -= 1
        crlf = lines[start].endswith(b"\r")
        if new is None:
            replacement: list[bytes] = []
            # Drop the blank line that separated the removed block from the one before.
            if start > 0 and not lines[start - 1].strip():
                start -= 1
        else:
            text = json_line(new) if self.kind == "jsonl" else toml_block(new)
            replacement = [
                _encode(line + ("\r" if crlf else "")) for line in text.rstrip("\n").split("\n")
            ]
        return b"\n".join(lines[:start] + replacement + lines[end:])

    def raw_bytes(self) -> bytes:
        """The file as it is (b"" if it does not exist yet), for `matlog edit`'s copy."""
        return self._read_bytes() or b""

    def replace_edited(self, original: bytes, edited: bytes) -> None:
        """Install an edited copy of `original`, keeping records appended meanwhile."""
        with self.locked():
            current = self.raw_bytes()
            if current != original:
                if not current.startswith(original):
                    raise JournalError(
                        f"{self.path} was changed by something else while you edited it"
                    )
                # Sessions appended while the editor was open go after the edited text.
                tail = current[len(original) :].lstrip(b"\r\n")
                edited = edited + (b"" if edited.endswith(b"\n") else b"\n") + b"\n" + tail
            _raise_first(parse(edited, self.path, self.kind)[1])
            if not self.real_path.exists():
                self.real_path.touch(mode=0o600)
            self._replace_bytes(edited)

    def _replace_bytes(self, data: bytes) -> None:
        target = self.real_path
        tmp = target.parent / f".{target.name}.tmp-{os.getpid()}"
        try:
            mode = os.stat(target).st_mode & 0o7777
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.fchmod(fd, mode)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
            _fsync_dir(target.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            error = _write_error(self.path, exc)
            if exc.filename == str(tmp) and exc.errno in (errno.EACCES, errno.EROFS):
                error.hint = (
                    f"changing a record writes a new file in {target.parent}, which must be "
                    "writable too; the journal is unchanged"
                )
            raise error from None


def _comparable(contents: Contents) -> list[str]:
    return [json_line(r) for r in contents.records]


def _not_present(records: Sequence[Record], contents: Contents) -> list[Record]:
    """`records` without those already in `contents` (or earlier in `records`)."""
    present = {identity(r) for r in contents.records}
    new: list[Record] = []
    for record in records:
        if identity(record) not in present:
            present.add(identity(record))
            new.append(record)
    return new


def _encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate as U+FFFD.

    Python turns bytes in argv that are not UTF-8 into lone surrogates, which UTF-8 cannot
    hold: a note typed in a Latin-1 terminal must cost a character, never the record.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        clean = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return clean.encode("utf-8")


def remove_last_session(contents: Contents) -> tuple[Contents, Record | None, Record | None]:
    """For `Journal.rewrite`: drop the session that started last."""
    if not contents.sessions:
        return contents, None, None
    last = max(contents.sessions, key=lambda s: (s.started, s.line))
    kept = [s for s in contents.sessions if s is not last]
    return replace(contents, sessions=kept), last, None


def _raise_first(problems: list[Problem]) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JournalError(
            f"{problems[0]}{more}",
            hint="nothing was written; `matlog check` lists every problem, `matlog edit` fixes",
        )


def _read_fd(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_error(path: Path, exc: OSError) -> JournalWriteError:
    return JournalWriteError(f"cannot write {path}: {exc.strerror or exc}", record_text="")


def load_file(path: Path) -> Contents:
    """Another journal (for `import`): TOML or JSON Lines, by suffix or by its first byte."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise JournalError(f"cannot read {path}: {exc.strerror}") from None
    kind: Kind = kind_of(path)
    if path.suffix.lower() == ".json" or data.lstrip()[:1] == b"{":
        kind = "jsonl"
    contents, problems = parse(data, path, kind)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JournalError(
            f"{problems[0]}{more}",
            hint="import takes a matlog journal, TOML or JSON Lines (not a CSV export); "
            "nothing was imported",
        )
    return contents


def save_rescue(records: Sequence[Record], folders: Sequence[Path]) -> Path | None:
    """Write records that could not reach the journal to a file `matlog import` can take.

    Tries each folder in turn (the state folder, then the temp folder); None if none worked.
    """
    text = _encode(serialise(records, "toml", whole_file=True))
    # An imported record's id can be any text ("a/b"): keep the file name plain.
    name = "rescued-" + re.sub(r"[^A-Za-z0-9_-]", "_", records[0].id or str(os.getpid()))
    name = name[:80] + ".toml"
    for folder in folders:
        path = folder / name
        try:
            paths.ensure_private_dir(folder)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                if os.write(fd, text) != len(text):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError:
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        return path
    return None


def parse_record_dict(kind: str, item: dict[str, Any]) -> Record:
    """One record from plain values (e.g. the running-session file); ValueError if invalid."""
    problems: list[Problem] = []
    record = _record_from_dict(
        kind, dict(item), 0, functools.partial(_same_line, 0), Path("record"), problems
    )
    if record is None:
        raise ValueError(problems[0].message if problems else "invalid record")
    return record
