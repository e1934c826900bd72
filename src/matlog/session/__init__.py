"""The live session: the run, its bells, keys and screens, and recovery after the fact.

`run.run_session` takes a `SessionPlan` and a `Runner` (everything it touches: clock,
keys, screen, bells, journal), so tests drive a whole session on a FakeClock. `timer` is
the countdown itself; `keys`, `screen` and `plain` are the terminal's side of it;
`recovery` is the heartbeat that lets a killed session be logged by the next command,
and the rating owed after a session nobody rated. Nothing here knows of Typer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matlog.session.bells import Bells, desktop_notifications_available
    from matlog.session.recovery import clear_owed_rating, owed_rating, recover
    from matlog.session.run import (
        Outcome,
        Runner,
        Screen,
        SessionPlan,
        Terminated,
        end_lines,
        run_session,
        summary,
    )

# Every command imports `session.recovery` (to look for killed sessions): importing this
# package must not load the run (signals, subprocess, prompts), so its names load lazily.
_WHERE = {
    "Bells": "bells",
    "desktop_notifications_available": "bells",
    "clear_owed_rating": "recovery",
    "owed_rating": "recovery",
    "recover": "recovery",
    "Outcome": "run",
    "Runner": "run",
    "Screen": "run",
    "SessionPlan": "run",
    "Terminated": "run",
    "end_lines": "run",
    "run_session": "run",
    "summary": "run",
}

__all__ = [
    "Bells",
    "Outcome",
    "Runner",
    "Screen",
    "SessionPlan",
    "Terminated",
    "clear_owed_rating",
    "desktop_notifications_available",
    "end_lines",
    "owed_rating",
    "recover",
    "run_session",
    "summary",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)
