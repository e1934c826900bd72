"""The storage layer: the journal file, its two formats, the cache, and exports.

Imports run one way: `store` (the file: reading, appending, rewriting) → `cache` (a memo
of parsed records and running summaries) → `parse` (bytes to records, either format) →
`toml`/`jsonl` (one format each) → `fields` (a record's fields, validated both ways).
Nothing outside this package opens the journal's bytes.
"""

from matlog.journal.cache import Folder
from matlog.journal.export import export_csv
from matlog.journal.fields import (
    FORMAT_VERSION,
    Contents,
    Kind,
    ParseFacts,
    Problem,
    kind_name,
    kind_of,
    parse_record_dict,
    record_to_dict,
)
from matlog.journal.jsonl import json_line
from matlog.journal.parse import (
    identity,
    load_file,
    parse,
    record_text,
    serialise,
    unwritable,
)
from matlog.journal.rescue import save_rescue
from matlog.journal.store import (
    Journal,
    latest_session,
    remove_last_session,
    remove_session,
)
from matlog.journal.toml import TOML_PREAMBLE, toml_block
from matlog.records import Record, Session, Sleep

__all__ = [
    "FORMAT_VERSION",
    "TOML_PREAMBLE",
    "Contents",
    "Folder",
    "Journal",
    "Kind",
    "ParseFacts",
    "Problem",
    "Record",
    "Session",
    "Sleep",
    "export_csv",
    "identity",
    "json_line",
    "kind_name",
    "kind_of",
    "latest_session",
    "load_file",
    "parse",
    "parse_record_dict",
    "record_text",
    "record_to_dict",
    "remove_last_session",
    "remove_session",
    "save_rescue",
    "serialise",
    "toml_block",
    "unwritable",
]
