"""The one way matlog writes a file of its own: private, whole or not at all.

Every file matlog creates — the journal's rewrites, rescue files, the heartbeat, the cache,
exports, the editing copy — goes through here, so each gets the same care: created 0600
(an existing file's mode is kept where it is replaced), every byte written or an OSError,
fsync where the contents matter, never a half-written file under the real name. The
journal's appends are the exception that proves the rule: they must be one `write()` on an
`O_APPEND` descriptor under a lock (`journal.store`), and use `write_all`'s check.
Folders are the caller's (`paths.ensure_private_dir` makes matlog's own, 0700), except for
`create_unique`, which saves a file under a fresh name in the first folder that takes it.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path

from matlog import paths

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to `fd`, or raise OSError (a disk that takes none: ENOSPC)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError(28, "No space left on device")
        view = view[written:]


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (best effort: not every FS can)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def create_new(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Create `path` with `data`, private; refuse (FileExistsError) if anything is there.

    `O_EXCL|O_NOFOLLOW`: a file or link planted under that name (in a shared temporary
    folder, say) is never written through. A failed write removes what it created.
    """
    fd = os.open(path, _NEW, 0o600)
    try:
        try:
            write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    if durable:
        fsync_dir(path.parent)


def create_unique(folders: Sequence[Path], stem: str, suffix: str, data: bytes) -> Path | None:
    """Save `data` as a new file `STEM-RANDOM.SUFFIX` in the first folder that takes it.

    Each folder is made (0700) if need be. A name taken (by chance, or by a file or link
    planted there) is never written through: another random name is drawn, a few times,
    before the next folder. None if no folder would take it.
    """
    for folder in folders:
        try:
            paths.ensure_private_dir(folder)
        except OSError:
            continue
        for _ in range(_TRIES):
            path = folder / f"{stem}-{os.urandom(4).hex()}.{suffix}"
            try:
                create_new(path, data)
            except FileExistsError:
                continue
            except OSError:
                break
            return path
    return None


_TRIES = 16


def replace_atomically(
    path: Path, data: bytes, *, durable: bool = True, keep_mode: bool = False
) -> None:
    """Put `data` at `path` through a temporary file beside it and one rename.

    Readers see the old file or the new one, never a part. The temporary file is named
    `.NAME.tmp-PID-RANDOM` (the journal's lock holder removes any left by a killed writer).
    With `keep_mode`, an existing file's permission bits carry over; new files are 0600.
    OSError if it cannot be done; then nothing at `path` has changed.
    """
    mode = None
    if keep_mode:
        with contextlib.suppress(FileNotFoundError):
            mode = os.stat(path).st_mode & 0o7777
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        fd = os.open(tmp, _NEW, 0o600)
        try:
            if mode is not None:
                os.fchmod(fd, mode)
            write_all(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if durable:
        fsync_dir(path.parent)
