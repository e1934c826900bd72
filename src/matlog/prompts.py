"""Questions at the terminal. Nothing here prompts when standard input is not a terminal."""

from __future__ import annotations

import contextlib
import select
import sys
from dataclasses import dataclass, field
from typing import TextIO


class PromptTimeout(Exception):
    """Nobody answered in time (asleep on the mat)."""


@dataclass
class Prompter:
    interactive: bool
    # Looked up when a Prompter is made, not at import: tests and CliRunner swap the streams.
    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stderr)  # keeps stdout clean for pipes

    def ask(self, question: str, timeout: float | None = None) -> str:
        """One line of answer, stripped; PromptTimeout if `timeout` seconds pass first."""
        self.stdout.write(question)
        self.stdout.flush()
        try:
            if timeout is not None and not _readable(self.stdin, timeout):
                raise PromptTimeout
            line = self.stdin.readline()
            if not line:
                raise EOFError
        except BaseException:  # no answer, Ctrl-C, Ctrl-D, a signal: what follows gets its line
            with contextlib.suppress(OSError, ValueError):  # the terminal may be gone
                self.stdout.write("\n")
                self.stdout.flush()
            raise
        return line.strip()

    def confirm(self, question: str, *, default: bool) -> bool:
        if not self.interactive:
            return default
        suffix = " [Y/n] " if default else " [y/N] "
        while True:
            answer = self.ask(question + suffix).lower()
            if not answer:
                return default
            if answer in ("y", "yes"):
                return True
            if answer in ("n", "no"):
                return False


def _readable(stream: TextIO, timeout: float) -> bool:
    try:
        ready, _, _ = select.select([stream], [], [], timeout)
    except (ValueError, OSError, TypeError):  # not a real file (tests): just read
        return True
    return bool(ready)
