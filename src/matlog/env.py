"""The composition root: what every command needs, built once per run.

Tests hand in their own (clock, input). Policies live in the domain modules, not here.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from matlog import paths
from matlog.clock import Clock, SystemClock
from matlog.config import Config, load_config
from matlog.journal import Contents, Journal, Record
from matlog.journal.rescue import append_or_rescue
from matlog.lightclass import dataclass, field

if TYPE_CHECKING:
    from rich.console import Console

    from matlog.prompts import Prompter
    from matlog.session import Runner


@dataclass
class Env:
    journal_path: Path
    clock: Clock = field(default_factory=SystemClock)
    interactive: bool = field(default_factory=lambda: sys.stdin.isatty())

    @cached_property
    def journal(self) -> Journal:
        return Journal(self.journal_path)

    @cached_property
    def config(self) -> Config:
        return load_config(paths.config_path())

    def use_config_leniently(self) -> None:
        """For `start`: each config problem is named, and its key keeps the built-in value.

        A config problem never stops a session (SPEC, "Promises about data"); every other
        command stops at the first one, with the file and the key.
        """
        if "config" in self.__dict__:
            return  # loaded already (a test's own)
        from matlog.config import load_config_leniently
        from matlog.errors import print_error

        config, problems = load_config_leniently(paths.config_path())
        for problem in problems:
            print_error(f"{problem.message} (the built-in value is used for now)", problem.hint)
        self.__dict__["config"] = config

    @cached_property
    def out(self) -> Console:
        return _console(stderr=False)

    @cached_property
    def err(self) -> Console:
        return _console(stderr=True)

    def prompter(self) -> Prompter:
        from matlog.prompts import Prompter

        return Prompter(interactive=self.interactive)

    def read_journal(self) -> Contents:
        contents = self.journal.read()
        if contents.blank:
            self.note_blank_journal()
        return contents

    def note_blank_journal(self) -> None:
        """An empty journal file is read as no sessions, but never without saying so."""
        self.err.print(
            f"[yellow]Note:[/] {self.journal_path} is empty (0 bytes): no sessions in it. "
            "If it held sessions before, restore it from a backup or sync history."
        )

    def note_new_journal(self) -> None:
        """Say where the journal is if this command created it (once).

        A typo in --journal or MATLOG_JOURNAL would otherwise start a second journal in
        silence; the folder is named when it had to be made, unless it is matlog's own.
        """
        if "journal" not in self.__dict__:  # never opened by this command: nothing made
            return
        created = self.journal.created
        if created is None:
            return
        self.journal.created = None
        where = Path(os.path.abspath(self.journal_path))
        folder = created.folder
        if folder is not None and where != paths.data_dir() / "journal.toml":
            print(
                f"Created a new journal at {where} (the folder {folder} did not exist).",
                file=sys.stderr,
            )
        else:
            print(f"Created a new journal at {where}.", file=sys.stderr)

    def append(self, records: Sequence[Record], *, skip_present: bool = False) -> list[Record]:
        """Append records; if the journal refuses them, they go to a rescue file (see `rescue`)."""
        return append_or_rescue(self.journal, records, skip_present=skip_present)

    def session_runner(self, label: str | None = None) -> Runner:
        """The real terminal, bells and state folder for `matlog start`; `label` goes in the
        countdown's frame (a trial night's condition)."""
        from matlog import session
        from matlog.session import keys as session_keys
        from matlog.session import plain, timer

        config = self.config
        keys: timer.Keys
        screen: session.Screen
        key_mode: Callable[[], contextlib.AbstractContextManager[None]]
        if self.interactive:
            fd = sys.stdin.fileno()
            terminal_keys = keys = session_keys.TerminalKeys(fd, self.clock)
            from matlog.session.screen import TerminalScreen

            screen = TerminalScreen(self.out, self.clock, label)
            tick = 1.0

            @contextlib.contextmanager
            def terminal_mode() -> Iterator[None]:
                with session_keys.cbreak(fd), terminal_keys.waking_on_resize():
                    yield

            key_mode = terminal_mode
        else:
            keys = timer.NoKeys(self.clock)
            screen = plain.PlainScreen(sys.stdout, self.clock, label)
            tick = 60.0
            key_mode = contextlib.nullcontext
        bells = session.Bells(
            terminal=sys.stderr if config.bell and sys.stderr.isatty() else None,
            sound_command=config.sound_command,
            notify=config.notify and session.desktop_notifications_available(),
            clock=self.clock,
        )
        return session.Runner(
            journal=self.journal,
            config=config,
            clock=self.clock,
            keys=keys,
            screen=screen,
            bells=bells,
            prompter=self.prompter(),
            state_dir=paths.state_dir(),
            append=self.append,
            key_mode=key_mode,
            tick=tick,
        )


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    # Rich drops colours under NO_COLOR but keeps bold and dim; NO_COLOR means plain text.
    # No emoji codes: a tag or area written `:fire:` is shown as written (and Rich's table
    # of emoji codes, a few ms to import, stays unloaded).
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(
        stderr=stderr, highlight=False, emoji=False, color_system=None if plain else "auto"
    )
