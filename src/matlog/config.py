"""config.toml: defaults and validation. A bad value names the file and the key."""

from __future__ import annotations

import shlex
from datetime import time
from pathlib import Path
from typing import Any, Literal

from matlog.durations import parse_duration
from matlog.errors import ConfigError, UsageError
from matlog.lightclass import dataclass, field
from matlog.text import nfc

Better = Literal["lower", "higher"]

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
    """The config at `path`, or the defaults if there is no file."""
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
    return _from_doc(doc, path)


def _from_doc(doc: dict[str, Any], path: Path) -> Config:
    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(f"{path}: {key}: {why}", hint="fix or delete that line for the default")

    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise bad(unknown[0], f"unknown key (known: {', '.join(sorted(_TOP_KEYS))})")

    def get(key: str, kind: type, default: Any) -> Any:
        value = doc.get(key, default)
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise bad(key, f"expected {kind.__name__}, got {value!r}")
        return value

    area = nfc(get("area", str, "back").strip())
    if not area:
        raise bad("area", "must not be empty")

    day_starts_text = get("day_starts", str, "04:00")
    try:
        day_starts = time.fromisoformat(day_starts_text)
    except ValueError:
        raise bad("day_starts", f"expected HH:MM, got {day_starts_text!r}") from None

    def duration(key: str, default: str, allow_zero: bool) -> int:
        text = doc.get(key, default)
        if isinstance(text, int) and not isinstance(text, bool):
            text = str(text)
        if not isinstance(text, str):
            raise bad(key, f'expected a duration like "10s", got {text!r}')
        try:
            return parse_duration(text, what=key, allow_zero=allow_zero)
        except UsageError as exc:
            raise bad(key, exc.message) from None

    sound = doc.get("sound_command", [])
    if isinstance(sound, str):
        try:
            sound = shlex.split(sound)
        except ValueError as exc:  # "No closing quotation"
            raise bad("sound_command", f"{exc}; or write a list of strings") from None
    if not isinstance(sound, list) or not all(isinstance(s, str) for s in sound):
        raise bad("sound_command", 'expected a list of strings, e.g. ["paplay", "bell.oga"]')

    metrics_doc = get("metrics", dict, DEFAULT_METRICS)
    metrics: dict[str, Better] = {}
    for name, better in metrics_doc.items():
        if better not in ("lower", "higher"):
            raise bad(f"metrics.{name}", f'expected "lower" or "higher", got {better!r}')
        if not name.isidentifier() or name.lower() != name:
            raise bad(f"metrics.{name}", "metric names are lower-case words, e.g. pain")
        metrics[nfc(name)] = better

    plan_doc = get("plan", dict, {})
    unknown = sorted(set(plan_doc) - _PLAN_KEYS)
    if unknown:
        raise bad(f"plan.{unknown[0]}", f"unknown key (known: {', '.join(sorted(_PLAN_KEYS))})")
    plan_values: dict[str, int] = {}
    limits = {"start_minutes": (1, 30), "step_minutes": (1, 10), "target_minutes": (10, 30)}
    for key, (low, high) in limits.items():
        value = plan_doc.get(key, getattr(PlanConfig, key))
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise bad(f"plan.{key}", f"expected a whole number from {low} to {high}, got {value!r}")
        plan_values[key] = value
    if plan_values["start_minutes"] > plan_values["target_minutes"]:
        raise bad("plan.start_minutes", "must not be above plan.target_minutes")

    return Config(
        metrics=metrics,
        area=area,
        day_starts=day_starts,
        settle_seconds=duration("settle", "10s", allow_zero=True),
        after_timeout_seconds=duration("after_timeout", "2m", allow_zero=False),
        bell=get("bell", bool, True),
        notify=get("notify", bool, True),
        sound_command=tuple(sound),
        plan=PlanConfig(**plan_values),
        path=path,
    )
