"""A seeded taxonomy end to end (`signalroom topics seed|unseed|candidates`) on a generated demo month."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalroom.cli.app import app
from signalroom.pipeline.reasons.taxonomy import TAXONOMY_ID_BASE
from signalroom.store import Store
from signalroom.store.analysis_reads import TAXONOMY_ID_BASE as STORE_TAXONOMY_ID_BASE
from support import interaction, rows, write_jsonl

runner = CliRunner()

# Four of the demo's twenty reasons, in our own words; the demo's truth name for each.
TAXONOMY = """\
reasons:
  - name: Broadband down
    description: Home internet not working or very slow.
    examples:
      - the internet at my house stopped working
      - wifi connection keeps cutting out every evening
      - the hub is blinking and nothing loads
      - our broadband has been painfully slow
  - name: Direct debit failed
    description: A direct debit or standing order that was not paid.
    examples:
      - a direct debit payment got bounced back
      - my standing order to the council did not go through
      - the company says you rejected my direct debit
  - name: Password reset
    description: Cannot reset or remember the online banking password.
    examples:
      - I forgot the password for my online account
      - the password reset email never arrives
      - resetting my password online gives an error
  - name: Upgrade plan
    description: A new handset, more data or a different tariff.
    examples:
      - I want a newer phone now my contract has ended
      - could I move to a bigger data allowance
      - switch me to a cheaper monthly tariff
