"""`signalroom analyze` end to end on a generated demo month and on bad input, in a real warehouse."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from signalroom.cli.app import app
from signalroom.store import Store
from support import interaction, rows, write_jsonl

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def analysed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("analyse")
    db, demo = folder / "w.duckdb", folder / "demo"
    run("demo", "generate", "--customers", "250", "--days", "7", "--out", str(demo), "--json")
    run("ingest", str(demo), "--db", str(db), "--source", "demo", "--json")
    report = json.loads(run("analyze", "--db", str(db), "--json").stdout)
    return db, report


def test_every_interaction_is_analysed_with_every_stage(analysed: tuple[Path, dict]) -> None:
    db, report = analysed
    with Store.open(db, read_only=True) as store:
        total = rows(store, "SELECT count(*) FROM interactions")[0][0]
        assert report["status"] == "completed" and report["interactions"] == total > 50
        assert [s["name"] for s in report["stages"]] == [
            "redact",
            "purpose",
            "embed",
            "reasons",
            "sentiment",
            "metrics",
            "situation",
        ]
        assert rows(store, "SELECT count(*) FROM interaction_analysis") == [(total,)]
        by_stage = dict(rows(store, "SELECT stage, count(*) FROM stage_results GROUP BY stage"))
        assert by_stage == {"sentiment": total, "metrics": total, "situation": total}
        # Turns were redacted at ingest (the default): analysis keeps no second copy of them.
        assert rows(store, "SELECT count(*) FROM redacted_turns") == [(0,)]
        assert rows(store, "SELECT count(*) FROM turns WHERE text LIKE '%[NAME]%'")[0][0] > 0
        # Reasons were discovered on this first run and every interaction that says why it came has one.
        assert report["reasons"]["refitted"] and report["reasons"]["topics"] >= 3
        with_purpose = rows(store, "SELECT count(*) FROM interaction_analysis WHERE purpose_text <> ''")[0][0]
        assert rows(store, "SELECT count(*) FROM interaction_reasons")[0][0] == with_purpose


def test_no_unredacted_identifier_reaches_derived_tables(analysed: tuple[Path, dict]) -> None:
    db, _ = analysed
    with Store.open(db, read_only=True) as store:
        emails = rows(store, "SELECT DISTINCT customer_email FROM interactions WHERE customer_email IS NOT NULL")
        assert emails
        derived = " ".join(
            r[0]
            for r in rows(
                store,
                "SELECT text FROM turns UNION ALL SELECT purpose_text FROM "
                "interaction_analysis WHERE purpose_text IS NOT NULL UNION ALL "
                "SELECT result::VARCHAR FROM stage_results",
            )
        )
        assert "[" in derived  # marks are there
        for (email,) in emails:
            assert email not in derived


def test_turns_stored_as_they_arrived_are_redacted_by_the_analysis(tmp_path: Path) -> None:
    demo, db = tmp_path / "demo", tmp_path / "raw.duckdb"
    run("demo", "generate", "--customers", "60", "--days", "3", "--out", str(demo), "--json")
    run("ingest", str(demo), "--db", str(db), "--source", "demo", "--no-redact", "--json")
    run("analyze", "--db", str(db), "--json")
    with Store.open(db, read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM redacted_turns") == rows(store, "SELECT count(*) FROM turns")
        names = [n for (n,) in rows(store, "SELECT DISTINCT customer_name FROM interactions") if n]
        stored = " ".join(t for (t,) in rows(store, "SELECT text FROM turns"))
        redacted = " ".join(t for (t,) in rows(store, "SELECT text FROM redacted_turns"))
        said = [n for n in names if n in stored]
        assert said  # customers say their full names, and --no-redact kept them
        assert not [n for n in said if n in redacted]
        [(name_marks,)] = rows(store, "SELECT count(*) FROM redacted_turns WHERE spans LIKE '%NAME%'")
        assert name_marks > 0


def test_rerun_is_incremental_and_full_recomputes(analysed: tuple[Path, dict]) -> None:
    db, report = analysed
    again = json.loads(run("analyze", "--db", str(db), "--json").stdout)
    assert again["interactions"] == 0 and not again["reasons"]["refitted"]
    full = json.loads(run("analyze", "--db", str(db), "--full", "--json", "--skip", "redact").stdout)
    assert full["interactions"] == report["interactions"]
    assert full["stages"][0] == {"name": "skip", "version": "1", "params": {"replaces": "redact"}}
    # Back to the default stages: a different pipeline, so everything is analysed again.
    assert json.loads(run("analyze", "--db", str(db), "--json").stdout)["interactions"] == report["interactions"]


def test_topics_show_and_export(analysed: tuple[Path, dict], tmp_path: Path) -> None:
    db, _ = analysed
    listing = json.loads(run("topics", "--db", str(db), "--json").stdout)
    assert listing["model_version"] == 1 and len(listing["reasons"]) >= 3
    first = listing["reasons"][0]
    assert first["name"] and first["keywords"] and first["examples"] and first["interactions"] > 0
    with Store.open(db, read_only=True) as store:
        (some_id,) = rows(store, "SELECT id FROM interaction_reasons WHERE NOT unexplained LIMIT 1")[0]
    shown = json.loads(run("interactions", "show", some_id, "--db", str(db), "--json").stdout)
    assert shown["reason"]["label"] and shown["analysed"]["purpose_text"]
    assert set(shown["results"]) == {"sentiment", "metrics", "situation"}
    assert len(shown["results"]["sentiment"]["turn_scores"]) == len(shown["turns"])
    out = tmp_path / "all.parquet"
    run("export", "interactions", "--out", str(out), "--db", str(db))
    exported = duckdb.sql(f"SELECT count(*), count(reason_topic), count(sentiment), count(metrics) FROM '{out}'")
    count, with_reason, with_sentiment, with_metrics = exported.fetchall()[0]
    assert count == with_sentiment == with_metrics and 0 < with_reason <= count
    jsonl = tmp_path / "all.jsonl"
    run("export", "interactions", "--out", str(jsonl), "--format", "jsonl", "--db", str(db))
    assert len(jsonl.read_text().splitlines()) == count


def test_topic_edits_are_kept_and_reassign(analysed: tuple[Path, dict]) -> None:
    db, _ = analysed
    listing = json.loads(run("topics", "--db", str(db), "--json").stdout)
    ids = [r["id"] for r in listing["reasons"]]
    run("topics", "rename", str(ids[0]), "Card and account changes", "--db", str(db))
    run("topics", "merge", str(ids[-1]), str(ids[-2]), "--db", str(db))
    after = json.loads(run("topics", "--db", str(db), "--json").stdout)
    assert after["reasons"][0]["name"] == "Card and account changes" or any(
        r["name"] == "Card and account changes" for r in after["reasons"]
    )
    assert len(after["reasons"]) == len(ids) - 1
    assert (
        sum(r["interactions"] for r in after["reasons"]) + after["unexplained"]
        == sum(r["interactions"] for r in listing["reasons"]) + listing["unexplained"]
    )


def test_hard_interactions_are_flagged_not_skipped(tmp_path: Path) -> None:
    long_turns = [
        {"speaker": "customer" if i % 2 else "agent", "text": f"turn number {i} about my bill"} for i in range(900)
    ]
    records = [
        interaction("empty", turns=[]),
        interaction("one-word", turns=[{"speaker": "customer", "text": "hello"}]),
        interaction("agent-only", turns=[{"speaker": "agent", "text": "Hello? Is anyone there?"}]),
        interaction(
            "german",
            turns=[
                {"speaker": "customer", "text": "Meine Karte wurde im Ausland abgelehnt und ich brauche Hilfe."},
                {"speaker": "agent", "text": "Das tut mir leid, ich schaue mir das an."},
            ],
        ),
        interaction("long", turns=long_turns),
        *[interaction(f"ok-{i}") for i in range(25)],
    ]
    db = tmp_path / "w.duckdb"
    run("ingest", str(write_jsonl(tmp_path / "hard.jsonl", records)), "--db", str(db), "--json")
    report = json.loads(run("analyze", "--db", str(db), "--json").stdout)
    assert report["interactions"] == len(records)
    with Store.open(db, read_only=True) as store:
        flags = dict(rows(store, "SELECT id, flags FROM interaction_analysis"))
    assert any("empty" in f for f in flags["empty"])
    assert any("no customer turns" in f for f in flags["agent-only"])
    assert any("non_english" in f or "English" in f for f in flags["german"])
    assert any("long" in f for f in flags["long"])
    assert flags["ok-0"] == []


def test_negative_moments_say_what_they_concern(analysed: tuple[Path, dict]) -> None:
    db, _ = analysed
    # A second run with a model in place assigns reasons before sentiment, so moments get their topic.
    run("analyze", "--db", str(db), "--full", "--json")
    with Store.open(db, read_only=True) as store:
        found = rows(
            store,
            "SELECT count(*), count(*) FILTER (WHERE m->>'topic' IS NOT NULL) FROM ("
            "SELECT unnest(from_json(result->'negative_moments', '[\"JSON\"]')) AS m FROM stage_results s "
            "JOIN interaction_reasons r ON r.source = s.source AND r.id = s.id AND NOT r.unexplained "
            "WHERE s.stage = 'sentiment')",
        )
    moments, with_topic = found[0]
    assert moments > 0 and with_topic == moments


def test_a_changed_interaction_without_a_purpose_loses_its_old_reason(
    analysed: tuple[Path, dict], tmp_path: Path
) -> None:
    db, _ = analysed
    with Store.open(db, read_only=True) as store:
        (some_id,) = rows(store, "SELECT id FROM interaction_reasons WHERE NOT unexplained LIMIT 1")[0]
    silent = interaction(some_id, turns=[{"speaker": "agent", "text": "Hello, anyone there?"}])
    run("ingest", str(write_jsonl(tmp_path / "silent.jsonl", [silent])), "--db", str(db), "--source", "demo")
    assert json.loads(run("analyze", "--db", str(db), "--json").stdout)["interactions"] == 1
    with Store.open(db, read_only=True) as store:
        assert rows(store, "SELECT count(*) FROM interaction_reasons WHERE id = ?", [some_id]) == [(0,)]
        assert rows(store, "SELECT flags FROM interaction_analysis WHERE id = ?", [some_id])[0][0]
