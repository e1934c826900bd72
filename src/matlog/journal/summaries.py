"""Two small running summaries of the journal, kept in the cache like the stats fold.

* `LatestFolder`: the newest sessions, so `matlog log -n 5` shows five sessions without
  building ten thousand. The order is `log`'s: newest `started` first, and of sessions that
  started at the same instant, the one earlier in the file first.
* `NamesFolder`: the tags and areas in use, so shell completion can offer them on every TAB
  without loading a single record.

Both are folds (see `cache.fold`): proved current by the journal's digest, extended by an
appended tail, refolded from the records otherwise. Neither ever refuses a tail: keeping the
newest of (the newest so far + the tail) is the newest of all, and names only accumulate.
"""

from __future__ import annotations

import sys
from operator import attrgetter
from typing import Any

from matlog.journal.cache import Entry
from matlog.journal.fields import Contents
from matlog.records import Session

LATEST_KEPT = 100  # `log -n N` up to this many is answered from the fold


def newest_first(sessions: list[Session]) -> list[Session]:
    """`log`'s order: newest `started` first; equal instants in file order."""
    return sorted(sorted(sessions, key=attrgetter("line")), key=attrgetter("started"), reverse=True)


class LatestFolder:
    name = "latest"

    def key(self) -> tuple[Any, ...]:
        return (1, LATEST_KEPT)

    def modules(self) -> tuple[Any, ...]:
        return (sys.modules[__name__],)

    def start(self) -> list[Session]:
        return []

    def add(self, summary: list[Session], contents: Contents) -> bool:
        kept = newest_first([*summary, *contents.sessions])[:LATEST_KEPT]
        summary[:] = kept
        return True

    def dump(self, summary: list[Session]) -> Any:
        entry = Entry(0, b"", 0, False, [], [], [], [], [])
        entry.add(Contents(sessions=summary))
        return (entry.starts, entry.sessions, entry.special)

    def load(self, state: Any) -> list[Session]:
        starts, rows, special = state
        entry = Entry(0, b"", 0, False, starts, rows, [], [], special)
        return entry.to_contents(0).sessions


# Names: tag -> sessions with it, area -> sessions on it.
Names = tuple[dict[str, int], dict[str, int]]


class NamesFolder:
    name = "names"

    def key(self) -> tuple[Any, ...]:
        return (1,)

    def modules(self) -> tuple[Any, ...]:
        return (sys.modules[__name__],)

    def start(self) -> Names:
        return {}, {}

    def add(self, summary: Names, contents: Contents) -> bool:
        tags, areas = summary
        for session in contents.sessions:
            for tag in dict.fromkeys(session.tags):
                tags[tag] = tags.get(tag, 0) + 1
            if session.area:
                areas[session.area] = areas.get(session.area, 0) + 1
        return True

    def dump(self, summary: Names) -> Any:
        return summary

    def load(self, state: Any) -> Names:
        tags, areas = state
        return dict(tags), dict(areas)
