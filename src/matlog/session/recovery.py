"""After the fact: the running session's heartbeat, recovery of killed sessions, ratings owed.

Small files in the state folder: the heartbeat, the rating owed, notices seen.

The running file is what lets a session survive `kill -9`: it holds the record so far and
the time on the mat at the last heartbeat. The next matlog command logs it as interrupted,
exactly once (under a lock, and never if the journal already has its id).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matlog.errors import DataError
from matlog.journal import Journal
from matlog.lightclass import dataclass, field
from matlog.paths import ensure_private_dir
from matlog.privatefiles import create_new, replace_atomically
from matlog.records import Session

if TYPE_CHECKING:
    from matlog.config import Better
    from matlog.prompts import Prompter


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all (temp file, every byte, fsync, rename), private to the user."""
    ensure_private_dir(path.parent)
    replace_atomically(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))


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
    pid: int = field(default_factory=os.getpid)

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
        create_new(marker, b"", durable=False)
    return False


# ---------------------------------------------------------------------------------------
# After the fact: recovery and ratings owed


def recover(state_dir: Path, append_to: Callable[[Path, Session], bool]) -> list[Session]:
    """Log sessions whose process died (kill -9, power loss) as they last were.

    `append_to(journal_path, session)` appends unless the journal has the id already and
    returns False then; a DataError from it leaves the session to be tried again. Returns
    what was logged now.
    """
    from matlog.journal import parse_record_dict

    logged: list[Session] = []
    if not state_dir.is_dir():
        return logged
    with orphans(state_dir) as found:
        for orphan in found:
            data = orphan.data
            try:
                record = dict(data["record"])
                record["actual_seconds"] = int(data["actual_seconds"])
                record["ended"] = data.get("ended") or "interrupted"
                session = parse_record_dict("session", record)
                journal_path = Path(data["journal"])
            except (KeyError, TypeError, ValueError):
                orphan.path.unlink(missing_ok=True)  # unreadable: nothing to recover
                continue
            assert isinstance(session, Session)
            try:
                if append_to(journal_path, session):
                    logged.append(session)
            except DataError:
                continue  # the journal cannot take it now: kept, and tried again next time
            orphan.path.unlink(missing_ok=True)  # gone already if a lock did not hold
    return logged


def owed_rating(state_dir: Path, journal: Journal, sessions: Sequence[Session]) -> Session | None:
    """The session logged without after-ratings because nobody answered, if still unrated."""
    path = pending_rating_path(state_dir)
    data = read_json(path)
    if data is None:
        return None
    wanted = data.get("id")
    for session in sessions:
        if session.id == wanted and not session.after and data.get("journal") == str(journal.path):
            return session
    with contextlib.suppress(OSError):
        path.unlink()  # rated since, or removed: nothing is owed
    return None


def clear_owed_rating(state_dir: Path, session_id: str | None = None) -> None:
    """Nothing is owed any more (with `session_id`: if it was that session's rating)."""
    path = pending_rating_path(state_dir)
    if session_id is not None:
        data = read_json(path)
        if data is None or data.get("id") != session_id:
            return
    with contextlib.suppress(OSError):
        path.unlink()


def recover_killed_sessions(state_dir: Path, say: Callable[[str], None]) -> None:
    """Log sessions whose matlog was killed outright, and say so (before any command)."""
    if not state_dir.is_dir() or not any(state_dir.glob("running-*.json")):
        return
    from matlog.errors import RecordRescued, print_error
    from matlog.journal.rescue import append_or_rescue

    def append_to(path: Path, record: Session) -> bool:
        # skip_present: a record already logged (killed after its append) is not doubled.
        try:
            return bool(append_or_rescue(Journal(path), [record], skip_present=True))
        except RecordRescued as exc:
            # Never fail the command the user asked for over an old session.
            print_error(f"a session that did not end normally: {exc.message}", exc.hint)
            if exc.saved is None:
                raise  # nowhere safe yet: keep its heartbeat file, try again next time
            return False  # safe in the rescue file

    from matlog.durations import format_duration

    for record in recover(state_dir, append_to):
        say(
            f"Found a session that did not end normally ({record.started:%Y-%m-%d %H:%M}, "
            f"{format_duration(record.actual_seconds)} on the mat): logged it as "
            f"{record.ended}."
        )


def offer_owed_rating(
    state_dir: Path,
    journal: Journal,
    prompter: Prompter,
    metrics: Mapping[str, Better],
    say: Callable[[str], None],
) -> None:
    """After a session logged without after-ratings (asleep on the mat), offer them.

    Says what became of the answer: which session was rated with what, or that it was not.
    """
    if not pending_rating_path(state_dir).exists():
        return
    owed = owed_rating(state_dir, journal, journal.read().sessions)
    if owed is None:
        return
    when = f"{owed.started:%a %H:%M}"
    question = f"The session of {when} has no after-ratings. Rate it now?"
    if not prompter.confirm(question, default=True):
        clear_owed_rating(state_dir)
        say(f"Not rated: the session of {when} stays without after-ratings.")
        return
    from matlog.ratings import NoSuchSession, add_after_ratings, ask_ratings, rated_line

    ratings = ask_ratings(prompter, metrics, "After")
    clear_owed_rating(state_dir)
    if not ratings:
        say(f"No ratings given: the session of {when} stays without after-ratings.")
        return
    try:
        rated = add_after_ratings(journal, owed.id, ratings)
    except NoSuchSession:  # removed meanwhile (undo in another terminal): rate no other
        say(f"Not saved: the session of {when} is no longer in the journal.")
        return
    say(rated_line(rated, lead="Saved the after-ratings of"))
