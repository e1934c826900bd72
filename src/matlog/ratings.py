"""Ratings 0–10: parsed from flags, asked at a prompt, and given to a session afterwards.

Shared by `start` (before and after), `rate` and the owed-rating offer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from matlog.config import Better
from matlog.errors import UsageError
from matlog.journal import Contents, Journal
from matlog.lightclass import dataclass, replace
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


class NoSuchSession(UsageError):
    """The session to rate is not in the journal (an unknown id, or none at all)."""


@dataclass
class Rated:
    """What `add_after_ratings` did: the session as it is now, and what it had before."""

    session: Session
    given: dict[str, int]  # the ratings given, in the order given
    replaced: dict[str, int]  # the old value of each given rating the session had already
    latest: bool  # the session is the latest one


def add_after_ratings(journal: Journal, session_id: str | None, ratings: dict[str, int]) -> Rated:
    """Give `ratings` to the session with id `session_id`, or (None) to the latest session.

    A rating the session has already is replaced; `Rated.replaced` keeps the old value, to
    be said. The session is looked up under the journal's lock, in the journal as it is
    then, by its id (or as the latest): one removed meanwhile is a NoSuchSession, never a
    reason to rate another.
    """
    result: list[Rated] = []

    def change(contents: Contents) -> tuple[Contents, Session | None, Session | None]:
        old = _rate_target(contents.sessions, session_id)
        new = replace(old, after={**old.after, **ratings})
        replaced = {k: old.after[k] for k in ratings if k in old.after}
        latest = max(contents.sessions, key=lambda s: (s.started, s.line))
        result.append(Rated(new, dict(ratings), replaced, latest=old is latest))
        if new.after == old.after:
            return contents, None, None  # the same values again: nothing to write
        sessions = [new if s is old else s for s in contents.sessions]
        return replace(contents, sessions=sessions), old, new

    journal.rewrite(change)
    if not result:  # no journal file at all
        raise _no_such_session(session_id)
    return result[0]


def _rate_target(sessions: Sequence[Session], session_id: str | None) -> Session:
    if session_id is None:
        if not sessions:
            raise _no_such_session(None)
        return max(sessions, key=lambda s: (s.started, s.line))
    found = [s for s in sessions if s.id == session_id]
    if not found:
        raise _no_such_session(session_id)
    if len(found) > 1:
        raise UsageError(
            f"{len(found)} sessions have the id {session_id!r}; nothing was rated",
            hint="`matlog edit` can tell them apart",
        )
    return found[0]


def _no_such_session(session_id: str | None) -> NoSuchSession:
    if session_id is None:
        return NoSuchSession(
            "there is no session to rate", hint="`matlog start` runs one; `matlog log` lists them"
        )
    return NoSuchSession(
        f"no session has the id {session_id!r}; nothing was rated",
        hint="`matlog log --json` shows each session's id",
    )


def rated_line(rated: Rated, lead: str = "Rated") -> str:
    """`Rated the latest session (Mon 2026-11-23 22:15): pain 4 → 2, stress 1.`"""
    s = rated.session
    which = "the latest session" if rated.latest else "the session"
    ident = f", id {s.id}" if s.id and not rated.latest else ""
    parts = []
    for name, value in rated.given.items():
        old = rated.replaced.get(name)
        if old is None:
            parts.append(f"{name} {value}")
        elif old == value:
            parts.append(f"{name} {value} (as before)")
        else:
            parts.append(f"{name} {old} → {value}")
    return f"{lead} {which} ({s.started:%a %Y-%m-%d %H:%M}{ident}): {', '.join(parts)}."


def rate_later_command(metrics: Mapping[str, Better], rated: Collection[str] = ()) -> str:
    """The command that rates the metrics not `rated` yet: `matlog rate pain=… stress=…`."""
    return "matlog rate " + " ".join(f"{name}=…" for name in metrics if name not in rated)
