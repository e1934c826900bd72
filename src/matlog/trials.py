"""The `matlog trial` commands and the trial's part in `matlog start`: journal and clock in,
`trial`'s pure values out. No Typer, no printing: `cli` parses and `trial_display` renders.

Reading goes through a fold of its own (`TrialFolder`, kept by the journal cache like the
stats' one): the trials, the sessions that name one, and the nights' sleep ratings. A trial
report on a decade of sessions then costs the journal's appended tail, not its length.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from matlog import trial as design_module
from matlog.durations import format_duration, parse_duration
from matlog.errors import DataError, UsageError
from matlog.journal import Contents, parse_record_dict, record_to_dict
from matlog.lightclass import dataclass, replace
from matlog.records import (
    CONDITIONS,
    CONTROL_KINDS,
    MAX_PAIRS,
    MIN_PAIRS,
    MIN_WORTHWHILE,
    RATING_MAX,
    Condition,
    Session,
    Sleep,
    Trial,
    new_id,
)
from matlog.stats import day_of
from matlog.trial import SLEEP, NightData, Report, Status

if TYPE_CHECKING:
    from matlog.config import Config
    from matlog.env import Env

FOLD_FORMAT = 1  # the shape of `TrialFolder.dump`
CONTROL_WORDS = "lie down in the same place, at the same time, for the same length, without the mat"
START_HINT = "start one with `matlog trial start`"


# ---------------------------------------------------------------------------------------
# What the journal holds for trials, folded and cached


@dataclass
class TrialRecords:
    """The trials, their sessions and the sleep ratings: all a trial command reads."""

    trials: list[Trial]
    sessions: list[Session]  # sessions that name a trial
    sleeps: dict[date, int]  # night -> its latest rating in the file

    def add_record(self, record: Trial | Session) -> None:
        if isinstance(record, Trial):
            self.trials.append(record)
        else:
            self.sessions.append(record)

    def latest(self) -> Trial | None:
        """The trial created last (a journal may hold earlier, finished ones)."""
        return max(self.trials, key=lambda t: (t.created, t.line), default=None)

    def nights(self, trial: Trial, day_starts: time) -> list[NightData]:
        sleeps = [Sleep(night=night, rating=rating) for night, rating in self.sleeps.items()]
        try:
            return design_module.collect_nights(trial, self.sessions, sleeps, day_starts)
        except ValueError as exc:  # the parser refuses this first; never guessed here
            raise DataError(str(exc), hint="`matlog check` lists every problem") from None


class TrialFolder:
    """The journal cache's summary for trial commands (see `cache.fold`).

    Its state is plain values: trials and sessions as their JSON Lines fields, read back
    through the journal's own validation. Order-free: the first session of a night is found
    by its start, and a tail's sleep ratings come later in the file, so they win.
    """

    name = "trials"

    def key(self) -> tuple[Any, ...]:
        return (FOLD_FORMAT,)

    def modules(self) -> tuple[Any, ...]:
        return (sys.modules[__name__],)

    def start(self) -> TrialRecords:
        return TrialRecords([], [], {})

    def add(self, summary: TrialRecords, contents: Contents) -> bool:
        summary.trials.extend(contents.trials)
        summary.sessions.extend(s for s in contents.sessions if s.trial is not None)
        for sleep in sorted(contents.sleeps, key=lambda s: s.line):
            summary.sleeps[sleep.night] = sleep.rating
        return True

    def dump(self, summary: TrialRecords) -> Any:
        return (
            [_plain(record_to_dict(t)) | {"line": t.line} for t in summary.trials],
            [_plain(record_to_dict(s)) | {"line": s.line} for s in summary.sessions],
            [(night.toordinal(), rating) for night, rating in summary.sleeps.items()],
        )

    def load(self, state: Any) -> TrialRecords:
        trials, sessions, sleeps = state
        loaded = TrialRecords([], [], {})
        for item in [*trials, *sessions]:
            loaded.add_record(_record("trial" if "schedule" in item else "session", item))
        loaded.sleeps = {date.fromordinal(night): rating for night, rating in sleeps}
        return loaded


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """The known fields, dates as ISO text (the parser reads them back). Unknown fields are
    left out: no trial command reads them, and `rewrite` reads the real record."""
    return {
        key: value.isoformat() if isinstance(value, datetime | date) else value
        for key, value in values.items()
        if key in _KNOWN
    }


_KNOWN = {
    *("id", "created", "first_night", "schedule", "seed", "outcome", "worthwhile", "control"),
    *("seconds", "unblinded", "stopped", "started", "planned_seconds", "actual_seconds"),
    *("ended", "area", "layer", "surface", "tags", "before", "after", "note", "trial"),
    "condition",
}


def _record(kind: str, item: dict[str, Any]) -> Trial | Session:
    values = dict(item)
    line = values.pop("line")
    record = parse_record_dict(kind, values)
    record.line = line
    assert isinstance(record, Trial | Session)
    return record


def trial_records(env: Env) -> TrialRecords:
    return env.journal.fold(TrialFolder()) or TrialFolder().start()


def today(env: Env) -> date:
    return day_of(env.clock.now(), env.config.day_starts)


def _latest_or_refuse(records: TrialRecords) -> Trial:
    trial = records.latest()
    if trial is None:
        raise UsageError("there is no trial in the journal", hint=START_HINT)
    return trial


def _check_outcome(trial: Trial, config: Config) -> None:
    """A trial whose outcome the config no longer rates cannot be analysed: say so (exit 1)."""
    if trial.outcome != SLEEP and trial.outcome not in config.metrics:
        raise DataError(
            f"the trial's outcome {trial.outcome!r} (journal line {trial.line}) is not one of "
            "your metrics",
            hint=f'add `{trial.outcome} = "lower"` (or "higher") to [metrics] in config.toml',
        )


# ---------------------------------------------------------------------------------------
# `trial start`


@dataclass
class Design:
    """What `trial start` shows before it asks: the trial to record and the estimate."""

    trial: Trial
    fingerprint: str
    estimate: dict[float, int] | None  # pairs needed per worthwhile; None: too little history
    history: int  # how many earlier values the estimate had
    pairs_from_history: bool  # the pairs are the estimate's (no --pairs given)


def design(
    env: Env,
    *,
    outcome: str | None = None,
    worthwhile: float | None = None,
    pairs: int | None = None,
    first_night: str | None = None,
    minutes: str | None = None,
    control: str | None = None,
    seed: int | None = None,
) -> Design:
    """The trial `trial start` would record; a UsageError for anything it must refuse."""
    config = env.config
    night0 = today(env)
    records = trial_records(env)
    running = records.latest()
    if running is not None and not running.is_over(night0):
        raise UsageError(
            f"a trial is running already (from {running.first_night}, to {running.last_night})",
            hint="one at a time: `matlog trial status` shows it, `matlog trial stop` ends it",
        )
    outcome = outcome.strip() if outcome is not None else "stress"
    known = [*config.metrics, SLEEP]
    if outcome not in known:
        raise UsageError(
            f"--outcome {outcome!r} is not one of your metrics or sleep",
            hint=f"choose one of {', '.join(known)}",
        )
    control = control if control is not None else "rest"
    if control not in CONTROL_KINDS:
        raise UsageError(
            f"--control must be rest or none, got {control!r}",
            hint="rest: lie still without the mat; none: no session (sleep only)",
        )
    if control == "none" and outcome != SLEEP:
        raise UsageError(
            "--control none leaves control nights without a session, so only sleep can be "
            f"compared, not {outcome}",
            hint="add --outcome sleep, or use --control rest",
        )
    worthwhile = 1.0 if worthwhile is None else worthwhile
    if not MIN_WORTHWHILE <= worthwhile <= RATING_MAX:
        raise UsageError(
            f"--worthwhile must be from {MIN_WORTHWHILE:g} to {RATING_MAX} points, "
            f"got {worthwhile:g}",
            hint="the smallest change worth having, e.g. --worthwhile 1",
        )
    if pairs is not None and not MIN_PAIRS <= pairs <= MAX_PAIRS:
        raise UsageError(
            f"--pairs must be {MIN_PAIRS} to {MAX_PAIRS}, got {pairs}",
            hint="e.g. --pairs 14 (four weeks of nights)",
        )
    start = night0
    if first_night is not None:
        try:
            start = date.fromisoformat(first_night.strip())
        except ValueError:
            raise UsageError(
                f"--first-night must be a date YYYY-MM-DD, got {first_night!r}",
                hint=f"e.g. {night0}",
            ) from None
        if start < night0:
            raise UsageError(
                f"--first-night {start} is in the past: the nights are drawn before they come",
                hint=f"tonight is {night0}",
            )
    if minutes is not None:
        seconds = parse_duration(minutes, what="--minutes")
    else:
        from matlog import queries

        seconds = queries.plan(env).next_seconds
    values = _history(env, outcome)
    estimate = design_module.nights_estimate(values)
    chosen = pairs
    if chosen is None:
        chosen = design_module.DEFAULT_PAIRS
        if estimate is not None:
            chosen = design_module.pairs_needed(_sigma(values), worthwhile)
    if seed is None:
        import secrets

        seed = secrets.randbits(32)
    if not 0 <= seed < 2**63:  # the journal's TOML holds 64-bit integers
        raise UsageError(f"--seed must be from 0 to 2^63 − 1, got {seed}", hint="or leave it out")
    if start.toordinal() + 2 * chosen > date(9998, 12, 31).toordinal():
        raise UsageError(
            f"--first-night {start}: the trial's nights would run past the year 9998",
            hint=f"tonight is {night0}",
        )
    now = env.clock.now().replace(microsecond=0)
    trial = Trial(
        id=new_id(now),
        created=now,
        first_night=start,
        schedule=design_module.draw_schedule(chosen, seed),
        seed=seed,
        outcome=outcome,
        worthwhile=float(worthwhile),
        control=control,  # checked against CONTROL_KINDS
        seconds=seconds,
    )
    return Design(
        trial=trial,
        fingerprint=design_module.fingerprint(trial),
        estimate=estimate,
        history=len(values),
        pairs_from_history=pairs is None and estimate is not None,
    )


def _sigma(values: list[float]) -> float:
    n = len(values)
    mean = sum(values) / n
    return float((sum((v - mean) ** 2 for v in values) / (n - 1)) ** 0.5)


def _history(env: Env, outcome: str) -> list[float]:
    """Earlier values of the outcome: rated changes of mat sessions, or sleep ratings."""
    contents = env.read_journal()
    if outcome == SLEEP:
        latest: dict[date, int] = {}
        for sleep in sorted(contents.sleeps, key=lambda s: s.line):
            latest[sleep.night] = sleep.rating
        return [float(r) for r in latest.values()]
    return [
        float(s.after[outcome] - s.before[outcome])
        for s in contents.sessions
        if s.condition != "control" and outcome in s.before and outcome in s.after
    ]


def record_start(env: Env, chosen: Design) -> Trial:
    """Append the trial record (the same append as every record)."""
    env.append([chosen.trial])
    return chosen.trial


# ---------------------------------------------------------------------------------------
# `matlog start` on a trial night


@dataclass
class TrialNight:
    """What `matlog start` needs to know tonight: None from `tonight` if no trial night."""

    trial: Trial
    number: int  # 1-based
    drawn: Condition
    done_already: bool  # tonight's trial session exists: this one is ordinary
    condition: Condition  # what this session records (the draw, or --condition)
    deviation: bool

    @property
    def of(self) -> int:
        return self.trial.nights

    def announcement(self) -> str:
        """Said before the ratings, e.g. "Trial night 7 of 28: control — lie down ..."."""
        head = f"Trial night {self.number} of {self.of}"
        if self.done_already:
            return (
                f"{head}: tonight's trial session is recorded already; this one is an "
                "ordinary session, not part of the trial."
            )
        if self.drawn == "control" and self.trial.control == "none":
            what = "control — no session tonight"
        elif self.drawn == "control":
            what = "control — lie down in the same place, without the mat"
        else:
            what = "mat — lie on the mat as usual"
        text = f"{head}: {what}."
        if self.deviation:
            text += f" You chose {self.condition}: recorded as done, and listed as a deviation."
        return text

    def warnings(self, planned_seconds: int, rated_before: bool, rated_after: bool) -> list[str]:
        """What would weaken tonight's trial session, said before it starts: a session
        shorter than the trial's, or no before/after rating of the outcome (the night then
        has no value and its pair drops out of the analysis)."""
        if self.done_already:
            return []
        found = []
        if planned_seconds < self.trial.seconds:
            found.append(
                f"Trial nights are {format_duration(self.trial.seconds)} long; this one is "
                f"{format_duration(planned_seconds)}, and it is tonight's trial session all "
                "the same (one per night)."
            )
        outcome = self.trial.outcome
        if outcome != "sleep" and not (rated_before and rated_after):
            found.append(
                f"The trial's outcome is {outcome}: without a rating before and after, "
                f"tonight has no value and its pair drops out (e.g. -b {outcome}=6 -a "
                f"{outcome}=4, or answer the prompts)."
            )
        return found

    def label(self) -> str | None:
        """The countdown frame's label; None for an ordinary session."""
        if self.done_already:
            return None
        return f"trial night {self.number}/{self.of}: {self.condition}"


