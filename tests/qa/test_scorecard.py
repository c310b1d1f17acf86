"""QA scorecards: the shipped ones validate; every kind of mistake is named with file, line and
field; a bad file does not stop the others being checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from signalroom.cli.app import app
from signalroom.qa.scorecard import (
    KINDS,
    MetricCriterion,
    PhraseCriterion,
    ScorecardError,
    SequenceCriterion,
    default_scorecard_paths,
    load_scorecard,
    parse_scorecard,
)

runner = CliRunner()

GOOD = """\
id: demo-card
name: Demo card
sections:
  - name: Opening
    criteria:
      - id: disclosure
        name: Recording disclosure
        kind: phrase
        speaker: agent
        within_turns: 3
        patterns: [call NEAR:4 record]
        weight: 5
        auto_fail: true
      - id: silence
        name: No long silence
        kind: metric
        metric: longest_silence_s
        max: 30
"""


def test_the_shipped_scorecards_validate_and_cover_every_default_check() -> None:
    cards = {load_scorecard(p).id: load_scorecard(p) for p in default_scorecard_paths()}
    assert set(cards) == {"voice-compliance", "identity-verification", "customer-experience", "data-security"}
    ids = {c.id for card in cards.values() for c in card.criteria()}
    assert {"recording-disclosure", "verified-before-change", "empathy-after-negative", "next-steps",
            "resolution-confirmed", "proper-closing", "no-full-card-number"} <= ids  # fmt: skip
    disclosure = next(cards["voice-compliance"].criteria())
    assert isinstance(disclosure, PhraseCriterion) and disclosure.auto_fail and disclosure.speaker == "agent"
    assert isinstance(next(cards["identity-verification"].criteria()), SequenceCriterion)


def test_a_good_scorecard_parses_into_typed_criteria() -> None:
    card = parse_scorecard(GOOD)
    first, second = list(card.criteria())
    assert isinstance(first, PhraseCriterion) and first.patterns == ["call NEAR:4 record"] and first.within_turns == 3
    assert isinstance(second, MetricCriterion) and second.max == 30 and second.weight == 1.0
    assert card.summary() == {
        "id": "demo-card", "name": "Demo card", "version": 1, "sections": 1, "criteria": 2,
        "kinds": {"phrase": 1, "metric": 1}, "auto_fail": ["disclosure"],
    }  # fmt: skip
    assert set(KINDS) == {"phrase", "semantic", "sequence", "metric", "sentiment", "sensitive", "llm"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("        weight: 5\n", "        wieght: 5\n"),
            "line 12: sections[0].criteria[0].wieght: Extra inputs are not permitted",
        ),
        (("kind: metric", "kind: vibes"), "line 14: sections[0].criteria[1]: Input tag 'vibes' found using 'kind'"),
        (
            ("call NEAR:4 record", "(call NEAR:4 record"),
            "line 11: sections[0].criteria[0].patterns: Value error, pattern '(call NEAR:4 record'",
        ),
        (("        max: 30\n", ""), "line 14: sections[0].criteria[1]: Value error, a metric criterion needs max"),
        (("id: silence", "id: disclosure"), "criterion id 'disclosure' is used twice"),
        (
            ("metric: longest_silence_s", "metric: happiness"),
            "line 17: sections[0].criteria[1].metric: Input should be",
        ),
        (("id: demo-card", "id: Demo Card"), "line 1: id: String should match pattern"),
        (
            ("        weight: 5\n", "        weight: -1\n"),
            "line 12: sections[0].criteria[0].weight: Input should be greater than 0",
        ),
    ],
)
def test_mistakes_are_named_with_line_and_field(change: tuple[str, str], message: str) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ScorecardError) as caught:
        parse_scorecard(text, "cards/demo.yaml")
    assert str(caught.value).startswith("cards/demo.yaml: ")
    assert message in str(caught.value)


def test_not_yaml_and_not_a_mapping_are_refused() -> None:
    with pytest.raises(ScorecardError, match=r"x\.yaml: not valid YAML"):
        parse_scorecard("id: [unclosed", "x.yaml")
    with pytest.raises(ScorecardError, match=r"x\.yaml: line 1: a scorecard is a mapping"):
        parse_scorecard("- just\n- a list\n", "x.yaml")


def test_lint_checks_every_file_and_a_bad_one_does_not_stop_the_others(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("weight: 5", "wieght: 5"))
    result = runner.invoke(app, ["scorecard", "lint", str(bad), str(good), "--json"])
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert [v["id"] for v in data["valid"]] == ["demo-card"]
    assert data["invalid"][0]["file"] == str(bad)
    assert f"{bad}: line 12: sections[0].criteria[0].wieght" in data["invalid"][0]["error"]
    shipped = runner.invoke(app, ["scorecard", "lint", "--json"])
    assert shipped.exit_code == 0, shipped.output
    assert len(json.loads(shipped.stdout)["valid"]) == 4
