"""Rich renderables for the terminal. Computing happens elsewhere; this only draws."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from matlog.config import Better
from matlog.durations import format_duration
from matlog.records import Session
from matlog.text import shown

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


def session_table(
    sessions: Sequence[Session], metrics: dict[str, Better], width: int | None = None
) -> Table:
    """The sessions, one a row. Dates, times and endings are never cut: where `width` is
    short the weekday goes, then tags and notes, then the ratings stack one a line (tags
    and notes back if that makes room), then the area, then the ratings, then the planned
    time of sessions that ended early; below about 38 columns the start's date and time
    stack, and below about 32 each session is one cell of two lines. A caption names what
    is not shown; `log --json` has everything."""
    rows = [_row(s, metrics) for s in sessions]
    no_note = _ALL[:-1]
    least = ("started", "time", "ended")
    candidates = [
        _table(rows, weekday, stacked, columns, planned)
        for weekday, stacked, columns, planned in (
            (True, False, _ALL, True),
            (False, False, _ALL, True),
            (False, False, no_note, True),
            (False, True, _ALL, True),
            (False, True, no_note, True),
            (False, True, ("started", "time", "ended", "ratings"), True),
            (False, True, least, True),
            (False, True, least, False),
        )
    ]
    candidates += [_table(rows, False, True, least, False, date_over_time=True), _list(rows)]
    if width is None:
        return candidates[0]
    return next((t for t in candidates if _natural_width(t) <= width), candidates[-1])


_ALL = ("started", "time", "ended", "area", "ratings", "tags / note")


def _row(s: Session, metrics: dict[str, Better]) -> dict[str, Any]:
    time_text = format_duration(s.actual_seconds)
    planned = ""
    if s.actual_seconds != s.planned_seconds:
        planned = f"/{format_duration(s.planned_seconds)}"
    extra = " ".join(f"#{t}" for t in s.tags)
    if s.condition is not None:  # a trial session: which kind of night it was
        extra = f"[trial: {s.condition}] {extra}".strip()
    if s.note:
        extra = f"{extra} {s.note}".strip()
    return {
        "started": s.started,
        "time": time_text,
        "planned": planned,
        "ended": Text(s.ended, style=ENDED_STYLE.get(s.ended, "")),
        "area": Text(shown(s.area or "")),  # Text: never read as Rich markup
        "ratings": ratings_change(s, metrics),
        "tags / note": Text(shown(extra)),
    }


def _table(
    rows: Sequence[dict[str, Any]],
    weekday: bool,
    stacked: bool,
    columns: Sequence[str],
    planned: bool = True,
    *,
    date_over_time: bool = False,
) -> Table:
    hidden = [name for name in _ALL if name not in columns]
    if not planned:
        hidden.insert(0, "planned time")
    table = _bare_table(hidden)
    for name in columns:
        wraps = name == "tags / note"  # words: they may wrap; dates and numbers never
        justify: Literal["left", "right"] = "right" if name == "time" else "left"
        table.add_column(name, justify=justify, no_wrap=not wraps, min_width=12 if wraps else None)
    when = "%a %Y-%m-%d %H:%M" if weekday else "%Y-%m-%d %H:%M"
    if date_over_time:
        when = "%Y-%m-%d\n%H:%M"
    for row in rows:
        cells = dict(row, started=f"{row['started']:{when}}")
        if planned:
            cells["time"] += row["planned"]
        if stacked:
            cells["ratings"] = cells["ratings"].replace(", ", "\n")
        table.add_row(*(cells[name] for name in columns))
    return table


def _list(rows: Sequence[dict[str, Any]]) -> Table:
    """The narrowest form: each session one cell, its start over its time and ending."""
    table = _bare_table(["planned time", *_ALL[3:]])
    table.add_column("session", no_wrap=True)
    for row in rows:
        start = f"{row['started']:%Y-%m-%d %H:%M}"
        table.add_row(Text(f"{start}\n  {row['time']} ").append(row["ended"]))
    return table


def _bare_table(hidden: Sequence[str]) -> Table:
    return Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        caption=f"not shown at this width: {', '.join(hidden)}" if hidden else None,
        caption_justify="left",
        caption_style="dim",
    )


def _natural_width(table: Table) -> int:
    """The width `table` takes with nothing cut: whole cells, but tags and notes wrapped
    down to their minimum width (Rich's own minimum counts any column as wrappable)."""
    from rich.cells import cell_len

    widths = []
    for column in table.columns:
        if not column.no_wrap:
            widths.append(column.min_width or 0)
            continue
        texts = [str(column.header), *(str(cell) for cell in column.cells)]
        widths.append(max(cell_len(line) for text in texts for line in text.splitlines() or [""]))
    return sum(widths) + 3 * (len(widths) - 1)  # padding, SIMPLE_HEAD's blank rule, padding


def plain_lines(renderable: RenderableType) -> str:
    """What `renderable` draws, for a pipe or a file: one row a line however long (nothing
    wraps at an imagined 80 columns), no blank line before or after, no trailing spaces."""
    import io

    console = Console(
        file=io.StringIO(), width=10_000, color_system=None, force_terminal=False, highlight=False
    )
    with console.capture() as capture:
        console.print(renderable, crop=False)
    lines = [line.rstrip() for line in capture.get().splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "".join(line + "\n" for line in lines)
