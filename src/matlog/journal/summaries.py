"""Small running summaries of the journal, kept in the cache like the stats fold.

* `NamesFolder`: the tags and areas in use, so shell completion can offer them on every TAB
  without loading a single record.

These are folds (see `cache.fold`): proved current by the journal's digest, extended by an
appended tail, refolded from the records otherwise. None ever refuses a tail: names only
accumulate.
"""

from __future__ import annotations

import sys
from typing import Any

from matlog.journal.fields import Contents

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
