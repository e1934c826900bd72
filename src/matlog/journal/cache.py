"""A cache of the journal's parsed records: reading never re-parses what was parsed before.

A helper of `store`, which alone reads the journal's bytes and hands them here. The journal
stays the source of truth: the cache is a memo of one fact, "the first SIZE bytes of this
journal, whose BLAKE2b digest is DIGEST, parse without a problem to these records", and it is
used only after the journal's current bytes have been hashed and found to start with exactly
those SIZE bytes. Size and mtime are never trusted alone: a hand edit that keeps both (one
digit changed) changes the digest. A sync tool that replaces the file (new inode, same bytes)
changes nothing that matters; different bytes change the digest. Deleting the cache, or any
cache file that is unreadable, torn, corrupt or written by another matlog, Python or version
of the parsing code, only costs a full parse.

What follows the cached prefix (the "tail", e.g. a session appended by `matlog start` or by
matlog on another device through a sync tool) is parsed on its own and added to the cached
records only when that provably gives what a full parse would; otherwise the whole file is
parsed again. The rule:

* the prefix ends with a newline, so the tail starts a line;
* JSON Lines: every line stands alone, so the tail's records are the file's last records,
  their line numbers shifted by the prefix's line count;
* TOML: the tail's first line that is not blank or a comment is a `[[session]]`,
  `[[sleep]]` or `[[trial]]` header, so none of its keys can land in the prefix's last
  table; the tail parses on its own with no top-level key but those three; and the
  prefix's tables of those names are arrays of tables that a `[[...]]` header may extend
  (not a static array `session = [...]` nor a `[session]` table). `parse.parse` learns
  that last fact while parsing the prefix by parsing it with the three headers added
  (see `toml._load_toml`): that parses if and only if the prefix parses and all can be
  appended to. Line numbers of the tail's records are shifted by the prefix's line count;
  the prefix's and the tail's own `[[...]]` header lines must each number exactly their
  tables, so that a full parse would give the tail's tables the same header lines.

Problems are never cached: a tail with any problem, and any journal with one, is parsed in
full, so every problem comes from a real parse of the real bytes with its real line. The rule
relies on `parse.parse` judging each record on its own (no check across records).

The cache file lives in the user cache folder (0700), is private (0600), and is replaced
atomically. It holds plain values only (marshal, behind a digest of its own).
"""

from __future__ import annotations

import contextlib
import gc
import marshal
import os
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Protocol, TypeVar

from matlog import __version__, paths, records
from matlog.journal import fields as record_fields
from matlog.journal import jsonl, toml
from matlog.journal.fields import Contents, Kind, ParseFacts, Problem
from matlog.journal.parse import FORMATS, parse
from matlog.lightclass import dataclass, field, fields
from matlog.privatefiles import replace_atomically
from matlog.records import Record, Session, Sleep

try:  # hashlib would also load OpenSSL (start-up time) for a digest it gets from here
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Pythons
    from hashlib import blake2b

FORMAT = 1
T = TypeVar("T")
MAGIC = b"matlog-cache\n"
DIGEST_SIZE = 32

_SESSION_REST = fields(Session)[1:]  # every field after `started`
_SLEEP_REST = fields(Sleep)[1:]  # every field after `night`
assert fields(Session)[0] == "started" and fields(Sleep)[0] == "night"
_SESSION_EXTRA = _SESSION_REST.index("extra")
_SLEEP_EXTRA = _SLEEP_REST.index("extra")
_INTERNED = ("ended", "area", "layer", "surface")

# The tail's first significant line must be one of these (bytes, with its line ending).


