"""Where matlog's files live: platformdirs, overridden by MATLOG_JOURNAL / MATLOG_CONFIG.

Lookup order for the journal: the global `--journal` option, then `MATLOG_JOURNAL`, then
`journal.toml` in the user data directory. For the config: `MATLOG_CONFIG`, then
`config.toml` in the user config directory. State (the running session, pending ratings)
and the cache of parsed records live in the user state and cache directories.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "matlog"


def _expand(value: str) -> Path:
    return Path(os.path.expandvars(value)).expanduser()


def journal_path(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return _expand(os.fspath(override))
    if env := os.environ.get("MATLOG_JOURNAL"):
        return _expand(env)
    return data_dir() / "journal.toml"


def config_path() -> Path:
    if env := os.environ.get("MATLOG_CONFIG"):
        return _expand(env)
    import platformdirs  # imported late: it costs start-up time every command would pay

    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def data_dir() -> Path:
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def state_dir() -> Path:
    import platformdirs

    return platformdirs.user_state_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    import platformdirs

    return platformdirs.user_cache_path(APP_NAME, appauthor=False)


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 if missing; an existing folder is left as it is."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path
