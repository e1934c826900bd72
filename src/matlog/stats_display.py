"""`matlog stats` on the terminal: the numbers from `stats.compute`, drawn with Rich.

Only drawing and wording here. The wording never goes beyond the data: below MIN_N pairs a
metric has "too little data", an interval that spans zero is "no clear change", and nothing
says the mat works or helps: it says what the user's own ratings did. Arrows always come
with a word, so nothing depends on colour.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from matlog.durations import format_duration
from matlog.stats import MIN_N, FiltersJson, MeanJson, MetricJson, StatsJson
from matlog.text import shown
from matlog.words import plural

BLOCKS = "▁▂▃▄▅▆▇█"
NO_PAIRS = (
    "No session has ratings both before and after yet, so there is no change to show: "
    "rate with `matlog start -b pain=5 -a pain=3`, or answer the prompts."
)
CAVEAT = (
    "These are your own ratings before and after each session, not a controlled trial: "
    "they show what your ratings did, not what caused it. Groups differ in more than their "
    "label (later sessions are longer, for one), so read the comparisons as hints."
)


def show(console: Console, stats: StatsJson, journal_path: Path) -> None:
    screen = render(stats, journal_path, width=console.width)
    if console.is_terminal:
        _plain_if_no_color(console).print(screen)
        return
    # A pipe or a file: the same lines, without the spaces Rich pads each one with to the
    # width (`matlog stats > week.txt` would end every line in a run of them).
    with console.capture() as capture:
        console.print(screen)
    console.file.write("".join(line.rstrip() + "\n" for line in capture.get().splitlines()))


def _plain_if_no_color(console: Console) -> Console:
    """With NO_COLOR, no escape codes at all: Rich alone would still send bold and dim."""
    if os.environ.get("NO_COLOR") and console.is_terminal:
        return Console(
            file=console.file,
            color_system=None,
            highlight=False,
            emoji=False,
            width=console.width,
        )
    return console


def render(stats: StatsJson, journal_path: Path, width: int = 80) -> RenderableType:
    count = stats["sessions"]
    if count == 0:
        return _nothing_yet(stats, journal_path)
    parts: list[RenderableType] = [_summary(stats, journal_path), Text()]
    if any(m["n"] for m in stats["metrics"].values()):
        table = _metric_table(stats, width)
        parts += [table, Text(), *_metric_sentences(stats), Text()]
    else:
        parts += [Text(NO_PAIRS), Text()]
    if count >= 2:
        parts += [_sparklines(stats, width), Text()]
    parts.append(_sleep_line(stats))
    compared = [name for name, m in stats["metrics"].items() if m["n"] >= MIN_N]
    if stats["comparisons"] and compared:
        parts += [Text(), _comparison_tables(stats, compared, width)]
    if count < MIN_N:
        where = "here" if _filter_words(stats["filters"]) else "so far"  # filtered: not all
        parts += [
            Text(),
            Text(
                f"Only {plural(count, 'session')} {where}: too little data to say whether "
                "anything changes. Rate before and after each session and look again after "
                "a few more."
            ),
        ]
    parts += [Text(), Text(CAVEAT, style="dim")]
    return Group(*parts)


def _nothing_yet(stats: StatsJson, journal_path: Path) -> Text:
    if stats["filters"] and _filter_words(stats["filters"]):
        return Text.assemble(
            ("No sessions", "bold"),
            f" {_filter_words(stats['filters'])}. `matlog stats` without filters shows "
            f"all {plural(stats.get('journal_sessions', 0), 'session')}.",
        )
    return Text.assemble(
        ("No sessions yet", "bold"),
        f" in {journal_path}. Start one with `matlog start`; once a few sessions have "
        "ratings before and after, `matlog stats` shows what they did.",
    )


# ---------------------------------------------------------------------------------------
# The summary lines


def _summary(stats: StatsJson, journal_path: Path) -> Group:
    count = stats["sessions"]
    assert stats["first"] is not None and stats["last"] is not None  # sessions > 0 here
    first = datetime.fromisoformat(stats["first"])
    last = datetime.fromisoformat(stats["last"])
    span = (
        f"on {first:%Y-%m-%d}"
        if first.date() == last.date()
        else f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    lines: list[RenderableType] = [Text(f"{plural(count, 'session')} {span}", style="bold")]
    words = _filter_words(stats["filters"])
    if words:
        lines.append(_indent(Text(f"only sessions {words}", style="italic")))
    seconds = stats["total_seconds"]
    # Whole minutes are enough for hours on the mat; under an hour, say it exactly.
    total = format_duration(round(seconds / 60) * 60 if seconds >= 3600 else seconds)
    mean = format_duration(stats["mean_seconds"] or 0)
    lines.append(_indent(Text(f"{total} on the mat, {mean} on average")))
    endings = ", ".join(f"{n} {name}" for name, n in stats["ended"].items() if n)
    lines.append(_indent(Text(f"ended: {endings}")))
    control = stats.get("control_sessions", 0)
    if control:
        lines.append(
            _indent(
                Text(
                    f"left out: {plural(control, 'control session')} of a trial "
                    "(lying still without the mat; see `matlog trial report`)"
                )
            )
        )
    streak = stats["streak"]
    lines.append(
        _indent(
            Text.assemble(
                "streak: ",
                (f"{plural(streak['current_days'], 'day')} now", "bold"),
                f", longest {plural(streak['longest_days'], 'day')}",
            )
        )
    )
    strip = "".join("█" if n else "·" for n in stats["recent"]["per_day_28"])
    # Two decimals where the count needs them (0.25, one session in 28 days), else one.
    week = stats["per_week"]
    per_week = (
        f"{week:.2f} sessions a week" if round(week, 1) != week else f"{week:.1f} sessions a week"
    )
    lines.append(_indent(Text(f"last 28 days: {strip} ← today · {per_week}")))
    lines.append(
        _indent(
            Text(
                f"next planned session: {format_duration(stats['plan']['next_seconds'])} "
                "(`matlog plan` says why)"
            )
        )
    )
    return Group(*lines)


def _indent(text: Text) -> Padding:
    # A hanging indent: wrapped lines stay under the first one.
    return Padding(text, (0, 0, 0, 2), expand=False)


def _filter_words(filters: FiltersJson) -> str:
    words = []
    last = filters["last"]  # "30d" or "12w"
    if last:
        unit = "week" if last.endswith("w") else "day"
        words.append(f"in the last {plural(int(last[:-1]), unit)} (since {filters['since']})")
    elif filters.get("since"):
        words.append(f"since {filters['since']}")
    if filters.get("until"):
        words.append(f"until {filters['until']}")
    if filters.get("tags"):
        words.append("tagged " + " or ".join(f"#{t}" for t in filters["tags"]))
    if filters.get("area"):
        words.append(f"on the {filters['area']}")
    return ", ".join(words)


# ---------------------------------------------------------------------------------------
# Metrics


def verdict(metric: MetricJson) -> tuple[str, str]:
    """A few words on a metric's change, and a style; never more than the numbers say."""
    n, interval = metric["n"], metric["change_ci95"]
    if n < MIN_N or interval is None:
        return f"too little data (n={n})", "dim"
    low, high = interval
    if low <= 0 <= high:
        return "no clear change", ""
    arrow = "↓" if high < 0 else "↑"
    better = metric["better"]
    if better is None:  # a metric that is not in the config: no direction is "better"
        return f"{arrow} {'lower' if high < 0 else 'higher'}", ""
    good = (better == "lower") == (high < 0)
    return f"{arrow} {'better' if good else 'worse'}", "green" if good else "red"


