"""The countdown screen, rendered into a capture console without waiting."""

from __future__ import annotations

import io
from datetime import datetime

from rich.console import Console

from matlog.clock import FakeClock
from matlog.session import plain, timer
from matlog.session import screen as countdown_screen


def render(renderable: object, width: int = 60) -> str:
    console = Console(width=width, force_terminal=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.file.getvalue()  # type: ignore[attr-defined]


def test_big_digits_show_the_remaining_time() -> None:
    assert countdown_screen.big_text("12:34").splitlines()[0] == " █   ███     ███  █ █"
    assert len(countdown_screen.big_text("0:05").splitlines()) == 5


def test_the_countdown_shows_end_time_keys_and_progress() -> None:
    text = render(
        countdown_screen.countdown_view(
            754, 900, datetime(2026, 11, 23, 22, 35), paused=False, bell_every=300
        )
    )
    assert "ends at 22:35" in text
    assert "space pause · q stop · d discomfort · bells every 5m" in text
    assert "\x1b" not in text  # no colour system: nothing but characters
    bar = next(line for line in text.splitlines() if "░" in line)
    assert bar.count("█") == round(146 / 900 * 40)


def test_paused_says_so_instead_of_the_end_time() -> None:
    text = render(
        countdown_screen.countdown_view(
            600, 900, datetime(2026, 11, 23, 22, 35), paused=True, bell_every=None
        )
    )
    assert "PAUSED — space resumes" in text
    assert "ends at" not in text


def test_the_live_screen_redraws_on_each_call_and_leaves_nothing_behind() -> None:
    clock = FakeClock()
    out = io.StringIO()
    console = Console(width=60, force_terminal=True, color_system=None, file=out)
    screen = countdown_screen.TerminalScreen(console, clock)
    countdown = timer.Countdown(120, clock)
    countdown.start()
    with screen.countdown() as draw:
        draw(countdown)
        clock.advance(61)
        draw(countdown)
    screen.line("Time is up after 2m.")
    text = out.getvalue()
    assert "ends at 22:02" in text  # FakeClock starts at 22:00
    assert text.rstrip().endswith("Time is up after 2m.")


def test_plain_lines_once_per_change_and_no_escape_codes() -> None:
    clock = FakeClock()
    out = io.StringIO()
    screen = plain.PlainScreen(out, clock)
    countdown = timer.Countdown(180, clock)
    countdown.start()
    with screen.countdown() as draw:
        for _ in range(3):
            draw(countdown)
            draw(countdown)  # the same time again is not printed twice
            clock.advance(60)
    assert out.getvalue().splitlines() == [
        "Started 3m; ends at 22:03:00.",
        "3:00 left",
        "2:00 left",
        "1:00 left",
    ]


def test_no_color_means_no_escape_codes_even_at_a_terminal(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from pathlib import Path

    from matlog.env import Env

    monkeypatch.setenv("NO_COLOR", "1")
    env = Env(journal_path=Path("j.toml"))
    out = io.StringIO()
    env.out.file = out
    env.out._force_terminal = True
    env.out.print("[bold]bold[/] and [dim]dim[/]")
    assert out.getvalue() == "bold and dim\n"
