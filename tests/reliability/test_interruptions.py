"""Every way a session can be cut short, at every moment, leaves what SPEC.md promises.

Before the countdown (a before-rating, the plan's warning question, the settle-in): nothing
is logged, exit 130, one line on stderr. During it: one record, `stopped` for Ctrl-C (exit 0),
`interrupted` for SIGHUP (129) and SIGTERM (143), with the time on the mat. From its end on
(the last bell, the redraw, saving the ending, the after-ratings, the append): one record with
its true ending and the ratings given so far. After kill -9: the next command logs it once,
from the heartbeat, and says so.

The matrix runs in-process: the real `matlog start` (CliRunner) with a fake clock, scripted
keys and prompts, and real signals raised in this process at chosen moments, so the signal
handlers under test are the real ones. The real-process tests at the end run the installed
`matlog` in a pseudo-terminal and send real signals, close the terminal, or kill -9 it.
"""

from __future__ import annotations

import contextlib
import errno
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pexpect
import pytest
from rel_util import figure, scale
from test_session import dead_running_file
from typer.testing import CliRunner

from matlog import paths, prompts, session
from matlog.cli import app
from matlog.clock import FakeClock
from matlog.env import Env
from matlog.journal import Journal
from matlog.journal.rescue import append_or_rescue
from matlog.records import Record, Session
from matlog.session import timer
from matlog.session.recovery import RunningFile, let_go_of_locks

SIGNALS = {"SIGINT": signal.SIGINT, "SIGHUP": signal.SIGHUP, "SIGTERM": signal.SIGTERM}
EXIT = {"SIGINT": 0, "EOF": 0, "SIGHUP": 129, "SIGTERM": 143}
MATLOG = str(Path(sys.executable).parent / "matlog")


class Killed(BaseException):
    """kill -9 at this moment: nothing after it runs; only what is on disk remains."""


class Unhandled(BaseException):
    """SIGHUP/SIGTERM where matlog has no handler: a real process would die of it."""


