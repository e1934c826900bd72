"""The countdown as a state machine, and the loop that drives it.

Time is a deadline on a monotonic clock that keeps counting through suspend, never a sum of
one-second sleeps, so the end is on time. The loop sleeps until the next thing that can
change (the next whole second shown, a bell, the end, a key) — no busy polling.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

from matlog.clock import Clock
from matlog.records import Ended

BellEvent = Literal["start", "interval", "end"]
BELLS: dict[BellEvent, int] = {"start": 1, "interval": 2, "end": 3}

PAUSE_KEYS = frozenset({" "})
STOP_KEYS = frozenset({"q", "Q", "\x03"})
DISCOMFORT_KEYS = frozenset({"d", "D"})


@dataclass
class Countdown:
    planned_seconds: int
    clock: Clock
    bell_every: int | None = None
    started_at: float | None = None
    paused_at: float | None = None
    paused_total: float = 0.0
    ended: Ended | None = None
    ended_elapsed: float | None = None
    bells_rung: int = field(default=0)  # interval bells so far

    def start(self) -> None:
        self.started_at = self.clock.monotonic()

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def elapsed(self, now: float | None = None) -> float:
        """Seconds on the mat so far, pauses excluded."""
        if self.started_at is None:
            return 0.0
        if self.ended_elapsed is not None:
            return self.ended_elapsed
        now = self.clock.monotonic() if now is None else now
        if self.paused_at is not None:
            now = self.paused_at
        return max(0.0, now - self.started_at - self.paused_total)

    def remaining(self, now: float | None = None) -> float:
        return max(0.0, self.planned_seconds - self.elapsed(now))

    def toggle_pause(self) -> None:
        now = self.clock.monotonic()
        if self.paused_at is None:
            self.paused_at = now
        else:
            self.paused_total += now - self.paused_at
            self.paused_at = None

    def finish(self, how: Ended) -> None:
        if self.ended is None:
            self.ended_elapsed = min(self.elapsed(), float(self.planned_seconds))
            self.ended = how

    def update(self) -> list[BellEvent]:
        """Advance to now: the bells due, and `ended` set when time is up."""
        if self.ended is not None or self.started_at is None:
            return []
        elapsed = self.elapsed()
        events: list[BellEvent] = []
        if self.bell_every:
            due = int(min(elapsed, self.planned_seconds - 0.5) // self.bell_every)
            if due > self.bells_rung:
                self.bells_rung = due
                events.append("interval")
        if elapsed >= self.planned_seconds:
            self.finish("finished")
            events = ["end"]
        return events

    def seconds_to_next_change(self, tick: float = 1.0) -> float | None:
        """How long the loop may sleep: until the shown time changes, a bell, or the end.

        `tick` is how often the display changes (1 s on screen, 60 s for plain lines).
        None while paused: nothing changes until a key.
        """
        if self.paused or self.ended is not None:
            return None
        elapsed = self.elapsed()
        remaining = self.planned_seconds - elapsed
        candidates = [remaining]
        # The next moment the shown remaining time (rounded up to `tick`) changes.
        to_tick = remaining - (math.ceil(remaining / tick) - 1) * tick
        candidates.append(to_tick if to_tick > 1e-6 else tick)
        if self.bell_every:
            next_bell = (self.bells_rung + 1) * self.bell_every
            if next_bell < self.planned_seconds:
                candidates.append(next_bell - elapsed)
        return max(0.0, min(candidates))


class Keys(Protocol):
    def wait(self, timeout: float | None) -> str | None:
        """A key pressed within `timeout` seconds (None: wait for one), or None."""


class NoKeys:
    """Standard input is not a terminal: nothing to read, just sleep."""

    def __init__(self, clock: Clock, heartbeat: float = 5.0) -> None:
        self.clock = clock
        self.heartbeat = heartbeat

    def wait(self, timeout: float | None) -> str | None:
        self.clock.sleep(self.heartbeat if timeout is None else timeout)
        return None


@dataclass
class Hooks:
    """What the loop calls out to: drawing, bells, and the heartbeat for crash recovery."""

    draw: Callable[[Countdown], None] = lambda _c: None
    bell: Callable[[BellEvent], None] = lambda _e: None
    heartbeat: Callable[[Countdown], None] = lambda _c: None


def run(
    countdown: Countdown,
    keys: Keys,
    hooks: Hooks,
    *,
    tick: float = 1.0,
    heartbeat_every: float = 5.0,
) -> Ended:
    """Run the countdown to its end; the ending is also left in `countdown.ended`.

    KeyboardInterrupt (Ctrl-C) stops the session; any other exception propagates after
    `countdown` has been marked (the caller logs it as interrupted).
    """
    countdown.start()
    hooks.bell("start")
    last_beat = countdown.clock.monotonic()
    hooks.heartbeat(countdown)
    try:
        while countdown.ended is None:
            for event in countdown.update():
                hooks.bell(event)
            if countdown.ended is not None:
                break
            hooks.draw(countdown)
            now = countdown.clock.monotonic()
            if now - last_beat >= heartbeat_every:
                hooks.heartbeat(countdown)
                last_beat = now
            timeout = countdown.seconds_to_next_change(tick)
            beat_due = max(0.0, heartbeat_every - (now - last_beat))
            timeout = beat_due if timeout is None else min(timeout, beat_due)
            key = keys.wait(timeout)
            if key in PAUSE_KEYS:
                countdown.toggle_pause()
            elif key in STOP_KEYS:
                countdown.finish("stopped")
            elif key in DISCOMFORT_KEYS:
                countdown.finish("discomfort")
    except KeyboardInterrupt:
        countdown.finish("stopped")
    except BaseException:
        countdown.finish("interrupted")
        raise
    hooks.draw(countdown)
    assert countdown.ended is not None
    return countdown.ended
