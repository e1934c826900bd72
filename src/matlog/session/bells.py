"""The bells: one at the start, two at each interval, three at the end, heard eyes closed."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matlog.clock import Clock
from matlog.session import timer


@dataclass
class Bells:
    """The terminal bell, the config's sound command and a desktop notification.

    None of these may fail a session: a missing player or notifier is skipped quietly.
    """

    terminal: Any = None  # a text stream that is a terminal, or None
    sound_command: Sequence[str] = ()
    notify: bool = False
    clock: Clock | None = None
    children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def ring(self, event: timer.BellEvent) -> None:
        """One, two or three bells, each from every source, far enough apart to count."""
        count = timer.BELLS[event]
        if self.notify and event != "start":
            text = "Time is up" if event == "end" else "Bell"
            self._spawn(["notify-send", "--app-name=matlog", "matlog", text], {})
        if self.terminal is None and not self.sound_command:
            return
        for n in range(1, count + 1):
            if n > 1 and self.clock is not None:
                # A sound file (the config's player) needs longer than a terminal beep.
                self.clock.sleep(0.6 if self.sound_command else 0.35)
            if self.sound_command:
                self._spawn(
                    list(self.sound_command),
                    {"MATLOG_EVENT": event, "MATLOG_BELLS": str(count), "MATLOG_BELL": str(n)},
                )
            if self.terminal is not None:
                with contextlib.suppress(OSError, ValueError):
                    self.terminal.write("\a")
                    self.terminal.flush()

    def _spawn(self, command: list[str], extra_env: dict[str, str]) -> None:
        self.reap()
        with contextlib.suppress(OSError, ValueError):
            self.children.append(
                subprocess.Popen(
                    command,  # a list, never a shell
                    env={**os.environ, **extra_env},
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    start_new_session=True,
                )
            )

    def reap(self) -> None:
        self.children = [c for c in self.children if c.poll() is None]


def desktop_notifications_available() -> bool:
    import shutil

    has_display = any(os.environ.get(v) for v in ("DISPLAY", "WAYLAND_DISPLAY"))
    return has_display and shutil.which("notify-send") is not None
