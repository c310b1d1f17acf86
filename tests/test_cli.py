"""The CLI, called in-process, with exact JSON where it prints JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalroom.cli.app import app
from support import interaction, write_jsonl

runner = CliRunner()


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


@pytest.fixture
def loaded(tmp_path: Path) -> tuple[Path, Path]:
    db = tmp_path / "w.duckdb"
    data = write_jsonl(
        tmp_path / "in.jsonl",
        [
            interaction("c-1"),
            interaction(
                "c-2",
                channel="chat",
                started_at="2026-03-03T23:30:00-05:00",
                ended_at=None,
                agent={"id": "ag-9", "team": "Digital"},
            ),
            '{"kind": "interaction", "id": "broken"',
            interaction("c-3", channel="fax"),
            {
                "kind": "event",
                "id": "e-1",
                "customer": {"id": "cus-1"},
                "at": "2026-03-02T08:00:00Z",
                "type": "login_failed",
            },
        ],
    )
    result = run("ingest", str(data), "--db", str(db), "--source", "crm", "--json")
    assert result.exit_code == 0, result.output
    return db, data


def test_ingest_json_summary(loaded: tuple[Path, Path]) -> None:
    db, data = loaded
    result = run("ingest", str(data), "--db", str(db), "--source", "crm", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "loads": [
            {
                "load_id": 2,
                "source": "crm",
                "format": "jsonl",
                "paths": [str(data)],
                "status": "completed",
                "read": 5,
                "inserted": 0,
                "updated": 0,
                "unchanged": 3,
                "quarantined": 2,
                "reasons": {"malformed_json": 1, "unknown_channel": 1},
                "skipped": {},
                "error": None,
                "warnings": [],
            }
        ]
    }


def test_ingest_table_output_and_strict(loaded: tuple[Path, Path]) -> None:
    db, data = loaded
    result = run("ingest", str(data), "--db", str(db), "--source", "crm")
    assert result.exit_code == 0
    assert "Ingest summary" in result.stdout and "quarantined unknown_channel: 1" in result.stdout
    assert run("ingest", str(data), "--db", str(db), "--source", "crm", "--strict").exit_code == 1


def test_stats_json(loaded: tuple[Path, Path]) -> None:
    db, _ = loaded
    result = run("stats", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    last_load = stats.pop("last_load")
    assert stats == {
        "schema_version": 18,
        "interactions": 2,
        "turns": 6,
        "call_events": 4,
        "events": 1,
        "surveys": 2,
        "customer_profiles": 0,
        "customer_identifiers": {"id": 1, "email": 0, "phone": 1, "handle": 0, "account": 0},
        "agents": 2,
        "teams": 2,
        "first_contact": "2026-03-02T08:15:00+00:00",
        "last_contact": "2026-03-04T04:30:00+00:00",
        "by_channel": {"chat": 1, "voice": 1},
        # c-2 started at 23:30 on the 3rd in its own offset, though it was the 4th in UTC.
        "by_day": [
            {"date": "2026-03-02", "total": 1, "voice": 1},
            {"date": "2026-03-03", "total": 1, "chat": 1},
        ],
        "events_by_type": {"login_failed": 1},
        "sources": {"crm": 2},
        "loads": 1,
        "quarantine_pending": 2,
        "quarantine_resolved": 0,
        "quarantine_by_reason": {"malformed_json": 1, "unknown_channel": 1},
    }
    assert (last_load["load_id"], last_load["inserted"], last_load["quarantined"]) == (1, 3, 2)


def test_stats_table_and_env_db(loaded: tuple[Path, Path]) -> None:
    db, _ = loaded
    result = run("stats", env={"SIGNALROOM_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert "Interactions by day" in result.stdout and "2026-03-03" in result.stdout


def test_stats_on_a_missing_warehouse_is_a_clear_error(tmp_path: Path) -> None:
    result = run("stats", "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2
    assert "no warehouse at" in result.output and "none.duckdb" in result.output


def test_quarantine_list_show_and_retry_with_correction(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    db, data = loaded
    listing = json.loads(run("quarantine", "list", "--db", str(db), "--json").stdout)
    assert listing["total"] == 2
    assert [(e["id"], e["line"], e["reason_code"], e["field"]) for e in listing["entries"]] == [
        (1, 3, "malformed_json", None),
        (2, 4, "unknown_channel", "channel"),
    ]
    assert "raw" not in listing["entries"][0]
    only = json.loads(run("quarantine", "list", "--db", str(db), "--json", "--reason", "unknown_channel").stdout)
    assert only["total"] == 1

    shown = json.loads(run("quarantine", "show", "2", "--db", str(db), "--json").stdout)
    assert shown["file"] == str(data) and shown["location"] == "line 4" and '"fax"' in shown["raw"]
    raw = run("quarantine", "show", "2", "--raw", "--db", str(db)).stdout.strip()
    assert json.loads(raw)["channel"] == "fax"

    # Retrying unchanged fails again with the same reason and counts the attempt.
    again = json.loads(run("quarantine", "retry", "2", "--db", str(db), "--json").stdout)
    assert (again["resolved"], again["still_quarantined"]) == (0, 1)
    fixed = tmp_path / "fixed.json"
    fixed.write_text(raw.replace('"fax"', '"voice"'))
    result = run("quarantine", "retry", "2", "--with", str(fixed), "--db", str(db), "--json")
    assert json.loads(result.stdout)["resolved"] == 1
    shown = json.loads(run("quarantine", "show", "2", "--db", str(db), "--json").stdout)
    assert (shown["status"], shown["attempts"]) == ("resolved", 2)
    stats = json.loads(run("stats", "--db", str(db), "--json").stdout)
    assert stats["interactions"] == 3 and stats["quarantine_pending"] == 1


def test_quarantine_errors(loaded: tuple[Path, Path]) -> None:
    db, _ = loaded
    assert "name the entries to retry" in run("quarantine", "retry", "--db", str(db)).output
    missing = run("quarantine", "retry", "99", "--db", str(db))
    assert missing.exit_code == 2 and "no pending quarantine entry 99" in missing.output
    assert "no quarantine entry 42" in run("quarantine", "show", "42", "--db", str(db)).output
    assert "--status must be" in run("quarantine", "list", "--status", "odd", "--db", str(db)).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ingest", "nope.jsonl"], "no such file or folder"),
        (["ingest", "{data}", "--format", "excel"], "unknown format 'excel'"),
        (["ingest", "{data}", "--column", "text"], "--column expects KEY=VALUE"),
        (["ingest", "{data}", "--format", "jsonl", "--channel", "chat"], "do not apply to the jsonl format"),
    ],
)
def test_ingest_errors_are_clear(tmp_path: Path, args: list[str], message: str) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [interaction()])
    args = [a.replace("{data}", str(data)) for a in args]
    result = run(*args, "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2
    assert message in result.output


def test_unknown_file_format_names_the_file(tmp_path: Path) -> None:
    odd = tmp_path / "notes.bin"
    odd.write_bytes(b"\x00\x01 nothing we know")
    result = run("ingest", str(odd), "--db", str(tmp_path / "w.duckdb"))
    assert result.exit_code == 2
    assert "cannot tell the format of" in result.output and "notes.bin" in result.output


def test_schema_command(tmp_path: Path) -> None:
    result = run("schema")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert set(document["discriminator"]["mapping"]) == {"interaction", "event", "survey", "customer"}
    out = tmp_path / "interaction.json"
    assert run("schema", "--kind", "interaction", "--out", str(out)).exit_code == 0
    assert json.loads(out.read_text())["title"] == "signalroom interchange interaction v1"
    assert "unknown record kind 'ticket'" in run("schema", "--kind", "ticket").output


def test_help_everywhere() -> None:
    for args in (
        ["--help"],
        ["ingest", "--help"],
        ["stats", "--help"],
        ["schema", "--help"],
        ["quarantine", "--help"],
        ["quarantine", "list", "--help"],
        ["quarantine", "retry", "--help"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "Usage" in result.output


def test_demo_run_generates_loads_and_is_idempotent(tmp_path: Path) -> None:
    db, out = tmp_path / "demo.duckdb", tmp_path / "demo-data"
    args = ["demo", "run", "--customers", "200", "--days", "6", "--out", str(out), "--db", str(db), "--json"]
    first = run(*args)
    assert first.exit_code == 0, first.output
    outcome = json.loads(first.stdout)
    load, stats = outcome["load"], outcome["stats"]
    assert load["quarantined"] == 0 and load["inserted"] == load["read"] > 0
    assert stats["interactions"] == outcome["demo"]["files"]["interactions.jsonl"]
    assert set(outcome["planted"]) == {
        "repeat_driver",
        "disclosure_skipping",
        "emerging_issue",
        "campaign",
        "self_service_failure",
    }
    assert all(outcome["planted"].values())
    assert outcome["analysis"]["interactions"] == stats["interactions"]
    assert outcome["reasons"]["reasons"] and outcome["analysis"]["reasons"]["refitted"]
    again = json.loads(run(*args).stdout)
    assert again["load"]["unchanged"] == load["inserted"] and again["load"]["inserted"] == 0
    assert again["analysis"]["interactions"] == 0
    assert again["stats"]["interactions"] == stats["interactions"]
    table = run(*args[:-1])
    assert "Planted in this month" in table.stdout and "repeat driver" in table.stdout


def test_quarantine_file_filter_takes_a_relative_path(
    loaded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, data = loaded
    monkeypatch.chdir(data.parent)
    listing = json.loads(run("quarantine", "list", "--file", data.name, "--db", str(db), "--json").stdout)
    assert listing["total"] == 2
    other = json.loads(run("quarantine", "list", "--file", "other.jsonl", "--db", str(db), "--json").stdout)
    assert other["total"] == 0
