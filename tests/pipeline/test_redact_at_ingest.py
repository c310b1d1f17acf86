"""`signalroom ingest --redact`: turn texts redacted before they are stored."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from signalroom.cli.app import app
from signalroom.store import Store
from support import interaction, rows, write_jsonl

runner = CliRunner()

SECRET_TURNS = [
    {"speaker": "agent", "text": "Thanks for calling, who am I speaking with?"},
    {
        "speaker": "customer",
        "text": "It's Ann Lee, my email is ann.lee@example.com and my card is 4111 1111 1111 1111.",
    },
    {"speaker": "agent", "text": "Thank you, let me look at that."},
]


def test_turns_are_stored_redacted_and_reloads_stay_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    data = write_jsonl(tmp_path / "in.jsonl", [interaction("r-1", turns=SECRET_TURNS)])
    first = runner.invoke(app, ["ingest", str(data), "--db", str(db), "--redact", "--json"])
    assert first.exit_code == 0, first.output
    with Store.open(db, read_only=True) as store:
        [(text, attributes)] = rows(store, "SELECT text, attributes FROM turns WHERE seq = 1")
        assert "ann.lee@example.com" not in text and "4111" not in text
        assert "[EMAIL]" in text and "[CARD]" in text
        entities = {m["entity"] for m in json.loads(attributes)["redactions"]}
        assert {"EMAIL", "CARD"} <= entities
        assert rows(store, "SELECT text FROM turns WHERE seq = 2") == [("Thank you, let me look at that.",)]
        assert rows(store, "SELECT turns_redacted FROM loads") == [(True,)]
    again = json.loads(runner.invoke(app, ["ingest", str(data), "--db", str(db), "--redact", "--json"]).stdout)
    assert again["loads"][0]["unchanged"] == 1


def test_a_retried_record_of_a_redacting_load_is_redacted_too(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    broken = json.dumps(interaction("r-2", turns=SECRET_TURNS, channel="fax"))
    data = write_jsonl(tmp_path / "in.jsonl", [broken])
    runner.invoke(app, ["ingest", str(data), "--db", str(db), "--redact", "--json"])
    fixed = tmp_path / "fixed.json"
    fixed.write_text(broken.replace('"fax"', '"voice"'))
    result = runner.invoke(app, ["quarantine", "retry", "1", "--with", str(fixed), "--db", str(db), "--json"])
    assert json.loads(result.stdout)["resolved"] == 1
    with Store.open(db, read_only=True) as store:
        [(text,)] = rows(store, "SELECT text FROM turns WHERE interaction_id = 'r-2' AND seq = 1")
    assert "[EMAIL]" in text and "ann.lee@example.com" not in text


def test_redaction_is_the_default_and_no_redact_keeps_the_text(tmp_path: Path) -> None:
    data = write_jsonl(tmp_path / "in.jsonl", [interaction("r-3", turns=SECRET_TURNS)])
    for flags, redacted in (([], True), (["--no-redact"], False)):
        db = tmp_path / f"w{len(flags)}.duckdb"
        result = runner.invoke(app, ["ingest", str(data), "--db", str(db), *flags, "--json"])
        assert result.exit_code == 0, result.output
        with Store.open(db, read_only=True) as store:
            [(text,)] = rows(store, "SELECT text FROM turns WHERE seq = 1")
            assert ("ann.lee@example.com" not in text) is redacted
            assert rows(store, "SELECT turns_redacted FROM loads") == [(redacted,)]


def test_worker_processes_redact_exactly_as_this_process(tmp_path: Path) -> None:
    """Large loads redact in worker processes while the next batch is parsed: same stored rows."""
    from signalroom.ingest.loader import Loader
    from signalroom.pipeline.redact.at_ingest import IngestRedactor

    people = [("Ann Lee", "ann.lee@example.com"), ("Raj Patel", "raj@example.org"), ("Mo Chen", "mo@example.net")]
    records = [
        interaction(
            f"p-{n}",
            customer={"id": f"c-{n}", "name": people[n % 3][0]},
            turns=[
                {"speaker": "agent", "text": "Thanks for calling, who am I speaking with?"},
                {
                    "speaker": "customer",
                    "text": f"It's {people[n % 3][0]}, email {people[n % 3][1]}, card 4111 1111 1111 1111.",
                },
                {"speaker": "agent", "text": f"Thanks {people[n % 3][0].split()[0]}, order {n} is on its way."},
            ],
        )
        for n in range(120)
    ]
    data = write_jsonl(tmp_path / "in.jsonl", records)
    stored = {}
    for workers in (1, 2):
        with Store.open(tmp_path / f"w{workers}.duckdb") as store:
            redactor = IngestRedactor(workers=workers, parallel_from=10)
            [summary] = Loader(store, batch_size=25, redactor=redactor).ingest([data], fmt="jsonl")
            assert summary.counts.inserted == 120
            stored[workers] = rows(
                store, "SELECT interaction_id, seq, text, attributes FROM turns ORDER BY interaction_id, seq"
            )
    assert stored[1] == stored[2]
    assert all("@" not in text for _, _, text, _ in stored[2])
