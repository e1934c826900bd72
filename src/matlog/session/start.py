"""What `start` says before a session begins: notices, and whether to ask first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from matlog.durations import format_duration
from matlog.lightclass import dataclass, field
from matlog.plan import Advice
from matlog.session import recovery

SAFETY_NOTICE = (
    "Safety first: start with short sessions and build up slowly; stop at once on pain or "
    "discomfort (press d); if you have a health condition, ask your doctor before using "
    "the mat."
)


@dataclass
class StartNotes:
    notices: list[str] = field(default_factory=list)  # said, never waited on
    above_plan: str | None = None  # a warning that wants a yes, unless --yes


def start_notes(
    state_dir: Path, planned_seconds: int, advice: Advice, sound_command: Sequence[str] = ()
) -> StartNotes:
    """The safety notice (the first time only), sessions running elsewhere, a long duration,
    a `sound_command` that cannot ring (with eyes closed, a silent end must be said first)."""
    notes = StartNotes()
    if sound_command and not _runnable(sound_command[0]):
        notes.notices.append(
            f"Note: sound_command {sound_command[0]!r} (config) was not found: only the "
            "terminal bell will ring."
        )
    if not recovery.notice_seen(state_dir, "safety"):
        notes.notices.append(SAFETY_NOTICE)
    for other in recovery.live_sessions(state_dir):
        notes.notices.append(
            f"Note: another matlog session is running (started {_clock_time(other)}); "
            "this one is timed and logged on its own."
        )
    if planned_seconds > advice.warn_above_seconds:
        notes.above_plan = (
            f"{format_duration(planned_seconds)} is well above your plan's "
            f"{format_duration(advice.next_seconds)}: the mat makers advise building up slowly."
        )
    return notes


def _runnable(program: str) -> bool:
    import shutil

    return shutil.which(program) is not None


def _clock_time(heartbeat: dict[str, Any]) -> str:
    record = heartbeat.get("record")
    started = record.get("started") if isinstance(record, dict) else None
    try:
        return f"{datetime.fromisoformat(str(started)):%H:%M}"
    except ValueError:
        return "earlier"
