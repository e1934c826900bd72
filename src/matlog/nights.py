"""Nights and their sleep ratings: one per night; rating a night again replaces its rating."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from matlog.errors import JournalError, UsageError
from matlog.journal import Contents, Journal
from matlog.lightclass import replace
from matlog.records import Record, Sleep, new_id


def parse_sleep_rating(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"sleep must be a whole number 0–10, got {text!r}") from None
    if not 0 <= value <= 10:
        raise UsageError(f"sleep must be from 0 to 10, got {value}")
    return value


def night_to_rate(night: str | None, today: date) -> date:
    """The night `--night` names (default: last night, the evening before today)."""
    if night is None:
        return today - timedelta(days=1)
    try:
        night_date = date.fromisoformat(night)
    except ValueError:
        raise UsageError(f"--night must be a date YYYY-MM-DD, got {night!r}") from None
    if night_date > today:
        raise UsageError(
            f"the night of {night_date} has not come yet",
            hint="--night is the evening's date, e.g. yesterday's",
        )
    return night_date


def record_sleep(
    journal: Journal,
    night: date,
    rating: int,
    note: str | None,
    now: datetime,
    append: Callable[[Sequence[Record]], object],
) -> Sleep | None:
    """Save the night's rating; returns the rating it replaced, if there was one."""
    # Which nights are rated comes from a small cached summary: a new night (the usual
    # case) is one append, however long the journal.
    try:
        rated = night.toordinal() in (journal.fold(NightsFolder()) or {})
        existing = [s for s in journal.read().sleeps if s.night == night] if rated else []
    except JournalError:
        # A journal that cannot be read must not cost the rating just typed: `append`
        # saves it to a rescue file (and says where), for `import` once the journal is fixed.
        existing = []
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


class NightsFolder:
    """For `Journal.fold`: the nights rated so far (ordinal -> the latest rating)."""

    name = "nights"

    def key(self) -> tuple[Any, ...]:
        return (1,)

    def modules(self) -> tuple[Any, ...]:
        return (sys.modules[__name__],)

    def start(self) -> dict[int, int]:
        return {}

    def add(self, nights: dict[int, int], contents: Contents) -> bool:
        for sleep in sorted(contents.sleeps, key=attrgetter("line")):
            nights[sleep.night.toordinal()] = sleep.rating
        return True

    def dump(self, nights: dict[int, int]) -> Any:
        return nights

    def load(self, state: Any) -> dict[int, int]:
        return dict(state)
