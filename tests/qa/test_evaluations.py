"""Human QA evaluations, agreement and calibration (docs/qa.md#human-evaluations-and-calibration) on a
hand-made warehouse: five interactions t/c1…c5, scorecard `cx` (phrase `disclosure`, metric
`dead-air`: longest_silence_s ≤ 30) and `extra` (another `dead-air`, so that id alone is ambiguous).
Auto-QA answers and conversation metrics are written straight in; every expected value is worked out
by hand in the test that checks it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from typer.testing import CliRunner

from signalroom.cli.qa_calibration import agreement_command, calibration_app, evaluations_app
from signalroom.ingest.loader import Loader
from signalroom.qa.agreement import agreement, gwet_ac1, two_raters
from signalroom.qa.calibration import criterion_agreement, pick, record
from signalroom.qa.evaluations import EvaluationError, import_evaluations
from signalroom.qa.run import content_hash
from signalroom.qa.scorecard import Scorecard
from signalroom.qa.thresholds import best_threshold, calibration_report
from signalroom.store import Store
from signalroom.store import qa as qa_store
from support import interaction, rows, write_jsonl

DISCLOSURE = {"id": "disclosure", "name": "Disclosure", "kind": "phrase", "patterns": ["recorded"]}
DEAD_AIR = {"id": "dead-air", "name": "No dead air", "kind": "metric", "metric": "longest_silence_s", "max": 30}
CARDS = [
    {"id": "cx", "name": "CX", "sections": [{"name": "All", "criteria": [DISCLOSURE, DEAD_AIR]}]},
    {"id": "extra", "name": "Extra", "sections": [{"name": "All", "criteria": [DEAD_AIR]}]},
]
SILENCE = {"c1": 10, "c2": 20, "c3": 25, "c4": 28, "c5": 40}  # longest silence, seconds


def _answer(store: Store, ident: str, card: str, crit: str, value: str, evidence: list[dict[str, Any]]) -> None:
    store.connection.execute(
        "INSERT INTO qa_answers VALUES ('t', ?, ?, ?, ?, 0.9, ?, ?)",
        [ident, card, crit, value, f"{crit} was {value}", orjson.dumps(evidence).decode()],
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Store]:
    data = write_jsonl(tmp_path / "i.jsonl", [interaction(f"c{n}") for n in range(1, 6)])
    store = Store.open(tmp_path / "w.duckdb")
    Loader(store).ingest([data], fmt="jsonl", source="t")
    for raw in CARDS:
        card = Scorecard.model_validate(raw)
        qa_store.save_scorecard(store, card.id, 1, content_hash(card), card.name, None, card.model_dump(mode="json"))
    for ident, silence in SILENCE.items():
        metrics = orjson.dumps({"longest_silence_s": silence}).decode()
        store.connection.execute("INSERT INTO stage_results VALUES ('t', ?, 'metrics', ?, 1)", [ident, metrics])
        text = f"longest_silence_s = {silence}"
        _answer(store, ident, "cx", "dead-air", "pass" if silence <= 30 else "fail", [{"kind": "metric", "text": text}])
    for ident, value in {"c1": "pass", "c2": "fail", "c3": "pass", "c4": "pass", "c5": "na"}.items():
        found = [{"kind": "turn", "text": "recorded", "turn": 0}] if value == "pass" else []
        _answer(store, ident, "cx", "disclosure", value, found)
    yield store
    store.close()


CSV = """evaluator,interaction,criterion,answer,comment,scorecard
ann,c1,disclosure,Yes,,
bob,c1,disclosure,1,fine,
ann,c9,disclosure,pass,,
ann,c2,nope,pass,,
ann,c2,disclosure,maybe,,
,c2,disclosure,pass,,
ann,c2,dead-air,pass,,
ann,c2,dead-air,N/A,,cx
"""


def test_csv_import_takes_synonyms_and_names_every_bad_row(warehouse: Store, tmp_path: Path) -> None:
    path = tmp_path / "evals.csv"
    path.write_text(CSV)
    report = import_evaluations(warehouse, [path])
    assert (report.rows, report.imported, report.replaced) == (8, 3, 0)
    errors = {r.line: r.message for r in report.rejected}
    assert all(r.file == str(path) for r in report.rejected)
    assert errors[4] == "unknown interaction 'c9'"
    assert errors[5].startswith("unknown criterion 'nope'")
    assert errors[6].startswith("bad answer 'maybe'")
    assert errors[7] == "missing evaluator"
    assert errors[8] == "criterion 'dead-air' is in several scorecards (cx, extra): name one"
    stored = rows(warehouse, "SELECT interaction_id, scorecard_id, criterion_id, evaluator, answer, comment, line "
                             "FROM qa_evaluations ORDER BY line")  # fmt: skip
    assert stored == [
        ("c1", "cx", "disclosure", "ann", "pass", None, 2),
        ("c1", "cx", "disclosure", "bob", "pass", "fine", 3),
        ("c2", "cx", "dead-air", "ann", "na", None, 9),
    ]


def test_jsonl_reimport_replaces_and_keeps_what_is_stored(warehouse: Store, tmp_path: Path) -> None:
    first = tmp_path / "evals.csv"
    first.write_text(CSV)
    import_evaluations(warehouse, [first])
    lines = [
        {"evaluator": "ann", "interaction_id": "c1", "criterion": "disclosure", "answer": "false", "comment": "no"},
        "{not json",
        {"evaluator": "bob", "interaction": "c2", "criterion": "disclosure", "answer": True,
         "evaluated_at": "2026-03-05T10:00:00"},
        {"evaluator": "bob", "interaction": "c2", "criterion": "disclosure", "answer": "fail", "colour": "red"},
    ]  # fmt: skip
    path = write_jsonl(tmp_path / "more.jsonl", lines)
    report = import_evaluations(warehouse, [path])
    assert (report.imported, report.replaced) == (1, 1)
    got = [(r.line, r.message.split(":")[0]) for r in report.rejected]
    assert got == [(2, "malformed JSON"), (4, "unknown field(s) colour")]
    stored = rows(warehouse, "SELECT interaction_id, evaluator, answer, comment, evaluated_at IS NOT NULL "
                             "FROM qa_evaluations ORDER BY interaction_id, evaluator, criterion_id")  # fmt: skip
    assert stored == [("c1", "ann", "fail", "no", False), ("c1", "bob", "pass", "fine", False),
                      ("c2", "ann", "na", None, False), ("c2", "bob", "pass", None, True)]  # fmt: skip
    again = import_evaluations(warehouse, [path])
    assert (again.imported, again.replaced) == (0, 2)
    assert rows(warehouse, "SELECT count(*) FROM qa_evaluations") == [(4,)]


def test_a_json_array_names_the_line_of_each_bad_element(warehouse: Store, tmp_path: Path) -> None:
    path = tmp_path / "evals.json"
    path.write_text('[\n  {"evaluator": "ann", "interaction": "c3", "criterion": "disclosure", "answer": "no"},\n'
                    '  {"evaluator": "ann", "interaction": "c3", "criterion": "disclosure"}\n]\n')  # fmt: skip
    report = import_evaluations(warehouse, [path])
    assert report.imported == 1
    assert [(r.line, r.message) for r in report.rejected] == [(3, "missing answer")]


def test_agreement_statistics_against_hand_worked_values() -> None:
    # 50 items: both pass 20, pass/fail 5, fail/pass 10, both fail 15. po = 0.7; pe = 0.5·0.6 + 0.5·0.4
    # = 0.5; kappa = 0.2 / 0.5 = 0.4. AC1: π_pass = 0.55, pe = 2·0.55·0.45 = 0.495, (0.7−0.495)/0.505.
    table = [("pass", "pass")] * 20 + [("pass", "fail")] * 5 + [("fail", "pass")] * 10 + [("fail", "fail")] * 15
    got = two_raters(table)
    assert (got.items, got.percent_agreement, got.cohen_kappa) == (50, 0.7, 0.4)
    assert got.gwet_ac1 == pytest.approx(0.205 / 0.505, abs=1e-6)
    # Gwet's kappa paradox (118 / 5 / 2 / 0): kappa about −0.02, AC1 0.94 with 94.4% agreement.
    paradox = two_raters([("pass", "pass")] * 118 + [("pass", "fail")] * 5 + [("fail", "pass")] * 2)
    assert paradox.cohen_kappa == pytest.approx(-0.0234, abs=1e-4)
    assert paradox.gwet_ac1 == pytest.approx(0.9408, abs=1e-4)


def test_gwet_ac1_and_krippendorff_alpha_on_the_published_four_rater_example() -> None:
    # Krippendorff (2011) / Gwet (2014, Handbook, ch. 2): 4 raters, 12 units, 5 categories, missing
    # answers. Published: AC1 = 0.7754 (pa 0.8182, pe 0.1903); nominal alpha = 0.743.
    units = [(1, 1, None, 1), (2, 2, 3, 2), (3, 3, 3, 3), (3, 3, 3, 3), (2, 2, 2, 2), (1, 2, 3, 4), (4, 4, 4, 4),
             (1, 1, 2, 1), (2, 2, 2, 2), (None, 5, 5, 5), (None, None, 1, 1), (None, None, 3, None)]  # fmt: skip
    ratings = {i: {f"r{j}": str(v) for j, v in enumerate(u) if v is not None} for i, u in enumerate(units)}
    ac1, why = gwet_ac1(ratings)
    assert why is None and ac1 == pytest.approx(0.77544, abs=1e-5)
    got = agreement(ratings)
    assert got.krippendorff_alpha == pytest.approx(0.743, abs=1e-3)
    assert got.percent_agreement == pytest.approx(9 / 11, abs=1e-6)


def test_degenerate_agreement_is_none_with_a_reason() -> None:
    one_answer = two_raters([("pass", "pass")] * 4)
    assert one_answer.percent_agreement == 1.0
    assert one_answer.cohen_kappa is None and "only one answer" in one_answer.undefined["cohen_kappa"]
    assert one_answer.gwet_ac1 is None and one_answer.krippendorff_alpha is None
    single = two_raters([("pass", "fail")])
    assert single.cohen_kappa is None and "fewer than 2 items" in single.undefined["gwet_ac1"]
    assert two_raters([]).percent_agreement is None


def _evaluate(store: Store, tmp_path: Path) -> None:
    # disclosure — c1: ann pass, bob pass (auto pass); c2: ann pass, bob fail (auto fail);
    # c3: ann fail, bob fail (auto pass); c4: ann pass, bob pass, cy fail (auto pass); c5: ann na (auto na).
    answers = {"c1": "pp", "c2": "pf", "c3": "ff", "c4": "ppf", "c5": "n"}
    lines = ["evaluator,interaction,criterion,answer,comment"]
    for ident, given in answers.items():
        for who, a in zip(("ann", "bob", "cy"), given, strict=False):
            word = {"p": "pass", "f": "fail", "n": "na"}[a]
            lines.append(f"{who},{ident},disclosure,{word},{who} on {ident}")
    path = tmp_path / "d.csv"
    path.write_text("\n".join(lines) + "\n")
    assert not import_evaluations(store, [path]).rejected


def test_pick_ranks_by_human_plus_auto_disagreement(warehouse: Store, tmp_path: Path) -> None:
    _evaluate(warehouse, tmp_path)
    picks = pick(warehouse, criterion_id="disclosure")
    # c2: humans split (1.0) + auto differs from half (0.5) = 1.5; c4: 2 of 3 pairs differ (2/3) +
    # 1/3 = 1.0 with three evaluators; c3: 0 + 1.0 with two; c1 and c5 agree everywhere.
    assert [(p.interaction_id, p.disagreement) for p in picks] == [("c2", 1.5), ("c4", 1.0), ("c3", 1.0)]
    assert picks[0].auto is not None and picks[0].auto["value"] == "fail"
    assert [(h["evaluator"], h["answer"], h["comment"]) for h in picks[0].humans] == [
        ("ann", "pass", "ann on c2"), ("bob", "fail", "bob on c2")]  # fmt: skip
    done = record(warehouse, "c2", "disclosure", "yes", by="session 1", note="said in other words")
    assert (done.scorecard_id, done.answer, done.replaced) == ("cx", "pass", False)
    assert [p.interaction_id for p in pick(warehouse, size=1)] == ["c4"]
    assert record(warehouse, "c2", "disclosure", "pass", by="session 2").replaced
    assert rows(warehouse, "SELECT agreed_by FROM qa_calibrations") == [("session 2",)]
    with pytest.raises(EvaluationError, match="unknown interaction 'c9'"):
        record(warehouse, "c9", "disclosure", "pass", by="x")


def test_criterion_agreement_between_humans_and_auto(warehouse: Store, tmp_path: Path) -> None:
    _evaluate(warehouse, tmp_path)
    [found] = criterion_agreement(warehouse, criterion_id="disclosure")
    # Items with two or more evaluators: c1…c4; pairwise agreement 1, 0, 1, 1/3 → mean 7/12.
    assert (found.evaluations, found.interactions, found.humans.items) == (10, 5, 4)
    assert found.humans.percent_agreement == pytest.approx(7 / 12, abs=1e-6)
    by = {c.against: c.agreement for c in found.auto}
    # Auto against ann: c1 p/p, c2 f/p, c3 p/f, c4 p/p, c5 na/na → 3 of 5.
    assert (by["ann"].items, by["ann"].percent_agreement) == (5, 0.6)
    # Majority: c1 pass, c3 fail, c4 pass (c2 is a tie) against auto pass, pass, pass → 2 of 3.
    assert by["majority"].items == 3
    assert by["majority"].percent_agreement == pytest.approx(2 / 3, abs=1e-6)
    assert by["calibrated"].items == 0 and by["calibrated"].percent_agreement is None


def test_report_suggests_the_max_that_agrees_best_and_lists_pattern_misses(warehouse: Store, tmp_path: Path) -> None:
    _evaluate(warehouse, tmp_path)
    # Agreed: silences 10, 20, 25 pass and 28, 40 fail. Max 30 passes 28 too (4 of 5 alike); any max
    # from 25 up to but not 28 answers all 5 alike: the midpoint 26.5.
    for ident, agreed in {"c1": "pass", "c2": "pass", "c3": "pass", "c4": "fail", "c5": "fail"}.items():
        record(warehouse, ident, "dead-air", agreed, by="session", scorecard="cx")
    record(warehouse, "c2", "disclosure", "pass", by="session", note="said in other words")
    report = {c.criterion_id: c for c in calibration_report(warehouse)}
    air = report["dead-air"]
    assert (air.agreed, air.false_passes, air.false_fails, air.agreement.percent_agreement) == (5, 1, 0, 0.8)
    [max_] = air.thresholds
    assert (max_.parameter, max_.current, max_.suggested) == ("max", 30, 26.5)
    assert (max_.items, max_.agree_current, max_.agree_suggested) == (5, 4, 5)
    [miss] = report["disclosure"].misses
    assert (miss["interaction_id"], miss["miss"], miss["note"]) == ("c2", "false fail", "said in other words")
    assert [c["comment"] for c in miss["comments"]] == ["ann on c2", "bob on c2"]
    assert report["disclosure"].false_fails == 1 and not report["disclosure"].thresholds


def test_best_threshold_keeps_a_value_that_already_agrees_best() -> None:
    kept = best_threshold([(1.0, True), (5.0, False)], 3.0, lambda v, t: v <= t, "max")
    assert (kept.suggested, kept.agree_current) == (3.0, 2)
    none = best_threshold([], 3.0, lambda v, t: v <= t, "max")
    assert none.suggested is None and none.items == 0


def test_the_commands(warehouse: Store, tmp_path: Path) -> None:
    _evaluate(warehouse, tmp_path)
    db = str(tmp_path / "w.duckdb")
    warehouse.close()
    app = typer.Typer()
    app.add_typer(evaluations_app, name="evaluations")
    app.add_typer(calibration_app, name="calibration")
    app.command("agreement")(agreement_command)
    runner = CliRunner()
    bad = tmp_path / "bad.csv"
    bad.write_text("evaluator,interaction,criterion,answer\ndee,c1,disclosure,pass\ndee,c1,disclosure,perhaps\n")
    result = runner.invoke(app, ["evaluations", "import", str(bad), "--db", db, "--json"])
    assert result.exit_code == 2
    data = orjson.loads(result.stdout)
    assert (data["imported"], data["rejected"], data["errors"][0]["line"]) == (1, 1, 3)
    result = runner.invoke(app, ["agreement", "--criterion", "disclosure", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["criteria"][0]["humans"]["raters"] == 4
    result = runner.invoke(app, ["calibration", "pick", "--size", "2", "--db", db, "--json"])
    assert [p["interaction_id"] for p in orjson.loads(result.stdout)["picks"]] == ["c2", "c4"]
    result = runner.invoke(app, ["calibration", "record", "c2", "disclosure", "pass", "--by", "qa lead", "--db", db])
    assert result.exit_code == 0 and "agreed by qa lead" in result.stdout
    result = runner.invoke(app, ["calibration", "record", "c2", "disclosure", "maybe", "--by", "x", "--db", db])
    assert result.exit_code == 2 and "bad answer 'maybe'" in result.output
    result = runner.invoke(app, ["calibration", "report", "--db", db, "--json"])
    assert orjson.loads(result.stdout)["criteria"][0]["false_fails"] == 1
    for args in (["agreement"], ["calibration", "pick"], ["calibration", "report"]):
        result = runner.invoke(app, [*args, "--db", db])
        assert result.exit_code == 0, result.output
