"""`matlog stats` on the terminal: the numbers from `stats.compute`, drawn with Rich.

Only drawing and wording here. The wording never goes beyond the data: below MIN_N pairs a
metric has "too little data", an interval that spans zero is "no clear change", and nothing
says the mat works or helps: it says what the user's own ratings did. Arrows always come
with a word, so nothing depends on colour.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from matlog.durations import format_duration
from matlog.stats import MIN_N

BLOCKS = "▁▂▃▄▅▆▇█"
NARROW = 78  # below this many columns the metric table drops before→after and "better"
NO_PAIRS = (
    "No session has ratings both before and after yet, so there is no change to show: "
    "rate with `matlog start -b pain=5 -a pain=3`, or answer the prompts."
)
CAVEAT = (
    "These are your own ratings before and after each session, not a controlled trial: "
    "they show what your ratings did, not what caused it. Groups differ in more than their "
    "label (later sessions are longer, for one), so read the comparisons as hints."
)


def show(console: Console, stats: dict[str, Any], journal_path: Path) -> None:
    _plain_if_no_color(console).print(render(stats, journal_path, width=console.width))


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


def render(stats: dict[str, Any], journal_path: Path, width: int = 80) -> RenderableType:
    count = stats["sessions"]
    if count == 0:
        return _nothing_yet(stats, journal_path)
    parts: list[RenderableType] = [_summary(stats, journal_path), Text()]
    if any(m["n"] for m in stats["metrics"].values()):
        table = _metric_table(stats, narrow=width < NARROW)
        parts += [table, Text(), *_metric_sentences(stats), Text()]
    else:
        parts += [Text(NO_PAIRS), Text()]
    if count >= 2:
        parts += [_sparklines(stats), Text()]
    parts.append(_sleep_line(stats))
    compared = [name for name, m in stats["metrics"].items() if m["n"] >= MIN_N]
    if stats["comparisons"] and compared:
        parts += [Text(), _comparison_table(stats, compared)]
    if count < MIN_N:
        parts += [
            Text(),
            Text(
                f"Only {_plural(count, 'session')} so far: too little data to say whether "
                "anything changes. Rate before and after each session and look again after "
                "a few more."
            ),
        ]
    parts += [Text(), Text(CAVEAT, style="dim")]
    return Group(*parts)


def _nothing_yet(stats: dict[str, Any], journal_path: Path) -> Text:
    if stats["filters"] and _filter_words(stats["filters"]):
        return Text.assemble(
            ("No sessions match", "bold"),
            f" {_filter_words(stats['filters'])}. `matlog stats` without filters shows "
            f"all {_plural(stats.get('journal_sessions', 0), 'session')}.",
        )
    return Text.assemble(
        ("No sessions yet", "bold"),
        f" in {journal_path}. Start one with `matlog start`; once a few sessions have "
        "ratings before and after, `matlog stats` shows what they did.",
    )


# ---------------------------------------------------------------------------------------
# The summary lines


def _summary(stats: dict[str, Any], journal_path: Path) -> Group:
    count = stats["sessions"]
    first = datetime.fromisoformat(stats["first"])
    last = datetime.fromisoformat(stats["last"])
    span = (
        f"on {first:%Y-%m-%d}"
        if first.date() == last.date()
        else f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    lines: list[RenderableType] = [Text(f"{_plural(count, 'session')} {span}", style="bold")]
    words = _filter_words(stats["filters"])
    if words:
        lines.append(_indent(Text(f"only sessions {words}", style="italic")))
    seconds = stats["total_seconds"]
    # Whole minutes are enough for hours on the mat; under an hour, say it exactly.
    total = format_duration(round(seconds / 60) * 60 if seconds >= 3600 else seconds)
    lines.append(
        _indent(Text(f"{total} on the mat, {format_duration(stats['mean_seconds'])} on average"))
    )
    endings = ", ".join(f"{n} {name}" for name, n in stats["ended"].items() if n)
    lines.append(_indent(Text(f"ended: {endings}")))
    streak = stats["streak"]
    lines.append(
        Text.assemble(
            "  streak: ",
            (f"{_plural(streak['current_days'], 'day')} now", "bold"),
            f", longest {_plural(streak['longest_days'], 'day')}",
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


def _filter_words(filters: dict[str, Any]) -> str:
    words = []
    if filters.get("last"):
        words.append(f"in the last {filters['last']} (since {filters['since']})")
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


def verdict(metric: dict[str, Any]) -> tuple[str, str]:
    """A few words on a metric's change, and a style; never more than the numbers say."""
    n = metric["n"]
    if n < MIN_N:
        return f"too little data (n={n})", "dim"
    low, high = metric["change_ci95"]
    if low <= 0 <= high:
        return "no clear change", ""
    arrow = "↓" if high < 0 else "↑"
    better = metric["better"]
    if better is None:  # a metric that is not in the config: no direction is "better"
        return f"{arrow} {'lower' if high < 0 else 'higher'}", ""
    good = (better == "lower") == (high < 0)
    return f"{arrow} {'better' if good else 'worse'}", "green" if good else "red"


