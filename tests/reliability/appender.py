"""A writer for the concurrency tests: `python appender.py JOURNAL COUNT TAG [undo]`.

Prints "ready", waits for a line on stdin (so every writer starts at once), then appends
COUNT sessions one by one, with notes TAG-0, TAG-1, ... (or, with `undo`, removes the
latest session COUNT times, as `matlog undo` does).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from matlog.journal import Journal, remove_last_session
from matlog.records import Session, new_id


def main() -> None:
    path, count, tag = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    journal = Journal(path)
    start = datetime(2026, 1, 1, 22, 0, tzinfo=timezone(timedelta(hours=1)))
    print("ready", flush=True)
    sys.stdin.readline()
    if sys.argv[4:] == ["undo"]:
        for _ in range(count):
            assert journal.rewrite(remove_last_session) is not None
        return
    for i in range(count):
        when = start + timedelta(minutes=i)
        journal.append(
            [
                Session(
                    started=when,
                    planned_seconds=600,
                    actual_seconds=600,
                    ended="finished",
                    id=new_id(when),
                    note=f"{tag}-{i}",
                )
            ]
        )


if __name__ == "__main__":
    main()
