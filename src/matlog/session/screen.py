"""The countdown on a terminal: big digits, a bar, the end time and the keys (Rich Live)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from rich.console import Console, RenderableType
from rich.text import Text

from matlog.clock import Clock
from matlog.durations import format_clock, format_duration
from matlog.session.timer import Countdown

# Five rows per glyph, so the time can be read at a glance from the mat.
_GLYPHS = {
    "0": ["███", "█ █", "█ █", "█ █", "███"],
    "1": [" █ ", "██ ", " █ ", " █ ", "███"],
    "2": ["███", "  █", "███", "█  ", "███"],
    "3": ["███", "  █", "███", "  █", "███"],
    "4": ["█ █", "█ █", "███", "  █", "  █"],
    "5": ["███", "█  ", "███", "  █", "███"],
    "6": ["███", "█  ", "███", "█ █", "███"],
    "7": ["███", "  █", "  █", "  █", "  █"],
    "8": ["███", "█ █", "███", "█ █", "███"],
    "9": ["███", "█ █", "███", "  █", "███"],
    ":": [" ", "█", " ", "█", " "],
}


def big_text(text: str) -> str:
    rows = ["  ".join(_GLYPHS[ch][row] for ch in text if ch in _GLYPHS) for row in range(5)]
    return "\n".join(rows)


def countdown_view(
    remaining: float,
    planned: int,
    ends_at: datetime,
    *,
    paused: bool,
    bell_every: int | None,
    label: str | None = None,
) -> RenderableType:
    """The frame; `label` (e.g. a trial night's condition) goes in its title."""
    from rich.align import Align
    from rich.console import Group
    from rich.panel import Panel

    done = planned - remaining
    digits = Text(big_text(format_clock(remaining)), style="bold yellow" if paused else "bold")
    status = "PAUSED — space resumes" if paused else f"ends at {ends_at:%H:%M}"
    keys = "space pause · q stop · d discomfort"
    if bell_every:
        keys += f" · bells every {format_duration(bell_every)}"
    body = Group(
        Align.center(digits),
        Text(""),
        Align.center(progress_bar(done / planned if planned else 1.0)),
        Align.center(Text(status, style="yellow" if paused else "")),
        Align.center(Text(keys, style="dim")),
    )
    title = f"matlog · {label}" if label else "matlog"
    return Panel(body, title=title, subtitle=format_duration(planned), padding=(1, 2))


def progress_bar(fraction: float, width: int = 40) -> Text:
    """Filled and empty blocks: readable without colour, unlike a thin coloured line."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


class TerminalScreen:
    """A Rich Live countdown, redrawn only when called (about once a second)."""

    def __init__(self, console: Console, clock: Clock, label: str | None = None) -> None:
        self.console = console
        self.clock = clock
        self.label = label

    def line(self, text: str) -> None:
        self.console.print(text)

    @contextlib.contextmanager
    def countdown(self) -> Iterator[Callable[[Countdown], None]]:
        from rich.live import Live

        with Live(console=self.console, auto_refresh=False, transient=True) as live:

            def draw(c: Countdown) -> None:
                remaining = c.remaining()
                end = self.clock.now() + timedelta(seconds=remaining)
                live.update(
                    countdown_view(
                        remaining,
                        c.planned_seconds,
                        end,
                        paused=c.paused,
                        bell_every=c.bell_every,
                        label=self.label,
                    ),
                    refresh=True,
                )

            yield draw
