"""The self-experiment's design and analysis (SPEC "Self-experiment: `matlog trial`")."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, datetime, time, timedelta, timezone
from fractions import Fraction

import pytest
from conftest import make_session

from matlog.config import DEFAULT_METRICS
from matlog.lightclass import replace
from matlog.records import Sleep
from matlog.trial import (
    CAVEATS,
    MAX_PAIRS,
    MIN_PAIRS,
    SLEEP,
    Condition,
    NightData,
    Trial,
    analyse,
    collect_nights,
    draw_schedule,
    fingerprint,
    half_effects,
    lag1_autocorrelation,
    mean_interval,
    nights_estimate,
    pairs_needed,
    randomisation_p,
    status,
    verdict,
    worthwhile_probability,
)

CET = timezone(timedelta(hours=1))
FIRST = date(2026, 12, 3)
REPORT_KEYS = {"trial", "nights", "primary", "outcomes", "carryover"}
TRIAL_KEYS = {
    "id",
    "first_night",
    "last_night",
    "pairs",
    "outcome",
    "worthwhile",
    "control",
    "seconds",
    "seed",
    "unblinded",
    "stopped",
}
NIGHTS_KEYS = {"planned", "done", "missed", "deviations", "complete_pairs"}
OUTCOME_KEYS = {
    "n_pairs",
    "mat_mean",
    "control_mean",
    "effect",
    "ci95",
    "p_randomisation",
    "p_worthwhile",
    "better",
    "lag1_autocorrelation",
    "first_half_effect",
    "second_half_effect",
}


def make_trial(schedule: tuple[Condition, ...], **changes: object) -> Trial:
    trial = Trial(
        id="01JETRIAL",
        created=datetime(2026, 12, 2, 21, 4, tzinfo=CET),
        first_night=FIRST,
        schedule=schedule,
        seed=90210,
        outcome="stress",
        worthwhile=1.0,
        control="rest",
        seconds=1200,
    )
    return replace(trial, **changes)


def brute_force_p(d: list[int]) -> Fraction:
    observed = abs(sum(d))
    hits = sum(
        abs(sum(s * x for s, x in zip(signs, d, strict=True))) >= observed
        for signs in itertools.product((1, -1), repeat=len(d))
    )
    return Fraction(hits, 2 ** len(d))


# ---------------------------------------------------------------------------------------
# Hand-worked


def test_hand_worked_four_pairs() -> None:
    # d = [2, -1, 3, 1]: Σd = 5, T = Σ|d| = 7. Negating a subset of the |d| with sum s gives
    # 7 − 2s, and |7 − 2s| ≥ 5 needs s ≤ 1 or s ≥ 6. Subsets of {2, 1, 3, 1} with s ≤ 1:
    # {}, {1}, {1'} (3); with s ≥ 6, their complements (3). So p = 6/16 = 0.375.
    d = [2, -1, 3, 1]
    assert randomisation_p(d) == Fraction(6, 16)
    # mean 5/4; deviations 0.75, −2.25, 1.75, −0.25; Σ squares 8.75; s² = 8.75/3;
    # s/√4 = 0.85391; half-width t_{0.975,3} · 0.85391 = 3.182 · 0.85391 = 2.7172.
    mean, ci = mean_interval(d)
    assert mean == 1.25
    assert ci is not None
    assert ci[0] == pytest.approx(1.25 - 3.182 * math.sqrt(8.75 / 3 / 4), abs=1e-3)
    assert ci[1] == pytest.approx(1.25 + 2.7172, abs=1e-3)
    # Lag-1: Σ(x_k − x̄)(x_{k+1} − x̄) = 0.75·(−2.25) + (−2.25)·1.75 + 1.75·(−0.25)
    # = −1.6875 − 3.9375 − 0.4375 = −6.0625; over 8.75: −0.69286.
    assert lag1_autocorrelation(d) == pytest.approx(-6.0625 / 8.75)
    assert half_effects(d) == (0.5, 2.0)


def test_hand_worked_worthwhile_probability() -> None:
    # Same d: posterior of the effect is 1.25 + 0.85391·T₃. P(effect ≥ 1) for a
    # higher-is-better outcome = P(T₃ ≥ (1 − 1.25)/0.85391 = −0.29277) = P(T₃ ≤ 0.29277).
    # t₃ tables: P(T₃ ≤ 0.277) = 0.60, P(T₃ ≤ 0.584) = 0.70, so about 0.61.
    d = [2, -1, 3, 1]
    p = worthwhile_probability(d, "higher", 1.0)
    assert p is not None
    assert 0.60 < p < 0.62
    # Lower-is-better: the same data point the wrong way; P(effect ≤ −1) =
    # P(T₃ ≤ (−1 − 1.25)/0.85391 = −2.635): between 0.025 (t = −3.182) and 0.05 (−2.353).
    p_lower = worthwhile_probability(d, "lower", 1.0)
    assert p_lower is not None
    assert 0.025 < p_lower < 0.05


def test_edge_cases_of_the_statistics() -> None:
    assert randomisation_p([]) is None
    assert mean_interval([]) == (None, None)
    assert mean_interval([3]) == (3.0, None)
    assert randomisation_p([3]) == 1  # both signs give |±3| ≥ 3
    assert randomisation_p([0, 0, 0]) == 1
    # Zeros stay in and change nothing: each doubles the count and the total alike.
    assert randomisation_p([2, 3, 0, 0]) == randomisation_p([2, 3]) == Fraction(2, 4)
    assert worthwhile_probability([2], "higher", 1) is None
    assert worthwhile_probability([-1, -1, -1], "lower", 1) is None  # s = 0: not a certainty
    assert lag1_autocorrelation([1, 2]) is None
    assert lag1_autocorrelation([2, 2, 2]) is None
    assert half_effects([5]) == (None, None)
    assert half_effects([1, 9, 3]) == (1.0, 3.0)  # odd: the middle pair is in neither half
    with pytest.raises(ValueError, match="whole-number"):
        randomisation_p([0.5, 1])  # type: ignore[list-item]


def test_counting_matches_enumeration_for_random_small_cases() -> None:
    rng = random.Random(20261202)
    for _ in range(300):
        n = rng.randint(1, 12)
        d = [rng.randint(-6, 6) for _ in range(n)]
        assert randomisation_p(d) == brute_force_p(d), d


def test_darwin_zea_mays_fisher_1935() -> None:
    # Fisher, The Design of Experiments (1935), §21: Darwin's 15 pairs of cross- minus
    # self-fertilised Zea mays heights, in eighths of an inch. Fisher counted 1,726 of the
    # 32,768 sign assignments at least as extreme (two-sided): p = 0.0527. Checked by
    # brute-force enumeration before being written here.
    d = [49, -67, 8, 16, 6, 23, 28, 41, 14, 29, 56, 24, 75, 60, -48]
    p = randomisation_p(d)
    assert p == Fraction(1726, 32768)
    assert float(p) == pytest.approx(0.0527, abs=5e-5)


def test_sixty_pairs_is_counted_not_enumerated() -> None:
    # 2^60 assignments could never be enumerated; all-equal d: only the two all-same-sign
    # assignments reach |Σ| = 60·3, so p = 2/2^60.
    assert randomisation_p([3] * 60) == Fraction(2, 2**60)
    # The smallest p n pairs can give is 2/2^n: 4 pairs can never reach 5%.
    assert randomisation_p([1, 1, 1, 1]) == Fraction(1, 8)


# ---------------------------------------------------------------------------------------
# Design


def test_schedule_pairs_each_hold_one_mat_and_one_control() -> None:
    for pairs in (MIN_PAIRS, 14, MAX_PAIRS):
        for seed in range(20):
            schedule = draw_schedule(pairs, seed)
            assert len(schedule) == 2 * pairs
            for k in range(pairs):
                assert sorted(schedule[2 * k : 2 * k + 2]) == ["control", "mat"]


def test_schedule_same_seed_same_schedule_and_orders_vary() -> None:
    assert draw_schedule(14, 90210) == draw_schedule(14, 90210)
    assert draw_schedule(14, 90210) != draw_schedule(14, 90211)
    firsts = [draw_schedule(60, seed)[0] for seed in range(200)]
    assert 60 < firsts.count("mat") < 140  # each order about half the time


@pytest.mark.parametrize("pairs", [0, 3, 61])
def test_schedule_pairs_outside_4_to_60_are_refused(pairs: int) -> None:
    with pytest.raises(ValueError):
        draw_schedule(pairs, 1)


def test_trial_properties() -> None:
    trial = make_trial(("mat", "control", "control", "mat"))
    assert trial.pairs == 2
    assert trial.last_night == date(2026, 12, 6)
    assert trial.night_of(0) == FIRST
    assert trial.night_of(3) == date(2026, 12, 6)
    with pytest.raises(IndexError):
        trial.night_of(4)
    assert trial.condition_on(date(2026, 12, 5)) == "control"
    assert trial.condition_on(date(2026, 12, 2)) is None
    assert trial.condition_on(date(2026, 12, 7)) is None
    stopped = replace(trial, stopped=date(2026, 12, 4))
    assert stopped.condition_on(date(2026, 12, 4)) == "control"
    assert stopped.condition_on(date(2026, 12, 5)) is None


def test_fingerprint_covers_the_design_and_only_the_design() -> None:
    trial = make_trial(("mat", "control", "control", "mat"))
    print_ = fingerprint(trial)
    assert len(print_) == 12
    assert int(print_, 16) >= 0
    assert fingerprint(replace(trial, id="OTHER", seed=1, line=9)) == print_
    assert fingerprint(replace(trial, worthwhile=1)) == print_  # 1 and 1.0 are one design
    for change in (
        {"schedule": ("control", "mat", "control", "mat")},
        {"outcome": "mood"},
        {"worthwhile": 1.5},
        {"control": "none"},
        {"seconds": 900},
        {"first_night": date(2026, 12, 4)},
    ):
        assert fingerprint(replace(trial, **change)) != print_, change


def test_pairs_needed_by_hand() -> None:
    # ⌈((2.8 · σ · √2) / w)²⌉ = ⌈15.68 σ² / w²⌉
    assert pairs_needed(1.0, 1.0) == 16  # 15.68
    assert pairs_needed(1.5, 1.0) == 36  # 35.28
    assert pairs_needed(2.0, 2.0) == 16
    assert pairs_needed(1.0, 2.0) == 4  # 3.92 → 4
    assert pairs_needed(0.5, 0.7) == 8  # exactly 8.0: float noise must not make it 9
    assert pairs_needed(0.5, 1.0) == 4  # 3.92, and never below 4
    assert pairs_needed(0.0, 1.0) == 4
    assert pairs_needed(3.0, 0.5) == 60  # 564.48, clamped
    with pytest.raises(ValueError):
        pairs_needed(1.0, 0)


def test_nights_estimate_needs_five_values() -> None:
    assert nights_estimate([1, -2, 0, 3]) is None
    # [-2, -1, 0, 1, 2]: sample variance 10/4 = 2.5, so 15.68 · 2.5 / w².
    estimate = nights_estimate([-2, -1, 0, 1, 2])
    assert estimate == {0.5: 60, 1.0: 40, 1.5: 18, 2.0: 10}  # 156.8, 39.2, 17.42, 9.8


# ---------------------------------------------------------------------------------------
# The report


SCHEDULE: tuple[Condition, ...] = ("mat", "control", "control", "mat", "mat", "control")


def night(
    index: int,
    done: Condition | str | None = "drawn",
    stress: int | None = None,
    sleep: int | None = None,
    schedule: tuple[Condition, ...] = SCHEDULE,
) -> NightData:
    drawn = schedule[index]
    return NightData(
        night=FIRST + timedelta(days=index),
        drawn=drawn,
        done=drawn if done == "drawn" else done,  # type: ignore[arg-type]
        changes={} if stress is None else {"stress": stress},
        sleep=sleep,
    )


def test_report_has_exactly_the_spec_keys_and_pairs_as_drawn() -> None:
    trial = make_trial(SCHEDULE)
    nights = [
        night(0, stress=-3, sleep=7),  # pair 1: mat −3, control −1 → d = −2
        night(1, stress=-1, sleep=6),
        night(2, stress=-2, sleep=5),  # pair 2: control −2, mat −2 (a deviation) → d = 0
        night(3, done="control", stress=-2, sleep=5),
        night(4, done=None, sleep=8),  # pair 3: missed mat night → stress incomplete
        night(5, stress=0, sleep=6),
    ]
    report = analyse(trial, nights, date(2026, 12, 10), DEFAULT_METRICS)
    # The SPEC's keys exactly, plus only the extras this module announces.
    assert set(report) == REPORT_KEYS | {"over"}
    assert set(report["trial"]) == TRIAL_KEYS | {"fingerprint"}
    assert set(report["nights"]) == NIGHTS_KEYS | {
        "to_come",
        "not_run",
        "missed_nights",
        "deviation_nights",
    }
    assert set(report["carryover"]) == {"control_after_mat", "control_after_control"}
    assert report["primary"] == "stress"
    assert list(report["outcomes"]) == ["stress", "pain", "mood", SLEEP]
    for outcome in report["outcomes"].values():
        assert set(outcome) == OUTCOME_KEYS | {"differences", "missing_nights", "unpaired_nights"}

    stress = report["outcomes"]["stress"]
    assert [item["d"] for item in stress["differences"]] == [-2, 0]
    assert stress["n_pairs"] == 2
    assert stress["effect"] == -1.0
    assert stress["mat_mean"] == -2.5
    assert stress["control_mean"] == -1.5
    assert stress["better"] == "lower"
    assert stress["missing_nights"] == ["2026-12-07"]
    assert stress["unpaired_nights"] == ["2026-12-08"]
    assert report["nights"] == {
        "planned": 6,
        "done": 4,
        "missed": 1,
        "deviations": 1,
        "complete_pairs": 2,
        "to_come": 0,
        "not_run": 0,
        "missed_nights": ["2026-12-07"],
        "deviation_nights": [{"night": "2026-12-06", "drawn": "mat", "done": "control"}],
    }
    # Sleep counts the missed night (as drawn): d = 7−6, 5−5, 8−6.
    sleep = report["outcomes"][SLEEP]
    assert [item["d"] for item in sleep["differences"]] == [1, 0, 2]
    assert sleep["better"] == "higher"
    assert report["outcomes"]["pain"]["n_pairs"] == 0
    assert report["outcomes"]["pain"]["effect"] is None
    assert report["outcomes"]["pain"]["p_randomisation"] is None
    # Carry-over (stress): night 2 (control) follows a mat night: −1; night 3 (control)
    # follows a control night: −2; night 6 (control) follows a mat night: 0.
    assert report["carryover"] == {
        "control_after_mat": {"n": 2, "mean": -0.5},
        "control_after_control": {"n": 1, "mean": -2.0},
    }
    assert report["over"] is True


def test_report_while_running_leaves_nights_to_come_out() -> None:
    trial = make_trial(SCHEDULE)
    nights = [night(0, stress=-3), night(1, stress=-1), night(2, stress=-2)]
    # Today is night 4 (index 3) and it has no session yet: to come, not missed.
    report = analyse(trial, nights, FIRST + timedelta(days=3), DEFAULT_METRICS)
    assert report["nights"]["to_come"] == 3
    assert report["nights"]["missed"] == 0
    assert report["outcomes"]["stress"]["missing_nights"] == []
    assert report["outcomes"]["stress"]["n_pairs"] == 1
    assert report["over"] is False
    # Tonight's session is done: the night counts, but its sleep is not rated until the
    # morning, so it is not missing for sleep (nights 1-3 had no sleep rating: missing).
    done_tonight = [*nights, night(3, stress=-4)]
    tonight = analyse(trial, done_tonight, FIRST + timedelta(days=3), DEFAULT_METRICS)
    assert tonight["outcomes"]["stress"]["n_pairs"] == 2
    sleep_missing = tonight["outcomes"][SLEEP]["missing_nights"]
    assert sleep_missing == ["2026-12-03", "2026-12-04", "2026-12-05"]


def test_report_of_a_stopped_trial_covers_nights_up_to_the_stop() -> None:
    trial = make_trial(SCHEDULE, stopped=FIRST + timedelta(days=3))
    nights = [night(0, stress=-3), night(1, stress=-1), night(2, stress=-2)]
    report = analyse(trial, nights, FIRST + timedelta(days=20), DEFAULT_METRICS)
    # The stop's own day had no session: not run, not missed.
    assert report["nights"]["not_run"] == 3
    assert report["nights"]["missed"] == 0
    assert report["outcomes"]["stress"]["unpaired_nights"] == ["2026-12-05"]
    assert report["trial"]["stopped"] == "2026-12-06"
    assert report["over"] is True


def test_control_none_makes_sleep_the_only_outcome() -> None:
    trial = make_trial(SCHEDULE, control="none", outcome=SLEEP)
    nights = [
        night(0, sleep=7),
        night(1, done=None, sleep=5),  # control night: no session is doing it as drawn
        night(2, done="mat", sleep=8),  # a session on a control night: a deviation
        night(3, sleep=6),
    ]
    report = analyse(trial, nights, FIRST + timedelta(days=5), DEFAULT_METRICS)
    assert list(report["outcomes"]) == [SLEEP]
    assert [item["d"] for item in report["outcomes"][SLEEP]["differences"]] == [2, -2]
    assert report["nights"]["deviations"] == 1
    assert report["nights"]["done"] == 3
    # Night 5 (mat, past, no session) is missed; night 6 (control, today, none) is to come.
    assert report["nights"]["missed"] == 1
    assert report["nights"]["to_come"] == 1
    with pytest.raises(ValueError):
        analyse(replace(trial, outcome="stress"), nights, FIRST, DEFAULT_METRICS)


def test_a_night_whose_drawn_condition_disagrees_with_the_schedule_is_refused() -> None:
    trial = make_trial(SCHEDULE)
    wrong = NightData(night=FIRST, drawn="control", done="control", changes={"stress": 1})
    with pytest.raises(ValueError, match="schedule"):
        analyse(trial, [wrong], FIRST + timedelta(days=9), DEFAULT_METRICS)


def test_status_has_no_estimate_and_hides_nights_to_come() -> None:
    trial = make_trial(SCHEDULE)
    nights = [night(0, stress=-3), night(1, done=None), night(2, done="mat", stress=-1)]
    today = FIRST + timedelta(days=3)
    result = status(trial, nights, today)
    assert result["tonight"] == {
        "night": "2026-12-06",
        "number": 4,
        "of": 6,
        "condition": "mat",
        "done": None,
    }
    assert result["nights"] == {
        "planned": 6,
        "done": 1,
        "missed": 1,
        "deviations": 1,
        "to_come": 3,
        "not_run": 0,
    }
    assert [n["state"] for n in result["strip"]] == [
        "done",
        "missed",
        "deviation",
        "to_come",
        "to_come",
        "to_come",
    ]
    assert [n["drawn"] for n in result["strip"]] == ["mat", "control", "control", "mat", None, None]
    text = repr(result)
    for word in ("effect", "p_", "mean", "ci95"):
        assert word not in text
    after = status(trial, nights, FIRST + timedelta(days=30))
    assert after["tonight"] is None
    assert after["over"] is True


def test_is_over_and_an_early_look_is_carried_in_the_report() -> None:
    trial = make_trial(SCHEDULE)  # nights 2026-12-03 to 2026-12-08
    assert not trial.is_over(date(2026, 12, 8))  # the last night's pair is not complete yet
    assert trial.is_over(date(2026, 12, 9))
    assert replace(trial, stopped=date(2026, 12, 5)).is_over(date(2026, 12, 5))
    peeked = replace(trial, unblinded=datetime(2026, 12, 5, 8, 2, tzinfo=CET))
    report = analyse(peeked, [], date(2026, 12, 5), DEFAULT_METRICS)
    assert report["trial"]["unblinded"] == "2026-12-05T08:02:00+01:00"
    assert report["over"] is False


def test_collect_nights_takes_the_first_trial_session_of_each_night() -> None:
    trial = make_trial(SCHEDULE)
    at = datetime(2026, 12, 3, 22, 0, tzinfo=CET)
    sessions = [
        # Night 1 (mat), after midnight so by day_starts 04:00 still the 3rd: the trial
        # session; a later ordinary session the same night does not count.
        make_session(
            at + timedelta(hours=2, minutes=30),
            before={"stress": 6, "pain": 3},
            after={"stress": 3},
            trial=trial.id,
            condition="mat",
        ),
        make_session(at + timedelta(hours=3), before={"stress": 9}, after={"stress": 0}),
        # Night 2 (control): the user did the mat instead, a deviation.
        make_session(
            at + timedelta(days=1),
            before={"stress": 5},
            after={"stress": 5},
            trial=trial.id,
            condition="mat",
        ),
        # Another trial's session is not this trial's.
        make_session(at + timedelta(days=2), trial="OTHER", condition="mat"),
    ]
    sleeps = [
        Sleep(night=date(2026, 12, 3), rating=6),
        Sleep(night=date(2026, 12, 3), rating=7),  # rated again: the latest counts
        Sleep(night=date(2026, 12, 5), rating=4),
    ]
    nights = collect_nights(trial, sessions, sleeps, time(4, 0))
    assert len(nights) == 6
    assert nights[0] == NightData(FIRST, "mat", "mat", {"stress": -3}, 7)
    assert nights[1] == NightData(date(2026, 12, 4), "control", "mat", {"stress": 0}, None)
    assert nights[2] == NightData(date(2026, 12, 5), "control", None, {}, 4)
    bad = [make_session(at, trial=trial.id, condition="nap")]
    with pytest.raises(ValueError, match="condition"):
        collect_nights(trial, bad, [], time(4, 0))


# ---------------------------------------------------------------------------------------
# Words


def outcome_of(d: list[int], better: str = "lower") -> dict[str, object]:
    trial_schedule: tuple[Condition, ...] = ("mat", "control") * len(d)
    trial = make_trial(trial_schedule, outcome="stress" if better == "lower" else "mood")
    nights = []
    for k, value in enumerate(d):
        metric = trial.outcome
        nights.append(night(2 * k, stress=None, schedule=trial_schedule))
        nights[-1] = replace(nights[-1], changes={metric: value})
        nights.append(replace(night(2 * k + 1, schedule=trial_schedule), changes={metric: 0}))
    report = analyse(trial, nights, FIRST + timedelta(days=200), DEFAULT_METRICS)
    return report["outcomes"][trial.outcome]  # type: ignore[return-value]


def test_verdict_says_fell_more_in_the_better_direction() -> None:
    d = [-1, -2, 0, -1, -2, -1, 0, -1, -1, -2]
    text = verdict(outcome_of(d), "stress", 1.0)  # type: ignore[arg-type]
    assert text.startswith("Stress fell 1.1 points more on mat nights than on control nights")
    assert "95% CI 0.6 to 1.6 points" in text
    assert "by the randomisation test" in text
    assert "would be unusual" in text
    assert "The chance that the mat's true effect is at least 1 point (stress lower on mat" in text


def test_verdict_no_clear_difference_and_too_few_pairs() -> None:
    text = verdict(outcome_of([1, -1, 2, -2, 0, 1, -1, 0]), "stress", 1.0)  # type: ignore[arg-type]
    assert "no clear difference" in text
    few = verdict(outcome_of([-3, -2, -4]), "stress", 1.0)  # type: ignore[arg-type]
    assert "cannot reach 5%" in few
    assert "No complete pair" in verdict(outcome_of([]), "stress", 1.0)  # type: ignore[arg-type]
    better = verdict(outcome_of([2, 1, 3, 2, 1, 2], "higher"), "mood", 1.0)  # type: ignore[arg-type]
    assert better.startswith("Mood rose 1.8 points more on mat nights")
    assert "(mood higher on mat nights): " in better
    worse = verdict(outcome_of([2, 1, 3, 2, 1, 2]), "stress", 1.0)  # type: ignore[arg-type]
    assert worse.startswith("Stress fell 1.8 points less on mat nights")
    assert "95% CI 1.0 to 2.6 points" in worse


def test_an_interval_that_leaves_out_zero_with_p_above_5_percent_says_both() -> None:
    # The README's simulated sleep: t-interval 0.05 to 1.67, exact p 0.059.
    sleep = {
        "n_pairs": 14, "effect": 0.857, "ci95": [0.047, 1.667], "p_randomisation": 0.059,
        "p_worthwhile": 0.36, "better": "higher",
    }  # fmt: skip
    text = " ".join(verdict(sleep, SLEEP, 1.0).split())  # type: ignore[arg-type]
    assert "95% CI 0.05 to 1.7 points; p = 0.06" in text
    assert "does not reach 5%: at most a hint, not a clear difference" in text
    assert "within what chance alone gives" not in text


def test_an_interval_end_that_is_not_zero_never_reads_as_zero() -> None:
    from matlog.trial import _bound

    assert [_bound(v) for v in (1.0, 2.64, -0.8, 0.04, -0.004, 0.0, -0.0001)] == [
        "1.0", "2.6", "-0.8", "0.04", "-0.004", "0.0", "0.0",
    ]  # fmt: skip


def test_caveats_say_the_limits() -> None:
    assert "blinded" in CAVEATS
    assert "expect" in CAVEATS
    assert "for you" in CAVEATS


# ---------------------------------------------------------------------------------------
# Simulation: the analysis does what it claims, over thousands of simulated trials

SIMULATED_PAIRS = 14
SIMULATED_TRIALS = 2000


def simulate(
    rng: random.Random,
    effect: float,
    missing: float = 0.0,
    deviating: float = 0.0,
) -> dict[str, object]:
    """One simulated 14-pair trial's report for the outcome `stress`.

    A night's value is a whole-number change: round(pair level + night noise + the effect
    if the mat was actually used). The pair level (sd 1.5) is what pairing removes; the
    night noise has sd 2. Nights go missing completely at random with chance `missing`, and
    with chance `deviating` the user does the other condition than the one drawn.
    """
    schedule = draw_schedule(SIMULATED_PAIRS, rng.randrange(2**32))
    trial = make_trial(schedule)
    nights = []
    for index, drawn in enumerate(schedule):
        if index % 2 == 0:
            level = rng.gauss(0.0, 1.5)
        if rng.random() < missing:
            nights.append(NightData(night=trial.night_of(index), drawn=drawn))
            continue
        done: Condition = drawn
        if rng.random() < deviating:
            done = "control" if drawn == "mat" else "mat"
        value = round(level + rng.gauss(0.0, 2.0) + (effect if done == "mat" else 0.0))
        when = trial.night_of(index)
        nights.append(NightData(night=when, drawn=drawn, done=done, changes={"stress": value}))
    report = analyse(trial, nights, FIRST + timedelta(days=60), {"stress": "lower"})
    return report["outcomes"]["stress"]  # type: ignore[return-value]


@pytest.mark.slow  # some seconds: 8,000 simulated trials through the whole analysis
def test_simulation_size_coverage_and_the_intention_to_treat_target() -> None:
    rng = random.Random(4242)

    # 1. No effect: the exact randomisation test rejects at most 5% of the time.
    null = [simulate(rng, effect=0.0) for _ in range(SIMULATED_TRIALS)]
    rejected = sum(o["p_randomisation"] <= 0.05 for o in null) / SIMULATED_TRIALS  # type: ignore[operator]
    print(f"\nFIGURE size: randomisation test rejects {rejected:.1%} at the 5% level, no effect")
    assert rejected <= 0.065

    # 2. A planted effect of −1 (integer, so rounding leaves it exactly −1): the 95%
    #    t-interval covers it about 95% of the time, and the test finds it this often.
    planted = [simulate(rng, effect=-1.0) for _ in range(SIMULATED_TRIALS)]
    covered = sum(o["ci95"][0] <= -1.0 <= o["ci95"][1] for o in planted) / SIMULATED_TRIALS  # type: ignore[index]
    power = sum(o["p_randomisation"] <= 0.05 for o in planted) / SIMULATED_TRIALS  # type: ignore[operator]
    print(f"FIGURE coverage: 95% t-interval covers a planted effect of -1 in {covered:.1%}")
    print(f"FIGURE power: 14 pairs, effect -1, night sd 2: test finds it {power:.1%} of trials")
    assert 0.93 <= covered <= 0.97

    # 3. Nights missing completely at random (15%) leave the target where it was (−2):
    #    complete pairs are a random subset of pairs.
    mcar = [simulate(rng, effect=-2.0, missing=0.15) for _ in range(SIMULATED_TRIALS)]
    mcar_mean = math.fsum(o["effect"] for o in mcar if o["effect"] is not None) / len(mcar)  # type: ignore[misc]
    print(f"FIGURE missing at random: mean estimate {mcar_mean:.3f}, target -2")
    assert mcar_mean == pytest.approx(-2.0, abs=0.08)

    # 4. Add deviations (10% of nights done the other way) analysed as drawn: the estimate
    #    targets the effect of being assigned the mat, −2 · (1 − 2 · 0.1) = −1.6. Deviations
    #    dilute it towards zero (they never push it past the truth), and the interval covers
    #    that intention-to-treat target about 95% of the time.
    itt = [simulate(rng, effect=-2.0, missing=0.15, deviating=0.1) for _ in range(SIMULATED_TRIALS)]
    estimates = [o["effect"] for o in itt if o["effect"] is not None]
    itt_mean = math.fsum(estimates) / len(estimates)  # type: ignore[arg-type]
    itt_covered = sum(
        o["ci95"] is not None and o["ci95"][0] <= -1.6 <= o["ci95"][1]  # type: ignore[index]
        for o in itt
    ) / sum(o["ci95"] is not None for o in itt)
    print(f"FIGURE missing + deviations: mean estimate {itt_mean:.3f}, ITT target -1.6")
    print(f"FIGURE missing + deviations: 95% interval covers the ITT target in {itt_covered:.1%}")
    assert itt_mean == pytest.approx(-1.6, abs=0.08)
    assert 0.93 <= itt_covered <= 0.97


def test_verdict_for_sleep_speaks_of_ratings_after_the_nights() -> None:
    schedule: tuple[Condition, ...] = ("mat", "control") * 6
    trial = make_trial(schedule, control="none", outcome=SLEEP)
    ratings = [(7, 5), (6, 6), (8, 6), (7, 4), (6, 5), (7, 6)]  # d = 2, 0, 2, 3, 1, 1
    nights = []
    for k, (mat, control) in enumerate(ratings):
        nights.append(night(2 * k, sleep=mat, schedule=schedule))
        nights.append(night(2 * k + 1, done=None, sleep=control, schedule=schedule))
    report = analyse(trial, nights, FIRST + timedelta(days=30), DEFAULT_METRICS)
    text = verdict(report["outcomes"][SLEEP], SLEEP, 1.0)
    assert text.startswith(
        "Sleep was rated 1.5 points higher after mat nights than after control nights"
    )
    assert "p = 0.06" in text  # 4 of 64 sign assignments reach |Σ| = 9 (zero doubles them)
    assert "(sleep rated higher after mat nights)" in text
    assert randomisation_p([2, 0, 2, 3, 1, 1]) == Fraction(4, 64)
