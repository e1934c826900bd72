"""config.toml: defaults and validation. A bad value names the file and the key."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any, Literal, TypeVar

from matlog.durations import parse_duration
from matlog.errors import ConfigError, UsageError
from matlog.lightclass import dataclass, field
from matlog.text import nfc

Better = Literal["lower", "higher"]
T = TypeVar("T")

DEFAULT_METRICS: dict[str, Better] = {"pain": "lower", "stress": "lower", "mood": "higher"}
AREAS = ("back", "neck", "feet", "hands")


@dataclass(frozen=True)
class PlanConfig:
    start_minutes: int = 5
    step_minutes: int = 1
    target_minutes: int = 20


@dataclass(frozen=True)
class Config:
    metrics: dict[str, Better] = field(default_factory=lambda: dict(DEFAULT_METRICS))
    area: str = "back"
    day_starts: time = time(4, 0)
    settle_seconds: int = 10
    after_timeout_seconds: int = 120
    bell: bool = True
    notify: bool = True
    sound_command: tuple[str, ...] = ()
    plan: PlanConfig = field(default_factory=PlanConfig)
    path: Path | None = None


EXAMPLE = """\
# matlog configuration; every key is optional.
area = "back"              # default --area: back, neck, feet, hands, or your own
day_starts = "04:00"       # a day runs from here to here: a 00:30 session counts for the evening
settle = "10s"             # default --settle: time to lie down before the countdown
after_timeout = "2m"       # no answer to the after-ratings for this long: log without them
bell = true                # ring the terminal bell
notify = true              # desktop notification (notify-send) where available
sound_command = ["paplay", "/usr/share/sounds/freedesktop/stereo/complete.oga"]

[metrics]                  # name = "lower" or "higher" (which way is better)
pain = "lower"
stress = "lower"
mood = "higher"

