"""The countdown with a fake clock: a 20-minute session in milliseconds."""

from __future__ import annotations

import pytest

from matlog.clock import FakeClock
from matlog.session import timer


class ScriptedKeys:
    """Keys pressed at given seconds after the countdown started (on the fake clock)."""

    def __init__(self, clock: FakeClock, presses: list[tuple[float, str]]) -> None:
        self.clock = clock
        self.presses = sorted(presses)
        self.origin = clock.monotonic()
        self.waits: list[float | None] = []

    def wait(self, timeout: float | None) -> str | None:
        self.waits.append(timeout)
        now = self.clock.monotonic()
        if self.presses:
            at, key = self.presses[0]
            when = self.origin + at
            if timeout is None or when <= now + timeout:
                self.clock.advance(max(0.0, when - now))
                self.presses.pop(0)
                return key
        assert timeout is not None, "waiting forever with no key coming"
        self.clock.advance(timeout)
        return None


def run(
    seconds: int,
    presses: list[tuple[float, str]] = (),
    bell_every: int | None = None,
    tick: float = 1.0,
) -> tuple[timer.Countdown, list[str], ScriptedKeys]:
    clock = FakeClock()
    countdown = timer.Countdown(seconds, clock, bell_every)
    bells: list[str] = []
    keys = ScriptedKeys(clock, list(presses))
    timer.run(countdown, keys, timer.Hooks(bell=bells.append), tick=tick)
    return countdown, bells, keys


def test_a_20_minute_session_finishes_exactly_on_time() -> None:
    countdown, bells, _ = run(20 * 60)
    assert countdown.ended == "finished"
    assert countdown.elapsed() == pytest.approx(1200)
    assert bells == ["start", "end"]


def test_time_is_a_deadline_not_a_sum_of_sleeps() -> None:
    # Each wait "overslept" would add up with sleep(1) loops; with a deadline it cannot.
    clock = FakeClock()
    countdown = timer.Countdown(60, clock)

    class Oversleeping:
        def wait(self, timeout: float | None) -> None:
            clock.advance((timeout or 1.0) + 0.013)

    timer.run(countdown, Oversleeping(), timer.Hooks())
    assert countdown.ended == "finished"
    assert clock.monotonic() - 1000.0 < 60 + 0.02


def test_the_loop_wakes_about_once_a_second_not_more() -> None:
    _, _, keys = run(120)
    assert len(keys.waits) <= 125
    assert all(w is not None and w > 0.5 for w in keys.waits[:-1])


def test_plain_mode_wakes_once_a_minute_plus_heartbeats() -> None:
    _, _, keys = run(600, tick=60.0)
    # 600 s: heartbeats every 5 s dominate; still no busy polling.
    assert len(keys.waits) <= 600 / 5 + 12


def test_pause_is_not_counted() -> None:
    countdown, _, _ = run(300, [(60, " "), (160, " ")])
    assert countdown.ended == "finished"
    assert countdown.elapsed() == pytest.approx(300)
    assert countdown.paused_total == pytest.approx(100)


@pytest.mark.parametrize(
    ("key", "ended"), [("q", "stopped"), ("\x03", "stopped"), ("d", "discomfort")]
)
def test_keys_end_the_session(key: str, ended: str) -> None:
    countdown, bells, _ = run(600, [(125, key)])
    assert countdown.ended == ended
    assert countdown.elapsed() == pytest.approx(125)
    assert "end" not in bells


def test_other_keys_are_ignored() -> None:
    countdown, _, _ = run(60, [(5, "x"), (6, "\r"), (7, ""), (8, "?")])
    assert countdown.ended == "finished"


def test_interval_bells_ring_twice_each_time_never_at_the_end() -> None:
    _, bells, _ = run(600, bell_every=120)
    assert bells == ["start", "interval", "interval", "interval", "interval", "end"]


def test_ctrl_c_as_keyboard_interrupt_stops() -> None:
    clock = FakeClock()
    countdown = timer.Countdown(60, clock)

    class Interrupting:
        def wait(self, timeout: float | None) -> None:
            clock.advance(10)
            raise KeyboardInterrupt

    assert timer.run(countdown, Interrupting(), timer.Hooks()) == "stopped"
    assert countdown.elapsed() == pytest.approx(10)


def test_suspend_counts_as_time_on_the_mat() -> None:
    # The machine sleeps 5 minutes in the middle: the monotonic (boot-time) clock jumps.
    clock = FakeClock()
    countdown = timer.Countdown(600, clock)

    class Suspending:
        calls = 0

        def wait(self, timeout: float | None) -> None:
            self.calls += 1
            clock.advance(300 if self.calls == 10 else (timeout or 1))

    timer.run(countdown, Suspending(), timer.Hooks())
    assert countdown.ended == "finished"
    assert clock.monotonic() - 1000.0 == pytest.approx(600, abs=1.5)


def test_heartbeat_runs_while_paused() -> None:
    clock = FakeClock()
    countdown = timer.Countdown(60, clock)
    beats: list[float] = []
    keys = ScriptedKeys(clock, [(10, " "), (70, " ")])
    timer.run(
        countdown,
        keys,
        timer.Hooks(heartbeat=lambda c: beats.append(c.elapsed())),
        heartbeat_every=5,
    )
    assert len(beats) >= 60 / 5 + 60 / 5 - 2
