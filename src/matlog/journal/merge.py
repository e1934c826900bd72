"""Which incoming records (an import) are new, already present, merged, or in conflict.

Pure: the store decides under the journal's lock, with this, what to write.

The same record is recognised by its `id`; a record written by hand without one by what
cannot change when it is rated or annotated: a session by its `started` (to the second, with
its offset), a sleep record by its night. A night is rated once: a sleep record with an id
the journal does not have, for a night it has rated, is that night's rating again (present)
or a conflict. Against the journal's version of it, an incoming
record is:

* already present — the same content, or the journal's version holds all of it (it was
  rated here after the copy was made);
* merged — it holds all of the journal's version and more (ratings, a note, a field given
  on the other device): the journal's record becomes the incoming one;
* a conflict — each side has something the other lacks or changed (a note edited on both
  sides, the same rating given two values): the journal keeps its version and the caller
  keeps the other for the user to pick.

"Holds all of": every field of the one is in the other with the same value, tables
(`before`, `after`, unknown tables) compared key by key the same way; lists and plain values
must be equal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matlog.journal.fields import Contents, kind_name, record_to_dict
from matlog.lightclass import dataclass, field
from matlog.records import Record, Session, Sleep


@dataclass
class Conflict:
    incoming: Record
    present: Record
    fields: list[str]  # the fields that differ, e.g. ["note", "after.pain"]


@dataclass
class MergePlan:
    new: list[Record] = field(default_factory=list)
    present: list[Record] = field(default_factory=list)
    merged: list[tuple[Record, Record]] = field(default_factory=list)  # (journal's, merged)
    conflicts: list[Conflict] = field(default_factory=list)


def match_key(record: Record) -> tuple[str, ...]:
    """What makes two records the same one, whatever was added to either since."""
    if record.id:
        return ("id", record.id)
    if isinstance(record, Session):
        return ("session", record.started.isoformat())
    if isinstance(record, Sleep):
        return ("sleep", record.night.isoformat())
    return ("trial", record.created.isoformat())  # a trial always has an id: not reached


def describe(record: Record) -> str:
    """How a message names a record: `session 01J…`, or `session (no id) started …`."""
    if record.id:
        return f"{kind_name(record)} {record.id}"
    if isinstance(record, Session):
        return f"session (no id) started {record.started.isoformat()}"
    if isinstance(record, Sleep):
        return f"sleep (no id) for the night of {record.night.isoformat()}"
    return f"trial (no id) created {record.created.isoformat()}"


def plan_merge(contents: Contents, incoming: Sequence[Record]) -> MergePlan:
    """Sort `incoming` against `contents`, one record at a time, each seeing those before it."""
    plan = MergePlan()
    current: dict[tuple[str, ...], list[Record]] = {}
    for record in contents.records:
        current.setdefault(match_key(record), []).append(record)
    origin: dict[int, Record] = {}  # a merged record (by id()) -> the journal's record it replaces
    nights = {sleep.night: sleep for sleep in contents.sleeps}  # the latest of each night
    for record in incoming:
        key = match_key(record)
        candidates = current.get(key, [])
        if not candidates and isinstance(record, Sleep) and record.night in nights:
            # A night is rated once: another record of it (another device's id, a rescued
            # re-rating) is the same rating, or a conflict; never a second rating of it.
            rated = nights[record.night]
            apart = [f for f in differences(rated, record) if f != "id"]
            if apart:
                plan.conflicts.append(Conflict(record, rated, apart))
            else:
                plan.present.append(record)
            continue
        if not candidates:
            plan.new.append(record)
            current[key] = [record]
            if isinstance(record, Sleep):
                nights[record.night] = record
            continue
        if any(holds(c, record) for c in candidates):
            plan.present.append(record)
            continue
        only = candidates[0]
        if len(candidates) > 1 or not holds(record, only):  # two of it here: never guess
            plan.conflicts.append(Conflict(record, only, differences(only, record)))
            continue
        current[key] = [record]
        if any(r is only for r in plan.new):  # added earlier in this import: take this one
            plan.new = [record if r is only else r for r in plan.new]
            continue
        old = origin.pop(id(only), only)
        plan.merged = [(o, m) for o, m in plan.merged if o is not old]
        plan.merged.append((old, record))
        origin[id(record)] = old
    return plan


def holds(big: Record, small: Record) -> bool:
    """Whether `big` is `small` or `small` with more added (see the module's rule)."""
    return kind_name(big) == kind_name(small) and _holds(record_to_dict(big), record_to_dict(small))


def _holds(big: Any, small: Any) -> bool:
    if isinstance(big, dict) and isinstance(small, dict):
        return all(k in big and _holds(big[k], v) for k, v in small.items())
    return type(big) is type(small) and big == small


def differences(a: Record, b: Record) -> list[str]:
    """The fields (`note`, `after.pain`) whose values differ or that one side lacks."""
    if kind_name(a) != kind_name(b):
        return ["type"]
    found: list[str] = []
    _diff(record_to_dict(a), record_to_dict(b), "", found)
    return found


def _diff(a: Any, b: Any, where: str, found: list[str]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            inner = f"{where}.{key}" if where else key
            _diff(a.get(key, _MISSING), b.get(key, _MISSING), inner, found)
    elif type(a) is not type(b) or a != b:
        found.append(where)


_MISSING = object()
