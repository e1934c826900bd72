"""The journal file: the only code that reads or writes its bytes.

Writing keeps the promises in SPEC.md:

* a new record is appended as one `write()` on an `O_APPEND` descriptor, under an exclusive
  `flock` on a side file, after checking that what is already there parses; a short or
  failed write is truncated back, so the file is either as it was or has the whole record;
  a writer killed mid-write leaves its intent in the lock file, and the next one to take
  the lock cuts the part-record off (saving the record to a rescue file: see `intent`);
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
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from matlog import paths
from matlog.errors import JournalError, JournalWriteError
from matlog.journal import cache, intent
from matlog.journal.cache import Folder
from matlog.journal.fields import Contents, Kind, Problem, kind_name, kind_of, raise_first
from matlog.journal.jsonl import json_line
from matlog.journal.merge import MergePlan, plan_merge
from matlog.journal.parse import FORMATS, identity, parse, refuse_special, serialise, unwritable
from matlog.lightclass import dataclass, replace
from matlog.privatefiles import create_unique, fsync_dir, replace_atomically
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
        self._lock_fd = -1  # the lock file, open while `locked`: where an append's intent goes
        self._cut_at_lock = False  # the last `locked` cut off an append a killed writer left

    # -- reading --------------------------------------------------------------------

    def read(self) -> Contents:
        """All records; a JournalError naming the first problem if the file is not valid."""
        data = self._read_bytes()
        if data is None:
            return Contents()
        contents, problems = self._parse(data)
        if problems and self._settled_after_a_kill():
            return self.read()
        raise_first(problems)
        return contents

    def is_blank(self) -> bool:
        """The file exists and holds nothing at all (see `Contents.blank`)."""
        try:
            info = self.path.stat()
        except OSError:
            return False
        return stat.S_ISREG(info.st_mode) and info.st_size == 0  # /dev/null is no empty file

    def fold(self, folder: Folder[T]) -> T | None:
        """`folder`'s summary of every record (None: no journal yet), kept in the cache.

        The same promise as `read`: a journal that does not parse raises its first problem.
        """
        data = self._read_bytes()
        if not data:
            return None
        result = cache.fold(data, self.path, self.real_path, self.kind, folder)
        if result[1] and self._settled_after_a_kill():
            return self.fold(folder)
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
        problems = parse(data, self.path, self.kind)[1]
        if problems and self._settled_after_a_kill():
            return self.check()
        return problems

    def _settled_after_a_kill(self) -> bool:
        """Whether an append a killed writer left was just cut off the journal (see
        `_settle`): then read it again.

        Asked only of a journal that does not parse (and of `edit`'s copy), so a healthy
        one never pays more than a stat of the lock file.
        """
        try:
            if os.stat(self._lock_path).st_size == 0:
                return False
            with self.locked():
                return self._cut_at_lock
        except (OSError, JournalError, JournalWriteError):
            return False  # e.g. a read-only folder: the problem is reported as it is

    def _read_bytes(self) -> bytes | None:
        # O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer forever.
        # It changes nothing for a regular file, and nothing else is read (see `_regular`).
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise JournalError(f"cannot read {self.path}: {exc.strerror}") from None
        try:
            _regular(fd, self.path)
            return _read_fd(fd)
        except OSError as exc:
            raise JournalError(f"cannot read {self.path}: {exc.strerror}") from None
        finally:
            os.close(fd)

    # -- writing --------------------------------------------------------------------

    @property
    def real_path(self) -> Path:
        # A symlinked journal stays a symlink: we write to (and lock beside) its target.
        return Path(os.path.realpath(self.path))

    @property
    def _lock_path(self) -> Path:
        """`.NAME.lock` beside the journal's real file: the lock, and an append's intent."""
        target = self.real_path
        return target.parent / f".{target.name}.lock"

    @contextlib.contextmanager
    def locked(self) -> Iterator[Path | None]:
        """An exclusive lock shared by every matlog writing this journal.

        flock is released by the kernel when its holder dies, so a killed writer never
        blocks the next one. The lock file is empty except while an append is under way
        (its intent: see `intent`); one left by a killed writer is settled here, first.
        Yields the topmost folder it had to make for the lock file, if any.
        """
        target = self.real_path
        # No lock file beside a device or a FIFO (in /dev, say): they are refused anyway.
        links = 0
        try:
            info = os.stat(target)
            refuse_special(info.st_mode, self.path)
            links = info.st_nlink
        except FileNotFoundError:
            pass  # a new journal
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        made = _topmost_missing(target.parent)
        try:
            paths.ensure_private_dir(target.parent)
            # Never through a link planted at its name: an append's intent is written here.
            fd = os.open(
                self._lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600
            )
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                raise OSError(errno.EINVAL, "its lock file is not a regular file")
        except OSError as exc:
            why = "its lock file is a symbolic link" if exc.errno == errno.ELOOP else exc.strerror
            raise JournalWriteError(
                f"cannot write beside {self.path}: {why}", record_text=""
            ) from None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError as exc:  # e.g. ENOLCK on a network filesystem
                raise JournalWriteError(
                    f"cannot lock {self.path}: {exc.strerror}", record_text=""
                ) from None
            # A journal with other names (hard links: each its own side lock) is locked by
            # its inode too, so writers through different names still take turns.
            inode_fd = _lock_inode(target) if links > 1 else None
            try:
                try:
                    self._cut_at_lock = self._settle(fd, target)
                except OSError as exc:  # the lock file itself: a fault like any other write's
                    raise JournalWriteError(
                        f"cannot write beside {self.path}: {exc.strerror}", record_text=""
                    ) from None
                # Only the lock's holder writes a temporary copy, so any there now was left
                # by a writer that was killed mid-rewrite: remove it.
                for stale in target.parent.glob(f".{glob.escape(target.name)}.tmp-*"):
                    with contextlib.suppress(OSError):
                        stale.unlink()
                self._lock_fd = fd
                yield made
            finally:
                self._lock_fd = -1
                if inode_fd is not None:
                    os.close(inode_fd)
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

    def _settle(self, lock_fd: int, target: Path) -> bool:
        """Settle an append whose writer was killed (its intent is still in the lock file);
        whether the journal was changed.

        If all of it landed, it stays. If only part did — the bytes after where it began
        are a beginning of its own bytes, nothing else — the journal is cut back to where it
        was (the writer never said it was written, and a part-record would make the journal
        unreadable), and the whole record is saved to a rescue file and said. Anything else
        there (a hand edit since, an append through another name of a hard-linked journal)
        is not the dead writer's to cut: the intent is dropped and the bytes are left alone.
        A lock file holding no whole intent is emptied: it is ours, under our lock.
        """
        left = intent.left_behind(lock_fd)
        if left is None:
            if os.fstat(lock_fd).st_size:
                intent.clear(lock_fd)
            return False
        try:
            fd = os.open(target, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            intent.clear(lock_fd)
            return False
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        cut = False
        try:
            _regular(fd, self.path)
            size = os.fstat(fd).st_size
            if left.start < size < left.end:
                landed = os.pread(fd, size - left.start, left.start)
                if left.chunk.startswith(landed):
                    self._cut_off(fd, left)
                    cut = True
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        finally:
            os.close(fd)
        intent.clear(lock_fd)
        return cut

    def _cut_off(self, fd: int, left: intent.Intent) -> None:
        saved = create_unique(paths.rescue_folders(), "rescued-cut-short", self.kind, left.chunk)
        if saved is None:
            print(left.chunk.decode("utf-8", "replace"), file=sys.stderr)
        os.ftruncate(fd, left.start)
        os.fsync(fd)
        where = f"saved to {saved}" if saved else "printed above"
        with contextlib.suppress(OSError):
            print(
                f"matlog: the last write to {self.path} was cut short (a matlog was killed "
                f"while writing); the part-record was removed, and the record is {where}: "
                f"`matlog import {saved or 'FILE'}` adds it if it is missing",
                file=sys.stderr,
            )

    def _append_locked(
        self, records: Sequence[Record], record_text: str, skip_present: bool
    ) -> tuple[list[Record], bool]:
        """The records appended, and whether appending them created the file."""
        target = self.real_path
        existed = os.path.lexists(target)
        try:
            fd = os.open(target, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o600)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        done = False
        try:
            try:
                _regular(fd, self.path)
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
            self._check_reads_back(data, chunk, records, known)
            try:
                intent.declare(self._lock_fd, len(data), chunk)
                written = os.write(fd, chunk)
                if written != len(chunk):
                    raise OSError(28, "No space left on device")
                os.fsync(fd)
            except OSError as exc:
                # Leave the file exactly as it was: drop whatever part of the record landed.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, len(data))
                    os.fsync(fd)
                    intent.clear(self._lock_fd)
                raise _write_error(self.path, exc) from None
            with contextlib.suppress(OSError):  # the append is whole: a left intent says so
                intent.clear(self._lock_fd)
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

    def _check_reads_back(
        self, data: bytes, chunk: bytes, records: Sequence[Record], known: cache.Known
    ) -> None:
        """Refuse (JournalError, nothing written) an append the reader would not take back.

        Two checks. The chunk alone must parse to exactly `records` (cheap: only the new
        text): a value the format cannot hold never reaches the file. And the file must be
        able to take it: the cache's proof says so for a journal that ends with a newline
        and whose `session`/`sleep` are `[[...]]` tables (`ParseFacts.appendable`); any
        other journal (`session = [...]` inline, no final newline) is parsed whole with the
        chunk added, which must give its records and then `records`.
        """
        expected = [encode_text(json_line(r)).decode("utf-8") for r in records]
        alone, problems = parse(chunk, self.path, self.kind)
        if problems or [json_line(r) for r in alone.records] != expected:
            why = problems[0].message if problems else "it reads back different"
            raise JournalError(
                f"the record would not read back as written ({why}); nothing was written "
                f"to {self.path}",
                hint="please report this as a matlog bug",
            )
        if not data.strip() or (known.entry is not None and known.entry.appendable):
            return
        before, _ = parse(data, self.path, self.kind)
        after, problems = parse(data + chunk, self.path, self.kind)
        got = [json_line(r) for r in after.records]
        if problems or got[len(before.records) :] != expected:
            names = sorted({kind_name(r) for r in records})
            blocks = " or ".join(f"[[{name}]]" for name in names)
            raise JournalError(
                f"{self.path} cannot take a new {blocks} block after what it holds "
                f"(e.g. `{names[0]} = [...]` written inline, or a [{names[0]}] table); "
                "nothing was written",
                hint=f"write each {names[0]} as a [[{names[0]}]] table with `matlog edit`",
            )

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
        """The file as it is (b"" if it does not exist yet), for `matlog edit`'s copy: an
        append a killed writer cut short is settled first, not handed to the editor."""
        self._settled_after_a_kill()
        return self._read_bytes() or b""

    def replace_edited(self, original: bytes, edited: bytes) -> None:
        """Install an edited copy of `original`, keeping records appended meanwhile."""
        with self.locked():  # which settles first what a killed writer left
            current = self._read_bytes() or b""
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
            links = os.stat(target).st_nlink
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        if links > 1:
            self._rewrite_in_place(target, data, links)
            return
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

    def _rewrite_in_place(self, target: Path, data: bytes, links: int) -> None:
        """Change a hard-linked journal in its own inode, so every link sees the change.

        Replacing it (the atomic way) would leave the other links holding the old journal:
        two files drifting apart. Writing in place is not atomic, so: under the lock, a
        private copy of the old bytes is saved (durably) first; only the bytes from the first
        difference on are written, then the file is cut to length and fsynced; a failed
        write puts the old bytes back. The copy is removed once the change is safe, and kept
        (and named) only if the old bytes could not be put back.
        """
        from matlog.privatefiles import create_new

        try:
            fd = os.open(target, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            raise _write_error(self.path, exc) from None
        try:
            try:
                _regular(fd, self.path)
                old = _read_fd(fd)
            except OSError as exc:
                raise _write_error(self.path, exc) from None
            folder = paths.state_dir() / "backups"
            backup = folder / f"{target.name}-{os.urandom(4).hex()}.bak"
            try:
                paths.ensure_private_dir(folder)
                create_new(backup, old)
            except OSError as exc:
                raise JournalWriteError(
                    f"cannot save a copy of {self.path} before changing it in place: "
                    f"{exc.strerror}; nothing was changed",
                    record_text="",
                ) from None
            start = _common_prefix(old, data)
            try:
                _pwrite_all(fd, data, start)
                os.ftruncate(fd, len(data))
                os.fsync(fd)
            except OSError as exc:
                error = _write_error(self.path, exc)
                try:
                    _pwrite_all(fd, old, start)
                    os.ftruncate(fd, len(old))
                    os.fsync(fd)
                except OSError:
                    error.hint = f"the journal as it was is saved in {backup}"
                    raise error from None
                error.hint = "the journal is unchanged"
                with contextlib.suppress(OSError):
                    backup.unlink()
                raise error from None
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):
            backup.unlink()
        # Said, not asked: the user should know the file was not replaced atomically.
        with contextlib.suppress(OSError):
            print(
                f"matlog: {self.path} has {links} hard links: changed in place, so every "
                "link sees the change",
                file=sys.stderr,
            )


def _common_prefix(a: bytes, b: bytes) -> int:
    """How many leading bytes `a` and `b` share (compared 64 KiB at a time, then bytewise)."""
    limit = min(len(a), len(b))
    step = 1 << 16
    start = 0
    view_a, view_b = memoryview(a), memoryview(b)
    while start < limit and view_a[start : start + step] == view_b[start : start + step]:
        start += step
    start = min(start, limit)
    end = min(start + step, limit)
    while start < end and a[start] == b[start]:
        start += 1
    return start


def _pwrite_all(fd: int, data: bytes, start: int) -> None:
    view = memoryview(data)
    offset = start
    while offset < len(data):
        written = os.pwrite(fd, view[offset:], offset)
        if written <= 0:
            raise OSError(errno.EIO, "short write")
        offset += written


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


def _regular(fd: int, path: Path) -> None:
    """A JournalError unless `fd` is a regular file (a symlink to one is fine: it was followed).

    A device (/dev/zero never ends), a FIFO (it waits for a writer) or a socket is no journal:
    refused before a byte is read or written.
    """
    refuse_special(os.fstat(fd).st_mode, path)


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


def _lock_inode(target: Path) -> int:
    """An exclusive flock on the journal file itself (a journal with more than one name).

    Such a journal is changed in place (never renamed over), so its inode stays the same
    and a lock on it holds for every name.
    """
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _write_error(Path(target), exc) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as exc:
        os.close(fd)
        raise JournalWriteError(f"cannot lock {target}: {exc.strerror}", record_text="") from None
    return fd
