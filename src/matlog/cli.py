"""The Typer app: parse, call the domain, render. Errors become exit codes in `MatlogGroup`.

No `from __future__ import annotations` here: Typer reads every command's annotations at
each start, and string annotations cost it an evaluation each (about 20 ms of CPU a run).
"""

import json
import os
import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer import _completion_shared
from typer._click.shell_completion import CompletionItem, ShellComplete, add_completion_class
from typer._completion_classes import BashComplete, ZshComplete
from typer.core import TyperGroup

from matlog import __version__, journal, paths
from matlog.durations import format_duration
from matlog.env import Env
from matlog.errors import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    DataError,
    Interrupted,
    UsageError,
    print_error,
    report,
)
from matlog.words import plural

COMPLETE_VAR = "_MATLOG_COMPLETE"  # Typer's name for it: `_{PROG}_COMPLETE`


# Typer's bash script, except that each answer comes as TYPE,VALUE: bash lists file names
# only where a file is asked for (`import`, `--journal`, `export -o`), never as the fallback
# for a tag or a metric that has no answer yet (Typer's `complete -o default` did).
_BASH_SCRIPT = """
%(complete_func)s() {
    local IFS=$'\\n' kind value
    COMPREPLY=()
    for answer in $(env COMP_WORDS="${COMP_WORDS[*]}" COMP_CWORD=$COMP_CWORD \\
                        %(autocomplete_var)s=complete_bash $1); do
        kind=${answer%%%%,*} value=${answer#*,}
        if [[ $kind == file ]]; then
            compopt -o default
        else
            COMPREPLY+=("$value")
        fi
    done
    return 0
}

complete -F %(complete_func)s %(prog_name)s
"""


class _BashComplete(BashComplete):
    """Typer's bash completion, with words split at `=` put back together, and file names
    offered only where a file is asked for (`_BASH_SCRIPT`).

    Bash splits the word being completed at `=` (it is in COMP_WORDBREAKS): `pain=4` reaches
    Typer as `pain`, `=`, `4`, so neither `rate pain=<TAB>` nor `start -b pain=<TAB>` would
    complete. Here `=` is glued back to its neighbours before Typer parses the words, and
    the answers are cut to the part bash replaces: the text after the word's last `=`.
    """

    source_template = _BASH_SCRIPT

    def format_completion(self, item: CompletionItem) -> str:
        return f"{item.type},{item.value}"

    def get_completion_args(self) -> tuple[list[str], str]:
        args, incomplete = super().get_completion_args()
        words: list[str] = []
        glue = False
        for word in [*args, incomplete]:
            if words and (glue or word == "="):
                words[-1] += word
            else:
                words.append(word)
            glue = word == "="
        return words[:-1], words[-1]

    def get_completions(self, args: list[str], incomplete: str) -> list[CompletionItem]:
        # Typer completes the value alone after `--option=`, and bash replaces the text after
        # the word's last `=`: what lies between is kept, not offered again.
        value = incomplete.partition("=")[2] if incomplete.startswith("-") else incomplete
        kept = value[: value.rfind("=") + 1]
        items = super().get_completions(args, incomplete)
        if not items and _wants_a_path(self, args, incomplete):
            return [CompletionItem("", type="file")]  # Typer's paths answer nothing
        return [
            CompletionItem(item.value[len(kept) :], item.type, help=item.help)
            for item in items
            if item.value.startswith(kept)
        ]


class _ZshComplete(ZshComplete):
    """Typer's zsh completion, offering file names only where a file is asked for."""

    def complete(self) -> str:
        answer = super().complete()  # "_files" is Typer's answer when it has none
        if answer == "_files" and not _wants_a_path(self, *self.get_completion_args()):
            return ""
        return answer


def _wants_a_path(complete: ShellComplete, args: list[str], incomplete: str) -> bool:
    """Whether the word being completed is a file name (a Path parameter of Typer's)."""
    from typer._click.shell_completion import _resolve_context, _resolve_incomplete
    from typer.models import TyperPath

    ctx = _resolve_context(complete.cli, complete.ctx_args, complete.prog_name, args)
    wanted, _ = _resolve_incomplete(ctx, args, incomplete)
    return isinstance(getattr(wanted, "type", None), TyperPath)


# `--show-completion` and `--install-completion` print Typer's script from this table.
_completion_shared._completion_scripts["bash"] = _BASH_SCRIPT


