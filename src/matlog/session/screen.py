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
    remaining: float, planned: int, ends_at: datetime, *, paused: bool, bell_every: int | None
) -> RenderableType:
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
    return Panel(body, title="matlog", subtitle=format_duration(planned), padding=(1, 2))


def progress_bar(fraction: float, width: int = 40) -> Text:
    """Filled and empty blocks: readable without colour, unlike a thin coloured line."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


class TerminalScreen:
    """A Rich Live countdown, redrawn only when called (about once a second)."""

    def __init__(self, console: Console, clock: Clock) -> None:
        self.console = console
        self.clock = clock

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
                        remaining, c.planned_seconds, end, paused=c.paused, bell_every=c.bell_every
                    ),
                    refresh=True,
                )

            yield draw

    @contextlib.contextmanager
    def status(self) -> Iterator[Callable[[str], None]]:
        """One line rewritten in place: a carriage return and the new text, padded with
        spaces over the old (no escape codes, so any terminal shows it). Kept to one row,
        or the return would go to the start of its last row only. Ended with a newline."""
        console = self.console
        if not console.is_terminal:  # standard output is piped: one plain line, once
            shown: list[str] = []

            def show_once(text: str) -> None:
                if not shown:
                    shown.append(text)
                    console.print(text, markup=False, soft_wrap=True)

            yield show_once
            return
        from rich.control import Control
        from rich.segment import ControlType

        drawn = [""]

        def show(text: str) -> None:
            width = max(1, console.width - 1)
            if len(text) > width:
                text = text[: width - 1] + "…"
            if text == drawn[0]:
                return
            padded = text.ljust(len(drawn[0]))
            again = bool(drawn[0])
            drawn[0] = text  # before writing: a Ctrl-C mid-write must still end the line
            if again:
                console.control(Control((ControlType.CARRIAGE_RETURN,)))
            console.print(padded, end="", markup=False, highlight=False, soft_wrap=True)

        try:
            yield show
        finally:
            if drawn[0]:
                # The terminal may be gone (SIGHUP): what ended the block must still show.
                with contextlib.suppress(OSError):
                    console.line()
