"""Compliance risk (docs/qa.md#compliance-risk): every figure on a small hand-made warehouse worked
out by hand, the planted disclosure skippers on the demo month, and bad input.

The hand-made warehouse: scorecard ``card``, criteria ``disc`` and ``greet``; interactions c000–c199
apply to both (``greet`` always passes). ``disc`` fails on c000–c003, all agent A1's (c000–c009,
team T1); A2 has c010–c059 (T1), A3 c060–c129 and A4 c130–c199 (T2); even numbers are queue q1,
odd q2. c000–c098 fall in the ISO week of Monday 2026-03-02, c099–c199 in the next: c099 starts at
23:30 UTC on Sunday 03-08 written at +01:00, so its local date is Monday 03-09. n000–n009 (A2)
answer ``disc`` not applicable."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from scipy import stats
from typer.testing import CliRunner

from signalroom.cli.qa_risk import risk_command
from signalroom.qa.risk import (
    CriterionRisk,
    RiskConfig,
    RiskError,
    cochran_armitage,
    compliance_risk,
    p_catch_any,
    sample_size,
)
from signalroom.store import Store

runner = CliRunner()
cli = typer.Typer()
cli.command("risk")(risk_command)

# 1 − C(196, 4) / C(200, 4): a 2% sample of the 200 (4 interactions) holds none of the 4 failures
# with probability (196·195·194·193) / (200·199·198·197) = 0.921797.
P_ANY = 1 - math.comb(196, 4) / math.comb(200, 4)


def _agent(k: int) -> tuple[str, str]:
    if k < 10:
        return "A1", "T1"
    if k < 60:
        return "A2", "T1"
    return ("A3", "T2") if k < 130 else ("A4", "T2")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("risk") / "w.duckdb"
    interactions, answers = [], []
    for k in range(200):
        week = 0 if k < 100 else 7
        started = datetime(2026, 3, 2 + week + k % 7, 10, tzinfo=UTC)
        offset = 0
        if k == 99:
            started, offset = datetime(2026, 3, 8, 23, 30, tzinfo=UTC), 60
        agent, team = _agent(k)
        interactions.append((f"c{k:03d}", started, offset, agent, team, "q1" if k % 2 == 0 else "q2"))
        answers.append((f"c{k:03d}", "disc", "fail" if k < 4 else "pass"))
        answers.append((f"c{k:03d}", "greet", "pass"))
    for k in range(10):
        interactions.append((f"n{k:03d}", datetime(2026, 3, 3, 12, tzinfo=UTC), 0, "A2", "T1", "q1"))
        answers.append((f"n{k:03d}", "disc", "na"))
    with Store.open(db) as store:
        store.connection.executemany(
            "INSERT INTO interactions (source, id, channel, started_at, utc_offset_minutes, agent_id, agent_team, "
            "queue, turn_count, content_hash, load_id) VALUES ('src', ?, 'voice', ?, ?, ?, ?, ?, 0, 'h', 1)",
            interactions,
        )
        store.connection.executemany("INSERT INTO qa_answers VALUES ('src', ?, 'card', ?, ?, 0.9, NULL, NULL)", answers)
    return db


def _risk(db: Path, **config: Any) -> dict[str, CriterionRisk]:
    with Store.open(db, read_only=True) as store:
        report = compliance_risk(store, RiskConfig(**config))
    return {f"{r.scorecard_id}/{r.criterion_id}": r for r in report.criteria}


def test_prevalence_interval_and_the_two_percent_sample(small: Path) -> None:
    found = _risk(small)
    disc = found["card/disc"]
    assert (disc.applicable, disc.failures, disc.not_applicable) == (200, 4, 10)
    assert disc.prevalence == 0.02
    # Wilson at 4/200, z = 1.96: centre (0.02 + z²/400) / (1 + z²/200) = 0.029046,
    # half-width z·√(0.02·0.98/200 + z²/160000) / (1 + z²/200) = 0.021242.
    assert disc.prevalence_ci == pytest.approx((0.007804, 0.050288), abs=2e-5)
    s = disc.sample
    assert (s.size, s.expected_failures) == (4, 0.08)
    assert s.p_any == pytest.approx(P_ANY, abs=1e-6) and s.p_any == pytest.approx(0.078203, abs=1e-6)
    # A sample of 4 at the true prevalence 0.02 (Wilson of 0.08/4) against the full population's.
    # Wilson of 0.08/4: centre (0.02 + z²/8) / (1 + z²/4) = 0.25515, half-width 0.25475.
    assert s.ci_width == pytest.approx(2 * 0.25475, abs=2e-4)
    assert s.full_ci_width == pytest.approx(0.050288 - 0.007804, abs=4e-5)
    assert s.missed == ("A1",)
    assert s.text == (
        "a 2% review (4 of 200) would have seen 0.1 of these 4 failures; 8% chance of seeing any; "
        "it would most likely not have shown agent A1's (8% chance)"
    )
    assert disc.examples == ("src/c003", "src/c002", "src/c001", "src/c000")
    greet = found["card/greet"]
    assert (greet.failures, greet.prevalence, greet.sample.p_any) == (0, 0.0, 0.0)
    assert greet.sample.text == "no failures among 200: a 2% review (4) would show none either"
    assert list(found) == ["card/disc", "card/greet"]  # most failures first


def test_breakdown_flags_the_agent_whose_failures_these_are(small: Path) -> None:
    disc = _risk(small, criterion_id="disc", examples=2)["card/disc"]
    rows = {g.key: g for g in disc.breakdown}
    a1 = rows["A1"]
    assert (a1.applicable, a1.failures, a1.prevalence, a1.rest_prevalence) == (10, 4, 0.4, 0.0)
    # Fisher's exact test (expected failures under 5): [[4, 6], [0, 190]].
    p = stats.fisher_exact([[4, 6], [0, 190]]).pvalue
    assert a1.p_value == pytest.approx(p) and a1.q_value == pytest.approx(4 * p)  # smallest of 4
    assert a1.above_rest and not any(g.above_rest for g in rows.values() if g is not a1)
    assert a1.sample_expected == 0.08 and a1.sample_p_any == pytest.approx(P_ANY, abs=1e-6)
    assert a1.examples == ("src/c003", "src/c002")
    assert disc.breakdown[0].key == "A1"
    assert {k: (g.applicable, g.failures) for k, g in rows.items()} == {
        "A1": (10, 4), "A2": (50, 0), "A3": (70, 0), "A4": (70, 0)
    }  # fmt: skip
    teams = _risk(small, criterion_id="disc", by="team")["card/disc"].breakdown
    assert [(g.key, g.applicable, g.failures) for g in teams] == [("T1", 60, 4), ("T2", 140, 0)]
    queues = _risk(small, criterion_id="disc", by="queue")["card/disc"].breakdown
    assert [(g.key, g.applicable, g.failures) for g in queues] == [("q1", 100, 2), ("q2", 100, 2)]
    assert not any(g.above_rest for g in queues)


def test_trend_per_week_on_the_local_date_and_date_filters(small: Path) -> None:
    trend = _risk(small, criterion_id="disc")["card/disc"].trend
    assert [(p.period, p.applicable, p.failures) for p in trend.points] == [
        (date(2026, 3, 2), 99, 4), (date(2026, 3, 9), 101, 0)
    ]  # fmt: skip
    # Two periods: Cochran–Armitage's z² is the uncorrected Pearson chi-square of the 2×2 table,
    # and the slope is the difference of the two rates.
    chi2 = stats.chi2_contingency([[4, 95], [0, 101]], correction=False)
    assert trend.p_value == pytest.approx(chi2.pvalue)
    assert trend.slope == pytest.approx(-4 / 99, abs=1e-6)
    assert trend.direction == ("falling" if chi2.pvalue < 0.05 else "flat")
    days = _risk(small, criterion_id="disc", trend="day")["card/disc"].trend.points
    assert len(days) == 14 and days[0].period == date(2026, 3, 2) and days[-1].period == date(2026, 3, 15)
    assert next(p for p in days if p.period == date(2026, 3, 9)).applicable == 15  # 14 + c099
    early = _risk(small, criterion_id="disc", date_to=date(2026, 3, 8))["card/disc"]
    late = _risk(small, criterion_id="disc", date_from=date(2026, 3, 9))["card/disc"]
    assert (early.applicable, early.failures, late.applicable, late.failures) == (99, 4, 101, 0)
    assert late.trend.direction == "untested" and late.examples == ()  # one week


def test_cochran_armitage_against_a_logistic_score_test_by_hand() -> None:
    # Three equally spaced periods, rates 0.1, 0.2, 0.3 of 100 each: p̄ = 0.2, scores centred −1, 0, 1,
    # T = Σ s (x − n p̄) = 20, Var = p̄(1 − p̄) Σ n s² = 0.16 · 200 = 32, z = 20 / √32 = 3.536.
    slope, p = cochran_armitage([100, 100, 100], [10, 20, 30])
    assert slope == pytest.approx(0.1)
    assert p == pytest.approx(2 * stats.norm.sf(20 / math.sqrt(32)))
    assert cochran_armitage([100], [10]) == (None, None)
    assert cochran_armitage([0, 50], [0, 5]) == (None, None)


def test_sample_size_and_catch_probability() -> None:
    assert sample_size(200, 0.02) == 4
    assert sample_size(350, 0.02) == 7  # not ceil(7.000000000000001)
    assert sample_size(10, 0.02) == 1 and sample_size(0, 0.02) == 0 and sample_size(5, 1.0) == 5
    assert p_catch_any(200, 4, 4) == pytest.approx(P_ANY)
    assert p_catch_any(200, 0, 4) == 0.0 and p_catch_any(200, 200, 1) == 1.0


def test_cli_json_is_the_report(small: Path) -> None:
    # A Typer app with one command runs it without its name.
    result = runner.invoke(cli, ["--db", str(small), "--criterion", "disc", "--by", "team", "--examples", "1",
                                 "--sample-rate", "0.05", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = orjson.loads(result.stdout)
    with Store.open(small, read_only=True) as store:
        report = compliance_risk(store, RiskConfig(criterion_id="disc", by="team", examples=1, sample_rate=0.05))
    assert data == orjson.loads(orjson.dumps(report.to_dict()))
    assert {k: data[k] for k in ("scorecard", "criterion", "by", "trend", "from", "to", "sample_rate")} == {
        "scorecard": None, "criterion": "disc", "by": "team", "trend": "week", "from": None, "to": None,
        "sample_rate": 0.05,
    }  # fmt: skip
    [disc] = data["criteria"]
    assert disc["sample"]["size"] == 10 and disc["examples"] == ["src/c003"]
    assert disc["sample"]["p_any"] == pytest.approx(1 - math.comb(196, 10) / math.comb(200, 10), abs=1e-6)
    text = runner.invoke(cli, ["--db", str(small), "--criterion", "disc", "--trend", "day"])
    assert text.exit_code == 0, text.output
    assert "card/disc" in text.stdout and "A1" in text.stdout and "2026-03-15" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scorecard", "nope"], "unknown scorecard 'nope'"),
        (["--criterion", "nope"], "unknown criterion 'nope'"),
        (["--scorecard", "card", "--criterion", "nope"], "unknown criterion 'nope' in scorecard 'card'"),
        (["--from", "2026-03-10", "--to", "2026-03-01"], "--from 2026-03-10 is after --to 2026-03-01"),
        (["--from", "March"], "--from 'March' is not a date"),
        (["--sample-rate", "0"], "--sample-rate 0.0 is not in (0, 1]"),
        (["--sample-rate", "1.5"], "--sample-rate 1.5 is not in (0, 1]"),
        (["--by", "site"], "--by 'site' is not one of agent, team, queue"),
        (["--trend", "month"], "--trend 'month' is not one of day, week"),
        (["--examples", "-1"], "--examples -1 is negative"),
    ],
)
def test_bad_input_is_named(small: Path, args: list[str], message: str) -> None:
    result = runner.invoke(cli, ["--db", str(small), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    with pytest.raises(RiskError):
        RiskConfig(sample_rate=float("nan"))


def test_demo_month_disclosure_prevalence_and_the_skippers(month: tuple[Path, Path]) -> None:
    out, db = month
    truth = orjson.loads((out / ".truth" / "truth.json").read_bytes())["phenomena"]["disclosure_skipping"]
    with Store.open(db, read_only=True) as store:
        applies = {r[0] for r in store.connection.execute(
            "SELECT id FROM qa_answers WHERE criterion_id = 'recording-disclosure' AND value <> 'na'"
        ).fetchall()}  # fmt: skip
    missing = 0
    for line in (out / ".truth" / "interactions.jsonl").read_bytes().splitlines():
        row = orjson.loads(line)
        missing += row["interaction_id"] in applies and row["disclosure_given"] is False
    found = _risk(db, criterion_id="recording-disclosure")
    disc = found["voice-compliance/recording-disclosure"]
    assert disc.applicable == 1535 and disc.failures == missing == 138
    assert disc.prevalence_ci is not None
    lo, hi = disc.prevalence_ci
    assert lo < 138 / 1535 < hi and hi - lo < 0.03
    above = {g.key for g in disc.breakdown if g.above_rest}
    assert set(truth["agent_ids"]) <= above and len(above - set(truth["agent_ids"])) <= 1
    s = disc.sample
    assert s.size == 31 and s.p_any == pytest.approx(1 - stats.hypergeom.pmf(0, 1535, 138, 31), abs=1e-6)
    # A 2% review would have seen any one skipper's failures with well under even chances.
    assert set(truth["agent_ids"]) <= set(s.missed)
    assert disc.trend.period == "week" and len(disc.trend.points) == 5
    assert all(p.period.weekday() == 0 for p in disc.trend.points)
