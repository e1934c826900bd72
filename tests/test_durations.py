"""Durations as people type them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matlog.durations import MAX_SECONDS, format_clock, format_duration, parse_duration
from matlog.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15", 900),
        ("15m", 900),
        ("90s", 90),
        ("1m30s", 90),
        ("1h", 3600),
        ("1h5m", 3900),
        ("1h0m1s", 3601),
        ("12:30", 750),
        ("0:45", 45),
        (" 10M ", 600),
        ("1m 30s", 90),
        ("3h", MAX_SECONDS),
        ("180", MAX_SECONDS),
    ],
)
def test_parse_duration(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "more than zero"),
        ("0s", "more than zero"),
        ("0:00", "more than zero"),
        ("-5", "more than zero"),
        ("-5m", "more than zero"),
        ("3h1s", "over 3 hours"),
        ("181", "over 3 hours"),
        ("99999999999999999999", "over 3 hours"),
        ("", "is not a duration"),
        ("abc", "is not a duration"),
        ("1.5", "is not a duration"),
        ("30s1m", "is not a duration"),
        ("1m1m", "is not a duration"),
        ("12:60", "is not a duration"),
        ("1:2", "is not a duration"),
        ("m", "is not a duration"),
        ("5 minutes", "is not a duration"),
        ("١٥", "is not a duration"),  # Arabic-Indic digits: str.isdigit says yes
        ("²", "is not a duration"),
    ],
)
def test_bad_durations_are_usage_errors(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message) as info:
        parse_duration(text)
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message


def test_zero_is_allowed_where_asked() -> None:
    assert parse_duration("0", allow_zero=True) == 0
    assert parse_duration("0s", what="settle", allow_zero=True) == 0


def test_the_message_names_what_was_parsed() -> None:
    with pytest.raises(UsageError, match=r"^settle 'x' is not a duration"):
        parse_duration("x", what="settle")


@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_format_duration_parses_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.text(max_size=30))
def test_any_text_parses_or_is_a_usage_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except UsageError:
        return
    assert 0 < seconds <= MAX_SECONDS


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0s"), (59.6, "1m"), (90, "1m30s"), (3600, "1h"), (3725, "1h2m5s")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(754, "12:34"), (3725, "1:02:05"), (0.2, "0:01"), (0, "0:00"), (-3, "0:00"), (59.01, "1:00")],
)
def test_format_clock_rounds_up(seconds: float, text: str) -> None:
    assert format_clock(seconds) == text


@pytest.mark.parametrize("text", ["9" * 5000, "9" * 5000 + "s", "9" * 5000 + ":00"])
def test_absurdly_long_numbers_are_usage_errors_not_crashes(text: str) -> None:
    with pytest.raises(UsageError, match="over 3 hours"):
        parse_duration(text)


def test_leading_zeros_do_not_count() -> None:
    assert parse_duration("0" * 5000 + "5") == 300