[plan]
start_minutes = 5
step_minutes = 1
target_minutes = 20        # 10–30
"""

_TOP_KEYS = {
    "area",
    "day_starts",
    "settle",
    "after_timeout",
    "bell",
    "notify",
    "sound_command",
    "metrics",
    "plan",
}
_PLAN_KEYS = {"start_minutes", "step_minutes", "target_minutes"}


def load_config(path: Path) -> Config:
    """The config at `path`, or the defaults if there is no file; ConfigError names a problem."""
    return _load(path, None)


def load_config_leniently(path: Path) -> tuple[Config, list[ConfigError]]:
    """For `start`: a config problem never stops a session (SPEC, "Promises about data").

    Each problem is collected (with its file and key) and the built-in value is used for
    that key alone; a file that cannot be read or parsed at all gives the built-in config.
    """
    problems: list[ConfigError] = []
    return _load(path, problems), problems


def _load(path: Path, problems: list[ConfigError] | None) -> Config:
    try:
        return _load_strictly(path, problems)
    except ConfigError as exc:
        if problems is None:
            raise
        problems.append(exc)  # the whole file: not read, not UTF-8, not TOML
        return Config(path=path)


def _load_strictly(path: Path, problems: list[ConfigError] | None) -> Config:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    import tomllib  # only with a config file: start-up time matters for every command

    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text", hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}: not valid TOML: {exc}", hint="see `matlog paths` and the README's Config"
        ) from None
    except (ValueError, RecursionError):  # a number of 4300+ digits, or nesting 1000 deep
        raise ConfigError(
            f"{path}: not a config: a number too long or brackets nested too deeply",
            hint="see the README's Config",
        ) from None
    return _from_doc(doc, path, problems)


def _from_doc(doc: dict[str, Any], path: Path, problems: list[ConfigError] | None) -> Config:
    """Strict (`problems` None): the first problem raises. Lenient: each problem is added to
    `problems` and that key keeps its built-in value."""

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}", hint="fix or delete that line for the default")

    def checked(parse: Callable[[], T], default: T) -> T:
        try:
            return parse()
        except ConfigError as exc:
            if problems is None:
                raise
            problems.append(exc)
            return default

    def no_unknown(keys: Any, known: set[str], prefix: str) -> None:
        for key in sorted(set(keys) - known):
            problem = bad(f"{prefix}{key}", f"unknown key (known: {', '.join(sorted(known))})")
            if problems is None:
                raise problem
            problems.append(problem)

    no_unknown(doc, _TOP_KEYS, "")

    def get(key: str, kind: type, default: Any) -> Any:
        value = doc.get(key, default)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise bad(key, f"expected {kind.__name__}, got {value!r}")
        return value

    def area() -> str:
        text = nfc(str(get("area", str, "back")).strip())
        if not text:
            raise bad("area", "must not be empty")
        return text

    def day_starts() -> time:
        text = get("day_starts", str, "04:00")
        try:
            return time.fromisoformat(text)
        except ValueError:
            raise bad("day_starts", f"expected HH:MM, got {text!r}") from None

    def duration(key: str, default: str, allow_zero: bool) -> Callable[[], int]:
        def parse() -> int:
            text = doc.get(key, default)
            if isinstance(text, int) and not isinstance(text, bool):
                text = str(text)
            if not isinstance(text, str):
                raise bad(key, f'expected a duration like "10s", got {text!r}')
            try:
                return parse_duration(text, what=key, allow_zero=allow_zero)
            except UsageError as exc:
                raise bad(key, exc.message) from None

        return parse

    def sound_command() -> tuple[str, ...]:
        sound = doc.get("sound_command", [])
        if isinstance(sound, str):
            try:
                sound = shlex.split(sound)
            except ValueError as exc:  # "No closing quotation"
                raise bad("sound_command", f"{exc}; or write a list of strings") from None
        if not isinstance(sound, list) or not all(isinstance(s, str) for s in sound):
            raise bad("sound_command", 'expected a list of strings, e.g. ["paplay", "bell.oga"]')
        return tuple(sound)

    def metric(name: str, better: Any) -> Callable[[], Better]:
        def parse() -> Better:
            if better not in ("lower", "higher"):
                raise bad(f"metrics.{name}", f'expected "lower" or "higher", got {better!r}')
            if not name.isidentifier() or name.lower() != name:
                raise bad(f"metrics.{name}", "metric names are lower-case words, e.g. pain")
            return better  # type: ignore[no-any-return]

        return parse

    metrics: dict[str, Better] = {}
    metrics_doc: dict[str, Any] = checked(lambda: get("metrics", dict, DEFAULT_METRICS), {})
    for name, better in metrics_doc.items():
        # Leniently, a bad entry keeps its built-in direction, or is left out if it has none.
        value = checked(metric(name, better), DEFAULT_METRICS.get(name))
        if value is not None:
            metrics[nfc(name)] = value
    if "metrics" in doc and not isinstance(doc["metrics"], dict):
        metrics = dict(DEFAULT_METRICS)

    plan_doc: dict[str, Any] = checked(lambda: get("plan", dict, {}), {})
    no_unknown(plan_doc, _PLAN_KEYS, "plan.")
    plan_values: dict[str, int] = {}
    limits = {"start_minutes": (1, 30), "step_minutes": (1, 10), "target_minutes": (10, 30)}
    for key, (low, high) in limits.items():

        def plan_value(key: str = key, low: int = low, high: int = high) -> int:
            value = plan_doc.get(key, getattr(PlanConfig, key))
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise bad(
                    f"plan.{key}", f"expected a whole number from {low} to {high}, got {value!r}"
                )
            return value

        plan_values[key] = checked(plan_value, getattr(PlanConfig, key))

    def plan_in_order() -> bool:
        if plan_values["start_minutes"] > plan_values["target_minutes"]:
            raise bad("plan.start_minutes", "must not be above plan.target_minutes")
        return True

    if not checked(plan_in_order, False):
        plan_values["start_minutes"] = PlanConfig.start_minutes
        plan_values["target_minutes"] = PlanConfig.target_minutes

    return Config(
        metrics=metrics,
        area=checked(area, "back"),
        day_starts=checked(day_starts, time(4, 0)),
        settle_seconds=checked(duration("settle", "10s", allow_zero=True), 10),
        after_timeout_seconds=checked(duration("after_timeout", "2m", allow_zero=False), 120),
        bell=checked(lambda: bool(get("bell", bool, True)), True),
        notify=checked(lambda: bool(get("notify", bool, True)), True),
        sound_command=checked(sound_command, ()),
        plan=PlanConfig(**plan_values),
        path=path,
    )
