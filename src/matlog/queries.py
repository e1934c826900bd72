"""What commands ask of the domain, shared by the Typer commands and by `fast`.

`before_command` runs before every command (recovery of killed sessions, the rating owed);
`plan` and `stats` go through the stats cache: a running summary of the whole journal
(`stats.StatsFolder`) that costs an appended session, not the journal's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matlog.env import Env
    from matlog.errors import DataError
    from matlog.plan import Advice
    from matlog.records import Session
    from matlog.stats import StatsJson


# Commands that must not stop to offer a rating: they change or inspect the journal itself.
_NO_RATING_OFFER = ("rate", "undo", "edit", "check", "paths")


def before_command(env: Env, command: str) -> None:
    """Log sessions killed outright, then offer a rating owed (at a terminal only)."""
    import sys

    from matlog import paths

    state_dir = paths.state_dir()
    if not state_dir.is_dir():
        return
    from matlog.session import recovery

    def say(text: str) -> None:  # one line each, whatever the width; file names as they are
        env.err.print(text, soft_wrap=True, markup=False)

    recovery.recover_killed_sessions(state_dir, say)
    # Only to a person at a terminal: `log | grep`, `stats --json | jq` or `plan > f` would
    # stop at a question nobody sees.
    at_a_terminal = env.interactive and sys.stderr.isatty() and sys.stdout.isatty()
    if command in _NO_RATING_OFFER or not at_a_terminal:
        return
    from matlog.errors import DataError

    try:
        recovery.offer_owed_rating(
            state_dir, env.journal, env.prompter(), env.config.metrics, _say_plainly
        )
    except DataError:
        if command != "start":
            raise
        # A journal that cannot be read never stands between a user and the mat: `start`
        # says what is wrong with it itself.


def _say_plainly(text: str) -> None:
    """A line on stderr as it is: no markup, no wrapping inside a path or an id."""
    import sys

    print(text, file=sys.stderr)


def plan(env: Env) -> Advice:
    from matlog.stats import StatsFolder

    _note_if_blank(env)
    folder = StatsFolder(env.config)
    _, ladder = env.journal.fold(folder) or folder.start()
    return ladder.advice(env.clock.now())


def latest_sessions(env: Env, count: int) -> list[Session]:
    """The `count` newest sessions, newest first (`matlog log`).

    Up to `LATEST_KEPT` come from a cached summary of the newest sessions, so showing five
    never builds ten thousand; more than that, from the whole journal.
    """
    from matlog.journal.summaries import LATEST_KEPT, LatestFolder, newest_first

    if count > LATEST_KEPT:
        return newest_first(env.read_journal().sessions)[:count]
    _note_if_blank(env)
    return (env.journal.fold(LatestFolder()) or [])[:count]


def plan_for_start(env: Env) -> tuple[Advice, DataError | None]:
    """The plan's advice, or, if the journal cannot be read, the plan's start and why.

    A countdown never depends on the journal (SPEC, "Promises about data"): `start` runs
    the session anyway and its record goes to a rescue file.
    """
    from matlog.errors import DataError

    try:
        return plan(env), None
    except DataError as exc:
        from matlog.plan import Ladder

        return Ladder(env.config.plan).advice(env.clock.now()), exc


def stats(
    env: Env,
    *,
    since: str | None = None,
    until: str | None = None,
    last: str | None = None,
    tags: Sequence[str] = (),
    area: str | None = None,
) -> StatsJson:
    from matlog import stats as stats_module

    config = env.config
    now = env.clock.now()
    filters = stats_module.parse_filters(
        since=since,
        until=until,
        last=last,
        tags=tags,
        area=area,
        today=stats_module.day_of(now, config.day_starts),
    )
    _note_if_blank(env)
    return stats_module.report(env.journal, config, now, filters)


def _note_if_blank(env: Env) -> None:
    if env.journal.is_blank():
        env.note_blank_journal()
