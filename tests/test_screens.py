"""The drawn screens in a terminal emulator (pyte), at 20 to 120 columns and a few heights,
and after resizes (issue #12, item 4): nothing wraps, the time stays readable, nothing of an
old frame is left on screen or in the scrollback.

Rich writes into a StringIO as it would to a terminal of that size; the bytes go into a pyte
screen, with "\\n" as "\\r\\n" (what the terminal driver's ONLCR does on the way out).
"""

from __future__ import annotations

import copy
import io
import os
import re
import signal
import threading
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyte
import pytest
from conftest import CET
from journal_factory import realistic_journal
from rich.cells import cell_len
from rich.console import Console

from matlog.clock import FakeClock
from matlog.config import Better
from matlog.display import session_table
from matlog.durations import format_duration
from matlog.journal import Journal
from matlog.records import Session
from matlog.session import timer
from matlog.session.keys import TerminalKeys
from matlog.session.screen import TerminalScreen, big_text
from matlog.stats_display import _signed, render, verdict

ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])")


class AltScreen(pyte.HistoryScreen):  # type: ignore[misc]
    """pyte with xterm's alternate screen (private mode 1049), which pyte leaves out: the
    main screen is kept aside, a blank one drawn on, and the main one put back after."""

    def set_mode(self, *modes: int, **kwargs: object) -> None:
        if kwargs.get("private") and 1049 in modes:
            self.main = (copy.deepcopy(self.buffer), copy.copy(self.cursor))
            self.erase_in_display(2)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: object) -> None:
        if kwargs.get("private") and 1049 in modes and hasattr(self, "main"):
            buffer, cursor = self.main
            self.buffer.clear()
            self.buffer.update(buffer)
            self.cursor = cursor
            self.dirty.update(range(self.lines))
        super().reset_mode(*modes, **kwargs)


class Terminal:
    """A pyte screen with scrollback, and a Rich console that writes what it is fed."""

    def __init__(self, columns: int, rows: int) -> None:
        self.screen = AltScreen(columns, rows, history=1000)
        self.stream = pyte.Stream(self.screen)
        self.out = io.StringIO()
        self.console = Console(
            file=self.out,
            force_terminal=True,
            width=columns,
            height=rows,
            color_system="standard",  # styles as escape codes, as on a real terminal
            legacy_windows=False,
        )
        self.written: list[str] = []

    @property
    def size(self) -> tuple[int, int]:
        return self.screen.columns, self.screen.lines

    def flush(self) -> None:
        data = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        self.written.append(data)
        self.stream.feed(data.replace("\n", "\r\n"))

    def resize(self, columns: int, rows: int) -> None:
        self.screen.resize(rows, columns)
        self.console.size = (columns, rows)

    @property
    def lines(self) -> list[str]:
        return list(self.screen.display)

    @property
    def scrolled_off(self) -> list[str]:
        return ["".join(ch.data for ch in line.values()) for line in self.screen.history.top]


def written_lines(data: str) -> Iterator[str]:
    """The text of each line Rich wrote (escape codes removed; cursor moves end a line)."""
    for part in ESCAPE.split(data):
        if part is None:
            continue
        yield from ESCAPE.sub("", part).split("\n")


def fits(term: Terminal) -> bool:
    columns, _ = term.size
    return all(cell_len(line) <= columns for line in written_lines(term.written[-1]))


def big_digits(lines: list[str], text: str) -> bool:
    """The five rows of `text` in big digits, one under the other at the same column."""
    rows = big_text(text).splitlines()
    for top in range(len(lines) - 4):
        at = lines[top].find(rows[0])
        while at >= 0:
            if all(lines[top + i][at : at + len(rows[i])] == rows[i] for i in range(5)):
                return True
            at = lines[top].find(rows[0], at + 1)
    return False


def one_frame(lines: list[str]) -> bool:
    """The screen shows one frame, whole: its parts once each, a border all round."""
    text = "\n".join(lines)
    corners = [text.count(corner) for corner in "╭╮╰╯"]
    return (
        text.count("ends at") + text.count("ends 2") + text.count("PAUSED") == 1
        and text.count("matlog") <= 1
        and corners in ([0, 0, 0, 0], [1, 1, 1, 1])
    )


CLOCK_START = datetime(2026, 11, 23, 22, 20, tzinfo=CET)  # 754 s left of 900: ends 22:35