def tonight(env: Env, override: str | None = None) -> TrialNight | None:
    """Tonight's trial night, if a running trial has one; `override` is --condition."""
    if override is not None and override not in CONDITIONS:
        raise UsageError(
            f"--condition must be mat or control, got {override!r}",
            hint="what you do tonight instead of the draw",
        )
    night = today(env)
    records = trial_records(env)
    trial = records.latest()
    drawn = trial.condition_on(night) if trial is not None else None
    if trial is None or drawn is None:
        if override is not None:
            raise UsageError(
                "--condition is for trial nights, and tonight is not one",
                hint="`matlog trial status` shows the trial",
            )
        return None
    day_starts = env.config.day_starts
    done_already = any(
        s.trial == trial.id and day_of(s.started, day_starts) == night for s in records.sessions
    )
    if done_already and override is not None:
        raise UsageError(
            "tonight's trial session is recorded already: --condition cannot change it",
            hint="run without --condition for an ordinary session",
        )
    condition: Condition
    if override is not None:
        condition = override  # checked against CONDITIONS
    elif drawn == "control" and trial.control == "none":
        condition = "mat"  # a session on a no-session night: what is done is a mat session
    else:
        condition = drawn
    expected = None if drawn == "control" and trial.control == "none" else drawn
    index = trial.index_of(night)
    assert index is not None
    return TrialNight(
        trial=trial,
        number=index + 1,
        drawn=drawn,
        done_already=done_already,
        condition=condition,
        deviation=not done_already and condition != expected,
    )


