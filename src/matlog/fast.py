"""`matlog plan --json` and `matlog stats --json` without Typer.

These two are what scripts, status bars and prompts call, often: importing Typer alone costs
about four times a bare Python start, more than all their work. So `__main__` tries this
first. It takes only the plain spellings of these commands and hands anything else
(`--help`, a misspelled option, a missing value) back to Typer, returning None. The output,
errors and exit codes are the Typer commands' own: both call the same functions, and
tests/test_fast.py runs every form both ways and compares.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypedDict

from matlog.errors import report

if TYPE_CHECKING:
    from matlog.env import Env

_STATS_VALUES = {"--since": "since", "--until": "until", "--last": "last", "--area": "area"}
_STATS_TAGS = ("--tag", "-t")


def run(argv: Sequence[str]) -> int | None:
    """The exit code, or None if this is not a plain `plan --json` or `stats --json`."""
    args = list(argv)
    journal: str | None = None
    if len(args) >= 2 and args[0] == "--journal":
        journal, args = args[1], args[2:]
    elif args and args[0].startswith("--journal="):
        journal, args = args[0].split("=", 1)[1], args[1:]
    if args == ["plan", "--json"]:
        return _guarded("plan", _plan, journal)
    if args[:1] == ["stats"] and "--json" in args:
        options = _stats_options(args[1:])
        if options is None:
            return None
        return _guarded("stats", lambda env: _stats(env, options), journal)
    return None


class _Options(TypedDict, total=False):
    since: str
    until: str
    last: str
    area: str
    tags: list[str]


def _stats_options(args: list[str]) -> _Options | None:
    options: _Options = {"tags": []}
    rest = iter(args)
    for arg in rest:
        if arg == "--json":
            continue
        name, eq, value = arg.partition("=")
        if name not in _STATS_VALUES and name not in _STATS_TAGS:
            return None
        if not eq:
            following = next(rest, None)
            if following is None or following.startswith("-"):
                return None  # a missing value: Typer's message says so
            value = following
        if name in _STATS_TAGS:
            options["tags"].append(value)
        else:
            options[_STATS_VALUES[name]] = value  # type: ignore[literal-required]
    return options


def _guarded(command: str, body: Callable[[Env], None], journal: str | None) -> int:
    from matlog import paths, queries
    from matlog.env import Env

    try:
        env = Env(journal_path=paths.journal_path(journal))
        queries.before_command(env, command)
        body(env)
    except (Exception, KeyboardInterrupt) as exc:
        code = report(exc)
        if code is None:
            raise
        return code
    return 0


def _plan(env: Env) -> None:
    from matlog import queries

    print(json.dumps(queries.plan(env).to_json()))


def _stats(env: Env, options: _Options) -> None:
    from matlog import queries

    result = queries.stats(env, **options)
    print(json.dumps(result, ensure_ascii=False, indent=2))
