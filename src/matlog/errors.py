"""One exception hierarchy; `cli.run` maps it to exit codes and one-line messages."""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class MatlogError(Exception):
    """A problem the user can act on: shown as one line plus a hint, never a traceback."""

    exit_code = EXIT_DATA

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(MatlogError):
    """The command line asked for something that cannot be done (exit 2)."""

    exit_code = EXIT_USAGE


class DataError(MatlogError):
    """A file or its contents is the problem (exit 1)."""


class ConfigError(DataError):
    """config.toml is not TOML or has a bad value."""


class JournalError(DataError):
    """The journal does not parse or a record in it is invalid; nothing was written."""


class JournalWriteError(DataError):
    """The journal could not be written (full disk, read-only, ...); it is unchanged.

    `record_text` holds what should have been written, so the caller can save it elsewhere.
    """

    def __init__(self, message: str, record_text: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.record_text = record_text


class RecordRescued(DataError):
    """The journal refused a record; it was printed, and saved to `saved` if that worked."""

    def __init__(self, message: str, saved: Path | None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.saved = saved


class Interrupted(MatlogError):
    """The user interrupted before anything was started (exit 130)."""

    exit_code = EXIT_INTERRUPTED


def print_error(message: str, hint: str | None = None) -> None:
    """The one line a user sees for an error: what went wrong, and what to do about it."""
    line = f"matlog: {message}" + (f" — {hint}" if hint else "")
    print(line.replace("\n", " "), file=sys.stderr)


def report(exc: BaseException) -> int | None:
    """Say one line about an error a user can meet and give its exit code (None: not ours).

    The one place where exceptions become exit codes, for the Typer app and the fast path.
    """
    if isinstance(exc, MatlogError):
        print_error(exc.message, exc.hint)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt | EOFError):
        print_error("interrupted; nothing was changed")
        return EXIT_INTERRUPTED
    if isinstance(exc, BrokenPipeError):  # `matlog log | head`: nobody is left to tell
        discard_output()
        return EXIT_DATA
    if isinstance(exc, OSError) and exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
        # Every file matlog writes names itself in its errors: this is standard output.
        output_failed(exc)
        return EXIT_DATA
    if isinstance(exc, OSError):
        print_error(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
        return EXIT_DATA
    return None


_OUTPUT_ERRNOS = (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG, errno.EROFS)


def output_failed(exc: OSError) -> None:
    """Standard output cannot take what was printed (`matlog log > /dev/full`): one line.

    Python would otherwise fail again flushing at exit: "Exception ignored", exit 120.
    """
    with contextlib.suppress(OSError):  # standard error is gone too: nobody can be told
        print_error(f"cannot write the output: {exc.strerror or exc}")
    discard_output()


def discard_output() -> None:
    """Send what is still buffered for standard output to /dev/null, so exit cannot fail."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