def sentence(name: str, metric: MetricJson) -> str:
    """ "pain fell by 2.1 points on average (95% CI 1.4 to 2.8, n=24)" and its kin."""
    n, mean, interval = metric["n"], metric["change_mean"], metric["change_ci95"]
    if n < MIN_N or mean is None or interval is None:
        return f"{name}: too little data (n={n})"
    low, high = interval
    if low <= 0 <= high:
        return (
            f"{name}: no clear change ({_signed(mean)} on average, "
            f"95% CI {_signed(low)} to {_signed(high)}, n={n})"
        )
    if high < 0:
        text = f"{name} fell by {_num(-mean)} points on average (95% CI {_num(-high)} to "
        text += f"{_num(-low)}, n={n})"
    else:
        text = f"{name} rose by {_num(mean)} points on average (95% CI {_num(low)} to "
        text += f"{_num(high)}, n={n})"
    share = metric["improved_share"]
    if share is not None:
        better = round(share * n)
        text += f"; it moved the better way in {better} of {plural(n, 'session')}"
    return text


def _metric_table(stats: StatsJson, width: int = 80) -> Table:
    """One row per rating. Numbers are never cut and never wrap: a narrow terminal drops
    columns instead (the sentences below the table say the same), so n stays whole:
    before→after goes first, then "moved the better way", then the interval, and below
    about 40 columns the verdict."""
    headers = ["rating", "n", "before→after", "change (95% CI)", "moved the\nbetter way", "verdict"]
    rows: list[list[str | Text]] = []
    for name, m in stats["metrics"].items():
        if m["n"] == 0:  # a configured rating never given before and after: nothing to show
            continue
        words, style = verdict(m)
        interval = m["change_ci95"]
        change = _signed(m["change_mean"])
        if interval and m["n"] >= MIN_N:  # below that the interval is noise (JSON keeps it)
            change += f" ({_signed(interval[0])} to {_signed(interval[1])})"
        share = m["improved_share"]
        rows.append(
            [
                name,
                str(m["n"]),
                f"{_num(m['before_mean'])} → {_num(m['after_mean'])}",
                change,
                "–" if share is None else f"{round(share * m['n'])} of {m['n']}",
                Text(words, style=style),
            ]
        )

    def build(keep: list[int], with_interval: bool = True) -> Table:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        for i in keep:
            header = headers[i] if with_interval or i != 3 else "change"
            table.add_column(header, justify="left" if i in (0, 5) else "right", no_wrap=True)
        for cells in rows:
            if not with_interval:
                cells = [*cells[:3], str(cells[3]).split(" (")[0], *cells[4:]]
            table.add_row(*(cells[i] for i in keep))
        return table

    tables = [
        build([0, 1, 2, 3, 4, 5]),
        build([0, 1, 3, 4, 5]),
        build([0, 1, 3, 5]),
        build([0, 1, 3, 5], with_interval=False),
        build([0, 1, 3], with_interval=False),  # the sentences below give the verdicts
    ]
    return _widest_that_fits(tables, width)


