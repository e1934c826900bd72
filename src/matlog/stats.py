"""The numbers behind `matlog stats`: records and "now" in, what `--json` prints out.

Pure and Rich-free (the display lives in `stats_display`). Built to stay fast on large
journals: one pass over the sessions folds each into a small "profile" tuple, counted in a
`Counter`; every mean, interval and comparison is then worked out from those counts, whose
number is bounded by the distinct (duration, labels, ratings) combinations, not by sessions.
`statistics` is not used: importing it costs more than the arithmetic here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from operator import attrgetter
from typing import TYPE_CHECKING, Any, TypedDict

from matlog.config import Better, Config
from matlog.errors import UsageError
from matlog.lightclass import dataclass
from matlog.plan import Ladder, advise
from matlog.records import ENDINGS, Ended, Session, Sleep
from matlog.tdist import t_critical
from matlog.text import nfc

if TYPE_CHECKING:
    from matlog.journal import Contents, Journal

FOLD_FORMAT = 6  # the shape of `Fold.to_state`; change it when the shape changes
MIN_N = 5  # below this many pairs the display says "too little data" (JSON keeps the numbers)
RECENT = 30  # sessions in the sparklines
WINDOW_DAYS = 28  # per_week looks back this far
DIMENSIONS = ("layer", "surface", "area", "tag", "length")
NOT_SET = "(not set)"

# ---------------------------------------------------------------------------------------
# Days


def day_shift(day_starts: time) -> timedelta:
    return timedelta(hours=day_starts.hour, minutes=day_starts.minute, seconds=day_starts.second)


def day_of(moment: datetime, day_starts: time) -> date:
    """The day a moment belongs to: a 00:30 session counts for the evening before.

    The arithmetic is on the moment's own wall clock (its stored offset), never the reader's
    zone, so a session logged at +02:00 keeps its day when read at -05:00 or after DST ends.
    """
    return (moment - day_shift(day_starts)).date()


# ---------------------------------------------------------------------------------------
# Filters


# ---------------------------------------------------------------------------------------
# The `stats --json` contract (SPEC.md "stats --json", then the extras the screen draws):
# `summary` builds it, `stats_display` reads it, `--json` prints it.


class ChangeJson(TypedDict):
    n: int
    before_mean: float | None
    after_mean: float | None
    change_mean: float | None
    change_ci95: list[float] | None  # [low, high]; None below n = 2
    improved_share: float | None


class MetricJson(ChangeJson):
    better: str | None  # "lower" or "higher"


class MeanJson(TypedDict):
    n: int
    mean: float | None


class SleepJson(TypedDict):
    with_session: MeanJson
    without_session: MeanJson


class StreakJson(TypedDict):
    current_days: int
    longest_days: int


class PlanJson(TypedDict):
    next_seconds: int


class FiltersJson(TypedDict):
    since: str | None
    until: str | None
    last: str | None
    tags: list[str]
    area: str | None


class RecentJson(TypedDict):
    seconds: list[int]  # the last sessions' lengths, oldest first
    change: dict[str, list[int | None]]  # per metric, after − before (None: not both)
    per_day_28: list[int]  # sessions on each of the last 28 days, oldest first


class StatsJson(TypedDict):
    sessions: int
    total_seconds: int
    mean_seconds: float | None
    ended: dict[Ended, int]
    first: str | None
    last: str | None
    streak: StreakJson
    per_week: float
    metrics: dict[str, MetricJson]
    sleep: SleepJson
    plan: PlanJson
    # Extras beyond SPEC.md's list: what the display draws, and what was asked for.
    journal_sessions: int
    control_sessions: int
    days_with_session: int
    comparisons: dict[str, dict[str, Any]]
    recent: RecentJson
    filters: FiltersJson
    today: str


@dataclass(frozen=True)
class Filters:
    since: date | None = None  # inclusive, on session days
    until: date | None = None  # inclusive
    tags: tuple[str, ...] = ()  # a session with any of them matches
    area: str | None = None
    last: str | None = None  # "30d" or "12w" (tidied), only to echo it back

    def to_json(self) -> FiltersJson:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "last": self.last,
            "tags": list(self.tags),
            "area": self.area,
        }


_LAST = re.compile(r"(\d+)\s*([dw]?)")  # the unit is checked on its own, to say so
_LAST_HINT = "write e.g. --last 30d (days) or --last 12w (weeks)"


def parse_filters(
    *,
    since: str | None = None,
    until: str | None = None,
    last: str | None = None,
    tags: Sequence[str] = (),
    area: str | None = None,
    today: date,
) -> Filters:
    """The command line's filters; a UsageError for anything that cannot be meant."""
    since_day = _parse_date(since, "--since")
    until_day = _parse_date(until, "--until")
    if last is not None:
        if since_day is not None:
            raise UsageError("use --since or --last, not both")
        m = _LAST.fullmatch(last.strip().lower())
        count = int(m[1]) if m else 0
        if m is not None and count < 1:
            raise UsageError(f"--last must be at least 1 day, got {last!r}", hint=_LAST_HINT)
        if m is None:
            raise UsageError(f"--last {last!r} is not a number of days or weeks", hint=_LAST_HINT)
        if not m[2]:  # 30 what? days, weeks or sessions: the SPEC writes 30d, so say which
            raise UsageError(
                f"--last {last!r} needs a unit: d for days or w for weeks", hint=_LAST_HINT
            )
        days = count * 7 if m[2] == "w" else count
        last = f"{count}{m[2]}"
        try:
            since_day = today - timedelta(days=days - 1)  # the last 30 days include today
        except OverflowError:  # before the year 1 (or more days than timedelta holds)
            raise UsageError(
                f"--last {last!r} reaches back before the calendar's first day", hint=_LAST_HINT
            ) from None
    if since_day and until_day and since_day > until_day:
        raise UsageError(f"--since {since_day} is after --until {until_day}")
    clean_tags = tuple(nfc(t.strip().lstrip("#")) for t in tags)
    if any(not t for t in clean_tags):
        raise UsageError("--tag must not be empty")
    if area is not None and not area.strip():
        raise UsageError("--area must not be empty")
    return Filters(since_day, until_day, clean_tags, nfc(area.strip()) if area else None, last)


