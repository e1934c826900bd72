"""Text that differs only by Unicode normalisation is the same text (issue #10, item 12).

`café` typed on one machine (NFC, one code point é) and synced from another (NFD, e and a
combining accent) is one tag, one area, one metric: grouped, filtered and counted as one.
New records are stored in NFC; old ones are normalised when compared.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import CET, make_session

from matlog import paths, stats
from matlog.config import Config, load_config
from matlog.journal import Journal, parse
from matlog.ratings import parse_rating_flags

NFC = unicodedata.normalize("NFC", "café")
NFD = unicodedata.normalize("NFD", "café")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=CET)
assert NFC != NFD


def _journal(path: Path) -> None:
    start = datetime(2026, 11, 20, 22, 0, tzinfo=CET)
    Journal(path).append(
        [
            make_session(
                start + timedelta(days=i),
                tags=[NFC if i % 2 else NFD],
                area=NFD if i % 3 else NFC,
                before={NFC if i % 2 else NFD: 6},
                after={NFD if i % 2 else NFC: 3},
            )
            for i in range(6)
        ]
        + [make_session(start + timedelta(days=6, hours=1), tags=["other"], area="back")]
    )


@pytest.fixture(params=["journal.toml", "journal.jsonl"])
def path(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    p = tmp_path / request.param
    _journal(p)
    return p


def _fresh(path: Path, filters: stats.Filters | None = None) -> dict:
    contents, _ = parse(path.read_bytes(), path, "jsonl" if path.suffix == ".jsonl" else "toml")
    return stats.compute(contents.sessions, contents.sleeps, Config(), NOW, filters)


@pytest.mark.parametrize("typed", [NFC, NFD])
def test_a_tag_filter_counts_both_forms(path: Path, typed: str) -> None:
    filters = stats.parse_filters(tags=[typed], today=NOW.date())
    assert stats.report(Journal(path), Config(), NOW, filters)["sessions"] == 6


@pytest.mark.parametrize("typed", [NFC, NFD])
def test_an_area_filter_counts_both_forms(path: Path, typed: str) -> None:
    filters = stats.parse_filters(area=typed, today=NOW.date())
    assert stats.report(Journal(path), Config(), NOW, filters)["sessions"] == 6


def test_one_group_per_tag_and_area_and_one_metric(path: Path) -> None:
    result = stats.report(Journal(path), Config(), NOW)
    assert result == _fresh(path)  # the cache says what a fresh count says
    tags = result["comparisons"]["tag"]
    assert sorted(tags) == sorted([NFC, "other"])
    assert sorted(result["comparisons"]["area"]) == sorted([NFC, "back"])
    assert [name for name in result["metrics"] if "caf" in name] == [NFC]
    assert result["metrics"][NFC]["n"] == 6
    json.dumps(result)


def test_new_tags_area_and_metric_names_are_stored_in_nfc(invoke, journal_path: Path) -> None:
    config = paths.config_path()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[metrics]\n"{NFD}" = "higher"\npain = "lower"\n', encoding="utf-8")
    assert list(load_config(config).metrics) == [NFC, "pain"]
    result = invoke(
        "start", "1s", "--settle", "0", "-t", NFD, "--area", NFD, "-b", f"{NFD}=4", "-a",
        f"{NFC}=6",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (session,) = Journal(journal_path).read().sessions
    assert session.tags == [NFC] and session.area == NFC
    assert session.before == {NFC: 4} and session.after == {NFC: 6}


def test_rating_flags_name_a_metric_in_either_form() -> None:
    assert parse_rating_flags([f"{NFD}=4"], {NFC: "higher"}) == {NFC: 4}


def test_the_same_tag_twice_in_two_forms_is_one_tag(invoke, journal_path: Path) -> None:
    result = invoke("start", "1s", "--settle", "0", "-t", NFD, "-t", NFC, "--no-ratings")
    assert result.exit_code == 0, result.output
    assert Journal(journal_path).read().sessions[0].tags == [NFC]