def _widest_that_fits(tables: Sequence[Table], width: int) -> Table:
    """The first table whose columns fit `width` at their natural widths, else the last."""
    return next((table for table in tables if _fits(table, width)), tables[-1])


def _metric_sentences(stats: StatsJson) -> list[Padding]:
    return [
        _indent(Text(f"{sentence(name, m)}."))
        for name, m in stats["metrics"].items()
        if m["n"] >= MIN_N  # the table already says "too little data" for the rest
    ]


# ---------------------------------------------------------------------------------------
# Charts


def sparkline(values: Sequence[float | None]) -> str:
    """One block character per value, scaled from the smallest to the largest; gaps blank."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    top = len(BLOCKS) - 1
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif high == low:
            out.append(BLOCKS[top // 2])
        else:
            out.append(BLOCKS[round((v - low) / (high - low) * top)])
    return "".join(out)


def _sparklines(
    stats: StatsJson, width: int = 80, keep: int | None = None, compact: bool = False
) -> Group:
    """Duration and each rating's change, one bar per session. A taller bar is always the
    better way: a change in a lower-is-better rating (pain, stress) is drawn upside down, so
    a fall stands tall; a rating with no better direction says so on its line.

    Where the lines do not fit `width`, the ranges go, then the oldest sessions; below about
    30 columns the labels shorten to the names and the heading goes into the title."""
    recent = stats["recent"]
    seconds = recent["seconds"][-keep:] if keep else recent["seconds"]
    rows: list[tuple[str, str, str]] = [
        (
            "minutes",
            sparkline(seconds),
            f"{format_duration(min(seconds))} → {format_duration(max(seconds))}",
        )
    ]
    falls = []
    for name, all_changes in recent["change"].items():
        changes = all_changes[-keep:] if keep else all_changes
        present = [c for c in changes if c is not None]
        if len(present) < 2:
            continue
        metric = stats["metrics"].get(name)
        better = metric["better"] if metric else None
        label = name if compact else f"{name} change"
        if better == "lower":
            falls.append(name)
            changes = [None if c is None else -c for c in changes]
            shortest, tallest = max(present), min(present)
        else:
            shortest, tallest = min(present), max(present)
            if better is None and not compact:
                label += " (taller: higher)"
        rows.append((label, sparkline(changes), f"{_signed(shortest)} → {_signed(tallest)}"))
    for with_range in (True, False) if not compact else (False,):
        table = Table(
            box=None,
            pad_edge=False,
            padding=(0, 2, 0, 0),
            header_style="dim",
            show_header=not compact,
        )
        table.add_column("", style="bold", no_wrap=True)
        table.add_column("oldest → newest", no_wrap=True)
        if with_range:
            table.add_column("short → tall", style="dim", no_wrap=True)
        for row in rows:
            table.add_row(*row[: 2 + with_range])
        if _fits(table, width):
            break
    else:
        labels = max(len(row[0]) for row in rows) + 2
        if not compact and width - labels < len("oldest → newest"):
            return _sparklines(stats, width, keep, compact=True)
        fewer = max(2, min(len(seconds) - 1, width - labels))
        if fewer < len(seconds):
            return _sparklines(stats, width, fewer, compact)
    way = "a change the better way"
    if falls:
        way += f" (for {_and(falls)}: a fall)"
    order = " Oldest on the left." if compact else ""
    title = Text(
        f"The last {plural(len(seconds), 'session')} (blank: not rated). "
        f"A taller bar is a longer session, or {way}.{order}"
    )
    return Group(title, table)


def _and(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


# ---------------------------------------------------------------------------------------
# Sleep and comparisons


def _sleep_line(stats: StatsJson) -> Text:
    with_s, without = stats["sleep"]["with_session"], stats["sleep"]["without_session"]
    if not with_s["n"] and not without["n"]:
        return Text("Sleep: no nights rated yet (`matlog sleep 7` in the morning).")
    line = (
        f"Sleep: {_mean_n(with_s)} on nights with a session, {_mean_n(without)} on nights without."
    )
    if min(with_s["n"], without["n"]) < MIN_N:
        line += " Too little data to compare."
    else:
        line += " Nights differ in more than the mat, so this is a hint, not a result."
    return Text(line)


def _mean_n(group: MeanJson) -> str:
    mean = "–" if group["mean"] is None else _num(group["mean"])
    return f"{mean} (n={group['n']})"


COMPARISON_TITLE = "Mean change by group (n: sessions; in brackets: those with both ratings)"


def _comparison_tables(stats: StatsJson, names: list[str], width: int = 80) -> Group:
    """Groups side by side, for the ratings with enough data overall to compare at all.

    Never a number cut and never n dropped: a narrow terminal loses the mean duration
    first, then the "by" column (each dimension becomes a heading row), and then the ratings
    are split over as many tables as it takes, each with the groups and their n."""
    for with_time, by_column in ((True, True), (False, True), (False, False)):
        table = _comparison_table(stats, names, with_time, by_column)
        if _fits(table, width):
            return Group(Text(COMPARISON_TITLE), table)
    # A long label (a tag) is folded over lines rather than split the ratings for it.
    if _longest_label(stats) > _LONG_LABEL:
        whole = _comparison_table(stats, names, False, False, folded=True)
        if _fits(whole, width):
            return Group(Text(COMPARISON_TITLE), whole)
    folded = not all(_fits(_comparison_table(stats, [n], False, False), width) for n in names)
    chunks: list[list[str]] = []
    for name in names:
        wider = (
            _comparison_table(stats, [*chunks[-1], name], False, False, folded) if chunks else None
        )
        if wider is not None and _fits(wider, width):
            chunks[-1].append(name)
        else:
            chunks.append([name])
    tables = [_comparison_table(stats, chunk, False, False, folded) for chunk in chunks]
    if not all(_fits(t, width) for t in tables):
        return _comparison_lines(stats, names)  # too narrow for any table: a list
    parts: list[RenderableType] = [Text(COMPARISON_TITLE)]
    for index, table in enumerate(tables):
        if index:
            parts.append(Text())
        parts.append(table)
    return Group(*parts)


_LONG_LABEL = 20  # a group label longer than this is folded rather than split a table for


def _longest_label(stats: StatsJson) -> int:
    return max((len(v) for groups in stats["comparisons"].values() for v in groups), default=0)


def _comparison_lines(stats: StatsJson, names: list[str]) -> Group:
    """The groups as a list, for a terminal too narrow for a table: each group and its n
    on a line, then each rating's mean change (with its count) on a line of its own."""
    lines: list[RenderableType] = [Text(COMPARISON_TITLE)]
    for dimension, groups in stats["comparisons"].items():
        lines.append(Text(dimension, style="bold"))
        for value, group in groups.items():
            lines.append(_indent(Text(f"{shown(value)}  n {group['sessions']}")))
            for name in names:
                m = group["metrics"][name]
                mean = "too few" if m["n"] < MIN_N else _signed(m["change_mean"])
                lines.append(Padding(Text(f"{name} {mean} ({m['n']})"), (0, 0, 0, 4)))
    return Group(*lines)


