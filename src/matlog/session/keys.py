"""Single keys from the terminal, without Enter and without busy polling."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import termios
import tty
from collections.abc import Iterator
from types import FrameType

from matlog.clock import Clock


class TerminalKeys:
    """Reads keys from a terminal in cbreak mode; Ctrl-C still raises KeyboardInterrupt."""

    def __init__(self, fd: int, clock: Clock) -> None:
        self.fd = fd
        self.clock = clock
        self.closed = False
        self._wake: int | None = None  # read end of the resize pipe, while watching

    def wait(self, timeout: float | None) -> str | None:
        """A key within `timeout`, or None: time is up, or the terminal was resized (so
        the countdown is redrawn at the new size now, not at its next second)."""
        if self.closed:
            self.clock.sleep(1.0 if timeout is None else timeout)
            return None
        watched = [self.fd] if self._wake is None else [self.fd, self._wake]
        ready, _, _ = select.select(watched, [], [], timeout)
        if self._wake is not None and self._wake in ready:
            with contextlib.suppress(OSError):
                os.read(self._wake, 64)
            return None
        if not ready:
            return None
        data = os.read(self.fd, 64)
        if not data:
            self.closed = True  # the terminal went away; SIGHUP follows
            return None
        if data.startswith(b"\x1b"):
            return ""  # arrows, function keys: ignored like any other key
        return data[:1].decode("latin-1")

    @contextlib.contextmanager
    def waking_on_resize(self) -> Iterator[None]:
        """SIGWINCH ends a `wait` early (a byte down a pipe that `wait` also watches: a
        signal alone does not, as Python retries the select after the handler)."""
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        os.set_blocking(write_end, False)

        def resized(_signum: int, _frame: FrameType | None) -> None:
            with contextlib.suppress(OSError):  # full: a wake is pending anyway
                os.write(write_end, b"r")

        previous = signal.signal(signal.SIGWINCH, resized)
        self._wake = read_end
        try:
            yield
        finally:
            signal.signal(signal.SIGWINCH, previous)
            self._wake = None
            os.close(read_end)
            os.close(write_end)


@contextlib.contextmanager
def cbreak(fd: int) -> Iterator[None]:
    """Keys arrive one at a time, unechoed; the terminal is restored however we leave.

    Ctrl-Z gives the shell its terminal back as it was, and `fg` takes single keys again.
    """
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    tty.setcbreak(fd)
    keys = termios.tcgetattr(fd)
    keys[3] &= ~termios.ECHO

    def suspend(_signum: int, _frame: FrameType | None) -> None:
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, saved)
        signal.signal(signal.SIGTSTP, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTSTP)  # stops here until `fg` (SIGCONT)
        signal.signal(signal.SIGTSTP, suspend)
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSANOW, keys)

    previous = signal.signal(signal.SIGTSTP, suspend)
    try:
        termios.tcsetattr(fd, termios.TCSANOW, keys)
        yield
    finally:
        signal.signal(signal.SIGTSTP, previous)
        # A closed terminal (SIGHUP) cannot be restored: EIO here must not hide how the
        # session ended, or it would not be logged.
        with contextlib.suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)
