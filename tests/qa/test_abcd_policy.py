"""A written policy turned into checks (docs/qa.md#from-a-written-policy): the example scorecard
built from the ABCD agent guidelines, scored on the ABCD sample dialogues in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from signalroom.qa.engine import QaInput, Scoring
from signalroom.qa.phrases import TurnText
from signalroom.qa.scorecard import load_scorecard

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO.parent / "shared" / "data" / "abcd-sample-and-policies" / "abcd_sample.json"
CARD = REPO / "examples" / "scorecards" / "abcd-product-defect.yaml"


def test_the_example_scorecard_validates() -> None:
    card = load_scorecard(CARD)
    assert [c.id for c in card.criteria()] == ["pull-up-account", "validate-purchase", "further-assistance"]


@pytest.mark.skipif(not SAMPLE.exists(), reason="../shared/data is not beside this checkout")
def test_the_sample_dialogues_are_scored_against_the_guidelines() -> None:
    scoring = Scoring([load_scorecard(CARD)])
    answers: dict[str, dict[str, str]] = {}
    for dialogue in orjson.loads(SAMPLE.read_bytes()):
        # Agent and customer turns; the dataset's "action" lines are the agent's clicks, not speech.
        turns = [TurnText(speaker, text) for speaker, text in dialogue["original"] if speaker != "action"]
        scenario = dialogue["scenario"]
        item = QaInput(source="abcd", id=str(dialogue["convo_id"]), channel="chat", turns=turns,
                       reason=scenario["flow"])  # fmt: skip
        results = scoring.score(item)
        answers[scenario["subflow"]] = {a.criterion_id: a.value for r in results for a in r.answers}
    # Both product-defect dialogues ask for the name or account first and validate the purchase;
    # the return asks "would there be anything else", the refund-status chat closes without asking.
    checks = {"pull-up-account": "pass", "validate-purchase": "pass"}
    assert answers["return_size"] == {**checks, "further-assistance": "pass"}
    assert answers["refund_status"] == {**checks, "further-assistance": "fail"}
    assert answers["timing_4"] == {}  # a storewide query: the scorecard does not apply