@dataclass
class Entry:
    """What the cache knows: the first `size` bytes hash to `digest` and parse to these."""

    size: int
    digest: bytes
    lines: int  # newlines in the prefix
    appendable: bool  # the tail rule may be used after this prefix
    starts: list[str]  # sessions' `started`, ISO 8601
    sessions: list[tuple[Any, ...]]  # the other fields, in dataclass order
    nights: list[str]
    sleeps: list[tuple[Any, ...]]
    special: list[int]  # sessions (>= 0) and sleeps (~index) whose `extra` holds dates
    # Trials, rare (one per self-experiment), as (line, their fields as `record_to_dict`
    # gives them, dates tagged): read back through the parser's own validation.
    trials: list[tuple[int, Any]] = field(default_factory=list)

    def to_contents(self, size: int) -> Contents:
        contents = Contents(exists=True, size=size)
        fromiso = datetime.fromisoformat
        contents.sessions = [
            Session(fromiso(s), *row) for s, row in zip(self.starts, self.sessions, strict=True)
        ]
        day = date.fromisoformat
        contents.sleeps = [
            Sleep(day(n), *row) for n, row in zip(self.nights, self.sleeps, strict=True)
        ]
        for index in self.special:
            record: Record = contents.sessions[index] if index >= 0 else contents.sleeps[~index]
            record.extra = _decode(record.extra)
        contents.trials = [record_fields.trial_from_dict(_decode(v), n) for n, v in self.trials]
        return contents

    def extend(
        self, contents: Contents, size: int, digest: bytes, lines: int, appendable: bool
    ) -> Entry:
        entry = Entry(
            size,
            digest,
            self.lines + lines,
            appendable,
            list(self.starts),
            list(self.sessions),
            list(self.nights),
            list(self.sleeps),
            list(self.special),
            list(self.trials),
        )
        entry.add(contents)
        return entry

    def add(self, contents: Contents) -> None:
        for session in contents.sessions:
            row = [getattr(session, name) for name in _SESSION_REST]
            row[_SESSION_EXTRA], special = _encode_extra(session.extra)
            if special:
                self.special.append(len(self.sessions))
            for name in _INTERNED:
                value = getattr(session, name)
                if value is not None:
                    row[_SESSION_REST.index(name)] = sys.intern(value)
            row[_SESSION_REST.index("tags")] = [sys.intern(t) for t in session.tags]
            for name in ("before", "after"):
                ratings = getattr(session, name)
                row[_SESSION_REST.index(name)] = {sys.intern(k): v for k, v in ratings.items()}
            self.starts.append(session.started.isoformat())
            self.sessions.append(tuple(row))
        for sleep in contents.sleeps:
            row = [getattr(sleep, name) for name in _SLEEP_REST]
            row[_SLEEP_EXTRA], special = _encode_extra(sleep.extra)
            if special:
                self.special.append(~len(self.sleeps))
            self.nights.append(sleep.night.isoformat())
            self.sleeps.append(tuple(row))
        for trial in contents.trials:
            values, _ = _encode_extra(record_fields.record_to_dict(trial))
            self.trials.append((trial.line, values))


