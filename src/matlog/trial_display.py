"""The `matlog trial` screens as plain text: the same under NO_COLOR, in a pipe, in a file.

Values in, lines out; nothing here reads the journal or the clock.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date

from matlog.durations import format_duration
from matlog.records import MAX_PAIRS
from matlog.trial import (
    CAVEATS,
    MIN_PAIRS_FOR_5_PERCENT,
    SLEEP,
    WORTHWHILE_STEPS,
    OutcomeReport,
    Report,
    Status,
    verdict,
)

CONTROL_REST = (
    "On a control night, lie down in the same place, at the same time, for the same length, "
    "without the mat: start the session as usual (`matlog start`), with the same bells and "
    "ratings, and lie quietly on the floor or bed without it."
)
CONTROL_NONE = (
    "On a control night, have no session at all; rate your sleep the next morning as on "
    "every night (`matlog sleep N`)."
)
WIDTH = 41  # columns of the picture's scale


# The screens are words at most this wide, and narrower on a narrower terminal.
WIDEST = 88


def _wrap(width: int, text: str, indent: str = "") -> list[str]:
    import textwrap

    lines = textwrap.wrap(
        text,
        width,
        initial_indent=indent,
        subsequent_indent=indent,
        break_on_hyphens=False,  # a date (2026-11-20) is never split
        break_long_words=False,
    )
    return lines or [""]


def _fit(lines: Sequence[str], width: int) -> list[str]:
    """Each line that is wider than `width` wrapped, keeping its indent (table-like rows
    that are built to fit are left as they are)."""
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        out += _wrap(width, line.strip(), indent)
    return out


def _points(value: float) -> str:
    text = f"{value:.1f}".removesuffix(".0")
    return f"{text} point" if text == "1" else f"{text} points"


def _outcome_words(outcome: str, better: str | None) -> str:
    if outcome == SLEEP:
        return "sleep (the night's sleep rating, 0–10; higher is better)"
    way = f"; {better} is better" if better else ""
    return f"{outcome} (after − before in each session{way})"


# ---------------------------------------------------------------------------------------
# `trial start`


def design_screen(
    *,
    first_night: date,
    last_night: date,
    pairs: int,
    outcome: str,
    better: str | None,
    worthwhile: float,
    seconds: int,
    control: str,
    fingerprint: str,
    estimate: Mapping[float, int] | None,
    history: int,
    pairs_from_history: bool,
    width: int = WIDEST,
) -> str:
    width = min(width, WIDEST)
    nights = 2 * pairs
    lines = [
        "A randomised self-experiment: mat nights and control nights",
        "",
        f"  nights      {nights} ({pairs} pairs), from the night of {first_night:%a %Y-%m-%d} "
        f"to {last_night:%a %Y-%m-%d}",
        f"  outcome     {_outcome_words(outcome, better)}",
        f"  worthwhile  {_points(worthwhile)} in the better direction",
        f"  minutes     {format_duration(seconds)} every trial night, mat or control",
        f"  control     {control}",
        "",
        *_wrap(
            width,
            "Each pair of nights holds one mat night and one control night, in an order drawn "
            "at random. `matlog start` tells you each evening which it is; `matlog trial "
            "status` shows how it goes; the results wait for the last night.",
        ),
        "",
        *_wrap(width, CONTROL_NONE if control == "none" else CONTROL_REST),
        "",
    ]
    what = "sleep ratings" if outcome == SLEEP else f"sessions rated {outcome} before and after"
    if estimate is None:
        lines += _wrap(
            width,
            f"How many nights: not enough history to estimate ({history} earlier {what}; "
            f"5 are needed), so {pairs} pairs"
            + (" as asked." if not pairs_from_history and pairs != 14 else " (the default)."),
        )
    else:
        lines.append(f"How many nights, from the spread of your {history} earlier {what}")
        lines.append("(80% power to find the effect at a two-sided 5% level):")
        for step in WORTHWHILE_STEPS:
            need = estimate[step]
            mark = "  <- yours" if math.isclose(step, worthwhile) else ""
            # The estimate is capped at the most a trial takes: say so, not "60".
            most = " (the most a trial takes: it may need more)" if need >= MAX_PAIRS else ""
            lines.append(
                f"  worthwhile {step:g} point{'s' if step != 1 else ''}: {need} pairs, "
                f"{2 * need} nights{most}{mark}"
            )
        lines.append(
            f"Using {pairs} pairs" + (" (from this estimate)." if pairs_from_history else ".")
        )
        yours = next((n for w, n in estimate.items() if math.isclose(w, worthwhile)), None)
        if yours is not None and pairs < yours:
            lines += _wrap(
                width,
                f"That is fewer than the {yours} pairs that give 80% power for "
                f"{_points(worthwhile)}: a real effect of that size may well be missed.",
            )
    if pairs < MIN_PAIRS_FOR_5_PERCENT:
        lines += _wrap(
            width,
            f"Note: with fewer than {MIN_PAIRS_FOR_5_PERCENT} pairs the randomisation test can "
            "never reach p < 0.05, whatever the nights show.",
        )
    lines += [
        "",
        *_wrap(
            width,
            f"Fingerprint of this design: {fingerprint} (every report repeats it: note it "
            "down to show the design was fixed in advance).",
        ),
    ]
    return "\n".join(_fit(lines, width))


# ---------------------------------------------------------------------------------------
# `trial status`

_STRIP = {"done": "✓", "deviation": "!", "missed": "x", "to_come": "·", "not_run": "-"}


def strip(status: Status, width: int = WIDEST) -> list[str]:
    """One character per night, two weeks to a row after the row's first date (one week
    where two do not fit)."""
    rows = []
    nights = status["strip"]
    per_row = 14 if width >= 41 else 7
    for start in range(0, len(nights), per_row):
        chunk = nights[start : start + per_row]
        marks = []
        for night in chunk:
            mark = _STRIP[night["state"]]
            if night["state"] in ("done", "deviation") and night["drawn"]:
                mark = "M" if night["drawn"] == "mat" else "C"
                if night["state"] == "deviation":
                    mark = mark.lower()
            marks.append(mark)
        rows.append(f"  {chunk[0]['night']}  " + " ".join(marks))
    return rows


def status_screen(status: Status, width: int = WIDEST) -> str:
    width = min(width, WIDEST)
    trial = status["trial"]
    counts = status["nights"]
    lines = [
        f"Trial {trial['id']}: {trial['pairs']} pairs of nights, {trial['first_night']} to "
        f"{trial['last_night']}; outcome {trial['outcome']}"
        + (f"; stopped on {trial['stopped']}" if trial["stopped"] else ""),
        "",
    ]
    tonight = status["tonight"]
    if tonight is not None:
        what = (
            "mat"
            if tonight["condition"] == "mat"
            else (
                "control — no session tonight"
                if trial["control"] == "none"
                else "control — lie down in the same place, without the mat"
            )
        )
        done = f" (done: {tonight['done']})" if tonight["done"] else ""
        lines.append(f"Tonight: night {tonight['number']} of {tonight['of']}, {what}{done}.")
    elif status["over"]:
        lines.append("The trial is over: `matlog trial report` shows what it found.")
    else:
        lines.append(f"Tonight is not a trial night; the first is {trial['first_night']}.")
    lines += [
        f"Nights: {counts['done']} done as drawn, {counts['missed']} missed, "
        f"{_count(counts['deviations'], 'deviation')}, {counts['to_come']} to come"
        + (f", {counts['not_run']} not run (stopped)" if counts["not_run"] else "")
        + f", of {counts['planned']}.",
        "",
        *strip(status, width),
        "  M mat night, C control night (done as drawn); m, c: drawn so, the other was done",
        "  x missed; · to come; - not run (after a stop)",
        "",
        *(
            []
            if status["over"]
            else [
                "No effect estimate while the trial runs: looking early tempts stopping on a "
                "lucky streak."
            ]
        ),
        f"Fingerprint: {trial['fingerprint']}",
    ]
    return "\n".join(_fit(lines, width))


# ---------------------------------------------------------------------------------------
# `trial report`


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:+.{digits}f}"


def _p(value: float | None) -> str:
    if value is None:
        return "n/a"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def outcome_block(
    name: str, outcome: OutcomeReport, worthwhile: float, primary: bool, width: int = WIDEST
) -> list[str]:
    title = f"{'Primary' if primary else 'Secondary'} outcome: {name}"
    if not primary and not outcome["n_pairs"]:
        return [f"{title}: no complete pair of nights (not rated on both nights of any pair)"]
    ci = outcome["ci95"]
    interval = f"[{ci[0]:+.2f}, {ci[1]:+.2f}]" if ci else "n/a (fewer than 2 pairs)"
    lines = [
        title,
        f"  complete pairs  {outcome['n_pairs']}",
        f"  mat nights      mean {_plain(outcome['mat_mean'])}   control nights  mean "
        f"{_plain(outcome['control_mean'])}",
        f"  effect (mat − control)  {_number(outcome['effect'])}, 95% CI {interval}",
        f"  p (randomisation test)  {_p(outcome['p_randomisation'])}",
        f"  P(effect ≥ {_points(worthwhile)} better)  {_share(outcome['p_worthwhile'])}",
        f"  checks: lag-1 autocorrelation {_number(outcome['lag1_autocorrelation'])}; "
        f"first half {_number(outcome['first_half_effect'])}, second half "
        f"{_number(outcome['second_half_effect'])}",
    ]
    if outcome["missing_nights"]:
        lines += _wrap(width, "no value on: " + ", ".join(outcome["missing_nights"]), indent="  ")
    if not primary:  # the primary's verdict closes the report
        lines += _wrap(width, verdict(outcome, name, worthwhile), indent="  ")
    return lines


def _plain(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def picture(name: str, outcome: OutcomeReport, width: int = WIDEST) -> list[str]:
    """The d_k in time order on one scale, with their mean and its 95% interval below.

    Plain characters only: `●` a pair's d, `|` zero, `:` the mean; the last row draws the
    interval as `[====◆====]`.
    """
    differences = outcome["differences"]
    if not differences:
        return [f"No complete pair for {name} yet: nothing to draw."]
    values = [float(item["d"]) for item in differences]  # in pair order
    mean = outcome["effect"]
    ci = outcome["ci95"]
    edges = [*values, 0.0, *(ci or [])]
    bound = max(1.0, math.ceil(max(abs(v) for v in edges)))
    low, high = -bound, bound

    # The scale narrows with the terminal: the mean's row (its interval after the scale)
    # fits `width` down to a scale of 11 columns.
    scale = max(11, min(WIDTH, width - 44))

    def column(value: float) -> int:
        return round((value - low) / (high - low) * (scale - 1))

    zero = column(0.0)
    better = outcome["better"]
    side = "left" if better == "lower" else "right"
    lines = _wrap(
        width,
        f"d = {name} on the mat night − on the control night, pair by pair "
        f"({side} of | favours the mat)",
    )
    axis = [" "] * scale
    for value in (low, 0.0, high):
        label = f"{value:+g}" if value else "0"
        at = min(max(column(value) - len(label) // 2, 0), scale - len(label))
        axis[at : at + len(label)] = label
    lines.append(" " * 12 + "".join(axis))
    by_pair = {item["pair"]: item for item in differences}
    for pair in range(1, max(by_pair) + 1):
        item = by_pair.get(pair)
        if item is None:  # said in its place, never silently left out
            missing = "(not a complete pair: a night has no value)"
            if 12 + len(missing) > width:
                missing = "(no value)"
            lines.append(f"  pair {pair:>2}   {missing}")
            continue
        row = ["·"] * scale
        row[zero] = "|"
        if mean is not None:
            row[column(mean)] = ":"
        row[column(item["d"])] = "●"
        lines.append(f"  pair {pair:>2}   " + "".join(row) + f"  {item['d']:+d}")
    if mean is not None:
        row = [" "] * scale
        if ci is not None:
            for at in range(column(ci[0]), column(ci[1]) + 1):
                row[at] = "="
            row[column(ci[0])] = "["
            row[column(ci[1])] = "]"
        if row[zero] == " ":
            row[zero] = "|"
        row[column(mean)] = "◆"
        interval = f", 95% CI {ci[0]:+.2f} to {ci[1]:+.2f}" if ci else ""
        bar = "  mean      " + "".join(row)
        if len(bar) + 2 + len(f"{mean:+.2f}{interval}") <= width:
            lines.append(f"{bar}  {mean:+.2f}{interval}")
        else:  # too narrow for both on one row: the numbers under the bar
            lines += [bar, " " * 12 + f"{mean:+.2f}{interval}"]
    return lines


def report_screen(report: Report, metrics: Mapping[str, str], width: int = WIDEST) -> str:
    width = min(width, WIDEST)
    trial = report["trial"]
    nights = report["nights"]
    primary = report["primary"]
    lines = [
        f"Trial {trial['id']}: {trial['pairs']} pairs, {trial['first_night']} to "
        f"{trial['last_night']}, control {trial['control']}, "
        f"{format_duration(trial['seconds'])} a night",
    ]
    if trial["stopped"]:
        lines.append(f"Stopped early on {trial['stopped']}: this covers the nights so far.")
    if trial["unblinded"]:
        lines += _wrap(
            width,
            f"Looked at early: the results were first seen on {trial['unblinded']}, before "
            "the trial ended. Deciding to stop or go on from an early look makes a chance "
            "result likelier to be believed.",
        )
    if not report["over"]:
        lines.append("The trial is still running: this is an early look.")
    lines += [
        "",
        f"Nights: {nights['planned']} planned, {nights['done']} done as drawn, "
        f"{nights['missed']} missed, {_count(nights['deviations'], 'deviation')}, "
        f"{nights['complete_pairs']} complete pairs for {primary}"
        + (f", {nights['to_come']} to come" if nights["to_come"] else "")
        + (f", {nights['not_run']} not run" if nights["not_run"] else "")
        + ".",
    ]
    if nights["missed_nights"]:
        lines += _wrap(width, "Missed nights: " + ", ".join(nights["missed_nights"]), indent="  ")
    if nights["deviation_nights"]:
        words = [
            f"{d['night']} (drawn {d['drawn']}, done {d['done'] or 'no session'})"
            for d in nights["deviation_nights"]
        ]
        lines += _wrap(width, "Deviations, analysed as drawn: " + ", ".join(words), indent="  ")
    outcomes = report["outcomes"]
    lines += ["", *outcome_block(primary, outcomes[primary], trial["worthwhile"], True, width)]
    carry = report["carryover"]
    after_mat, after_control = carry["control_after_mat"], carry["control_after_control"]
    lines += _wrap(
        width,
        f"carry-over: control nights after a mat night mean {_plain(after_mat['mean'])} "
        f"(n {after_mat['n']}), after a control night {_plain(after_control['mean'])} "
        f"(n {after_control['n']})",
        indent="  ",
    )
    drawn = len(lines) + 1  # the picture's rows are built to fit: never rewrapped
    lines += ["", *picture(primary, outcomes[primary], width)]
    after_picture = len(lines)
    for name, outcome in outcomes.items():
        if name != primary:
            lines += ["", *outcome_block(name, outcome, trial["worthwhile"], False, width)]
    lines += [
        "",
        "Verdict: " + verdict(outcomes[primary], primary, trial["worthwhile"]),
        "",
        *_wrap(width, CAVEATS),
        "",
        f"Fingerprint: {trial['fingerprint']} (compare with the one `trial start` showed).",
    ]
    picture_lines = lines[drawn:after_picture]
    fitted = _fit(lines[:drawn], width) + picture_lines + _fit(lines[after_picture:], width)
    return "\n".join(fitted)
