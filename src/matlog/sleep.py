"""Sleep ratings: one per night; rating a night again replaces its rating."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date, datetime

from matlog.journal import Contents, Journal
from matlog.records import Record, Sleep, new_id


def record_sleep(
    journal: Journal,
    night: date,
    rating: int,
    note: str | None,
    now: datetime,
    append: Callable[[Sequence[Record]], object],
) -> Sleep | None:
    """Save the night's rating; returns the rating it replaced, if there was one."""
    existing = [s for s in journal.read().sleeps if s.night == night]
    if not existing:
        append([Sleep(night=night, rating=rating, id=new_id(now), note=note)])
        return None
    old = existing[-1]

    def change(contents: Contents) -> tuple[Contents, Sleep | None, Sleep | None]:
        current = next((s for s in reversed(contents.sleeps) if s.night == night), None)
        if current is None:
            return contents, None, None
        new = replace(current, rating=rating, note=note if note is not None else current.note)
        sleeps = [new if s is current else s for s in contents.sleeps]
        return replace(contents, sleeps=sleeps), current, new

    journal.rewrite(change)
    return old
