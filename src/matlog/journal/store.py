"""The journal file: the only code that reads or writes its bytes.

Writing keeps the promises in SPEC.md:

* a new record is appended as one `write()` on an `O_APPEND` descriptor, under an exclusive
  `flock` on a side file, after checking that what is already there parses; a short or
  failed write is truncated back, so the file is either as it was or has the whole record;
* the rare edits in place (`undo`, `rate`) write a temporary file beside the real one and
  `os.replace` it, after checking that the result parses to exactly what was intended;
* values are serialised by tomli-w / json, so user text can never break the file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from matlog import paths
from matlog.errors import JournalError, JournalWriteError
from matlog.journal import cache
from matlog.journal.cache import Folder
from matlog.journal.fields import Contents, Kind, Problem, kind_of, raise_first
from matlog.journal.jsonl import json_line
from matlog.journal.merge import MergePlan, plan_merge
from matlog.journal.parse import FORMATS, identity, parse, serialise, unwritable
from matlog.lightclass import dataclass, replace
from matlog.privatefiles import fsync_dir, replace_atomically
from matlog.records import Record, Session

T = TypeVar("T")


@dataclass
class Created:
    """The journal file was made by this `Journal` (the first append), and `folder`, the
    topmost folder made for it, if any: worth saying, as a typo in the path looks like it."""

    folder: Path | None = None


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind: Kind = kind_of(path)
        self.created: Created | None = None

    # -- reading --------------------------------------------------------------------

    def read(self) -> Contents:
        """All records; a JournalError naming the first problem if the file is not valid."""
        data = self._read_bytes()
        if data is None:
            return Contents()
        contents, problems = self._parse(data)
        raise_first(problems)
        return contents

    def is_blank(self) -> bool:
        """The file exists and holds nothing at all (see `Contents.blank`)."""
        try:
            return self.path.stat().st_size == 0
        except OSError:
            return False

    def fold(self, folder: Folder[T]) -> T | None:
        """`folder`'s summary of every record (None: no journal yet), kept in the cache.

        The same promise as `read`: a journal that does not parse raises its first problem.
        """
        data = self._read_bytes()
        if not data:
            return None
        result = cache.fold(data, self.path, self.real_path, self.kind, folder)
        raise_first(result[1])
        return result[0]

    def _parse(self, data: bytes) -> tuple[Contents, list[Problem]]:
        """`parse(data)`, re-using the cache of what was parsed before (see `cache`)."""
        contents, problems, _ = cache.read(data, self.path, self.real_path, self.kind)
        return contents, problems

    def check(self) -> list[Problem]:
        data = self._read_bytes()
        if data is None:
            return []
        return parse(data, self.path, self.kind)[1]

    def _read_bytes(self) -> bytes | None:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise JournalError(
                f"{self.path} is a folder, not a journal file",
                hint="point MATLOG_JOURNAL or --journal at a file",
            ) from None
        except OSError as exc:
            raise JournalError(f"cannot read {self.path}: {exc.strerror}") from None

    # -- writing --------------------------------------------------------------------

    @property
    def real_path(self) -> Path:
        # A symlinked journal stays a symlink: we write to (and lock beside) its target.
        return Path(os.path.realpath(self.path))

    @contextlib.contextmanager
    def locked(self) -> Iterator[Path | None]:
        """An exclusive lock shared by every matlog writing this journal.

        flock is released by the kernel when its holder dies, so a killed writer never
        blocks the next one; the lock file itself is empty and harmless. Yields the topmost
        folder it had to make for the lock file, if any.
        """
        target = self.real_path
        made = _topmost_missing(target.parent)
        try:
            paths.ensure_private_dir(target.parent)
            fd = os.open(target.parent / f".{target.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise JournalWriteError(
                f"cannot write beside {self.path}: {exc.strerror}", record_text=""
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:  # e.g. ENOLCK on a network filesystem
                raise JournalWriteError(
                    f"cannot lock {self.path}: {exc.strerror}", record_text=""
                ) from None
            # Only the lock's holder writes a temporary copy, so any there now was left by
            # a writer that was killed mid-rewrite: remove it.
            for stale in target.parent.glob(f".{glob.escape(target.name)}.tmp-*"):
                with contextlib.suppress(OSError):
                    stale.unlink()
            yield made
        finally:
            os.close(fd)

    def append(self, records: Sequence[Record], *, skip_present: bool = False) -> list[Record]:
        """Add `records` at the end, keeping everything already there byte for byte.

        With `skip_present`, records already in the journal (same `identity`) are left out,
        decided under the lock so two imports of one file at once add it once. Returns the
        records appended. If this append created the file, `created` says so (and which
        folder it made), for the command to say where the new journal is.
        """
        if not records:
            return []
        if problems := unwritable(records, self.kind, self.path):
            raise JournalError(
                f"{self.path} cannot take this record: {problems[0].message}",
                hint="nothing was written",
            )
        record_text = serialise(records, self.kind)
        try:
            with self.locked() as made_folder:
                added, created = self._append_locked(records, record_text, skip_present)
        except JournalWriteError as exc:
            raise JournalWriteError(exc.message, record_text, exc.hint) from None
        if created:
            self.created = Created(made_folder)
        return added

    def merge(self, records: Sequence[Record]) -> MergePlan:
        """Import `records`: add the new ones, merge additions, leave conflicts (`merge`).

        Decided under the lock. Merges replace the journal's records in place (the rest of
        the file byte for byte), checked by parsing the result before the atomic replace;
        new records are then appended as `append` does. Returns what was decided.
        """
        if problems := unwritable(records, self.kind, self.path):
            raise JournalError(
                f"{self.path} cannot take this record: {problems[0].message}",
                hint="nothing was written",
            )
        created = False
        try:
            with self.locked() as made_folder:
                data = self._read_bytes() or b""
                contents, problems = self._parse(data) if data else (Contents(), [])
                raise_first(problems)
                plan = plan_merge(contents, records)
                if plan.merged:
                    self._replace_records(data, contents, plan.merged)
                if plan.new:
                    _, created = self._append_locked(
                        plan.new, serialise(plan.new, self.kind), False
                    )
        except JournalWriteError as exc:
            raise JournalWriteError(exc.message, serialise(records, self.kind), exc.hint) from None
        if created:
            self.created = Created(made_folder)
        return plan

    def _replace_records(
        self, data: bytes, contents: Contents, changes: Sequence[tuple[Record, Record]]
    ) -> None:
        """Put each (old, new) pair's new record where its old one stands, checked first."""
        new_data = data
        for old, new in sorted(changes, key=lambda pair: pair[0].line, reverse=True):
            new_data = self._splice(new_data, old, new)  # from the bottom: lines above stay
        replaced = {id(old): new for old, new in changes}
        expected = [replaced.get(id(r), r) for r in contents.records]
        after, problems = parse(new_data, self.path, self.kind)
        if problems or [json_line(r) for r in after.records] != [json_line(r) for r in expected]:
            raise JournalError(
                f"could not merge into {self.path} safely; nothing was written",
                hint="add the other device's ratings by hand with `matlog edit`",
            )
        self._replace_bytes(new_data)

    def _append_locked(
        self, records: Sequence[Record], record_text: str, skip_present: bool
    ) -> tuple[list[Record], bool]:
        """The records appended, and whether appending them created the file."""
        target = self.real_path
        existed = os.path.lexists(target)
        try:
            fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        done = False
        try:
            try:
                data = _read_fd(fd)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            if skip_present:
                contents, problems, known = cache.read(data, self.path, target, self.kind)
            else:  # only whether it parses: the cache knows without building every record
                problems, known = cache.check(data, self.path, target, self.kind)
            raise_first(problems)
            if skip_present:
                records = _not_present(records, contents)
                if not records:
                    return [], False
            chunk = encode_text(self._chunk_to_append(data, records))
            try:
                written = os.write(fd, chunk)
                if written != len(chunk):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            except OSError as exc:
                # Leave the file exactly as it was: drop whatever part of the record landed.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, len(data))
                    os.fsync(fd)
                raise _write_error(self.path, exc) from None
            done = True
            if not data:
                fsync_dir(target.parent)
            cache.after_append(known, data + chunk, self.path, self.kind)
        finally:
            os.close(fd)
            if not done and not existed:  # no empty journal left behind to puzzle over
                with contextlib.suppress(OSError):
                    target.unlink()
        return list(records), not existed

    def _chunk_to_append(self, data: bytes, records: Sequence[Record]) -> str:
        text = FORMATS[self.kind].chunk_to_append(data, records)
        # A file with CRLF line ends keeps them.
        return text.replace("\n", "\r\n") if b"\r\n" in data[:4096] else text

    def rewrite(
        self, change: Callable[[Contents], tuple[Contents, Record | None, Record | None]]
    ) -> Record | None:
        """Replace one record (or remove it, when the new one is None) in place.

        `change` gets the current contents and returns (expected contents after, old record,
        new record). The new bytes are parsed and compared with the expectation before they
        replace the file, atomically.
        """
        if not os.path.lexists(self.real_path):
            return None  # nothing to change; and no folder made for a lock (a typo's path)
        with self.locked():
            data = self._read_bytes()
            if data is None:
                return None
            contents, problems = self._parse(data)
            raise_first(problems)
            expected, old, new = change(contents)
            if old is None:
                return None
            new_data = self._splice(data, old, new)
            after, problems = parse(new_data, self.path, self.kind)
            if problems or _comparable(after) != _comparable(expected):
                raise JournalError(
                    f"could not change {self.path} safely; nothing was written",
                    hint="edit it by hand with `matlog edit`",
                )
            self._replace_bytes(new_data)
            return old

    def _splice(self, data: bytes, old: Record, new: Record | None) -> bytes:
        lines = data.split(b"\n")
        start = old.line - 1
        end = FORMATS[self.kind].record_end(lines, start, old)
        crlf = lines[start].endswith(b"\r")
        if new is None:
            replacement: list[bytes] = []
            # Drop the blank line that separated the removed block from the one before.
            if start > 0 and not lines[start - 1].strip():
                start -= 1
        else:
            text = FORMATS[self.kind].record_text(new)
            replacement = [
                encode_text(line + ("\r" if crlf else "")) for line in text.rstrip("\n").split("\n")
            ]
        return b"\n".join(lines[:start] + replacement + lines[end:])

    def raw_bytes(self) -> bytes:
        """The file as it is (b"" if it does not exist yet), for `matlog edit`'s copy."""
        return self._read_bytes() or b""

    def replace_edited(self, original: bytes, edited: bytes) -> None:
        """Install an edited copy of `original`, keeping records appended meanwhile."""
        with self.locked():
            current = self.raw_bytes()
            if current != original:
                if not current.startswith(original):
                    raise JournalError(
                        f"{self.path} was changed by something else while you edited it"
                    )
                # Sessions appended while the editor was open go after the edited text.
                tail = current[len(original) :].lstrip(b"\r\n")
                edited = edited + (b"" if edited.endswith(b"\n") else b"\n") + b"\n" + tail
            raise_first(parse(edited, self.path, self.kind)[1])
            if not self.real_path.exists():
                self.created = Created()
            self._replace_bytes(edited)

    def _replace_bytes(self, data: bytes) -> None:
        target = self.real_path
        try:
            replace_atomically(target, data, keep_mode=True)
        except OSError as exc:
            error = _write_error(self.path, exc)
            temporary = Path(exc.filename or "").name.startswith(f".{target.name}.tmp-")
            if temporary and exc.errno in (errno.EACCES, errno.EROFS):
                error.hint = (
                    f"changing a record writes a new file in {target.parent}, which must be "
                    "writable too; the journal is unchanged"
                )
            raise error from None


