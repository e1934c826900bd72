"""Small files in the state folder: the running session's heartbeat, ratings owed, notices seen.

The running file is what lets a session survive `kill -9`: it holds the record so far and
the time on the mat at the last heartbeat. The next matlog command logs it as interrupted,
exactly once (under a lock, and never if the journal already has its id).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from matlog.paths import ensure_private_dir


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Atomically (temp file + rename), private to the user."""
    ensure_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass
class RunningFile:
    """The heartbeat file of one running session (one per process)."""

    folder: Path
    pid: int = 0

    def __post_init__(self) -> None:
        self.pid = self.pid or os.getpid()

    @property
    def path(self) -> Path:
        return self.folder / f"running-{self.pid}.json"

    def beat(
        self, journal: Path, record: dict[str, Any], elapsed: float, ended: str, now: datetime
    ) -> None:
        write_json(
            self.path,
            {
                "pid": self.pid,
                "journal": str(journal),
                "record": record,
                "actual_seconds": int(elapsed),
                "ended": ended,
                "heartbeat": now.isoformat(),
            },
        )

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def _alive(pid: int) -> bool:
    """Is `pid` a running matlog (not a dead one, nor an unrelated process that reused it)?"""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid
    return b"matlog" in cmdline


def live_sessions(folder: Path) -> list[dict[str, Any]]:
    """The heartbeats of sessions running now in other matlog processes."""
    found = []
    for path in sorted(folder.glob("running-*.json")):
        data = read_json(path)
        pid = data.get("pid") if data else None
        if data and isinstance(pid, int) and pid != os.getpid() and _alive(pid):
            found.append(data)
    return found


@dataclass
class Orphan:
    path: Path
    data: dict[str, Any]


@contextlib.contextmanager
def orphans(folder: Path) -> Iterator[list[Orphan]]:
    """Running files whose process is gone, each locked so only one command recovers it.

    The caller logs each and then calls `Path.unlink` on it inside the `with`.
    """
    found: list[Orphan] = []
    fds: list[int] = []
    try:
        for path in sorted(folder.glob("running-*.json")):
            data = read_json(path)
            pid = data.get("pid") if data else None
            if isinstance(pid, int) and _alive(pid):
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # another command is recovering it right now
                os.close(fd)
                continue
            fds.append(fd)
            data = read_json(path)  # re-read under the lock: it may be gone already
            if data is not None and path.exists():
                found.append(Orphan(path, data))
            elif path.exists():
                path.unlink()  # unreadable: nothing can be recovered from it
        yield found
    finally:
        for fd in fds:
            os.close(fd)


def pending_rating_path(folder: Path) -> Path:
    return folder / "pending-rating.json"


def notice_seen(folder: Path, name: str) -> bool:
    """True if the notice was shown before; marks it shown."""
    marker = folder / f"seen-{name}"
    if marker.exists():
        return True
    with contextlib.suppress(OSError):
        ensure_private_dir(folder)
        marker.touch(mode=0o600)
    return False
