"""Entry point for `matlog` and `python -m matlog`."""

import gc
import os
import sys

# A command lives a fraction of a second, and its imports make some 100,000 objects that
# live as long as it does: CPython's default (a collection every 700 new objects) spent
# about 15 ms of every command finding nothing to free, and its pass at exit 10 ms more.
# So: collect rarely (a session of hours still collects), and freeze what is left at exit.
_RARELY = 50_000


def main() -> None:
    gc.set_threshold(_RARELY)
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # closed by whoever started us (`>&-`): run, unheard
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
    try:
        code = _run()
        sys.stdout.flush()
    except OSError as exc:  # standard output cannot take what was printed (a full disk)
        code = _output_failed(exc)
    gc.freeze()
    sys.exit(code)


def _run() -> int:
    # `--version` answers before Typer is imported: it is the start-up figure users feel.
    if sys.argv[1:] == ["--version"]:
        from matlog import __version__

        print(f"matlog {__version__}")
        return 0
    # A file name that is not UTF-8 (a folder made in a Latin-1 terminal) is printed as the
    # bytes it is, not refused with a UnicodeEncodeError (strict under most UTF-8 locales).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    # Scripts' favourites answer without Typer too (see `fast`); anything else goes to it,
    # and so does a shell asking for completions (at every TAB: Typer parses the line).
    code = None
    if "--json" in sys.argv[1:] and not os.environ.get("_MATLOG_COMPLETE"):
        from matlog import fast  # it takes only forms with --json: not imported for the rest

        code = fast.run(sys.argv[1:])
    if code is None:
        from matlog.cli import run

        code = run()
    return code


def _output_failed(exc: OSError) -> int:
    """One line instead of Python's "Exception ignored" and exit 120 at shutdown."""
    from matlog.errors import EXIT_DATA, discard_output, output_failed

    if isinstance(exc, BrokenPipeError):  # `matlog log | head`: nobody is left to tell
        discard_output()
    else:
        output_failed(exc)
    return EXIT_DATA


if __name__ == "__main__":
    main()
