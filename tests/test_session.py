"""A whole session with a fake clock, scripted keys and recorded bells."""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from test_timer import ScriptedKeys

from matlog import ratings, session
from matlog.clock import FakeClock
from matlog.config import Config
from matlog.errors import Interrupted, UsageError
from matlog.journal import Journal
from matlog.prompts import Prompter, PromptTimeout
from matlog.session import timer
from matlog.session.recovery import RunningFile, let_go_of_locks


@dataclass
class RecordingScreen:
    lines: list[str] = field(default_factory=list)
    draws: int = 0
    statuses: list[list[str]] = field(default_factory=list)  # each in-place line's texts

    def line(self, text: str) -> None:
        self.lines.append(text)

    def status(self):  # type: ignore[no-untyped-def]
        import contextlib

        self.statuses.append([])
        shown = self.statuses[-1]
        return contextlib.nullcontext(lambda text, *shorter: shown.append(text))

    def countdown(self):  # type: ignore[no-untyped-def]
        import contextlib

        @contextlib.contextmanager
        def cm():  # type: ignore[no-untyped-def]
            def draw(_c: timer.Countdown) -> None:
                self.draws += 1

            yield draw

        return cm()


class RecordingBells(session.Bells):
    def __init__(self) -> None:
        super().__init__()
        self.rung: list[str] = []

    def ring(self, event: timer.BellEvent) -> None:
        self.rung.append(event)


class SleepyPrompter(Prompter):
    """Answers the before-questions, then falls asleep at the after-questions."""

    def ask(self, question: str, timeout: float | None = None) -> str:
        if question.startswith("After"):
            raise PromptTimeout
        return super().ask(question, timeout)


def make_runner(
    tmp_path: Path,
    clock: FakeClock,
    presses=(),
    answers: str = "",
    prompter_class: type[Prompter] = Prompter,
) -> session.Runner:
    journal = Journal(tmp_path / "journal.toml")
    return session.Runner(
        journal=journal,
        config=Config(),
        clock=clock,
        keys=ScriptedKeys(clock, list(presses)),
        screen=RecordingScreen(),
        bells=RecordingBells(),
        prompter=prompter_class(interactive=True, stdin=io.StringIO(answers), stdout=io.StringIO()),
        state_dir=tmp_path / "state",
        append=journal.append,
    )


def test_a_finished_session_is_logged_once_with_its_ratings(
    tmp_path: Path, clock: FakeClock
) -> None:
    runner = make_runner(tmp_path, clock)
    plan = session.SessionPlan(
        planned_seconds=600,
        area="back",
        before={"pain": 6},
        after={"pain": 3},
        tags=["bedtime"],
        settle_seconds=10,
        note="calm",
    )
    outcome = session.run_session(plan, runner)
    [logged] = runner.journal.read().sessions
    assert logged.ended == "finished"
    assert logged.actual_seconds == 600
    assert logged.before == {"pain": 6} and logged.after == {"pain": 3}
    assert logged.tags == ["bedtime"] and logged.note == "calm"
    assert logged.id == outcome.session.id
    # started is when the countdown began, after the 10 s settle-in.
    assert (logged.started - clock._start).total_seconds() == 10
    assert runner.bells.rung == ["start", "end"]  # type: ignore[attr-defined]
    assert not list((tmp_path / "state").glob("running-*.json"))


def test_prompts_skip_on_enter_and_ask_again_on_bad_values(
    tmp_path: Path, clock: FakeClock
) -> None:
    answers = "6\n\n11\nseven\n4\n" + "3\n2\n\n"
    runner = make_runner(tmp_path, clock, answers=answers)
    plan = session.SessionPlan(
        planned_seconds=60, area="back", ask_before=True, ask_after=True, settle_seconds=0
    )
    session.run_session(plan, runner)
    [logged] = runner.journal.read().sessions
    assert logged.before == {"pain": 6, "mood": 4}
    assert logged.after == {"pain": 3, "stress": 2}


