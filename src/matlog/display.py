"""Rich renderables for the terminal. Computing happens elsewhere; this only draws."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from matlog.clock import Clock
from matlog.config import Better
from matlog.durations import format_clock, format_duration
from matlog.records import Session
from matlog.timer import Countdown

ENDED_STYLE = {
    "finished": "green",
    "stopped": "yellow",
    "discomfort": "red",
    "interrupted": "magenta",
}


def no_sessions_yet(journal_path: Path) -> Text:
    return Text.assemble(
        ("No sessions yet", "bold"),
        f" in {journal_path}. Start one with `matlog start` (5 minutes to begin with).",
    )


def ratings_change(session: Session, metrics: dict[str, Better]) -> str:
    """ "pain 6→3, stress 7→2" for the metrics the session has."""
    names = [m for m in metrics if m in session.before or m in session.after]
    names += sorted(set(session.before) | set(session.after) - set(names))
    parts = []
    for name in dict.fromkeys(names):
        before = session.before.get(name)
        after = session.after.get(name)
        left = "–" if before is None else str(before)
        right = "–" if after is None else str(after)
        parts.append(f"{name} {left}→{right}")
    return ", ".join(parts)


def session_table(sessions: Sequence[Session], metrics: dict[str, Better]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("started")
    table.add_column("time", justify="right")
    table.add_column("ended")
    table.add_column("area")
    table.add_column("ratings")
    table.add_column("tags / note", overflow="fold")
    for s in sessions:
        time_text = format_duration(s.actual_seconds)
        if s.actual_seconds != s.planned_seconds:
            time_text += f"/{format_duration(s.planned_seconds)}"
        extra = " ".join(f"#{t}" for t in s.tags)
        if s.note:
            extra = f"{extra} {s.note}".strip()
        table.add_row(
            f"{s.started:%a %Y-%m-%d %H:%M}",
            time_text,
            Text(s.ended, style=ENDED_STYLE.get(s.ended, "")),
            s.area or "",
            ratings_change(s, metrics),
            Text(extra),
        )
    return table


# ---------------------------------------------------------------------------------------
# The countdown

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
