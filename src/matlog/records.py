"""The journal's records as Python values. No I/O here: `journal` reads and writes them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

from matlog.lightclass import dataclass, field

Ended = Literal["finished", "stopped", "discomfort", "interrupted"]
ENDINGS: tuple[Ended, ...] = ("finished", "stopped", "discomfort", "interrupted")
LAYERS = ("bare", "shirt", "sheet")
SURFACES = ("floor", "bed")
RATING_MIN, RATING_MAX = 0, 10
# The smallest worthwhile change a trial takes: ratings are whole points, and below a tenth
# of one no number of nights could tell it from nothing.
MIN_WORTHWHILE = 0.1
Condition = Literal["mat", "control"]
ControlKind = Literal["rest", "none"]
CONDITIONS: tuple[Condition, ...] = ("mat", "control")
CONTROL_KINDS: tuple[ControlKind, ...] = ("rest", "none")
MIN_PAIRS, MAX_PAIRS = 4, 60


@dataclass(slots=True)
class Session:
    started: datetime  # aware: local time with its UTC offset
    planned_seconds: int
    actual_seconds: int
    ended: Ended
    id: str | None = None  # None only for records a user wrote by hand
    area: str | None = None
    layer: str | None = None
    surface: str | None = None
    tags: list[str] = field(default_factory=list)
    before: dict[str, int] = field(default_factory=dict)
    after: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    trial: str | None = None  # the id of the trial this is the night's trial session of
    condition: Condition | None = None  # what was done that night: with `trial`, never alone
    extra: dict[str, Any] = field(default_factory=dict)  # unknown fields, kept untouched
    line: int = 0  # where it was read (1-based); 0 if it was not read from a file


@dataclass(slots=True)
class Sleep:
    night: date  # the evening's date
    rating: int
    id: str | None = None
    note: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    line: int = 0


@dataclass(slots=True)
class Trial:
    """A `[[trial]]` record: the self-experiment's design (SPEC "In the journal").

    The analysis lives in `matlog.trial`; the record is here, with the other records, so the
    journal can read and write it.
    """

    id: str
    created: datetime  # aware: local time with its UTC offset
    first_night: date
    schedule: tuple[Condition, ...]  # one per night, in order; pairs = len / 2
    seed: int
    outcome: str  # a metric name or "sleep"
    worthwhile: float  # points, in the outcome's better direction
    control: ControlKind
    seconds: int
    unblinded: datetime | None = None  # when the report was first looked at early
    stopped: date | None = None  # the day `trial stop` ran
    extra: dict[str, Any] = field(default_factory=dict)  # unknown fields, kept untouched
    line: int = 0  # where it was read (1-based); 0 if it was not read from a file

    @property
    def pairs(self) -> int:
        return len(self.schedule) // 2

    @property
    def nights(self) -> int:
        return len(self.schedule)

    @property
    def last_night(self) -> date:
        """The last planned night (a stop does not change it; see `covers`)."""
        return self.first_night + timedelta(days=len(self.schedule) - 1)

    def night_of(self, index: int) -> date:
        """The date of night `index`, counted from 0 like `schedule` (the user's night 1)."""
        if not 0 <= index < len(self.schedule):
            raise IndexError(f"the trial has nights 0 to {len(self.schedule) - 1}, not {index}")
        return self.first_night + timedelta(days=index)

    def index_of(self, night: date) -> int | None:
        """The 0-based index of `night` in the schedule; None outside the planned nights."""
        index = (night - self.first_night).days
        return index if 0 <= index < len(self.schedule) else None

    def condition_on(self, night: date) -> Condition | None:
        """The drawn condition of `night`; None outside the trial or after a stop."""
        index = self.index_of(night)
        if index is None or (self.stopped is not None and night > self.stopped):
            return None
        return self.schedule[index]

    def is_over(self, today: date) -> bool:
        """Stopped, or past the last night (whose sleep is rated the next morning).

        Before this a report is a peek (`--unblind`). On the last night's own day the last
        pair is not complete yet, so that counts as early too.
        """
        return self.stopped is not None or today > self.last_night


Record = Session | Sleep | Trial

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(when: datetime) -> str:
    """A ULID: 48 bits of milliseconds then 80 random bits, so ids sort by creation time."""
    millis = int(when.timestamp() * 1000) & ((1 << 48) - 1)
    import secrets  # here: with hmac and hashlib it costs start-up time every command pays

    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))
