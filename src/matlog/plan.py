"""The progression ladder: from short first sessions up to the target, never faster.

Pure: sessions and "now" in, advice out. The rules are SPEC.md's "The plan". `Ladder` walks
sessions oldest first and can be saved and carried on (the stats cache does), so a journal of
a decade is not walked again for every new session.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from matlog.config import PlanConfig
from matlog.lightclass import dataclass
from matlog.records import Session
from matlog.words import article, plural

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

    def to_json(self) -> dict[str, Any]:
        """What `matlog plan --json` prints."""
        return {
            "next_seconds": self.next_seconds,
            "target_seconds": self.target_seconds,
            "start_seconds": self.start_seconds,
            "step_seconds": self.step_seconds,
            "why": self.why,
            "sessions": self.sessions,
        }


class Ladder:
    """The level after each session in time order; `advice(now)` adds the gap up to now."""

    def __init__(self, config: PlanConfig) -> None:
        self.start = config.start_minutes * 60
        self.step_seconds = config.step_minutes * 60
        self.target = config.target_minutes * 60
        self.level = self.start
        # Why the level is what it is, as (reason, value): words are made once, in `advice`.
        self.reason: tuple[str, Any] = ("begin", None)
        self.previous: datetime | None = None
        self.count = 0

    def walk(self, sessions: Iterable[Session]) -> Ladder:
        """Step through `sessions`, which must be in time order and after any walked before."""
        for session in sessions:
            self.take(session)
        return self

    def take(self, session: Session) -> None:
        if session.condition == "control":
            return  # a trial's control session: lying still without the mat is not a step
        if self.previous is not None and session.started - self.previous > GAP:
            self.level = self._down(GAP_STEPS)
            self.reason = ("gap", (session.started - self.previous).days)
        self.previous = session.started
        self.count += 1
        if session.ended == "finished" and session.planned_seconds >= self.level:
            if self.level < self.target:
                self.level = min(self.target, self.level + self.step_seconds)
                self.reason = ("up", session.planned_seconds)
            else:
                self.reason = ("target", None)
        elif session.ended == "discomfort":
            self.level = self._down(DISCOMFORT_STEPS)
            self.reason = ("discomfort", session.started)
        elif session.ended == "finished":
            self.reason = ("short", self.level)
        else:
            self.reason = ("unchanged", session.ended)

    def advice(self, now: datetime) -> Advice:
        level, reason = self.level, self.reason
        if self.previous is not None and now - self.previous > GAP:
            level, reason = self._down(GAP_STEPS), ("gap", (now - self.previous).days)
        if level >= self.target and reason[0] not in ("target", "gap") and self.count:
            reason = ("target", None)
        return Advice(
            next_seconds=level,
            start_seconds=self.start,
            target_seconds=self.target,
            step_seconds=self.step_seconds,
            why=self._words(reason),
            sessions=self.count,
        )

    def _down(self, steps: int) -> int:
        return max(self.start, self.level - steps * self.step_seconds)

    def _words(self, reason: tuple[str, Any]) -> str:
        kind, value = reason
        if kind == "begin":
            return f"{_minutes(self.start)} to begin with: first sessions are short"
        if kind == "gap":
            return f"down {GAP_STEPS} steps: {plural(value, 'day')} since the session before"
        if kind == "up":
            return f"up {_minutes(self.step_seconds)} after a finished {_minutes(value)}"
        if kind == "target":
            return f"at your target of {_minutes(self.target)}"
        if kind == "discomfort":
            return f"down {DISCOMFORT_STEPS} steps after discomfort on {value:%b %d}"
        if kind == "short":
            return f"unchanged: the last session was shorter than {_minutes(value)}"
        return f"unchanged after {article(value)} session"

    # The stats cache keeps a ladder between runs, as plain values.
    def to_state(self) -> tuple[Any, ...]:
        kind, value = self.reason
        if isinstance(value, datetime):
            value = value.isoformat()
        previous = self.previous.isoformat() if self.previous else None
        return (self.level, kind, value, previous, self.count)

    @classmethod
    def from_state(cls, config: PlanConfig, state: tuple[Any, ...]) -> Ladder:
        ladder = cls(config)
        ladder.level, kind, value, previous, ladder.count = state
        if kind == "discomfort":
            value = datetime.fromisoformat(value)
        ladder.reason = (kind, value)
        ladder.previous = datetime.fromisoformat(previous) if previous else None
        return ladder


def advise(sessions: Iterable[Session], config: PlanConfig, now: datetime) -> Advice:
    return Ladder(config).walk(sorted(sessions, key=lambda s: s.started)).advice(now)


def _minutes(seconds: int) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{minutes} min" if not rest else f"{minutes} min {rest} s"
