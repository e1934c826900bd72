"""Shared by the reliability suite: journals of many sessions, the soak switch, figures."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from matlog.journal import Journal, serialise
from matlog.records import Record, Session, Sleep, new_id

# MATLOG_SOAK=1 runs the heavier variants (more processes, trials and examples).
SOAK = os.environ.get("MATLOG_SOAK") == "1"
CET = timezone(timedelta(hours=1))
HERE = Path(__file__).parent


def scale(ci: int, soak: int) -> int:
    return soak if SOAK else ci


def sessions(count: int, start: datetime | None = None, tag: str = "base") -> list[Record]:
    first = start or datetime(2020, 1, 1, 22, 0, tzinfo=CET)
    out: list[Record] = []
    for i in range(count):
        when = first + timedelta(hours=13 * i)
        out.append(
            Session(
                started=when,
                planned_seconds=600,
                actual_seconds=600 - i % 7,
                ended="finished",
                id=new_id(when),
                area="back",
                tags=["bedtime"],
                before={"pain": i % 11, "stress": 5},
                after={"pain": 3},
                note=f"{tag}-{i}",
            )
        )
        if i % 10 == 0:
            out.append(Sleep(night=when.date(), rating=7, id=new_id(when) + "S"))
    return out


def write_journal(path: Path, records: list[Record]) -> bytes:
    data = serialise(records, Journal(path).kind, whole_file=True).encode()
    path.write_bytes(data)
    return data


def figure(text: str) -> None:
    """A measured figure, for the README's Guarantees (shown with `pytest -s`)."""
    print(f"\nFIGURE: {text}")


__all__ = ["CET", "SOAK", "figure", "scale", "sessions", "write_journal"]


def journal_writes_through(os_module: Any, store: Any) -> None:
    """Make the journal store's file operations (its own and its private-file writer's) go
    through `os_module`, leaving the cache's writes alone: fault and crash tests trace and
    break exactly the journal's steps."""
    import importlib.util

    spec = importlib.util.find_spec("matlog.privatefiles")
    assert spec is not None and spec.loader is not None
    files = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(files)
    files.os = os_module  # type: ignore[attr-defined]
    store.os = os_module
    store.replace_atomically = files.replace_atomically  # type: ignore[attr-defined]
    store.fsync_dir = files.fsync_dir  # type: ignore[attr-defined]
