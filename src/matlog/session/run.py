"""One mat session from start to record: ratings, settle-in, countdown, ratings, the append.

Knows nothing of Typer: `cli.start` parses the options into `SessionPlan` and hands over
the pieces that touch the terminal (`Console`), so tests drive it with a FakeClock,
scripted keys and recorded bells.
"""

from __future__ import annotations

import contextlib
import math
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, Protocol

from matlog.clock import Clock
from matlog.config import Better, Config
from matlog.durations import format_duration
from matlog.errors import Interrupted, RecordRescued
from matlog.journal import Journal, record_to_dict
from matlog.prompts import Prompter, PromptTimeout
from matlog.ratings import ask_ratings, rate_later_command
from matlog.records import Condition, Session, new_id
from matlog.session import timer
from matlog.session.bells import Bells
from matlog.session.recovery import (
    RunningFile,
    journal_fields,
    pending_rating_path,
    write_json,
)

# ---------------------------------------------------------------------------------------
# The session

_NOT_BEGUN = "stopped before the session began; nothing was logged"


class Screen(Protocol):
    """What the session shows: the countdown (redrawn) and one-off lines."""

    def line(self, text: str) -> None: ...

    def countdown(self) -> contextlib.AbstractContextManager[Callable[[timer.Countdown], None]]: ...

    def status(self) -> contextlib.AbstractContextManager[Callable[..., None]]:
        """A line that changes in place (the settle-in's count): `show(text, *shorter)`, the
        longest form that fits the terminal; plain lines show only the first text. The line
        is ended when the block ends, however it ends."""
        ...


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
    trial: str | None = None  # tonight's trial session: the trial's id ...
    condition: Condition | None = None  # ... and the condition done


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
    after_skipped: bool = False  # Ctrl-C or Ctrl-D at the after-ratings


def run_session(plan: SessionPlan, runner: Runner) -> Outcome:
    metrics = runner.config.metrics
    before = dict(plan.before)
    try:
        if plan.ask_before:
            before |= ask_ratings(runner.prompter, metrics, "Before")
        with terminate_as_exception(), runner.key_mode():
            _settle(plan.settle_seconds, runner)
    except (KeyboardInterrupt, EOFError, Terminated):
        raise Interrupted(_NOT_BEGUN) from None
    except OSError as exc:  # the settle-in's line, written to a terminal that is gone
        if _hidden_signal(exc) is None:
            raise
        raise Interrupted(_NOT_BEGUN) from None

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
        trial=plan.trial,
        condition=plan.condition,
    )
    running = RunningFile(runner.state_dir, session.id or new_id(started))

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
        timed_out = skipped = False
        ask_after = plan.ask_after and signum is None and lost is None
        if signum is None and lost is None:
            session.after = dict(plan.after)
        try:
            with signals_held():  # a signal now waits until the true ending is saved
                beat(countdown)  # from here on, a kill still leaves the true ending behind
            if ask_after:
                # No "Time is up" line here: the summary line after the ratings says it.
                ask_ratings(
                    runner.prompter,
                    metrics,
                    "After",
                    timeout=runner.config.after_timeout_seconds,
                    into=session.after,
                )
        except PromptTimeout:
            timed_out = True
        except (KeyboardInterrupt, EOFError):
            skipped = ask_after  # the session ran: log it without (more) ratings
        except OSError:
            pass  # the terminal is gone: log it as it is
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
            {**journal_fields(runner.journal.path), "id": session.id},
        )
    return Outcome(session, after_timed_out=timed_out, signum=signum, after_skipped=skipped)


def _hidden_signal(exc: BaseException) -> int | None:
    """The SIGHUP/SIGTERM behind `exc`, when writing to a closed terminal raised over it."""
    seen = exc.__context__
    while seen is not None:
        if isinstance(seen, Terminated):
            return seen.signum
        seen = seen.__context__
    return None


def _settle(seconds: int, runner: Runner) -> None:
    """Time to lie down, counted down in place each `tick` (a plain screen says it once).

    q or Ctrl-C here means the session never began.
    """
    if seconds <= 0:
        return
    clock = runner.clock
    deadline = clock.monotonic() + seconds
    with runner.screen.status() as show:
        while (left := deadline - clock.monotonic()) > 0:
            count = format_duration(math.ceil(left))
            show(
                f"Lie down: the countdown starts in {count} with one bell (Enter: start now).",
                f"Lie down: starts in {count} (Enter: now)",
                f"Starts in {count} · Enter: now",
                f"Starts in {count}",
                count,
            )
            # Until the count shown changes (as the countdown's own `seconds_to_next_change`).
            to_change = left - (math.ceil(left / runner.tick) - 1) * runner.tick
            key = runner.keys.wait(min(left, to_change))
            if key in timer.STOP_KEYS:
                raise KeyboardInterrupt
            if key in ("\r", "\n"):
                break  # Enter: ready now
        show("Lie down: the countdown starts now.", "Starting now.", "Now.")


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


def end_lines(
    outcome: Outcome, metrics: Mapping[str, Better], next_seconds: int, *, rate_later: bool
) -> list[str]:
    """What `start` says at the end: the summary line, then how to rate what is not rated."""
    lines = [summary(outcome.session, metrics, next_seconds)]
    after = outcome.session.after
    command = rate_later_command(metrics, after)
    if outcome.after_timed_out:
        lines.append(f"No answer to the after-ratings: logged without them. `{command}` adds them.")
    elif outcome.after_skipped and any(name not in after for name in metrics):
        lines.append(f"After-ratings skipped: `{command}` adds them.")
    elif rate_later and any(name not in after for name in metrics):
        lines.append(f"Rate it later with `{command}`.")
    return lines
