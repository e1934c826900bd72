"""The countdown on a terminal: big digits, a bar, the end time and the keys (Rich Live).

The countdown fills the terminal's alternate screen (as `less` and `top` do) and is drawn
whole, from the top-left corner, every time: a resize is followed by a clean frame at the
new size, and nothing of an old frame stays on screen or reaches the scrollback. Each draw
measures the space it is given and takes the richest layout that fits without wrapping:
big digits in a frame, big digits alone, a compact form, and at last a single line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
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
BAR_WIDTH = 40  # the bar's width where there is room; narrower terminals get less


def big_text(text: str) -> str:
    rows = ["  ".join(_GLYPHS[ch][row] for ch in text if ch in _GLYPHS) for row in range(5)]
    return "\n".join(rows)


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> Text:
    """Filled and empty blocks: readable without colour, unlike a thin coloured line."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return Text("█" * filled, style="green") + Text("░" * (width - filled), style="dim")


@dataclass(frozen=True)
class Layout:
    """One way to draw the countdown; `CountdownView` takes the first that fits."""

    big: bool  # the five-row digits, or the time on one line
    framed: bool  # inside a panel (title, planned duration)
    padded: bool = False  # a blank row inside the panel, above and below
    blank: bool = False  # a blank row between the digits and the bar
    bar: bool = True
    keys: bool = True


# Richest first. Height goes before width: the frame's padding, then the blank row, then
# the frame itself, then the keys (the user knows them), then the big digits.
LAYOUTS = (
    Layout(big=True, framed=True, padded=True, blank=True),
    Layout(big=True, framed=True, blank=True),
    Layout(big=True, framed=True),
    Layout(big=True, framed=False, blank=True),
    Layout(big=True, framed=False),
    Layout(big=True, framed=False, keys=False),
    Layout(big=False, framed=True),
    Layout(big=False, framed=False),
    Layout(big=False, framed=False, keys=False),
    Layout(big=False, framed=False, keys=False, bar=False),
)
_FRAME_WIDTH = 4  # two borders and one column of padding on each side


@dataclass(frozen=True)
class CountdownView:
    """The countdown as a Rich renderable that fits the width and height it is given."""

    remaining: float
    planned: int
    ends_at: datetime
    paused: bool = False
    bell_every: int | None = None
    label: str | None = None  # e.g. a trial night's condition, in the frame's title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.fitted(options.max_width, options.height or options.size.height)

    # Words from longest to shortest; each line takes the longest that fits.
    def statuses(self) -> list[str]:
        if self.paused:
            return ["PAUSED — space resumes", "PAUSED"]
        return [f"ends at {self.ends_at:%H:%M}", f"ends {self.ends_at:%H:%M}"]

    def key_hints(self) -> list[str]:
        keys = "space pause · q stop · d discomfort"
        hints = [keys, "space · q · d"]
        if self.bell_every:
            hints.insert(0, f"{keys} · bells every {format_duration(self.bell_every)}")
        return hints

    def fitted(self, width: int, height: int) -> RenderableType:
        """The richest layout that fits `width` × `height` cells; a single line if none."""
        for layout in LAYOUTS:
            drawn = self.drawn(layout, width, height)
            if drawn is not None:
                return drawn
        return self.one_line(width)

    def drawn(self, layout: Layout, width: int, height: int) -> RenderableType | None:
        """The countdown in `layout`, or None if it does not fit."""
        from rich.align import Align
        from rich.console import Group
        from rich.panel import Panel

        inner = width - (_FRAME_WIDTH if layout.framed else 0)
        clock = format_clock(self.remaining)
        main = big_text(clock) if layout.big else clock
        status = _longest_fitting(self.statuses(), inner)
        if status is None or max(cell_len(row) for row in main.splitlines()) > inner:
            return None
        keys = _longest_fitting(self.key_hints(), inner) if layout.keys else None
        style = "bold yellow" if self.paused else "bold"
        lines: list[RenderableType] = [_line(main, style)]
        if layout.blank:
            lines.append(Text(" "))
        if layout.bar:
            done = self.planned - self.remaining
            fraction = done / self.planned if self.planned else 1.0
            lines.append(progress_bar(fraction, min(BAR_WIDTH, inner)))
        lines.append(_line(status, "yellow" if self.paused else ""))
        if keys is not None:
            lines.append(_line(keys, "dim"))
        rows = sum(len(str(line).splitlines()) or 1 for line in lines)
        if layout.framed:
            rows += 2 + (2 if layout.padded else 0)
        if rows > height:
            return None
        body: RenderableType = Group(*(Align.center(line) for line in lines))
        if layout.framed:
            body = Panel(
                body,
                title=f"matlog · {self.label}" if self.label else "matlog",
                subtitle=format_duration(self.planned),
                padding=(1 if layout.padded else 0, 1),
            )
        return Align.center(body, vertical="middle", height=height)

    def one_line(self, width: int) -> Text:
        """The last resort: time and status on one line, cut at the edge, never wrapped."""
        clock = format_clock(self.remaining)
        text = f"{clock} · {self.statuses()[-1]}"
        return Text(text if cell_len(text) <= width else clock, no_wrap=True, overflow="crop")


