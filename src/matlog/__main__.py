"""Entry point for `matlog` and `python -m matlog`."""

import sys


def main() -> None:
    # `--version` answers before Typer is imported: it is the start-up figure users feel.
    if sys.argv[1:] == ["--version"]:
        from matlog import __version__

        print(f"matlog {__version__}")
        return
    # A file name that is not UTF-8 (a folder made in a Latin-1 terminal) is printed as the
    # bytes it is, not refused with a UnicodeEncodeError (strict under most UTF-8 locales).
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="surrogateescape")
    # Scripts' favourites answer without Typer too (see `fast`); anything else goes to it.
    from matlog import fast

    code = fast.run(sys.argv[1:])
    if code is None:
        from matlog.cli import run

        code = run()
    sys.exit(code)


if __name__ == "__main__":
    main()
