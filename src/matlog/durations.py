"""Durations as people type them ("15", "15m", "90s", "1m30s", "1h", "12:30") <-> seconds."""

from __future__ import annotations

import re

from matlog.errors import UsageError

MAX_SECONDS = 3 * 3600

_UNITS = re.compile(r"([0-9]+)([hms])")  # ASCII digits: int("²") raises
_HINT = "write e.g. 15 (minutes), 15m, 90s, 1m30s, 1h or 12:30 (min:sec)"


def parse_duration(text: str, *, what: str = "duration", allow_zero: bool = False) -> int:
    """Seconds in `text`; a UsageError for zero (unless allowed), negative, over 3 h or junk."""
    raw = text.strip().lower().replace(" ", "")
    if raw.startswith("-"):
        raise UsageError(f"{what} must be more than zero, got {text!r}", hint=_HINT)
    seconds = _parse(raw)
    if seconds is None:
        raise UsageError(f"{what} {text!r} is not a duration", hint=_HINT)
    if seconds == 0 and not allow_zero:
        raise UsageError(f"{what} must be more than zero, got {text!r}", hint=_HINT)
    if seconds > MAX_SECONDS:
        raise UsageError(
            f"{what} {text!r} is over 3 hours", hint="matlog counts down at most 3 hours"
        )
    return seconds


def _int(digits: str) -> int:
    # int() refuses 4300+ digits; anything past 12 is over 3 hours anyway.
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 12 else 10**12


def _parse(raw: str) -> int | None:
    if re.fullmatch(r"[0-9]+", raw):
        return _int(raw) * 60
    if m := re.fullmatch(r"([0-9]+):([0-5][0-9])", raw):
        return _int(m[1]) * 60 + int(m[2])
    if not raw or not re.fullmatch(r"([0-9]+[hms])+", raw):
        return None
    parts = _UNITS.findall(raw)
    units = [unit for _, unit in parts]
    # Each unit at most once, largest first: "1m30s" yes, "30s1m" or "1m1m" no.
    if len(set(units)) != len(units) or units != sorted(units, key="hms".index):
        return None
    factor = {"h": 3600, "m": 60, "s": 1}
    return sum(_int(n) * factor[unit] for n, unit in parts)


def format_duration(seconds: float) -> str:
    """Compact: 600 -> "10m", 90 -> "1m30s", 3600 -> "1h", 0 -> "0s"."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or not out:
        out += f"{secs}s"
    return out


def format_clock(seconds: float) -> str:
    """Countdown style: 754 -> "12:34", 3725 -> "1:02:05"."""
    total = max(0, int(seconds + 0.999))  # round up: "0:00" only when time is really up
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
