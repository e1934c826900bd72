"""The Typer app: parse, call the domain, render. Errors become exit codes in `MatlogGroup`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from matlog import __version__, journal, paths
from matlog.env import Env
from matlog.errors import EXIT_DATA, EXIT_INTERRUPTED, EXIT_USAGE, MatlogError, UsageError
from matlog.records import Record


class MatlogGroup(TyperGroup):
    """Every error leaves through here: one line on stderr and the documented exit code."""

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        code = 0
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except MatlogError as exc:
            _error(exc.message, exc.hint)
            code = exc.exit_code
        except typer.TyperException as exc:  # click's usage errors and friends
            _error(exc.format_message(), "see `matlog --help`")
            code = getattr(exc, "exit_code", EXIT_USAGE)
        except (typer.Abort, KeyboardInterrupt, EOFError):
            _error("interrupted; nothing was changed")
            code = EXIT_INTERRUPTED
        except BrokenPipeError:
            code = EXIT_DATA
        except OSError as exc:
            _error(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
            code = EXIT_DATA
        if standalone_mode:
            sys.exit(code)
        return code


def _error(message: str, hint: str | None = None) -> None:
    line = f"matlog: {message}" + (f" — {hint}" if hint else "")
    print(line.replace("\n", " "), file=sys.stderr)


app = typer.Typer(
    cls=MatlogGroup,
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="A session timer and journal for acupressure-mat users.",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"matlog {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    journal_option: Annotated[
        Path | None,
        typer.Option(
            "--journal",
            help="The journal file (default: MATLOG_JOURNAL, then the "
            "user data folder). A name ending in .jsonl makes it JSON Lines.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    if not isinstance(ctx.obj, Env):  # tests hand in their own Env (clock, streams)
        ctx.obj = Env(journal_path=paths.journal_path(journal_option))
    elif journal_option is not None:
        ctx.obj.journal_path = paths.journal_path(journal_option)


def _env(ctx: typer.Context) -> Env:
    env = ctx.obj
    assert isinstance(env, Env)
    return env


# ---------------------------------------------------------------------------------------
# The journal


@app.command("log")
def log_command(
    ctx: typer.Context,
    count: Annotated[int, typer.Option("-n", "--count", min=1, help="How many sessions.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, one object per session.")] = False,
) -> None:
    """Recent sessions, newest first."""
    env = _env(ctx)
    contents = env.read_journal()
    sessions = sorted(contents.sessions, key=lambda s: s.started, reverse=True)[:count]
    if as_json:
        items = [json.loads(journal.json_line(s)) for s in sessions]
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    from matlog import display

    if not sessions:
        env.out.print(display.no_sessions_yet(env.journal_path))
        return
    env.out.print(display.session_table(sessions, env.config.metrics))


@app.command("check")
def check_command(ctx: typer.Context) -> None:
    """Validate the journal; each problem as PATH:LINE: message (exit 1 if any)."""
    env = _env(ctx)
    problems = env.journal.check()
    for problem in problems:
        print(problem)
    if problems:
        raise typer.Exit(EXIT_DATA)
    contents = env.journal.read()
    print(
        f"{env.journal_path}: {len(contents.sessions)} sessions, {len(contents.sleeps)} "
        f"nights, no problems" + ("" if contents.exists else " (the file does not exist yet)")
    )


@app.command("edit")
def edit_command(ctx: typer.Context) -> None:
    """Open the journal in $VISUAL or $EDITOR, then check it before it replaces the original."""
    from matlog import editing

    env = _env(ctx)
    outcome = editing.edit_journal(env.journal, env.prompter())
    print(outcome)


@app.command("undo")
def undo_command(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Remove the most recent session."""
    env = _env(ctx)
    contents = env.read_journal()
    if not contents.sessions:
        raise UsageError("there is no session to undo", hint="`matlog log` shows the journal")
    last = max(contents.sessions, key=lambda s: (s.started, s.line))
    text = journal.toml_block(last)
    if not yes:
        if not env.interactive:
            raise UsageError("undo needs confirmation", hint="add --yes when not at a terminal")
        print(text, file=sys.stderr)
        if not env.prompter().confirm("Remove this session?", default=False):
            print("Kept.")
            return
    removed = env.journal.rewrite(journal.remove_last_session)
    if removed is None:
        raise UsageError("there is no session to undo")
    print(f"Removed the session of {last.started:%Y-%m-%d %H:%M}. To restore it, add back:\n")
    print(journal.toml_block(removed), end="")


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or toml.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """The whole journal in another format."""
    if fmt not in ("csv", "jsonl", "toml"):
        raise UsageError(f"--format must be csv, jsonl or toml, got {fmt!r}")
    env = _env(ctx)
    contents = env.read_journal()
    if fmt == "csv":
        text = journal.export_csv(contents)
    else:
        text = journal.serialise(
            contents.records, "jsonl" if fmt == "jsonl" else "toml", whole_file=True
        )
    if output is None:
        sys.stdout.write(text)
        return
    try:
        fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
    except OSError as exc:
        raise MatlogError(f"cannot write {output}: {exc.strerror}") from None
    count = len(contents.sessions) + len(contents.sleeps)
    print(f"Wrote {count} records to {output}", file=sys.stderr)


@app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A TOML or JSON Lines journal.", show_default=False)],
) -> None:
    """Merge another journal; records already present (same id) are skipped."""
    env = _env(ctx)
    incoming = journal.load_file(file)
    present = {journal.identity(r) for r in env.read_journal().records}
    new: list[Record] = []
    for record in incoming.records:
        key = journal.identity(record)
        if key not in present:
            present.add(key)
            new.append(record)
    env.append(new)
    skipped = len(incoming.records) - len(new)
    print(f"Imported {len(new)} records from {file} ({skipped} already present).")


@app.command("paths")
def paths_command(ctx: typer.Context) -> None:
    """Where the journal, config and state live."""
    env = _env(ctx)
    rows = [
        ("journal", env.journal_path),
        ("config", paths.config_path()),
        ("state", paths.state_dir()),
        ("cache", paths.cache_dir()),
    ]
    for name, path in rows:
        mark = "" if path.exists() else "  (not created yet)"
        print(f"{name:8} {path}{mark}")


def run() -> int:
    """The console script: `matlog ...` and `python -m matlog`."""
    result = app(prog_name="matlog", standalone_mode=False)
    return result if isinstance(result, int) else 0
