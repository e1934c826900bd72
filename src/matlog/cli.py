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
from matlog.durations import format_duration
from matlog.env import Env
from matlog.errors import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    Interrupted,
    MatlogError,
    UsageError,
    print_error,
    report,
)


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
        except typer.TyperException as exc:  # click's usage errors and friends
            if type(exc).__name__ == "NoArgsIsHelpError":  # plain `matlog`: help, not an error
                print(exc.format_message())
                code = 0
            else:
                ctx = getattr(exc, "ctx", None)
                sub = ctx.info_name if ctx is not None and ctx.parent is not None else None
                where = f"matlog {sub}" if sub else "matlog"
                print_error(exc.format_message(), f"see `{where} --help`")
                code = getattr(exc, "exit_code", EXIT_USAGE)
        except typer.Abort:
            code = report(KeyboardInterrupt()) or EXIT_INTERRUPTED
        except (Exception, KeyboardInterrupt) as exc:
            reported = report(exc)
            if reported is None:
                raise
            code = reported
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: Any) -> Any:  # Any: the base names a Context from typer._click
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, EOFError):
            # Typer would exit 130 in silence (Ctrl-C) or after a blank line (Ctrl-D).
            raise Interrupted("interrupted; nothing was changed") from None


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
            metavar="FILE",
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
    if ctx.invoked_subcommand and not ctx.resilient_parsing:
        from matlog import queries

        if ctx.invoked_subcommand == "start":
            ctx.obj.use_config_leniently()

        queries.before_command(ctx.obj, ctx.invoked_subcommand)


def _refuse_undecodable(options: dict[str, list[str] | list[str | None]]) -> None:
    """Text that is not UTF-8 is refused before anything starts (usage error, exit 2).

    A terminal set to Latin-1 sends bytes that Python turns into lone surrogates: the journal
    (UTF-8) cannot hold them, so a note, tag or rating typed that way is refused here, by
    name, instead of costing characters — or, before, the whole session — later.
    """
    for option, values in options.items():
        for value in values:
            if value is None:
                continue
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise UsageError(
                    f"{option}: the text is not UTF-8 (character {exc.start + 1} is a byte "
                    "from another encoding, e.g. a terminal set to Latin-1)",
                    hint="set the terminal to UTF-8 and type it again",
                ) from None


def _env(ctx: typer.Context) -> Env:
    env = ctx.obj
    assert isinstance(env, Env)
    return env


# ---------------------------------------------------------------------------------------
# The session


