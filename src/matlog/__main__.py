"""Entry point for `matlog` and `python -m matlog`."""

import sys


def main() -> None:
    # `--version` answers before Typer is imported: it is the start-up figure users feel.
    if sys.argv[1:] == ["--version"]:
        from matlog import __version__

        print(f"matlog {__version__}")
        return
    from matlog.cli import run

    sys.exit(run())


if __name__ == "__main__":
    main()
