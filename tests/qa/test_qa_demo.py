"""The issue's bar on the demo month (docs/qa.md#the-demo-month): every planted disclosure-skipping
agent is flagged for coaching on the disclosure and at most one other agent is; auto-QA agreement
with the generator's truth on the disclosure."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from signalroom.cli.app import app
from signalroom.qa.agents import agent_consistency
from signalroom.qa.run import score
from signalroom.store import Store

runner = CliRunner()


def test_every_disclosure_skipper_is_flagged_and_at_most_one_other_agent(month: tuple[Path, Path]) -> None:
    out, db = month
    truth = orjson.loads((out / ".truth" / "truth.json").read_bytes())["phenomena"]["disclosure_skipping"]
    with Store.open(db, read_only=True) as store:
        findings = agent_consistency(store)
    flagged = {f.agent_id for f in findings if f.criterion_id == "recording-disclosure" and f.finding == "coaching"}
    skippers = set(truth["agent_ids"])
    assert skippers <= flagged
    assert len(flagged - skippers) <= 1


def test_disclosure_answers_agree_with_the_truth(month: tuple[Path, Path]) -> None:
    out, db = month
    truth = {}
    for line in (out / ".truth" / "interactions.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        if row["channel"] == "voice" and row["disclosure_given"] is not None:
            truth[row["interaction_id"]] = row["disclosure_given"]
    with Store.open(db, read_only=True) as store:
        answers = dict(
            store.connection.execute(
                "SELECT id, value FROM qa_answers WHERE criterion_id = 'recording-disclosure' AND value <> 'na'"
            ).fetchall()
        )
    both = [i for i in answers if i in truth]
    agree = sum((answers[i] == "pass") == truth[i] for i in both) / len(both)
    assert len(both) > 1000
    assert agree >= 0.97


def test_rescoring_changes_nothing_and_the_cli_shows_evidence(month: tuple[Path, Path]) -> None:
    _, db = month
    with Store.open(db) as store:
        again = score(store)
    assert again.interactions == 0
    result = runner.invoke(app, ["qa", "show", "call-0000001", "--db", str(db), "--json"])
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    compliance = next(r for r in data["results"] if r["scorecard_id"] == "voice-compliance")
    [answer] = compliance["answers"]
    assert answer["value"] in ("pass", "fail") and "explanation" in answer


def test_two_worker_processes_score_exactly_as_one(month: tuple[Path, Path]) -> None:
    _, db = month
    query = "SELECT source, id, scorecard_id, criterion_id, value, confidence, explanation, evidence FROM qa_answers"
    with Store.open(db) as store:
        one = sorted(store.connection.execute(query).fetchall())
        report = score(store, full=True, workers=2, batch_size=1000)
        two = sorted(store.connection.execute(query).fetchall())
    assert report.interactions == 3667
    assert one == two


def test_a_skippers_coaching_plan_shows_their_evidence_beside_a_peers(month: tuple[Path, Path]) -> None:
    out, db = month
    skipper = orjson.loads((out / ".truth" / "truth.json").read_bytes())["phenomena"]["disclosure_skipping"][
        "agent_ids"
    ][0]
    from signalroom.qa.coaching import coaching_plan

    with Store.open(db, read_only=True) as store:
        plan = coaching_plan(store, skipper)
        assert coaching_plan(store, "nobody") is None
    assert plan is not None and plan.behaviours
    first = plan.behaviours[0]
    assert first.criterion_id == "recording-disclosure" and first.failures > 3 * first.expected
    assert first.own and all(o["value"] == "fail" for o in first.own)
    assert first.exemplar is not None and first.exemplar["agent_id"] != skipper
    assert first.exemplar["value"] == "pass" and first.exemplar["evidence"][0]["speaker"] == "agent"


def test_an_accepted_dispute_corrects_the_answer_and_survives_rescoring(month: tuple[Path, Path]) -> None:
    _, db = month
    from signalroom.qa.disputes import DisputeError, raise_dispute, review_dispute

    with Store.open(db) as store:
        [(interaction,)] = store.connection.execute(
            "SELECT id FROM qa_answers WHERE criterion_id = 'recording-disclosure' AND value = 'fail' "
            "ORDER BY id LIMIT 1"
        ).fetchall()
        with pytest.raises(DisputeError, match="has no answer for criterion 'nonsense'"):
            raise_dispute(store, interaction, "nonsense", by="A0001", comment="?")
        dispute = raise_dispute(
            store, interaction, "recording-disclosure", by="A0001", comment="I said it before the recording started"
        )
        with pytest.raises(DisputeError, match=f"dispute {dispute} about this answer is still open"):
            raise_dispute(store, interaction, "recording-disclosure", by="A0001", comment="again")
        result = review_dispute(store, dispute, accept=True, by="QA lead", comment="agreed, heard it")
        assert result["status"] == "accepted" and result["corrected_value"] == "pass"
        assert [e["action"] for e in result["history"]] == ["raised", "accepted"]
        with pytest.raises(DisputeError, match="already accepted"):
            review_dispute(store, dispute, accept=False, by="someone")
        score(store, full=True)
        value, explanation = store.connection.execute(
            "SELECT value, explanation FROM qa_answers WHERE id = ? AND criterion_id = 'recording-disclosure'",
            [interaction],
        ).fetchall()[0]
        [(auto_failed,)] = store.connection.execute(
            "SELECT auto_failed FROM qa_results WHERE id = ? AND scorecard_id = 'voice-compliance'", [interaction]
        ).fetchall()
    assert value == "pass" and explanation.endswith("(corrected on dispute)") and not auto_failed
