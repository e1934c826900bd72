"""What every command needs, built once per run; tests hand in their own (clock, input)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from matlog import paths
from matlog.clock import Clock, SystemClock
from matlog.config import Config, load_config
from matlog.durations import format_duration
from matlog.errors import JournalError, JournalWriteError, RecordRescued, print_error
from matlog.journal import Contents, Journal, Record, save_rescue, serialise
from matlog.lightclass import dataclass, field
from matlog.records import Session

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

    def append(self, records: Sequence[Record], *, skip_present: bool = False) -> list[Record]:
        """Append records a session produced; if the journal refuses, save them elsewhere.

        Returns the records appended (with `skip_present`, those not already there).
        """
        return self.append_to(self.journal, records, skip_present=skip_present)

    def append_to(
        self, journal: Journal, records: Sequence[Record], *, skip_present: bool = False
    ) -> list[Record]:
        try:
            return journal.append(records, skip_present=skip_present)
        except (JournalWriteError, JournalError) as exc:
            import tempfile  # only here: its import costs every command start-up time

            saved = save_rescue(
                records, [paths.state_dir() / "rescued", Path(tempfile.gettempdir())]
            )
            print(serialise(records, "toml"), file=sys.stderr)
            where = f"saved to {saved}" if saved else "printed above (copy it somewhere safe)"
            raise RecordRescued(
                f"{exc.message}. The record was not lost: it is {where}",
                saved,
                hint=f"fix the journal, then `matlog import {saved}`" if saved else exc.hint,
            ) from None

    def session_runner(self) -> Runner:
        """The real terminal, bells and state folder for `matlog start`."""
        from matlog import plain, session, terminal, timer

        config = self.config
        keys: timer.Keys
        screen: session.Screen
        if self.interactive:
            fd = sys.stdin.fileno()
            keys = terminal.TerminalKeys(fd, self.clock)
            from matlog import display

            screen = display.TerminalScreen(self.out, self.clock)
            tick = 1.0

            def key_mode() -> contextlib.AbstractContextManager[None]:
                return terminal.cbreak(fd)
        else:
            keys = timer.NoKeys(self.clock)
            screen = plain.PlainScreen(sys.stdout, self.clock)
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

    def recover_killed_sessions(self) -> None:
        """Log sessions whose matlog was killed outright, and say so."""
        folder = paths.state_dir()
        if not folder.is_dir() or not any(folder.glob("running-*.json")):
            return
        from matlog import session  # only now: it is not cheap to import

        def append_to(path: Path, record: Session) -> bool:
            # skip_present: a record already logged (killed after its append) is not doubled.
            try:
                return bool(self.append_to(Journal(path), [record], skip_present=True))
            except RecordRescued as exc:
                # Never fail the command the user asked for over an old session.
                print_error(f"a session that did not end normally: {exc.message}", exc.hint)
                if exc.saved is None:
                    raise  # nowhere safe yet: keep its heartbeat file, try again next time
                return False  # safe in the rescue file

        for record in session.recover(folder, append_to):
            self.err.print(
                f"Found a session that did not end normally ({record.started:%Y-%m-%d %H:%M}, "
                f"{format_duration(record.actual_seconds)} on the mat): logged it as "
                f"{record.ended}."
            )

    def offer_owed_rating(self) -> None:
        """After a session logged without after-ratings (asleep on the mat), offer them."""
        if not (self.interactive and sys.stderr.isatty()):
            return
        folder = paths.state_dir()
        if not (folder / "pending-rating.json").exists():
            return
        from matlog import session  # only now: it is not cheap to import

        owed = session.owed_rating(folder, self.journal, self.journal.read().sessions)
        if owed is None:
            return
        prompter = self.prompter()
        question = f"The session of {owed.started:%a %H:%M} has no after-ratings. Rate it now?"
        if not prompter.confirm(question, default=True):
            session.clear_owed_rating(folder)
            return
        ratings = session.ask_ratings(prompter, self.config.metrics, "After")
        if ratings:
            session.add_after_ratings(self.journal, owed.id, ratings)
        session.clear_owed_rating(folder)


def _console(*, stderr: bool) -> Console:
    from rich.console import Console

    # Rich drops colours under NO_COLOR but keeps bold and dim; NO_COLOR means plain text.
    plain = bool(os.environ.get("NO_COLOR"))
    return Console(stderr=stderr, highlight=False, color_system=None if plain else "auto")
