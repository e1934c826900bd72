"""The state folder against the real world: PID namespaces, folders, bytes, other users.

Issue #10, part two. The heartbeat of a running session (`running-*.json`) and the rating
owed (`pending-rating.json`) are what lets a killed session be logged by the next command;
each test here drives the installed `matlog` in real processes the way a user meets the
problem: a container that gives a new process the PID of a killed one, a `matlog` started
in another folder, text typed in a Latin-1 terminal, a heartbeat cut short or left by root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matlog import paths
from matlog.cli import app
from matlog.clock import FakeClock
from matlog.env import Env
from matlog.journal import Journal, load_file
from matlog.records import Session

MATLOG = str(Path(sys.executable).parent / "matlog")
DEAD_PID = 2**22 + 4321  # beyond pid_max: never a live process


@pytest.fixture(autouse=True)
def safety_notice_seen() -> None:
    folder = paths.ensure_private_dir(paths.state_dir())
    (folder / "seen-safety").touch()


def environ(journal: Path | str, **extra: str) -> dict[str, str]:
    return {**os.environ, "MATLOG_JOURNAL": str(journal), **extra}


def matlog(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MATLOG, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


def started(args: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    """A `matlog start` running in the background, once its first heartbeat is on disk."""
    child = subprocess.Popen(
        args,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # "Started 1m; ends at ...": after the first heartbeat
    assert line.startswith("Started"), line + child.stderr.read()  # type: ignore[union-attr]
    return child


def killed(child: subprocess.Popen[str]) -> None:
    child.kill()
    child.communicate(timeout=20)


def heartbeats() -> list[Path]:
    return sorted(paths.state_dir().glob("running-*.json"))


def sessions(journal: Path) -> list[Session]:
    return Journal(journal).read().sessions


# ---------------------------------------------------------------------------------------
# 1. Liveness never depends on PIDs being unique


def test_a_killed_session_with_the_pid_of_the_next_start_is_recovered(tmp_path: Path) -> None:
    # In a PID namespace, the next `start` can get the very PID the killed one had: its
    # heartbeat then names this process. It must be logged, not taken for our own.
    journal = tmp_path / "journal.toml"
    killed(started([MATLOG, "start", "60s", "--settle", "0"], environ(journal)))
    [heartbeat] = heartbeats()
    data = json.loads(heartbeat.read_text())
    data["pid"] = os.getpid()
    heartbeat.unlink()
    (heartbeat.parent / f"running-{os.getpid()}.json").write_text(json.dumps(data))
    env = Env(journal_path=journal, clock=FakeClock(), interactive=False)
    result = CliRunner().invoke(app, ["start", "1s", "--settle", "0"], obj=env)
    assert result.exit_code == 0, result.output
    assert "did not end normally" in result.stderr
    assert sorted(s.ended for s in sessions(journal)) == ["finished", "interrupted"]
    assert heartbeats() == []


def test_a_running_session_whose_pid_looks_dead_is_left_alone(tmp_path: Path) -> None:
    # Seen from the host, a session in a container has a PID that means nothing here: the
    # next command must not log it as killed (it would then be logged twice).
    journal = tmp_path / "journal.toml"
    child = started([MATLOG, "start", "60s", "--settle", "0"], environ(journal))
    try:
        [heartbeat] = heartbeats()
        data = json.loads(heartbeat.read_text())
        data["pid"] = DEAD_PID
        spare = heartbeat.with_suffix(".edit")
        spare.write_text(json.dumps(data))
        os.replace(spare, heartbeat)
        other = matlog("log", env=environ(journal))
        assert other.returncode == 0, other.stderr
        assert "did not end normally" not in other.stderr
        assert sessions(journal) == []
    finally:
        child.send_signal(signal.SIGTERM)
        child.communicate(timeout=20)
    assert child.returncode == 143
    [logged] = sessions(journal)
    assert logged.ended == "interrupted"
    assert heartbeats() == []


def _unshare() -> list[str]:
    command = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    probe = subprocess.run([*command, "true"], capture_output=True, timeout=20)
    if probe.returncode != 0:
        pytest.skip(f"unshare --pid does not work here: {probe.stderr.decode().strip()}")
    return command


def test_in_a_real_pid_namespace_the_killed_session_is_recovered(tmp_path: Path) -> None:
    # `matlog start` as PID 1 of a fresh namespace, killed; the next `start` in another
    # fresh namespace is PID 1 again.
    unshare = _unshare()
    journal = tmp_path / "journal.toml"
    env = environ(journal)
    first = started([*unshare, MATLOG, "start", "60s", "--settle", "0"], env)
    killed(first)  # unshare dies of SIGKILL; --kill-child sends the same to matlog
    [heartbeat] = heartbeats()
    assert json.loads(heartbeat.read_text())["pid"] == 1
    second = subprocess.run(
        [*unshare, MATLOG, "start", "1s", "--settle", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    assert "did not end normally" in second.stderr
    assert sorted(s.ended for s in sessions(journal)) == ["finished", "interrupted"]
    assert heartbeats() == []


# ---------------------------------------------------------------------------------------
# 2. Paths in the state folder are absolute: recovery from any folder finds the same file


@pytest.mark.parametrize("how", ["--journal", "MATLOG_JOURNAL"])
def test_a_relative_journal_is_recovered_into_the_same_file_from_another_folder(
    tmp_path: Path, how: str
) -> None:
    here, elsewhere = tmp_path / "A", tmp_path / "B"
    here.mkdir()
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MATLOG_JOURNAL"}
    if how == "MATLOG_JOURNAL":
        env["MATLOG_JOURNAL"] = "j.toml"
        args = [MATLOG, "start", "60s", "--settle", "0"]
    else:
        args = [MATLOG, "--journal", "j.toml", "start", "60s", "--settle", "0"]
    killed(started(args, env, cwd=here))
    later = matlog(
        "plan", env={**env, "MATLOG_JOURNAL": str(tmp_path / "other.toml")}, cwd=elsewhere
    )
    assert later.returncode == 0, later.stderr
    assert "did not end normally" in later.stderr
    [logged] = sessions(here / "j.toml")
    assert logged.ended == "interrupted"
    assert not (elsewhere / "j.toml").exists() and not (tmp_path / "other.toml").exists()
    assert heartbeats() == []


# ---------------------------------------------------------------------------------------
# 3. Text that is not UTF-8: refused before anything starts; a journal folder just works

LATIN1 = "café".encode("latin-1")  # what a Latin-1 terminal sends for "café"
BAD_OPTIONS = [
    ("--note", [b"--note", LATIN1]),
    ("--tag", [b"-t", LATIN1]),
    ("--area", [b"--area", LATIN1]),
    ("--before", [b"-b", b"pain=6," + LATIN1 + b"=3"]),
    ("--after", [b"-a", LATIN1 + b"=3"]),
    ("--settle", [b"--settle", LATIN1]),
    ("DURATION", [LATIN1]),
]


@pytest.mark.parametrize(("option", "args"), BAD_OPTIONS, ids=[o for o, _ in BAD_OPTIONS])
def test_option_text_that_is_not_utf8_is_refused_before_anything_starts(
    tmp_path: Path, option: str, args: list[bytes]
) -> None:
    journal = tmp_path / "journal.toml"
    duration = [] if option == "DURATION" else [b"1s"]
    run = subprocess.run(
        [MATLOG.encode(), b"start", *duration, b"--settle", b"0", *args],
        env=environ(journal),
        capture_output=True,
        timeout=60,
    )
    err = run.stderr.decode("utf-8", "backslashreplace")
    assert run.returncode == 2, err
    [line] = err.splitlines()
    assert line.startswith("matlog: ") and option in line and "UTF-8" in line
    assert run.stdout == b"" and not journal.exists() and heartbeats() == []


def test_a_journal_folder_that_is_not_utf8_just_works(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path) + b"/" + LATIN1
    os.mkdir(folder)
    journal = folder + b"/j.toml"
    env = {**os.environb, b"MATLOG_JOURNAL": journal}
    # A whole session, then one killed: recovered into the same file by the next command.
    done = subprocess.run(
        [MATLOG, "start", "1s", "--settle", "0", "--note", "ok"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    killed(started([MATLOG, "start", "60s", "--settle", "0"], env))  # type: ignore[arg-type]
    later = subprocess.run([MATLOG, "log"], env=env, capture_output=True, timeout=60)
    assert later.returncode == 0, later.stderr.decode(errors="replace")
    assert b"did not end normally" in later.stderr and b"Traceback" not in later.stderr
    logged = sessions(Path(os.fsdecode(journal)))
    assert sorted(s.ended for s in logged) == ["finished", "interrupted"]
    assert sorted(os.listdir(os.fsencode(tmp_path))) == [LATIN1, b"home"]  # nothing else made
    assert heartbeats() == []


def test_a_journal_name_that_is_not_utf8_is_printed_as_its_bytes(tmp_path: Path) -> None:
    journal = os.fsencode(tmp_path) + b"/" + LATIN1 + b".toml"
    env = {**os.environb, b"MATLOG_JOURNAL": journal, b"PYTHONIOENCODING": b"utf-8:strict"}
    for command in (b"paths", b"check", b"log"):
        run = subprocess.run([MATLOG.encode(), command], env=env, capture_output=True, timeout=60)
        assert run.returncode == 0, run.stderr.decode(errors="replace")
        assert journal in run.stdout and run.stderr == b""


# ---------------------------------------------------------------------------------------
# 4. A heartbeat that cannot be read is never deleted; one of another user's is skipped


def test_a_truncated_heartbeat_is_set_aside_and_said_once(tmp_path: Path) -> None:
    journal = tmp_path / "journal.toml"
    killed(
        started([MATLOG, "start", "60s", "--settle", "0", "--note", "x" * 5000], environ(journal))
    )
    [heartbeat] = heartbeats()
    whole = heartbeat.read_bytes()
    heartbeat.write_bytes(whole[: len(whole) // 2])  # what a short write used to leave
    first = matlog("log", env=environ(journal))
    assert first.returncode == 0, first.stderr
    [line] = first.stderr.splitlines()
    aside = paths.state_dir() / f"unreadable-{heartbeat.name}"
    assert "could not be read" in line and str(aside) in line
    assert aside.read_bytes() == whole[: len(whole) // 2]
    assert os.stat(aside).st_mode & 0o777 == 0o600
    assert heartbeats() == [] and not journal.exists()
    second = matlog("log", env=environ(journal))
    assert second.returncode == 0 and second.stderr == ""


def test_a_heartbeat_of_another_user_never_stops_a_command(tmp_path: Path) -> None:
    # `sudo matlog start` left a root-owned heartbeat (and lock) in a user's state folder;
    # the user (here: nobody) runs matlog. Needs root to set up, and setpriv.
    if os.getuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to play two users")
    import tempfile

    nobody = 65534
    base = Path(tempfile.mkdtemp(prefix="matlog-other-user-"))
    try:
        home = base / "home"
        state = home / ".local/state/matlog"
        state.mkdir(parents=True)
        for folder in (base, home, home / ".local", state.parent, state):
            os.chown(folder, nobody, nobody)
        (state / "seen-safety").touch()
        data = {"format": 2, "session": "01ROOTSESSION000000000000A", "pid": 1}
        (state / "running-01ROOTSESSION000000000000A.json").write_text(json.dumps(data))
        (state / "running-01ROOTSESSION000000000000A.json").chmod(0o600)
        (state / "running-01ROOTSESSION000000000000A.lock").touch(mode=0o600)
        env = {
            **os.environ,
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / ".local/state"),
            "XDG_DATA_HOME": str(home / ".local/share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "MATLOG_JOURNAL": str(home / "j.toml"),
        }
        as_nobody = ["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups"]
        said = []
        for args in (["log"], ["start", "1s", "--settle", "0"], ["plan"]):
            run = subprocess.run(
                [*as_nobody, MATLOG, *args], env=env, capture_output=True, text=True, timeout=60
            )
            assert run.returncode == 0, run.stderr
            assert "Traceback" not in run.stderr
            said.append(run.stderr)
        assert sum("another user" in s for s in said) == 1, said
        assert (state / "running-01ROOTSESSION000000000000A.json").stat().st_uid == 0
        assert len(Journal(home / "j.toml").read().sessions) == 1
    finally:
        shutil.rmtree(base)


# ---------------------------------------------------------------------------------------
# 15. Never stand between a user and the mat: a broken journal, a config problem


def test_the_installed_matlog_runs_a_session_on_a_broken_journal(tmp_path: Path) -> None:
    # Without a DURATION it would run the plan's start, 5 real minutes: that case is
    # tests/test_start_never_refuses.py's, on a fake clock.
    journal = tmp_path / "journal.toml"
    journal.write_text("format = 1\n\n[[session]]\nid = \n")
    run = matlog("start", "1s", "--settle", "0", "-b", "pain=4", env=environ(journal))
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr and "Time is up" not in run.stdout
    [rescued] = (paths.state_dir() / "rescued").iterdir()
    errors = [line for line in run.stderr.splitlines() if line.startswith("matlog: ")]
    assert f"{journal}:4:" in errors[0] and "runs anyway" in errors[0]
    assert f"{journal}:4:" in errors[-1] and str(rescued) in errors[-1]
    [record] = load_file(rescued).sessions
    assert (record.ended, record.actual_seconds, record.before) == ("finished", 1, {"pain": 4})
    assert journal.read_text() == "format = 1\n\n[[session]]\nid = \n"


def test_the_installed_matlog_names_config_problems_and_runs(tmp_path: Path) -> None:
    journal = tmp_path / "journal.toml"
    config = tmp_path / "config.toml"
    config.write_text('bel = false\nafter_timeout = "never"\n')
    env = environ(journal, MATLOG_CONFIG=str(config))
    run = matlog("start", "1s", "--settle", "0", env=env)
    assert run.returncode == 0, run.stderr
    # Besides the note that says where the new journal is, one line per config problem.
    lines = [line for line in run.stderr.splitlines() if not line.startswith("Created a new")]
    assert len(lines) == 2 and all(line.startswith(f"matlog: {config}: ") for line in lines)
    assert "bel:" in lines[0] and "after_timeout:" in lines[1]
    assert len(sessions(journal)) == 1
    other = matlog("log", env=env)
    assert other.returncode == 1 and f"{config}: bel:" in other.stderr
