"""One mat session from start to record: ratings, settle-in, countdown, ratings, recovery.

Knows nothing of Typer: `cli.start` parses the options into `SessionPlan` and hands over
the pieces that touch the terminal (`Console`), so tests drive it with a FakeClock,
scripted keys and recorded bells.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from matlog import timer
from matlog.clock import Clock
from matlog.config import Better, Config
from matlog.durations import format_duration
from matlog.errors import DataError, Interrupted, RecordRescued, UsageError
from matlog.journal import Journal, record_to_dict
from matlog.prompts import Prompter, PromptTimeout
from matlog.records import RATING_MAX, RATING_MIN, Session, new_id
from matlog.state import RunningFile, orphans, pending_rating_path, read_json, write_json

# ---------------------------------------------------------------------------------------
# Ratings


def parse_rating_flags(values: Sequence[str], metrics: Mapping[str, Better]) -> dict[str, int]:
    """`["pain=6,stress=7", "mood=5"]` -> {"pain": 6, "stress": 7, "mood": 5}; UsageError else."""
    ratings: dict[str, int] = {}
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            name = name.strip().lower()
            if not sep:
                raise UsageError(f"rating {part!r} needs NAME=VALUE", hint="e.g. pain=6")
            if name in ratings:
                raise UsageError(f"{name} is rated twice", hint="give each rating once")
            ratings[name] = check_rating(name, number.strip(), metrics)
    return ratings


def check_rating(name: str, text: str, metrics: Mapping[str, Better]) -> int:
    if name not in metrics:
        raise UsageError(
            f"unknown metric {name!r}",
            hint=f"known: {', '.join(metrics)} (add others under [metrics] in config.toml)",
        )
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number 0–10, got {text!r}") from None
    if not RATING_MIN <= value <= RATING_MAX:
        raise UsageError(f"{name} must be from 0 to 10, got {value}")
    return value


def ask_ratings(
    prompter: Prompter,
    metrics: Mapping[str, Better],
    phase: str,
    timeout: float | None = None,
    *,
    into: dict[str, int] | None = None,
) -> dict[str, int]:
    """Ask each metric in turn; Enter skips, a bad value asks again.

    With `timeout`, PromptTimeout propagates when nobody answers (asleep on the mat).
    Answers go into `into` as they are given, so those survive an interruption.
    """
    ratings: dict[str, int] = {} if into is None else into
    for name, better in metrics.items():
        hint = "0 = none" if better == "lower" else "10 = best"
        while True:
            answer = prompter.ask(f"{phase} — {name} (0–10, {hint}, Enter skips): ", timeout)
            if not answer:
                break
            try:
                ratings[name] = check_rating(name, answer, metrics)
                break
            except UsageError as exc:
                prompter.stdout.write(f"  {exc.message}\n")
    return ratings


# ---------------------------------------------------------------------------------------
# Bells


@dataclass
class Bells:
    """The terminal bell, the config's sound command and a desktop notification.

    None of these may fail a session: a missing player or notifier is skipped quietly.
    """

    terminal: Any = None  # a text stream that is a terminal, or None
    sound_command: Sequence[str] = ()
    notify: bool = False
    clock: Clock | None = None
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ring(self, event: timer.BellEvent) -> None:
        """One, two or three bells, each from every source, far enough apart to count."""
        count = timer.BELLS[event]
        if self.notify and event != "start":
            text = "Time is up" if event == "end" else "Bell"
            self._spawn(["notify-send", "--app-name=matlog", "matlog", text], {})
        if self.terminal is None and not self.sound_command:
            return
        for n in range(1, count + 1):
            if n > 1 and self.clock is not None:
                # A sound file (the config's player) needs longer than a terminal beep.
                self.clock.sleep(0.6 if self.sound_command else 0.35)
            if self.sound_command:
                self._spawn(
                    list(self.sound_command),
                    {"MATLOG_EVENT": event, "MATLOG_BELLS": str(count), "MATLOG_BELL": str(n)},
                )
            if self.terminal is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.terminal.write("\a")
                    self.terminal.flush()

    def _spawn(self, command: list[str], extra_env: dict[str, str]) -> None:
        self.reap()
        with contextlib.suppress(OSError, ValueError):
            self.children.append(
                subprocess.Popen(
                    command,  # a list, never a shell
                    env={**os.environ, **extra_env},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )

    def reap(self) -> None:
        self.children = [c for c in self.children if c.poll() is None]


def desktop_notifications_available() -> bool:
    import shutil

    has_display = any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY"))
    return has_display and shutil.which("notify-send") is not None


# ---------------------------------------------------------------------------------------
# The session


class Screen(Protocol):
    """What the session shows: the countdown (redrawn) and one-off lines."""

    def line(self, text: str) -> None: ...

    def countdown(self) -> contextlib.AbstractContextManager[Callable[[timer.Countdown], None]]: ...


class Terminated(BaseException):
    """SIGHUP or SIGTERM arrived: the terminal closed or the system is shutting down."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def terminate_as_exception() -> Iterator[None]:
    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Terminated(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGHUP, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGHUP and SIGTERM wait while the record is written, then arrive as usual."""
    held = {signal.SIGINT, signal.SIGHUP, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)  # raises here if one came


@dataclass
class SessionPlan:
    planned_seconds: int
    area: str
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    ask_before: bool = False
    ask_after: bool = False
    tags: list[str] = field(default_factory=list)
    layer: str | None = None
    surface: str | None = None
    note: str | None = None
    settle_seconds: int = 10
    bell_every: int | None = None


@dataclass
class Runner:
    """Everything a session touches, so tests can swap any of it."""

    journal: Journal
    config: Config
    clock: Clock
    keys: timer.Keys
    screen: Screen
    bells: Bells
    prompter: Prompter
    state_dir: Path
    append: Callable[[Sequence[Session]], object]
    key_mode: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
    tick: float = 1.0
    heartbeat_every: float = 5.0


@dataclass
class Outcome:
    session: Session
    after_timed_out: bool = False
    signum: int | None = None


def run_session(plan: SessionPlan, runner: Runner) -> Outcome:
    metrics = runner.config.metrics
    before = dict(plan.before)
    try:
        if plan.ask_before:
            before |= ask_ratings(runner.prompter, metrics, "Before")
        with terminate_as_exception(), runner.key_mode():
            _settle(plan.settle_seconds, runner)
    except (KeyboardInterrupt, EOFError, Terminated):
        raise Interrupted("stopped before the session began; nothing was logged") from None

    countdown = timer.Countdown(plan.planned_seconds, runner.clock, plan.bell_every)
    started = runner.clock.now().replace(microsecond=0)
    session = Session(
        id=new_id(started),
        started=started,
        planned_seconds=plan.planned_seconds,
        actual_seconds=0,
        ended="interrupted",
        area=plan.area,
        layer=plan.layer,
        surface=plan.surface,
        tags=list(plan.tags),
        before=before,
        note=plan.note,
    )
    running = RunningFile(runner.state_dir)

    def beat(c: timer.Countdown) -> None:
        with contextlib.suppress(OSError):
            running.beat(
                runner.journal.path,
                _jsonable(session),
                c.elapsed(),
                c.ended or "interrupted",
                runner.clock.now(),
            )

    signum: int | None = None
    lost: OSError | None = None
    with terminate_as_exception():
        try:
            with runner.key_mode(), runner.screen.countdown() as draw:
                hooks = timer.Hooks(draw=draw, bell=runner.bells.ring, heartbeat=beat)
                timer.run(
                    countdown,
                    runner.keys,
                    hooks,
                    tick=runner.tick,
                    heartbeat_every=runner.heartbeat_every,
                )
        except Terminated as exc:
            signum = exc.signum
        except KeyboardInterrupt:  # Ctrl-C at its first bell or last redraw: it ran, log it
            countdown.finish("stopped")
        except OSError as exc:  # the terminal went away mid-draw (EIO): log the session
            signum = _hidden_signal(exc)
            lost = exc if signum is None else None  # no SIGHUP behind it: say so after
        session.ended = countdown.ended or "interrupted"
        session.actual_seconds = round(countdown.elapsed())
        timed_out = False
        ask_after = plan.ask_after and signum is None and lost is None
        if signum is None and lost is None:
            session.after = dict(plan.after)
        try:
            with signals_held():  # a signal now waits until the true ending is saved
                beat(countdown)  # from here on, a kill still leaves the true ending behind
            if ask_after:
                runner.screen.line(_ended_line(session))
                ask_ratings(
                    runner.prompter,
                    metrics,
                    "After",
                    timeout=runner.config.after_timeout_seconds,
                    into=session.after,
                )
        except PromptTimeout:
            timed_out = True
        except (KeyboardInterrupt, EOFError, OSError):
            pass  # the session ran: log it without (more) ratings
        except Terminated as exc:
            signum = signum or exc.signum
        # A signal arriving now must not cut the append short: it waits until the end.
        try:
            with signals_held():
                try:
                    runner.append([session])
                except RecordRescued as exc:
                    if exc.saved is not None:
                        running.remove()  # safe in the rescue file: not to be recovered too
                    raise
                running.remove()
        except Terminated as exc:
            signum = signum or exc.signum
        except KeyboardInterrupt:
            pass  # Ctrl-C while the record was being written: it is written
    if lost is not None and signum is None:
        raise lost
    timed_out = timed_out and not session.after  # answers given before sleep are kept
    if timed_out:
        write_json(
            pending_rating_path(runner.state_dir),
            {"journal": str(runner.journal.path), "id": session.id},
        )
    return Outcome(session, after_timed_out=timed_out, signum=signum)


def _hidden_signal(exc: BaseException) -> int | None:
    """The SIGHUP/SIGTERM behind `exc`, when writing to a closed terminal raised over it."""
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, Terminated):
            return seen.signum
        seen = seen.__context__
    return None


def _settle(seconds: int, runner: Runner) -> None:
    """Time to lie down. q or Ctrl-C here means the session never began."""
    if seconds <= 0:
        return
    runner.screen.line(
        f"Lie down: the countdown starts in {format_duration(seconds)} with one bell "
        "(Enter: start now)."
    )
    deadline = runner.clock.monotonic() + seconds
    while (left := deadline - runner.clock.monotonic()) > 0:
        key = runner.keys.wait(left)
        if key in timer.STOP_KEYS:
            raise KeyboardInterrupt
        if key in ("\r", "\n"):
            break  # Enter: ready now


def _ended_line(session: Session) -> str:
    words = {
        "finished": "Time is up",
        "stopped": "Stopped",
        "discomfort": "Stopped for discomfort",
        "interrupted": "Interrupted",
    }
    return f"{words[session.ended]} after {format_duration(session.actual_seconds)}."


def _jsonable(session: Session) -> dict[str, Any]:
    data = record_to_dict(session)
    data["started"] = session.started.isoformat()
    return data


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


def clear_owed_rating(state_dir: Path) -> None:
    with contextlib.suppress(OSError):
        pending_rating_path(state_dir).unlink()


def add_after_ratings(
    journal: Journal, target_id: str | None, ratings: dict[str, int]
) -> tuple[Session, bool]:
    """Give `ratings` to the session `target_id`, or (None) to the one `rate` means.

    That is the latest session, as long as none of these metrics is rated on it yet (so
    `rate pain=3` then `rate stress=2` both go to it); otherwise the latest session with
    no after-ratings at all (one logged with --rate-later before a rated one). A metric is
    never rated twice: that is a usage error, and `matlog edit` changes a rating.
    Returns the session as rated, and whether it is the latest one.
    """
    from matlog.journal import Contents
    from matlog.lightclass import replace

    result: list[tuple[Session, bool]] = []

    def change(contents: Contents) -> tuple[Contents, Session | None, Session | None]:
        old = _rate_target(contents.sessions, target_id, ratings)
        if old is None:
            return contents, None, None
        new = replace(old, after={**old.after, **ratings})
        latest = max(contents.sessions, key=lambda s: (s.started, s.line))
        result.append((new, old is latest))
        sessions = [new if s is old else s for s in contents.sessions]
        return replace(contents, sessions=sessions), old, new

    if journal.rewrite(change) is None:
        raise UsageError(
            "no session is waiting for these after-ratings",
            hint="`matlog log` shows which sessions have them; `matlog edit` changes one",
        )
    return result[0]


def _rate_target(
    sessions: Sequence[Session], target_id: str | None, ratings: dict[str, int]
) -> Session | None:
    if target_id is not None:
        return next((s for s in sessions if s.id == target_id and not s.after), None)
    if not sessions:
        return None
    by_time = sorted(sessions, key=lambda s: (s.started, s.line))
    latest = by_time[-1]
    if not set(ratings) & set(latest.after):
        return latest
    return next((s for s in reversed(by_time) if not s.after), None)


def summary(session: Session, metrics: Mapping[str, Better], next_seconds: int) -> str:
    """One line: what happened, what changed, what's next."""
    parts = [_ended_line(session)]
    changes = []
    for name in dict.fromkeys([*metrics, *session.before, *session.after]):
        if name in session.before and name in session.after:
            delta = session.after[name] - session.before[name]
            changes.append(f"{name} {session.before[name]}→{session.after[name]} ({delta:+d})")
    if changes:
        parts.append(", ".join(changes) + ".")
    parts.append(f"Next planned: {format_duration(next_seconds)}.")
    return " ".join(parts)