def _topmost_missing(folder: Path) -> Path | None:
    """The outermost of `folder` and its parents that does not exist (None: it exists)."""
    missing = None
    for candidate in (folder, *folder.parents):
        if candidate.is_dir():
            break
        missing = candidate
    return missing


def _comparable(contents: Contents) -> list[str]:
    return [json_line(r) for r in contents.records]


def _not_present(records: Sequence[Record], contents: Contents) -> list[Record]:
    """`records` without those already in `contents` (or earlier in `records`)."""
    present = {identity(r) for r in contents.records}
    new: list[Record] = []
    for record in records:
        if identity(record) not in present:
            present.add(identity(record))
            new.append(record)
    return new


def encode_text(text: str) -> bytes:
    """UTF-8, with any lone surrogate as U+FFFD.

    Python turns bytes in argv that are not UTF-8 into lone surrogates, which UTF-8 cannot
    hold: a note typed in a Latin-1 terminal must cost a character, never the record.
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        clean = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        return clean.encode("utf-8")


def latest_session(contents: Contents) -> Session | None:
    """The session that started last (of two at one second, the later in the file)."""
    return max(contents.sessions, key=lambda s: (s.started, s.line), default=None)


def remove_last_session(contents: Contents) -> tuple[Contents, Record | None, Record | None]:
    """For `Journal.rewrite`: drop the session that started last."""
    last = latest_session(contents)
    if last is None:
        return contents, None, None
    kept = [s for s in contents.sessions if s is not last]
    return replace(contents, sessions=kept), last, None


def remove_session(
    shown: Session,
) -> Callable[[Contents], tuple[Contents, Record | None, Record | None]]:
    """For `Journal.rewrite`: drop exactly `shown` (by identity and content), nothing else.

    If it is gone, or changed since it was shown (rated on another device, say), nothing
    is removed: `rewrite` then returns None.
    """
    wanted = json_line(shown)

    def change(contents: Contents) -> tuple[Contents, Record | None, Record | None]:
        for session in contents.sessions:
            if identity(session) == identity(shown) and json_line(session) == wanted:
                kept = [s for s in contents.sessions if s is not session]
                return replace(contents, sessions=kept), session, None
        return contents, None, None

    return change


def _read_fd(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks = []
    offset = 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def _write_error(path: Path, exc: OSError) -> JournalWriteError:
    return JournalWriteError(f"cannot write {path}: {exc.strerror or exc}", record_text="")
