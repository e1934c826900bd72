"""An append's intent, kept in the journal's lock file until the append is safe.

One `write()` is not atomic against a kill: Linux stops copying a write at a page boundary
once SIGKILL is pending (and a power cut can leave a file longer than what reached the
disk), so a killed writer can leave part of a record at the journal's end, which would make
every later command refuse the journal. So, under the lock, before it appends, a writer
puts here where the append starts and the exact bytes it will write (fsynced); once the
journal itself is fsynced it empties this file. Whoever takes the lock next and finds an
intent left behind knows a writer died in the middle, and exactly what it was writing
(`Journal.locked` settles it).
"""

from __future__ import annotations

import os

from matlog.lightclass import dataclass
from matlog.privatefiles import write_all

_MAGIC = b"matlog append 1\n"


@dataclass
class Intent:
    """An append that was begun: `chunk` written at byte `start` of the journal."""

    start: int
    chunk: bytes

    @property
    def end(self) -> int:
        return self.start + len(self.chunk)


def declare(lock_fd: int, start: int, chunk: bytes) -> None:
    """Record, durably, that `chunk` is about to be appended at `start`."""
    os.ftruncate(lock_fd, 0)
    os.lseek(lock_fd, 0, os.SEEK_SET)
    write_all(lock_fd, _MAGIC + b"%d %d\n" % (start, len(chunk)) + chunk)
    os.fsync(lock_fd)


def clear(lock_fd: int) -> None:
    """The append is safe (or undone): nothing pending. No fsync: an intent that comes back
    after a power cut describes an append that is whole, and is settled as such."""
    os.ftruncate(lock_fd, 0)


def left_behind(lock_fd: int) -> Intent | None:
    """The intent in the lock file, if a writer left a whole one (it died appending).

    An intent cut short itself means the writer died before its append began (`declare`
    is fsynced before the journal is touched): nothing to settle. Neither is anything else
    that is not exactly a header and the bytes it announces (a file of junk, a length or an
    offset out of reason): only the header is read before that is known.
    """
    size = os.fstat(lock_fd).st_size
    if size == 0:
        return None
    head = os.pread(lock_fd, min(size, _HEAD_MAX), 0)
    if not head.startswith(_MAGIC):
        return None
    line, newline, _ = head[len(_MAGIC) :].partition(b"\n")
    fields = line.split(b" ")
    if not newline or len(fields) != 2 or not all(f.isdigit() for f in fields):
        return None
    start, length = int(fields[0]), int(fields[1])
    header = len(_MAGIC) + len(line) + 1
    if start > _OFFSET_MAX or length == 0 or size != header + length:
        return None
    chunk = os.pread(lock_fd, length, header)
    return Intent(start, chunk) if len(chunk) == length else None


# The header is the magic line and two numbers; no journal reaches 2^62 bytes.
_HEAD_MAX = len(_MAGIC) + 64
_OFFSET_MAX = 1 << 62