# ---------------------------------------------------------------------------------------
# `trial status`, `trial report`, `trial stop`


def status(env: Env) -> Status:
    records = trial_records(env)
    trial = _latest_or_refuse(records)
    return design_module.status(trial, records.nights(trial, env.config.day_starts), today(env))


@dataclass
class Analysis:
    report: Report
    metrics: Mapping[str, str]
    peeked_now: bool  # this report is the one that recorded `unblinded`


def report(env: Env, *, unblind: bool = False) -> Analysis:
    """The analysis; before the trial is over only with `unblind`, which records the peek."""
    records = trial_records(env)
    trial = _latest_or_refuse(records)
    config = env.config
    _check_outcome(trial, config)
    night = today(env)
    peeked_now = False
    if not trial.is_over(night):
        if not unblind:
            raise UsageError(
                f"the trial runs until the night of {trial.last_night}: its results are "
                "not looked at before then",
                hint="`matlog trial status` shows how it goes; `--unblind` looks now and "
                "says so in every later report",
            )
        if trial.unblinded is None:  # the first look is the one that matters
            trial = _set(env, trial, unblinded=env.clock.now().replace(microsecond=0))
            peeked_now = True
    nights = records.nights(trial, config.day_starts)
    analysed = design_module.analyse(trial, nights, night, config.metrics)
    return Analysis(report=analysed, metrics=config.metrics, peeked_now=peeked_now)


def stop(env: Env) -> Trial:
    records = trial_records(env)
    trial = _latest_or_refuse(records)
    night = today(env)
    if trial.is_over(night):
        when = f"stopped on {trial.stopped}" if trial.stopped else f"ended on {trial.last_night}"
        raise UsageError(f"the trial {when}: there is nothing to stop", hint=START_HINT)
    return _set(env, trial, stopped=night)


def _set(env: Env, shown: Trial, **changes: Any) -> Trial:
    """Change fields of the trial record in place, found by its id (Journal.rewrite)."""
    updated: list[Trial] = []

    def change(contents: Contents) -> tuple[Contents, Trial | None, Trial | None]:
        for index, old in enumerate(contents.trials):
            if old.id == shown.id:
                new = replace(old, **changes)
                updated.append(new)
                trials = [*contents.trials[:index], new, *contents.trials[index + 1 :]]
                return replace(contents, trials=trials), old, new
        return contents, None, None

    if env.journal.rewrite(change) is None:
        raise DataError(
            f"the trial {shown.id} is no longer in the journal; nothing was changed",
            hint="`matlog check` and `matlog trial status` show the journal now",
        )
    return updated[0]
