"""Durations as people type them ("15", "1.5", "15 min", "90s", "1m30s", "1h", "12:30") <-> seconds.

The forms `parse_duration` takes (case-insensitive, ASCII only; spaces allowed between a
number and its unit and between parts, nowhere else):

- a bare number is minutes: `15`, `1.5` (90 s);
- `MIN:SS`, seconds 00–59: `12:30`;
- one or more `NUMBER UNIT` parts, largest unit first, each unit at most once:
  `90s`, `15 min`, `1h 5m`, `1 min 30 sec`; units h/hr/hrs/hour/hours,
  m/min/mins/minute/minutes, s/sec/secs/second/seconds;
- and, as people say them, a last whole number without a unit after hours or minutes is
  in the next smaller unit, 0–59: `1h30` is 1h30m, `1m30` (or `1 min 30`) is 1m30s.

Any run of whitespace counts as one space. A number is ASCII digits with an optional
decimal point and digits (`0.5`; not `.5`, `1e3`, `nan` or `١٥`); only the last part may
have decimals (`1h 7.5m`, not `1.5h 10m`). The total is computed exactly and rounded to
whole seconds, halves up (`0.01` minutes is 0.6 s: 1 s); a total that rounds to 0 s counts
as zero.
"""

from __future__ import annotations

import re

from matlog.errors import UsageError

MAX_SECONDS = 3 * 3600

_NUMBER = r"[0-9]+(?:\.[0-9]+)?"  # [0-9], not \d: \d and str.isdigit take "١٥" and "²"
# Strings, not compiled patterns: re compiles (and caches) them on first use, not on every
# start-up of a command that never parses a duration.
_PART = rf"({_NUMBER}) *([a-z]+)"
_PARTS = rf"(?:{_NUMBER} *[a-z]+ *)+"
_FACTORS = {
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], 3600),
    **dict.fromkeys(["m", "min", "mins", "minute", "minutes"], 60),
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds"], 1),
}
_SMALLER = {3600: 60, 60: 1}
_HINT = "write e.g. 15 (minutes), 1.5, 15m, 15 min, 90s, 1m30s, 1h or 12:30 (min:sec)"


def parse_duration(text: str, *, what: str = "duration", allow_zero: bool = False) -> int:
    """Seconds in `text`; a UsageError for zero (unless allowed), negative, over 3 h or junk."""
    raw = " ".join(text.lower().split())  # any run of whitespace is one space
    negative = raw.startswith("-")
    parts = _parse(raw[1:].lstrip() if negative else raw) if raw.isascii() else None
    if parts is None:
        raise UsageError(f"{what} {text!r} is not a duration", hint=_HINT)
    if negative:
        limit = "zero or more" if allow_zero else "more than zero"
        raise UsageError(f"{what} must be {limit}, got {text!r}", hint=_HINT)
    seconds, nonzero = _seconds(parts)
    if seconds > MAX_SECONDS:
        raise UsageError(
            f"{what} {text!r} is over 3 hours", hint="matlog counts down at most 3 hours"
        )
    if seconds == 0 and not allow_zero:
        detail = " (it rounds to 0 seconds)" if nonzero else ""
        raise UsageError(f"{what} must be more than zero, got {text!r}{detail}", hint=_HINT)
    return seconds


def _parse(raw: str) -> list[tuple[str, int]] | None:
    """`raw` as (number, seconds per unit) pairs, or None when it is not a duration."""
    if re.fullmatch(_NUMBER, raw):
        return [(raw, 60)]
    if m := re.fullmatch(r"([0-9]+):([0-5][0-9])", raw):
        return [(m[1], 60), (m[2], 1)]
    trailing = None
    if m := re.fullmatch(rf"({_PARTS}) *([0-9]+)", raw):  # "1m30": its seconds unsaid
        raw, trailing = m[1].rstrip(), m[2]
    if not re.fullmatch(_PARTS, raw):
        return None
    parts = [(number, _FACTORS.get(unit, 0)) for number, unit in re.findall(_PART, raw)]
    if trailing is not None:
        smaller = _SMALLER.get(parts[-1][1])
        if smaller is None or int(trailing) > 59:  # "90s30", "1m90": not as people say it
            return None
        parts.append((trailing, smaller))
    factors = [factor for _, factor in parts]
    # Each unit at most once, largest first: "1m30s" yes, "30s1m" or "1m1m" no.
    if 0 in factors or factors != sorted(set(factors), reverse=True):
        return None
    if any("." in number for number, _ in parts[:-1]):
        return None
    return parts


def _seconds(parts: list[tuple[str, int]]) -> tuple[int, bool]:
    """Whole seconds (halves up; anything over 3 h as 3 h + 1 s), and whether the exact sum
    is more than zero."""
    if not any("." in number for number, _ in parts):
        total = sum(_int(number) * factor for number, factor in parts)
        return min(total, MAX_SECONDS + 1), total > 0
    # Decimals only: importing decimal costs every command start-up time, and config parses "10s".
    from decimal import ROUND_HALF_UP, Decimal, localcontext

    # Enough digits that the products and the sum are exact, however long the numbers are.
    with localcontext(prec=sum(len(number) for number, _ in parts) + 10):
        exact = sum((Decimal(number) * factor for number, factor in parts), Decimal(0))
        if exact > MAX_SECONDS + 1:
            return MAX_SECONDS + 1, True
        return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), exact > 0


def _int(digits: str) -> int:
    # int() refuses 4300+ digits; anything past 12 is over 3 hours anyway.
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 12 else 10**12


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
