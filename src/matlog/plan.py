"""The progression ladder: from short first sessions up to the target, never faster.

Pure: sessions and "now" in, advice out. The rules are SPEC.md's "The plan".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from matlog.config import PlanConfig
from matlog.records import Session

GAP = timedelta(days=14)
GAP_STEPS = 3
DISCOMFORT_STEPS = 2
WARN_FACTOR = 1.5


@dataclass(frozen=True)
class Advice:
    next_seconds: int
    start_seconds: int
    target_seconds: int
    step_seconds: int
    why: str
    sessions: int

    @property
    def warn_above_seconds(self) -> float:
        """A requested duration above this gets a gentle warning."""
        return self.next_seconds * WARN_FACTOR


def advise(sessions: Iterable[Session], config: PlanConfig, now: datetime) -> Advice:
    start = config.start_minutes * 60
    step = config.step_minutes * 60
    target = config.target_minutes * 60
    level = start
    why = f"{_minutes(start)} to begin with: first sessions are short"
    previous: datetime | None = None
    ordered = sorted(sessions, key=lambda s: s.started)
    for session in ordered:
        if previous is not None and session.started - previous > GAP:
            level, why = _down(level, GAP_STEPS, step, start), _gap_why(session.started - previous)
        previous = session.started
        if session.ended == "finished" and session.planned_seconds >= level:
            if level < target:
                level = min(target, level + step)
                why = f"up {_minutes(step)} after a finished {_minutes(session.planned_seconds)}"
            else:
                why = f"at your target of {_minutes(target)}"
        elif session.ended == "discomfort":
            level = _down(level, DISCOMFORT_STEPS, step, start)
            why = f"down {DISCOMFORT_STEPS} steps after discomfort on {session.started:%b %d}"
        else:
            why = (
                f"unchanged after a {session.ended} session"
                if session.ended != "finished"
                else (f"unchanged: the last session was shorter than {_minutes(level)}")
            )
    if previous is not None and now - previous > GAP:
        level, why = _down(level, GAP_STEPS, step, start), _gap_why(now - previous)
    if level >= target and "target" not in why and ordered:
        why = f"at your target of {_minutes(target)}"
    return Advice(
        next_seconds=level,
        start_seconds=start,
        target_seconds=target,
        step_seconds=step,
        why=why,
        sessions=len(ordered),
    )


def _down(level: int, steps: int, step: int, start: int) -> int:
    return max(start, level - steps * step)


def _gap_why(gap: timedelta) -> str:
    return f"down {GAP_STEPS} steps: {gap.days} days since the session before"


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" if not rest else f"{minutes} min {rest} s"
