"""`matlog edit`: the user edits a copy; it replaces the journal only once it checks out.

Editing a copy means a session that ends while the editor is open is not lost: its record
is carried over onto the edited text before the copy replaces the journal.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

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
    command = editor_command()  # before the copy exists: no editor, no stray copy
    target = journal.real_path
    folder = target.parent
    try:
        paths.ensure_private_dir(folder)
        # Held (shared) by every `matlog edit` of this journal and its editor, for as long
        # as either lives: whoever gets it exclusively knows no other edit is open.
        lock = os.open(folder / f".{target.name}.editing", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise _no_copy(folder, exc) from None
    try:
        return _edit_locked(journal, prompter, command, lock)
    finally:
        os.close(lock)


def _no_copy(folder: Path, exc: OSError) -> JournalError:
    return JournalError(
        f"cannot make a copy to edit in {folder}: {exc.strerror}",
        hint="matlog edit works on a copy beside the journal: that folder must be writable",
    )


def _edit_locked(journal: Journal, prompter: Prompter, command: list[str], lock: int) -> str:
    target = journal.real_path
    folder = target.parent
    original = journal.raw_bytes()
    for note in clean_abandoned_copies(target, original, lock):
        print(note, file=sys.stderr)
    with contextlib.suppress(OSError):  # no locks here (ENOLCK): the cleanup was skipped too
        fcntl.flock(lock, fcntl.LOCK_SH)
    copy = folder / f".{target.stem}.edit-{os.getpid()}{target.suffix}"
    if os.path.lexists(copy):  # another's unsaved edits, left under the pid we now have
        copy = folder / f".{target.stem}.edit-{os.getpid()}-{os.urandom(3).hex()}{target.suffix}"
    try:
        create_new(copy, original, durable=False)
    except OSError as exc:
        raise _no_copy(folder, exc) from None
    while True:
        # No shell: the editor is run as the argument list the variable names.
        try:
            result = subprocess.run([*command, str(copy)], check=False, pass_fds=(lock,))
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


_COPY_PID = re.compile(r"\.edit-(\d+)(?:-[0-9a-f]+)?\.[^.]*$")


def clean_abandoned_copies(target: Path, journal_bytes: bytes, lock: int) -> list[str]:
    """Remove edit copies left by a `matlog edit` that was killed, when nothing is lost.

    Only when no other `matlog edit` of this journal is open (the exclusive `lock`), and only
    copies whose matlog is gone (no live process has the pid in the name, ours aside: we have
    no copy yet) and whose bytes the journal still starts with: never edited, so nothing in
    them is unsaved. A copy holding edits is kept, and named, every time. Returns the notes.
    """
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # another edit is open: its copy may be any of them
        return []
    notes = []
    for copy in sorted(target.parent.glob(f".{glob.escape(target.stem)}.edit-*{target.suffix}")):
        match = _COPY_PID.search(copy.name)
        if match is None or _alive(int(match[1])):
            continue
        try:
            data = copy.read_bytes()
        except OSError:
            continue
        if journal_bytes.startswith(data):
            with contextlib.suppress(OSError):
                copy.unlink()
                notes.append(
                    f"Removed {copy}: a copy left by a `matlog edit` that was stopped; "
                    "it held no unsaved changes."
                )
        else:
            notes.append(
                f"Note: {copy} holds edits that were never saved to the journal (a `matlog "
                "edit` that was stopped or not saved); take what you need from it, then "
                "delete it."
            )
    return notes


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own pid: a copy under it was left by an earlier process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: alive, someone else's
        return True
    return True