class Running:
    """A 15-minute countdown 2m26s in (12:34 left), on a Terminal, drawn on demand."""

    def __init__(self, term: Terminal, bell_every: int | None = 300) -> None:
        self.term = term
        self.clock = FakeClock(start=CLOCK_START)
        self.countdown = timer.Countdown(900, self.clock, bell_every)
        self.countdown.start()
        self.clock.advance(146)
        self.screen = TerminalScreen(term.console, self.clock)

    def __enter__(self) -> Running:
        self._cm = self.screen.countdown()
        self._draw = self._cm.__enter__()
        return self

    def draw(self) -> list[str]:
        self._draw(self.countdown)
        self.term.flush()
        return self.term.lines

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(None, None, None)
        self.term.flush()


def fresh(columns: int, rows: int, seconds_in: int = 146, paused: bool = False) -> list[str]:
    """The frame as a terminal of this size shows it when it is the only one ever drawn."""
    term = Terminal(columns, rows)
    with Running(term) as s:
        s.clock.advance(seconds_in - 146)
        if paused:
            s.countdown.toggle_pause()
        return s.draw()


SIZES = [(c, r) for c in (20, 40, 60, 80, 120) for r in (12, 24)] + [(40, 8), (30, 5), (12, 3)]


@pytest.mark.parametrize(("columns", "rows"), SIZES, ids=[f"{c}x{r}" for c, r in SIZES])
def test_the_countdown_fits_and_is_readable(columns: int, rows: int) -> None:
    term = Terminal(columns, rows)
    with Running(term) as s:
        lines = s.draw()
        assert fits(term), "a line wider than the terminal: it would wrap"
        assert term.scrolled_off == [], "the frame was taller than the terminal"
        if columns >= 27 and rows >= 7:  # room for the big digits
            assert big_digits(lines, "12:34"), "\n".join(lines)
        else:
            assert any("12:34" in line for line in lines), "\n".join(lines)
        text = "\n".join(lines)
        if rows >= 3 and columns >= 13:
            assert "ends at 22:35" in text or "ends 22:35" in text
        if rows >= 8 and columns >= 40:
            assert "space pause · q stop · d discomfort" in text
        if columns >= 60 and rows >= 8:
            assert "space pause · q stop · d discomfort · bells every 5m" in text
        assert one_frame(lines)
    assert all(not line.strip() for line in term.lines), "the countdown was left on screen"


def test_hours_in_big_digits_at_40_columns() -> None:
    term = Terminal(40, 24)
    clock = FakeClock(start=CLOCK_START)
    countdown = timer.Countdown(2 * 3600, clock)
    countdown.start()
    clock.advance(2 * 3600 - 3725)  # 1:02:05 left
    with TerminalScreen(term.console, clock).countdown() as draw:
        draw(countdown)
        term.flush()
        assert big_digits(term.lines, "1:02:05") and fits(term)


def test_paused_at_20_columns_says_paused_whole() -> None:
    lines = fresh(20, 12, paused=True)
    assert any(line.strip("│ ") == "PAUSED" for line in lines), "\n".join(lines)
    assert any(line.strip("│ ") == "12:34" for line in lines)
    assert "PAUSED — space resumes" in "\n".join(fresh(40, 12, paused=True))


RESIZES = [
    [(80, 24), (40, 24)],
    [(80, 24), (40, 12), (20, 12)],
    [(20, 12), (120, 30)],
    [(120, 30), (60, 24), (80, 12), (20, 24), (40, 24)],
    [(40, 24), (12, 3), (80, 24)],
]


@pytest.mark.parametrize("sizes", RESIZES, ids=lambda s: " → ".join(f"{c}x{r}" for c, r in s))
def test_after_a_resize_only_the_new_frame_is_on_screen(sizes: list[tuple[int, int]]) -> None:
    term = Terminal(*sizes[0])
    with Running(term) as s:
        s.draw()
        for columns, rows in sizes[1:]:
            term.resize(columns, rows)
            s.clock.advance(1)
            lines = s.draw()
            seconds_in = round(s.countdown.elapsed())
            assert lines == fresh(columns, rows, seconds_in), "\n".join(lines)
            assert fits(term)
    assert term.scrolled_off == []


def test_a_session_leaves_the_screen_as_it_found_it() -> None:
    """The countdown lives on the alternate screen: the shell's lines are there after."""
    term = Terminal(40, 12)
    term.console.print("$ matlog start 15")
    term.console.print("Lie down: the countdown starts in 10s.")
    term.flush()
    before = term.lines
    with Running(term) as s:
        s.draw()
        term.resize(20, 12)
        s.draw()
        term.resize(40, 12)
        s.draw()
    assert term.scrolled_off == []
    assert term.lines == before


