"""The TOML form of the journal: hand-editable, comments and formatting kept.

Reading finds each record's line (for located errors and in-place changes); writing makes
one `[[session]]`/`[[sleep]]`/`[[trial]]` block per record, whose values tomli-w serialises, so user
text can never break the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matlog.journal.fields import (
    FORMAT_VERSION,
    KINDS,
    PATHOLOGICAL,
    Kind,
    ParseFacts,
    Problem,
    kind_name,
    pathological_line,
    record_from_dict,
    record_to_dict,
)
from matlog.records import Record

if TYPE_CHECKING:
    import tomllib

TOML_PREAMBLE = """\
# matlog journal: one [[session]] per mat session, one [[sleep]] per night.
# You may edit it by hand (`matlog edit` checks it afterwards). Keep `format = 1`.
format = 1
"""


_HEADER = re.compile(rb"^[ \t]*\[\[[ \t]*(session|sleep|trial)[ \t]*\]\]", re.MULTILINE)


_ANY_HEADER = re.compile(r"^[ \t]*\[")


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class TomlFormat:
    kind: Kind = "toml"

    def parse(
        self, text: str, data: bytes, path: Path, problems: list[Problem], facts: ParseFacts | None
    ) -> list[Record]:
        return _parse_toml(text, data, path, problems, facts)

    def record_text(self, record: Record) -> str:
        return toml_block(record)

    def serialise(self, records: Iterable[Record], *, whole_file: bool = False) -> str:
        body = "\n".join(toml_block(r) for r in records)
        return TOML_PREAMBLE + ("\n" + body if body else "") if whole_file else body

    def chunk_to_append(self, data: bytes, records: Sequence[Record]) -> str:
        if not data.strip():
            return self.serialise(records, whole_file=True)
        lead = "" if data.endswith(b"\n") else "\n"
        return lead + "\n" + self.serialise(records)

    def takes_appends(self, facts: ParseFacts) -> bool:
        return facts.appendable and facts.aligned

    def tail_stands_alone(self, tail: bytes, facts: ParseFacts) -> bool:
        """A tail parsed alone gives what a full parse would (see `cache`)."""
        return _starts_with_header(tail) and set(facts.keys) <= set(KINDS) and facts.aligned

    def record_end(self, lines: Sequence[bytes], start: int, record: Record) -> int:
        """Index of the first line after the record whose header is at index `start`."""
        end = block_end(lines, start, kind_name(record))
        # Comments and blank lines just above the next header belong to it.
        while end - 1 > start and (
            not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(b"#")
        ):
            end -= 1
        return end

    def cannot_hold(self, record: Record) -> str | None:
        """Why `record` cannot be written as TOML (a JSON null in an unknown field), or None."""
        for key, value in record.extra.items():
            if (where := _null_in(value, key)) is not None:
                return f"`{where}` is null, which TOML cannot hold (it has no null)"
        return None


TOML = TomlFormat()


def _null_in(value: Any, where: str) -> str | None:
    """The path of the first null in `value` (`meta.x`, `list[1]`), or None."""
    if value is None:
        return where
    if isinstance(value, dict):
        items: Iterable[tuple[str, Any]] = ((f"{where}.{k}", v) for k, v in value.items())
    elif isinstance(value, list | tuple):
        items = ((f"{where}[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for path, child in items:  # nesting is bounded (`fields.MAX_NESTING`): recursion is safe
        if (found := _null_in(child, path)) is not None:
            return found
    return None


_TAIL_HEADER = re.compile(
    rb"[ \t]*\[\[[ \t]*(?:session|sleep|trial)[ \t]*\]\][ \t]*(?:#[^\n]*)?\r?"
)
_INSIGNIFICANT = re.compile(rb"[ \t]*(?:#[^\n]*)?\r?")


def _starts_with_header(tail: bytes) -> bool:
    """True if the first line that is neither blank nor a comment is a `[[...]]` header.

    A tail of blank lines and comments only is fine too: it adds nothing to any table.
    """
    for line in tail.split(b"\n"):
        if _INSIGNIFICANT.fullmatch(line):
            continue
        return _TAIL_HEADER.fullmatch(line) is not None
    return True


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
    facts: ParseFacts | None = None,
) -> list[Record]:
    import tomllib  # imported here: a read from the cache never needs it

    if _conflict_marker(text, path, problems):
        return []
    try:
        doc = _load_toml(text, facts)
    except tomllib.TOMLDecodeError as exc:
        line, message = _toml_error_position(exc, text)
        explained = _offset_with_seconds(text, line)
        problems.append(Problem(path, line, explained or f"not valid TOML: {message}"))
        return []
    except (ValueError, RecursionError):  # a number of 4300+ digits, or nesting 1000 deep
        problems.append(Problem(path, pathological_line(text), PATHOLOGICAL))
        return []
    lines = text.split("\n")
    headers: dict[str, list[int]] = {name: [] for name in KINDS}
    # Count newlines from one header to the next: counting from the start each time is
    # quadratic (seconds for a journal of 10,000 sessions).
    line, counted = 1, 0
    for match in _HEADER.finditer(data):
        line += data.count(b"\n", counted, match.start())
        counted = match.start()
        headers[match[1].decode()].append(line)
    if facts is not None:
        facts.keys = sorted(doc)
        # Every [[...]] header line found is one of the tables: records' lines are right.
        facts.aligned = all(
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
    for name in KINDS:
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

            record = record_from_dict(name, item, header, locate, path, problems)
            if record is not None:
                records.append(record)
    return records


_PROBE = "[[session]]\n[[sleep]]\n[[trial]]\n"


def _load_toml(text: str, facts: ParseFacts | None) -> dict[str, Any]:
    """`tomllib.loads(text)`; with `facts`, also whether [[session]], [[sleep]] and [[trial]]
    can follow.

    The text is parsed with those two headers added at its end. That parses if and only if
    the text alone parses (it ends with a newline, so the headers can only be read as two
    headers, which needs the text to have ended between statements) and `session` and
    `sleep` (and `trial`) are absent or arrays of tables (not `session = [...]`, nor a
    `[session]` table).
    The two empty tables the headers made are then removed, which leaves the text's own
    document. Otherwise the text is parsed alone, which also gives the real error.
    """
    import tomllib

    if facts is not None:
        facts.appendable = False
        if text.endswith("\n"):
            try:
                doc = tomllib.loads(text + _PROBE)
            except (tomllib.TOMLDecodeError, ValueError, RecursionError):
                pass
            else:
                for name in KINDS:
                    doc[name].pop()
                    if not doc[name]:
                        del doc[name]
                facts.appendable = True
                return doc
    return tomllib.loads(text)


_SECONDS_OFFSET = re.compile(
    r"^\s*([\"']?)([A-Za-z0-9_-]+)\1\s*=\s*"
    r"(\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?)([+-]\d\d:\d\d)(:\d\d)"
)


def _offset_with_seconds(text: str, line: int) -> str | None:
    """Why a date-time like `2026-12-02T18:15:18+05:30:15` does not parse, in plain words.

    An offset with seconds is what Python gives in an old LMT zone or TZ="ABC-05:30:15";
    TOML (like RFC 3339) has none, so tomllib stops at the third colon.
    """
    lines = text.split("\n")
    match = _SECONDS_OFFSET.match(lines[line - 1]) if 0 < line <= len(lines) else None
    if match is None:
        return None
    key, moment, offset, seconds = match[2], match[3], match[4], match[5]
    return (
        f"`{key}` has a UTC offset with seconds ({offset}{seconds}), which TOML cannot "
        f"hold; write whole minutes, e.g. {moment}{offset}"
    )


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
    found = _HEADER.match(lines[header - 1].encode()) if header else None
    kind = found[1].decode() if found else "sleep"
    for index in range(header, block_end(lines, header - 1, kind) if header else len(lines)):
        if pattern.match(lines[index]):
            return index + 1
        if not header and _ANY_HEADER.match(lines[index]):
            break
    return max(header, 1)


def block_end(lines: Sequence[str | bytes], start: int, kind: str) -> int:
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


def toml_block(record: Record) -> str:
    """`[[session]]` (or `[[sleep]]`, `[[trial]]`) and one `key = value` line per field."""
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
