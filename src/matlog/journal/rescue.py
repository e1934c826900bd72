"""Where a record goes when the journal refuses it: never lost, always said where.

A full disk, a read-only file or a broken journal must not cost a session that ran: the
record is printed on stderr and saved to a private rescue file that `matlog import` takes.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

from matlog import paths
from matlog.errors import JournalError, JournalWriteError, RecordRescued
from matlog.journal.parse import serialise
from matlog.journal.store import Journal, save_rescue
from matlog.records import Record


def rescue_folders() -> list[Path]:
    import tempfile  # only here: its import costs every command start-up time

    return [paths.state_dir() / "rescued", Path(tempfile.gettempdir())]


def append_or_rescue(
    journal: Journal, records: Sequence[Record], *, skip_present: bool = False
) -> list[Record]:
    """`journal.append(records)`; if the journal refuses, RecordRescued says where they are.

    Returns the records appended (with `skip_present`, those not already there).
    """
    try:
        return journal.append(records, skip_present=skip_present)
    except (JournalWriteError, JournalError) as exc:
        saved = save_rescue(records, rescue_folders())
        print(serialise(records, "toml"), file=sys.stderr)
        where = f"saved to {saved}" if saved else "printed above (copy it somewhere safe)"
        raise RecordRescued(
            f"{exc.message}. The record was not lost: it is {where}",
            saved,
            hint=f"fix the journal, then `matlog import {saved}`" if saved else exc.hint,
        ) from None