@pytest.fixture(autouse=True)
def signal_handlers() -> Iterator[Callable[..., Any]]:
    """A fallback for SIGHUP/SIGTERM (so a missing handler fails the test, not pytest), and
    afterwards: matlog put every handler back and left no signal blocked."""

    def fallback(signum: int, _frame: object) -> None:
        raise Unhandled(signum)

    old = {s: signal.signal(s, fallback) for s in (signal.SIGHUP, signal.SIGTERM)}
    # Ctrl-C as in a terminal, even where pytest was started with SIGINT ignored (`cmd &`).
    old[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield fallback
        assert signal.getsignal(signal.SIGHUP) is fallback
        assert signal.getsignal(signal.SIGTERM) is fallback
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
        assert not blocked & set(SIGNALS.values())
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@pytest.fixture(autouse=True)
def safety_notice_seen() -> None:
    """The first-start notice is not what these tests look at: it would be a stderr line."""
    folder = paths.ensure_private_dir(paths.state_dir())
    (folder / "seen-safety").touch()


# ---------------------------------------------------------------------------------------
# A scripted `matlog start`: a moment, and what arrives then


@dataclass
class Moment:
    """Where in a session something arrives, and what.

    Places, in session order: before-prompt-N, plan-prompt-N (the "Start anyway?"), settle,
    start-bell, wait (for a key), draw, heartbeat, interval-bell, end-bell, final-draw,
    screen-close, ending-saved, after-prompt-N, append, append-done.
    """

    place: str
    what: str  # SIGINT | SIGHUP | SIGTERM | EOF | KILL | EIO | SIGHUP+EIO
    at: float = 0.0  # seconds into the countdown, for places that recur
    fired_at: float | None = None


@dataclass
class Scenario:
    clock: FakeClock
    moments: list[Moment]  # in the order they come
    presses: list[tuple[float, str]] = field(default_factory=list)
    answers: dict[str, str] = field(default_factory=dict)  # "after-prompt-1" -> "3"
    origin: float | None = None  # monotonic time of the start bell
    over: bool = False  # the countdown (and its screen) is over
    asked: list[str] = field(default_factory=list)
    bells: list[str] = field(default_factory=list)

    @property
    def moment(self) -> Moment:
        return self.moments[0]

    @property
    def next(self) -> Moment | None:
        return next((m for m in self.moments if m.fired_at is None), None)

    def elapsed(self) -> float:
        return 0.0 if self.origin is None else self.clock.monotonic() - self.origin

    def here(self, place: str) -> None:
        """The session passes `place`: if it is the moment, the interruption arrives."""
        m = self.next
        if m is None or m.place != place or self.elapsed() + 1e-9 < m.at:
            return
        m.fired_at = self.elapsed()
        if m.what == "KILL":
            raise Killed
        if m.what == "EOF":
            raise EOFError
        if m.what == "EIO":  # a write to a terminal that is gone, no signal (yet)
            raise OSError(errno.EIO, os.strerror(errno.EIO))
        # A real signal to this process: the handler in place (matlog's) runs right here.
        try:
            signal.raise_signal(SIGNALS[m.what.removesuffix("+EIO")])
        except BaseException as exc:
            if m.what.endswith("+EIO"):  # writing to the closed terminal on the way out
                raise OSError(errno.EIO, os.strerror(errno.EIO)) from exc
            raise

    # -- what the session is given --------------------------------------------------

    def wait(self, timeout: float | None) -> str | None:
        """timer.Keys: keys from `presses`, time passes until the next thing or the moment."""
        self.here("settle" if self.origin is None else "wait")
        now = self.elapsed()
        steps = [5.0 if timeout is None else timeout]
        if self.presses:
            steps.append(self.presses[0][0] - now)
        if self.next is not None and self.next.at > now:
            steps.append(self.next.at - now)
        self.clock.advance(max(0.0, min(steps)))
        if self.presses and self.presses[0][0] <= self.elapsed() + 1e-9:
            return self.presses.pop(0)[1]
        return None

    def line(self, text: str) -> None:
        pass

    def status(self) -> contextlib.nullcontext[Callable[..., None]]:
        return contextlib.nullcontext(lambda text, *shorter: self.line(text))

    @contextlib.contextmanager
    def countdown(self) -> Iterator[Callable[[timer.Countdown], None]]:
        def draw(c: timer.Countdown) -> None:
            self.here("final-draw" if c.ended else "draw")

        try:
            yield draw
            self.here("screen-close")  # the terminal's teardown, after the countdown ended
        finally:
            self.over = True

    def ask(self, question: str) -> str:
        kind = question.split(" ")[0].lower()  # before | after | start
        count = sum(q.split(" ")[0].lower() == kind for q in self.asked) + 1
        self.asked.append(question)
        name = f"{'plan' if kind == 'start' else kind}-prompt-{count}"
        self.here(name)
        return self.answers.get(name, "")


class ScriptedBells(session.Bells):
    def __init__(self, scenario: Scenario) -> None:
        super().__init__()
        self.scenario = scenario

    def ring(self, event: timer.BellEvent) -> None:
        if event == "start":
            self.scenario.origin = self.scenario.clock.monotonic()
        self.scenario.bells.append(event)
        self.scenario.here(f"{event}-bell")


class ScriptedPrompter(prompts.Prompter):
    def __init__(self, scenario: Scenario) -> None:
        super().__init__(interactive=True, stdin=io.StringIO(), stdout=io.StringIO())
        self.scenario = scenario

    def ask(self, question: str, timeout: float | None = None) -> str:
        return self.scenario.ask(question)


class ScriptedEnv(Env):
    """The real `matlog start` path with the terminal, prompts and bells scripted."""

    def __init__(self, *, scenario: Scenario | None = None, **env: Any) -> None:
        super().__init__(**env)
        self.scenario = scenario

    def prompter(self) -> prompts.Prompter:
        assert self.scenario is not None
        return ScriptedPrompter(self.scenario)

    def session_runner(self, label: str | None = None) -> session.Runner:
        assert self.scenario is not None  # the scripted screen draws no label
        return session.Runner(
            journal=self.journal,
            config=self.config,
            clock=self.clock,
            keys=self.scenario,
            screen=self.scenario,
            bells=ScriptedBells(self.scenario),
            prompter=self.prompter(),
            state_dir=paths.state_dir(),
            append=self.append,
        )

    def append(self, records: Sequence[Record], *, skip_present: bool = False) -> list[Record]:
        assert self.scenario is not None
        self.scenario.here("append")
        added = super().append(records, skip_present=skip_present)
        self.scenario.here("append-done")
        return added


@pytest.fixture
def heartbeats_pass_by(monkeypatch: pytest.MonkeyPatch) -> list[Scenario]:
    """Heartbeats are places too: `heartbeat` in the countdown, `ending-saved` after it."""
    current: list[Scenario] = []
    real_beat = RunningFile.beat

    def beat(self: RunningFile, journal: Path, record: dict[str, Any], *rest: Any) -> None:
        if current:
            current[0].here("ending-saved" if current[0].over else "heartbeat")
        real_beat(self, journal, record, *rest)

    monkeypatch.setattr(RunningFile, "beat", beat)
    return current


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    scenario: Scenario
    journal: Path

    def sessions(self) -> list[Session]:
        return Journal(self.journal).read().sessions


def start(
    tmp_path: Path,
    hooks: list[Scenario],
    moment: Moment | list[Moment],
    *args: str,
    presses: Sequence[tuple[float, str]] = (),
    answers: dict[str, str] | None = None,
) -> Run:
    clock = FakeClock()
    moments = moment if isinstance(moment, list) else [moment]
    scenario = Scenario(clock, moments, sorted(presses), dict(answers or {}))
    hooks[:] = [scenario]
    journal = tmp_path / "journal.toml"
    env = ScriptedEnv(journal_path=journal, clock=clock, interactive=True, scenario=scenario)
    result = CliRunner().invoke(app, ["start", *args], obj=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr, scenario, journal)


def running_files() -> list[Path]:
    folder = paths.state_dir()
    return sorted(folder.glob("running-*.json")) if folder.is_dir() else []


# ---------------------------------------------------------------------------------------
# Before the countdown: nothing is logged, exit 130, one line on stderr

BEFORE = [
    # (place, what, extra args)
    ("before-prompt-1", "SIGINT", ()),
    ("before-prompt-1", "EOF", ()),
    ("before-prompt-2", "SIGINT", ()),  # after answering the first
    ("plan-prompt-1", "SIGINT", ("30",)),  # 30 min against a plan of 5: "Start anyway?"
    ("plan-prompt-1", "EOF", ("30",)),
    ("settle", "SIGINT", ()),
    ("settle", "SIGHUP", ()),
    ("settle", "SIGTERM", ()),
]


@pytest.mark.parametrize(("place", "what", "args"), BEFORE, ids=[f"{p}-{w}" for p, w, _ in BEFORE])
def test_before_the_countdown_nothing_is_logged(
    tmp_path: Path, heartbeats_pass_by: list[Scenario], place: str, what: str, args: tuple[str]
) -> None:
    run = start(
        tmp_path,
        heartbeats_pass_by,
        Moment(place, what),
        *(args or ("2",)),
        "--settle",
        "30s",
        answers={"before-prompt-1": "6"},
    )
    assert run.scenario.moment.fired_at is not None, "the moment never came"
    assert run.exit_code == 130
    # One line (after the plan's warning, if it was shown; a blank line ends the prompt).
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if not line.startswith("30m is well")]
    assert len(errors) == 1 and errors[0].startswith("matlog: "), run.stderr
    assert "nothing" in errors[0]
    assert not run.journal.exists()
    assert run.scenario.bells == []  # not even the start bell
    assert running_files() == []