# Values marshal cannot hold (TOML dates and times in unknown fields) are written as tagged
# tuples: neither TOML nor JSON ever gives a tuple, so a tuple is always one of these.
def _encode_extra(extra: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if not extra:
        return extra, False
    found = [False]

    def encode(value: Any) -> Any:
        if isinstance(value, datetime):
            found[0] = True
            return ("datetime", value.isoformat())
        if isinstance(value, date):
            found[0] = True
            return ("date", value.isoformat())
        if isinstance(value, time):
            found[0] = True
            return ("time", value.isoformat())
        if isinstance(value, list):
            return [encode(v) for v in value]
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        return value

    encoded = encode(extra)
    return encoded, found[0]


def _decode(value: Any) -> Any:
    if isinstance(value, tuple):
        kind, text = value
        if kind == "datetime":
            return datetime.fromisoformat(text)
        return date.fromisoformat(text) if kind == "date" else time.fromisoformat(text)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------------
# Reading with the cache


@dataclass
class Known:
    """The cache entry that holds for some bytes (None: none could be made)."""

    file: Path
    entry: Entry | None
    hasher: Any  # blake2b of the bytes the entry covers, ready to be extended
    bare: bool = False  # the entry is a proof without records (the prefix file)


def read(
    data: bytes, path: Path, real_path: Path, kind: Kind
) -> tuple[Contents, list[Problem], Known]:
    """What `parse(data, path, kind)` returns, re-using what was parsed before."""
    # Tens of thousands of new objects, none of them garbage: the cyclic collector would
    # only walk them again and again (about a third of the time of a large read).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _read(data, path, real_path, kind)
    finally:
        if enabled:
            gc.enable()


def check(data: bytes, path: Path, real_path: Path, kind: Kind) -> tuple[list[Problem], Known]:
    """The problems `parse` finds in `data`, without building records the cache has.

    For an append, which only needs to know that the journal parses.
    """
    # An append needs only the proof that the journal parses, which a small file of its own
    # gives (the records cache's size, digest and line count, without the records): loading
    # a decade of records to add one would make appending slower as the journal grows.
    prefix = _prefix_file(real_path, kind)
    entry = _load(prefix, kind)
    hasher = _proof(entry, data)
    if entry is not None and hasher is not None:
        if entry.size < len(data):
            entry = _bare(_extend(entry, hasher, data, path, kind))
        if entry is not None:
            return [], Known(prefix, entry, hasher, bare=True)
    enabled = gc.isenabled()
    gc.disable()
    try:
        _, problems, known = _read(data, path, real_path, kind, build=False)
    finally:
        if enabled:
            gc.enable()
    return problems, Known(prefix, _bare(known.entry), known.hasher, bare=True)


def _proof(entry: Entry | None, data: bytes) -> Any:
    """The hasher of `data`'s first `entry.size` bytes if they are the entry's; else None."""
    if entry is None or entry.size > len(data):
        return None
    hasher = blake2b(memoryview(data)[: entry.size], digest_size=DIGEST_SIZE)
    return hasher if hasher.digest() == entry.digest else None


def _bare(entry: Entry | None) -> Entry | None:
    """The entry's proof (size, digest, lines) without its records."""
    if entry is None:
        return None
    return Entry(entry.size, entry.digest, entry.lines, entry.appendable, [], [], [], [], [])


def _prefix_file(real_path: Path, kind: Kind) -> Path:
    return _file(real_path, kind, "prefix")


def _read(
    data: bytes, path: Path, real_path: Path, kind: Kind, build: bool = True
) -> tuple[Contents, list[Problem], Known]:
    file = cache_file(real_path, kind)
    entry = _load(file, kind)
    hasher = _proof(entry, data)
    if entry is None or hasher is None:
        return _full(data, path, kind, file)
    if entry.size < len(data):
        extended = _extend(entry, hasher, data, path, kind)
        if extended is None:
            return _full(data, path, kind, file)
        _save(file, kind, extended)
        entry = extended
    built = entry.to_contents(len(data)) if build else Contents(exists=True, size=len(data))
    return built, [], Known(file, entry, hasher)


def after_append(known: Known, data: bytes, path: Path, kind: Kind) -> None:
    """The journal's bytes are now `data`, the bytes `known` covered plus an appended tail."""
    if known.entry is None:
        return
    try:
        extended = _extend(known.entry, known.hasher.copy(), data, path, kind)
        if known.bare:
            extended = _bare(extended)
        if extended is not None:
            _save(known.file, kind, extended)
    except Exception:  # the record is written: a cache is never worth failing it
        return


def _full(data: bytes, path: Path, kind: Kind, file: Path) -> tuple[Contents, list[Problem], Known]:
    facts = ParseFacts()
    contents, problems = parse(data, path, kind, facts)
    if problems or not data:
        return contents, problems, Known(file, None, None)
    hasher = blake2b(data, digest_size=DIGEST_SIZE)
    entry = Entry(
        size=len(data),
        digest=hasher.digest(),
        lines=data.count(b"\n"),
        appendable=_appendable(data, kind, facts),
        starts=[],
        sessions=[],
        nights=[],
        sleeps=[],
        special=[],
    )
    entry.add(contents)
    _save(file, kind, entry)
    return contents, problems, Known(file, entry, hasher)


def _appendable(data: bytes, kind: Kind, facts: ParseFacts) -> bool:
    return data.endswith(b"\n") and FORMATS[kind].takes_appends(facts)


def _extend(entry: Entry, hasher: Any, data: bytes, path: Path, kind: Kind) -> Entry | None:
    """The entry for all of `data`, whose first `entry.size` bytes it covers; None if unsure."""
    if not entry.appendable:
        return None
    tail = data[entry.size :]
    facts = ParseFacts()
    contents, problems = parse(tail, path, kind, facts)
    if problems or not FORMATS[kind].tail_stands_alone(tail, facts):
        return None
    for record in contents.records:
        record.line += entry.lines
    hasher.update(tail)
    return entry.extend(
        contents,
        size=len(data),
        digest=hasher.digest(),
        lines=tail.count(b"\n"),
        appendable=_appendable(tail, kind, facts) if tail else entry.appendable,
    )


# ---------------------------------------------------------------------------------------
# The cache file


def cache_file(real_path: Path, kind: Kind) -> Path:
    return _file(real_path, kind, "journal")


def _file(real_path: Path, kind: Kind, name: str) -> Path:
    """The cache folder's file `name` for this journal (named by a hash of its real path)."""
    digest = blake2b(f"{kind}\0{real_path}".encode(errors="surrogateescape"), digest_size=10)
    return paths.cache_dir() / f"{name}-{digest.hexdigest()}.cache"


def _key(kind: Kind) -> tuple[Any, ...]:
    """Everything the cached values depend on besides the journal's bytes."""
    return (
        FORMAT,
        __version__,
        sys.version,
        kind,
        _SESSION_REST,
        _SLEEP_REST,
        source_stamps(record_fields, toml, jsonl, records, *_own_modules()),
    )


def _own_modules() -> tuple[Any, ...]:
    # By name: `parse` the function may be wrapped (tests spy on it); the module is not.
    return sys.modules["matlog.journal.parse"], sys.modules[__name__]


def _load(file: Path, kind: Kind) -> Entry | None:
    values = _load_blob(file, _key(kind))
    try:
        return None if values is None else Entry(*values)
    except TypeError:
        return None


def _save(file: Path, kind: Kind, entry: Entry) -> None:
    _save_blob(file, _key(kind), _values(entry))


def _load_blob(file: Path, key: tuple[Any, ...]) -> Any:
    """The values saved under `key`, or None (no file, another key, torn or damaged)."""
    try:
        with open(file, "rb") as handle:
            blob = handle.read()
    except OSError:
        return None
    head = len(MAGIC) + DIGEST_SIZE
    if not blob.startswith(MAGIC) or len(blob) < head:
        return None
    body = memoryview(blob)[head:]
    if blake2b(body, digest_size=DIGEST_SIZE).digest() != blob[len(MAGIC) : head]:
        return None  # torn or damaged
    try:
        saved_key, values = marshal.loads(body)  # noqa: S302 - our own private file, digest-checked
    except (ValueError, TypeError, EOFError):
        return None
    return values if saved_key == key else None


def _save_blob(file: Path, key: tuple[Any, ...], values: Any) -> None:
    """Write the cache atomically; a cache that cannot be written is simply not there."""
    body = marshal.dumps((key, values))
    blob = MAGIC + blake2b(body, digest_size=DIGEST_SIZE).digest() + body
    # Not durable (no fsync): a cache lost to a power cut costs one full parse.
    with contextlib.suppress(OSError):
        paths.ensure_private_dir(file.parent)
        replace_atomically(file, blob, durable=False)


# ---------------------------------------------------------------------------------------
# Folds: a running summary of the records, kept like the records themselves


def fold(
    data: bytes,
    path: Path,
    real_path: Path,
    kind: Kind,
    folder: Folder[T],
) -> tuple[T | None, list[Problem]]:
    """`folder`'s summary of all records in `data`, re-using the summary of a prefix.

    Kept in a file of its own, as small as the summary, so a large journal's records need
    not be loaded at all: the saved summary covers the first SIZE bytes (by digest, as for
    the records), and only the tail is parsed (by the same rule) and folded in. Anything
    else, or a tail the folder refuses (e.g. out of time order), means the whole journal
    is read (through the records cache) and folded again.
    """
    file = _file(real_path, kind, folder.name)
    # The folder's own code changing invalidates what it summarised: the cache stamps it.
    key = (_key(kind), folder.key(), source_stamps(*folder.modules()))
    saved = _load_blob(file, key)
    if saved is not None:
        try:
            size, digest, lines, appendable, state = saved
            entry = Entry(size, digest, lines, appendable, [], [], [], [], [])
            hasher = _proof(entry, data)
            if hasher is not None:
                summary = folder.load(state)
                if size == len(data):
                    return summary, []
                extended = _extend(entry, hasher, data, path, kind)
                if extended is not None and folder.add(summary, extended.to_contents(len(data))):
                    _save_fold(file, key, extended, folder.dump(summary))
                    return summary, []
        except (ValueError, TypeError, KeyError, IndexError):
            pass  # a summary of an older shape: fold again
    contents, problems, known = read(data, path, real_path, kind)
    if problems:
        return None, problems
    summary = folder.start()
    folder.add(summary, contents)
    if known.entry is not None:
        _save_fold(file, key, known.entry, folder.dump(summary))
    return summary, []


class Folder(Protocol[T]):
    """How to summarise records: `add` returns False if it cannot take these (then: refold)."""

    name: str

    def key(self) -> tuple[Any, ...]:
        """Everything besides the records and the code that the summary depends on."""
        ...

    def modules(self) -> tuple[Any, ...]:
        """The modules whose code makes the summary: a change to them means a refold."""
        ...

    def start(self) -> T: ...

    def add(self, summary: T, contents: Contents) -> bool: ...

    def dump(self, summary: T) -> Any: ...

    def load(self, state: Any) -> T: ...


def _save_fold(file: Path, key: tuple[Any, ...], entry: Entry, state: Any) -> None:
    _save_blob(file, key, (entry.size, entry.digest, entry.lines, entry.appendable, state))


def source_stamps(*modules: Any) -> tuple[Any, ...]:
    """Size and mtime of the modules' files: their code changing invalidates what they made."""
    stamps = []
    for module in modules:
        with contextlib.suppress(OSError, TypeError):
            info = os.stat(module.__file__ or "")
            stamps.append((info.st_size, info.st_mtime_ns))
    return tuple(stamps)


def _values(entry: Entry) -> tuple[Any, ...]:
    return (
        entry.size,
        entry.digest,
        entry.lines,
        entry.appendable,
        entry.starts,
        entry.sessions,
        entry.nights,
        entry.sleeps,
        entry.special,
        entry.trials,
    )
