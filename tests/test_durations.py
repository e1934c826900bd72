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
        # The SPEC's list, and the unit spellings people type.
        ("15min", 900),
        ("15 min", 900),
        ("15 MIN", 900),
        ("90sec", 90),
        ("1 min 30 sec", 90),
        ("1h 5m", 3900),
        ("1 hour 5 minutes", 3900),
        ("2 hrs", 7200),
        ("1hr 1min 1sec", 3661),
        ("5 minutes", 300),
        ("1 second", 1),
        ("45 secs", 45),
        ("10 mins", 600),
        ("1\tmin\u00a030s", 90),  # any whitespace is a space
        # Decimals of minutes and hours, rounded to whole seconds (halves up).
        ("1.5", 90),
        ("1.5m", 90),
        ("1.5 min", 90),
        ("0.5h", 1800),
        ("1h 7.5m", 4050),
        ("2.5s", 3),
        ("1.25", 75),
        ("0.01", 1),  # 0.6 s
        ("0.5s", 1),
        ("180.0", MAX_SECONDS),
        ("3h 0.4s", MAX_SECONDS),  # 10800.4 s is 3 hours, rounded
        ("015", 900),
        # A last number without a unit, after hours or minutes: the next unit, as said.
        ("1m30", 90),
        ("1 min 30", 90),
        ("1m 05", 65),
        ("1h30", 5400),
        ("1h 30", 5400),
        ("1h30m10", 5410),
        ("2m59", 179),
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
        ("0.0", "more than zero"),
        ("0.001", "rounds to 0 seconds"),
        ("0.4s", "rounds to 0 seconds"),
        ("-1.5", "more than zero"),
        ("- 5 min", "more than zero"),
        ("180.01", "over 3 hours"),
        ("3h 0.5s", "over 3 hours"),
        ("1.5.3", "is not a duration"),
        ("1.", "is not a duration"),
        (".5", "is not a duration"),
        ("1,5", "is not a duration"),
        ("15mm", "is not a duration"),
        ("15 mn", "is not a duration"),
        ("1 5", "is not a duration"),
        ("1 5m", "is not a duration"),
        ("1.5h 10m", "is not a duration"),  # decimals only in the last part
        ("1m 1min", "is not a duration"),
        ("1h and 5m", "is not a duration"),
        ("12 : 30", "is not a duration"),
        ("12:30.5", "is not a duration"),
        ("+5", "is not a duration"),
        ("-abc", "is not a duration"),
        ("nan", "is not a duration"),
        ("inf", "is not a duration"),
        ("-inf", "is not a duration"),
        ("1e3", "is not a duration"),
        ("1e3s", "is not a duration"),
        ("0x10", "is not a duration"),
        ("15_0", "is not a duration"),
        ("１５", "is not a duration"),  # fullwidth digits: refused like every non-ASCII digit
        ("15 ｍ", "is not a duration"),
        ("15 ſ", "is not a duration"),  # long s: casefolds to "s", lower() keeps it
        ("30s1m", "is not a duration"),
        ("1m1m", "is not a duration"),
        ("12:60", "is not a duration"),
        ("1:2", "is not a duration"),
        ("m", "is not a duration"),
        ("١٥", "is not a duration"),  # Arabic-Indic digits: str.isdigit says yes
        ("²", "is not a duration"),
        ("90s30", "is not a duration"),  # nothing is smaller than seconds
        ("1m60", "is not a duration"),  # 0-59, as on a clock
        ("1m300", "is not a duration"),
        ("1.5m30", "is not a duration"),  # decimals only in the last part
        ("1m30.5", "is not a duration"),
        ("1m30 30", "is not a duration"),
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
    assert parse_duration("0.2s", what="settle", allow_zero=True) == 0
    with pytest.raises(UsageError, match="must be zero or more"):
        parse_duration("-0", what="settle", allow_zero=True)


def test_the_message_names_what_was_parsed() -> None:
    with pytest.raises(UsageError, match=r"^settle 'x' is not a duration"):
        parse_duration("x", what="settle")


@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_format_duration_parses_back(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_whole_minutes_and_seconds_in_words_parse(seconds: int) -> None:
    minutes, secs = divmod(seconds, 60)
    assert parse_duration(f"{minutes} min {secs} sec") == seconds
    assert parse_duration(f"{seconds / 60}") == seconds  # a float's repr, e.g. 1.5


@given(st.text(max_size=30))
def test_any_text_parses_or_is_a_usage_error(text: str) -> None:
    try:
        seconds = parse_duration(text)
    except UsageError as exc:
        assert "\n" not in exc.message
        return
    assert 0 < seconds <= MAX_SECONDS


@given(st.text(alphabet="0123456789.:-+ hmsecinoutr", max_size=30))
def test_near_durations_parse_or_are_usage_errors(text: str) -> None:
    # Arbitrary text rarely looks like a duration; this alphabet makes it often do.
    for allow_zero in (False, True):
        try:
            seconds = parse_duration(text, allow_zero=allow_zero)
        except UsageError:
            continue
        assert (0 if allow_zero else 1) <= seconds <= MAX_SECONDS


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


@pytest.mark.parametrize(
    "text",
    ["9" * 5000, "9" * 5000 + "s", "9" * 5000 + ":00", "9" * 5000 + ".5"],
)
def test_absurdly_long_numbers_are_usage_errors_not_crashes(text: str) -> None:
    with pytest.raises(UsageError, match="over 3 hours"):
        parse_duration(text)


def test_leading_zeros_do_not_count() -> None:
    assert parse_duration("0" * 5000 + "5") == 300


def test_long_fractions_are_exact() -> None:
    assert parse_duration("0." + "0" * 5000 + "1", allow_zero=True) == 0
    # 0.5 s and a hair: halves round up, and a hair below half rounds down.
    assert parse_duration("0.00833333333333333333333333333333333334") == 1
    assert parse_duration("0.5" + "0" * 5000 + "1s") == 1
    assert parse_duration("1.4" + "9" * 5000 + "s") == 1