def test_saying_no_to_the_plan_question_starts_nothing(
    tmp_path: Path, heartbeats_pass_by: list[Scenario]
) -> None:
    run = start(tmp_path, heartbeats_pass_by, Moment("nowhere", "SIGINT"), "30", "--settle", "0")
    assert run.exit_code == 0 and "Not started." in run.stdout
    assert not run.journal.exists() and running_files() == []


# ---------------------------------------------------------------------------------------
# During the countdown: one record, its time on the mat, 0 / 129 / 143

DURING = [
    # (place, at, presses, seconds on the mat expected)
    ("start-bell", 0, (), 0),
    ("wait", 37, (), 37),
    ("draw", 37, (), 37),
    ("heartbeat", 37, (), 40),  # the first heartbeat from 37 s on
    ("interval-bell", 50, (), 50),
    ("paused", 37, ((27, " "),), 27),  # paused at 27: the pause is not counted
]
ENDED_BY = {"SIGINT": "stopped", "SIGHUP": "interrupted", "SIGTERM": "interrupted"}


@pytest.mark.parametrize("what", list(SIGNALS))
@pytest.mark.parametrize(("place", "at", "presses", "seconds"), DURING, ids=[d[0] for d in DURING])
def test_during_the_countdown_one_record_with_the_time_on_the_mat(
    tmp_path: Path,
    heartbeats_pass_by: list[Scenario],
    place: str,
    at: float,
    presses: tuple[tuple[float, str]],
    seconds: int,
    what: str,
) -> None:
    run = start(
        tmp_path,
        heartbeats_pass_by,
        Moment("wait" if place == "paused" else place, what, at),
        "2",
        "--settle",
        "0",
        "--bell-every",
        "50s",
        "-b",
        "pain=6",
        presses=presses,
    )
    assert run.scenario.moment.fired_at is not None, "the moment never came"
    assert run.exit_code == EXIT[what], run.stderr
    [logged] = run.sessions()
    assert logged.ended == ENDED_BY[what]
    assert logged.actual_seconds == seconds
    assert logged.before == {"pain": 6}
    # Ctrl-C stops like `q`: the after-ratings follow. SIGHUP/SIGTERM: nobody is there.
    assert len(run.scenario.asked) == (3 if what == "SIGINT" else 0)
    assert "Traceback" not in run.stdout + run.stderr and "matlog:" not in run.stderr
    assert running_files() == []
    assert not (paths.state_dir() / "pending-rating.json").exists()


