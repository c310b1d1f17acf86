"""Episodes on a small hand-made warehouse (tests/journeys/outcome_fixtures.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journeys.outcome_fixtures import build_warehouse
from signalroom.cli.app import app
from signalroom.journeys.episodes import EpisodeConfig, build_episodes
from signalroom.store import Store
from support import rows


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(tmp_path_factory.mktemp("episodes"))


def _episodes(store: Store) -> dict[str, list[str]]:
    """Each episode by its first contact: the interactions in it, in order."""
    found: dict[str, list[str]] = {}
    for first, ident in rows(
        store,
        "SELECT e.first_id, i.id FROM episode_interactions i JOIN episodes e USING (episode_id) "
        "JOIN interactions r ON r.source = i.source AND r.id = i.id ORDER BY e.first_id, r.started_at",
    ):
        found.setdefault(first, []).append(ident)
    return found


def test_contacts_by_one_person_about_one_reason_within_the_window_are_one_episode(warehouse: Path) -> None:
    with Store.open(warehouse) as store:
        report = build_episodes(store, EpisodeConfig(window_days=7))
        assert (report.interactions, report.contacts, report.episodes) == (12, 10, 8)
        assert (report.episodes_with_repeats, report.chained_contacts, report.without_reason) == (2, 2, 2)
        assert _episodes(store) == {
            "a1": ["a1", "a2"],  # reason 1, two days apart
            "a3": ["a3"],  # another reason
            "b1": ["b1", "b2", "b3", "b4"],  # the handoff and the transfer leg follow their parents
            "c1": ["c1"],  # no reason: its own episode
            "c2": ["c2"],
            "d1": ["d1"],  # reason 1 too, but another person
            "e1": ["e1"],
            "e2": ["e2"],
        }
        # A chained interaction takes its contact's reason (b2 was assigned reason 1).
        assert rows(store, "SELECT topic_id FROM episode_interactions WHERE id = 'b2'") == [(3,)]
        b = rows(
            store,
            "SELECT contacts, interactions, resolved, first_contact_at < last_contact_at FROM episodes "
            "WHERE first_id = 'b1'",
        )
        assert b == [(2, 4, True, True)]
        # A's episode ends resolved: its last contact (a2) was, though a1 was not.
        assert rows(store, "SELECT resolved FROM episodes WHERE first_id = 'a1'") == [(True,)]
        contact = rows(
            store,
            "SELECT channel, queue, agent_id, resolved, interactions FROM contacts WHERE contact_id = 'b3'",
        )
        assert contact == [("voice", "loans", "ag3", True, 2)]  # handled last by the transfer's agent


def test_a_shorter_window_splits_episodes(warehouse: Path) -> None:
    with Store.open(warehouse) as store:
        report = build_episodes(store, EpisodeConfig(window_days=1))
        assert report.episodes == 10 and report.episodes_with_repeats == 0
        # The next build without a window keeps this one.
        assert build_episodes(store).window_days == 1
        assert build_episodes(store, EpisodeConfig()).window_days == 7


def test_chains_survive_cycles_and_missing_parents(tmp_path: Path) -> None:
    from signalroom.ingest.loader import Loader
    from support import interaction, write_jsonl

    records = [
        interaction("x1", parent_id="x2", started_at="2026-03-02T09:00:00Z", ended_at="2026-03-02T09:05:00Z"),
        interaction("x2", parent_id="x1", started_at="2026-03-02T09:10:00Z", ended_at="2026-03-02T09:15:00Z"),
        interaction("x3", parent_id="gone", started_at="2026-03-02T10:00:00Z", ended_at="2026-03-02T10:05:00Z"),
        interaction("x4", parent_id="x3", started_at="2026-03-02T10:06:00Z", ended_at="2026-03-02T10:09:00Z"),
        interaction("x5", parent_id="x4", started_at="2026-03-02T10:10:00Z", ended_at="2026-03-02T10:19:00Z"),
    ]
    data = write_jsonl(tmp_path / "r.jsonl", records)
    with Store.open(tmp_path / "w.duckdb") as store:
        Loader(store).ingest([data], fmt="jsonl", source="t")
        build_episodes(store)
        found = dict(rows(store, "SELECT id, contact_id FROM episode_interactions"))
    assert found == {"x1": "x1", "x2": "x2", "x3": "x3", "x4": "x3", "x5": "x3"}


def test_episodes_build_command(warehouse: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["episodes", "build", "--db", str(warehouse), "--window-days", "7", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["episodes"], report["contacts"], report["window_days"]) == (8, 10, 7)
    result = runner.invoke(app, ["episodes", "build", "--db", str(warehouse)])
    assert result.exit_code == 0 and "episodes" in result.stdout
    bad = runner.invoke(app, ["episodes", "build", "--db", str(warehouse), "--window-days", "0"])
    assert bad.exit_code == 2 and "at least 1" in bad.output


def test_analyze_rebuilds_the_episodes(tmp_path: Path) -> None:
    from signalroom.pipeline.analyze import analyze

    db = build_warehouse(tmp_path)
    with Store.open(db) as store:
        skip = ("redact", "purpose", "embed", "reasons", "sentiment", "situation")
        report = analyze(store, skip=skip)
        assert report.episodes is not None and report.episodes.episodes == 8
        assert report.to_dict()["episodes"]["contacts"] == 10