def _parse_date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(
            f"{option} must be a date YYYY-MM-DD, got {text!r}", hint="e.g. 2026-11-01"
        ) from None


# ---------------------------------------------------------------------------------------
# Before/after pairs

Pair = tuple[str, int, int]  # (metric, before, after)


@dataclass(frozen=True)
class Change:
    n: int
    before_mean: float | None
    after_mean: float | None
    change_mean: float | None
    change_ci95: tuple[float, float] | None
    improved_share: float | None


# What a set of before/after pairs comes to, in sums that add up across sets: pairs, sum of
# befores, of afters, of changes, of squared changes, changes down, changes up.
Sums = list[int]


def add_pair(sums: Sums, before: int, after: int, count: int = 1) -> None:
    change = after - before
    sums[0] += count
    sums[1] += before * count
    sums[2] += after * count
    sums[3] += change * count
    sums[4] += change * change * count
    if change < 0:
        sums[5] += count
    elif change > 0:
        sums[6] += count


def add_sums(total: Sums, more: Sums) -> None:
    for i, value in enumerate(more):
        total[i] += value


def summarise(pairs: Iterable[tuple[int, int, int]], better: Better | None) -> Change:
    """Means and the 95% t-interval of after − before, from (before, after, count) triples."""
    sums = [0] * 7
    for before, after, count in pairs:
        add_pair(sums, before, after, count)
    return from_sums(sums, better)


