"""`matlog start` around its countdown: every decision, and no Typer.

`cli.start_command` parses the options, calls `prepare`, says what it returns, asks the one
question there may be (a duration far above the plan), then calls `run` and prints the end
lines. What runs (the duration, the ratings asked, tonight's trial night) is decided here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from matlog import paths, queries, ratings, trials
from matlog.durations import format_duration, parse_duration
from matlog.errors import UsageError
from matlog.lightclass import dataclass, field
from matlog.records import LAYERS, SURFACES
from matlog.session import SessionPlan, end_lines, run_session
from matlog.session.start import start_notes
from matlog.text import nfc

if TYPE_CHECKING:
    from matlog.env import Env
    from matlog.session import Outcome


@dataclass
class StartOptions:
    """`matlog start`'s options as typed (text, not yet checked)."""

    duration: str | None = None
    before: Sequence[str] = ()
    after: Sequence[str] = ()
    no_ratings: bool = False
    rate_later: bool = False
    tags: Sequence[str] = ()
    area: str | None = None
    note: str | None = None
    settle: str | None = None
    bell_every: str | None = None
    layer: str | None = None
    surface: str | None = None
    condition: str | None = None


@dataclass
class Prepared:
    """What to run, and what to say first, in this order."""

    plan: SessionPlan
    broken: tuple[str, str] | None = None  # the journal cannot be read: (message, hint)
    notices: list[str] = field(default_factory=list)  # safety, other sessions, trial night
    above_plan: str | None = None  # far above the plan: a yes is wanted, unless --yes
    label: str | None = None  # the countdown's frame: tonight's trial condition


def prepare(env: Env, options: StartOptions) -> Prepared:
    """Check the options (UsageError) and decide the session: its duration (DURATION, else
    tonight's trial minutes, else the plan), which ratings are asked, the trial night."""
    config = env.config
    if options.layer is not None and options.layer not in LAYERS:
        raise UsageError(f"--layer must be one of {', '.join(LAYERS)}, got {options.layer!r}")
    if options.surface is not None and options.surface not in SURFACES:
        raise UsageError(f"--surface must be one of {', '.join(SURFACES)}, got {options.surface!r}")
    if any(not t.strip() for t in options.tags):
        raise UsageError("a tag must not be empty", hint="e.g. -t bedtime")
    before = ratings.parse_rating_flags(list(options.before), config.metrics)
    after = ratings.parse_rating_flags(list(options.after), config.metrics)
    settle_seconds = (
        config.settle_seconds
        if options.settle is None
        else parse_duration(options.settle, what="--settle", allow_zero=True)
    )
    bell_seconds = (
        parse_duration(options.bell_every, what="--bell-every") if options.bell_every else None
    )
    typed = parse_duration(options.duration) if options.duration is not None else None
    advice, broken = queries.plan_for_start(env)
    # A journal that cannot be read has no trial to look up: tonight is an ordinary night.
    night = trials.tonight(env, options.condition) if broken is None else None
    trial_night = night if night is not None and not night.done_already else None
    if typed is not None:
        planned = typed
    else:
        planned = trial_night.trial.seconds if trial_night else advice.next_seconds

    said: list[str] = []
    problem = None
    if broken is not None:
        # The countdown never depends on the journal: it runs, and the record is rescued.
        length = "" if typed is not None else f"; {format_duration(planned)}, the plan's start"
        problem = (
            f"{broken.message}: the session runs anyway and its record will go to a rescue "
            f"file{length}",
            "`matlog check` lists every problem",
        )
    notes = start_notes(paths.state_dir(), planned, advice, config.sound_command)
    said += notes.notices
    # A trial night's minutes were agreed when the trial started: no warning for them.
    above_plan = None if trial_night and typed is None else notes.above_plan
    asking = env.interactive and not options.no_ratings
    if night is not None:
        measured = night.trial.outcome
        said.append(night.announcement())
        said += night.warnings(
            planned,
            rated_before=asking or measured in before,
            rated_after=(asking and not options.rate_later) or measured in after,
        )
    plan = SessionPlan(
        planned_seconds=planned,
        area=nfc(options.area or config.area),
        before=before,
        after=after,
        ask_before=asking and not before,
        ask_after=asking and not after and not options.rate_later,
        tags=list(dict.fromkeys(nfc(t.strip()) for t in options.tags)),  # one form: `text`
        layer=options.layer,
        surface=options.surface,
        note=options.note,
        settle_seconds=settle_seconds,
        bell_every=bell_seconds,
        trial=trial_night.trial.id if trial_night else None,
        condition=trial_night.condition if trial_night else None,
    )
    label = night.label() if night is not None else None
    return Prepared(plan, problem, said, above_plan, label)


def run(env: Env, prepared: Prepared, *, rate_later: bool) -> tuple[Outcome, list[str]]:
    """Run the session; its outcome, and the lines that end it (summary, how to rate)."""
    outcome = run_session(prepared.plan, env.session_runner(prepared.label))
    next_seconds = queries.plan(env).next_seconds
    return outcome, end_lines(outcome, env.config.metrics, next_seconds, rate_later=rate_later)
