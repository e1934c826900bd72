"""The journal as CSV, for spreadsheets (TOML and JSON Lines are `parse.serialise`)."""

from __future__ import annotations

import io
from typing import Any

from matlog.journal.fields import _SESSION_FIELDS, Contents, kind_name
from matlog.records import Session


def export_csv(contents: Contents) -> str:
    metrics = sorted({m for s in contents.sessions for m in (*s.before, *s.after)})
    # A session's fields (ratings get a column per metric), then the sleep-only ones.
    columns = ["type", *(f for f in _SESSION_FIELDS if f not in ("before", "after"))]
    columns += ["night", "rating"]
    columns += [f"before_{m}" for m in metrics] + [f"after_{m}" for m in metrics]
    out = io.StringIO()
    # RFC 4180 line ends. With "\n" alone, Python 3.11's writer leaves a "\r" in a note
    # unquoted, and every reader then splits the row there.
    import csv

    writer = csv.DictWriter(out, columns, lineterminator="\r\n")
    writer.writeheader()
    for record in contents.records:
        row: dict[str, Any] = {
            "type": kind_name(record),
            "id": record.id or "",
            "note": record.note or "",
        }
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
        else:
            row |= {"night": record.night.isoformat(), "rating": record.rating}
        writer.writerow(row)
    return out.getvalue()