# -- A resize redraws at once -------------------------------------------------------------


@pytest.fixture
def watchdog() -> Iterator[None]:
    """A wait that never ends fails the test (SIGALRM) instead of hanging the suite."""

    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError("the wait was not woken")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(10)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_resize_ends_the_wait_for_a_key(watchdog: None) -> None:
    """The loop redraws after every wait, so a SIGWINCH that ends the wait is a redraw at
    the new size now, not at the next second (or the next heartbeat, when paused)."""
    read_end, write_end = os.pipe()  # a "terminal" on which no key is ever pressed
    keys = TerminalKeys(read_end, FakeClock())
    try:
        with keys.waking_on_resize():
            poke = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGWINCH))
            poke.start()
            assert keys.wait(None) is None  # woken: without the resize, this never returns
            poke.join()
            signal.raise_signal(signal.SIGWINCH)  # and again, before the wait
            assert keys.wait(None) is None
            os.write(write_end, b"q")  # keys still come through
            assert keys.wait(None) == "q"
        assert signal.getsignal(signal.SIGWINCH) in (signal.SIG_DFL, None, signal.SIG_IGN)
    finally:
        os.close(read_end)
        os.close(write_end)


# -- Tables: log and stats at 20 to 120 columns ---------------------------------------------


def shown(renderable: object, columns: int) -> list[str]:
    """What a terminal `columns` wide shows of `renderable` (tall enough for all of it)."""
    term = Terminal(columns, 600)
    term.console.print(renderable)
    term.flush()
    assert fits(term), "a line wider than the terminal: it would wrap"
    lines = [line.rstrip() for line in term.lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def demo_sessions() -> list[Session]:
    records = realistic_journal(end=date(2026, 11, 26))
    sessions = [r for r in records if isinstance(r, Session)]
    return sorted(sessions, key=lambda s: s.started, reverse=True)


METRICS: dict[str, Better] = {"pain": "lower", "stress": "lower", "mood": "higher"}


@pytest.mark.parametrize("columns", [20, 24, 30, 34])
def test_log_below_40_columns_stacks_rather_than_cuts(columns: int) -> None:
    sessions = demo_sessions()[:12]
    lines = shown(session_table(sessions, METRICS, columns), columns)
    text = "\n".join(lines)
    assert "…" not in text
    words = text.split()
    at = 0
    for s in sessions:  # in order: each start's date, then its time, time on the mat, ending
        at = words.index(f"{s.started:%Y-%m-%d}", at)
        near = words[at + 1 : at + 4]
        assert f"{s.started:%H:%M}" in near, near
        assert format_duration(s.actual_seconds) in near and s.ended in near, near
        at += 1
    assert "not shown at this width:" in " ".join(words)  # the caption wraps too


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_log_keeps_dates_times_and_endings_whole(columns: int) -> None:
    sessions = demo_sessions()
    assert {"interrupted", "discomfort", "stopped", "finished"} <= {s.ended for s in sessions}
    lines = shown(session_table(sessions, METRICS, columns), columns)
    text = "\n".join(lines)
    assert "…" not in text
    for s in sessions:
        row = next(line for line in lines if f"{s.started:%Y-%m-%d %H:%M}" in line)
        words = row.split()
        assert s.ended in words, row
        time_text = format_duration(s.actual_seconds)
        if s.actual_seconds != s.planned_seconds and columns >= 60:  # 40: the actual alone
            time_text += f"/{format_duration(s.planned_seconds)}"
        assert time_text in words, row
    if columns >= 120:  # room for everything, weekday and notes included
        assert f"{sessions[0].started:%a %Y-%m-%d %H:%M}" in text
        assert "not shown" not in text
        first = sessions[0]  # ratings on the row, one line a session
        assert f"pain {first.before['pain']}→{first.after['pain']}, stress" in text
    else:  # what is left out is said
        header = lines[0].replace("tags / note", "tags/note").split()
        hidden = text.partition("not shown at this width: ")[2].replace("\n", " ")
        for column in ("area", "ratings", "tags / note"):
            assert (column.replace(" ", "") in header) != (column in hidden), column
    if columns >= 60:
        assert "ratings" in lines[0].split()


def stats_of_demo(tmp_path: Path) -> dict[str, Any]:
    from matlog import queries
    from matlog.env import Env

    path = tmp_path / "demo.toml"
    Journal(path).append(realistic_journal(end=date(2026, 11, 26)))
    env = Env(journal_path=path, clock=FakeClock(start=datetime(2026, 11, 27, 9, tzinfo=CET)))
    return queries.stats(env)


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_stats_keeps_n_and_every_number_whole(columns: int, tmp_path: Path) -> None:
    stats = stats_of_demo(tmp_path)
    lines = shown(render(stats, Path("demo.toml"), width=columns), columns)
    text = "\n".join(lines)
    assert "…" not in text
    # The ratings table: n and the verdict on every row, whole.
    for name, m in stats["metrics"].items():
        row = next(line for line in lines if line.split()[:2] == [name, str(m["n"])])
        assert row.rstrip().endswith(verdict(m)[0])
    # The group comparison: an n column, and each group's n and mean change (with its
    # count) on the group's own line, however many tables it takes.
    assert any(
        line.split()[:2] == ["group", "n"] or line.split()[:3] == ["by", "group", "n"]
        for line in lines
    )
    for dimension, groups in stats["comparisons"].items():
        for index, (value, group) in enumerate(groups.items()):
            for name, m in group["metrics"].items():
                mean = "too few" if m["n"] < 5 else _signed(m["change_mean"])
                cell = f"{mean} ({m['n']})"
                start = [*value.split(), str(group["sessions"])]
                if columns >= 80 and index == 0:  # the "by" column, on the first group
                    start = [dimension, *start]
                assert any(
                    line.split()[: len(start)] == start and cell in line for line in lines
                ), (value, name, cell)


def _numbers_whole(stats: dict[str, Any], text: str) -> None:
    """Every rating's n and mean change, and every group's n and mean changes (with their
    counts), somewhere on the screen whole."""
    for name, m in stats["metrics"].items():
        assert re.search(rf"^{name} +{m['n']} +{re.escape(_signed(m['change_mean']))}", text, re.M)
    for groups in stats["comparisons"].values():
        for value, group in groups.items():
            assert re.search(rf"{re.escape(value.split()[-1])}.*\b{group['sessions']}\b", text)
            for m in group["metrics"].values():
                mean = "too few" if m["n"] < 5 else _signed(m["change_mean"])
                assert f"{mean} ({m['n']})" in text, (value, mean)


@pytest.mark.parametrize("columns", [20, 24, 30, 34])
def test_stats_below_40_columns_keeps_n_and_every_number_whole(
    columns: int, tmp_path: Path
) -> None:
    stats = stats_of_demo(tmp_path)
    lines = shown(render(stats, Path("demo.toml"), width=columns), columns)
    text = "\n".join(lines)
    assert "…" not in text
    assert any(line.split()[:3] == ["rating", "n", "change"] for line in lines)
    _numbers_whole(stats, text)
    # Wrapped lines keep their indent: the streak's, and the list form's rows.
    at = next(i for i, line in enumerate(lines) if "streak:" in line)
    assert lines[at].startswith("  ") and lines[at + 1].startswith("  ")
    assert not any(re.match(r"\(\d+\)", line) for line in lines)  # a count wrapped flush left


@pytest.mark.parametrize("columns", [40, 60, 80])
def test_a_long_tag_folds_and_never_pushes_n_or_a_number_off(columns: int, tmp_path: Path) -> None:
    stats = stats_of_demo(tmp_path)
    long = "after-work-stretching-routine-with-the-neck-pillow"  # 50 characters, no space
    stats["comparisons"]["tag"] = {
        (long if value == "sore" else value): group
        for value, group in stats["comparisons"]["tag"].items()
    }
    lines = shown(render(stats, Path("demo.toml"), width=columns), columns)
    text = "\n".join(lines)
    assert "…" not in text
    assert long[:8] in text and "neck" in text  # folded over lines, not cut
    pieces = [line for line in lines if line.strip() and long.find(line.strip()) > 0]
    assert all(line.startswith("  ") for line in pieces)  # every folded line indented
    if columns >= 60:  # room for every rating beside a folded label: one table
        assert sum(line.split()[:2] == ["group", "n"] for line in lines) == 1
    group = stats["comparisons"]["tag"][long]
    for m in group["metrics"].values():
        mean = "too few" if m["n"] < 5 else _signed(m["change_mean"])
        assert f"{mean} ({m['n']})" in text


def test_stats_at_60_columns_on_the_demo_journal_through_the_cli(
    invoke: Any, journal_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Journal(journal_path).append(realistic_journal(end=date(2026, 11, 22)))
    monkeypatch.setenv("COLUMNS", "60")
    result = invoke("stats")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 60 and "…" not in result.stdout
    assert any(line.split()[:3] == ["group", "n", "pain"] for line in lines)