# ---------------------------------------------------------------------------------------
# From the end of the countdown on: the true ending, the ratings given so far

AFTER = [
    "end-bell",  # the three bells at the end
    "final-draw",  # the last redraw
    "screen-close",  # clearing the countdown, restoring the terminal
    "ending-saved",  # the heartbeat file gets the true ending
    "after-prompt-1",
    "after-prompt-2",  # after answering pain = 3
    "append",  # while the record is written: it waits, the record is whole
]


AFTER_CASES = [
    (place, what)
    for place in AFTER
    for what in [*SIGNALS, *(["EOF"] if place.startswith("after-prompt") else [])]
]


@pytest.mark.parametrize(("place", "what"), AFTER_CASES, ids=[f"{p}-{w}" for p, w in AFTER_CASES])
def test_from_the_end_on_the_true_ending_is_logged_once(
    tmp_path: Path, heartbeats_pass_by: list[Scenario], place: str, what: str
) -> None:
    run = start(
        tmp_path,
        heartbeats_pass_by,
        Moment(place, what, 120 if place.endswith(("bell", "draw")) else 0),
        "2",
        "--settle",
        "0",
        "-b",
        "pain=6",
        answers={"after-prompt-1": "3", "after-prompt-2": "4", "after-prompt-3": "5"},
    )
    assert run.scenario.moment.fired_at is not None, "the moment never came"
    assert run.exit_code == EXIT[what], run.stderr
    [logged] = run.sessions()
    assert (logged.ended, logged.actual_seconds) == ("finished", 120)
    asked = len(run.scenario.asked)
    # The ratings answered before the interruption are kept; none after it are asked.
    expected = [{}, {}, {"pain": 3}, {"pain": 3, "stress": 4, "mood": 5}][asked]
    if place.startswith("after-prompt"):
        assert asked == int(place[-1])
    assert logged.after == expected
    assert logged.before == {"pain": 6}
    assert "Traceback" not in run.stdout + run.stderr and "matlog:" not in run.stderr
    assert running_files() == []


SECOND = ["ending-saved", "append"]


@pytest.mark.parametrize("second", SECOND)
def test_a_second_signal_while_the_first_is_handled_changes_nothing(
    tmp_path: Path, heartbeats_pass_by: list[Scenario], second: str
) -> None:
    # SIGHUP on closing the terminal, then SIGTERM (the system shutting down) or Ctrl-C.
    for what in ("SIGTERM", "SIGINT"):
        journal = tmp_path / what / "journal.toml"
        moments = [Moment("wait", "SIGHUP", 30), Moment(second, what)]
        run = start(journal.parent, heartbeats_pass_by, moments, "2", "--settle", "0")
        assert run.scenario.moments[1].fired_at is not None
        assert run.exit_code == 129
        [logged] = run.sessions()
        assert (logged.ended, logged.actual_seconds) == ("interrupted", 30)
        assert running_files() == []


