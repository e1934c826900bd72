"""config.toml: defaults, every key, and errors that name the file and the key."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from conftest import make_session

from matlog.config import EXAMPLE, Config, PlanConfig, load_config
from matlog.errors import ConfigError
from matlog.journal import Journal


@pytest.fixture
def config_path(tmp_path: Path) -> Path:
    return tmp_path / "config.toml"


def test_no_file_gives_the_defaults(config_path: Path) -> None:
    config = load_config(config_path)
    assert config == Config(path=config_path)
    assert config.metrics == {"pain": "lower", "stress": "lower", "mood": "higher"}
    assert (config.area, config.day_starts, config.settle_seconds) == ("back", time(4), 10)
    assert config.after_timeout_seconds == 120 and config.plan == PlanConfig()


def test_the_documented_example_loads(config_path: Path) -> None:
    config_path.write_text(EXAMPLE)
    config = load_config(config_path)
    assert config.sound_command[0] == "paplay"
    assert config.plan.target_minutes == 20


def test_every_key_is_read(config_path: Path) -> None:
    config_path.write_text(
        'area = "neck"\nday_starts = "05:30"\nsettle = "0"\nafter_timeout = "90s"\n'
        "bell = false\nnotify = false\nsound_command = \"play '/my sounds/bell.oga'\"\n"
        '[metrics]\nanxiety = "lower"\nenergy = "higher"\n'
        "[plan]\nstart_minutes = 3\nstep_minutes = 2\ntarget_minutes = 30\n"
    )
    config = load_config(config_path)
    assert config.area == "neck" and config.day_starts == time(5, 30)
    assert (config.settle_seconds, config.after_timeout_seconds) == (0, 90)
    assert (config.bell, config.notify) == (False, False)
    assert config.sound_command == ("play", "/my sounds/bell.oga")
    assert config.metrics == {"anxiety": "lower", "energy": "higher"}
    assert config.plan == PlanConfig(3, 2, 30)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('area = ""', "area"),
        ("area = 5", "area"),
        ('day_starts = "25:00"', "day_starts"),
        ("day_starts = 4", "day_starts"),
        ('settle = "soon"', "settle"),
        ("settle = true", "settle"),
        ('after_timeout = "0"', "after_timeout"),
        ('after_timeout = "4h"', "after_timeout"),
        ('bell = "yes"', "bell"),
        ("notify = 1", "notify"),
        ("sound_command = 5", "sound_command"),
        ('sound_command = ["a", 1]', "sound_command"),
        ('sound_command = "paplay \'unclosed"', "sound_command"),
        ('metrics = "pain"', "metrics"),
        ('[metrics]\npain = "down"', "metrics.pain"),
        ('[metrics]\n"Pain Level" = "lower"', "metrics.Pain Level"),
        ("[plan]\ntarget_minutes = 40", "plan.target_minutes"),
        ("[plan]\nstart_minutes = 0", "plan.start_minutes"),
        ("[plan]\nstep_minutes = true", "plan.step_minutes"),
        ("[plan]\nstart_minutes = 25\ntarget_minutes = 20", "plan.start_minutes"),
        ("plan = 3", "plan"),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(config_path: Path, text: str, key: str) -> None:
    config_path.write_text(text + "\n")
    with pytest.raises(ConfigError) as info:
        load_config(config_path)
    assert info.value.message.startswith(f"{config_path}: {key}: ")
    assert info.value.exit_code == 1 and info.value.hint


@pytest.mark.parametrize(
    ("text", "key"),
    [("colour = true", "colour"), ("[plan]\ntarget = 20", "plan.target")],
)
def test_an_unknown_key_is_named(config_path: Path, text: str, key: str) -> None:
    config_path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=rf"^{config_path}: {key}: unknown key \(known: "):
        load_config(config_path)


@pytest.mark.parametrize(
    "data",
    [
        b"area = \n",
        b"[plan\n",
        b'area = "back"\narea = "neck"\n',
        b"\xff\xfe not utf-8",
        b"x = " + b"1" * 5000 + b"\n",
        b"x = " + b"[" * 5000 + b"\n",
    ],
)
def test_not_toml_is_a_config_error_naming_the_file(config_path: Path, data: bytes) -> None:
    config_path.write_bytes(data)
    with pytest.raises(ConfigError, match=rf"^{config_path}: not"):
        load_config(config_path)


def test_a_config_that_is_a_folder_is_a_config_error(config_path: Path) -> None:
    config_path.mkdir()
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(config_path)


def test_the_cli_reports_a_bad_config_in_one_line(invoke, tmp_path, monkeypatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[metrics]\npain = "down"\n')
    monkeypatch.setenv("MATLOG_CONFIG", str(config))
    Journal(tmp_path / "journal.toml").append([make_session()])
    result = invoke("log")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"matlog: {config}: metrics.pain: ")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