def test_asleep_at_the_after_prompt_logs_without_ratings_and_owes_them(
    tmp_path: Path, clock: FakeClock
) -> None:
    runner = make_runner(tmp_path, clock, answers="5\n\n\n", prompter_class=SleepyPrompter)
    plan = session.SessionPlan(
        planned_seconds=60, area="back", ask_before=True, ask_after=True, settle_seconds=0
    )
    outcome = session.run_session(plan, runner)
    assert outcome.after_timed_out
    [logged] = runner.journal.read().sessions
    assert logged.after == {} and logged.before == {"pain": 5}
    owed = session.owed_rating(runner.state_dir, runner.journal, [logged])
    assert owed is not None and owed.id == logged.id
    ratings.add_after_ratings(runner.journal, owed.id, {"pain": 2})
    [rated] = runner.journal.read().sessions
    assert rated.after == {"pain": 2} and rated.id == logged.id
    # Once rated, nothing is owed any more.
    assert session.owed_rating(runner.state_dir, runner.journal, [rated]) is None


def test_the_rating_owed_names_its_journal_absolutely(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = make_runner(tmp_path, clock, prompter_class=SleepyPrompter)
    runner.journal = Journal(Path("journal.toml"))  # as typed: relative
    runner.append = runner.journal.append
    plan = session.SessionPlan(planned_seconds=60, area="back", ask_after=True, settle_seconds=0)
    session.run_session(plan, runner)
    data = json.loads((runner.state_dir / "pending-rating.json").read_text())
    assert data["journal"] == str(tmp_path / "journal.toml")
    [logged] = runner.journal.read().sessions
    monkeypatch.chdir(tmp_path / "state")  # another folder: the same journal is owed
    owed = session.owed_rating(runner.state_dir, Journal(tmp_path / "journal.toml"), [logged])
    assert owed is not None and owed.id == logged.id


@pytest.mark.parametrize(
    ("key", "ended", "seconds"), [("q", "stopped", 125), ("d", "discomfort", 125)]
)
def test_stopping_early_logs_the_time_on_the_mat(
    tmp_path: Path, clock: FakeClock, key: str, ended: str, seconds: int
) -> None:
    runner = make_runner(tmp_path, clock, presses=[(125, key)])
    session.run_session(
        session.SessionPlan(planned_seconds=600, area="back", settle_seconds=0), runner
    )
    [logged] = runner.journal.read().sessions
    assert (logged.ended, logged.actual_seconds) == (ended, seconds)


def test_pauses_are_not_counted(tmp_path: Path, clock: FakeClock) -> None:
    runner = make_runner(tmp_path, clock, presses=[(30, " "), (90, " "), (100, "q")])
    session.run_session(
        session.SessionPlan(planned_seconds=600, area="back", settle_seconds=0), runner
    )
    [logged] = runner.journal.read().sessions
    assert logged.actual_seconds == 40


def test_sigterm_during_the_countdown_logs_interrupted(tmp_path: Path, clock: FakeClock) -> None:
    runner = make_runner(tmp_path, clock)

    class Hangup:
        def wait(self, timeout: float | None) -> None:
            clock.advance(timeout or 1)
            if clock.monotonic() - 1000 > 200:
                raise session.Terminated(1)

    runner.keys = Hangup()
    outcome = session.run_session(
        session.SessionPlan(planned_seconds=600, area="back", settle_seconds=0), runner
    )
    assert outcome.signum == 1
    [logged] = runner.journal.read().sessions
    assert logged.ended == "interrupted"
    assert 200 <= logged.actual_seconds <= 202


def test_ctrl_c_before_the_countdown_logs_nothing(tmp_path: Path, clock: FakeClock) -> None:
    runner = make_runner(tmp_path, clock, presses=[(3, "q")])
    with pytest.raises(Interrupted):
        session.run_session(
            session.SessionPlan(planned_seconds=600, area="back", settle_seconds=10), runner
        )
    assert runner.journal.read().sessions == []


def test_the_heartbeat_file_holds_the_session_so_far(tmp_path: Path, clock: FakeClock) -> None:
    runner = make_runner(tmp_path, clock)
    seen: list[dict] = []

    class Peeking:
        def wait(self, timeout: float | None) -> None:
            clock.advance(timeout or 1)
            found = sorted(runner.state_dir.glob("running-*.json"))
            path = found[0] if found else runner.state_dir / "none"
            if path.exists() and clock.monotonic() - 1000 > 100 and not seen:
                seen.append(json.loads(path.read_text()))
                assert os.stat(path).st_mode & 0o777 == 0o600

    runner.keys = Peeking()
    session.run_session(
        session.SessionPlan(planned_seconds=300, area="neck", settle_seconds=0), runner
    )
    assert seen and seen[0]["record"]["area"] == "neck"
    assert 95 <= seen[0]["actual_seconds"] <= 101


def dead_running_file(
    state_dir: Path,
    journal: Path,
    elapsed: int,
    ended: str = "interrupted",
    record_id: str = "01TESTRECOVERED0000000000A",
) -> Path:
    running = RunningFile(state_dir, record_id)
    clock = FakeClock()
    record = {
        "id": record_id,
        "started": clock.now().isoformat(),
        "planned_seconds": 900,
        "actual_seconds": 0,
        "ended": "interrupted",
        "area": "back",
    }
    running.beat(journal, record, elapsed, ended, clock.now())
    let_go_of_locks()  # what kill -9 leaves: the heartbeat, its lock let go by the kernel
    return running.path


def test_a_killed_session_is_recovered_exactly_once(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    journal = Journal(tmp_path / "journal.toml")
    dead_running_file(state_dir, journal.path, elapsed=421)

    def append_to(path: Path, record) -> bool:  # type: ignore[no-untyped-def]
        return bool(Journal(path).append([record], skip_present=True))

    [recovered] = session.recover(state_dir, append_to)
    assert (recovered.ended, recovered.actual_seconds) == ("interrupted", 421)
    assert session.recover(state_dir, append_to) == []
    assert len(journal.read().sessions) == 1


def test_recovery_never_doubles_a_session_already_logged(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    journal = Journal(tmp_path / "journal.toml")
    path = dead_running_file(state_dir, journal.path, elapsed=600, ended="finished")
    session.recover(state_dir, lambda p, r: bool(Journal(p).append([r], skip_present=True)))
    # Killed after the append but before removing its file: the file comes back.
    dead_running_file(state_dir, journal.path, elapsed=600, ended="finished")
    assert path.exists()
    assert (
        session.recover(state_dir, lambda p, r: bool(Journal(p).append([r], skip_present=True)))
        == []
    )
    assert [s.ended for s in journal.read().sessions] == ["finished"]


def test_a_live_session_is_not_recovered(tmp_path: Path, clock: FakeClock) -> None:
    state_dir = tmp_path / "state"
    running = RunningFile(state_dir, "01TESTLIVE000000000000000A")
    running.beat(
        tmp_path / "j.toml", {"started": clock.now().isoformat()}, 5, "interrupted", clock.now()
    )
    try:
        assert session.recover(state_dir, lambda p, r: True) == []
    finally:
        running.remove()


def test_liveness_is_the_lock_never_the_pid(tmp_path: Path, clock: FakeClock) -> None:
    # A PID namespace repeats PIDs: a dead heartbeat may name this very process, and a live
    # one a PID that is dead here. Only the lock on the session's lock file counts.
    state_dir = tmp_path / "state"
    journal = Journal(tmp_path / "journal.toml")
    dead = dead_running_file(
        state_dir, journal.path, elapsed=30, record_id="01TESTDEAD0000000000000000"
    )
    data = json.loads(dead.read_text())
    dead.write_text(json.dumps({**data, "pid": os.getpid()}))
    live = RunningFile(state_dir, "01TESTLIVE000000000000000A")
    live.beat(journal.path, {"started": clock.now().isoformat()}, 5, "interrupted", clock.now())
    data = json.loads(live.path.read_text())
    live.path.write_text(json.dumps({**data, "pid": 2**22 + 1}))
    try:
        logged = session.recover(state_dir, lambda p, r: bool(Journal(p).append([r])))
        assert [s.id for s in logged] == ["01TESTDEAD0000000000000000"]
        assert live.path.exists() and not dead.exists()
    finally:
        live.remove()
    assert sorted(p.name for p in state_dir.iterdir()) == []


def test_a_lock_left_without_a_heartbeat_is_removed_unless_held(
    tmp_path: Path, clock: FakeClock
) -> None:
    # Killed between taking its lock and writing its first heartbeat: only the lock is left.
    state_dir = tmp_path / "state"
    killed = RunningFile(state_dir, "01TESTKILLED00000000000000")
    killed.hold()
    let_go_of_locks()  # the kernel, at the kill
    starting = RunningFile(state_dir, "01TESTSTARTING000000000000")
    starting.hold()  # a session starting now: held, its heartbeat not yet written
    try:
        assert session.recover(state_dir, lambda p, r: True) == []
        assert not killed.lock_path.exists()
        assert starting.lock_path.exists()
        starting.beat(
            tmp_path / "j.toml", {"started": clock.now().isoformat()}, 5, "interrupted", clock.now()
        )
        assert starting.path.exists()  # its lock is still the one it holds
        assert session.recover(state_dir, lambda p, r: True) == []
    finally:
        starting.remove()
    assert sorted(p.name for p in state_dir.iterdir()) == []


def test_a_heartbeat_from_before_locks_is_recovered_by_its_pid(tmp_path: Path) -> None:
    # Written by a matlog from before the locks: `running-PID.json`, no lock file.
    state_dir = tmp_path / "state"
    journal = Journal(tmp_path / "journal.toml")
    path = dead_running_file(state_dir, journal.path, elapsed=42)
    data = json.loads(path.read_text())
    for key in ("format", "session"):
        del data[key]
    path.unlink()
    path.with_suffix(".lock").unlink()
    (state_dir / "running-4194305.json").write_text(json.dumps({**data, "pid": 2**22 + 1}))
    mine = state_dir / f"running-{os.getpid()}.json"  # alive: this process, with matlog...
    mine.write_text(
        json.dumps(
            {
                **data,
                "pid": os.getpid(),
                "record": {**data["record"], "id": "01TESTMINE000000000000000A"},
            }
        )
    )
    logged = session.recover(state_dir, lambda p, r: bool(Journal(p).append([r])))
    # ...but this matlog writes locks: a lock-less heartbeat naming it is not its own.
    assert sorted(s.actual_seconds for s in logged) == [42, 42]
    assert list(state_dir.glob("running-*")) == []


def test_state_files_name_a_journal_byte_for_byte(tmp_path: Path) -> None:
    from matlog.session.recovery import journal_fields, journal_from, read_json, write_json

    journal = Path(os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9/j.toml"))  # not UTF-8
    write_json(tmp_path / "state.json", {**journal_fields(journal), "note": "caf\udce9"})
    data = read_json(tmp_path / "state.json")
    assert data is not None and journal_from(data) == journal
    assert data["note"] == "caf\udce9"  # a lone surrogate is stored as its escape
    assert data["journal"] == str(tmp_path) + "/caf\ufffd/j.toml"  # for people: U+FFFD


@pytest.mark.parametrize("damage", ["cut-short", "not-a-record", "unreadable"])
def test_a_heartbeat_that_cannot_be_read_is_set_aside_never_deleted(
    tmp_path: Path, damage: str
) -> None:
    state_dir = tmp_path / "state"
    path = dead_running_file(state_dir, tmp_path / "journal.toml", elapsed=30)
    whole = path.read_bytes()
    if damage == "cut-short":
        path.write_bytes(whole[:40])
    elif damage == "not-a-record":
        path.write_text(json.dumps({**json.loads(whole), "record": {"started": "soon"}}))
    else:
        path.chmod(0)
        if os.access(path, os.R_OK):  # root reads anything: play the refusal
            path.write_bytes(b"\xff\xfe")
    damaged = path.read_bytes() if os.access(path, os.R_OK) else None
    notes: list[str] = []
    assert session.recover(state_dir, lambda p, r: True, notes) == []
    aside = state_dir / f"unreadable-{path.name}"
    [note] = notes
    assert str(aside) in note and "nothing was deleted" in note
    assert aside.exists() and not path.exists()
    if damaged is not None:
        assert aside.read_bytes() == damaged
    again: list[str] = []
    assert session.recover(state_dir, lambda p, r: True, again) == [] and again == []
    assert sorted(p.name for p in state_dir.iterdir()) == [aside.name]


@pytest.mark.skipif(os.getuid() != 0, reason="chown needs root")
def test_a_heartbeat_of_another_user_is_skipped_with_one_note(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    path = dead_running_file(state_dir, tmp_path / "journal.toml", elapsed=30)
    os.chown(path, 65534, 65534)  # left by `sudo matlog start`, seen from the other side
    for expected in (1, 0):
        notes: list[str] = []
        assert session.recover(state_dir, lambda p, r: True, notes) == []
        assert len(notes) == expected and all("another user" in n for n in notes)
        assert path.exists()


def test_a_short_write_never_reaches_the_heartbeat(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A nearly full disk: a long note makes the heartbeat's write come up short.
    import errno

    from matlog import privatefiles

    running = RunningFile(tmp_path / "state", "01TESTSHORT00000000000000A")
    record = {"started": clock.now().isoformat(), "note": "short"}
    running.beat(tmp_path / "j.toml", record, 5, "interrupted", clock.now())
    whole = running.path.read_bytes()
    real_write = os.write

    def full_disk(fd: int, data: bytes) -> int:
        if len(data) > 4096:
            return real_write(fd, bytes(data)[:4096])  # what fits
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(privatefiles.os, "write", full_disk)
    with pytest.raises(OSError):
        running.beat(
            tmp_path / "j.toml", {**record, "note": "x" * 20000}, 10, "interrupted", clock.now()
        )
    monkeypatch.undo()
    assert running.path.read_bytes() == whole  # the last whole heartbeat, never a part
    assert [p.name for p in running.folder.iterdir() if p.name.startswith(".")] == []
    running.remove()


def test_rating_flags() -> None:
    metrics = Config().metrics
    assert ratings.parse_rating_flags(["pain=6,stress=7", "mood=5"], metrics) == {
        "pain": 6,
        "stress": 7,
        "mood": 5,
    }
    for bad in (["pian=3"], ["pain=11"], ["pain=-1"], ["pain"], ["pain=six"]):
        with pytest.raises(UsageError):
            ratings.parse_rating_flags(bad, metrics)


def test_summary_line() -> None:
    from conftest import make_session

    s = make_session(before={"pain": 6, "stress": 7}, after={"pain": 3, "stress": 2})
    line = session.summary(s, Config().metrics, 660)
    assert line == ("Time is up after 10m. pain 6→3 (-3), stress 7→2 (-5). Next planned: 11m.")


def test_bells_run_the_sound_command_once_per_bell_without_a_shell(tmp_path: Path) -> None:
    out = tmp_path / "events"
    script = tmp_path / "bell.sh"
    script.write_text(f'#!/bin/sh\necho "$MATLOG_EVENT $MATLOG_BELL/$MATLOG_BELLS $1" >> {out}\n')
    script.chmod(0o700)
    bells = session.Bells(sound_command=[str(script), "; touch pwned"], clock=FakeClock())
    for event in ("start", "interval", "end"):
        bells.ring(event)  # type: ignore[arg-type]
    for child in bells.children:
        child.wait(5)
    # One, two, three sounds: counted with eyes closed, like the terminal bell.
    assert sorted(out.read_text().splitlines()) == [
        "end 1/3 ; touch pwned",
        "end 2/3 ; touch pwned",
        "end 3/3 ; touch pwned",
        "interval 1/2 ; touch pwned",
        "interval 2/2 ; touch pwned",
        "start 1/1 ; touch pwned",
    ]
    assert not (Path.cwd() / "pwned").exists()


def test_a_missing_sound_command_never_fails_the_session() -> None:
    terminal = io.StringIO()
    bells = session.Bells(terminal=terminal, sound_command=["/no/such/player"], clock=FakeClock())
    bells.ring("end")
    assert terminal.getvalue() == "\a\a\a"


# ---------------------------------------------------------------------------------------
# What a session says at its end: "Time is up" once, on every path


class HangupAtTheAfterPrompt(Prompter):
    """The terminal's SIGHUP arrives while the after-ratings are asked."""

    def ask(self, question: str, timeout: float | None = None) -> str:
        if question.startswith("After"):
            raise session.Terminated(1)
        return super().ask(question, timeout)


@pytest.mark.parametrize("prompter_class", [Prompter, HangupAtTheAfterPrompt, SleepyPrompter])
def test_time_is_up_is_said_once_at_a_terminal(
    tmp_path: Path, clock: FakeClock, prompter_class: type[Prompter]
) -> None:
    from rich.console import Console

    from matlog.session.screen import TerminalScreen

    transcript = io.StringIO()  # the terminal: screen, prompts and the summary line
    runner = make_runner(tmp_path, clock, answers="3\n\n\n", prompter_class=prompter_class)
    runner.screen = TerminalScreen(
        Console(file=transcript, force_terminal=True, width=80, color_system=None), clock
    )
    runner.prompter.stdout = transcript
    plan = session.SessionPlan(
        planned_seconds=60, area="back", before={"pain": 6}, ask_after=True, settle_seconds=0
    )
    outcome = session.run_session(plan, runner)
    transcript.write(session.summary(outcome.session, runner.config.metrics, 300) + "\n")
    assert transcript.getvalue().count("Time is up") == 1
    assert transcript.getvalue().rstrip().endswith("Next planned: 5m.")


# ---------------------------------------------------------------------------------------
# The settle-in counts down in place at a terminal, and is one plain line otherwise


def settle_at_a_terminal(
    tmp_path: Path, clock: FakeClock, presses=(), settle: int = 5
) -> tuple[str, session.Runner]:
    from rich.console import Console

    from matlog.session.screen import TerminalScreen

    transcript = io.StringIO()
    runner = make_runner(tmp_path, clock, presses=presses)
    runner.screen = TerminalScreen(
        Console(file=transcript, force_terminal=True, width=80, color_system=None), clock
    )
    plan = session.SessionPlan(planned_seconds=60, area="back", settle_seconds=settle)
    try:
        session.run_session(plan, runner)
    finally:
        runner.screen.console.file = io.StringIO()  # type: ignore[attr-defined]
    return transcript.getvalue(), runner


def settle_texts(transcript: str) -> list[str]:
    """The settle-in's line as each update left it (carriage returns rewrite it)."""
    line = transcript.split("\n", 1)[0]
    return [text.rstrip() for text in line.split("\r")]


def test_the_settle_in_counts_down_in_place_each_second(tmp_path: Path, clock: FakeClock) -> None:
    transcript, runner = settle_at_a_terminal(tmp_path, clock, settle=5)
    lead = "Lie down: the countdown starts in {} with one bell (Enter: start now)."
    assert settle_texts(transcript) == [
        *(lead.format(f"{n}s") for n in (5, 4, 3, 2, 1)),
        "Lie down: the countdown starts now.",
    ]
    # One carriage return per update, no cursor movement; the line ends before what follows.
    first_line = transcript.split("\n", 1)[0]
    assert first_line.count("\r") == 5 and "\x1b" not in first_line
    # Each rewrite covers the text before it entirely: nothing of a longer one is left.
    assert all(len(t) >= len(lead.format("5s")) for t in first_line.split("\r"))
    [logged] = runner.journal.read().sessions
    assert (logged.started - clock._start).total_seconds() == 5  # waited once a second, 5 s
    assert runner.keys.waits[:5] == [1.0] * 5  # type: ignore[attr-defined]


def test_the_settle_in_count_across_minutes(tmp_path: Path, clock: FakeClock) -> None:
    transcript, _ = settle_at_a_terminal(tmp_path, clock, settle=61)
    texts = settle_texts(transcript)
    assert "starts in 1m1s " in texts[0] and "starts in 1m " in texts[1]
    assert "starts in 59s " in texts[2] and len(texts) == 62


def test_enter_ends_the_settle_in_and_the_line_says_now(tmp_path: Path, clock: FakeClock) -> None:
    transcript, runner = settle_at_a_terminal(tmp_path, clock, presses=[(2.5, "\r")], settle=10)
    texts = settle_texts(transcript)
    assert [t.split(" starts ")[1][:4] for t in texts] == ["in 1", "in 9", "in 8", "now."]
    [logged] = runner.journal.read().sessions
    assert (logged.started - clock._start).total_seconds() == 2  # 2.5 s, in whole seconds


def test_q_in_the_settle_in_ends_its_line_before_the_error(
    tmp_path: Path, clock: FakeClock
) -> None:
    from rich.console import Console

    from matlog.session.screen import TerminalScreen

    transcript = io.StringIO()
    runner = make_runner(tmp_path, clock, presses=[(1.5, "q")])
    runner.screen = TerminalScreen(Console(file=transcript, force_terminal=True, width=80), clock)
    with pytest.raises(Interrupted):
        session.run_session(
            session.SessionPlan(planned_seconds=60, area="back", settle_seconds=10), runner
        )
    assert transcript.getvalue().endswith("\n")  # the error that follows has its own line
    assert settle_texts(transcript.getvalue())[-1].endswith(
        "starts in 9s with one bell (Enter: start now)."
    )
    assert runner.journal.read().sessions == []


def test_a_narrow_terminal_keeps_the_settle_in_line_to_one_row(
    tmp_path: Path, clock: FakeClock
) -> None:
    from rich.console import Console

    from matlog.session.screen import TerminalScreen

    transcript = io.StringIO()
    screen = TerminalScreen(Console(file=transcript, force_terminal=True, width=40), clock)
    with screen.status() as show:
        show("Lie down: the countdown starts in 10s with one bell (Enter: start now).")
        show("Lie down: the countdown starts now.")
    texts = transcript.getvalue().removesuffix("\n").split("\r")
    assert texts == [
        "Lie down: the countdown starts in 10s …",  # one form only: cut to one row
        "Lie down: the countdown starts now.    ",
    ]


@pytest.mark.parametrize(
    ("width", "first"),
    [
        (80, "Lie down: the countdown starts in 30s with one bell (Enter: start now)."),
        (60, "Lie down: starts in 30s (Enter: now)"),
        (40, "Lie down: starts in 30s (Enter: now)"),
        (30, "Starts in 30s · Enter: now"),
        (20, "Starts in 30s"),
        (5, "30s"),
    ],
)
def test_the_settle_in_count_is_whole_at_any_width(
    tmp_path: Path, clock: FakeClock, width: int, first: str
) -> None:
    from rich.console import Console

    from matlog.session.run import _settle
    from matlog.session.screen import TerminalScreen

    transcript = io.StringIO()
    screen = TerminalScreen(Console(file=transcript, force_terminal=True, width=width), clock)
    runner = replace(make_runner(tmp_path, clock), screen=screen)
    _settle(30, runner)
    texts = [t.strip() for t in transcript.getvalue().split("\r")]
    assert texts[0] == first and "…" not in transcript.getvalue()
    assert "29s" in texts[1] or texts[1].startswith("29")  # counted down in place


def test_plain_lines_say_the_settle_in_once(tmp_path: Path, clock: FakeClock) -> None:
    from matlog.session.plain import PlainScreen

    out = io.StringIO()
    runner = make_runner(tmp_path, clock)
    runner.screen = PlainScreen(out, clock)
    runner.tick = 60.0  # as for a plain screen: nothing to redraw each second
    session.run_session(
        session.SessionPlan(planned_seconds=60, area="back", settle_seconds=10), runner
    )
    assert out.getvalue().splitlines()[0] == (
        "Lie down: the countdown starts in 10s with one bell (Enter: start now)."
    )
    assert out.getvalue().count("Lie down") == 1 and "\r" not in out.getvalue()
    assert runner.keys.waits[0] == 10.0  # type: ignore[attr-defined]