def test_shutdown_sigterm_then_sigkill_leaves_the_true_ending(
    tmp_path: Path, heartbeats_pass_by: list[Scenario], clock: FakeClock
) -> None:
    # systemd at shutdown: SIGTERM, then SIGKILL if the process is still there. SIGTERM came
    # just as the session finished; SIGKILL while the record was being written.
    moments = [Moment("ending-saved", "SIGTERM"), Moment("append", "KILL")]
    with pytest.raises(Killed):
        start(tmp_path, heartbeats_pass_by, moments, "2", "--settle", "0", "--no-ratings")
    die()
    recovered = CliRunner().invoke(app, ["log"], obj=Env(tmp_path / "journal.toml", clock=clock))
    assert "logged it as finished" in recovered.stderr
    [logged] = Journal(tmp_path / "journal.toml").read().sessions
    assert (logged.ended, logged.actual_seconds) == ("finished", 120)


@pytest.mark.parametrize("what", ["SIGHUP+EIO", "SIGTERM+EIO", "EIO"])
@pytest.mark.parametrize("place", ["draw", "interval-bell"])
def test_the_terminal_gone_mid_draw_still_logs_the_session(
    tmp_path: Path, heartbeats_pass_by: list[Scenario], place: str, what: str
) -> None:
    # The window closes: writes to it fail (EIO), and that error may hide the SIGHUP it
    # came with. Without any signal, the error is reported, after the session is logged.
    run = start(
        tmp_path,
        heartbeats_pass_by,
        Moment(place, what, 50),
        "2",
        "--settle",
        "0",
        "--bell-every",
        "50s",
    )
    [logged] = run.sessions()
    assert (logged.ended, logged.actual_seconds) == ("interrupted", 50)
    assert running_files() == []
    signum = what.removesuffix("+EIO")
    if signum in SIGNALS:
        assert run.exit_code == EXIT[signum] and run.stderr == ""
    else:
        assert run.exit_code == 1
        assert run.stderr == "matlog: cannot write the output: Input/output error\n"


# ---------------------------------------------------------------------------------------
# kill -9: the next command logs it once, from the last heartbeat (every 5 s)


def die() -> None:
    """What kill -9 leaves: this process's heartbeat file, its lock let go by the kernel."""
    assert len(running_files()) == 1
    let_go_of_locks()


KILLS = [
    # (place, at, presses, what the next command logs: (ended, seconds); None: nothing to
    # recover; "logged": it was logged already, and is not logged twice)
    ("start-bell", 0, (), None),  # before the first heartbeat: nothing ran, nothing to log
    ("wait", 3, (), ("interrupted", 0)),
    ("wait", 7, (), ("interrupted", 5)),
    ("wait", 23, (), ("interrupted", 20)),
    ("wait", 61, (), ("interrupted", 60)),
    ("heartbeat", 40, (), ("interrupted", 35)),  # killed just before writing the next one
    ("wait", 40, ((20, " "),), ("interrupted", 20)),  # paused at 20
    ("after-prompt-1", 0, (), ("finished", 120)),
    ("after-prompt-2", 0, (), ("finished", 120)),  # pain = 3 was typed: lost with the process
    ("append", 0, (), ("finished", 120)),
    ("append-done", 0, (), "logged"),  # killed after its append: not logged twice
]
KILL_IDS = [f"{k[0]}-{k[1]}" + ("-paused" if k[2] else "") for k in KILLS]


@pytest.mark.parametrize(("place", "at", "presses", "recovered"), KILLS, ids=KILL_IDS)
def test_kill_9_is_recovered_once_from_the_last_heartbeat(
    tmp_path: Path,
    heartbeats_pass_by: list[Scenario],
    place: str,
    at: float,
    presses: tuple[tuple[float, str]],
    recovered: tuple[str, int] | str | None,
    clock: FakeClock,
) -> None:
    with pytest.raises(Killed):
        start(
            tmp_path,
            heartbeats_pass_by,
            Moment(place, "KILL", at),
            "2",
            "--settle",
            "0",
            "-b",
            "pain=6",
            presses=presses,
            answers={"after-prompt-1": "3"},
        )
    heartbeats_pass_by.clear()
    journal = tmp_path / "journal.toml"
    if recovered is None:
        assert running_files() == [] and not journal.exists()
        return
    die()
    before = [s.id for s in Journal(journal).read().sessions]
    env = Env(journal_path=journal, clock=clock)
    first = CliRunner().invoke(app, ["log"], obj=env)
    second = CliRunner().invoke(app, ["log"], obj=Env(journal_path=journal, clock=clock))
    assert first.exit_code == 0 and second.exit_code == 0
    [logged] = Journal(journal).read().sessions
    assert logged.before == {"pain": 6}
    if recovered == "logged":
        assert before == [logged.id]
        assert "did not end normally" not in first.stderr
    else:
        ended, seconds = recovered
        assert before == []
        assert (logged.ended, logged.actual_seconds) == (ended, seconds)
        assert "did not end normally" in first.stderr
        assert f"logged it as {ended}" in first.stderr
    assert "did not end normally" not in second.stderr
    assert running_files() == []


