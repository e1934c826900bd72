"""The JSON Lines form of the journal: one record per line, `"type"` saying which."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from matlog.journal.fields import (
    KINDS,
    PATHOLOGICAL,
    Kind,
    ParseFacts,
    Problem,
    kind_name,
    record_from_dict,
    record_to_dict,
    same_line,
)
from matlog.records import Record


class JsonlFormat:
    kind: Kind = "jsonl"

    def parse(
        self, text: str, data: bytes, path: Path, problems: list[Problem], facts: ParseFacts | None
    ) -> list[Record]:
        return _parse_jsonl(text, path, problems)

    def record_text(self, record: Record) -> str:
        return json_line(record)

    def serialise(self, records: Iterable[Record], *, whole_file: bool = False) -> str:
        return "".join(json_line(r) for r in records)

    def chunk_to_append(self, data: bytes, records: Sequence[Record]) -> str:
        lead = "" if not data or data.endswith(b"\n") else "\n"
        return lead + self.serialise(records)

    def takes_appends(self, facts: ParseFacts) -> bool:
        return True  # every line stands alone

    def tail_stands_alone(self, tail: bytes, facts: ParseFacts) -> bool:
        return True

    def record_end(self, lines: Sequence[bytes], start: int, record: Record) -> int:
        return start + 1

    def cannot_hold(self, record: Record) -> str | None:
        return None  # JSON holds every value either format reads


JSONL = JsonlFormat()


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
            problems.append(Problem(path, number, PATHOLOGICAL))
            continue
        if not isinstance(item, dict):
            problems.append(Problem(path, number, "each line must be a JSON object"))
            continue
        kind = item.pop("type", None)
        if kind not in KINDS:
            problems.append(
                Problem(path, number, f'"type" must be "session", "sleep" or "trial", got {kind!r}')
            )
            continue
        record = record_from_dict(
            kind, item, number, functools.partial(same_line, number), path, problems
        )
        if record is not None:
            records.append(record)
    return records


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


def json_line(record: Record) -> str:
    item: dict[str, Any] = {"type": kind_name(record)}
    item.update(record_to_dict(record))
    item["type"] = kind_name(record)  # the kind is matlog's: no field can change it
    return json.dumps(item, ensure_ascii=False, default=_json_default) + "\n"


def _json_default(value: Any) -> str:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
