"""Ratings 0–10: parsed from flags, asked at a prompt, and given to a session afterwards.

Shared by `start` (before and after), `rate` and the owed-rating offer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matlog.config import Better
from matlog.errors import UsageError
from matlog.journal import Contents, Journal
from matlog.lightclass import replace
from matlog.prompts import Prompter
from matlog.records import RATING_MAX, RATING_MIN, Session
from matlog.text import nfc


def parse_rating_flags(values: Sequence[str], metrics: Mapping[str, Better]) -> dict[str, int]:
    """`["pain=6,stress=7", "mood=5"]` -> {"pain": 6, "stress": 7, "mood": 5}; UsageError else."""
    ratings: dict[str, int] = {}
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            name, sep, number = part.partition("=")
            name = nfc(name.strip().lower())
            if not sep:
                raise UsageError(f"rating {part!r} needs NAME=VALUE", hint="e.g. pain=6")
            if name in ratings:
                raise UsageError(f"{name} is rated twice", hint="give each rating once")
            ratings[name] = check_rating(name, number.strip(), metrics)
    return ratings


def check_rating(name: str, text: str, metrics: Mapping[str, Better]) -> int:
    if name not in metrics:
        raise UsageError(
            f"unknown metric {name!r}",
            hint=f"known: {', '.join(metrics)} (add others under [metrics] in config.toml)",
        )
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"{name} must be a whole number 0–10, got {text!r}") from None
    if not RATING_MIN <= value <= RATING_MAX:
        raise UsageError(f"{name} must be from 0 to 10, got {value}")
    return value


def ask_ratings(
    prompter: Prompter,
    metrics: Mapping[str, Better],
    phase: str,
    timeout: float | None = None,
    *,
    into: dict[str, int] | None = None,
) -> dict[str, int]:
    """Ask each metric in turn; Enter skips, a bad value asks again.

    With `timeout`, PromptTimeout propagates when nobody answers (asleep on the mat).
    Answers go into `into` as they are given, so those survive an interruption.
    """
    ratings: dict[str, int] = {} if into is None else into
    for name, better in metrics.items():
        hint = "0 = none" if better == "lower" else "10 = best"
        while True:
            answer = prompter.ask(f"{phase} — {name} (0–10, {hint}, Enter skips): ", timeout)
            if not answer:
                break
            try:
                ratings[name] = check_rating(name, answer, metrics)
                break
            except UsageError as exc:
                prompter.stdout.write(f"  {exc.message}\n")
    return ratings


def add_after_ratings(
    journal: Journal, target_id: str | None, ratings: dict[str, int]
) -> tuple[Session, bool]:
    """Give `ratings` to the session `target_id`, or (None) to the one `rate` means.

    That is the latest session, as long as none of these metrics is rated on it yet (so
    `rate pain=3` then `rate stress=2` both go to it); otherwise the latest session with
    no after-ratings at all (one logged with --rate-later before a rated one). A metric is
    never rated twice: that is a usage error, and `matlog edit` changes a rating.
    Returns the session as rated, and whether it is the latest one.
    """
    result: list[tuple[Session, bool]] = []

    def change(contents: Contents) -> tuple[Contents, Session | None, Session | None]:
        old = _rate_target(contents.sessions, target_id, ratings)
        if old is None:
            return contents, None, None
        new = replace(old, after={**old.after, **ratings})
        latest = max(contents.sessions, key=lambda s: (s.started, s.line))
        result.append((new, old is latest))
        sessions = [new if s is old else s for s in contents.sessions]
        return replace(contents, sessions=sessions), old, new

    if journal.rewrite(change) is None:
        raise UsageError(
            "no session is waiting for these after-ratings",
            hint="`matlog log` shows which sessions have them; `matlog edit` changes one",
        )
    return result[0]


def _rate_target(
    sessions: Sequence[Session], target_id: str | None, ratings: dict[str, int]
) -> Session | None:
    if target_id is not None:
        return next((s for s in sessions if s.id == target_id and not s.after), None)
    if not sessions:
        return None
    by_time = sorted(sessions, key=lambda s: (s.started, s.line))
    latest = by_time[-1]
    if not set(ratings) & set(map(nfc, latest.after)):  # one form, as `stats` compares
        return latest
    return next((s for s in reversed(by_time) if not s.after), None)
