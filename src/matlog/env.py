"""What every command needs, built once per run; tests hand in their own (clock, input)."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from matlog import paths
from matlog.clock import Clock, SystemClock
from matlog.config import Config, load_config
from matlog.errors import DataError, JournalError, JournalWriteError
from matlog.journal import Contents, Journal, Record, save_rescue, serialise

if TYPE_CHECKING:
    from rich.console import Console

    from matlog.prompts import Prompter


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
        from rich.console import Console

        return Console(highlight=False)

    @cached_property
    def err(self) -> Console:
        from rich.console import Console

        return Console(stderr=True, highlight=False)

    def prompter(self) -> Prompter:
        from matlog.prompts import Prompter

        return Prompter(interactive=self.interactive)

    def read_journal(self) -> Contents:
        contents = self.journal.read()
        if contents.blank:
            self.err.print(
                f"[yellow]Note:[/] {self.journal_path} is empty (0 bytes): no sessions in it. "
                "If it held sessions before, restore it from a backup or sync history."
            )
        return contents

    def append(self, records: Sequence[Record]) -> None:
        """Append records a session produced; if the journal refuses, save them elsewhere."""
        try:
            self.journal.append(records)
        except (JournalWriteError, JournalError) as exc:
            saved = save_rescue(
                records, [paths.state_dir() / "rescued", Path(tempfile.gettempdir())]
            )
            print(serialise(records, "toml"), file=sys.stderr)
            where = f"saved to {saved}" if saved else "printed above (copy it somewhere safe)"
            raise DataError(
                f"{exc.message}. The record was not lost: it is {where}",
                hint=f"fix the journal, then `matlog import {saved}`" if saved else exc.hint,
            ) from None
