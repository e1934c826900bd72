"""start, plan, rate and sleep through the CLI (stdin is not a terminal: no prompts)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import make_session

from matlog.journal import Journal


def test_start_logs_a_session_with_flags(invoke, journal_path: Path) -> None:
    result = invoke(
        "start",
        "90s",
        "--settle",
        "0",
        "-b",
        "pain=6,stress=7",
        "-a",
        "pain=3",
        "-t",
        "bedtime",
        "--area",
        "neck",
        "--layer",
        "shirt",
        "--surface",
        "bed",
        "--note",
        "calm",
    )
    assert result.exit_code == 0, result.output
    assert "Time is up after 1m30s. pain 6→3 (-3). Next planned: 5m." in result.stdout
    [s] = Journal(journal_path).read().sessions
    assert (s.planned_seconds, s.actual_seconds, s.ended) == (90, 90, "finished")
    assert (s.area, s.layer, s.surface, s.tags, s.note) == (
        "neck",
        "shirt",
        "bed",
        ["bedtime"],
        "calm",
    )
    assert s.before == {"pain": 6, "stress": 7} and s.after == {"pain": 3}


def test_start_without_duration_uses_the_plan(invoke, journal_path: Path) -> None:
    result = invoke("start", "--settle", "0", "--no-ratings")
    assert result.exit_code == 0, result.output
    [s] = Journal(journal_path).read().sessions
    assert s.planned_seconds == 300


def test_plain_progress_lines_have_no_cursor_movement(invoke) -> None:
    result = invoke("start", "3m", "--settle", "0")
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "3:00 left" in result.stdout and "2:00 left" in result.stdout


def test_the_safety_notice_is_shown_once(invoke) -> None:
    first = invoke("start", "1m", "--settle", "0")
    second = invoke("start", "1m", "--settle", "0")
    assert "stop at once on pain" in first.stderr
    assert "stop at once on pain" not in second.stderr


def test_far_above_the_plan_warns_gently(invoke) -> None:
    warned = invoke("start", "20", "--settle", "0")
    assert warned.exit_code == 0
    assert "well above your plan's 5m" in warned.stderr
    quiet = invoke("start", "20", "--settle", "0", "--yes")
    assert "well above" not in quiet.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["start", "0"],
        ["start", "-5"],
        ["start", "4h"],
        ["start", "soon"],
        ["start", "1m1m"],
        ["start", "5", "-b", "pian=3"],
        ["start", "5", "-b", "pain=11"],
        ["start", "5", "--layer", "wool"],
        ["start", "5", "--settle", "x"],
        ["start", "5", "-t", " "],
        ["start", "5", "-b", "pain=3,pain=4"],
        ["sleep", "11"],
        ["sleep", "good"],
        ["sleep", "7", "--night", "yesterday"],
        ["rate", "pain=3"],
        ["rate", "mood=eleven"],
    ],
)
def test_usage_errors_are_one_line_and_exit_2(invoke, journal_path: Path, args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not journal_path.exists()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["start", "-5"], "duration must be more than zero, got '-5'"),
        (["start", "-1m30"], "duration must be more than zero, got '-1m30'"),
        (["start", "5", "--settle", "0", "-1"], "got '-1'"),
        (["sleep", "-3"], "-3 is a negative number; matlog takes none here"),
    ],
)
def test_a_negative_number_is_named_as_typed_not_as_an_unknown_option(
    invoke, journal_path: Path, args: list[str], said: str
) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert said in line and "No such option" not in line
    assert not journal_path.exists()


def test_start_takes_minutes_and_seconds_as_people_say_them(invoke, journal_path: Path) -> None:
    result = invoke("start", "1m30", "--settle", "0", "--no-ratings")
    assert result.exit_code == 0, result.output
    [session] = Journal(journal_path).read().sessions
    assert session.planned_seconds == 90


def test_start_refuses_a_broken_journal_before_anyone_lies_down(invoke, journal_path: Path) -> None:
    journal_path.write_text("format = 1\n[[session]]\nstarted = oops\n")
    before = journal_path.read_bytes()
    result = invoke("start", "1m", "--settle", "0")
    assert result.exit_code == 1
    assert f"{journal_path}:3:" in result.stderr
    assert journal_path.read_bytes() == before


def test_plan_json(invoke, journal_path: Path) -> None:
    Journal(journal_path).append([make_session(minutes=5), make_session(minutes=6)])
    result = invoke("plan", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["next_seconds"] == 7 * 60 and data["target_seconds"] == 20 * 60
    human = invoke("plan")
    assert "Next session: 7m" in human.stdout


def test_rate_fills_the_latest_session_without_after(invoke, journal_path: Path) -> None:
    invoke("start", "1m", "--settle", "0", "--rate-later", "-b", "pain=6")
    result = invoke("rate", "pain=2", "stress=1")
    assert result.exit_code == 0, result.output
    [s] = Journal(journal_path).read().sessions
    assert s.after == {"pain": 2, "stress": 1}
    # A rating it has already is a correction: replaced, and the old value said.
    again = invoke("rate", "pain=1")
    assert again.exit_code == 0, again.output
    assert "pain 2 → 1" in again.stdout
    [s] = Journal(journal_path).read().sessions
    assert s.after == {"pain": 1, "stress": 1}


def test_sleep_defaults_to_last_night_and_rerating_replaces(
    invoke, journal_path: Path, clock
) -> None:
    assert invoke("sleep", "6").exit_code == 0
    result = invoke("sleep", "8", "--note", "deep")
    assert "replaced 6" in result.stdout
    [night] = Journal(journal_path).read().sleeps
    assert night.night == clock.now().date() - timedelta(days=1)
    assert (night.rating, night.note) == (8, "deep")
    assert invoke("sleep", "5", "--night", "2026-11-01").exit_code == 0
    nights = {s.night for s in Journal(journal_path).read().sleeps}
    assert date(2026, 11, 1) in nights


def test_a_killed_session_is_logged_by_the_next_command(
    invoke, journal_path: Path, isolated_home: Path
) -> None:
    from test_session import dead_running_file

    state = isolated_home / ".local/state/matlog"
    dead_running_file(state, journal_path, elapsed=300)
    result = invoke("log")
    assert result.exit_code == 0
    assert "did not end normally" in result.stderr
    assert "logged it as interrupted" in result.stderr
    assert [s.actual_seconds for s in Journal(journal_path).read().sessions] == [300]
    again = invoke("log")
    assert "did not end normally" not in again.stderr
    assert len(Journal(journal_path).read().sessions) == 1


def test_far_above_the_plan_asks_at_a_terminal_and_no_means_not_started(
    invoke, journal_path: Path
) -> None:
    result = invoke("start", "30", "--settle", "0", input="n\n", interactive=True)
    assert result.exit_code == 0, result.output
    assert "Start anyway? [y/N]" in result.stderr
    assert "Not started." in result.stdout
    assert not journal_path.exists()


def test_sleep_on_a_broken_journal_keeps_the_rating_in_a_rescue_file(
    invoke, journal_path: Path
) -> None:
    from matlog import paths
    from matlog.journal import load_file

    journal_path.write_text("[[session]\n")
    result = invoke("sleep", "7")
    assert result.exit_code == 1
    assert "The record was not lost" in result.stderr and "matlog import" in result.stderr
    assert journal_path.read_text() == "[[session]\n"
    [saved] = (paths.state_dir() / "rescued").iterdir()
    [night] = load_file(saved).records
    assert night.rating == 7  # type: ignore[union-attr]


def test_sleep_after_the_night_was_removed_by_hand(invoke, journal_path: Path) -> None:
    assert invoke("sleep", "6", "--night", "2026-11-01").exit_code == 0
    text = journal_path.read_text()
    journal_path.write_text(text[: text.index("[[sleep]]")])  # the user deletes the night
    result = invoke("sleep", "8", "--night", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "(saved)" in result.stdout
    assert [(s.night, s.rating) for s in Journal(journal_path).read().sleeps] == [
        (date(2026, 11, 1), 8)
    ]


def test_rate_in_two_steps_goes_to_the_latest_session(invoke, journal_path: Path) -> None:
    invoke("start", "1m", "--settle", "0", "-b", "pain=5")  # an older session, unrated
    invoke("start", "1m", "--settle", "0", "-b", "pain=6,stress=7", "--rate-later")
    first = invoke("rate", "pain=3")
    second = invoke("rate", "stress=2")
    assert first.stdout == "Rated the latest session (Mon 2026-11-23 22:01): pain 3.\n"
    assert second.stdout == "Rated the latest session (Mon 2026-11-23 22:01): stress 2.\n"
    older, latest = sorted(Journal(journal_path).read().sessions, key=lambda s: s.line)
    assert latest.after == {"pain": 3, "stress": 2}
    assert older.after == {}
    # The same metric again is a correction of the latest session: it never moves to the
    # older one (that invented a change there, which then counted in stats).
    again = invoke("rate", "pain=4")
    assert again.exit_code == 0, again.output
    assert again.stdout == "Rated the latest session (Mon 2026-11-23 22:01): pain 3 → 4.\n"
    older, latest = sorted(Journal(journal_path).read().sessions, key=lambda s: s.line)
    assert older.after == {} and latest.after == {"pain": 4, "stress": 2}


def test_a_rescued_session_does_not_break_the_next_commands(
    invoke, journal_path: Path, isolated_home: Path, monkeypatch
) -> None:
    from matlog.errors import JournalWriteError
    from matlog.journal import Journal as JournalClass

    def refuse(self, records, **kwargs):  # type: ignore[no-untyped-def]
        raise JournalWriteError(f"cannot write {self.path}: Permission denied", record_text="")

    with monkeypatch.context() as patch:
        patch.setattr(JournalClass, "append", refuse)
        result = invoke("start", "1m", "--settle", "0", "-b", "pain=4")
    assert result.exit_code == 1
    [rescued] = (isolated_home / ".local/state/matlog/rescued").iterdir()
    assert not list((isolated_home / ".local/state/matlog").glob("running-*.json"))
    # The journal works again: nothing left over makes other commands fail or log twice.
    for command in ("log", "plan", "stats"):
        assert invoke(command).exit_code == 0
    assert invoke("import", str(rescued)).exit_code == 0
    assert [s.before for s in Journal(journal_path).read().sessions] == [{"pain": 4}]


def test_an_old_session_the_journal_refuses_never_fails_another_command(
    invoke, journal_path: Path, isolated_home: Path, monkeypatch
) -> None:
    from test_session import dead_running_file

    from matlog.errors import JournalWriteError
    from matlog.journal import Journal as JournalClass

    dead_running_file(isolated_home / ".local/state/matlog", journal_path, elapsed=300)

    def refuse(self, records, **kwargs):  # type: ignore[no-untyped-def]
        raise JournalWriteError(f"cannot write {self.path}: Read-only file system", record_text="")

    with monkeypatch.context() as patch:
        patch.setattr(JournalClass, "append", refuse)
        result = invoke("plan")
    assert result.exit_code == 0, result.output
    assert "did not end normally" in result.stderr and "rescued" in result.stderr
    second = invoke("plan")
    assert "did not end normally" not in second.stderr  # said once; it is in the rescue file


def test_a_night_that_has_not_come_yet_is_refused(invoke, journal_path: Path, clock) -> None:
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    result = invoke("sleep", "7", "--night", tomorrow)
    assert result.exit_code == 2 and "has not come yet" in result.stderr
    assert not journal_path.exists()


def test_a_second_session_at_the_same_time_says_so(invoke, isolated_home: Path, clock) -> None:
    import subprocess
    import sys

    # Another process runs a session: it holds its heartbeat's lock until stdin closes.
    script = (
        "import sys\n"
        "from datetime import datetime\n"
        "from pathlib import Path\n"
        "from matlog.session.recovery import RunningFile\n"
        "running = RunningFile(Path(sys.argv[1]), '01TESTOTHER00000000000000A')\n"
        "when = datetime.fromisoformat(sys.argv[3])\n"
        "running.beat(Path(sys.argv[2]), {'started': sys.argv[3]}, 5, 'interrupted', when)\n"
        "print('ready', flush=True)\n"
        "sys.stdin.read()\n"
    )
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            script,
            str(isolated_home / ".local/state/matlog"),
            str(isolated_home / "j.toml"),
            clock.now().isoformat(),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "ready\n"
        result = invoke("start", "1m", "--settle", "0")
        assert result.exit_code == 0
        assert "another matlog session is running (started 22:00)" in result.stderr
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize("args", [[], ["-b", "pain=6", "-a", "pain=3"], ["--rate-later"]])
def test_time_is_up_is_said_once_in_plain_lines(invoke, args: list[str]) -> None:
    result = invoke("start", "1m", "--settle", "0", *args)
    assert result.exit_code == 0, result.output
    assert result.output.count("Time is up after 1m.") == 1


def test_rate_later_ends_with_how_to_rate_with_the_configured_metrics(
    invoke, tmp_path: Path, monkeypatch
) -> None:
    result = invoke("start", "1m", "--settle", "0", "--rate-later")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        "Time is up after 1m. Next planned: 5m.",
        "Rate it later with `matlog rate pain=… stress=… mood=…`.",
    ]
    # Ratings given with -a are not asked for again; the config's own names are used.
    config = tmp_path / "config.toml"
    config.write_text('[metrics]\nanxiety = "lower"\nenergy = "higher"\n')
    monkeypatch.setenv("MATLOG_CONFIG", str(config))
    result = invoke("start", "1m", "--settle", "0", "--rate-later", "-a", "energy=6")
    assert result.stdout.splitlines()[-1] == "Rate it later with `matlog rate anxiety=…`."
    result = invoke("start", "1m", "--settle", "0", "--rate-later", "-a", "energy=6,anxiety=2")
    assert "matlog rate" not in result.stdout
    assert "matlog rate" not in invoke("start", "1m", "--settle", "0").stdout


def test_asleep_at_the_after_ratings_says_how_to_rate_with_the_metrics(
    tmp_path: Path, clock
) -> None:
    from test_session import SleepyPrompter, make_runner

    from matlog import session

    runner = make_runner(tmp_path, clock, answers="5\n\n\n", prompter_class=SleepyPrompter)
    plan = session.SessionPlan(planned_seconds=60, area="back", ask_after=True, settle_seconds=0)
    outcome = session.run_session(plan, runner)
    lines = session.end_lines(outcome, runner.config.metrics, 300, rate_later=False)
    assert lines[-1] == (
        "No answer to the after-ratings: logged without them. "
        "`matlog rate pain=… stress=… mood=…` adds them."
    )


def test_ctrl_c_at_the_after_ratings_says_how_to_rate_later(tmp_path: Path, clock) -> None:
    from test_session import make_runner

    from matlog import session
    from matlog.prompts import Prompter

    class CtrlCAfter(Prompter):
        def ask(self, question: str, timeout: float | None = None) -> str:
            if question.startswith("After — stress"):
                raise KeyboardInterrupt
            return super().ask(question, timeout)

    runner = make_runner(tmp_path, clock, answers="2\n", prompter_class=CtrlCAfter)
    plan = session.SessionPlan(planned_seconds=60, area="back", ask_after=True, settle_seconds=0)
    outcome = session.run_session(plan, runner)
    [logged] = runner.journal.read().sessions
    assert logged.after == {"pain": 2}  # what was answered before Ctrl-C is kept
    lines = session.end_lines(outcome, runner.config.metrics, 300, rate_later=False)
    assert lines[-1] == "After-ratings skipped: `matlog rate stress=… mood=…` adds them."
    assert session.owed_rating(runner.state_dir, runner.journal, [logged]) is None  # no nag


def test_the_settle_in_is_one_plain_line_when_piped(invoke, clock) -> None:
    result = invoke("start", "1m", "--settle", "5s")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "Lie down: the countdown starts in 5s with one bell (Enter: start now)."
    )
    assert result.output.count("Lie down") == 1
    assert "\r" not in result.output and "\x1b" not in result.output


@pytest.mark.parametrize(
    ("option", "args"),
    [
        ("--note", ["--note", "caf\udce9"]),
        ("--tag", ["-t", "caf\udce9"]),
        ("--area", ["--area", "caf\udce9"]),
        ("--before", ["-b", "pain=6,caf\udce9=3"]),
        ("--bell-every", ["--bell-every", "1\udce9"]),
        ("--layer", ["--layer", "caf\udce9"]),
    ],
)
def test_text_that_is_not_utf8_is_refused_before_anything_starts(
    invoke, journal_path: Path, isolated_home: Path, option: str, args: list[str]
) -> None:
    # What Python makes of Latin-1 bytes in argv: lone surrogates.
    result = invoke("start", "1s", "--settle", "0", *args)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"matlog: {option}: the text is not UTF-8")
    assert not journal_path.exists()
    assert not list((isolated_home / ".local/state/matlog").glob("running-*"))


def test_a_sound_command_that_is_not_there_is_said_before_the_session(
    invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('sound_command = ["/nonexistent/player", "bell.oga"]\n')
    monkeypatch.setenv("MATLOG_CONFIG", str(config))
    result = invoke("start", "1m", "--settle", "0")
    assert result.exit_code == 0, result.output
    assert "sound_command '/nonexistent/player' (config) was not found" in result.stderr
    config.write_text('sound_command = ["true"]\n')
    assert "was not found" not in invoke("start", "1m", "--settle", "0").stderr


def test_journal_after_the_command_is_pointed_before_it(invoke) -> None:
    result = invoke("start", "1m", "--journal", "x.toml")
    assert result.exit_code == 2
    assert "--journal goes before the command: matlog --journal FILE start" in result.stderr