def sentence(name: str, metric: dict[str, Any]) -> str:
    """ "pain fell by 2.1 points on average (95% CI 1.4 to 2.8, n=24)" and its kin."""
    n = metric["n"]
    if n < MIN_N:
        return f"{name}: too little data (n={n})"
    mean = metric["change_mean"]
    low, high = metric["change_ci95"]
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
        text += f"; it moved the better way in {better} of {n} sessions"
    return text


def _metric_table(stats: dict[str, Any], narrow: bool = False) -> Table:
    """One row per rating. Numbers never wrap: a narrow terminal drops two columns instead
    (the sentences below the table say the same), so the verdict is never squeezed out."""
    keep = [0, 1, 3, 5] if narrow else [0, 1, 2, 3, 4, 5]
    headers = ["rating", "n", "before→after", "change (95% CI)", "better", ""]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for i in keep:
        last = i == 5
        table.add_column(headers[i], justify="left" if i in (0, 5) else "right", no_wrap=not last)
    for name, m in stats["metrics"].items():
        if m["n"] == 0:  # a configured rating never given before and after: nothing to show
            continue
        words, style = verdict(m)
        interval = m["change_ci95"]
        change = _signed(m["change_mean"])
        if interval and m["n"] >= MIN_N:  # below that the interval is noise (JSON keeps it)
            change += f" ({_signed(interval[0])} to {_signed(interval[1])})"
        share = m["improved_share"]
        cells: list[str | Text] = [
            name,
            str(m["n"]),
            f"{_num(m['before_mean'])} → {_num(m['after_mean'])}",
            change,
            "–" if share is None else f"{round(share * m['n'])} of {m['n']}",
            Text(words, style=style),
        ]
        table.add_row(*(cells[i] for i in keep))
    return table


def _metric_sentences(stats: dict[str, Any]) -> list[Padding]:
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


def _sparklines(stats: dict[str, Any]) -> Group:
    recent = stats["recent"]
    seconds = recent["seconds"]
    rows: list[tuple[str, str, str]] = [
        (
            "minutes",
            sparkline(seconds),
            f"{format_duration(min(seconds))} to {format_duration(max(seconds))}",
        )
    ]
    for name, changes in recent["change"].items():
        present = [c for c in changes if c is not None]
        if len(present) < 2:
            continue
        rows.append(
            (
                f"{name} change",
                sparkline(changes),
                f"{_signed(min(present))} to {_signed(max(present))}",
            )
        )
    table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 0))
    table.add_column(style="bold")
    table.add_column()
    table.add_column(style="dim")
    for row in rows:
        table.add_row(*row)
    title = Text(f"The last {_plural(len(seconds), 'session')}, oldest first (blank: not rated)")
    return Group(title, table)


# ---------------------------------------------------------------------------------------
# Sleep and comparisons


def _sleep_line(stats: dict[str, Any]) -> Text:
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


def _mean_n(group: dict[str, Any]) -> str:
    mean = "–" if group["mean"] is None else _num(group["mean"])
    return f"{mean} (n={group['n']})"


def _comparison_table(stats: dict[str, Any], names: list[str]) -> Table:
    """Groups side by side, for the ratings with enough data overall to compare at all."""
    table = Table(
        title="Mean change by group (n: sessions; in brackets: those with both ratings)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("by", no_wrap=True)
    table.add_column("group", no_wrap=True)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("time", justify="right", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    for index, (dimension, groups) in enumerate(stats["comparisons"].items()):
        if index:
            table.add_section()
        label = dimension
        for value, group in groups.items():
            cells = []
            for name in names:
                m = group["metrics"][name]
                if m["n"] < MIN_N:
                    cells.append(Text(f"too few ({m['n']})", style="dim"))
                else:
                    cells.append(Text(f"{_signed(m['change_mean'])} ({m['n']})"))
            table.add_row(
                label,
                value,
                str(group["sessions"]),
                format_duration(group["mean_seconds"]),
                *cells,
            )
            label = ""
    return table


# ---------------------------------------------------------------------------------------
# Numbers as words


def _num(value: float) -> str:
    return f"{value:.1f}"


def _signed(value: float) -> str:
    text = f"{value:+.1f}"
    if text in ("+0.0", "-0.0"):
        return "0.0"
    return text.replace("-", "−")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")
