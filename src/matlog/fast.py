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

# The options `stats` takes a value for, and the keyword each fills.
_STATS_OPTIONS = {
    "--since": "since",
    "--until": "until",
    "--last": "last",
    "--area": "area",
    "--tag": "tags",
    "-t": "tags",
}


def run(argv: Sequence[str]) -> int | None:
    """The exit code, or None if this is not a plain `plan --json` or `stats --json`."""
    args = list(argv)
    journal: str | None = None
    if args[:1] == ["--journal"] and len(args) >= 2:
        journal, args = args[1], args[2:]
    elif args and args[0].startswith("--journal="):
        journal, args = args[0].removeprefix("--journal="), args[1:]
    if journal is not None and not _plain(journal):
        return None
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
    """The spellings click reads the obvious way: `--name value`, `--name=value`, `-t value`.

    Anything else is Typer's: `-t=x` and `-tx` (click's values there are `=x` and `x`),
    `--`, `--json=...`, help, positionals, unknown options, and values that are empty or
    begin with a dash (click would take `--since --json` as the date "--json").
    """
    options: _Options = {"tags": []}
    rest = iter(args)
    for arg in rest:
        if arg == "--json":
            continue
        if arg == "-t":
            name, value = arg, next(rest, None)
        elif arg.startswith("--"):  # only long options split at `=`
            name, eq, value = arg.partition("=")
            if not eq:
                value = next(rest, None)
        else:
            return None
        if name not in _STATS_OPTIONS or value is None or not _plain(value):
            return None
        key = _STATS_OPTIONS[name]
        if key == "tags":
            options["tags"].append(value)
        else:  # given twice, the last wins, as in click
            options[key] = value  # type: ignore[literal-required]
    return options


def _plain(value: str) -> bool:
    """A value that means the same to click and to a reader: not empty, not dash-led."""
    return value != "" and not value.startswith("-")


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
