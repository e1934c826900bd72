"""`matlog edit`: the user edits a copy; it replaces the journal only once it checks out.

Editing a copy means a session that ends while the editor is open is not lost: its record
is carried over onto the edited text before the copy replaces the journal.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess

from matlog import paths
from matlog.errors import JournalError, UsageError
from matlog.journal import Journal, parse
from matlog.privatefiles import create_new
from matlog.prompts import Prompter
from matlog.words import plural


def editor_command() -> list[str]:
    for name in ("VISUAL", "EDITOR"):
        if value := os.environ.get(name, "").strip():
            try:
                return shlex.split(value)
            except ValueError as exc:  # "No closing quotation"
                raise UsageError(f"{name} cannot be read: {exc}", hint=f"{name}={value}") from None
    for fallback in ("nano", "vi"):
        if shutil.which(fallback):
            return [fallback]
    raise UsageError("no editor found", hint="set VISUAL or EDITOR, e.g. export EDITOR=nano")


def edit_journal(journal: Journal, prompter: Prompter) -> str:
    """Run the editor on a copy until it checks out (or the user gives up); say what happened."""
    target = journal.real_path
    original = journal.raw_bytes()
    command = editor_command()  # before the copy exists: no editor, no stray copy
    folder = target.parent
    paths.ensure_private_dir(folder)
    copy = folder / f".{target.stem}.edit-{os.getpid()}{target.suffix}"
    try:
        copy.unlink(missing_ok=True)  # a copy left by a killed matlog that had our pid
        create_new(copy, original, durable=False)
    except OSError as exc:
        copy.unlink(missing_ok=True)
        raise JournalError(
            f"cannot make a copy to edit in {folder}: {exc.strerror}",
            hint="matlog edit works on a copy beside the journal: that folder must be writable",
        ) from None
    while True:
        # No shell: the editor is run as the argument list the variable names.
        try:
            result = subprocess.run([*command, str(copy)], check=False)
        except OSError as exc:  # not found, not executable
            copy.unlink(missing_ok=True)
            raise UsageError(
                f"cannot run the editor {command[0]!r}: {exc.strerror}; the journal is unchanged",
                hint="set VISUAL or EDITOR to an editor's name, e.g. export EDITOR=nano",
            ) from None
        if result.returncode != 0:
            copy.unlink(missing_ok=True)
            raise UsageError(
                f"the editor exited with {result.returncode}; the journal is unchanged"
            )
        edited = copy.read_bytes()
        _, problems = parse(edited, journal.path, journal.kind)
        if not problems:
            break
        for problem in problems:
            print(str(problem).replace(str(journal.path), str(copy), 1))
        if not prompter.interactive or not prompter.confirm("Edit again?", default=True):
            raise JournalError(
                f"the edited journal has {plural(len(problems), 'problem')}; "
                "the journal is unchanged",
                hint=f"your edits are kept in {copy}",
            )
    if edited == original:
        copy.unlink(missing_ok=True)
        return "No changes."
    try:
        journal.replace_edited(original, edited)
    except JournalError as exc:
        raise JournalError(exc.message, hint=f"your edits are kept in {copy}") from None
    copy.unlink(missing_ok=True)
    return f"Saved {journal.path}: no problems."