@app.command("start", short_help="A mat session: ratings, settle-in, countdown, bells.")
def start_command(
    ctx: typer.Context,
    duration: Annotated[
        str | None,
        typer.Argument(
            metavar="[DURATION]",
            help="15 (minutes), 1.5, 15m, 15 min, 90s, 1m30s, 1h or 12:30; default: the plan's.",
            show_default=False,
        ),
    ] = None,
    before: Annotated[
        list[str],
        typer.Option("--before", "-b", metavar="NAME=V", help="A rating before, e.g. pain=6."),
    ] = [],  # noqa: B006
    after: Annotated[
        list[str],
        typer.Option("--after", "-a", metavar="NAME=V", help="A rating after, e.g. pain=3."),
    ] = [],  # noqa: B006
    no_ratings: Annotated[bool, typer.Option("--no-ratings", help="Ask no ratings.")] = False,
    rate_later: Annotated[
        bool, typer.Option("--rate-later", help="Skip the after-ratings; `matlog rate` later.")
    ] = False,
    tag: Annotated[
        list[str], typer.Option("--tag", "-t", metavar="TAG", help="A tag (repeatable).")
    ] = [],  # noqa: B006
    area: Annotated[
        str | None,
        typer.Option(
            metavar="AREA", help="back, neck, feet, hands… (config default).", show_default=False
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option(metavar="TEXT", help="A note for this session.")
    ] = None,
    settle: Annotated[
        str | None,
        typer.Option(
            metavar="DURATION",
            help="Time to lie down first (default 10s; 0 = none).",
            show_default=False,
        ),
    ] = None,
    bell_every: Annotated[
        str | None,
        typer.Option("--bell-every", metavar="DURATION", help="Two bells every DURATION."),
    ] = None,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="No confirmation for durations far above the plan.")
    ] = False,
    layer: Annotated[
        str | None, typer.Option(metavar="LAYER", help="bare, shirt or sheet.")
    ] = None,
    surface: Annotated[str | None, typer.Option(metavar="SURFACE", help="floor or bed.")] = None,
) -> None:
    """A mat session: ratings before, a settle-in lead, the countdown, ratings after.

    Keys during the countdown: space pauses and resumes, q or Ctrl-C stops, d stops for
    discomfort; Enter ends the settle-in early. Bells: one at the start, two at each
    --bell-every, three at the end.
    """
    from matlog import queries, ratings, session
    from matlog.durations import parse_duration
    from matlog.records import LAYERS, SURFACES
    from matlog.session.start import start_notes

    _refuse_undecodable(
        {
            "DURATION": [duration],
            "--before": before,
            "--after": after,
            "--tag": tag,
            "--area": [area],
            "--note": [note],
            "--settle": [settle],
            "--bell-every": [bell_every],
            "--layer": [layer],
            "--surface": [surface],
        }
    )
    env = _env(ctx)
    config = env.config
    if layer is not None and layer not in LAYERS:
        raise UsageError(f"--layer must be one of {', '.join(LAYERS)}, got {layer!r}")
    if surface is not None and surface not in SURFACES:
        raise UsageError(f"--surface must be one of {', '.join(SURFACES)}, got {surface!r}")
    if any(not t.strip() for t in tag):
        raise UsageError("a tag must not be empty", hint="e.g. -t bedtime")
    before_flags = ratings.parse_rating_flags(before, config.metrics)
    after_flags = ratings.parse_rating_flags(after, config.metrics)
    settle_seconds = (
        config.settle_seconds
        if settle is None
        else parse_duration(settle, what="--settle", allow_zero=True)
    )
    bell_seconds = parse_duration(bell_every, what="--bell-every") if bell_every else None
    planned = parse_duration(duration) if duration is not None else None
    advice, broken = queries.plan_for_start(env)
    if planned is None:
        planned = advice.next_seconds
    if broken is not None:
        # The countdown never depends on the journal: it runs, and the record is rescued.
        length = "" if duration is not None else f"; {format_duration(planned)}, the plan's start"
        print_error(
            f"{broken.message}: the session runs anyway and its record will go to a rescue "
            f"file{length}",
            "`matlog check` lists every problem",
        )

    notes = start_notes(paths.state_dir(), planned, advice)
    for notice in notes.notices:
        env.err.print(notice)
    if notes.above_plan and not yes:
        env.err.print(notes.above_plan)
        if env.interactive and not env.prompter().confirm("Start anyway?", default=False):
            print("Not started.")
            return
    asking = env.interactive and not no_ratings
    plan = session.SessionPlan(
        planned_seconds=planned,
        area=area or config.area,
        before=before_flags,
        after=after_flags,
        ask_before=asking and not before_flags,
        ask_after=asking and not after_flags and not rate_later,
        tags=list(dict.fromkeys(t.strip() for t in tag)),
        layer=layer,
        surface=surface,
        note=note,
        settle_seconds=settle_seconds,
        bell_every=bell_seconds,
    )
    outcome = session.run_session(plan, env.session_runner())
    next_seconds = queries.plan(env).next_seconds
    try:
        print(session.summary(outcome.session, config.metrics, next_seconds))
        if outcome.after_timed_out:
            print(
                "No answer to the after-ratings: logged without them. "
                "`matlog rate pain=3 ...` adds them."
            )
    except OSError:
        if outcome.signum is None:
            raise
        # The terminal is gone (SIGHUP): the session is logged, nobody reads this line.
    if outcome.signum is not None:
        raise typer.Exit(128 + outcome.signum)


@app.command("plan")
def plan_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Where you are on the plan: next duration, target, why."""
    from matlog import queries

    advice = queries.plan(_env(ctx))
    if as_json:
        print(json.dumps(advice.to_json()))
        return
    print(f"Next session: {format_duration(advice.next_seconds)} ({advice.why}).")
    print(
        f"Target: {format_duration(advice.target_seconds)}, "
        f"in steps of {format_duration(advice.step_seconds)} per finished session."
    )


@app.command("rate", short_help="After-ratings for the latest session (--rate-later).")
def rate_command(
    ctx: typer.Context,
    ratings: Annotated[
        list[str], typer.Argument(metavar="NAME=V...", help="e.g. pain=3 stress=2 mood=7")
    ],
) -> None:
    """Add after-ratings to the latest session (after --rate-later); says which it rated."""
    from matlog import ratings as rating_module
    from matlog.session.recovery import clear_owed_rating

    env = _env(ctx)
    values = rating_module.parse_rating_flags(ratings, env.config.metrics)
    if not values:
        raise UsageError("no ratings given", hint="e.g. matlog rate pain=3 stress=2")
    rated, is_latest = rating_module.add_after_ratings(env.journal, None, values)
    clear_owed_rating(paths.state_dir())
    which = (
        "the latest session"
        if is_latest
        else ("an earlier session (the latest has these ratings already)")
    )
    print(
        f"Rated {which}, {rated.started:%a %Y-%m-%d %H:%M}: "
        + ", ".join(f"{k} {v}" for k, v in rated.after.items())
        + "."
    )


@app.command("sleep", short_help="Last night's sleep, 0–10.")
def sleep_command(
    ctx: typer.Context,
    rating: Annotated[
        str,
        typer.Argument(
            metavar="RATING", help="How you slept, 0–10 (10 = best).", show_default=False
        ),
    ],
    night: Annotated[
        str | None,
        typer.Option(
            metavar="DATE",
            help="The evening's date, YYYY-MM-DD (default: yesterday).",
            show_default=False,
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(metavar="TEXT", help="A note.")] = None,
) -> None:
    """Last night's sleep, 0–10; a second rating for the same night replaces the first."""
    from matlog import nights

    env = _env(ctx)
    value = nights.parse_sleep_rating(rating)
    night_date = nights.night_to_rate(night, env.clock.now().date())
    replaced = nights.record_sleep(
        env.journal, night_date, value, note, env.clock.now(), env.append
    )
    what = f"replaced {replaced.rating}" if replaced else "saved"
    print(f"Sleep for the night of {night_date:%a %Y-%m-%d}: {value}/10 ({what}).")