def from_sums(sums: Sums, better: Better | None) -> Change:
    n, sum_before, sum_after, sum_change, sum_square, down, up = sums
    if n == 0:
        return Change(0, None, None, None, None, None)
    mean = sum_change / n
    interval = None
    if n >= 2:
        # Integer sums keep the variance exact (ratings are whole numbers 0-10).
        variance = max(n * sum_square - sum_change * sum_change, 0) / (n * (n - 1))
        half = t_critical(n - 1) * math.sqrt(variance / n)
        interval = (mean - half, mean + half)
    improved = down if better == "lower" else up
    return Change(
        n=n,
        before_mean=sum_before / n,
        after_mean=sum_after / n,
        change_mean=mean,
        change_ci95=interval,
        improved_share=improved / n if better else None,
    )


# ---------------------------------------------------------------------------------------
# The summary

# A session's labels, as the comparisons need them: layer, surface, area, tags, whole minutes.
Meta = tuple[str | None, str | None, str | None, tuple[str, ...], int]
# (index of the labels in `metas`, metric, before, after) -> how many sessions had exactly that.
Tally = dict[tuple[int, str, int, int], int]
# (index of the labels in `metas`, metric) -> the sums of its pairs.
SumsBy = dict[tuple[int, str], Sums]
# The first session and the most recent ones: (UTC timestamp, line in the file, started,
# seconds, before, after). Sessions are ordered by (timestamp, line): a total order, the same
# whether a journal is folded at once (no cache) or prefix then tail (warm), however many
# sessions share one second.
End = tuple[float, int, str, int, dict[str, int], dict[str, int]]


