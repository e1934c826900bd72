"""After the fact: the running session's heartbeat, recovery of killed sessions, ratings owed.

Small files in the state folder: the heartbeat, the rating owed, notices seen.

The running file is what lets a session survive `kill -9`: it holds the record so far and
the time on the mat at the last heartbeat. The next matlog command logs it as interrupted,
exactly once (under a lock, and never if the journal already has its id). Whether its
session still runs is a lock the running process holds, never a PID (see `RunningFile`).
A heartbeat that cannot be read is set aside, never deleted; another user's is skipped.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matlog.errors import DataError
from matlog.journal import Journal
from matlog.lightclass import dataclass
from matlog.paths import ensure_private_dir
from matlog.privatefiles import create_new, replace_atomically
from matlog.records import Session

if TYPE_CHECKING:
    from matlog.config import Better
    from matlog.prompts import Prompter


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Whole or not at all (temp file, every byte, fsync, rename), private to the user.

    ASCII JSON: a lone surrogate (text that was not UTF-8) is written as its `\\udcXX`
    escape and read back as it was, never a UnicodeEncodeError in the middle of a session.
    """
    ensure_private_dir(path.parent)
    replace_atomically(path, json.dumps(data).encode("ascii"))


def journal_fields(journal: Path) -> dict[str, str]:
    """How state files name a journal: absolute, and byte for byte.

    `journal` is the path as text for people reading the file (any byte that is not UTF-8
    shown as U+FFFD); `journal_bytes` is the file name's bytes in base64, which is what
    `journal_from` reads: a folder typed in a Latin-1 terminal is found again exactly.
    """
    import base64

    name = os.fsencode(Path(journal).absolute())
    return {
        "journal": name.decode("utf-8", "replace"),
        "journal_bytes": base64.b64encode(name).decode("ascii"),
    }


def journal_from(data: Mapping[str, Any]) -> Path:
    """The journal a state file names (TypeError/ValueError/KeyError if it names none)."""
    encoded = data.get("journal_bytes")
    if encoded is None:  # written by a matlog before `journal_bytes`
        return Path(str(data["journal"]))
    import base64
    import binascii

    try:
        return Path(os.fsdecode(base64.b64decode(str(encoded), validate=True)))
    except binascii.Error as exc:
        raise ValueError(str(exc)) from None


def read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# The locks this process holds on its own sessions' lock files, by lock path: held from the
# first heartbeat until the heartbeat is removed, and let go by the kernel when the process
# dies, however it dies (kill -9 included). A module-level table, not the RunningFile: the
# lock is the session's, however many RunningFile objects name it.
_HELD: dict[Path, int] = {}
_LOCK_FLAGS = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def _safe_name(session_id: str) -> str:
    """A session id as a file name: ids are plain (ULIDs), but an imported one can be any text."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", session_id)[:80] or "session"


def lock_path_for(heartbeat: Path) -> Path:
    """`running-ID.json` is alive while someone holds the lock on `running-ID.lock`."""
    return heartbeat.with_suffix(".lock")


@dataclass
class RunningFile:
    """The heartbeat file of one running session: `running-<session id>.json`.

    Liveness is a lock, not a PID: the running process holds an flock on
    `running-<session id>.lock` for the session's whole life, and the kernel lets go of it
    when the process dies. PIDs repeat across PID namespaces (containers, `unshare --pid`),
    so a PID says nothing about whether a heartbeat's session is still running.
    """

    folder: Path
    session_id: str

    @property
    def path(self) -> Path:
        return self.folder / f"running-{_safe_name(self.session_id)}.json"

    @property
    def lock_path(self) -> Path:
        return lock_path_for(self.path)

    def hold(self) -> None:
        """Take this session's lock (once; kept until `remove`)."""
        lock = self.lock_path
        if lock in _HELD:
            return
        ensure_private_dir(self.folder)
        while True:
            fd = os.open(lock, _LOCK_FLAGS, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # a checker holds it for a moment at most
                # The lock counts only on the file that has the name now (never a file
                # unlinked between our open and our lock).
                if os.path.samestat(os.fstat(fd), os.stat(lock, follow_symlinks=False)):
                    _HELD[lock] = fd
                    return
            except FileNotFoundError:
                pass
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)

    def beat(
        self, journal: Path, record: dict[str, Any], elapsed: float, ended: str, now: datetime
    ) -> None:
        self.hold()
        write_json(
            self.path,
            {
                "format": 2,
                "session": self.session_id,
                "pid": os.getpid(),  # for people reading the file; never used for liveness
                **journal_fields(journal),
                "record": record,
                "actual_seconds": int(elapsed),
                "ended": ended,
                "heartbeat": now.isoformat(),
            },
        )

    def remove(self) -> None:
        """The session is logged: its heartbeat goes, then its lock."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        fd = _HELD.pop(self.lock_path, None)
        if fd is not None:
            with contextlib.suppress(FileNotFoundError):
                self.lock_path.unlink()
            os.close(fd)


def let_go_of_locks() -> None:
    """What the kernel does when this process dies: every session lock it holds is let go.

    The heartbeats stay, as after kill -9. Tests play a killed process with it.
    """
    while _HELD:
        _, fd = _HELD.popitem()
        os.close(fd)


def _is_alive(heartbeat: Path, data: dict[str, Any] | None) -> bool:
    """Is the session of this heartbeat running now, in this process or another?"""
    lock = lock_path_for(heartbeat)
    if lock in _HELD:
        return True  # our own session
    fd = _open_lock(lock)
    if fd is None:  # no lock file: over, or a heartbeat from a matlog before locks
        return _legacy_pid_alive(data, lock)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True  # held: running (or being recovered right now)
    finally:
        os.close(fd)
    return False


def _open_lock(lock: Path) -> int | None:
    try:
        return os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    except OSError:  # another user's (`sudo matlog start`): not ours to judge
        raise _Foreign from None


class _Foreign(Exception):
    """A heartbeat or lock file this user cannot open: another user's."""