# ---------------------------------------------------------------------------------------
# The journal


@app.command("log")
def log_command(
    ctx: typer.Context,
    count: Annotated[
        int, typer.Option("-n", "--count", min=1, metavar="N", help="How many sessions.")
    ] = 10,
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


@app.command("check", short_help="Validate the journal: PATH:LINE: message, exit 1.")
def check_command(ctx: typer.Context) -> None:
    """Validate the journal; each problem as PATH:LINE: message (exit 1 if any)."""
    env = _env(ctx)
    problems = env.journal.check()
    for problem in problems:
        print(problem)
    if problems:
        raise typer.Exit(EXIT_DATA)
    contents = env.read_journal()  # says so if the file is empty
    print(
        f"{env.journal_path}: {len(contents.sessions)} sessions, {len(contents.sleeps)} "
        f"nights, no problems" + ("" if contents.exists else " (the file does not exist yet)")
    )


@app.command("edit", short_help="Edit the journal in $EDITOR; checked before saving.")
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
    last = journal.latest_session(contents)
    if last is None:
        raise UsageError("there is no session to undo", hint="`matlog log` shows the journal")
    if not yes:
        if not env.interactive:
            raise UsageError("undo needs confirmation", hint="add --yes when not at a terminal")
        print(journal.toml_block(last), file=sys.stderr)
        if not env.prompter().confirm("Remove this session?", default=False):
            print("Kept.")
            return
    removed = env.journal.rewrite(journal.remove_session(last))
    if removed is None:
        raise UsageError(
            "that session changed or was removed meanwhile; nothing was removed",
            hint="`matlog log` shows the journal now; run `matlog undo` again",
        )
    print(f"Removed the session of {last.started:%Y-%m-%d %H:%M}. To restore it, add back:\n")
    print(journal.toml_block(removed), end="")


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        str, typer.Option("--format", "-f", metavar="FORMAT", help="csv, jsonl or toml.")
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here instead of stdout."),
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
    if os.path.realpath(output) == os.path.realpath(env.journal_path):
        raise UsageError(
            f"{output} is the journal itself: exporting there would replace it",
            hint="choose another file with -o, e.g. backup.csv",
        )
    from matlog.privatefiles import replace_atomically

    try:
        # Whole or not at all: a failed export leaves an existing backup as it was.
        replace_atomically(Path(os.path.realpath(output)), text.encode(), keep_mode=True)
    except OSError as exc:
        raise MatlogError(f"cannot write {output}: {exc.strerror}") from None
    count = len(contents.sessions) + len(contents.sleeps)
    print(f"Wrote {count} records to {output}", file=sys.stderr)


@app.command("import", short_help="Merge another journal; records present are skipped.")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(metavar="FILE", help="A TOML or JSON Lines journal.", show_default=False),
    ],
) -> None:
    """Merge another journal; records already present (same id) are skipped."""
    env = _env(ctx)
    incoming = journal.load_file(file)
    env.read_journal()  # refuses a broken journal, and says so if it is empty
    # What is present is decided under the journal's lock: two imports at once add once.
    added = env.append(incoming.records, skip_present=True)
    skipped = len(incoming.records) - len(added)
    noun = "record" if len(added) == 1 else "records"
    print(f"Imported {len(added)} {noun} from {file} ({skipped} already present).")


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


# ---------------------------------------------------------------------------------------
# Stats


@app.command("stats", short_help="Is it helping? Your ratings, with n and 95% CIs.")
def stats_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="The numbers as JSON.")] = False,
    since: Annotated[
        str | None, typer.Option(metavar="DATE", help="From this day, YYYY-MM-DD.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(metavar="DATE", help="Up to this day, YYYY-MM-DD.")
    ] = None,
    last: Annotated[
        str | None,
        typer.Option(metavar="30d", help="The last N days or weeks, e.g. 30d or 12w."),
    ] = None,
    tag: Annotated[
        list[str] | None,
        typer.Option(
            "--tag", "-t", metavar="TAG", help="Sessions with this tag (repeat: any of them)."
        ),
    ] = None,
    area: Annotated[str | None, typer.Option(metavar="AREA", help="Sessions on this area.")] = None,
) -> None:
    """Is it helping? What your own ratings did, with n and 95% intervals."""
    from matlog import queries

    env = _env(ctx)
    result = queries.stats(env, since=since, until=until, last=last, tags=tag or (), area=area)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    from matlog import stats_display  # Rich only on this path: --json starts faster

    stats_display.show(env.out, result, env.journal_path)


def run() -> int:
    """The console script: `matlog ...` and `python -m matlog`."""
    result = app(prog_name="matlog", standalone_mode=False)
    return result if isinstance(result, int) else 0
