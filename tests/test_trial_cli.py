"""`matlog trial` and `matlog start` on trial nights, in-process on a FakeClock."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog.clock import FakeClock
from matlog.journal import Journal
from matlog.trial import draw_schedule, pairs_needed

TODAY = date(2026, 11, 23)  # the fixture clock: 22:00 CET that evening
SEED = 7
SCHEDULE = draw_schedule(4, SEED)
SPEC_TRIAL = {
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
SPEC_NIGHTS = {"planned", "done", "missed", "deviations", "complete_pairs"}
SPEC_OUTCOME = {
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


def go_to(clock: FakeClock, when: datetime) -> None:
    clock.jump_wall((when - clock.now()).total_seconds())


def evening(night: int) -> datetime:
    """22:00 on trial night `night` (0-based) of a trial starting today."""
    return datetime(2026, 11, 23, 22, 0, tzinfo=CET) + timedelta(days=night)


def start_trial(invoke, *args: str):  # type: ignore[no-untyped-def]
    result = invoke(
        "trial", "start", "--pairs", "4", "--seed", str(SEED), "--minutes", "20", "--yes", *args
    )
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, code: int = 2) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_trial_start_shows_the_design_and_records_the_trial(invoke, journal_path: Path) -> None:
    result = start_trial(invoke)
    out = result.stdout
    assert "8 (4 pairs), from the night of Mon 2026-11-23 to Mon 2026-11-30" in out
    assert "lie down in the same place, at the same time, for the same length" in out
    assert "not enough history to estimate (0 earlier sessions" in out
    assert "never reach p < 0.05" in out  # 4 pairs
    (trial,) = Journal(journal_path).read().trials
    assert trial.schedule == SCHEDULE and trial.seed == SEED and trial.seconds == 1200
    assert (trial.outcome, trial.worthwhile, trial.control) == ("stress", 1.0, "rest")
    assert trial.first_night == TODAY
    from matlog.trial import fingerprint

    assert f"Fingerprint of this design: {fingerprint(trial)}" in out


def test_trial_start_estimates_the_pairs_from_history(invoke, journal_path: Path) -> None:
    changes = [-3, -1, 0, -2, -4, 1, -2]
    Journal(journal_path).append(
        [
            make_session(
                datetime(2026, 11, 1, 22, tzinfo=CET) + timedelta(days=i),
                before={"stress": 6},
                after={"stress": 6 + c},
            )
            for i, c in enumerate(changes)
        ]
    )
    result = invoke("trial", "start", "--yes", "--seed", "1", "--worthwhile", "1.5")
    assert result.exit_code == 0, result.output
    mean = sum(changes) / len(changes)
    sigma = (sum((c - mean) ** 2 for c in changes) / (len(changes) - 1)) ** 0.5
    for step in (0.5, 1.0, 1.5, 2.0):
        need = pairs_needed(sigma, step)
        assert f"worthwhile {step:g} point" in result.stdout
        capped = " (the most a trial takes: it may need more)" if need == 60 else ""
        assert f": {need} pairs, {2 * need} nights{capped}" in result.stdout
    assert "from the spread of your 7 earlier sessions rated stress" in result.stdout
    (trial,) = Journal(journal_path).read().trials
    assert trial.pairs == pairs_needed(sigma, 1.5)


def test_trial_start_asks_at_a_terminal(invoke, journal_path: Path) -> None:
    no = invoke("trial", "start", "--pairs", "4", input="n\n", interactive=True)
    assert no.exit_code == 0 and "Not started." in no.stdout
    assert not Journal(journal_path).read().trials
    yes = invoke("trial", "start", "--pairs", "4", input="y\n", interactive=True)
    assert yes.exit_code == 0, yes.output
    assert len(Journal(journal_path).read().trials) == 1


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--pairs", "3", "--yes"], "--pairs must be 4 to 60, got 3"),
        (["--pairs", "61", "--yes"], "--pairs must be 4 to 60, got 61"),
        (["--outcome", "joy", "--yes"], "--outcome 'joy' is not one of your metrics or sleep"),
        (["--control", "none", "--yes"], "only sleep can be compared"),
        (["--control", "sofa", "--yes"], "--control must be rest or none"),
        (["--first-night", "2026-11-01", "--yes"], "is in the past"),
        (["--first-night", "soon", "--yes"], "--first-night must be a date"),
        (["--worthwhile", "0", "--yes"], "--worthwhile must be from 0.1 to 10 points, got 0"),
        (["--worthwhile", "1e-300", "--yes"], "--worthwhile must be from 0.1 to 10 points"),
        (["--worthwhile", "11", "--yes"], "--worthwhile must be from 0.1 to 10 points"),
        ([], "trial start needs confirmation"),
    ],
)
def test_trial_start_refuses_with_a_usage_error(
    invoke, journal_path: Path, args: list[str], words: str
) -> None:
    line = one_line_error(invoke("trial", "start", *args))
    assert words in line and " — " in line  # a hint follows
    assert not journal_path.exists()


def test_a_second_running_trial_is_refused(invoke, journal_path: Path) -> None:
    start_trial(invoke)
    line = one_line_error(invoke("trial", "start", "--yes"))
    assert "a trial is running already" in line
    assert len(Journal(journal_path).read().trials) == 1


def test_start_on_a_trial_night_runs_the_trial_minutes_and_records_the_condition(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    drawn = SCHEDULE[0]
    result = invoke("start", "--settle", "0", "-b", "stress=6", "-a", "stress=4")
    assert result.exit_code == 0, result.output
    if drawn == "control":
        assert "Trial night 1 of 8: control — lie down in the same place, without the mat" in (
            result.stderr
        )
    else:
        assert "Trial night 1 of 8: mat" in result.stderr
    assert f"Started 20m (trial night 1/8: {drawn})" in result.stdout
    # A second session the same night is an ordinary one.
    again = invoke("start", "5m", "--settle", "0")
    assert "this one is an ordinary session" in again.stderr
    first, second = Journal(journal_path).read().sessions
    assert (first.planned_seconds, first.trial, first.condition) == (
        1200,
        Journal(journal_path).read().trials[0].id,
        drawn,
    )
    assert (second.trial, second.condition) == (None, None)
    assert "--condition cannot change it" in one_line_error(
        invoke("start", "--settle", "0", "--condition", "mat")
    )


def test_start_on_a_trial_night_warns_of_what_would_weaken_it(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    rated = invoke("start", "--settle", "0", "-b", "stress=6", "-a", "stress=4")
    assert "Trial nights are" not in rated.stderr and "without a rating" not in rated.stderr
    undone = invoke("undo", "--yes")
    assert undone.exit_code == 0, undone.output
    short = invoke("start", "10s", "--settle", "0")
    assert short.exit_code == 0, short.output
    assert "Trial nights are 20m long; this one is 10s" in short.stderr
    assert "The trial's outcome is stress: without a rating before and after" in short.stderr


def test_condition_overrides_the_draw_and_is_a_deviation(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    other = "mat" if SCHEDULE[0] == "control" else "control"
    result = invoke("start", "--settle", "0", "--condition", other)
    assert result.exit_code == 0, result.output
    assert f"You chose {other}: recorded as done, and listed as a deviation" in result.stderr
    (session,) = Journal(journal_path).read().sessions
    assert session.condition == other
    status = json.loads(invoke("trial", "status", "--json").stdout)
    assert status["strip"][0]["state"] == "deviation"


def test_condition_outside_a_trial_night_is_a_usage_error(invoke, journal_path: Path) -> None:
    line = one_line_error(invoke("start", "--settle", "0", "--condition", "mat"))
    assert "tonight is not one" in line
    assert not journal_path.exists()


def run_nights(invoke, clock: FakeClock, nights: range, change: dict[str, int]) -> None:  # type: ignore[no-untyped-def]
    """Each night: its trial session (stress 6 → 6 + change[condition]) and a sleep rating."""
    for night in nights:
        go_to(clock, evening(night))
        after = 6 + change[SCHEDULE[night]]
        result = invoke("start", "--settle", "0", "-b", "stress=6", "-a", f"stress={after}")
        assert result.exit_code == 0, result.output
        rating = 7 if SCHEDULE[night] == "mat" else 5
        day = TODAY + timedelta(days=night)
        assert invoke("sleep", str(rating), "--night", day.isoformat()).exit_code == 0


def test_status_mid_trial_counts_nights_and_shows_no_effect(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    run_nights(invoke, clock, range(0, 3), {"mat": -3, "control": -1})
    go_to(clock, evening(4))  # night 4 (index 3) was missed
    data = json.loads(invoke("trial", "status", "--json").stdout)
    assert data["nights"] == {
        "planned": 8,
        "done": 3,
        "missed": 1,
        "deviations": 0,
        "to_come": 4,
        "not_run": 0,
    }
    assert data["tonight"]["number"] == 5
    assert "effect" not in json.dumps(data)
    screen = invoke("trial")  # plain `matlog trial` is the status
    assert screen.exit_code == 0, screen.output
    assert "Tonight: night 5 of 8" in screen.stdout
    assert "3 done as drawn, 1 missed, 0 deviations, 4 to come" in screen.stdout
    assert "No effect estimate while the trial runs" in screen.stdout
    (row,) = [line for line in screen.stdout.splitlines() if line.startswith("  2026-11-23  ")]
    assert row.split()[1:] == [*(m.upper()[0] for m in SCHEDULE[:3]), "x", "·", "·", "·", "·"]


def test_report_waits_for_the_end_unless_unblinded(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    run_nights(invoke, clock, range(0, 4), {"mat": -3, "control": -1})
    line = one_line_error(invoke("trial", "report"))
    assert "runs until the night of 2026-11-30" in line and "--unblind" in line
    assert Journal(journal_path).read().trials[0].unblinded is None
    peek_time = clock.now().replace(microsecond=0)
    peek = invoke("trial", "report", "--unblind", "--json")
    assert peek.exit_code == 0, peek.output
    assert "Recorded: the results were looked at before the trial ended" in peek.stderr
    (trial,) = Journal(journal_path).read().trials
    assert trial.unblinded == peek_time
    data = json.loads(peek.stdout)
    assert data["trial"]["unblinded"] == peek_time.isoformat()
    assert data["over"] is False
    # Every later report says so, the final one included, and the first peek's time stays.
    run_nights(invoke, clock, range(4, 8), {"mat": -3, "control": -1})
    go_to(clock, evening(8) + timedelta(hours=-12))
    final = invoke("trial", "report")
    assert final.exit_code == 0, final.output
    assert f"the results were first seen on {peek_time.isoformat()}" in final.stdout
    assert Journal(journal_path).read().trials[0].unblinded == peek_time


def test_a_finished_report_json_has_the_spec_keys_and_the_planted_effect(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    run_nights(invoke, clock, range(0, 8), {"mat": -3, "control": -1})
    go_to(clock, evening(8))
    result = invoke("trial", "report", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"trial", "nights", "primary", "outcomes", "carryover"}
    assert set(data["trial"]) >= SPEC_TRIAL
    assert set(data["nights"]) >= SPEC_NIGHTS
    assert data["primary"] == "stress"
    stress = data["outcomes"]["stress"]
    assert set(stress) >= SPEC_OUTCOME
    assert stress["n_pairs"] == 4 and stress["effect"] == -2.0
    assert stress["p_randomisation"] == 0.125  # 4 pairs all one way: 2 of 16 assignments
    assert data["outcomes"]["sleep"]["effect"] == 2.0
    assert data["nights"]["done"] == 8 and data["nights"]["missed"] == 0
    screen = invoke("trial", "report")
    out = " ".join(screen.stdout.split())  # the sentences are wrapped
    assert "Primary outcome: stress" in out and "Secondary outcome: sleep" in out
    assert "Verdict: Stress fell 2 points more on mat nights than on control nights" in out
    assert "Secondary outcome: pain: no complete pair of nights" in out
    assert "Nobody can be blinded to a mat" in out
    assert "pair 1" in out and "◆" in out
    assert "\x1b[" not in out


def test_stop_ends_the_trial_and_the_report_covers_the_nights_so_far(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    start_trial(invoke)
    run_nights(invoke, clock, range(0, 2), {"mat": -3, "control": -1})
    assert "needs confirmation" in one_line_error(invoke("trial", "stop"))
    stopped = invoke("trial", "stop", "--yes")
    assert stopped.exit_code == 0, stopped.output
    assert Journal(journal_path).read().trials[0].stopped == TODAY + timedelta(days=1)
    report = json.loads(invoke("trial", "report", "--json").stdout)  # no --unblind needed
    assert report["trial"]["stopped"] == "2026-11-24"
    status = invoke("trial", "status").stdout
    assert "stopped on 2026-11-24" in status and "while the trial runs" not in status
    assert report["nights"]["not_run"] == 6 and report["outcomes"]["stress"]["n_pairs"] == 1
    assert "nothing to stop" in one_line_error(invoke("trial", "stop", "--yes"))
    # The next trial may start now.
    start_trial(invoke)


def test_trial_commands_without_a_trial(invoke, journal_path: Path) -> None:
    for args in (["trial"], ["trial", "status"], ["trial", "report"], ["trial", "stop", "--yes"]):
        line = one_line_error(invoke(*args))
        assert "there is no trial in the journal" in line and "matlog trial start" in line


def test_with_control_none_a_session_on_a_control_night_is_a_deviation(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    result = invoke(
        "trial",
        "start",
        "--pairs",
        "4",
        "--seed",
        str(SEED),
        "--yes",
        "--control",
        "none",
        "--outcome",
        "sleep",
    )
    assert result.exit_code == 0, result.output
    assert "have no session at all" in result.stdout
    night = SCHEDULE.index("control")
    go_to(clock, evening(night))
    started = invoke("start", "5m", "--settle", "0")
    assert "control — no session tonight" in started.stderr
    assert "listed as a deviation" in started.stderr
    (session,) = Journal(journal_path).read().sessions
    assert session.condition == "mat"
    status = json.loads(invoke("trial", "status", "--json").stdout)
    assert status["strip"][night]["state"] == "deviation"


def test_a_trial_whose_outcome_left_the_config_is_a_data_error(
    invoke, journal_path: Path, clock: FakeClock, isolated_home: Path
) -> None:
    start_trial(invoke, "--outcome", "mood")
    config = isolated_home / ".config" / "matlog" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[metrics]\npain = "lower"\n')
    go_to(clock, evening(9))
    line = one_line_error(invoke("trial", "report"), code=1)
    assert "outcome 'mood'" in line and "[metrics]" in line


def test_the_countdown_frame_and_the_plain_screen_show_the_label() -> None:
    import io

    from rich.console import Console

    from matlog.session.plain import PlainScreen
    from matlog.session.screen import countdown_view
    from matlog.session.timer import Countdown

    console = Console(file=io.StringIO(), width=80, color_system=None)
    ends = datetime(2026, 11, 23, 22, 20, tzinfo=CET)
    view = countdown_view(600, 1200, ends, paused=False, bell_every=None, label="trial night 3/8")
    console.print(view)
    assert "matlog · trial night 3/8" in console.file.getvalue()  # type: ignore[attr-defined]
    console = Console(file=io.StringIO(), width=80, color_system=None)
    console.print(countdown_view(600, 1200, ends, paused=False, bell_every=None))
    assert "trial night" not in console.file.getvalue()  # type: ignore[attr-defined]
    clock = FakeClock()
    stream = io.StringIO()
    with PlainScreen(stream, clock, "trial night 3/8: control").countdown() as draw:
        draw(Countdown(1200, clock))
    assert stream.getvalue().startswith("Started 20m (trial night 3/8: control); ends at")


def test_the_trial_summary_from_the_cache_is_what_a_fresh_read_gives(
    invoke, journal_path: Path, clock: FakeClock, isolated_home: Path
) -> None:
    import shutil

    def fresh() -> str:
        shutil.rmtree(isolated_home / ".cache", ignore_errors=True)
        return str(invoke("trial", "report", "--json").stdout)

    start_trial(invoke)
    run_nights(invoke, clock, range(0, 8), {"mat": -3, "control": -1})
    go_to(clock, evening(8))
    first = invoke("trial", "report", "--json").stdout
    assert invoke("trial", "report", "--json").stdout == first == fresh()
    # A tail folded in: night 1's sleep rated again (the latest in the file counts).
    invoke("trial", "report", "--json")
    assert invoke("sleep", "1", "--night", TODAY.isoformat()).exit_code == 0
    cached = invoke("trial", "report", "--json").stdout
    assert cached != first and cached == fresh()
    # A hand edit in the middle (same size) is seen too.
    text = journal_path.read_text()
    journal_path.write_text(text.replace('condition = "mat"', 'condition = "xyz"', 1))
    assert invoke("trial", "report").exit_code == 1
    journal_path.write_text(text)
    assert invoke("trial", "report", "--json").stdout == cached


def test_log_marks_trial_sessions(invoke, journal_path: Path) -> None:
    Journal(journal_path).append(
        [make_session(trial="T1", condition="control", note="floor"), make_session(minutes=5)]
    )
    out = invoke("log").stdout
    assert "[trial: control] floor" in out
    assert out.count("[trial:") == 1


def test_the_design_screen_warns_when_the_pairs_are_fewer_than_the_estimate() -> None:
    from matlog.trial_display import design_screen

    def screen(pairs: int) -> str:
        return design_screen(
            first_night=TODAY,
            last_night=TODAY + timedelta(days=2 * pairs - 1),
            pairs=pairs,
            outcome="stress",
            better="lower",
            worthwhile=1.0,
            seconds=1200,
            control="rest",
            fingerprint="abc",
            estimate={0.5: 60, 1.0: 21, 1.5: 10, 2.0: 6},
            history=51,
            pairs_from_history=False,
        )

    assert "fewer than the 21 pairs that give 80% power for 1 point" in " ".join(screen(14).split())
    assert "fewer than" not in screen(21)
    # 60 is the cap, not the estimate: said so.
    assert "0.5 points: 60 pairs, 120 nights (the most a trial takes: it may need more)" in (
        screen(14)
    )
    assert "21 pairs, 42 nights  <- yours" in screen(14)


def test_the_readmes_example_report_is_what_matlog_prints(
    invoke, journal_path: Path, clock: FakeClock
) -> None:
    from journal_factory import trial_journal, write_journal

    write_journal(journal_path, trial_journal(end=date(2026, 11, 30)))
    go_to(clock, datetime(2026, 12, 2, 9, 0, tzinfo=CET))
    result = invoke("trial", "report")
    assert result.exit_code == 0, result.output
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    lines = result.stdout.splitlines()
    head = "\n".join(lines[: lines.index("Secondary outcome: pain")])
    tail = "\n".join(lines[next(i for i, t in enumerate(lines) if t.startswith("Verdict:")) :])
    assert head in readme
    assert tail in readme


@pytest.mark.parametrize("width", [40, 60, 80])
def test_the_trial_screens_fit_the_terminal_and_never_split_a_date(
    journal_path: Path, width: int
) -> None:
    import re

    from journal_factory import trial_journal, write_journal

    from matlog import trials
    from matlog.env import Env
    from matlog.trial_display import design_screen, report_screen, status_screen

    write_journal(journal_path, trial_journal(end=date(2026, 11, 30)))
    clock = FakeClock(start=datetime(2026, 12, 2, 9, 0, tzinfo=CET))
    env = Env(journal_path=journal_path, clock=clock, interactive=False)
    analysis = trials.report(env, unblind=False)
    report = report_screen(analysis.report, analysis.metrics, width)
    status = status_screen(trials.status(env), width)
    design = design_screen(
        first_night=TODAY, last_night=TODAY + timedelta(days=27), pairs=14, outcome="stress",
        better="lower", worthwhile=1.0, seconds=1200, control="rest", fingerprint="abc",
        estimate={0.5: 60, 1.0: 21, 1.5: 10, 2.0: 6}, history=51, pairs_from_history=False,
        width=width,
    )  # fmt: skip
    for screen in (report, status, design):
        assert max(len(line) for line in screen.splitlines()) <= width, screen
        assert not re.search(r"\b20\d\d-\d\d?$", screen, re.M)  # no date cut at a line's end
    text = " ".join(report.split())
    assert "Verdict: Stress fell 1 point more" in text and "p = 0.008" in text
    for pair in (1, 14):
        assert f"pair {pair:>2}" in report
    assert "-1.00, 95% CI -1.55 to -0.45" in report