def _longest_fitting(words: list[str], width: int) -> str | None:
    return next((w for w in words if cell_len(w) <= width), None)


def _line(text: str, style: str) -> Text:
    return Text(text, style=style, no_wrap=True, overflow="crop", justify="left")


def countdown_view(
    remaining: float,
    planned: int,
    ends_at: datetime,
    *,
    paused: bool,
    bell_every: int | None,
    label: str | None = None,
) -> RenderableType:
    """The countdown; `label` (e.g. a trial night's condition) goes in the frame's title."""
    return CountdownView(remaining, planned, ends_at, paused, bell_every, label)


class TerminalScreen:
    """A Rich Live countdown on the alternate screen, redrawn only when called (about once
    a second, and after a resize)."""

    def __init__(self, console: Console, clock: Clock, label: str | None = None) -> None:
        self.console = console
        self.clock = clock
        self.label = label

    def line(self, text: str) -> None:
        self.console.print(text)

    @contextlib.contextmanager
    def countdown(self) -> Iterator[Callable[[Countdown], None]]:
        from rich.live import Live

        # screen=True: the alternate screen, drawn whole from its corner each time (Rich's
        # Screen pads and crops to the terminal's size, measured at each draw). Without an
        # alternate screen Rich falls back to an inline region, which "crop" keeps within
        # the terminal's rows.
        with Live(
            console=self.console,
            auto_refresh=False,
            screen=True,
            transient=True,
            vertical_overflow="crop",
        ) as live:

            def draw(c: Countdown) -> None:
                remaining = c.remaining()
                end = self.clock.now() + timedelta(seconds=remaining)
                live.update(
                    CountdownView(
                        remaining, c.planned_seconds, end, c.paused, c.bell_every, self.label
                    ),
                    refresh=True,
                )

            yield draw

    @contextlib.contextmanager
    def status(self) -> Iterator[Callable[..., None]]:
        """One line rewritten in place: a carriage return and the new text, padded with
        spaces over the old (no escape codes, so any terminal shows it). Kept to one row,
        or the return would go to the start of its last row only: `show(text, *shorter)`
        draws the longest form that fits. Ended with a newline."""
        console = self.console
        if not console.is_terminal:  # standard output is piped: one plain line, once
            shown: list[str] = []

            def show_once(text: str, *shorter: str) -> None:
                if not shown:
                    shown.append(text)
                    console.print(text, markup=False, soft_wrap=True)

            yield show_once
            return
        from rich.control import Control
        from rich.segment import ControlType

        drawn = [""]

        def show(text: str, *shorter: str) -> None:
            # The longest of the forms given that fits one row; cut only if none does.
            width = max(1, console.width - 1)
            text = next((t for t in (text, *shorter) if len(t) <= width), (text, *shorter)[-1])
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
