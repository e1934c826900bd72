"""Where matlog's files live: platformdirs, overridden by MATLOG_JOURNAL / MATLOG_CONFIG.

Lookup order for the journal: the global `--journal` option, then `MATLOG_JOURNAL`, then
`journal.toml` in the user data directory. For the config: `MATLOG_CONFIG`, then
`config.toml` in the user config directory. State (the running session, pending ratings)
and the cache of parsed records live in the user state and cache directories.

On Linux the four user directories follow the XDG Base Directory rules, worked out here as
platformdirs works them out (tests/test_paths.py checks that the answers agree): importing
platformdirs costs a large share of a bare Python start (bench/run.py), and every command
needs the state folder. Elsewhere (macOS, Windows) platformdirs answers.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "matlog"

# platformdirs' method, and the XDG variable and default under $HOME, per folder.
_XDG = {
    "data": ("user_data_path", "XDG_DATA_HOME", ".local/share"),
    "config": ("user_config_path", "XDG_CONFIG_HOME", ".config"),
    "state": ("user_state_path", "XDG_STATE_HOME", ".local/state"),
    "cache": ("user_cache_path", "XDG_CACHE_HOME", ".cache"),
}


def user_dir(kind: str) -> Path:
    """matlog's user folder of this kind: "data", "config", "state" or "cache"."""
    method, variable, default = _XDG[kind]
    if sys.platform.startswith("linux"):
        base = os.environ.get(variable, "")
        # Relative values are ignored, as the XDG spec (and platformdirs) says.
        if not os.path.isabs(base):
            base = os.path.join(_home(), default)
        return Path(base) / APP_NAME
    import platformdirs

    path: Path = getattr(platformdirs, method)(APP_NAME, appauthor=False)
    return path


def _home() -> str:
    home = os.environ.get("HOME", "")
    if os.path.isabs(home):
        return home
    import pwd  # no usable HOME: the account's own, as platformdirs does

    return pwd.getpwuid(os.getuid()).pw_dir


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser()


def journal_path(override: str | os.PathLike[str] | None = None) -> Path:
    """The journal, always absolute: `--journal j.toml` means this folder's j.toml for good.

    The path is stored in the state folder (a heartbeat, the rating owed) and read back by
    commands run elsewhere; a relative one would name another file there.
    """
    if override:
        return _expand(os.fspath(override)).absolute()
    if env := os.environ.get("MATLOG_JOURNAL"):
        return _expand(env).absolute()
    return data_dir() / "journal.toml"


def config_path() -> Path:
    if env := os.environ.get("MATLOG_CONFIG"):
        return _expand(env)
    return user_dir("config") / "config.toml"


def data_dir() -> Path:
    return user_dir("data")


def state_dir() -> Path:
    return user_dir("state")


def cache_dir() -> Path:
    return user_dir("cache")


def rescue_folders() -> list[Path]:
    """Where records the journal could not take are saved: the state folder, else /tmp."""
    import tempfile  # only here: its import costs every command start-up time

    return [state_dir() / "rescued", Path(tempfile.gettempdir())]


def ensure_private_dir(path: Path) -> Path:
    """Create `path` and any missing parents as 0700; existing folders are left as they are.

    `mkdir(parents=True)` would give the parents the umask's mode (often 0755 or, under
    umask 000, 0777); the XDG spec asks for 0700 for folders made for user data.
    """
    missing = []
    for folder in (path, *path.parents):
        if folder.is_dir():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
    return path