def _legacy_alive(pid: int) -> bool:
    """A pre-lock heartbeat: is `pid` a running matlog? (Never this process: we write locks.)"""
    if pid == os.getpid():
        return False
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
        if lock_path_for(path) in _HELD:
            continue  # this process's own
        data = read_json(path)
        with contextlib.suppress(_Foreign):
            if data is not None and _is_alive(path, data):
                found.append(data)
    return found


@dataclass
class Orphan:
    path: Path
    data: dict[str, Any]


@contextlib.contextmanager
def orphans(folder: Path, notes: list[str] | None = None) -> Iterator[list[Orphan]]:
    """Heartbeats whose session is not running, each locked so only one command recovers it.

    The lock taken is the session's own (its `.lock` file, created if a heartbeat from an
    older matlog has none): a session found dead stays dead, and a second command looking
    at the same moment sees it held. The caller logs each and then calls `forget` on it
    inside the `with`.

    Nothing is deleted that could not be read: a heartbeat that does not parse is set aside
    (`set_aside`), and one of another user's (left by `sudo matlog start`) is skipped. What
    the user should hear about is added to `notes`.
    """
    said = notes if notes is not None else []
    found: list[Orphan] = []
    fds: list[int] = []
    entries = sorted(folder.glob("running-*"))  # one listing: heartbeats and their locks
    try:
        for path in (p for p in entries if p.suffix == ".json"):
            lock = lock_path_for(path)
            if lock in _HELD:
                continue  # this process's own session
            try:
                if os.stat(path, follow_symlinks=False).st_uid != os.getuid():
                    raise _Foreign
                data = read_json(path)
                if _legacy_pid_alive(data, lock):
                    continue
                try:
                    fd = os.open(lock, _LOCK_FLAGS, 0o600)
                except FileNotFoundError:
                    continue
                except PermissionError:
                    raise _Foreign from None
            except FileNotFoundError:
                continue  # recovered meanwhile
            except _Foreign:
                if not notice_seen(folder, f"foreign-{path.name}"):
                    said.append(
                        f"Note: skipped {path}: another user's session (e.g. `sudo matlog "
                        "start`); recover it as that user."
                    )
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:  # running, or another command is recovering it right now
                os.close(fd)
                continue
            fds.append(fd)
            data = read_json(path)  # re-read under the lock: it may be gone already
            if data is not None and path.exists():
                found.append(Orphan(path, data))
            elif path.exists():
                said.append(set_aside(path))
                lock.unlink(missing_ok=True)
            else:
                lock.unlink(missing_ok=True)  # recovered meanwhile: its lock file is ours
        _sweep_lone_locks(p for p in entries if p.suffix == ".lock")
        yield found
    finally:
        for fd in fds:
            os.close(fd)


