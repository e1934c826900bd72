"""Arbitrary bytes as a journal or a config: only matlog's own errors, each within a second."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rel_util import SOAK, figure, sessions

from matlog.config import load_config
from matlog.errors import ConfigError, JournalError
from matlog.journal import Journal, parse, serialise

EXAMPLES = 3000 if SOAK else 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=1000,  # milliseconds: no input may take a second
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RUNS: dict[str, int] = {}
VALID = {kind: serialise(sessions(6), kind, whole_file=True).encode() for kind in ("toml", "jsonl")}


@st.composite
def mutated(draw: st.DrawFn, kind: str) -> bytes:
    """A valid journal with bytes flipped, cut, inserted or spliced in."""
    data = bytearray(VALID[kind])
    for _ in range(draw(st.integers(1, 6))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert", "truncate", "dup"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        elif action == "truncate":
            del data[at:]
        else:
            data[at:at] = data[at : at + draw(st.integers(1, 200))]
    return bytes(data)


SPECIAL = [
    b"",
    b"\xef\xbb\xbf",
    b"\x00" * 1000,
    b"[" * 100_000,
    b"{" * 100_000,
    b"a = " + b"[" * 100_000,
    b"x = " + b"9" * 100_000,
    b"[[session]]\n" * 20_000,
    b"\n" * 200_000,
    b'"' * 100_000,
    b"a = '''" + b"'" * 50_000,
    b"\r" * 10_000,
]


def _parse_only_own_errors(data: bytes, kind: str) -> None:
    began = time.perf_counter()
    contents, problems = parse(data, Path(f"fuzz.{kind}"), kind)  # never raises
    for problem in problems:
        assert problem.line >= 1 and problem.message and "\n" not in str(problem.message)
    if not problems:
        assert contents.size == len(data)
    assert time.perf_counter() - began < 1.0


@pytest.mark.parametrize("kind", ["toml", "jsonl"])
@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(kind: str, data: bytes) -> None:
    RUNS["bytes"] = RUNS.get("bytes", 0) + 1
    _parse_only_own_errors(data, kind)


@pytest.mark.parametrize("kind", ["toml", "jsonl"])
@FUZZ
@given(data=st.one_of(mutated("toml"), mutated("jsonl")))
def test_mutated_journals(kind: str, data: bytes) -> None:
    RUNS["mutated"] = RUNS.get("mutated", 0) + 1
    _parse_only_own_errors(data, kind)


@pytest.mark.parametrize("kind", ["toml", "jsonl"])
@pytest.mark.parametrize("data", SPECIAL, ids=range(len(SPECIAL)))
def test_pathological_inputs(kind: str, data: bytes, tmp_path: Path) -> None:
    _parse_only_own_errors(data, kind)
    path = tmp_path / f"journal.{kind}"
    path.write_bytes(data)
    began = time.perf_counter()
    try:
        Journal(path).read()
    except JournalError as exc:
        assert str(path) in exc.message
    assert time.perf_counter() - began < 1.0


@FUZZ
@given(data=st.one_of(st.binary(max_size=500), st.text(max_size=300).map(str.encode)))
@example(data=b'sound_command = "a \'b"')
@example(data=b"x = " + b"1" * 5000)
@example(data=b"x = " + b"[" * 5000)
@example(data=b'[metrics]\n"" = "lower"')
@example(data=b'settle = "' + b"9" * 5000 + b'"')
def test_config_random_bytes(tmp_path: Path, data: bytes) -> None:
    RUNS["config"] = RUNS.get("config", 0) + 1
    path = tmp_path / "config.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.message.startswith(str(path))
        assert "\n" not in exc.message


CONFIG_LINES = st.sampled_from(
    [
        'area = "back"',
        "area = 5",
        'day_starts = "04:00"',
        'day_starts = "4"',
        'settle = "0"',
        "settle = 10",
        'settle = "1h1h"',
        'after_timeout = "2m"',
        "bell = true",
        "notify = 0",
        'sound_command = ["a"]',
        'sound_command = "a \'b"',
        "[metrics]",
        'pain = "lower"',
        'x = "higher"',
        "[plan]",
        "start_minutes = 5",
        "target_minutes = 99",
        "step_minutes = -1",
        "[other]",
        "metrics = 1",
        "plan = []",
    ]
)


@FUZZ
@given(lines=st.lists(CONFIG_LINES, max_size=8))
def test_config_from_plausible_lines(tmp_path: Path, lines: list[str]) -> None:
    RUNS["config"] = RUNS.get("config", 0) + 1
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    try:
        load_config(path)
    except ConfigError as exc:
        assert exc.message.startswith(f"{path}: ")


def test_zz_figure() -> None:
    figure(
        f"fuzzing: {sum(RUNS.values())} inputs ({RUNS}), none raised a foreign error "
        "or took a second"
    )
