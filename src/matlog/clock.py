"""The only place that reads time. Everything else is handed a `Clock`."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

# Time while the machine is suspended is time on the mat: CLOCK_BOOTTIME keeps counting
# through suspend, where CLOCK_MONOTONIC stops. Linux only; elsewhere monotonic is the best.
_BOOTTIME: int | None = getattr(time, "CLOCK_BOOTTIME", None)


def whole_minute_offset(moment: datetime) -> datetime:
    """`moment` with its UTC offset rounded to whole minutes: the same instant.

    A zone whose offset has seconds (old LMT zones, or TZ="ABC-05:30:15") would give a time
    that TOML and RFC 3339 cannot write (`+05:30:15`), so the journal could not read back
    the session it was given. The wall clock moves by under 30 seconds; the instant stays.
    """
    offset = moment.utcoffset()
    if offset is None or not offset.total_seconds() % 60:
        return moment
    minutes = round(offset.total_seconds() / 60)
    return moment.astimezone(timezone(timedelta(minutes=minutes)))


class Clock(Protocol):
    def monotonic(self) -> float:
        """Seconds on a clock that never jumps and counts time asleep (suspend)."""

    def sleep(self, seconds: float) -> None:
        """Wait `seconds` (tests: advance time instantly)."""

    def now(self) -> datetime:
        """The aware local time."""


class SystemClock:
    def monotonic(self) -> float:
        if _BOOTTIME is not None:
            return time.clock_gettime(_BOOTTIME)
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def now(self) -> datetime:
        return whole_minute_offset(datetime.now().astimezone())


class FakeClock:
    """A clock for tests: `sleep` moves time forward at once; `now` follows `monotonic`.

    `advance` is time passing (a suspend too: the boot-time clock counts it); `jump_wall`
    moves only the wall clock, as NTP, a user or a DST-unaware clock setting does.
    """

    def __init__(
        self,
        start: datetime | None = None,
        monotonic_start: float = 1000.0,
    ) -> None:
        self._start = start or datetime(2026, 11, 23, 22, 0, tzinfo=timezone(timedelta(hours=1)))
        self._mono0 = monotonic_start
        self._mono = monotonic_start
        self._wall_offset = timedelta(0)
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(seconds, 0.0))

    def now(self) -> datetime:
        moment = self._start + self._wall_offset + timedelta(seconds=self._mono - self._mono0)
        return whole_minute_offset(moment)

    def advance(self, seconds: float) -> None:
        self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """Set the wall clock `seconds` forward (negative: back); `monotonic` does not move."""
        self._wall_offset += timedelta(seconds=seconds)
