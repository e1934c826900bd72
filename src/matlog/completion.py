"""What shell completion offers for a value: metric names and ratings, tags, areas.

Typer parses the partial command line (there is one parser); these functions only say what
one value may be. They run on every TAB, so they read no records: the tags and areas in use
come from a small summary kept in the cache (`journal.summaries.NamesFolder`). Completing
never writes to the journal and never fails: a journal or config that cannot be read
offers only what needs neither (nothing, or the usual areas).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from matlog.records import RATING_MAX, RATING_MIN

if TYPE_CHECKING:
    from matlog.env import Env

RATINGS = [str(v) for v in range(RATING_MIN, RATING_MAX + 1)]


def rating_words(metrics: Iterable[str], incomplete: str, previous: str | None = None) -> list[str]:
    """The `NAME=V` words that may complete `incomplete`.

    Several names fit: `NAME=` each (`matlog rate <TAB><TAB>` lists `mood= pain= stress=`).
    One name fits: its eleven ratings, whose common start `NAME=` the shell fills in without
    a space after it, ready for the value. `NAME=` typed: the ratings. Bash splits a word at
    `=`, so it sends `pain=4` as `pain`, `=`, `4`: then `previous` is the name before the
    `=` and `incomplete` the value typed after it, and the ratings alone are offered.
    """
    names = list(metrics)
    if previous is not None:
        return [v for v in RATINGS if v.startswith(incomplete)] if previous in names else []
    name, equals, value = incomplete.partition("=")
    if equals:
        return [f"{name}={v}" for v in RATINGS if v.startswith(value)] if name in names else []
    fitting = [n for n in names if n.startswith(incomplete)]
    if len(fitting) == 1:
        return [f"{fitting[0]}={v}" for v in RATINGS]
    return [f"{n}=" for n in fitting]


def tags(env: Env | None, incomplete: str) -> list[str]:
    """The tags in the journal that start with `incomplete`, most used first."""
    names = _names(env)
    return _ranked(names[0] if names else {}, incomplete)


def areas(env: Env | None, incomplete: str) -> list[str]:
    """The usual areas, the configured one and those in the journal, most used first."""
    from matlog.config import AREAS

    counts = dict.fromkeys(AREAS, 0)
    with contextlib.suppress(Exception):  # a broken config still completes the usual areas
        if env is not None:
            counts.setdefault(env.config.area, 0)
    names = _names(env)
    for area, n in (names[1] if names else {}).items():
        counts[area] = counts.get(area, 0) + n
    return _ranked(counts, incomplete)


def metric_names(env: Env | None) -> list[str]:
    """The configured metrics (the built-in ones if the config cannot be read)."""
    from matlog.config import DEFAULT_METRICS

    with contextlib.suppress(Exception):  # completion never fails
        if env is not None:
            return list(env.config.metrics)
    return list(DEFAULT_METRICS)


def _names(env: Env | None) -> tuple[dict[str, int], dict[str, int]] | None:
    from matlog.journal.summaries import NamesFolder

    with contextlib.suppress(Exception):  # unreadable or broken: nothing from the journal
        if env is not None:
            return env.journal.fold(NamesFolder())
    return None


def _ranked(counts: dict[str, int], incomplete: str) -> list[str]:
    fitting = [name for name in counts if name.startswith(incomplete) and _shell_safe(name)]
    return sorted(fitting, key=lambda name: (-counts[name], name))


def _shell_safe(word: str) -> bool:
    """Offered only as a word the shell reads back as itself: the shells insert completions
    unquoted, so a tag from a synced journal like `x;touch f` or one with a newline or a
    space would become shell syntax (or two words). Such tags are typed, not completed."""
    return bool(word) and all(char.isalnum() or char in "-_.,:+@%/=" for char in word)
