"""Records in and out of the journal: `matlog export` and `matlog import`.

An export is written whole or not at all (`privatefiles.replace_atomically`), and never over
the journal itself, under whatever name it is reached.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from matlog.errors import JournalError, JournalWriteError, MatlogError, UsageError
from matlog.journal import (
    Contents,
    Journal,
    Kind,
    Problem,
    export_csv,
    load_file,
    serialise,
    unwritable,
)
from matlog.journal.merge import Conflict
from matlog.journal.rescue import is_leftover, save_conflicts
from matlog.lightclass import dataclass, field
from matlog.paths import rescue_folders
from matlog.privatefiles import replace_atomically

EXPORT_FORMATS = ("csv", "jsonl", "toml")


def export_text(contents: Contents, fmt: str, journal_path: Path) -> str:
    """The whole journal as `fmt` (csv, jsonl or toml); refused, located, if TOML cannot hold it."""
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"--format must be csv, jsonl or toml, got {fmt!r}")
    if fmt == "csv":
        return export_csv(contents)
    kind: Kind = "jsonl" if fmt == "jsonl" else "toml"
    _refuse(
        unwritable(contents.records, kind, journal_path),
        "export as jsonl, or remove that field with `matlog edit`; nothing was written",
    )
    return serialise(contents.records, kind, whole_file=True)


def load_imports(files: Sequence[Path], kind: Kind) -> list[Contents]:
    """Every file to import, read and checked before anything is written.

    A file that does not parse, or a record the journal's format cannot hold, stops the
    import with the located problem: nothing is imported.
    """
    loaded = []
    for file in files:
        contents = load_file(file)
        _refuse(
            unwritable(contents.records, kind, file),
            "remove the field or give it a value, or import into a JSON Lines journal; "
            "nothing was imported",
        )
        loaded.append(contents)
    return loaded


@dataclass
class FileImport:
    """What importing one file did."""

    path: Path
    new: int
    present: int
    merged: int
    conflicts: list[Conflict]
    removed: bool = False  # a leftover of matlog's own, now wholly in the journal
    empty: bool = False  # the file held no record at all (not a journal, or an empty one)


@dataclass
class ImportOutcome:
    files: list[FileImport] = field(default_factory=list)
    conflicts_file: Path | None = None  # where the other versions of conflicts were kept
    kept_in_place: list[Path] = field(default_factory=list)  # leftovers that keep theirs
    skipped: list[Path] = field(default_factory=list)  # names of the journal itself


def import_files(
    journal: Journal, files: Sequence[Path], done: Callable[[FileImport], None]
) -> ImportOutcome:
    """Merge each file into the journal in turn (`Journal.merge`), calling `done` for each.

    Every file is read and checked first: one that does not parse imports nothing from any.
    A rescue or conflicts file of matlog's own is removed once all its records are in. The
    other versions of conflicting records are kept in a private conflicts file beside the
    rescue files, unless they already are (a leftover of matlog's own is kept as it is).
    """
    itself = [f for f in files if same_file(f, journal.path)]
    if itself and len(itself) == len(files):
        raise UsageError(
            f"{itself[0]} is the journal itself: nothing to import",
            hint="import another device's journal, a sync-conflict copy or a rescue file",
        )
    files = [f for f in files if f not in itself]  # `import folder/*.toml` names it too
    loaded = load_imports(files, journal.kind)
    outcome = ImportOutcome(skipped=itself)
    others: list[Conflict] = []
    for path, contents in zip(files, loaded, strict=True):
        try:
            plan = journal.merge(contents.records)
        except JournalWriteError as exc:
            later = " or the files after it" if path != files[-1] else ""
            raise JournalWriteError(
                f"{exc.message}; nothing was imported from {path}{later}",
                exc.record_text,
                hint="the files are as they were: import them again once the journal can "
                "be written",
            ) from None
        result = FileImport(
            path, len(plan.new), len(plan.present), len(plan.merged), plan.conflicts
        )
        result.empty = not contents.records
        if is_leftover(path) and not same_file(path, journal.path):  # never the journal
            if plan.conflicts:
                outcome.kept_in_place.append(path)
            else:
                with contextlib.suppress(OSError):  # gone already, or not ours to remove
                    path.unlink()
                    result.removed = True
        else:
            others.extend(plan.conflicts)
        outcome.files.append(result)
        done(result)
    if others:
        outcome.conflicts_file = save_conflicts(others, rescue_folders())
        if outcome.conflicts_file is None:
            raise JournalError(
                f"{len(others)} conflicting records could not be kept in a file of their own",
                hint="they are still in the files you imported: keep those",
            )
    return outcome


def _refuse(problems: list[Problem], hint: str) -> None:
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise JournalError(f"{problems[0]}{more}", hint=hint)


def same_file(a: Path, b: Path) -> bool:
    """Whether `a` and `b` name one file: one path, or one inode (a hard link, a symlink).

    The real paths catch a file that does not exist yet; device and inode (following
    symlinks) catch a hard link, which has a real path of its own.
    """
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        sa, sb = os.stat(a), os.stat(b)
    except OSError:  # one of them does not exist (yet): not one file
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def write_export(text: str, output: Path, journal_path: Path) -> None:
    """Write an export to `output`, refusing any name of the journal itself."""
    if same_file(output, journal_path):
        raise UsageError(
            f"{output} is the journal itself: exporting there would replace it",
            hint="choose another file with -o, e.g. backup.csv",
        )
    try:
        # Whole or not at all: a failed export leaves an existing backup as it was.
        replace_atomically(Path(os.path.realpath(output)), text.encode(), keep_mode=True)
    except OSError as exc:
        raise MatlogError(f"cannot write {output}: {exc.strerror}") from None
