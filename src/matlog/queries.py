"""What the read-only commands `plan` and `stats` compute from the journal.

Shared by their Typer commands and by `fast`, so both give the same answer. Both go through
the stats cache: a running summary of the whole journal (`stats.StatsFolder`) that costs an
appended session, not the journal's length.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matlog.env import Env
    from matlog.plan import Advice


def plan(env: Env) -> Advice:
    from matlog.stats import StatsFolder

    _note_if_blank(env)
    folder = StatsFolder(env.config)
    _, ladder = env.journal.fold(folder) or folder.start()
    return ladder.advice(env.clock.now())


def stats(
    env: Env,
    *,
    since: str | None = None,
    until: str | None = None,
    last: str | None = None,
    tags: Sequence[str] = (),
    area: str | None = None,
) -> dict[str, Any]:
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
