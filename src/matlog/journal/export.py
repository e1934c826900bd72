"""The journal as CSV, for spreadsheets (TOML and JSON Lines are `parse.serialise`)."""

from __future__ import annotations

import io
from typing import Any

from matlog.journal.fields import _SESSION_FIELDS, TRIAL_FIELDS, Contents, kind_name
from matlog.records import Session, Sleep

_TRIAL_SESSION_FIELDS = ("trial", "condition")


def export_csv(contents: Contents) -> str:
    """One row per record. The trial columns are there only when the journal has trials:
    a journal without any exports exactly as before (spreadsheets built on it keep working).
    A trial's schedule is one cell, its nights joined by ";" like tags."""
    metrics = sorted({m for s in contents.sessions for m in (*s.before, *s.after)})
    trial_sessions = any(s.trial for s in contents.sessions)
    # A session's fields (ratings get a column per metric), then the sleep-only ones.
    columns = ["type"]
    columns += [
        f
        for f in _SESSION_FIELDS
        if f not in ("before", "after") and (trial_sessions or f not in _TRIAL_SESSION_FIELDS)
    ]
    columns += ["night", "rating"]
    columns += [f"before_{m}" for m in metrics] + [f"after_{m}" for m in metrics]
    if contents.trials:
        columns += [f for f in TRIAL_FIELDS if f != "id"]
    out = io.StringIO()
    # RFC 4180 line ends. With "\n" alone, Python 3.11's writer leaves a "\r" in a note
    # unquoted, and every reader then splits the row there.
    import csv

    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    for record in contents.records:
        row: dict[str, Any] = {"type": kind_name(record), "id": record.id or ""}
        if isinstance(record, Session | Sleep):
            row["note"] = record.note or ""
        if isinstance(record, Session):
            row |= {
                "started": record.started.isoformat(),
                "planned_seconds": record.planned_seconds,
                "actual_seconds": record.actual_seconds,
                "ended": record.ended,
                "area": record.area or "",
                "layer": record.layer or "",
                "surface": record.surface or "",
                "tags": ";".join(record.tags),
            }
            row |= {f"before_{m}": v for m, v in record.before.items()}
            row |= {f"after_{m}": v for m, v in record.after.items()}
            if trial_sessions:
                row |= {"trial": record.trial or "", "condition": record.condition or ""}
        elif isinstance(record, Sleep):
            row |= {"night": record.night.isoformat(), "rating": record.rating}
        else:
            row |= {
                "created": record.created.isoformat(),
                "first_night": record.first_night.isoformat(),
                "schedule": ";".join(record.schedule),
                "seed": record.seed,
                "outcome": record.outcome,
                "worthwhile": record.worthwhile,
                "control": record.control,
                "seconds": record.seconds,
                "unblinded": record.unblinded.isoformat() if record.unblinded else "",
                "stopped": record.stopped.isoformat() if record.stopped else "",
            }
        writer.writerow(row)
    return out.getvalue()