"""
TRUTH = {
    "Broadband down": "broadband_outage",
    "Direct debit failed": "direct_debit_failed",
    "Password reset": "password_reset",
    "Upgrade plan": "upgrade_plan",
}


def run(*args: str):
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    folder = tmp_path_factory.mktemp("taxonomy")
    db, demo = folder / "w.duckdb", folder / "demo"
    run("demo", "generate", "--customers", "300", "--days", "10", "--out", str(demo), "--json")
    run("ingest", str(demo), "--db", str(db), "--source", "demo", "--json")
    run("analyze", "--db", str(db), "--json")
    yaml_file = folder / "reasons.yaml"
    yaml_file.write_text(TAXONOMY)
    report = json.loads(run("topics", "seed", str(yaml_file), "--db", str(db), "--json").stdout)
    return db, demo, report


def _truth(demo: Path) -> dict[str, str]:
    lines = (demo / ".truth" / "interactions.jsonl").read_text().splitlines()
    return {r["interaction_id"]: r["primary_reason"] for r in map(json.loads, lines)}


def test_seed_assigns_every_interaction_by_taxonomy(seeded: tuple[Path, Path, dict]) -> None:
    db, demo, report = seeded
    assert TAXONOMY_ID_BASE == STORE_TAXONOMY_ID_BASE
    listing = json.loads(run("topics", "--db", str(db), "--json").stdout)
    assert listing["method"] == "taxonomy" and listing["taxonomy_version"] == report["taxonomy_version"]
    names = {r["id"]: r["name"] for r in listing["reasons"]}
    assert list(names.values()) == list(TRUTH) and min(names) == TAXONOMY_ID_BASE
    with Store.open(db, read_only=True) as store:
        found = rows(store, "SELECT id, method, topic_id, unexplained FROM interaction_reasons")
    assert len(found) == report["assigned"] > 50
    assert {m for _, m, _, _ in found} == {"taxonomy"}
    assert sum(r["interactions"] for r in listing["reasons"]) + listing["unexplained"] == len(found)
    truth = _truth(demo)
    # Of the interactions whose planted reason the taxonomy has: most get that reason, and those
    # that get one of its reasons rarely get the wrong one (the fast tier; quality does better).
    ours = [(TRUTH_NAME[truth[i]], names.get(t)) for i, _, t, u in found if truth[i] in TRUTH_NAME]
    assert len(ours) >= 30
    recall = sum(want == got for want, got in ours) / len(ours)
    placed = [(want, got) for want, got in ours if got is not None]
    accuracy = sum(want == got for want, got in placed) / len(placed)
    assert recall >= 0.6 and accuracy >= 0.85, (recall, accuracy)
    # Interactions of reasons the taxonomy lacks are mostly unexplained by it.
    others = [u for i, _, _, u in found if truth[i] not in TRUTH_NAME]
    assert sum(others) / len(others) >= 0.5


TRUTH_NAME = {v: k for k, v in TRUTH.items()}


def test_interactions_show_names_the_taxonomy_reason(seeded: tuple[Path, Path, dict]) -> None:
    db, _, _ = seeded
    with Store.open(db, read_only=True) as store:
        (some_id,) = rows(store, "SELECT id FROM interaction_reasons WHERE NOT unexplained LIMIT 1")[0]
    shown = json.loads(run("interactions", "show", some_id, "--db", str(db), "--json").stdout)
    assert shown["reason"]["method"] == "taxonomy" and shown["reason"]["label"] in TRUTH
    assert shown["reason"]["topic_id"] >= TAXONOMY_ID_BASE
    assert "Reason:" in run("interactions", "show", some_id, "--db", str(db)).stdout


def test_candidates_are_reasons_the_taxonomy_lacks(seeded: tuple[Path, Path, dict]) -> None:
    db, demo, _ = seeded
    listing = json.loads(run("topics", "candidates", "--db", str(db), "--json").stdout)
    assert listing["candidates"] and listing["unexplained_by_taxonomy"] > 0
    first = listing["candidates"][0]
    assert first["label"] and first["examples"] and first["size"] >= 3 and first["unexplained_share"] >= 0.5
    assert first["nearest_reason"] in TRUTH
    # What the candidates' representative examples are planted as: mostly reasons the taxonomy lacks.
    truth = _truth(demo)
    with Store.open(db, read_only=True) as store:
        by_text = dict(rows(store, "SELECT purpose_text, id FROM interaction_analysis WHERE purpose_text <> ''"))
    planted = Counter(truth[by_text[e]] for c in listing["candidates"] for e in c["examples"] if e in by_text)
    lacking = sum(n for reason, n in planted.items() if reason not in TRUTH_NAME)
    assert len(listing["candidates"]) >= 3 and lacking >= 0.8 * sum(planted.values()) > 0, planted
    assert "Candidate new reasons" in run("topics", "candidates", "--db", str(db)).stdout


def test_bad_yaml_names_the_field(tmp_path: Path, seeded: tuple[Path, Path, dict]) -> None:
    db, _, _ = seeded
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text("- name: Billing\n  examples: [my bill is wrong]\n  colour: red\n")
    result = runner.invoke(app, ["topics", "seed", str(unknown), "--db", str(db)])
    assert result.exit_code == 2 and "line 3" in result.output and "reasons[0].colour" in result.output
    nameless = tmp_path / "nameless.yaml"
    nameless.write_text("reasons:\n  - description: no name here\n    examples: [something]\n")
    result = runner.invoke(app, ["topics", "seed", str(nameless), "--db", str(db)])
    assert result.exit_code == 2 and "reasons[0].name" in result.output and "Field required" in result.output
    # The taxonomy in use is unchanged.
    assert json.loads(run("topics", "--db", str(db), "--json").stdout)["method"] == "taxonomy"


def test_analyze_assigns_new_interactions_by_taxonomy_and_unseed_restores(
    seeded: tuple[Path, Path, dict], tmp_path: Path
) -> None:
    db, _, _ = seeded
    # New interactions arrive: analyze assigns them to the taxonomy; the discovered model stays.
    texts = [
        "The internet at home stopped working and the wifi keeps cutting out.",
        "I need to reset my password for online banking, the link fails.",
    ]
    records = [
        interaction(
            f"new-{i}",
            customer={"id": f"N{i}"},
            turns=[
                {"speaker": "customer", "text": text},
                {"speaker": "agent", "text": "Let me look into that for you."},
            ],
        )
        for i, text in enumerate(texts)
    ]
    run("ingest", str(write_jsonl(tmp_path / "new.jsonl", records)), "--db", str(db), "--source", "demo", "--json")
    report = json.loads(run("analyze", "--db", str(db), "--json").stdout)
    assert report["interactions"] == 2 and report["reasons"]["method"] == "taxonomy"
    shown = {
        r["id"]: json.loads(run("interactions", "show", r["id"], "--db", str(db), "--json").stdout)["reason"]
        for r in records
    }
    assert {r["method"] for r in shown.values()} == {"taxonomy"}
    assert shown["new-0"]["label"] == "Broadband down" and shown["new-1"]["label"] == "Password reset"
    # Back to the discovered reasons.
    back = json.loads(run("topics", "unseed", "--db", str(db), "--json").stdout)
    assert back["reassigned"] > 50 and back["left_without_reason"] == 0
    listing = json.loads(run("topics", "--db", str(db), "--json").stdout)
    assert listing["method"] == "discovered" and all(r["id"] < TAXONOMY_ID_BASE for r in listing["reasons"])
    with Store.open(db, read_only=True) as store:
        assert rows(store, "SELECT DISTINCT method FROM interaction_reasons") == [("discovered",)]
    assert runner.invoke(app, ["topics", "candidates", "--db", str(db)]).exit_code == 2
    assert runner.invoke(app, ["topics", "unseed", "--db", str(db)]).exit_code == 2