def _install_bash(*, prog_name: str, complete_var: str, shell: str) -> Path:
    """Typer's `install_bash`, except that ~/.bashrc gains its `source` line once and
    nothing else: Typer's added a blank line to it on every run."""
    completion_path = Path.home() / ".bash_completions" / f"{prog_name}.sh"
    rc_path = Path.home() / ".bashrc"
    line = f"source '{completion_path}'"
    rc = rc_path.read_text(encoding="utf-8") if rc_path.is_file() else ""
    if line not in rc:
        with rc_path.open("a", encoding="utf-8") as rc_file:
            rc_file.write(("" if not rc or rc.endswith("\n") else "\n") + line + "\n")
    completion_path.parent.mkdir(parents=True, exist_ok=True)
    script = _completion_shared.get_completion_script(
        prog_name=prog_name, complete_var=complete_var, shell=shell
    )
    completion_path.write_text(script, encoding="utf-8")
    return completion_path


_completion_shared.install_bash = _install_bash


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
        if os.environ.get(COMPLETE_VAR):
            # Typer registered its completion classes while it built this command; ours
            # for bash and zsh take the place of its own (see `_BashComplete`).
            add_completion_class(_BashComplete, "bash")
            add_completion_class(_ZshComplete, "zsh")
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
                hint = f"see `{where} --help`"
                message = exc.format_message()
                if sub and "--journal" in message:  # a global option, misplaced
                    hint = f"--journal goes before the command: matlog --journal FILE {sub} ..."
                option = getattr(exc, "option_name", None) or ""
                if re.fullmatch(r"-[0-9]", option[:2]):
                    # `start -5`: click reads a negative number as options it does not know
                    # (`-1m30` as -1 -m -3 -0): name the word as it was typed.
                    typed = list(sys.argv[1:] if args is None else args)
                    word = next((a for a in typed if a.startswith(option)), option)
                    message = f"{word} is a negative number; matlog takes none here"
                    if sub == "start":
                        message = f"duration must be more than zero, got {word!r}"
                print_error(message, hint)
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
            result = super().invoke(ctx)
        except (KeyboardInterrupt, EOFError):
            # Typer would exit 130 in silence (Ctrl-C) or after a blank line (Ctrl-D).
            raise Interrupted("interrupted; nothing was changed") from None
        if isinstance(ctx.obj, Env):  # after the command's own output, when it went well
            ctx.obj.note_new_journal()
        return result


