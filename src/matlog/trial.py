"""The self-experiment (`matlog trial`): the design, the per-night bookkeeping, the analysis.

Pure: no Typer, no Rich, no files, no clock. "Today" is a parameter, and the nights come in
as `NightData` values that the caller builds from the journal (the night's trial session,
the condition it recorded, its after − before changes, the night's sleep rating).

The design is paired nights (SPEC "Self-experiment"): night 2k−1 and 2k form pair k, one mat
night and one control night in a drawn order. The analysis follows the design:

- d_k = value on the mat night − value on the control night, over complete pairs only;
- labels are the DRAWN conditions (intention to treat): a night where the user did the other
  condition is a deviation, listed, and still analysed as drawn, so the comparison keeps the
  protection randomisation gave it. What it estimates is then the effect of being *asked* to
  use the mat: deviations usually dilute it towards zero, but they cannot undo the fairness
  of the draw, as sorting nights by what was done would;
- the p-value is the exact sign-flip randomisation test, counted over sums, never 2^n;
- the interval is Student-t, and `p_worthwhile` the t posterior under a flat prior.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time, timedelta
from fractions import Fraction
from typing import Literal, TypedDict

from matlog.config import Better
from matlog.lightclass import dataclass, field
from matlog.records import CONDITIONS as CONDITIONS
from matlog.records import CONTROL_KINDS as CONTROL_KINDS
from matlog.records import MAX_PAIRS as MAX_PAIRS
from matlog.records import MIN_PAIRS as MIN_PAIRS
from matlog.records import Condition as Condition
from matlog.records import ControlKind as ControlKind
from matlog.records import Session, Sleep
from matlog.records import Trial as Trial
from matlog.tdist import t_cdf, t_critical
from matlog.words import plural

NightState = Literal["done", "deviation", "missed", "to_come", "not_run"]

SLEEP = "sleep"  # the outcome that is the night's sleep rating, not a session's change
DEFAULT_PAIRS = 14
WORTHWHILE_STEPS = (0.5, 1.0, 1.5, 2.0)  # what `trial start` shows the pairs needed for
MIN_HISTORY = 5  # values needed before the history can estimate σ
Z_POWER = 1.96 + 0.84  # two-sided 5% level, 80% power (normal approximation, as in SPEC)
# The smallest p the sign-flip test can give with n pairs is 2 / 2^n: below 6 pairs it can
# never reach 5%, whatever the data. The verdict says so rather than "no clear difference".
MIN_PAIRS_FOR_5_PERCENT = 6

CAVEATS = (
    "Nobody can be blinded to a mat: you knew which nights were mat nights, so expecting it "
    "to help can explain part or all of a difference. Randomising the nights rules out the "
    "time of day, the day of the week, trends and chance patterns, but not expectation. "
    "The result is about these nights for you, not a claim about mats or about other people."
)


# ---------------------------------------------------------------------------------------
# The design


def draw_schedule(pairs: int, seed: int) -> tuple[Condition, ...]:
    """One mat and one control night per pair, each pair's order drawn by `random.Random(seed)`.

    The result is stored on the trial, so a different generator in a later Python never
    changes a running trial; the seed is kept only so the draw can be shown to be a draw.
    """
    if not MIN_PAIRS <= pairs <= MAX_PAIRS:
        raise ValueError(f"pairs must be {MIN_PAIRS} to {MAX_PAIRS}, got {pairs}")
    rng = random.Random(seed)
    schedule: list[Condition] = []
    for _ in range(pairs):
        schedule.extend(("mat", "control") if rng.random() < 0.5 else ("control", "mat"))
    return tuple(schedule)


def fingerprint(trial: Trial) -> str:
    """12 hex digits of BLAKE2b over the design, so a pre-registered design can be checked.

    The design is first_night, schedule, outcome, worthwhile, control and seconds (not id,
    seed, created or what happened later), serialised as compact JSON with sorted keys:
    `{"control":"rest","first_night":"2026-12-03","outcome":"stress","schedule":["mat",...],
    "seconds":1200,"worthwhile":1.0}` (worthwhile always a float, seconds an int), then
    hashed with a 6-byte BLAKE2b digest under the person "matlog-trial1".
    """
    import hashlib  # here: only trial commands pay for it
    import json

    design = {
        "control": trial.control,
        "first_night": trial.first_night.isoformat(),
        "outcome": trial.outcome,
        "schedule": list(trial.schedule),
        "seconds": int(trial.seconds),
        "worthwhile": float(trial.worthwhile),
    }
    text = json.dumps(design, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.blake2b(text.encode(), digest_size=6, person=b"matlog-trial1").hexdigest()


def pairs_needed(sigma: float, worthwhile: float) -> int:
    """Pairs for 80% power at a two-sided 5% level: ⌈((1.96 + 0.84)·σ√2 / worthwhile)²⌉.

    σ is the spread of one night's value; the difference of two independent nights has
    σ·√2. Clamped to 4–60. The rounding before the ceiling keeps float noise (0.7 is not
    exact in binary) from adding a pair when the exact figure is a whole number.
    """
    if worthwhile <= 0:
        raise ValueError("worthwhile must be above 0")
    if sigma < 0:
        raise ValueError("sigma must not be negative")
    exact = (Z_POWER * sigma * math.sqrt(2.0) / worthwhile) ** 2
    return min(MAX_PAIRS, max(MIN_PAIRS, math.ceil(round(exact, 9))))


def nights_estimate(history_values: Sequence[float]) -> dict[float, int] | None:
    """Pairs needed for each worthwhile in 0.5, 1, 1.5, 2, from earlier values of the outcome.

    The values are the before/after changes of earlier sessions (or earlier sleep ratings);
    σ is their sample standard deviation. None below 5 values: too few to trust a spread.
    """
    n = len(history_values)
    if n < MIN_HISTORY:
        return None
    mean = math.fsum(history_values) / n
    sigma = math.sqrt(math.fsum((v - mean) ** 2 for v in history_values) / (n - 1))
    return {worthwhile: pairs_needed(sigma, worthwhile) for worthwhile in WORTHWHILE_STEPS}


# ---------------------------------------------------------------------------------------
# The nights


@dataclass(frozen=True, slots=True)
class NightData:
    """What the journal holds for one trial night.

    `done` is the condition of the night's trial session (its first session), None when it
    had none. `changes` are that session's after − before, per metric rated both ways.
    `sleep` is the night's sleep rating, whatever the session.
    """

    night: date
    drawn: Condition
    done: Condition | None = None
    changes: dict[str, int] = field(default_factory=dict)
    sleep: int | None = None


def collect_nights(
    trial: Trial, sessions: Iterable[Session], sleeps: Iterable[Sleep], day_starts: time
) -> list[NightData]:
    """The trial's nights from journal records (SPEC "During the trial").

    A night's trial session is the first session of that night (by the `day_starts` rule,
    on its own stored offset) that names this trial (`trial = ID`); its `condition` is what
    was done. Later sessions that night are ordinary sessions. A night rated twice for sleep
    counts its latest rating in the file, as `stats` does.
    """
    from matlog.stats import day_of  # here: trial commands only

    first: dict[date, Session] = {}
    for session in sessions:
        if session.trial != trial.id:
            continue
        night = day_of(session.started, day_starts)
        if trial.index_of(night) is None:
            continue
        if night not in first or session.started < first[night].started:
            first[night] = session
    rated = {sleep.night: sleep.rating for sleep in sleeps}
    nights: list[NightData] = []
    for index, drawn in enumerate(trial.schedule):
        night = trial.night_of(index)
        trial_session = first.get(night)
        done: Condition | None = None
        changes: dict[str, int] = {}
        if trial_session is not None:
            condition = trial_session.condition
            if condition not in CONDITIONS:
                # `check` reports this first; here it is refused rather than guessed.
                raise ValueError(
                    f"line {trial_session.line}: condition must be mat or control, "
                    f"got {condition!r}"
                )
            done = condition
            changes = {
                name: trial_session.after[name] - before
                for name, before in trial_session.before.items()
                if name in trial_session.after
            }
        nights.append(
            NightData(night=night, drawn=drawn, done=done, changes=changes, sleep=rated.get(night))
        )
    return nights


def night_state(trial: Trial, night: date, data: NightData | None, today: date) -> NightState:
    """How a planned night stands: done as drawn, a deviation, missed, to come or not run.

    - after a stop: "not_run"; so is the stop's own day when it had no trial session (the
      user stopped before that night's session, so it was never due);
    - tonight without a session yet, and every later night: "to_come";
    - with control "none", a control night is done as drawn by having no session, and any
      session on it is a deviation.
    """
    done = data.done if data is not None else None
    if trial.stopped is not None and (
        night > trial.stopped or (night == trial.stopped and done is None)
    ):
        return "not_run"
    if night > today or (night == today and done is None):
        return "to_come"
    index = trial.index_of(night)
    if index is None:
        raise ValueError(f"{night} is not a night of trial {trial.id}")
    drawn = trial.schedule[index]
    expected = None if trial.control == "none" and drawn == "control" else drawn
    if done == expected:
        return "done"
    return "missed" if done is None else "deviation"


def _by_night(trial: Trial, nights: Iterable[NightData]) -> dict[date, NightData]:
    found: dict[date, NightData] = {}
    for data in nights:
        index = trial.index_of(data.night)
        if index is None:
            continue  # not a night of this trial: the caller may pass a wider window
        if data.drawn != trial.schedule[index]:
            raise ValueError(
                f"night {data.night}: drawn {data.drawn!r}, the schedule says "
                f"{trial.schedule[index]!r}"
            )
        if data.night in found:
            raise ValueError(f"night {data.night} given twice")
        found[data.night] = data
    return found


class Counts(TypedDict):
    planned: int
    done: int  # done as drawn
    missed: int
    deviations: int
    to_come: int
    not_run: int


def _counts(states: Iterable[NightState], planned: int) -> Counts:
    tally = {"done": 0, "deviation": 0, "missed": 0, "to_come": 0, "not_run": 0}
    for state in states:
        tally[state] += 1
    return Counts(
        planned=planned,
        done=tally["done"],
        missed=tally["missed"],
        deviations=tally["deviation"],
        to_come=tally["to_come"],
        not_run=tally["not_run"],
    )


# ---------------------------------------------------------------------------------------
# `trial status`: adherence only, no effect estimate


class StripNight(TypedDict):
    night: str  # ISO date
    number: int  # 1-based, as the user counts
    drawn: Condition | None  # None for nights to come: see `status`
    done: Condition | None
    state: NightState


class Tonight(TypedDict):
    night: str
    number: int
    of: int
    condition: Condition
    done: Condition | None  # the condition of tonight's trial session if there was one


class StatusTrial(TypedDict):
    id: str
    first_night: str
    last_night: str
    pairs: int
    outcome: str
    worthwhile: float
    control: ControlKind
    seconds: int
    stopped: str | None
    fingerprint: str


class Status(TypedDict):
    trial: StatusTrial
    over: bool
    tonight: Tonight | None
    nights: Counts
    strip: list[StripNight]


def status(trial: Trial, nights: Iterable[NightData], today: date) -> Status:
    """What `trial status --json` prints: tonight's condition, adherence and the strip.

    There is deliberately no effect estimate here. The strip also hides the drawn condition
    of nights still to come (after tonight): knowing tomorrow is a control night can change
    how today goes, and concealing the allocation is part of a fair trial. The schedule is in
    the journal for anyone who looks; matlog just does not put it in front of the user.
    """
    by_night = _by_night(trial, nights)
    strip: list[StripNight] = []
    states: list[NightState] = []
    tonight: Tonight | None = None
    for index, drawn in enumerate(trial.schedule):
        night = trial.night_of(index)
        data = by_night.get(night)
        state = night_state(trial, night, data, today)
        states.append(state)
        shown = drawn if night <= today and state != "not_run" else None
        done = data.done if data is not None else None
        strip.append(
            StripNight(
                night=night.isoformat(), number=index + 1, drawn=shown, done=done, state=state
            )
        )
        if night == today and trial.condition_on(night) is not None:
            tonight = Tonight(
                night=night.isoformat(),
                number=index + 1,
                of=trial.nights,
                condition=drawn,
                done=done,
            )
    return Status(
        trial=StatusTrial(
            id=trial.id,
            first_night=trial.first_night.isoformat(),
            last_night=trial.last_night.isoformat(),
            pairs=trial.pairs,
            outcome=trial.outcome,
            worthwhile=float(trial.worthwhile),
            control=trial.control,
            seconds=trial.seconds,
            stopped=trial.stopped.isoformat() if trial.stopped else None,
            fingerprint=fingerprint(trial),
        ),
        over=trial.is_over(today),
        tonight=tonight,
        nights=_counts(states, trial.nights),
        strip=strip,
    )


# ---------------------------------------------------------------------------------------
# The statistics of the differences d_k (each usable on its own)


def _whole(differences: Sequence[int]) -> list[int]:
    whole = [int(d) for d in differences]
    if any(w != d for w, d in zip(whole, differences, strict=True)):
        # Ratings and sleep are whole numbers, so their differences are too. A finer scale
        # should be multiplied up to whole numbers by the caller (the test is unchanged by
        # scaling), rather than this guessing a resolution for floats.
        raise ValueError("the sign-flip count needs whole-number differences")
    return whole


def randomisation_p(differences: Sequence[int]) -> Fraction | None:
    """The exact two-sided sign-flip p: the share of the 2^n sign assignments ±d_k with
    |Σ ±d_k| ≥ |Σ d_k|. None for no pairs.

    Under "no effect" each pair's two labels were equally likely either way round, so each
    d_k was equally likely to be +|d_k| or −|d_k|. Counted, not enumerated: with
    T = Σ|d_k|, an assignment that negates a subset with |d| summing to s has sum T − 2s, so
    it is enough to count the subsets of the |d_k| by their sum (a subset-sum table of at
    most T + 1 whole-number counts). Zero differences stay in: each doubles every count and
    the total alike, so they leave p as it is, as in the full enumeration.
    """
    whole = _whole(differences)
    if not whole:
        return None
    sizes = [abs(d) for d in whole]
    total = sum(sizes)
    ways = [0] * (total + 1)  # ways[s]: the subsets of the pairs whose |d| sum to s
    ways[0] = 1
    reach = 0
    for size in sizes:
        reach += size
        if size == 0:
            ways = [2 * w for w in ways]
            continue
        for s in range(reach, size - 1, -1):
            ways[s] += ways[s - size]
    observed = abs(sum(whole))
    extreme = sum(w for s, w in enumerate(ways) if abs(total - 2 * s) >= observed)
    return Fraction(extreme, 2 ** len(whole))


def mean_interval(differences: Sequence[int]) -> tuple[float | None, tuple[float, float] | None]:
    """The mean of the d_k and its two-sided 95% Student-t interval (None below 2)."""
    n = len(differences)
    if n == 0:
        return None, None
    total = sum(differences)
    mean = total / n
    if n < 2:
        return mean, None
    half = t_critical(n - 1) * _standard_error(differences)
    return mean, (mean - half, mean + half)


def _standard_error(differences: Sequence[int]) -> float:
    """s / √n, with the sums of whole numbers kept exact until the last division."""
    n = len(differences)
    total = sum(differences)
    squares = sum(d * d for d in differences)
    variance = max(n * squares - total * total, 0) / (n * (n - 1))
    return math.sqrt(variance / n)


def worthwhile_probability(
    differences: Sequence[int], better: Better, worthwhile: float
) -> float | None:
    """P(true effect ≥ worthwhile in the better direction) under the t posterior.

    With a flat prior on the mean and on log σ, the mean's posterior is the mean of the d_k
    plus s/√n times a Student t with n − 1 degrees of freedom. "Better" for a lower-is-better
    outcome means an effect of −worthwhile or below. None below 2 pairs, and None when every
    d_k is the same (s = 0): the posterior would be a point, a certainty the data cannot
    carry (two pairs that both came out at −1 say little), so no probability is given.
    """
    n = len(differences)
    if n < 2:
        return None
    scale = _standard_error(differences)
    if scale == 0:
        return None
    mean = sum(differences) / n
    if better == "lower":
        return t_cdf((-worthwhile - mean) / scale, n - 1)
    return 1.0 - t_cdf((worthwhile - mean) / scale, n - 1)


def lag1_autocorrelation(differences: Sequence[int]) -> float | None:
    """r₁ = Σ(d_k − d̄)(d_{k+1} − d̄) / Σ(d_k − d̄)², over the complete pairs in order.

    A pair missing between two complete ones is stepped over (they count as neighbours).
    None below 3 pairs, or when all d_k are equal (no variation to correlate).
    """
    n = len(differences)
    if n < 3:
        return None
    mean = sum(differences) / n
    spread = [d - mean for d in differences]
    denominator = math.fsum(x * x for x in spread)
    if denominator == 0:
        return None
    return math.fsum(a * b for a, b in itertools.pairwise(spread)) / denominator


def half_effects(differences: Sequence[int]) -> tuple[float | None, float | None]:
    """The mean d in the first and the second half of the complete pairs, in time order.

    With an odd number the middle pair is left out of both, so the halves are the same size
    and a drift shows as a difference between them. None below 2 pairs.
    """
    half = len(differences) // 2
    if half == 0:
        return None, None
    first, second = differences[:half], differences[-half:]
    return sum(first) / half, sum(second) / half


# ---------------------------------------------------------------------------------------
# `trial report`


class TrialSummary(TypedDict):
    id: str
    first_night: str
    last_night: str
    pairs: int
    outcome: str
    worthwhile: float
    control: ControlKind
    seconds: int
    seed: int
    unblinded: str | None
    stopped: str | None
    fingerprint: str  # extra: repeated so a pre-registered design can be checked


class Deviation(TypedDict):
    night: str
    drawn: Condition
    done: Condition | None  # None: no session on a night that needed none (control "none")


class NightsSummary(TypedDict):
    planned: int
    done: int
    missed: int
    deviations: int
    complete_pairs: int  # for the primary outcome
    # extras
    to_come: int
    not_run: int
    missed_nights: list[str]
    deviation_nights: list[Deviation]


class Difference(TypedDict):
    pair: int  # 1-based
    mat_night: str
    control_night: str
    d: int


class OutcomeReport(TypedDict):
    n_pairs: int
    mat_mean: float | None
    control_mean: float | None
    effect: float | None
    ci95: list[float] | None
    p_randomisation: float | None
    p_worthwhile: float | None
    better: Better
    lag1_autocorrelation: float | None
    first_half_effect: float | None
    second_half_effect: float | None
    # extras, for the picture and for honesty about what was left out
    differences: list[Difference]
    missing_nights: list[str]  # nights so far with no value for this outcome
    unpaired_nights: list[str]  # nights with a value whose pair partner has none


class MeanN(TypedDict):
    n: int
    mean: float | None


class Carryover(TypedDict):
    control_after_mat: MeanN
    control_after_control: MeanN


class Report(TypedDict):
    trial: TrialSummary
    nights: NightsSummary
    primary: str
    outcomes: dict[str, OutcomeReport]
    carryover: Carryover
    over: bool  # extra: False means this report is a peek before the end


def outcome_names(trial: Trial, metrics: Mapping[str, Better]) -> list[str]:
    """The primary outcome first, then every other metric and sleep.

    With control "none" a control night has no session, so no before/after change to
    compare: sleep is then the only outcome.
    """
    names = [SLEEP] if trial.control == "none" else [*metrics, SLEEP]
    if trial.outcome not in names:
        raise ValueError(f"the outcome {trial.outcome!r} is not one of {', '.join(names)}")
    return [trial.outcome, *(name for name in names if name != trial.outcome)]


def _value(data: NightData | None, outcome: str) -> int | None:
    if data is None:
        return None
    return data.sleep if outcome == SLEEP else data.changes.get(outcome)


def analyse(
    trial: Trial,
    nights: Iterable[NightData],
    today: date,
    metrics: Mapping[str, Better],
) -> Report:
    """What `trial report --json` prints (SPEC keys, plus a few extras for the display).

    Nights still to come and nights after a stop are left out; every other night counts,
    whatever was done on it, under its drawn condition. A night's value is its trial
    session's change (or its sleep rating), so a missed night can still give a sleep value.
    """
    by_night = _by_night(trial, nights)
    states: list[NightState] = []
    # The nights so far, by index in the schedule, with their data (None: nothing at all).
    counted: dict[int, NightData | None] = {}
    deviations: list[Deviation] = []
    missed: list[str] = []
    for index, drawn in enumerate(trial.schedule):
        night = trial.night_of(index)
        data = by_night.get(night)
        state = night_state(trial, night, data, today)
        states.append(state)
        if state in ("to_come", "not_run"):
            continue
        counted[index] = data
        if state == "deviation":
            deviations.append(
                Deviation(night=night.isoformat(), drawn=drawn, done=data.done if data else None)
            )
        elif state == "missed":
            missed.append(night.isoformat())

    names = outcome_names(trial, metrics)
    outcomes = {
        name: _outcome(trial, counted, name, _better(name, metrics), today) for name in names
    }
    counts = _counts(states, trial.nights)
    return Report(
        trial=TrialSummary(
            id=trial.id,
            first_night=trial.first_night.isoformat(),
            last_night=trial.last_night.isoformat(),
            pairs=trial.pairs,
            outcome=trial.outcome,
            worthwhile=float(trial.worthwhile),
            control=trial.control,
            seconds=trial.seconds,
            seed=trial.seed,
            unblinded=trial.unblinded.isoformat() if trial.unblinded else None,
            stopped=trial.stopped.isoformat() if trial.stopped else None,
            fingerprint=fingerprint(trial),
        ),
        nights=NightsSummary(
            planned=counts["planned"],
            done=counts["done"],
            missed=counts["missed"],
            deviations=counts["deviations"],
            complete_pairs=outcomes[trial.outcome]["n_pairs"],
            to_come=counts["to_come"],
            not_run=counts["not_run"],
            missed_nights=missed,
            deviation_nights=deviations,
        ),
        primary=trial.outcome,
        outcomes=outcomes,
        carryover=_carryover(trial, counted, trial.outcome),
        over=trial.is_over(today),
    )


def _better(name: str, metrics: Mapping[str, Better]) -> Better:
    return "higher" if name == SLEEP else metrics[name]


def _outcome(
    trial: Trial,
    counted: Mapping[int, NightData | None],
    name: str,
    better: Better,
    today: date,
) -> OutcomeReport:
    day = [trial.first_night + timedelta(days=i) for i in range(trial.nights)]
    # Tonight's sleep is rated tomorrow morning: not missing yet, even after its session.
    waiting = trial.index_of(today) if name == SLEEP else None
    differences: list[Difference] = []
    mat_values: list[int] = []
    control_values: list[int] = []
    missing: list[str] = []
    unpaired: list[str] = []
    for pair in range(trial.pairs):
        values: dict[Condition, int] = {}
        where: dict[Condition, int] = {}
        for index in (2 * pair, 2 * pair + 1):
            if index not in counted:
                continue  # to come or not run: neither missing nor unpaired
            value = _value(counted[index], name)
            if value is None:
                if index != waiting:
                    missing.append(day[index].isoformat())
            else:
                values[trial.schedule[index]] = value
                where[trial.schedule[index]] = index
        if len(values) == 2:
            differences.append(
                Difference(
                    pair=pair + 1,
                    mat_night=day[where["mat"]].isoformat(),
                    control_night=day[where["control"]].isoformat(),
                    d=values["mat"] - values["control"],
                )
            )
            mat_values.append(values["mat"])
            control_values.append(values["control"])
        else:
            unpaired.extend(day[index].isoformat() for index in where.values())
    d = [item["d"] for item in differences]
    n = len(d)
    effect, interval = mean_interval(d)
    p = randomisation_p(d)
    first, second = half_effects(d)
    return OutcomeReport(
        n_pairs=n,
        mat_mean=sum(mat_values) / n if n else None,
        control_mean=sum(control_values) / n if n else None,
        effect=effect,
        ci95=list(interval) if interval else None,
        p_randomisation=float(p) if p is not None else None,
        p_worthwhile=worthwhile_probability(d, better, trial.worthwhile),
        better=better,
        lag1_autocorrelation=lag1_autocorrelation(d),
        first_half_effect=first,
        second_half_effect=second,
        differences=differences,
        missing_nights=missing,
        unpaired_nights=unpaired,
    )


def _carryover(trial: Trial, counted: Mapping[int, NightData | None], name: str) -> Carryover:
    """Control-night values (of the primary outcome) split by the night just before.

    Every control night so far with a value counts, complete pair or not, when the night
    before it is a trial night (so not night 1); both labels are the drawn ones. If the mat
    lingers into the next night, control nights after a mat night look more like mat nights.
    """
    after: dict[Condition, list[int]] = {"mat": [], "control": []}
    for index, data in counted.items():
        if index == 0 or trial.schedule[index] != "control":
            continue
        value = _value(data, name)
        if value is not None:
            after[trial.schedule[index - 1]].append(value)

    def mean_n(values: list[int]) -> MeanN:
        return MeanN(n=len(values), mean=sum(values) / len(values) if values else None)

    return Carryover(
        control_after_mat=mean_n(after["mat"]), control_after_control=mean_n(after["control"])
    )


# ---------------------------------------------------------------------------------------
# Words


def _points(value: float) -> str:
    return plural(f"{value:.1f}".removesuffix(".0"), "point")


def _bound(value: float) -> str:
    """An interval's end: one decimal ("1.0", as its other end has one), more where one
    would show an end that is not zero as 0.0, which reads as "includes no change"."""
    for digits in (1, 2, 3):
        text = f"{value:.{digits}f}"
        if float(text) != 0:
            return text
    return "0.0"  # zero, or too near it to matter


def _p_text(p: float) -> str:
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _percent(share: float) -> str:
    if share < 0.01:
        return "under 1%"
    if share > 0.99:
        return "over 99%"
    return f"{share:.0%}"


def verdict(outcome: OutcomeReport, name: str, worthwhile: float) -> str:
    """The result in the user's words, e.g. "stress fell 0.8 points more on mat nights than
    on control nights (95% CI 0.1 to 1.5 points; p = 0.03 by the randomisation test). ..."

    The numbers are turned to read in the better direction: for a lower-is-better rating,
    "fell 0.8 more" is an effect of −0.8 and its interval is given negated to match.
    """
    n = outcome["n_pairs"]
    effect = outcome["effect"]
    if n == 0 or effect is None:
        return f"No complete pair of nights for {name} yet: nothing to compare."
    if n == 1:
        return (
            f"Only 1 complete pair of nights for {name}: far too few to tell the mat from chance."
        )
    lower = outcome["better"] == "lower"
    sign = -1.0 if lower else 1.0
    gain = sign * effect  # how much better mat nights did; negative: worse
    ci = outcome["ci95"]
    if name == SLEEP:
        if round(effect, 1) == 0:
            lead = "sleep was rated about the same after mat nights as after control nights"
        else:
            word = "higher" if effect > 0 else "lower"
            lead = (
                f"sleep was rated {_points(abs(effect))} {word} after mat nights than after "
                "control nights"
            )
    elif round(effect, 1) == 0:
        lead = f"{name} changed by about the same on average on mat nights and on control nights"
    else:
        verb = "fell" if lower else "rose"
        word = "more" if gain > 0 else "less"
        lead = f"{name} {verb} {_points(abs(effect))} {word} on mat nights than on control nights"
    # The interval on the sentence's scale: its number is |effect|, so flip with the sign.
    if ci is None:
        interval = ""
    else:
        orient = -1.0 if effect < 0 else 1.0
        low, high = sorted((orient * ci[0], orient * ci[1]))
        interval = f"95% CI {_bound(low)} to {_bound(high)} points; "
    p = outcome["p_randomisation"]
    assert p is not None  # there is at least one pair
    text = f"{lead[0].upper()}{lead[1:]} ({interval}{_p_text(p)} by the randomisation test)."
    if n < MIN_PAIRS_FOR_5_PERCENT:
        text += (
            f" With only {n} complete pairs the randomisation test cannot reach 5%, whatever "
            "the nights show: treat this as a first look."
        )
    elif p <= 0.05:
        text += " A difference this large would be unusual if the mat made no difference."
    elif ci is not None and (ci[0] > 0 or ci[1] < 0):
        # The two can disagree near 5%: the exact test is the design's, the interval a
        # t approximation. Say both rather than seem to contradict the numbers above.
        text += (
            " The interval just leaves out no difference, but the randomisation test, which "
            "the design is for, does not reach 5%: at most a hint, not a clear difference."
        )
    else:
        text += (
            " That is within what chance alone gives: no clear difference between mat nights "
            "and control nights."
        )
    chance = outcome["p_worthwhile"]
    if chance is not None:
        direction = "lower" if lower else "higher"
        what = (
            f"{name} {direction} on mat nights"
            if name != SLEEP
            else "sleep rated higher after mat nights"
        )
        text += (
            f" The chance that the mat's true effect is at least {_points(worthwhile)} "
            f"({what}): {_percent(chance)}."
        )
    else:
        text += (
            " Every pair came out the same, so the data cannot measure their own spread and "
            "no chance of a worthwhile effect is given."
        )
    return text