def _sweep_lone_locks(locks: Iterable[Path]) -> None:
    """Remove session locks that no one holds and no heartbeat goes with.

    A session killed between taking its lock and writing its first heartbeat leaves only
    the lock: nothing to recover, but the file would stay for ever. One held is a session
    starting now; one removed while a new session opens it is caught by `hold`'s check.
    """
    for lock in locks:
        if lock in _HELD or lock.with_suffix(".json").exists():
            continue
        try:
            fd = os.open(lock, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if not lock.with_suffix(".json").exists():  # still alone, now under its lock
                lock.unlink(missing_ok=True)
        except OSError:
            pass  # held: a session is starting
        finally:
            os.close(fd)


def set_aside(path: Path) -> str:
    """Keep a heartbeat that cannot be read as `unreadable-NAME` beside it; say where.

    It may hold a session (a disk that filled, a hand edit): never deleted, only moved out
    of recovery's way, under a name nothing else uses (a link never replaces a file).
    """
    target = path.with_name(f"unreadable-{path.name}")
    while True:
        try:
            os.link(path, target, follow_symlinks=False)
            break
        except FileExistsError:
            target = path.with_name(f"unreadable-{os.urandom(3).hex()}-{path.name}")
        except OSError as exc:
            return (
                f"Note: {path} could not be read and could not be set aside "
                f"({exc.strerror}); it is left where it is."
            )
    path.unlink(missing_ok=True)
    return (
        f"Note: a session's heartbeat could not be read; set aside as {target} "
        "(nothing was deleted: look inside, or remove it)."
    )


def _legacy_pid_alive(data: dict[str, Any] | None, lock: Path) -> bool:
    """A heartbeat from a matlog before locks whose process still runs."""
    if data is None or "session" in data or lock.exists():
        return False
    pid = data.get("pid")
    return isinstance(pid, int) and _legacy_alive(pid)


def forget(orphan: Orphan) -> None:
    """A recovered heartbeat is done with: the file, then its lock file (still ours)."""
    orphan.path.unlink(missing_ok=True)
    lock_path_for(orphan.path).unlink(missing_ok=True)


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


def recover(
    state_dir: Path,
    append_to: Callable[[Path, Session], bool],
    notes: list[str] | None = None,
) -> list[Session]:
    """Log sessions whose process died (kill -9, power loss) as they last were.

    `append_to(journal_path, session)` appends unless the journal has the id already and
    returns False then; a DataError from it leaves the session to be tried again. Returns
    what was logged now; what else the user should hear (a heartbeat set aside, another
    user's skipped) is added to `notes`.
    """
    from matlog.journal import parse_record_dict

    logged: list[Session] = []
    if not state_dir.is_dir():
        return logged
    said = notes if notes is not None else []
    with orphans(state_dir, said) as found:
        for orphan in found:
            data = orphan.data
            try:
                record = dict(data["record"])
                record["actual_seconds"] = int(data["actual_seconds"])
                record["ended"] = data.get("ended") or "interrupted"
                session = parse_record_dict("session", record)
                journal_path = journal_from(data)
            except (KeyError, TypeError, ValueError):
                said.append(set_aside(orphan.path))  # not a heartbeat we can read: kept
                lock_path_for(orphan.path).unlink(missing_ok=True)
                continue
            assert isinstance(session, Session)
            try:
                if append_to(journal_path, session):
                    logged.append(session)
            except DataError:
                continue  # the journal cannot take it now: kept, and tried again next time
            forget(orphan)  # gone already if a lock did not hold
    return logged


def owed_rating(state_dir: Path, journal: Journal, sessions: Sequence[Session]) -> Session | None:
    """The session logged without after-ratings because nobody answered, if still unrated."""
    path = pending_rating_path(state_dir)
    data = read_json(path)
    if data is None:
        return None
    wanted = data.get("id")
    for session in sessions:
        if session.id == wanted and not session.after and _names(data, journal.path):
            return session
    with contextlib.suppress(OSError):
        path.unlink()  # rated since, or removed: nothing is owed
    return None


def _names(data: Mapping[str, Any], journal: Path) -> bool:
    try:
        return journal_from(data) == journal.absolute()
    except (KeyError, TypeError, ValueError):
        return False


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

    notes: list[str] = []
    try:
        recovered = recover(state_dir, append_to, notes)
    finally:
        for note in notes:  # a heartbeat set aside is said even if another failed
            say(note)
    for record in recovered:
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