def _fits(table: Table, width: int) -> bool:
    """Whether every column of `table` fits `width` at its natural width (nothing cut)."""
    from rich.measure import Measurement

    console = _measuring_console()
    return Measurement.get(console, console.options, table).maximum <= width


_MEASURING: list[Console] = []


def _measuring_console() -> Console:
    # One for every measurement: making a Console (terminal and environment probing) costs
    # more than measuring a table with it.
    if not _MEASURING:
        console = Console(width=10_000, file=io.StringIO(), color_system=None, emoji=False)
        _MEASURING.append(console)
    return _MEASURING[0]


def _comparison_table(
    stats: StatsJson,
    names: list[str],
    with_time: bool = True,
    by_column: bool = True,
    folded: bool = False,
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    if by_column:
        table.add_column("by", no_wrap=True)
    # A long label (a tag) may fold over lines, but keeps 12 columns: narrower than that,
    # the groups are listed instead (`_comparison_lines`). n and the numbers never fold.
    narrowest = min(2 + _longest_label(stats), 12)  # 2: the indent under a heading row
    table.add_column(
        "group", overflow="fold", min_width=narrowest, max_width=narrowest if folded else None
    )
    table.add_column("n", justify="right", no_wrap=True)
    if with_time:
        table.add_column("mean time", justify="right", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    blanks = [""] * (len(names) + 2 + with_time)
    for index, (dimension, groups) in enumerate(stats["comparisons"].items()):
        if by_column and index:
            table.add_section()
        if not by_column:  # the dimension as a heading row of its own
            table.add_row(Text(dimension, style="bold"), *blanks[1:])
        label = dimension
        for value, group in groups.items():
            cells = []
            for name in names:
                m = group["metrics"][name]
                if m["n"] < MIN_N:
                    cells.append(Text(f"too few ({m['n']})", style="dim"))
                else:
                    cells.append(Text(f"{_signed(m['change_mean'])} ({m['n']})"))
            row: list[RenderableType] = [label] if by_column else []
            # Text: never markup. Under a heading row, indented, every folded line too.
            label_text = Text(shown(value), overflow="fold")
            name_cell: RenderableType = (
                label_text if by_column else Padding(label_text, (0, 0, 0, 2))
            )
            row += [name_cell, str(group["sessions"])]
            if with_time:
                row.append(format_duration(group["mean_seconds"]))
            table.add_row(*row, *cells)
            label = ""
    return table


# ---------------------------------------------------------------------------------------
# Numbers as words


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    text = f"{value:+.1f}"
    if text in ("+0.0", "-0.0"):
        return "0.0"
    return text.replace("-", "−")
