"""Bytes to records, and records to text, in either format: the one way in to both.

Each format (`toml.TOML`, `jsonl.JSONL`) sits behind the small `Format` interface; nothing
above this module asks which one it has.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from matlog.errors import JournalError
from matlog.journal.fields import (
    Contents,
    Kind,
    ParseFacts,
    Problem,
    decode,
    kind_name,
    kind_of,
)
from matlog.journal.jsonl import JSONL, json_line
from matlog.journal.toml import TOML
from matlog.records import Record


class Format(Protocol):
    kind: Kind

    def parse(
        self, text: str, data: bytes, path: Path, problems: list[Problem], facts: ParseFacts | None
    ) -> list[Record]:
        """The records in `text` (`data` encoded), adding every problem to `problems`."""
        ...

    def record_text(self, record: Record) -> str:
        """One record as it stands in a file."""
        ...

    def serialise(self, records: Iterable[Record], *, whole_file: bool = False) -> str: ...

    def chunk_to_append(self, data: bytes, records: Sequence[Record]) -> str:
        """What to write after a file holding `data` to add `records` to it."""
        ...

    def takes_appends(self, facts: ParseFacts) -> bool:
        """Whether records can be appended to a file that ends with a newline and has `facts`."""
        ...

    def tail_stands_alone(self, tail: bytes, facts: ParseFacts) -> bool:
        """Whether `tail`, appended to a file that takes appends, parses alone as in place."""
        ...

    def record_end(self, lines: Sequence[bytes], start: int, record: Record) -> int:
        """Index of the first line after `record`, which starts at line index `start`."""
        ...

    def cannot_hold(self, record: Record) -> str | None:
        """Why this format cannot write `record` (TOML: a JSON null), or None if it can."""
        ...


FORMATS: dict[Kind, Format] = {"toml": TOML, "jsonl": JSONL}


def parse(
    data: bytes, path: Path, kind: Kind, facts: ParseFacts | None = None
) -> tuple[Contents, list[Problem]]:
    """Every record in `data`, and every problem found (empty when the file is valid).

    `facts`, if given, receives what the cache and the writer need to know about the file.
    """
    contents = Contents(exists=True, size=len(data))
    problems: list[Problem] = []
    text = decode(data, path, problems)
    if text is None:
        return contents, problems
    for record in FORMATS[kind].parse(text, data, path, problems, facts):
        contents.add(record)
    return contents, problems


def serialise(records: Iterable[Record], kind: Kind, *, whole_file: bool = False) -> str:
    return FORMATS[kind].serialise(records, whole_file=whole_file)


def record_text(record: Record, kind: Kind) -> str:
    """One record as it stands in a file of this kind (ends with a newline)."""
    return FORMATS[kind].record_text(record)


def unwritable(records: Iterable[Record], kind: Kind, source: Path) -> list[Problem]:
    """A located problem for each record a file of `kind` cannot hold (TOML: a null).

    `source` is the file the records were read from (their `line` is theirs).
    """
    fmt = FORMATS[kind]
    return [
        Problem(source, r.line, f"{kind_name(r)}: {why}")
        for r in records
        if (why := fmt.cannot_hold(r)) is not None
    ]


def identity(record: Record) -> tuple[str, str]:
    """What makes two records the same one: the id, or for hand-written ones the content."""
    if record.id:
        return ("id", record.id)
    return ("content", json_line(record))


def load_file(path: Path) -> Contents:
    """Another journal (for `import`): TOML or JSON Lines, by suffix or by its first byte."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO must not wait for a writer
        try:
            # Before a byte is read. (For a folder: `import folder/*.toml` takes its files.)
            refuse_special(os.fstat(fd).st_mode, path, hint=_import_hint(path))
            with os.fdopen(os.dup(fd), "rb") as handle:
                data = handle.read()
        finally:
            os.close(fd)
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


def _import_hint(path: Path) -> str:
    """For a folder given to `import`: the journals in it, by pattern (`rescued/*.toml`)."""
    try:
        suffixes = sorted(
            {p.suffix for p in path.iterdir() if p.suffix in (".toml", ".jsonl", ".json")}
        )
    except OSError:
        suffixes = []
    patterns = " ".join(f"{path}/*{suffix}" for suffix in suffixes) or f"{path}/FILE"
    return f"name its journals: matlog import {patterns} (the journal itself is skipped)"


def refuse_special(
    mode: int, path: Path, hint: str = "point MATLOG_JOURNAL or --journal at a file"
) -> None:
    """A JournalError unless `mode` is a regular file's: a folder, a device (/dev/zero never
    ends), a FIFO (it waits for a writer) or a socket is no journal."""
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise JournalError(f"{path} is a folder, not a journal file", hint=hint)
    what = (
        "a named pipe" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or
        stat.S_ISBLK(mode) else "a socket" if stat.S_ISSOCK(mode) else "a special file"
    )  # fmt: skip
    raise JournalError(
        f"{path} is not a regular file ({what}); matlog reads and writes only a plain file",
        hint=hint,
    )
