"""The countdown as plain lines, for when standard output is not a terminal.

Kept apart from `screen` so a scripted session never imports Rich.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TextIO

from matlog.clock import Clock
from matlog.durations import format_clock, format_duration
from matlog.session.timer import Countdown


class PlainScreen:
    """No terminal: plain lines, one a minute, no cursor movement (aliases, scripts, tests)."""

    def __init__(self, stream: TextIO, clock: Clock, label: str | None = None) -> None:
        self.stream = stream
        self.clock = clock
        self.label = label

    def line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)

    @contextlib.contextmanager
    def countdown(self) -> Iterator[Callable[[Countdown], None]]:
        shown: list[str] = []

        def draw(c: Countdown) -> None:
            remaining = c.remaining()
            if not shown:
                end = self.clock.now() + timedelta(seconds=remaining)
                what = format_duration(c.planned_seconds)
                if self.label:
                    what += f" ({self.label})"
                self.line(f"Started {what}; ends at {end:%H:%M:%S}.")
            text = f"{format_clock(remaining)} left" + (" (paused)" if c.paused else "")
            if c.ended is None and text not in shown[-1:]:
                shown.append(text)
                self.line(text)

        yield draw

    @contextlib.contextmanager
    def status(self) -> Iterator[Callable[..., None]]:
        """No line is rewritten here: the first text is printed (whole: a pipe has no width),
        the updates are not."""
        shown: list[str] = []

        def show(text: str, *shorter: str) -> None:
            if not shown:
                shown.append(text)
                self.line(text)

        yield show
