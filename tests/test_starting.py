"""`matlog start`'s decisions, directly (`matlog.starting`), without Typer."""

from __future__ import annotations

from pathlib import Path

import pytest

from matlog.clock import FakeClock
from matlog.env import Env
from matlog.errors import UsageError
from matlog.starting import StartOptions, prepare


def env_for(journal_path: Path, clock: FakeClock, interactive: bool = False) -> Env:
    return Env(journal_path=journal_path, clock=clock, interactive=interactive)


def test_a_typed_duration_wins_else_the_plan(journal_path: Path, clock: FakeClock) -> None:
    env = env_for(journal_path, clock)
    assert prepare(env, StartOptions(duration="12")).plan.planned_seconds == 720
    plan = prepare(env, StartOptions()).plan
    assert plan.planned_seconds == 300  # the plan's first rung, on an empty journal
    assert (plan.ask_before, plan.ask_after) == (False, False)  # nobody at a terminal


def test_far_above_the_plan_wants_a_yes(journal_path: Path, clock: FakeClock) -> None:
    prepared = prepare(env_for(journal_path, clock), StartOptions(duration="40"))
    assert prepared.above_plan is not None and "well above your plan" in prepared.above_plan
    assert prepare(env_for(journal_path, clock), StartOptions(duration="5")).above_plan is None


def test_at_a_terminal_the_ratings_not_given_are_asked(journal_path: Path, clock) -> None:
    env = env_for(journal_path, clock, interactive=True)
    plan = prepare(env, StartOptions(before=["pain=4"], rate_later=True)).plan
    assert plan.before == {"pain": 4} and not plan.ask_before and not plan.ask_after
    assert prepare(env, StartOptions(no_ratings=True)).plan.ask_before is False


def test_a_broken_journal_runs_the_plans_start_and_says_so(
    journal_path: Path, clock: FakeClock
) -> None:
    journal_path.write_text("[[session]\n")
    prepared = prepare(env_for(journal_path, clock), StartOptions())
    assert prepared.broken is not None
    message, hint = prepared.broken
    assert "the session runs anyway" in message and "5m, the plan's start" in message
    assert "matlog check" in hint
    assert prepared.plan.planned_seconds == 300


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (StartOptions(layer="wool"), "--layer must be one of"),
        (StartOptions(surface="sofa"), "--surface must be one of"),
        (StartOptions(tags=[" "]), "a tag must not be empty"),
        (StartOptions(duration="0"), "more than zero"),
        (StartOptions(condition="mat"), "--condition is for trial nights"),
    ],
)
def test_bad_options_are_usage_errors_before_anything_runs(
    journal_path: Path, clock: FakeClock, options: StartOptions, words: str
) -> None:
    with pytest.raises(UsageError, match=words):
        prepare(env_for(journal_path, clock), options)
    assert not journal_path.exists()