class Fold:
    """Sessions and sleeps reduced to counts, in any order: all that `summary` needs.

    `add` can be called again with more records (a journal's appended tail), and the state is
    plain values (`to_state`), so the stats cache can keep it between runs.
    """

    def __init__(self, day_starts: time, filters: Filters | None = None) -> None:
        self.shift = day_shift(day_starts)
        self.filters = filters or Filters()
        self.count = 0
        self.journal_sessions = 0  # before filtering
        self.control_sessions = 0  # a trial's control sessions: not mat sessions, left out
        self.total_seconds = 0
        self.ended = dict.fromkeys(ENDINGS, 0)
        self.per_day: dict[int, int] = {}  # day (ordinal) -> sessions
        # Days with any session in the date range, whatever its tags or area: for nights
        # "without" (only needed, and so only built, when tags or area narrow the selection).
        self.days_in_range: set[int] = set()
        # (dimension, group) -> [sessions, seconds]; dimensions are "all", the labels
        # (layer, surface, area, tag) and "minutes" (whole minutes, for short vs long).
        self.groups: dict[tuple[str, Any], list[int]] = {}
        self.group_sums: dict[tuple[str, Any, str], Sums] = {}  # (dimension, group, metric)
        self.first: End | None = None
        self.recent: list[End] = []  # the last RECENT, oldest first
        self.nights: dict[int, int] = {}  # night (ordinal) -> its latest rating in the file

    @property
    def narrowed(self) -> bool:
        return self.filters.area is not None or bool(self.filters.tags)

    def add(self, sessions: Iterable[Session], sleeps: Iterable[Sleep]) -> None:
        filters, shift = self.filters, self.shift
        since = filters.since.toordinal() if filters.since else None
        until = filters.until.toordinal() if filters.until else None
        # Compared in one form (NFC, see `text`), as grouped: old records may hold another.
        want_tags = {nfc(t).casefold() for t in filters.tags}
        want_area = nfc(filters.area).casefold() if filters.area else None
        narrowed = self.narrowed
        per_day, ended = self.per_day, self.ended
        tally: Tally = {}  # counted here, then added to `sums`: a dict per pair is cheapest
        # Sessions with the same labels are counted together first: far fewer of those.
        meta_index: dict[Meta, int] = {}
        metas: list[Meta] = []
        meta_sessions: list[int] = []
        meta_seconds: list[int] = []
        # Only sessions later than the RECENT-th latest so far can be recent.
        latest: list[End] = []
        floor = self.recent[0][:2] if len(self.recent) >= RECENT else (-math.inf, 0)
        first_ts = self.first[0] if self.first else math.inf
        # The one pass over every session: keep it lean, it is most of the time on big journals.
        # Plain dicts with .get, not Counter: Counter's __missing__ is Python code, 4x slower.
        for s in sessions:
            if s.condition == "control":
                # Not a mat session: in no figure, and its night counts as one without a
                # session for sleep (SPEC "During the trial").
                self.control_sessions += 1
                continue
            self.journal_sessions += 1
            day = (s.started - shift).toordinal()
            if (since is not None and day < since) or (until is not None and day > until):
                continue
            if narrowed:
                self.days_in_range.add(day)
            if want_area is not None and nfc(s.area or "").casefold() != want_area:
                continue
            if want_tags and not any(nfc(t).casefold() in want_tags for t in s.tags):
                continue
            self.count += 1
            per_day[day] = per_day.get(day, 0) + 1
            ended[s.ended] += 1
            seconds = s.actual_seconds
            self.total_seconds += seconds
            stamp = s.started.timestamp()
            before, after = s.before, s.after
            if not ("".join(before) + "".join(after)).isascii():
                before = {nfc(k): v for k, v in before.items()}
                after = {nfc(k): v for k, v in after.items()}
            if stamp >= floor[0] and (stamp, s.line) > floor:
                latest.append((stamp, s.line, s.started.isoformat(), seconds, before, after))
                if len(latest) >= 4 * RECENT:
                    latest = sorted(latest, key=_order)[-RECENT:]
                    floor = latest[0][:2]
            if stamp < first_ts:  # of equal ones, the first in the file
                first_ts = stamp
                self.first = (stamp, s.line, s.started.isoformat(), seconds, before, after)
            meta = (s.layer, s.surface, s.area, tuple(s.tags), seconds // 60)
            index = meta_index.get(meta)
            if index is None:
                index = meta_index[meta] = len(metas)
                # Grouped in one form: `café` in NFC and in NFD is one tag, one area.
                area = nfc(s.area) if s.area is not None else None
                metas.append((s.layer, s.surface, area, tuple(map(nfc, s.tags)), seconds // 60))
                meta_sessions.append(0)
                meta_seconds.append(0)
            meta_sessions[index] += 1
            meta_seconds[index] += seconds
            if before and after:
                for name, value in before.items():
                    later = after.get(name)
                    if later is not None:
                        key = (index, name, value, later)
                        tally[key] = tally.get(key, 0) + 1
        self.recent = sorted(self.recent + latest, key=_order)[-RECENT:]
        self._add_groups(metas, meta_sessions, meta_seconds, tally)
        # A night rated twice counts once, with its latest rating in the file.
        for sleep in sorted(sleeps, key=attrgetter("line")):
            self.nights[sleep.night.toordinal()] = sleep.rating

    def _add_groups(
        self, metas: list[Meta], meta_sessions: list[int], meta_seconds: list[int], tally: Tally
    ) -> None:
        by_meta: SumsBy = {}
        for (index, name, before_value, after_value), n in tally.items():
            sums = by_meta.get((index, name))
            if sums is None:
                sums = by_meta[index, name] = [0] * 7
            add_pair(sums, before_value, after_value, n)
        places: list[list[tuple[str, Any]]] = []
        for index, (layer, surface, area, tags, minutes) in enumerate(metas):
            where: list[tuple[str, Any]] = [
                ("all", ""),
                ("layer", layer or NOT_SET),
                ("surface", surface or NOT_SET),
                ("area", area or NOT_SET),
                *(("tag", tag) for tag in (dict.fromkeys(tags) or (NOT_SET,))),
                ("minutes", minutes),
            ]
            places.append(where)
            for place in where:
                group = self.groups.get(place)
                if group is None:
                    group = self.groups[place] = [0, 0]
                group[0] += meta_sessions[index]
                group[1] += meta_seconds[index]
        for (index, name), sums in by_meta.items():
            for dimension, label in places[index]:
                total = self.group_sums.get((dimension, label, name))
                if total is None:
                    total = self.group_sums[dimension, label, name] = [0] * 7
                add_sums(total, sums)

    def summary(self, config: Config, now: datetime, next_seconds: int) -> StatsJson:
        """Everything `matlog stats --json` prints (SPEC.md "stats --json", plus extras)."""
        today = (now - self.shift).toordinal()
        found = {name for dimension, _, name in self.group_sums if dimension == "all"}
        names = [*config.metrics, *sorted(found - set(config.metrics))]
        overall = {name: self.group_sums.get(("all", "", name), [0] * 7) for name in names}
        metrics = {
            name: MetricJson(
                **_change_json(from_sums(overall[name], config.metrics.get(name))),
                better=config.metrics.get(name),
            )
            for name in names
        }
        per_day = self.per_day
        window = [per_day.get(today - k, 0) for k in range(WINDOW_DAYS - 1, -1, -1)]
        current, longest = _streaks(sorted(per_day), per_day, today)
        count = self.count
        return {
            "sessions": count,
            "total_seconds": self.total_seconds,
            "mean_seconds": _round(self.total_seconds / count) if count else None,
            "ended": dict(self.ended),
            "first": self.first[2] if self.first else None,
            "last": self.recent[-1][2] if self.recent else None,
            "streak": {"current_days": current, "longest_days": longest},
            "per_week": sum(window) / (WINDOW_DAYS / 7),
            "metrics": metrics,
            "sleep": self._sleep(),
            "plan": {"next_seconds": next_seconds},
            # Extras beyond SPEC.md's list: what the display draws, and what was asked for.
            "journal_sessions": self.journal_sessions,
            "control_sessions": self.control_sessions,
            "days_with_session": len(per_day),
            "comparisons": _comparisons(self.groups, self.group_sums, names, config.metrics),
            "recent": _recent(self.recent, names, window),
            "filters": self.filters.to_json(),
            "today": date.fromordinal(today).isoformat(),
        }

    def _sleep(self) -> SleepJson:
        """Sleep on nights after a (selected) session vs nights with no session at all.

        With a tag or area filter, nights that had only other sessions are in neither group.
        """
        since, until = self.filters.since, self.filters.until
        low = since.toordinal() if since else -math.inf
        high = until.toordinal() if until else math.inf
        nights = self.nights
        if since or until:
            nights = {n: r for n, r in nights.items() if low <= n <= high}
        busy = self.days_in_range if self.narrowed else self.per_day
        with_session = [r for night, r in nights.items() if night in self.per_day]
        without = [r for night, r in nights.items() if night not in busy]
        return {
            "with_session": {"n": len(with_session), "mean": _mean(with_session)},
            "without_session": {"n": len(without), "mean": _mean(without)},
        }

    # The stats cache keeps folds between runs, as plain values.
    def to_state(self) -> tuple[Any, ...]:
        return (
            self.days_in_range,
            self.count,
            self.journal_sessions,
            self.total_seconds,
            self.ended,
            self.per_day,
            self.groups,
            self.group_sums,
            self.first,
            self.recent,
            self.nights,
            self.control_sessions,
        )

    @classmethod
    def from_state(
        cls, day_starts: time, state: tuple[Any, ...], filters: Filters | None = None
    ) -> Fold:
        fold = cls(day_starts, filters)
        (
            fold.days_in_range,
            fold.count,
            fold.journal_sessions,
            fold.total_seconds,
            fold.ended,
            fold.per_day,
            fold.groups,
            fold.group_sums,
            fold.first,
            fold.recent,
            fold.nights,
            fold.control_sessions,
        ) = state
        return fold


class StatsFolder:
    """How the stats cache summarises a whole journal: a `Fold` and the plan's `Ladder`.

    A tail whose sessions start before the last one folded would change the ladder's walk:
    `add` refuses it, and the journal is folded again from the start.

    Filtered stats keep a fold of their own, one file per spelling of the filters (`--tag
    bedtime`, `--last 30d`): the file is replaced when what it means changes (`--last 30d`
    from tomorrow on), so the cache holds one file per filter in use, not one per day.
    """

    def __init__(self, config: Config, filters: Filters | None = None) -> None:
        self.config = config
        self.filters = filters or Filters()
        self.name = "stats"
        if self.filters != Filters():
            try:  # as in the journal's cache: hashlib would load OpenSSL for this
                from _blake2 import blake2b
            except ImportError:  # pragma: no cover - other Pythons
                from hashlib import blake2b
            f = self.filters
            spelling = repr((f.tags, f.area, f.last or f.since, f.until))
            digest = blake2b(spelling.encode(errors="surrogateescape"), digest_size=8)
            self.name = f"stats-filtered-{digest.hexdigest()}"

    def key(self) -> tuple[Any, ...]:
        day_starts = self.config.day_starts.isoformat()
        plan_config = self.config.plan
        return (
            FOLD_FORMAT,
            day_starts,
            (plan_config.start_minutes, plan_config.step_minutes, plan_config.target_minutes),
            repr(self.filters.to_json()),
        )

    def modules(self) -> tuple[Any, ...]:
        import sys

        from matlog import plan

        return (sys.modules[__name__], plan)

    def start(self) -> tuple[Fold, Ladder]:
        return Fold(self.config.day_starts, self.filters), Ladder(self.config.plan)

    def add(self, summary: tuple[Fold, Ladder], contents: Contents) -> bool:
        fold, ladder = summary
        ordered = sorted(contents.sessions, key=attrgetter("started"))
        if ordered and ladder.previous is not None and ordered[0].started < ladder.previous:
            return False
        fold.add(contents.sessions, contents.sleeps)
        ladder.walk(ordered)
        return True

    def dump(self, summary: tuple[Fold, Ladder]) -> Any:
        return (summary[0].to_state(), summary[1].to_state())

    def load(self, state: Any) -> tuple[Fold, Ladder]:
        return (
            Fold.from_state(self.config.day_starts, state[0], self.filters),
            Ladder.from_state(self.config.plan, state[1]),
        )


def report(
    journal: Journal, config: Config, now: datetime, filters: Filters | None = None
) -> StatsJson:
    """`compute` for the journal, through the stats cache: a journal of a decade costs its
    appended tail, not its length (filtered too: see `StatsFolder`)."""
    folder = StatsFolder(config, filters)
    fold, ladder = journal.fold(folder) or folder.start()
    return fold.summary(config, now, ladder.advice(now).next_seconds)


def _order(end: End) -> tuple[float, int]:
    return end[0], end[1]


def compute(
    sessions: Sequence[Session],
    sleeps: Sequence[Sleep],
    config: Config,
    now: datetime,
    filters: Filters | None = None,
) -> StatsJson:
    """Everything `matlog stats --json` prints, from records (the plan from all sessions)."""
    fold = Fold(config.day_starts, filters)
    fold.add(sessions, sleeps)
    return fold.summary(config, now, advise(sessions, config.plan, now).next_seconds)


def _change_json(change: Change) -> ChangeJson:
    return {
        "n": change.n,
        "before_mean": _round(change.before_mean),
        "after_mean": _round(change.after_mean),
        "change_mean": _round(change.change_mean),
        "change_ci95": [round(v, 3) for v in change.change_ci95] if change.change_ci95 else None,
        "improved_share": _round(change.improved_share),
    }


def _streaks(days: list[int], per_day: dict[int, int], today: int) -> tuple[int, int]:
    """(current, longest) runs of consecutive days; the current one may end yesterday."""
    longest = run = 0
    previous = -2  # no day yet: the first day starts a run
    for day in days:
        run = run + 1 if day - previous == 1 else 1
        if run > longest:
            longest = run
        previous = day
    day = today if today in per_day else today - 1
    current = 0
    while day in per_day:
        current += 1
        day -= 1
    return current, longest


def _comparisons(
    groups: dict[tuple[str, Any], list[int]],
    group_sums: dict[tuple[str, Any, str], Sums],
    names: list[str],
    configured: dict[str, Better],
) -> dict[str, dict[str, Any]]:
    """Per layer, surface, area, tag and short/long: sessions and each metric's change.

    A dimension appears only where the data has two or more groups to compare. A session
    with two tags counts in both tags' groups.
    """
    by_dimension: dict[str, dict[str, tuple[list[int], dict[str, Sums]]]] = {}
    for (dimension, label), counts in groups.items():
        if dimension in ("layer", "surface", "area", "tag"):
            sums = {name: group_sums.get((dimension, label, name), [0] * 7) for name in names}
            by_dimension.setdefault(dimension, {})[label] = (counts, sums)
    minutes = {
        label: counts[0] for (dimension, label), counts in groups.items() if dimension == "minutes"
    }
    short_below = _length_split(minutes)
    if short_below is not None:
        lengths: dict[str, tuple[list[int], dict[str, Sums]]] = {}
        for label in minutes:
            group = f"< {short_below}m" if label < short_below else f"≥ {short_below}m"
            counts, sums = lengths.setdefault(group, ([0, 0], {n: [0] * 7 for n in names}))
            add_sums(counts, groups["minutes", label])
            for name in names:
                add_sums(sums[name], group_sums.get(("minutes", label, name), [0] * 7))
        by_dimension["length"] = lengths
    out: dict[str, dict[str, Any]] = {}
    for dimension in DIMENSIONS:
        found = by_dimension.get(dimension, {})
        if len(found) < 2:
            continue
        # Biggest groups first, "(not set)" last; short before long; ties by name, so the
        # order never depends on which records were folded first.
        order = sorted(
            found, key=lambda g: (g == NOT_SET, not g.startswith("<"), -found[g][0][0], g)
        )
        out[dimension] = {
            group: {
                "sessions": found[group][0][0],
                "mean_seconds": _round(found[group][0][1] / found[group][0][0]),
                "metrics": {
                    name: _change_json(from_sums(found[group][1][name], configured.get(name)))
                    for name in names
                },
            }
            for group in order
        }
    return out


def _length_split(by_minutes: dict[int, int]) -> int | None:
    """Whole minutes: shorter than the (upper) median is "short"; None if all are alike."""
    if len(by_minutes) < 2:
        return None
    ordered = sorted(by_minutes)
    half = sum(by_minutes.values()) // 2 + 1  # the upper median: halves for even counts
    seen = 0
    for minutes in ordered:
        seen += by_minutes[minutes]
        if seen >= half:
            # The median itself goes to "long", unless nothing would then be "short".
            return minutes if minutes != ordered[0] else ordered[1]
    return None  # pragma: no cover - the loop always reaches half


def _recent(latest: list[End], names: list[str], window: list[int]) -> RecentJson:
    """The last RECENT sessions, oldest first, for the sparklines; and sessions per day."""
    return {
        "seconds": [end[3] for end in latest],
        "change": {
            name: [
                after[name] - before[name] if name in before and name in after else None
                for _, _, _, _, before, after in latest
            ]
            for name in names
        },
        "per_day_28": window,
    }


def _mean(values: Sequence[int]) -> float | None:
    return _round(sum(values) / len(values)) if values else None


def _round(value: float | None) -> float | None:
    # Ratings are whole numbers 0-10: three decimals are more than the data can say.
    return None if value is None else round(value, 3)