app = typer.Typer(
    cls=MatlogGroup,
    add_completion=True,
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


def _screen_width(env: Env) -> int:
    """The terminal's width for screens of words; a pipe or a file gets the widest form."""
    from matlog.trial_display import WIDEST

    return env.out.width if env.out.is_terminal else WIDEST


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
# Shell completion: Typer parses the partial line; these say what one value may be.


def _completion_env(ctx: typer.Context) -> Env | None:
    """The Env for completing: `--journal` as typed so far, else MATLOG_JOURNAL."""
    if isinstance(ctx.obj, Env):  # tests hand in their own
        return ctx.obj
    try:
        return Env(journal_path=paths.journal_path(ctx.find_root().params.get("journal_option")))
    except Exception:  # completion never fails: no journal, nothing from it
        return None


def _complete_ratings(ctx: typer.Context, incomplete: str) -> list[str]:
    from matlog import completion

    return completion.rating_words(completion.metric_names(_completion_env(ctx)), incomplete)


def _complete_tags(ctx: typer.Context, incomplete: str) -> list[str]:
    from matlog import completion

    return completion.tags(_completion_env(ctx), incomplete)


def _complete_areas(ctx: typer.Context, incomplete: str) -> list[str]:
    from matlog import completion

    return completion.areas(_completion_env(ctx), incomplete)


def _complete_layers() -> list[str]:
    from matlog.records import LAYERS

    return list(LAYERS)


def _complete_surfaces() -> list[str]:
    from matlog.records import SURFACES

    return list(SURFACES)


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
        typer.Option(
            "--before",
            "-b",
            metavar="NAME=V",
            help="A rating before, e.g. pain=6.",
            autocompletion=_complete_ratings,
        ),
    ] = [],  # noqa: B006
    after: Annotated[
        list[str],
        typer.Option(
            "--after",
            "-a",
            metavar="NAME=V",
            help="A rating after, e.g. pain=3.",
            autocompletion=_complete_ratings,
        ),
    ] = [],  # noqa: B006
    no_ratings: Annotated[bool, typer.Option("--no-ratings", help="Ask no ratings.")] = False,
    rate_later: Annotated[
        bool, typer.Option("--rate-later", help="Skip the after-ratings; `matlog rate` later.")
    ] = False,
    tag: Annotated[
        list[str],
        typer.Option(
            "--tag",
            "-t",
            metavar="TAG",
            help="A tag (repeatable).",
            autocompletion=_complete_tags,
        ),
    ] = [],  # noqa: B006
    area: Annotated[
        str | None,
        typer.Option(
            metavar="AREA",
            help="back, neck, feet, hands… (config default).",
            show_default=False,
            autocompletion=_complete_areas,
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
        str | None,
        typer.Option(
            metavar="LAYER", help="bare, shirt or sheet.", autocompletion=_complete_layers
        ),
    ] = None,
    surface: Annotated[
        str | None,
        typer.Option(metavar="SURFACE", help="floor or bed.", autocompletion=_complete_surfaces),
    ] = None,
    condition: Annotated[
        str | None,
        typer.Option(
            metavar="mat|control",
            help="On a trial night: what you do instead of tonight's draw (a deviation).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """A mat session: ratings before, a settle-in lead, the countdown, ratings after.

    Keys during the countdown: space pauses and resumes, q or Ctrl-C stops, d stops for
    discomfort; Enter ends the settle-in early. Bells: one at the start, two at each
    --bell-every, three at the end.
    """
    from matlog import starting

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
    options = starting.StartOptions(
        duration=duration,
        before=before,
        after=after,
        no_ratings=no_ratings,
        rate_later=rate_later,
        tags=tag,
        area=area,
        note=note,
        settle=settle,
        bell_every=bell_every,
        layer=layer,
        surface=surface,
        condition=condition,
    )
    prepared = starting.prepare(env, options)
    if prepared.broken is not None:
        print_error(*prepared.broken)
    for notice in prepared.notices:
        env.err.print(notice, markup=False)
    if prepared.above_plan and not yes:
        env.err.print(prepared.above_plan, markup=False)
        if env.interactive and not env.prompter().confirm("Start anyway?", default=False):
            print("Not started.")
            return
    outcome, lines = starting.run(env, prepared, rate_later=rate_later)
    try:
        for line in lines:
            print(line)
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


@app.command("rate", short_help="After-ratings for the latest session, or --session ID.")
def rate_command(
    ctx: typer.Context,
    ratings: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME=V...",
            help="e.g. pain=3 stress=2 mood=7",
            autocompletion=_complete_ratings,
        ),
    ],
    session_id: Annotated[
        str | None,
        typer.Option(
            "--session",
            metavar="ID",
            help="The session to rate (`matlog log --json` shows ids); default: the latest.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """After-ratings for the latest session, or the one with --session ID.

    A rating the session has already is replaced, and the old value said (pain 4 → 2).
    """
    from matlog import ratings as rating_module
    from matlog.session.recovery import clear_owed_rating

    env = _env(ctx)
    values = rating_module.parse_rating_flags(ratings, env.config.metrics)
    if not values:
        raise UsageError("no ratings given", hint="e.g. matlog rate pain=3 stress=2")
    rated = rating_module.add_after_ratings(env.journal, session_id, values)
    clear_owed_rating(paths.state_dir(), rated.session.id)
    print(rating_module.rated_line(rated))


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
        int, typer.Option("-n", "--count", metavar="N", help="How many sessions.")
    ] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, one object per session.")] = False,
) -> None:
    """Recent sessions, newest first."""
    from matlog import queries

    if count < 1:  # in words, not click's "0 is not in the range x>=1"
        raise UsageError(f"-n must be at least 1, got {count}", hint="e.g. matlog log -n 5")
    env = _env(ctx)
    sessions = queries.latest_sessions(env, count)
    if as_json:
        items = [json.loads(journal.json_line(s)) for s in sessions]
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return
    from matlog import display

    shown = (
        display.session_table(
            sessions, env.config.metrics, env.out.width if env.out.is_terminal else None
        )
        if sessions
        else display.no_sessions_yet(env.journal_path)
    )
    if env.out.is_terminal:
        env.out.print(shown)
    else:  # piped: clean lines for grep, cut and friends
        sys.stdout.write(display.plain_lines(shown))


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
    trials = len(contents.trials)
    print(
        f"{env.journal_path}: {plural(len(contents.sessions), 'session')}, "
        f"{plural(len(contents.sleeps), 'night')}"
        + (f", {plural(trials, 'trial')}" if trials else "")
        + ", no problems"
        + ("" if contents.exists else " (the file does not exist yet)")
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
        print(journal.record_text(last, env.journal.kind), file=sys.stderr)
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
    print(journal.record_text(removed, env.journal.kind), end="")


@app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="csv, jsonl or toml.",
            autocompletion=lambda: ["csv", "jsonl", "toml"],
        ),
    ] = "csv",
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="FILE", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """The whole journal in another format."""
    from matlog import transfer

    if fmt not in transfer.EXPORT_FORMATS:
        raise UsageError(f"--format must be csv, jsonl or toml, got {fmt!r}")
    env = _env(ctx)
    contents = env.read_journal()
    text = transfer.export_text(contents, fmt, env.journal_path)
    if output is None:
        sys.stdout.write(text)
        return
    transfer.write_export(text, output, env.journal_path)
    count = len(contents.records)
    print(f"Wrote {plural(count, 'record')} to {output}", file=sys.stderr)


@app.command("import", short_help="Merge other journals: new records added, edits merged.")
def import_command(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE...", help="TOML or JSON Lines journals.", show_default=False),
    ],
) -> None:
    """Merge other journals (another device's, a sync-conflict copy, a rescue file).

    Records already present are skipped; one that only adds to the journal's version (ratings
    given on the other device) is merged into it; one changed on both sides is a conflict:
    the journal keeps its version and the other is kept in a file for you to pick (exit 1).
    A rescue file of matlog's own is removed once all its records are in.
    """
    from matlog import transfer
    from matlog.journal.merge import describe

    env = _env(ctx)
    env.read_journal()  # refuses a broken journal, and says so if it is empty

    def done(result: transfer.FileImport) -> None:
        if result.empty:
            print_error(f"{result.path} holds no sessions, nights or trials: nothing imported")
            return
        conflicts = plural(len(result.conflicts), "conflict")
        print(
            f"Imported {plural(result.new, 'record')} from {result.path} ({result.present} "
            f"already present, {result.merged} merged, {conflicts})."
        )
        if result.removed:
            print(f"Removed {result.path} (all its records are in the journal).")

    outcome = transfer.import_files(env.journal, files, done)
    for path in outcome.skipped:
        print_error(f"{path} is the journal itself: skipped")
    conflicts = [(r.path, c) for r in outcome.files for c in r.conflicts]
    for path, conflict in conflicts:
        print_error(
            f"{path}:{conflict.incoming.line}: {describe(conflict.incoming)} differs from the "
            f"journal's in {', '.join(conflict.fields)}; the journal kept its own"
        )
    if conflicts:
        where = [str(p) for p in outcome.kept_in_place]
        if outcome.conflicts_file is not None:
            where.insert(0, str(outcome.conflicts_file))
        raise DataError(
            f"{plural(len(conflicts), 'conflict')}: the other versions are kept in "
            + " and ".join(where),
            hint="edit a record there to hold what to keep from both, then import it again; "
            "or delete the file to keep the journal's",
        )


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
            "--tag",
            "-t",
            metavar="TAG",
            help="Sessions with this tag (repeat: any of them).",
            autocompletion=_complete_tags,
        ),
    ] = None,
    area: Annotated[
        str | None,
        typer.Option(metavar="AREA", help="Sessions on this area.", autocompletion=_complete_areas),
    ] = None,
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


# ---------------------------------------------------------------------------------------
# The self-experiment

trial_app = typer.Typer(
    invoke_without_command=True,
    no_args_is_help=False,
    help="A randomised self-experiment: mat nights against control nights.",
)
app.add_typer(trial_app, name="trial", short_help="Is it the mat? A randomised self-experiment.")


@trial_app.callback()
def trial_callback(ctx: typer.Context) -> None:
    """A randomised self-experiment: mat nights against control nights (lying still without
    the mat). Without a subcommand: the status."""
    if ctx.invoked_subcommand is None:
        _trial_status(_env(ctx), as_json=False)


@trial_app.command("start")
def trial_start_command(
    ctx: typer.Context,
    outcome: Annotated[
        str | None,
        typer.Option(
            metavar="NAME", help="A metric or sleep (default stress).", show_default=False
        ),
    ] = None,
    worthwhile: Annotated[
        float | None,
        typer.Option(
            metavar="POINTS",
            help="The smallest effect worth having (default 1).",
            show_default=False,
        ),
    ] = None,
    pairs: Annotated[
        int | None,
        typer.Option(
            metavar="N",
            help="Pairs of nights, 4-60 (default: from your history, else 14).",
            show_default=False,
        ),
    ] = None,
    first_night: Annotated[
        str | None,
        typer.Option(metavar="DATE", help="The first night (default tonight).", show_default=False),
    ] = None,
    minutes: Annotated[
        str | None,
        typer.Option(
            metavar="M", help="Minutes a night (default: the plan's next).", show_default=False
        ),
    ] = None,
    control: Annotated[
        str | None,
        typer.Option(
            metavar="rest|none",
            help="rest: lie still without the mat; none: no session (sleep only).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(metavar="N", help="The draw's seed (default: random).", show_default=False),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """Draw the nights, show the design and record the trial."""
    from matlog import trial_display, trials

    env = _env(ctx)
    if not yes and not env.interactive:
        raise UsageError("trial start needs confirmation", hint="add --yes when not at a terminal")
    chosen = trials.design(
        env,
        outcome=outcome,
        worthwhile=worthwhile,
        pairs=pairs,
        first_night=first_night,
        minutes=minutes,
        control=control,
        seed=seed,
    )
    new = chosen.trial
    print(
        trial_display.design_screen(
            first_night=new.first_night,
            last_night=new.last_night,
            pairs=new.pairs,
            outcome=new.outcome,
            better=env.config.metrics.get(new.outcome),
            worthwhile=new.worthwhile,
            seconds=new.seconds,
            control=new.control,
            fingerprint=chosen.fingerprint,
            estimate=chosen.estimate,
            history=chosen.history,
            pairs_from_history=chosen.pairs_from_history,
            width=_screen_width(env),
        )
    )
    if not yes and not env.prompter().confirm("Start this trial?", default=False):
        print("Not started.")
        return
    trials.record_start(env, chosen)
    print(f"Trial recorded ({new.id}). The first night is {new.first_night:%a %Y-%m-%d}.")


def _trial_status(env: Env, *, as_json: bool) -> None:
    from matlog import trial_display, trials

    result = trials.status(env)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    print(trial_display.status_screen(result, _screen_width(env)))


@trial_app.command("status", short_help="Tonight, and the nights so far: no effect shown.")
def trial_status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
) -> None:
    """Tonight's condition, nights done, missed and to come: no effect estimate."""
    _trial_status(_env(ctx), as_json=as_json)


@trial_app.command("report", short_help="What the trial found, with its uncertainty.")
def trial_report_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON.")] = False,
    unblind: Annotated[
        bool, typer.Option("--unblind", help="Look before the last night (recorded).")
    ] = False,
) -> None:
    """What the trial found: effect, 95% CI, randomisation p, checks, verdict, caveats."""
    from matlog import trial_display, trials

    env = _env(ctx)
    analysis = trials.report(env, unblind=unblind)
    if analysis.peeked_now:
        env.err.print(
            "Recorded: the results were looked at before the trial ended "
            "(every report will say so).",
            markup=False,
        )
    if as_json:
        print(json.dumps(analysis.report, ensure_ascii=False, indent=2))
        return
    print(trial_display.report_screen(analysis.report, analysis.metrics, _screen_width(env)))


@trial_app.command("stop")
def trial_stop_command(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
) -> None:
    """End the trial early; the report then covers the nights so far."""
    from matlog import trials

    env = _env(ctx)
    if not yes:
        if not env.interactive:
            raise UsageError(
                "trial stop needs confirmation", hint="add --yes when not at a terminal"
            )
        if not env.prompter().confirm("Stop the trial now?", default=False):
            print("The trial goes on.")
            return
    stopped = trials.stop(env)
    print(f"Trial stopped on {stopped.stopped}. `matlog trial report` shows the nights so far.")


def run() -> int:
    """The console script: `matlog ...` and `python -m matlog`."""
    result = app(prog_name="matlog", standalone_mode=False)
    return result if isinstance(result, int) else 0
