"""Rich renderables for the terminal. Computing happens elsewhere; this only draws."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.table import Table
from rich.text import Text

from matlog.config import Better
from matlog.durations import format_duration
from matlog.records import Session

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
        if s.condition is not None:  # a trial session: which kind of night it was
            extra = f"[trial: {s.condition}] {extra}".strip()
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
