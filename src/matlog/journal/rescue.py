"""Where a record goes when the journal refuses it: never lost, always said where.

A full disk, a read-only file or a broken journal must not cost a session that ran: the
record is printed on stderr and saved to a private rescue file that `matlog import` takes.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from matlog import paths
from matlog.errors import JournalError, JournalWriteError, RecordRescued
from matlog.journal.parse import serialise
from matlog.journal.store import Journal, encode_text
from matlog.privatefiles import create_new
from matlog.records import Record


def save_rescue(records: Sequence[Record], folders: Sequence[Path]) -> Path | None:
    """Write records that could not reach the journal to a file `matlog import` can take.

    Tries each folder in turn (the state folder, then the temp folder); None if none worked.
    The name ends in random digits and the file is created new (never through a file or
    link planted there): in a shared temporary folder, nobody can predict or pre-empt it.
    """
    text = encode_text(serialise(records, "toml", whole_file=True))
    # An imported record's id can be any text ("a/b"): keep the file name plain.
    stem = "rescued-" + re.sub(r"[^A-Za-z0-9_-]", "_", records[0].id or "record")[:80]
    for folder in folders:
        try:
            paths.ensure_private_dir(folder)
        except OSError:
            continue
        # A name taken (by chance, or by a file or link planted there) is never written
        # through: another random name is drawn, a few times, before the next folder.
        for _ in range(_TRIES):
            path = folder / f"{stem}-{os.urandom(4).hex()}.toml"
            try:
                create_new(path, text)
            except FileExistsError:
                continue
            except OSError:
                break
            return path
    return None


_TRIES = 16


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
