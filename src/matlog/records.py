"""The journal's records as Python values. No I/O here: `journal` reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from matlog.lightclass import dataclass, field

Ended = Literal["finished", "stopped", "discomfort", "interrupted"]
ENDINGS: tuple[Ended, ...] = ("finished", "stopped", "discomfort", "interrupted")
LAYERS = ("bare", "shirt", "sheet")
SURFACES = ("floor", "bed")
RATING_MIN, RATING_MAX = 0, 10


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


Record = Session | Sleep

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