# ---------------------------------------------------------------------------------------
# Recovery exactly once, with many commands starting at the same moment


def _recover_in_child(
    journal: Path, barrier: Any, results: Any, skip_present: bool, lock: bool
) -> None:
    """One process's recovery (forked): how many sessions it logged, put on `results`."""
    if not lock:  # the heartbeat file's lock only; the journal keeps its own
        import matlog.session.recovery

        no_lock = SimpleNamespace(flock=lambda fd, op: None, LOCK_EX=0, LOCK_NB=0)
        matlog.session.recovery.fcntl = no_lock  # type: ignore[assignment]

    def append_to(path: Path, record: Session) -> bool:
        return bool(append_or_rescue(Journal(path), [record], skip_present=skip_present))

    barrier.wait()
    results.put(len(session.recover(paths.state_dir(), append_to)))


def recover_at_once(tmp_path: Path, processes: int, *, skip_present: bool, lock: bool) -> int:
    journal = tmp_path / "journal.toml"
    journal.unlink(missing_ok=True)
    dead_running_file(paths.state_dir(), journal, elapsed=421)
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(processes), ctx.SimpleQueue()
    children = [
        ctx.Process(target=_recover_in_child, args=(journal, barrier, results, skip_present, lock))
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    logged = [results.get() for _ in children]
    records = Journal(journal).read().sessions
    assert sum(logged) == len(records)
    assert running_files() == []
    return len(records)


@pytest.mark.parametrize(
    ("skip_present", "lock"),
    [(True, True), (False, True), (True, False)],
    ids=["both-guards", "lock-only", "journal-check-only"],
)
def test_recovery_from_many_processes_at_once_logs_once(
    tmp_path: Path, skip_present: bool, lock: bool
) -> None:
    # Either guard alone is enough: the lock on the heartbeat file (orphans()), and the
    # journal's own check for the id under its lock (skip_present).
    processes, trials = 8, scale(20, 200)
    counts = [
        recover_at_once(tmp_path, processes, skip_present=skip_present, lock=lock)
        for _ in range(trials)
    ]
    assert counts == [1] * trials
    guards = "both guards" if skip_present and lock else "lock only" if lock else "id check only"
    figure(
        f"kill -9 recovery, {processes} processes at once against one orphan ({guards}): "
        f"{trials}/{trials} trials logged it exactly once"
    )


# ---------------------------------------------------------------------------------------
# The installed matlog in a real terminal, real signals


@pytest.fixture
def env(tmp_path: Path, isolated_home: Path) -> dict[str, str]:
    config = tmp_path / "config.toml"
    # The after-ratings never time out here: each test acts at once. No terminal bells:
    # the three at the end are 0.7 s apart, and these tests wait for the after-ratings.
    config.write_text('after_timeout = "20s"\nbell = false\n')
    paths.ensure_private_dir(paths.state_dir())
    (paths.state_dir() / "seen-safety").touch()
    return {
        **os.environ,
        "MATLOG_JOURNAL": str(tmp_path / "journal.toml"),
        "MATLOG_CONFIG": str(config),
        "TERM": "xterm-256color",
    }


def spawn(args: list[str], env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(
        MATLOG,
        args,
        env=env,
        encoding="utf-8",
        timeout=10,
        dimensions=(30, 80),
        # As a shell in a terminal starts it, even if these tests run with SIGINT ignored.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def finish(child: pexpect.spawn) -> pexpect.spawn:
    child.expect(pexpect.EOF)
    child.close()
    return child


def close_terminal(child: pexpect.spawn) -> pexpect.spawn:
    """The terminal window closes: the kernel hangs up the terminal and sends SIGHUP."""
    child.ptyproc.fileobj.close()
    child.wait()
    return child


def logged(env: dict[str, str]) -> list[Session]:
    return Journal(Path(env["MATLOG_JOURNAL"])).read().sessions


REAL_BEFORE = ["ctrl-c", "SIGHUP", "SIGTERM"]


@pytest.mark.parametrize("how", REAL_BEFORE)  # well under a second each: not marked e2e
@pytest.mark.parametrize("moment", ["before-rating", "settle-in"])
def test_real_interruption_before_the_countdown_logs_nothing(
    env: dict[str, str], moment: str, how: str
) -> None:
    child = spawn(["start", "1s", "--settle", "20s"], env)
    child.expect("Before — pain")
    if moment == "settle-in":
        child.sendline("")
        child.sendline("")
        child.sendline("")
        child.expect("Lie down")
    if how == "ctrl-c":
        child.sendintr()
    else:
        child.kill(SIGNALS[how])
    finish(child)
    if moment == "before-rating" and how != "ctrl-c":
        assert child.signalstatus == SIGNALS[how]  # no handler there yet: the default, death
    else:
        assert child.exitstatus == 130
        last = child.before.strip().splitlines()[-1]
        assert last == "matlog: stopped before the session began; nothing was logged"
    assert "Traceback" not in child.before
    assert logged(env) == []
    assert running_files() == []


REAL_DURING = [
    ("ctrl-c", "stopped", 0),
    ("SIGTERM", "interrupted", 143),
    ("close", "interrupted", 129),
]


@pytest.mark.e2e
@pytest.mark.parametrize(("how", "ended", "code"), REAL_DURING, ids=[r[0] for r in REAL_DURING])
def test_real_interruption_during_the_countdown(
    env: dict[str, str], how: str, ended: str, code: int
) -> None:
    child = spawn(["start", "60s", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    time.sleep(1.2)
    if how == "close":
        close_terminal(child)
    else:
        if how == "ctrl-c":
            child.sendintr()
        else:
            child.kill(SIGNALS[how])
        finish(child)
        assert "Traceback" not in child.before
    assert child.exitstatus == code
    [s] = logged(env)
    assert s.ended == ended and 1 <= s.actual_seconds <= 3
    assert running_files() == []


REAL_AFTER = ["ctrl-c", "SIGTERM", "close", "kill-9"]


@pytest.mark.e2e
@pytest.mark.parametrize("how", REAL_AFTER)
def test_real_interruption_at_the_after_ratings(env: dict[str, str], how: str) -> None:
    child = spawn(["start", "1s", "--settle", "0", "-b", "pain=6"], env)
    child.expect("After — pain")
    child.sendline("3")
    child.expect("After — stress")
    if how == "close":
        close_terminal(child)
    elif how == "kill-9":
        child.kill(signal.SIGKILL)
        child.close(force=True)
        assert logged(env) == []
        out = subprocess.run([MATLOG, "log"], env=env, capture_output=True, text=True)
        assert "did not end normally" in out.stderr and "logged it as finished" in out.stderr
        again = subprocess.run([MATLOG, "log"], env=env, capture_output=True, text=True)
        assert "did not end normally" not in again.stderr
    else:
        if how == "ctrl-c":
            child.sendintr()
        else:
            child.kill(signal.SIGTERM)
        finish(child)
        assert "Traceback" not in child.before
    if how != "kill-9":
        assert child.exitstatus == {"ctrl-c": 0, "SIGTERM": 143, "close": 129}[how]
    [s] = logged(env)
    assert (s.ended, s.actual_seconds, s.before) == ("finished", 1, {"pain": 6})
    # The rating typed before the interruption is kept; after kill -9 it died with the process.
    assert s.after == ({} if how == "kill-9" else {"pain": 3})
    assert running_files() == []


@pytest.mark.e2e
def test_real_kill_9_then_many_commands_at_once_log_it_once(env: dict[str, str]) -> None:
    child = spawn(["start", "60s", "--settle", "0", "--no-ratings"], env)
    child.expect("ends at")
    time.sleep(0.5)
    child.kill(signal.SIGKILL)
    child.close(force=True)
    processes = 8
    commands = [
        subprocess.Popen(
            [MATLOG, "log"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    said = [c.communicate(timeout=20)[1] for c in commands]
    assert all(c.returncode == 0 for c in commands), said
    assert sum("did not end normally" in s for s in said) == 1
    [s] = logged(env)
    assert (s.ended, s.actual_seconds) == ("interrupted", 0)  # the heartbeat at the start
    assert running_files() == []
    figure(f"real kill -9, then {processes} `matlog log` at once: logged once, said once")
