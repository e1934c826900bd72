"""Where a record goes when the journal refuses it: never lost, always said where.

A full disk, a read-only file or a broken journal must not cost a session that ran: the
record is printed on stderr and saved to a private rescue file that `matlog import` takes.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from matlog.errors import JournalError, JournalWriteError, RecordRescued
from matlog.journal.fields import Kind
from matlog.journal.merge import Conflict, describe
from matlog.journal.parse import serialise, unwritable
from matlog.journal.store import Journal, encode_text
from matlog.journal.toml import TOML_PREAMBLE, toml_block
from matlog.paths import rescue_folders
from matlog.privatefiles import create_unique
from matlog.records import Record


def save_rescue(records: Sequence[Record], folders: Sequence[Path]) -> Path | None:
    """Write records that could not reach the journal to a file `matlog import` can take.

    Tries each folder in turn (the state folder, then the temp folder); None if none worked.
    The name ends in random digits and the file is created new (never through a file or
    link planted there): in a shared temporary folder, nobody can predict or pre-empt it.
    """
    kind = rescue_kind(records)
    text = encode_text(serialise(records, kind, whole_file=True))
    # An imported record's id can be any text ("a/b"): keep the file name plain.
    stem = "rescued-" + re.sub(r"[^A-Za-z0-9_-]", "_", records[0].id or "record")[:80]
    return create_unique(folders, stem, kind, text)


CONFLICTS_HEAD = """\
# matlog import: the other versions of records the journal has in another form.
# The journal kept its own version of each (shown in the comment above each record).
# To keep the journal's: delete this file. To take something from this side, edit a
# record here so that it holds everything of the journal's version you want kept plus
# what to add (the rating, the note), then `matlog import` this file: a record that only
# adds to the journal's is merged, and the file is removed once all of it is in.
# To replace a value the journal has, change it there with `matlog edit`.
"""


def save_conflicts(conflicts: Sequence[Conflict], folders: Sequence[Path]) -> Path | None:
    """Keep the incoming versions of conflicting records in a private file `import` takes."""
    records = [c.incoming for c in conflicts]
    kind = rescue_kind(records)
    if kind == "toml":
        blocks = []
        for conflict in conflicts:
            mine = toml_block(conflict.present).rstrip("\n").split("\n")
            differ = ", ".join(conflict.fields)
            blocks.append(
                f"# {describe(conflict.incoming)}: differs in {differ}. The journal has:\n"
                + "".join(f"#   {line}\n" for line in mine)
                + toml_block(conflict.incoming)
            )
        text = CONFLICTS_HEAD + TOML_PREAMBLE.split("\n", 2)[2] + "\n" + "\n".join(blocks)
    else:
        text = serialise(records, kind, whole_file=True)
    stem = "conflicts-" + re.sub(r"[^A-Za-z0-9_-]", "_", records[0].id or "record")[:80]
    return create_unique(folders, stem, kind, encode_text(text))


def is_leftover(path: Path) -> bool:
    """Whether `path` is a rescue or conflicts file of matlog's own, in a rescue folder.

    Only those are removed by `import` once all their records are in: a regular file (not a
    link), the user's own, named `rescued-*` or `conflicts-*`, `.toml` or `.jsonl`.
    """
    if not re.fullmatch(r"(rescued|conflicts)-.*\.(toml|jsonl)", path.name):
        return False
    try:
        info = os.lstat(path)
        folder = os.stat(path.parent)
    except OSError:
        return False
    # One name only: a hard link (the journal itself, say) is never a leftover to remove.
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_nlink != 1:
        return False
    for rescue in rescue_folders():
        with contextlib.suppress(OSError):
            theirs = os.stat(rescue)
            if (theirs.st_dev, theirs.st_ino) == (folder.st_dev, folder.st_ino):
                return True
    return False


def rescue_kind(records: Sequence[Record]) -> Kind:
    """TOML, readable by hand; JSON Lines for records TOML cannot hold (a JSON null)."""
    return "jsonl" if unwritable(records, "toml", Path("record")) else "toml"


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
        print(serialise(records, rescue_kind(records)), file=sys.stderr)
        where = f"saved to {saved}" if saved else "printed above (copy it somewhere safe)"
        raise RecordRescued(
            f"{exc.message}. The record was not lost: it is {where}",
            saved,
            hint=f"fix the journal, then `matlog import {saved}`" if saved else exc.hint,
        ) from None
