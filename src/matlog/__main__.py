"""Entry point for `matlog` and `python -m matlog`."""

import os
import sys


def main() -> None:
    # `--version` answers before Typer is imported: it is the start-up figure users feel.
    if sys.argv[1:] == ["--version"]:
        from matlog import __version__

        print(f"matlog {__version__}")
        return
    # Scripts' favourites answer without Typer too (see `fast`); anything else goes to it,
    # and so does a shell asking for completions (at every TAB: Typer parses the line).
    code = None
    if not os.environ.get("_MATLOG_COMPLETE"):
        from matlog import fast

        code = fast.run(sys.argv[1:])
    if code is None:
        from matlog.cli import run

        code = run()
    sys.exit(code)


if __name__ == "__main__":
    main()
